//! Every user-visible text, one module per language (`uz` Latin, `ru`, `en`).
//!
//! Handlers and the conversation speak in [`Msg`] and [`Label`] values; only this module turns
//! them into words. Dynamic values are HTML-escaped here, once, with [`crate::format::escape_html`].

mod en;
mod ru;
mod uz;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::format::money::{Money, Notation};

/// A language the bot speaks.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Uzbek, Latin script: the default for every `language_code` other than ru and en.
    Uz,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Uz, Lang::Ru, Lang::En];

    /// The first choice for a new user, from Telegram's `language_code` (`ru-RU` counts as ru).
    pub fn from_telegram(code: Option<&str>) -> Lang {
        let primary = code.unwrap_or_default().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "ru" => Lang::Ru,
            "en" => Lang::En,
            _ => Lang::Uz,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Uz => "uz",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// The profile as shown to its owner: identifiers already masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub name: String,
    pub passport_masked: String,
    pub phone_masked: Option<String>,
}

/// A message the bot can say. Values inside are raw; the renderer escapes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// First contact: who we are, then the passport question.
    Greeting,
    /// Asks for the passport series and number (with an example).
    AskPassport,
    /// The text is not a passport number; explains the format with an example.
    PassportFormat,
    /// No customer has this passport.
    PassportNotFound,
    /// The passport belongs to a customer already linked to another Telegram account.
    AlreadyLinked { support: Option<String> },
    /// Passport found: asks to share the phone number with the button.
    AskContact,
    /// A contact that is not the sender's own number was shared.
    ContactNotOwn,
    /// The shared number does not match the customer's phones in ERPNext.
    PhoneMismatch { support: Option<String> },
    /// A text or other message arrived while the contact button was expected.
    ContactExpected,
    /// Linking succeeded.
    Linked { profile: ProfileView },
    /// A linked customer came back.
    WelcomeBack { profile: ProfileView },
    /// The customer's profile.
    Profile { profile: ProfileView },
    /// Points at the menu keyboard.
    Menu,
    /// Commands and what they do.
    Help { support: Option<String> },
    /// Offers the language buttons.
    ChooseLanguage,
    /// Confirms a language change (in the new language).
    LanguageChanged,
    /// The support contact.
    ContactUs { support: Option<String> },
    /// Asks to confirm logging out.
    ConfirmLogout,
    /// The link was removed.
    LoggedOut,
    /// Logout was cancelled.
    LogoutCancelled,
    /// Too many failed passport or phone attempts; try again in so many minutes.
    TooManyAttempts { minutes: u64 },
    /// ERPNext is slow or down.
    ErpUnavailable,
    /// The chat's stored state could not be read; the conversation starts over.
    SessionReset,
    /// The link was removed in ERPNext: the customer must link again.
    LinkGone,
    /// The customer is disabled in ERPNext: no access until the shop enables it again.
    AccountDisabled { support: Option<String> },
    /// Free text the bot does not understand, from a linked customer.
    NotUnderstood,
    /// A photo, sticker or the like where a passport number (text) was expected.
    TextExpected,
    /// The bot only works in private chats.
    PrivateOnly,
    /// Callback alert: the button is outdated or not for this chat.
    ButtonExpired,
    /// Callback alert: something went wrong, try again.
    TryAgain,
    /// The customer has no submitted contracts.
    NoContracts,
    /// No payments recorded yet.
    NoPayments,
    /// Nothing overdue and nothing due in the next 30 days.
    NothingDue,
    /// A contract that is not (or no longer) the customer's.
    ContractUnavailable,
    /// ERPNext did not answer for the contract PDF: try again later.
    PdfUnavailable,
    /// The shop's print format for contracts is disabled or broken: ask the shop.
    PdfNotSetUp { support: Option<String> },
    /// The shop's ERPNext cannot make PDF documents: ask the shop.
    PdfCannotRender { support: Option<String> },
    /// The bot may not print contracts in the shop's ERPNext: ask the shop.
    PdfNotPermitted { support: Option<String> },
    /// F9: a payment was booked.
    PaymentReceived(PaymentNotice),
    /// F9: a booked payment was cancelled.
    PaymentCancelled(PaymentNotice),
    /// F9: a new contract was submitted.
    NewContract(ContractNotice),
    /// F9: a submitted contract amends (replaces) a cancelled one; carries the new schedule.
    ContractReplaced(ReplacedNotice),
    /// F9: a contract was cancelled in ERPNext.
    ContractCancelled { contract: String },
    /// F9: a payment, or the part of it not allocated to a contract, kept on the customer's
    /// account as credit.
    PaymentOnAccount(OnAccountNotice),
    /// F9: a payment kept on account was cancelled.
    PaymentOnAccountCancelled(OnAccountNotice),
    /// F8: instalments of one contract due soon, today, or overdue.
    Reminder(ReminderNotice),
    /// Reminders switched on.
    RemindersOn,
    /// Reminders switched off.
    RemindersOff,
}

/// A reminder: one contract, one kind, the instalments still owed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderNotice {
    pub kind: crate::ledger::reminder_kinds::Kind,
    pub contract: String,
    pub currency: String,
    /// (due date, amount still owed).
    pub lines: Vec<(NaiveDate, Money)>,
}

