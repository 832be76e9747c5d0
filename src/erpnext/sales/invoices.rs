//! The Sales Invoices made from contracts, and what they change about what is paid.
//!
//! ERPNext's ordinary flow bills a Sales Order with `make_sales_invoice`; the invoice's items
//! keep the order in `Sales Invoice Item.sales_order`. When the invoice allocates the order's
//! advances, ERPNext moves each advance Payment Entry's reference from the order to the
//! invoice: `erpnext/accounts/utils.py` `update_reference_in_payment_entry` lowers (v15 and
//! later; older releases re-point) the Sales Order reference row by the allocated amount and
//! appends a `Sales Invoice` reference row with that amount, then
//! `clear_unallocated_reference_document_rows` drops the rows left at zero. Payments booked
//! later against the invoice reference it alone. So a contract's payments are the references
//! to the order **and** to every invoice made from it.
//!
//! An invoice may bill several orders: its allocations are shared between them in proportion
//! to the invoice's item amounts for each order, the rounding remainder to the last order.
//!
//! Credit notes (`is_return = 1`, negative `grand_total`) against those invoices lower what is
//! owed: they are found by their items' `sales_order` or by `return_against` naming one of the
//! invoices, and count as a credit on the contract (like a payment, shown as a credit note).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde_json::Value;

use super::{Fetch, date, money, text};
use crate::config::SalesSchema;
use crate::erpnext::{ErpClient, ErpError, Fields, ListQuery, Row};
use crate::format::money::{Money, clamp_i64};

/// Invoice rows per page: one row per invoice item.
const PAGE: usize = 500;

/// A credit note's credit on one contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credit {
    pub note: String,
    pub contract: String,
    pub date: Option<NaiveDate>,
    /// Positive: what the customer no longer owes.
    pub amount: Money,
}

/// One submitted invoice (or credit note) as far as the contracts are concerned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Invoice {
    name: String,
    is_return: bool,
    return_against: Option<String>,
    date: Option<NaiveDate>,
    grand_total: Money,
    /// Item amounts per contract (absolute values), in order of appearance.
    weights: BTreeMap<String, Money>,
}

/// The invoices of a set of contracts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Invoices {
    /// By lower-cased invoice name (ERPNext matches names case-insensitively).
    by_name: HashMap<String, Invoice>,
}

impl Invoices {
    /// The names of the invoices (not the credit notes) that payments can reference.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.by_name.values().filter(|i| !i.is_return).map(|i| i.name.clone()).collect();
        names.sort();
        names
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Whether `name` is one of these invoices.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(&name.trim().to_lowercase())
    }

    /// Shares `amount`, allocated to invoice `name`, between the contracts it bills; empty for
    /// an invoice that is not one of these.
    pub fn share(&self, name: &str, amount: Money) -> Vec<(String, Money)> {
        self.by_name.get(&name.trim().to_lowercase()).map(|i| split(amount, &i.weights)).unwrap_or_default()
    }

    /// The credit notes' credits per contract, oldest first.
    pub fn credits(&self) -> Vec<Credit> {
        let mut out = Vec::new();
        for note in self.by_name.values().filter(|i| i.is_return) {
            // A note without order links on its items takes those of the invoice it returns.
            let weights = match (&note.weights, &note.return_against) {
                (w, Some(against)) if w.is_empty() => {
                    self.by_name.get(&against.to_lowercase()).map(|i| i.weights.clone()).unwrap_or_default()
                }
                (w, _) => w.clone(),
            };
            for (contract, amount) in split(-note.grand_total, &weights) {
                out.push(Credit { note: note.name.clone(), contract, date: note.date, amount });
            }
        }
        out.sort_by(|a, b| (a.date, &a.note, &a.contract).cmp(&(b.date, &b.note, &b.contract)));
        out
    }

    fn add(&mut self, row: &Row, contracts: Option<&[String]>) {
        let Some(name) = text(row, "name") else { return };
        let invoice = self.by_name.entry(name.to_lowercase()).or_insert_with(|| Invoice {
            name: name.clone(),
            is_return: row.field("is_return").and_then(Value::as_i64).unwrap_or_default() == 1,
            return_against: text(row, "return_against"),
            date: date(row, "posting_date"),
            grand_total: money(row, "grand_total"),
            weights: BTreeMap::new(),
        });
        let Some(order) = text(row, "sales_order") else { return };
        // Only the contracts asked about: an invoice over another customer's order too must
        // not move money onto it (nor show it).
        let order = match contracts {
            Some(names) => match names.iter().find(|n| n.eq_ignore_ascii_case(&order)) {
                Some(n) => n.clone(),
                None => return,
            },
            None => order,
        };
        let amount = money(row, "item_amount");
        *invoice.weights.entry(order).or_default() += Money(amount.0.saturating_abs());
    }
}

/// Splits `amount` over `weights` in proportion, the remainder to the last share; an
/// invoice whose items carry no amounts splits evenly.
fn split(amount: Money, weights: &BTreeMap<String, Money>) -> Vec<(String, Money)> {
    let total: i128 = weights.values().map(|w| i128::from(w.0)).sum();
    let n = weights.len();
    let mut given = Money::ZERO;
    weights
        .iter()
        .enumerate()
        .map(|(i, (contract, weight))| {
            let share = if i + 1 == n {
                amount - given
            } else if total > 0 {
                Money(clamp_i64(i128::from(amount.0) * i128::from(weight.0) / total))
            } else {
                Money(amount.0 / n as i64)
            };
            given += share;
            (contract.clone(), share)
        })
        .collect()
}

