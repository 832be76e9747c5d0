//! The contract PDF, printed by Frappe's `frappe.utils.print_format.download_pdf`, and what
//! its failures mean for the customer and for the operator.
//!
//! `download_pdf(doctype, name, format=None, doc=None, no_letterhead=0, language=None,
//! letterhead=None, pdf_generator=None)` (frappe/utils/print_format.py) checks Read or Print
//! on the document (`validate_print_permission`), renders it inside `print_language(language)`
//! and converts the HTML with wkhtmltopdf (`frappe.utils.pdf.get_pdf`). Its failures:
//!
//! - a print format name that does not exist is printed as Standard without a word
//!   (`frappe/www/printview.py`, `get_print_format_doc`); a disabled one is a 404
//!   `DoesNotExistError` "Print Format X is disabled" (`get_print_format`); a broken template
//!   a 500 `TemplateSyntaxError` or a 417 `PrintFormatError` / `TemplateNotFoundError`;
//! - a missing Read or Print permission is a 403 `PermissionError`;
//! - a site that cannot make PDFs: without wkhtmltopdf, `get_pdf` re-raises pdfkit's
//!   `OSError` "No wkhtmltopdf executable found" (a 500); when wkhtmltopdf cannot load the
//!   page's `/assets` (not built, or not served by a web server), `get_pdf` throws "PDF
//!   generation failed because of broken image links" (a 417); a proxy may answer a page of
//!   its own (200, HTML) instead of the PDF;
//! - and, as for every request, ERPNext down, slow or rate limiting.
//!
//! Only the last is worth trying again; [`PdfCause`] tells them apart.

use super::{ErpClient, ErpError};

impl ErpClient {
    /// The contract's PDF from `ERP_PRINT_FORMAT`, printed in `language` (a Frappe language
    /// code: `uz`, `ru`, `en`): labels and the print format's own `_()` texts come out in the
    /// customer's language.
    pub async fn contract_pdf(&self, name: &str, language: &str) -> Result<Vec<u8>, ErpError> {
        let s = &self.schema().sales;
        let query = [
            ("doctype", s.contract_doctype.clone()),
            ("name", name.to_owned()),
            ("format", s.print_format.clone()),
            ("no_letterhead", "0".to_owned()),
            ("language", language.to_owned()),
        ];
        let body = self.method("frappe.utils.print_format.download_pdf", &query).await?;
        if body.starts_with(b"%PDF") {
            Ok(body)
        } else {
            let what = if body.trim_ascii_start().starts_with(b"<") { "an HTML page" } else { "something else" };
            Err(ErpError::Decode(format!("download_pdf answered {what}, not a PDF")))
        }
    }
}

/// Why the contract PDF could not be had, by who can fix it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PdfCause {
    /// The print format is disabled or its template is broken: the shop fixes the format.
    PrintFormat,
    /// The site cannot make PDFs (wkhtmltopdf missing, assets not built or not served).
    Rendering,
    /// The API user may not print the contract (Print or Read missing), or its keys are wrong.
    Permission,
    /// The contract itself is gone.
    Missing,
    /// ERPNext is down, slow or rate limiting: trying again later may work.
    Unavailable,
}

impl PdfCause {
    pub fn of(e: &ErpError) -> PdfCause {
        match e {
            ErpError::Forbidden(_) | ErpError::Unauthorized(_) => PdfCause::Permission,
            ErpError::NotFound(m) if m.contains("Print Format") => PdfCause::PrintFormat,
            ErpError::NotFound(_) => PdfCause::Missing,
            ErpError::Rejected { exc_type, message, .. }
                if names_print_format(exc_type) || names_print_format(message) =>
            {
                PdfCause::PrintFormat
            }
            ErpError::Rejected { .. } | ErpError::Decode(_) => PdfCause::Rendering,
            ErpError::Server { status: 502..=504, .. } => PdfCause::Unavailable,
            ErpError::Server { message, .. } if names_print_format(message) => PdfCause::PrintFormat,
            ErpError::Server { message, .. } if names_lost_database(message) => PdfCause::Unavailable,
            ErpError::Server { .. } => PdfCause::Rendering,
            ErpError::RateLimited | ErpError::Unreachable(_) | ErpError::Timeout => PdfCause::Unavailable,
        }
    }

