//! What the bot decides to do; the runner performs these in order.

use super::event::{Callback, Input, Refresh, View};
use super::state::{CustomerRecord, Session};
use crate::i18n::{Label, Msg};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Send a message to the chat.
    Reply { msg: Msg, keyboard: Keyboard },
    /// Answer the button press of this update (with an alert when given). Emitted first for
    /// every callback, before any slow work.
    AnswerCallback { alert: Option<Msg> },
    /// Find the customer whose link field holds this user's id; then go on with `then`.
    FindLinkedCustomer { then: Input },
    /// Find the customer with this (normalised) passport.
    LookupPassport { passport: super::passport::Passport },
    /// Re-read the customer to check the shared phone against its phone fields.
    FetchForContact { customer: String, phone: String },
    /// Write this user's id into the customer's link field (re-read just before by the caller).
    WriteLink { record: CustomerRecord },
    /// Re-read a linked customer.
    RefreshCustomer { customer: String, then: Refresh },
    /// Clear the link field of the session's customer (if it still holds this user's id).
    ClearLink { session: Session },
    /// Load a view of the customer's data and show it: edit the button's message in place
    /// when `edit`, else send a new one.
    Show { customer: String, view: View, edit: bool },
    /// Send `lead` and the customer's summary as one message with the main menu (the F2
    /// welcome: one message, not two; the summary alone follows `lead` if ERPNext fails).
    Welcome { lead: Msg, customer: String },
}

/// The keyboard attached to a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keyboard {
    /// No markup: the chat keeps whatever keyboard it shows.
    None,
    /// The persistent main-menu reply keyboard ([`super::menu::MENU`]).
    Menu,
    /// The share-my-phone (`request_contact`) button and Cancel ([`super::menu::CONTACT`]).
    RequestContact,
    /// Removes the reply keyboard.
    Remove,
    /// Inline buttons: rows of (label, payload).
    Inline(Vec<Vec<(InlineLabel, Callback)>>),
}

/// The text of an inline button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InlineLabel {
    Text(Label),
    /// A language's own name.
    Language(crate::i18n::Lang),
    /// Data, not words: a contract's number and date.
    Raw(String),
}
