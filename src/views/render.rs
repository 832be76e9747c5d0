//! Pure rendering of the views as Telegram HTML: words from [`crate::i18n::words`], money
//! and dates from [`crate::format`], every dynamic value escaped, long texts split between
//! lines under Telegram's limit.

use chrono::NaiveDate;

use super::Screen;
use super::model::{Account, PerCurrency};
use crate::conversation::effect::InlineLabel;
use crate::conversation::{Callback, ContractRef, Keyboard};
use crate::erpnext::sales::{ContractDoc, ContractRow, OnAccount, PaymentRow};
use crate::format::split::{TELEGRAM_LIMIT, split_message};
use crate::format::{date, escape_html as esc, money, money::Money};
use crate::i18n::{self, Label, Lang, Msg, Words};
use crate::ledger::{self, Line, Status};

/// Contracts per page of the list.
pub const PAGE_SIZE: usize = 6;
/// How far ahead "upcoming" looks.
pub const UPCOMING_DAYS: i64 = 30;

fn screen(text: String, keyboard: Keyboard) -> Screen {
    Screen { chunks: split_message(&text, TELEGRAM_LIMIT), keyboard }
}

fn plain(lang: Lang, msg: Msg, keyboard: Keyboard) -> Screen {
    screen(i18n::render(lang, &msg), keyboard)
}

fn cash(amount: Money, currency: &str, lang: Lang) -> String {
    esc(&money::format(amount, currency, lang))
}

fn totals(sums: &PerCurrency, lang: Lang) -> String {
    let parts: Vec<String> = sums.0.iter().map(|(cur, m)| cash(*m, cur, lang)).collect();
    if parts.is_empty() { cash(Money::ZERO, "", lang) } else { parts.join(" + ") }
}

fn button(label: Label, cb: Callback) -> (InlineLabel, Callback) {
    (InlineLabel::Text(label), cb)
}

fn status_text(w: &Words, status: &Status) -> String {
    match status {
        Status::Paid => w.status_paid.to_owned(),
        Status::PartlyPaid => w.status_partly.to_owned(),
        Status::DueToday => w.status_due_today.to_owned(),
        Status::Overdue { days_late } => format!("{} {days_late} {}", w.status_overdue, w.days_short),
        Status::Upcoming => w.status_upcoming.to_owned(),
    }
}

/// `05.12.2026 — 1 250 000 so'm (overdue 3 d)`.
fn due_line(w: &Words, line: &Line, currency: &str, lang: Lang) -> String {
    let extra = match line.status {
        Status::Overdue { .. } | Status::DueToday => format!(" ({})", esc(&status_text(w, &line.status))),
        _ => String::new(),
    };
    format!("{} — {}{extra}", date::format(line.instalment.due_date), cash(line.remaining, currency, lang))
}

fn contract_title(w: &Words, row: &ContractRow) -> String {
    let dated = row.date.map(|d| format!(" {} {}", w.dated, date::format(d))).unwrap_or_default();
    format!("<b>{} {}</b>{dated}", w.contract, esc(&row.name))
}

pub fn contract_list(lang: Lang, accounts: &[Account], page: u16) -> Screen {
    if accounts.is_empty() {
        return plain(lang, Msg::NoContracts, Keyboard::None);
    }
    let w = i18n::words(lang);
    let pages = accounts.len().div_ceil(PAGE_SIZE);
    let page = usize::from(page).min(pages - 1);
    let mut text = format!("<b>{}</b>", w.contracts_title);
    if pages > 1 {
        text.push_str(&format!(" · {} {}/{pages}", w.page, page + 1));
    }
    let mut rows: Vec<Vec<(InlineLabel, Callback)>> = accounts
        .iter()
        .skip(page * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|a| {
            let emoji = match (a.row.status.as_str(), a.remaining().is_positive()) {
                (_, false) => "✅",
                ("Closed", _) => "🔒",
                _ => "📄",
            };
            let dated = a.row.date.map(date::format).unwrap_or_default();
            let label = format!("{emoji} {} · {dated}", a.row.name);
            vec![(InlineLabel::Raw(label), Callback::Contract(ContractRef::of(&a.row.name)))]
        })
        .collect();
    let mut nav = Vec::new();
    if page > 0 {
        nav.push(button(Label::Prev, Callback::Contracts { page: (page - 1) as u16 }));
    }
    if page + 1 < pages {
        nav.push(button(Label::Next, Callback::Contracts { page: (page + 1) as u16 }));
    }
    if !nav.is_empty() {
        rows.push(nav);
    }
    screen(text, Keyboard::Inline(rows))
}

