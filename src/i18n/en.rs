//! English texts.

use super::{CommandText, Label, Msg, NumberStyle, ProfileView, Words, support_line};
use crate::format::escape_html as esc;
use crate::format::{date, money, money::Money};
use crate::ledger::reminder_kinds::Kind;

fn cash(amount: Money, currency: &str) -> String {
    esc(&money::format(amount, currency, super::Lang::En))
}

pub(super) const COMMANDS: &[CommandText] = &[
    CommandText { command: "start", description: "Start or show the welcome" },
    CommandText { command: "menu", description: "Show the main menu" },
    CommandText { command: "help", description: "What the bot can do" },
    CommandText { command: "lang", description: "Change the language" },
    CommandText { command: "logout", description: "Unlink this Telegram account" },
];

pub(super) const NUMBERS: NumberStyle = NumberStyle { decimal_mark: '.', som: "so'm" };

pub(super) const WORDS: Words = Words {
    contracts_title: "📄 Your contracts",
    contract: "Contract",
    dated: "of",
    total: "Total",
    down_payment: "Down payment",
    paid: "Paid",
    remaining: "Remaining",
    next_payment: "Next payment",
    products: "Products",
    pcs: "pcs",
    imei: "IMEI",
    note: "Note",
    schedule_title: "📅 Payment schedule",
    payments_title: "💳 Payments",
    history_title: "💳 Payment history",
    upcoming_title: "📅 Upcoming payments",
    overdue: "⚠️ Overdue",
    due_soon: "Due in the next 30 days",
    status_paid: "paid",
    status_partly: "partly paid",
    status_due_today: "due today",
    status_overdue: "overdue",
    status_upcoming: "upcoming",
    days_short: "d",
    in_days: "in",
    summary_contracts: "Contracts",
    summary_remaining: "Remaining to pay",
    summary_nearest: "Nearest payment",
    summary_on_account: "Credit on your account (not yet allocated, taken into account above)",
    on_account: "on account",
    page: "Page",
    doc_no: "No.",
    schedule_heads: ["#", "Due", "Amount", "Paid", "Status"],
};

pub(super) fn label(label: Label) -> &'static str {
    match label {
        Label::Reminders => "🔔 Reminders",
        Label::MyContracts => "📄 My contracts",
        Label::Upcoming => "📅 Upcoming payments",
        Label::PaymentHistory => "💳 Payment history",
        Label::Schedule => "📅 Schedule",
        Label::Payments => "💳 Payments",
        Label::Pdf => "📎 PDF",
        Label::Back => "⬅️ Back",
        Label::Prev => "◀️",
        Label::Next => "▶️",
        Label::Profile => "👤 Profile",
        Label::Language => "🌐 Language",
        Label::ContactUs => "☎️ Contact us",
        Label::SharePhone => "📱 Share my phone number",
        Label::Cancel => "✖️ Cancel",
        Label::Logout => "🚪 Log out",
        Label::LogoutYes => "Yes, log out",
        Label::LogoutNo => "No, stay",
    }
}

fn profile(p: &ProfileView) -> String {
    let phone = p.phone_masked.as_deref().map(esc).unwrap_or_else(|| "—".into());
    format!(
        "👤 <b>{}</b>\nPassport: <code>{}</code>\nPhone: <code>{}</code>",
        esc(&p.name),
        esc(&p.passport_masked),
        phone
    )
}