/// The figures of a payment notice, read from ERPNext at delivery time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentNotice {
    pub amount: Money,
    pub currency: String,
    pub contract: String,
    pub date: Option<NaiveDate>,
    /// The contract's balance after the event.
    pub remaining: Money,
    /// The next instalment still owed: due date and amount.
    pub next_due: Option<(NaiveDate, Money)>,
}

/// A contract replaced by its amendment: the old name, the new contract, its schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplacedNotice {
    pub replaced: String,
    pub contract: ContractNotice,
    /// Every instalment of the new schedule: due date and amount.
    pub schedule: Vec<(NaiveDate, Money)>,
}

/// Money kept on the customer's account, not allocated to a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnAccountNotice {
    /// What of this payment is on account.
    pub amount: Money,
    pub currency: String,
    pub date: Option<NaiveDate>,
    /// Everything on the customer's account as of this payment.
    pub credit: Money,
}

/// The figures of a new-contract notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractNotice {
    pub contract: String,
    pub currency: String,
    pub total: Money,
    pub first_due: Option<(NaiveDate, Money)>,
}

/// Words the views compose into cards and tables; one set per language.
pub struct Words {
    pub contracts_title: &'static str,
    pub contract: &'static str,
    pub dated: &'static str,
    pub total: &'static str,
    pub down_payment: &'static str,
    pub paid: &'static str,
    pub remaining: &'static str,
    pub next_payment: &'static str,
    pub products: &'static str,
    pub pcs: &'static str,
    pub imei: &'static str,
    pub note: &'static str,
    pub schedule_title: &'static str,
    pub payments_title: &'static str,
    pub history_title: &'static str,
    pub upcoming_title: &'static str,
    pub overdue: &'static str,
    pub due_soon: &'static str,
    pub status_paid: &'static str,
    pub status_partly: &'static str,
    pub status_due_today: &'static str,
    pub status_overdue: &'static str,
    pub status_upcoming: &'static str,
    pub days_short: &'static str,
    pub in_days: &'static str,
    pub summary_contracts: &'static str,
    pub summary_remaining: &'static str,
    pub summary_nearest: &'static str,
    /// Money on the customer's account, not allocated to a contract (summary line).
    pub summary_on_account: &'static str,
    /// Marks a payment kept on account in the history (where a contract would be named).
    pub on_account: &'static str,
    pub page: &'static str,
    pub doc_no: &'static str,
    /// Column heads of the schedule table: #, due date, amount, paid, status.
    pub schedule_heads: [&'static str; 5],
}

/// How a language writes amounts: thousands are grouped with spaces in every language; the
/// decimal mark and the name of the so'm differ.
pub struct NumberStyle {
    /// Between the whole units and the fraction: a comma in Uzbek and Russian, a point in English.
    pub decimal_mark: char,
    /// The so'm (UZS) written after the number.
    pub som: &'static str,
}

/// A button label, its words in each language's `label()`. Reply-keyboard presses arrive as
/// text and are mapped back to labels by `conversation::menu`, whose table places the labels
/// on the keyboards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    /// Switches reminders on or off.
    Reminders,
    MyContracts,
    Upcoming,
    PaymentHistory,
    Profile,
    Language,
    ContactUs,
    SharePhone,
    Cancel,
    Logout,
    LogoutYes,
    LogoutNo,
    Schedule,
    Payments,
    Pdf,
    Back,
    Prev,
    Next,
}

/// A bot command and its description, for `setMyCommands`.
pub struct CommandText {
    pub command: &'static str,
    pub description: &'static str,
}

/// Renders a message in a language, escaping every dynamic value.
pub fn render(lang: Lang, msg: &Msg) -> String {
    match lang {
        Lang::Uz => uz::text(msg),
        Lang::Ru => ru::text(msg),
        Lang::En => en::text(msg),
    }
}

pub fn label(lang: Lang, label: Label) -> &'static str {
    match lang {
        Lang::Uz => uz::label(label),
        Lang::Ru => ru::label(label),
        Lang::En => en::label(label),
    }
}

/// The words of the views in a language.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Uz => &uz::WORDS,
        Lang::Ru => &ru::WORDS,
        Lang::En => &en::WORDS,
    }
}

/// How amounts are written in a language.
pub fn number_style(lang: Lang) -> &'static NumberStyle {
    match lang {
        Lang::Uz => &uz::NUMBERS,
        Lang::Ru => &ru::NUMBERS,
        Lang::En => &en::NUMBERS,
    }
}

/// A language's way of writing amounts, for [`crate::format::money`]: money formatting asks for
/// it through its own trait and so needs nothing of this module (the dependency goes one way).
impl Notation for Lang {
    fn decimal_mark(self) -> char {
        number_style(self).decimal_mark
    }

    fn som(self) -> &'static str {
        number_style(self).som
    }
}

/// The commands menu shown by Telegram, per language.
pub fn commands(lang: Lang) -> &'static [CommandText] {
    match lang {
        Lang::Uz => uz::COMMANDS,
        Lang::Ru => ru::COMMANDS,
        Lang::En => en::COMMANDS,
    }
}

/// The name of a language in itself, for the language buttons.
pub fn language_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Uz => "🇺🇿 O'zbekcha",
        Lang::Ru => "🇷🇺 Русский",
        Lang::En => "🇬🇧 English",
    }
}

/// The support line appended to refusals, or nothing when no support phone is configured.
fn support_line(prefix: &str, support: &Option<String>) -> String {
    match support {
        Some(phone) => format!("\n{prefix} {}", crate::format::escape_html(phone)),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