pub fn contract_card(lang: Lang, doc: &ContractDoc, payments: &[PaymentRow], today: NaiveDate) -> Screen {
    let w = i18n::words(lang);
    let account = Account::new(doc.row.clone(), payments, &doc.schedule, today);
    let cur = doc.row.currency.as_str();
    let mut text = format!("📄 {}\n", contract_title(w, &doc.row));
    text.push_str(&format!("{}: {}\n", w.total, cash(account.row.total, cur, lang)));
    if doc.down_payment.is_positive() {
        text.push_str(&format!("{}: {}\n", w.down_payment, cash(doc.down_payment, cur, lang)));
    }
    text.push_str(&format!("{}: {}\n", w.paid, cash(account.paid, cur, lang)));
    text.push_str(&format!("{}: <b>{}</b>\n", w.remaining, cash(account.remaining(), cur, lang)));
    if let Some(next) = ledger::next_due(&account.lines) {
        text.push_str(&format!("{}: {}\n", w.next_payment, due_line(w, next, cur, lang)));
    }
    text.push_str(&format!("\n<b>{}</b>\n", w.products));
    text.push_str(&products(lang, doc));
    let r = ContractRef::of(&doc.row.name);
    let keyboard = Keyboard::Inline(vec![
        vec![
            button(Label::Schedule, Callback::Schedule(r.clone())),
            button(Label::Payments, Callback::Payments(r.clone())),
        ],
        vec![button(Label::Pdf, Callback::Pdf(r)), button(Label::Back, Callback::Contracts { page: 0 })],
    ]);
    screen(text, keyboard)
}

pub fn schedule(lang: Lang, doc: &ContractDoc, payments: &[PaymentRow], today: NaiveDate) -> Screen {
    let w = i18n::words(lang);
    let account = Account::new(doc.row.clone(), payments, &doc.schedule, today);
    let cur = doc.row.currency.as_str();
    let mut rows: Vec<[String; 5]> = vec![w.schedule_heads.map(str::to_owned)];
    for (n, line) in account.lines.iter().enumerate() {
        rows.push([
            (n + 1).to_string(),
            date::format(line.instalment.due_date),
            money::number(line.instalment.amount, cur, lang),
            money::number(line.paid, cur, lang),
            status_text(w, &line.status),
        ]);
    }
    let t = ledger::totals(&account.lines);
    let mut text = format!("<b>{}</b> · {}\n<pre>{}</pre>\n", w.schedule_title, esc(&doc.row.name), esc(&table(&rows)));
    text.push_str(&format!(
        "{}: {}\n{}: {}\n{}: <b>{}</b>",
        w.total,
        cash(t.amount, cur, lang),
        w.paid,
        cash(t.paid, cur, lang),
        w.remaining,
        cash(t.remaining, cur, lang)
    ));
    let back = Keyboard::Inline(vec![vec![button(Label::Back, Callback::Contract(ContractRef::of(&doc.row.name)))]]);
    screen(text, back)
}

/// Left-aligned text columns, right-aligned numbers, two spaces apart.
fn table(rows: &[[String; 5]]) -> String {
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..5).map(width).collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    let pad = " ".repeat(widths[c] - v.chars().count());
                    if c == 2 || c == 3 { format!("{pad}{v}") } else { format!("{v}{pad}") }
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn payment_line(p: &PaymentRow, currency: &str, lang: Lang, with_contract: bool) -> String {
    let w = i18n::words(lang);
    let mut parts =
        vec![p.date.map(date::format).unwrap_or_default(), format!("<b>{}</b>", cash(p.amount, currency, lang))];
    if let Some(mode) = &p.mode {
        parts.push(esc(mode));
    }
    parts.push(format!("{} {}", w.doc_no, esc(&p.name)));
    if with_contract {
        parts.push(if p.contract.is_empty() { w.on_account.to_owned() } else { esc(&p.contract) });
    }
    parts.join(" · ")
}

pub fn contract_payments(lang: Lang, doc: &ContractDoc, payments: &[PaymentRow]) -> Screen {
    let w = i18n::words(lang);
    let cur = doc.row.currency.as_str();
    let back = Keyboard::Inline(vec![vec![button(Label::Back, Callback::Contract(ContractRef::of(&doc.row.name)))]]);
    let mine: Vec<&PaymentRow> = payments.iter().filter(|p| p.contract == doc.row.name).collect();
    if mine.is_empty() {
        return plain(lang, Msg::NoPayments, back);
    }
    let mut text = format!("<b>{}</b> · {}\n", w.payments_title, esc(&doc.row.name));
    let shown = shown_payments(mine.into_iter(), |_| cur.to_owned());
    for p in &shown {
        text.push_str(&payment_line(p, cur, lang, false));
        text.push('\n');
    }
    let total: Money = shown.iter().map(|p| p.amount).sum();
    text.push_str(&format!("\n{}: <b>{}</b>", w.paid, cash(total, cur, lang)));
    screen(text, back)
}

/// The currency of money on account: as paid, else that of the customer's contracts when they
/// all share one.
fn credit_currency(credit: &OnAccount, contracts: &[ContractRow]) -> String {
    credit.currency.clone().unwrap_or_else(|| match contracts.split_first() {
        Some((first, rest)) if rest.iter().all(|c| c.currency == first.currency) => first.currency.clone(),
        _ => String::new(),
    })
}