pub(super) fn text(msg: &Msg) -> String {
    match msg {
        Msg::Greeting => "👋 Welcome! This bot shows your instalment contracts, payment schedule and \
            payments, and reminds you before due dates.\n\nTo start, send your passport series and \
            number, for example <code>AA1234567</code>."
            .into(),
        Msg::AskPassport => "Please send your passport series and number, for example <code>AA1234567</code>.".into(),
        Msg::PassportFormat => "That does not look like a passport number. Send two letters and \
            seven digits, for example <code>AA1234567</code>."
            .into(),
        Msg::PassportNotFound => "We could not find a customer with this passport. Check the \
            number and try again."
            .into(),
        Msg::AlreadyLinked { support } => format!(
            "This passport is already linked to another Telegram account. If that is not you, \
             please contact us.{}",
            support_line("Support:", support)
        ),
        Msg::AskContact => "Thank you! Now confirm it is you: tap the button below to share \
            your phone number."
            .into(),
        Msg::ContactNotOwn => "Please share <b>your own</b> phone number with the button below.".into(),
        Msg::PhoneMismatch { support } => format!(
            "This phone number does not match the one in your contract.{}",
            support_line("If your number has changed, call us:", support)
        ),
        Msg::ContactExpected => "Please tap the button below to share your phone number, or \
            send /start to begin again."
            .into(),
        Msg::Linked { profile: p } => {
            format!("✅ Your account is linked.\n\n{}", profile(p))
        }
        Msg::WelcomeBack { profile: p } => {
            format!("👋 Welcome back, {}!\n\n{}", esc(&p.name), profile(p))
        }
        Msg::Profile { profile: p } => profile(p),
        Msg::Menu => "Choose an item from the menu below.".into(),
        Msg::Help { support } => format!(
            "I show your contracts and payments and remind you before due dates.\n\n\
             /start — welcome\n/menu — main menu\n/lang — language\n/logout — unlink this \
             account\n/help — this help{}",
            support_line("Support:", support)
        ),
        Msg::ChooseLanguage => "Choose your language:".into(),
        Msg::LanguageChanged => "Language set to English.".into(),
        Msg::ContactUs { support } => match support {
            Some(phone) => format!("☎️ Call us: {}", esc(phone)),
            None => "☎️ Please contact the shop where you signed your contract.".into(),
        },
        Msg::ConfirmLogout => "Unlink this Telegram account from your customer record?".into(),
        Msg::LoggedOut => "You have logged out. Send /start to link your account again.".into(),
        Msg::LogoutCancelled => "Fine, you stay logged in.".into(),
        Msg::TooManyAttempts { minutes } => {
            format!("Too many unsuccessful attempts. Please try again in {minutes} min.")
        }
        Msg::ErpUnavailable => "Sorry, our system is not answering right now. Please try again \
            later."
            .into(),
        Msg::SessionReset => "Sorry, we had to restart our conversation.".into(),
        Msg::LinkGone => "Your Telegram account is no longer linked to a customer record. \
            Please link it again."
            .into(),
        Msg::AccountDisabled { support } => format!(
            "Your customer account is disabled at the shop, so the bot cannot show \
            your contracts. Please contact the shop where you signed your contract.{}",
            support_line("Support:", support)
        ),
        Msg::NotUnderstood => "I did not understand that. Please use the menu below.".into(),
        Msg::TextExpected => "Please send your passport number as text, for example \
            <code>AA1234567</code>."
            .into(),
        Msg::PrivateOnly => "I only work in private chats. Please write to me directly.".into(),
        Msg::ButtonExpired => "This button is no longer valid.".into(),
        Msg::TryAgain => "Something went wrong, please try again.".into(),
        Msg::NoContracts => "You have no active contracts.".into(),
        Msg::NoPayments => "No payments recorded yet.".into(),
        Msg::NothingDue => "✅ Nothing is overdue and nothing falls due in the next 30 days.".into(),
        Msg::ContractUnavailable => "This contract is not available.".into(),
        Msg::PdfNotSetUp { support } => format!(
            "Sorry, the contract document is not set up in the shop's system yet, so \
            we cannot send it here. Please ask the shop for a copy of your contract.{}",
            support_line("Support:", support)
        ),
        Msg::PdfCannotRender { support } => format!(
            "Sorry, the shop's system cannot produce PDF documents at the moment, \
            and trying again will not help until the shop fixes it. Please ask the shop for a \
            copy of your contract.{}",
            support_line("Support:", support)
        ),
        Msg::PdfNotPermitted { support } => format!(
            "Sorry, this bot is not allowed to print contracts in the shop's \
            system. Please ask the shop for a copy of your contract.{}",
            support_line("Support:", support)
        ),
        Msg::PdfUnavailable => {
            "Sorry, the contract document cannot be produced right now. Please try again later.".into()
        }
        Msg::PaymentReceived(n) => {
            let mut t = format!(
                "✅ <b>Payment received</b>\nAmount: <b>{}</b>\nContract: {}\n",
                cash(n.amount, &n.currency),
                esc(&n.contract)
            );
            if let Some(d) = n.date {
                t.push_str(&format!("Date: {}\n", date::format(d)));
            }
            t.push_str(&format!("Remaining balance: <b>{}</b>", cash(n.remaining, &n.currency)));
            if let Some((d, m)) = n.next_due {
                t.push_str(&format!("\nNext payment: {} — {}", date::format(d), cash(m, &n.currency)));
            }
            t.push_str("\n\nThank you!");
            t
        }
        Msg::PaymentCancelled(n) => format!(
            "⚠️ <b>Payment cancelled</b>\nA payment of {} on contract {} was cancelled by the shop.\nRemaining balance: <b>{}</b>",
            cash(n.amount, &n.currency),
            esc(&n.contract),
            cash(n.remaining, &n.currency)
        ),
        Msg::ContractReplaced(n) => {
            let mut t = format!(
                "📄 <b>Contract updated</b>\nContract {} was replaced by contract {}.\nTotal: <b>{}</b>",
                esc(&n.replaced),
                esc(&n.contract.contract),
                cash(n.contract.total, &n.contract.currency)
            );
            if !n.schedule.is_empty() {
                t.push_str("\n\nNew payment schedule:");
                for (d, m) in &n.schedule {
                    t.push_str(&format!("\n{} — {}", date::format(*d), cash(*m, &n.contract.currency)));
                }
            }
            t
        }
        Msg::ContractCancelled { contract } => format!(
            "⚠️ <b>Contract cancelled</b>\nContract {} was cancelled by the shop. If it is being corrected, you will receive the new one in a separate message.",
            esc(contract)
        ),
        Msg::PaymentOnAccount(n) => {
            let mut t = format!("✅ <b>Payment received</b>\nAmount: <b>{}</b>\n", cash(n.amount, &n.currency));
            if let Some(d) = n.date {
                t.push_str(&format!("Date: {}\n", date::format(d)));
            }
            t.push_str(&format!(
                "The payment is kept on your account as credit and is not yet allocated to a contract.\nCredit on your account: <b>{}</b>\n\nThank you!",
                cash(n.credit, &n.currency)
            ));
            t
        }
        Msg::PaymentOnAccountCancelled(n) => format!(
            "⚠️ <b>Payment cancelled</b>\nA payment of {} kept on your account was cancelled by the shop.\nCredit on your account: <b>{}</b>",
            cash(n.amount, &n.currency),
            cash(n.credit, &n.currency)
        ),
        Msg::NewContract(n) => {
            let mut t =
                format!("📄 <b>New contract</b> {}\nTotal: <b>{}</b>", esc(&n.contract), cash(n.total, &n.currency));
            if let Some((d, m)) = n.first_due {
                t.push_str(&format!("\nFirst payment: {} — {}", date::format(d), cash(m, &n.currency)));
            }
            t
        }
        Msg::Reminder(n) => {
            let when = match n.kind {
                Kind::Before(d) => format!("Due in {d} day{}", if d == 1 { "" } else { "s" }),
                Kind::DueToday => "Due today".to_owned(),
                Kind::Overdue(d) => format!("Overdue by {d} day{}", if d == 1 { "" } else { "s" }),
            };
            let mut t = format!("⏰ <b>Payment reminder</b>\nContract: {}\n{when}:\n", esc(&n.contract));
            for (due, owed) in &n.lines {
                t.push_str(&format!("• {} — <b>{}</b>\n", date::format(*due), cash(*owed, &n.currency)));
            }
            t.push_str("\nPlease pay on time. If you have already paid, thank you — ignore this message.");
            t
        }
        Msg::RemindersOn => "🔔 Reminders are on: we will remind you before due dates.".into(),
        Msg::RemindersOff => "🔕 Reminders are off. You can switch them on again in the menu.".into(),
    }
}
