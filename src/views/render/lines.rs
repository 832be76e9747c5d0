//! The lines of a view that make up a total, as shown: product lines that add up to the
//! contract total, payments that add up to the paid total under them — each list rounded
//! together, the last line taking the remainder ([`money::fit`]).

use super::{cash, esc};
use crate::erpnext::sales::{ContractDoc, PaymentRow};
use crate::format::{money, money::Money};
use crate::i18n::{self, Lang};
use crate::ledger::{self, ItemAmount};

/// Product lines as the customer pays for them: what the total holds beyond the lines (a
/// mark-up booked as a charge row) spread over them, their shown totals adding up to the
/// contract total, the last line taking the rounding remainder (ERPNEXT.md). A line of one
/// shows its price alone.
pub(super) fn products(lang: Lang, doc: &ContractDoc) -> String {
    let w = i18n::words(lang);
    let cur = doc.row.currency.as_str();
    let amounts: Vec<ItemAmount> = doc.items.iter().map(|i| ItemAmount { qty: i.qty, amount: i.amount }).collect();
    let priced = ledger::price_lines(&amounts, doc.markup);
    let exact: Vec<Money> = priced.iter().map(|p| p.line_total).collect();
    let shown = money::fit(&exact, exact.iter().sum(), cur);
    let mut out = String::new();
    for (n, ((item, price), total)) in doc.items.iter().zip(priced).zip(shown).enumerate() {
        let figures = if item.qty == 1.0 {
            cash(total, cur, lang)
        } else {
            let unit = cash(price.unit_price, cur, lang);
            format!("{unit} × {} {} = {}", qty(item.qty), w.pcs, cash(total, cur, lang))
        };
        out.push_str(&format!("{}. {}\n    {figures}\n", n + 1, esc(&item.item_name)));
        if let Some(imei) = &item.imei {
            out.push_str(&format!("    {}: <code>{}</code>\n", w.imei, esc(imei)));
        }
        if let Some(note) = &item.notes {
            out.push_str(&format!("    {}: {}\n", w.note, esc(note)));
        }
    }
    out
}

fn qty(q: f64) -> String {
    if q.fract() == 0.0 { format!("{q:.0}") } else { format!("{q}") }
}

/// Payments as listed, with their shown amounts: per currency, the last one listed takes the
/// rounding remainder, so that the listed amounts add up to the paid total under them.
pub(super) fn shown_payments<'a>(
    listed: impl Iterator<Item = &'a PaymentRow>,
    currency: impl Fn(&PaymentRow) -> String,
) -> Vec<PaymentRow> {
    let mut shown: Vec<PaymentRow> = listed.cloned().collect();
    let currencies: Vec<String> = shown.iter().map(&currency).collect();
    let mut distinct = currencies.clone();
    distinct.sort();
    distinct.dedup();
    for cur in &distinct {
        let at: Vec<usize> = (0..shown.len()).filter(|&i| currencies[i] == *cur).collect();
        let exact: Vec<Money> = at.iter().map(|&i| shown[i].amount).collect();
        for (&i, amount) in at.iter().zip(money::fit(&exact, exact.iter().sum(), cur)) {
            shown[i].amount = amount;
        }
    }
    shown
}