/// Every payment, newest first: those allocated to contracts and the money kept on account
/// (marked so), summed per currency.
pub fn history(lang: Lang, contracts: &[ContractRow], payments: &[PaymentRow], credit: &[OnAccount]) -> Screen {
    if payments.is_empty() && credit.is_empty() {
        return plain(lang, Msg::NoPayments, Keyboard::None);
    }
    let w = i18n::words(lang);
    let on_account: std::collections::HashMap<&str, String> =
        credit.iter().map(|c| (c.payment.name.as_str(), credit_currency(c, contracts))).collect();
    let currency = |p: &PaymentRow| match contracts.iter().find(|c| c.name == p.contract) {
        Some(c) => c.currency.clone(),
        None if p.contract.is_empty() => on_account.get(p.name.as_str()).cloned().unwrap_or_default(),
        None => String::new(),
    };
    let mut listed: Vec<&PaymentRow> = payments.iter().chain(credit.iter().map(|c| &c.payment)).collect();
    // Posting order (date, then name), allocations before an on-account rest of one entry.
    listed.sort_by(|a, b| (a.date, &a.name, a.contract.is_empty()).cmp(&(b.date, &b.name, b.contract.is_empty())));
    let mut text = format!("<b>{}</b>\n", w.history_title);
    let mut sums = PerCurrency::default();
    for p in &shown_payments(listed.into_iter().rev(), currency) {
        let cur = currency(p);
        text.push_str(&payment_line(p, &cur, lang, true));
        text.push('\n');
        sums.add(&cur, p.amount);
    }
    text.push_str(&format!("\n{}: <b>{}</b>", w.paid, totals(&sums, lang)));
    screen(text, Keyboard::None)
}

pub fn upcoming(lang: Lang, accounts: &[Account], today: NaiveDate) -> Screen {
    if accounts.is_empty() {
        return plain(lang, Msg::NoContracts, Keyboard::None);
    }
    let w = i18n::words(lang);
    let horizon = today + chrono::Duration::days(UPCOMING_DAYS);
    let mut due: Vec<(&Account, &Line)> = accounts
        .iter()
        .flat_map(|a| a.lines.iter().map(move |l| (a, l)))
        .filter(|(_, l)| l.remaining.is_positive() && l.instalment.due_date <= horizon)
        .collect();
    if due.is_empty() {
        return plain(lang, Msg::NothingDue, Keyboard::None);
    }
    due.sort_by_key(|(a, l)| (l.instalment.due_date, a.row.name.clone(), l.instalment.idx));
    let mut text = format!("<b>{}</b>\n", w.upcoming_title);
    let mut sums = PerCurrency::default();
    let overdue: Vec<_> = due.iter().filter(|(_, l)| l.instalment.due_date < today).collect();
    let soon: Vec<_> = due.iter().filter(|(_, l)| l.instalment.due_date >= today).collect();
    for (title, group) in [(w.overdue, overdue), (w.due_soon, soon)] {
        if group.is_empty() {
            continue;
        }
        text.push_str(&format!("\n<b>{title}</b>\n"));
        for (a, l) in group {
            text.push_str(&format!("{} · {}\n", due_line(w, l, &a.row.currency, lang), esc(&a.row.name)));
            sums.add(&a.row.currency, l.remaining);
        }
    }
    text.push_str(&format!("\n{}: <b>{}</b>", w.total, totals(&sums, lang)));
    screen(text, Keyboard::None)
}

/// The `/start` summary. Money on account is the customer's: it is taken off what remains to
/// pay (per currency, never below zero) and named on a line of its own.
pub fn summary(lang: Lang, accounts: &[Account], credit: &[OnAccount]) -> Screen {
    if accounts.is_empty() && credit.is_empty() {
        return plain(lang, Msg::NoContracts, Keyboard::None);
    }
    let w = i18n::words(lang);
    let rows: Vec<ContractRow> = accounts.iter().map(|a| a.row.clone()).collect();
    let mut on_account = PerCurrency::default();
    for c in credit {
        let cur = credit_currency(c, &rows);
        on_account.add(&cur, money::round(c.payment.amount, &cur));
    }
    let mut remaining = PerCurrency::default();
    for a in accounts {
        remaining.add(&a.row.currency, a.remaining());
    }
    for (cur, held) in &on_account.0 {
        let left = remaining.0.entry(cur.clone()).or_default();
        *left = (*left - *held).max(Money::ZERO);
    }
    let mut text = format!(
        "{}: <b>{}</b>\n{}: <b>{}</b>",
        w.summary_contracts,
        accounts.len(),
        w.summary_remaining,
        totals(&remaining, lang)
    );
    if !on_account.is_zero() {
        text.push_str(&format!("\n{}: <b>{}</b>", w.summary_on_account, totals(&on_account, lang)));
    }
    let nearest = accounts
        .iter()
        .filter_map(|a| ledger::next_due(&a.lines).map(|l| (a, l)))
        .min_by_key(|(a, l)| (l.instalment.due_date, a.row.name.clone()));
    if let Some((a, l)) = nearest {
        text.push_str(&format!("\n{}: {}", w.summary_nearest, due_line(w, l, &a.row.currency, lang)));
    }
    screen(text, Keyboard::None)
}

pub fn pdf_caption(lang: Lang, doc: &ContractDoc) -> String {
    contract_title(i18n::words(lang), &doc.row)
}

mod lines;

use lines::{products, shown_payments};

#[cfg(test)]
mod tests;