    /// A bounded label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            PdfCause::PrintFormat => "print_format",
            PdfCause::Rendering => "rendering",
            PdfCause::Permission => "permission",
            PdfCause::Missing => "missing",
            PdfCause::Unavailable => "unavailable",
        }
    }

    /// What the operator should look at (README: "Printing the contract").
    pub fn hint(self) -> &'static str {
        match self {
            PdfCause::PrintFormat => "check ERP_PRINT_FORMAT: the print format is disabled or its template fails",
            PdfCause::Rendering => {
                "the site cannot make PDFs: install wkhtmltopdf (with patched qt), build the assets \
                 (bench build) and serve /assets through the web server"
            }
            PdfCause::Permission => "give the API user's role Print and Read on the contract doctype",
            PdfCause::Missing => "the contract no longer exists in ERPNext",
            PdfCause::Unavailable => "ERPNext did not answer; the customer may try again",
        }
    }
}

/// Frappe's print-format failures: `PrintFormatError`, `TemplateNotFoundError`, Jinja's
/// `TemplateSyntaxError`, "Error in print format on line …".
fn names_print_format(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    ["printformat", "print format", "templatenotfound", "templatesyntax", "no template found"]
        .iter()
        .any(|needle| text.contains(needle))
}

/// A 500 from a lost or busy database connection, which passes.
fn names_lost_database(text: &str) -> bool {
    ["OperationalError", "InterfaceError", "Lost connection", "QueryTimeoutError", "Deadlock"]
        .iter()
        .any(|needle| text.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erpnext::error::Access;
    use reqwest::StatusCode;

    fn answer(status: u16, body: &str) -> ErpError {
        let status = StatusCode::from_u16(status).expect("status");
        ErpError::from_response(Access::Read, status, body.as_bytes())
    }

    #[test]
    fn only_an_erpnext_that_does_not_answer_is_worth_another_try() {
        let wkhtmltopdf = r#"{"exc_type":"OSError","exception":"If this file exists please check that this process can read it. Otherwise please install wkhtmltopdf - https://github.com/JazzCore/python-pdfkit/wiki/Installing-wkhtmltopdf"}"#;
        let assets = r#"{"exc_type":"ValidationError","_server_messages":"[\"{\\\"message\\\": \\\"PDF generation failed because of broken image links\\\"}\"]"}"#;
        let cases = [
            (answer(500, wkhtmltopdf), PdfCause::Rendering),
            (answer(417, assets), PdfCause::Rendering),
            (ErpError::Decode("download_pdf answered an HTML page, not a PDF".into()), PdfCause::Rendering),
            (
                answer(
                    404,
                    r#"{"exc_type":"DoesNotExistError","exception":"frappe.exceptions.DoesNotExistError: Print Format Contract is disabled"}"#,
                ),
                PdfCause::PrintFormat,
            ),
            (
                answer(
                    500,
                    r#"{"exc_type":"TemplateSyntaxError","exception":"jinja2.exceptions.TemplateSyntaxError: unexpected end of template"}"#,
                ),
                PdfCause::PrintFormat,
            ),
            (
                answer(
                    417,
                    r#"{"exc_type":"PrintFormatError","exception":"frappe.exceptions.PrintFormatError: Error in print format on line 3"}"#,
                ),
                PdfCause::PrintFormat,
            ),
            (answer(403, r#"{"exc_type":"PermissionError"}"#), PdfCause::Permission),
            (
                answer(404, r#"{"exc_type":"DoesNotExistError","exception":"Sales Order SO-1 not found"}"#),
                PdfCause::Missing,
            ),
            (answer(503, "<html><title>503 Service Temporarily Unavailable</title></html>"), PdfCause::Unavailable),
            (
                answer(
                    500,
                    r#"{"exc_type":"OperationalError","exception":"pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')"}"#,
                ),
                PdfCause::Unavailable,
            ),
            (answer(429, "Too Many Requests"), PdfCause::Unavailable),
            (ErpError::Timeout, PdfCause::Unavailable),
        ];
        for (error, want) in cases {
            assert_eq!(PdfCause::of(&error), want, "{error}");
        }
    }
}
