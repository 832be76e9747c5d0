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

/// A short, stable token for a contract name: `callback_data` holds at most 64 bytes while
/// ERPNext names may be longer (and contain `/`). Resolved against the customer's own
/// contracts remembered in the session, so a forged token names nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContractRef(String);

impl ContractRef {
    const LEN: usize = 11;

    /// The first 8 bytes of SHA-256 of the name, base64url: 11 characters.
    pub fn of(name: &str) -> ContractRef {
        use base64::Engine;
        use sha2::Digest;
        let digest = sha2::Sha256::digest(name.as_bytes());
        ContractRef(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..8]))
    }

    fn parse(token: &str) -> Option<ContractRef> {
        let ok = token.len() == Self::LEN && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| ContractRef(token.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The contract among `names` this token stands for.
    pub fn resolve<'a>(&self, names: &'a [String]) -> Option<&'a String> {
        names.iter().find(|n| ContractRef::of(n) == *self)
    }
}

/// Inline-button payloads. `callback_data` is user-forgeable: anything unknown is `Unknown`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// A page of the contract list.
    Contracts {
        page: u16,
    },
    /// A contract card.
    Contract(ContractRef),
    Schedule(ContractRef),
    Payments(ContractRef),
    Pdf(ContractRef),
    SetLang(Lang),
    /// "Log out" under the profile: asks for confirmation.
    LogoutAsk,
    LogoutYes,
    LogoutNo,
    Unknown,
}

impl Callback {
    /// The wire form: short ASCII codes, far below Telegram's 64-byte limit.
    pub fn encode(&self) -> String {
        match self {
            Callback::Contracts { page } => format!("cl:{page}"),
            Callback::Contract(r) => format!("c:{}", r.as_str()),
            Callback::Schedule(r) => format!("s:{}", r.as_str()),
            Callback::Payments(r) => format!("p:{}", r.as_str()),
            Callback::Pdf(r) => format!("d:{}", r.as_str()),
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
            _ => {
                let Some((kind, arg)) = data.split_once(':') else {
                    return Callback::Unknown;
                };
                let contract = ContractRef::parse(arg);
                let parsed = match kind {
                    "lang" => Lang::from_code(arg).map(Callback::SetLang),
                    "cl" => arg.parse().ok().map(|page| Callback::Contracts { page }),
                    "c" => contract.map(Callback::Contract),
                    "s" => contract.map(Callback::Schedule),
                    "p" => contract.map(Callback::Payments),
                    "d" => contract.map(Callback::Pdf),
                    _ => None,
                };
                parsed.unwrap_or(Callback::Unknown)
            }
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
    LinkWritten { record: CustomerRecord, result: WriteResult },
    /// A linked customer re-read from ERPNext.
    Refreshed { result: Lookup, then: Refresh },
    /// The link field was cleared at logout (`false`: ERPNext failed).
    LinkCleared { ok: bool },
    /// A view listed the customer's contracts: remember their names for the buttons.
    ContractsSeen(Vec<String>),
    /// The customer, re-read beside a view, is disabled in ERPNext: the view was not shown.
    AccountDisabled,
}

/// What a linked customer can look at; loaded and rendered by [`crate::views`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum View {
    /// Contracts count, remaining total, nearest payment (F2 welcome).
    Summary,
    /// A page of the contract list (F4).
    Contracts { page: u16 },
    /// A contract card (F4), by ERPNext name.
    Contract(String),
    /// A contract's payment schedule (F5).
    Schedule(String),
    /// A contract's payments (F6).
    Payments(String),
    /// Payments across all contracts (F6, from the menu).
    History,
    /// Overdue and due within 30 days (F7).
    Upcoming,
    /// The contract PDF.
    Pdf(String),
}
