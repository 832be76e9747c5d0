//! What can happen to a conversation: user input, and the results of effects the runner
//! performed.

use super::state::CustomerRecord;
use crate::i18n::{Label, Lang};

/// An event fed to [`super::step`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Something the user sent or pressed.
    Input(Input),
    /// The result of an effect (an ERPNext call) that the runner performed.
    Outcome(Outcome),
}

/// User input, already parsed from the Telegram update at the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Command(Command),
    /// A reply-keyboard button, recognised from its text in any language.
    Button(Label),
    /// Any other text.
    Text(String),
    /// A shared contact; `own` is `contact.user_id == from.id`.
    Contact {
        phone: String,
        own: bool,
    },
    /// An inline-button press.
    Callback(Callback),
    /// A photo, sticker, voice message or anything else without text.
    Unsupported,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Start,
    Menu,
    Help,
    Lang,
    Logout,
}

impl Command {
    /// Parses `/start`, `/start payload`, `/menu@my_bot` and the like.
    pub fn parse(text: &str) -> Option<Command> {
        let word = text.trim().strip_prefix('/')?.split_whitespace().next()?;
        let word = word.split('@').next()?;
        match word.to_ascii_lowercase().as_str() {
            "start" => Some(Command::Start),
            "menu" => Some(Command::Menu),
            "help" => Some(Command::Help),
            "lang" | "language" => Some(Command::Lang),
            "logout" => Some(Command::Logout),
            _ => None,
        }
    }
}

/// Inline-button payloads. `callback_data` is user-forgeable: anything unknown is `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callback {
    SetLang(Lang),
    /// "Log out" under the profile: asks for confirmation.
    LogoutAsk,
    LogoutYes,
    LogoutNo,
    Unknown,
}

impl Callback {
    /// The wire form: short ASCII codes, far below Telegram's 64-byte limit.
    pub fn encode(self) -> String {
        match self {
            Callback::SetLang(l) => format!("lang:{}", l.code()),
            Callback::LogoutAsk => "logout".into(),
            Callback::LogoutYes => "logout:yes".into(),
            Callback::LogoutNo => "logout:no".into(),
            Callback::Unknown => "noop".into(),
        }
    }

    pub fn decode(data: &str) -> Callback {
        match data {
            "logout" => Callback::LogoutAsk,
            "logout:yes" => Callback::LogoutYes,
            "logout:no" => Callback::LogoutNo,
            _ => data
                .strip_prefix("lang:")
                .and_then(Lang::from_code)
                .map_or(Callback::Unknown, Callback::SetLang),
        }
    }
}

/// The answer of ERPNext to a read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Found(CustomerRecord),
    NotFound,
    /// ERPNext failed or was too slow; the user gets an apology.
    Unavailable,
}

/// Why a customer is re-read while linked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    WelcomeBack,
    Profile,
}

/// The outcome of writing the Telegram id into the customer's link field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteResult {
    Written,
    /// The field holds another Telegram id (re-read or ERPNext's unique check, 417).
    Clash,
    Unavailable,
}

/// Results of effects, fed back into `step`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// ERPNext's customer linked to this Telegram user (F2), and the input that prompted it.
    LinkLookup { result: Lookup, then: Input },
    /// The customer with the passport the user sent.
    PassportLookup(Lookup),
    /// The customer re-read for the contact check, with the phone the user shared.
    ContactCustomer { result: Lookup, phone: String },
    /// The link field was written (or not) for this customer.
    LinkWritten {
        record: CustomerRecord,
        result: WriteResult,
    },
    /// A linked customer re-read from ERPNext.
    Refreshed { result: Lookup, then: Refresh },
    /// The link field was cleared at logout (`false`: ERPNext failed).
    LinkCleared { ok: bool },
}