impl ErpClient {
    /// The submitted invoices and credit notes made from `contracts` (by their items'
    /// `sales_order`), and the credit notes returning those invoices. One list request per
    /// batch, and one more only when there are invoices whose notes name no order.
    pub async fn invoices_of(&self, contracts: &[String], fetch: Fetch) -> Result<Invoices, ErpError> {
        let s = self.sales();
        let mut invoices = Invoices::default();
        for batch in fetch.batches(contracts) {
            let names: Vec<Value> = batch.iter().cloned().map(Value::from).collect();
            let mut query = invoice_query(s);
            query.filters.push(serde_json::json!([s.invoice_item_doctype, "sales_order", "in", names]));
            let add = |acc: &mut Invoices, row: Row| acc.add(&row, Some(batch));
            invoices = self.list_fold(&query, invoices, add).await?;
        }
        let billed = invoices.names();
        if billed.is_empty() {
            return Ok(invoices);
        }
        let mut notes = Invoices::default();
        for batch in fetch.batches(&billed) {
            let names: Vec<Value> = batch.iter().cloned().map(Value::from).collect();
            let query = invoice_query(s).filter("is_return", "=", 1).filter("return_against", "in", names);
            let add = |acc: &mut Invoices, row: Row| acc.add(&row, Some(contracts));
            notes = self.list_fold(&query, notes, add).await?;
        }
        // A note whose items name the order was read with the invoices already.
        for (key, note) in notes.by_name {
            invoices.by_name.entry(key).or_insert(note);
        }
        Ok(invoices)
    }

    /// The contracts billed by invoices `names` (a payment event's references).
    pub async fn invoices_named(&self, names: &[String]) -> Result<Invoices, ErpError> {
        let s = self.sales();
        let values: Vec<Value> = names.iter().cloned().map(Value::from).collect();
        let query = invoice_query(s).filter("name", "in", values);
        self.list_fold(&query, Invoices::default(), |acc, row: Row| acc.add(&row, None)).await
    }
}

/// Submitted invoices with their item rows joined (one row per item).
fn invoice_query(s: &SalesSchema) -> ListQuery {
    let item = format!("`tab{}`", s.invoice_item_doctype);
    let fields = [
        "name".to_owned(),
        "is_return".to_owned(),
        "return_against".to_owned(),
        "posting_date".to_owned(),
        "grand_total".to_owned(),
        format!("{item}.`sales_order` as sales_order"),
        format!("{item}.`amount` as item_amount"),
    ];
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let invoice = format!("`tab{}`", s.invoice_doctype);
    ListQuery::new(&s.invoice_doctype, &fields)
        .filter("docstatus", "=", 1)
        .order_by(&format!("{invoice}.`name` asc, {item}.`idx` asc"))
        .page_length(PAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(answer: Value) -> Vec<Row> {
        serde_json::from_value(answer).expect("rows")
    }

    fn invoices(answer: Value, contracts: &[&str]) -> Invoices {
        let contracts: Vec<String> = contracts.iter().map(|c| c.to_string()).collect();
        let mut out = Invoices::default();
        rows(answer).iter().for_each(|r| out.add(r, Some(&contracts)));
        out
    }

    #[test]
    fn an_invoice_over_two_orders_shares_its_payments_in_proportion_to_their_items() {
        let inv = invoices(
            json!([
                {"name": "SINV-1", "is_return": 0, "grand_total": 3000.0, "sales_order": "SO-1", "item_amount": 1000.0},
                {"name": "SINV-1", "is_return": 0, "grand_total": 3000.0, "sales_order": "SO-2", "item_amount": 2000.0},
            ]),
            &["SO-1", "SO-2"],
        );
        assert_eq!(inv.share("sinv-1", Money(100)), vec![("SO-1".into(), Money(33)), ("SO-2".into(), Money(67))]);
        assert_eq!(inv.share("SINV-9", Money(100)), vec![]);
        assert_eq!(inv.names(), vec!["SINV-1".to_owned()]);
    }

    #[test]
    fn an_invoice_never_moves_money_onto_an_order_not_asked_about() {
        let inv = invoices(
            json!([
                {"name": "SINV-1", "sales_order": "SO-1", "item_amount": 1000.0},
                {"name": "SINV-1", "sales_order": "SO-OTHER", "item_amount": 1000.0},
            ]),
            &["SO-1"],
        );
        assert_eq!(inv.share("SINV-1", Money(500)), vec![("SO-1".into(), Money(500))]);
    }

    #[test]
    fn a_credit_note_credits_the_orders_of_the_invoice_it_returns() {
        let inv = invoices(
            json!([
                {"name": "SINV-1", "is_return": 0, "grand_total": 6000.0, "sales_order": "SO-1", "item_amount": 6000.0},
                {"name": "SINV-RET-1", "is_return": 1, "return_against": "SINV-1", "posting_date": "2026-05-02",
                 "grand_total": -1500.0, "sales_order": null, "item_amount": -1500.0},
            ]),
            &["SO-1"],
        );
        let want = Credit {
            note: "SINV-RET-1".into(),
            contract: "SO-1".into(),
            date: NaiveDate::from_ymd_opt(2026, 5, 2),
            amount: Money(150_000),
        };
        assert_eq!(inv.credits(), vec![want]);
        assert_eq!(inv.names(), vec!["SINV-1".to_owned()], "a credit note takes no payments");
    }
}
