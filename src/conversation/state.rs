//! What the bot remembers about a chat between updates.

use serde::{Deserialize, Serialize};

use crate::i18n::{Lang, ProfileView};

/// Everything stored for one chat. Serialised into the chat's Redis hash by the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chat {
    /// The Telegram user (in a private chat, also the chat id).
    pub user_id: i64,
    pub state: State,
    pub lang: Lang,
    /// Unix times (seconds) of failed passport or phone attempts inside the current window.
    pub failures: Vec<i64>,
    /// The customer switched reminders off (F8).
    pub reminders_off: bool,
}

impl Chat {
    /// A chat we know nothing about yet.
    pub fn new(user_id: i64, lang: Lang) -> Self {
        Self { user_id, state: State::New, lang, failures: Vec::new(), reminders_off: false }
    }
}

/// Where the conversation stands.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum State {
    /// No session is stored: the chat is new, logged out, or Redis lost its data. The next
    /// input first asks ERPNext whether this Telegram user is linked (F2 auto-login).
    New,
    /// The bot asked for the passport. Leaves on a found passport (to `AwaitingContact`, or to
    /// `Linked` when the phone step is off).
    AwaitingPassport,
    /// The passport matched `customer` (its ERPNext name); the bot waits for the user's own
    /// contact. Leaves to `Linked` on a matching phone, back to `AwaitingPassport` on /start.
    AwaitingContact { customer: String },
    /// Linked to an ERPNext customer.
    Linked(Session),
    /// Linked, and the bot asked whether to log out. Yes clears the link; anything else stays.
    ConfirmingLogout(Session),
}

/// A linked customer as remembered between updates: the ERPNext name and what the profile
/// shows. Passport and phone are stored masked only.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub customer: String,
    pub name: String,
    pub passport_masked: String,
    pub phone_masked: Option<String>,
    /// Names of the customer's contracts as last listed: contract buttons resolve against
    /// these, so a forged button names nothing.
    #[serde(default)]
    pub contracts: Vec<String>,
}

impl Session {
    /// The same session with fresh customer data, keeping what the chat learnt.
    pub fn refreshed(&self, fresh: Session) -> Session {
        Session { contracts: self.contracts.clone(), ..fresh }
    }

    pub fn profile(&self) -> ProfileView {
        ProfileView {
            name: self.name.clone(),
            passport_masked: self.passport_masked.clone(),
            phone_masked: self.phone_masked.clone(),
        }
    }
}

/// A Customer as read from ERPNext, for one update only (never stored: it holds the passport
/// and phone numbers in full). Its `Debug` masks them.
#[derive(Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    /// The ERPNext document name (e.g. `CUST-00042`).
    pub name: String,
    pub display_name: String,
    pub passport: Option<String>,
    /// Every configured phone field that holds a value.
    pub phones: Vec<String>,
    /// The Telegram user id in the link field, if any.
    pub telegram_id: Option<String>,
    /// Disabled in ERPNext (`Customer.disabled`): no access, no notices, no reminders.
    pub disabled: bool,
}

impl CustomerRecord {
    pub fn is_linked_to(&self, user_id: i64) -> bool {
        self.telegram_id.as_deref().map(str::trim) == Some(user_id.to_string().as_str())
    }

    pub fn is_linked_elsewhere(&self, user_id: i64) -> bool {
        self.telegram_id.as_deref().is_some_and(|t| !t.trim().is_empty()) && !self.is_linked_to(user_id)
    }

    /// The session kept for a customer linked to this chat.
    pub fn session(&self) -> Session {
        use crate::format::mask;
        Session {
            customer: self.name.clone(),
            name: if self.display_name.trim().is_empty() { self.name.clone() } else { self.display_name.clone() },
            passport_masked: self.passport.as_deref().map(mask::passport).unwrap_or_default(),
            phone_masked: self.phones.first().map(|p| mask::phone(p)),
            contracts: Vec::new(),
        }
    }
}

impl std::fmt::Debug for CustomerRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::format::mask;
        f.debug_struct("CustomerRecord")
            .field("name", &self.name)
            .field("passport", &self.passport.as_deref().map(mask::passport))
            .field("phones", &self.phones.iter().map(|p| mask::phone(p)).collect::<Vec<_>>())
            .field("telegram_id", &self.telegram_id)
            .field("disabled", &self.disabled)
            .finish()
    }
}
