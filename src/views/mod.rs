//! What a linked customer can look at: contracts, schedule, payments, upcoming payments, the
//! welcome summary and the contract PDF — loaded from ERPNext ([`load`]) and rendered as
//! Telegram HTML ([`render`], pure and unit-tested).
//!
//! ERPNext cost per view (requests; `‖` runs concurrently, `;` waits). Every view also re-reads
//! the customer beside its first request (a disabled customer loses access at once; the
//! runner does it, not this module), which adds one request and no wait. "Invoices" is the
//! lookup of the Sales Invoices made from the contracts, whose payments count for them.
//! - summary: contracts with their schedule rows joined ‖ money on account; invoices; paid
//!   totals (summed by ERPNext, one row per contract) = 4, in 3 waits (`/start`: 5 with the
//!   re-read, which it makes anyway to check the link)
//! - upcoming: contracts with schedules; invoices; paid totals = 3 (+1)
//! - contract list: contracts (+ invoices and paid totals of `Closed` contracts, if any) = 1–3 (+1)
//! - contract card, schedule, payments of one contract: contract ‖ invoices; payments = 3 (+1)
//! - payment history: contracts ‖ money on account; invoices; payments = 4 (+1; +1 per 40
//!   contracts, +1 per 100 payments)
//! - PDF: contract; then the print format = 2 (+1)

pub mod load;
pub mod model;
pub mod render;

use crate::conversation::Keyboard;
use crate::erpnext::{ErpError, print::PdfCause};
use crate::i18n::Msg;

/// A rendered view: message chunks (each within Telegram's limit) and the keyboard of the
/// last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    pub chunks: Vec<String>,
    pub keyboard: Keyboard,
}

/// What loading a view produced.
#[derive(Debug)]
pub enum Shown {
    Screen {
        screen: Screen,
        /// The customer's contract names, when the view listed them.
        contracts: Option<Vec<String>>,
    },
    Document {
        file_name: String,
        bytes: Vec<u8>,
        caption: String,
    },
    /// The contract is not this customer's (or not submitted): nothing is shown.
    NotOwned,
}

/// What the customer is told when the contract PDF cannot be had, by cause: only an ERPNext
/// that did not answer is worth trying again. Logs the cause and what the operator should do.
pub fn pdf_refusal(e: &ErpError, support: Option<String>) -> Msg {
    let cause = PdfCause::of(e);
    tracing::warn!(error = %e, erp.cause = cause.as_str(), hint = cause.hint(), "the contract PDF could not be produced");
    match cause {
        PdfCause::PrintFormat => Msg::PdfNotSetUp { support },
        PdfCause::Rendering => Msg::PdfCannotRender { support },
        PdfCause::Permission => Msg::PdfNotPermitted { support },
        PdfCause::Missing => Msg::ContractUnavailable,
        PdfCause::Unavailable => Msg::PdfUnavailable,
    }
}
