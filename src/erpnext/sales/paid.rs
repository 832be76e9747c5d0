//! Paid totals per contract, summed by ERPNext, for the reminder planner and for the views that
//! show totals only (summary, upcoming payments, the contract list): one list request per batch
//! of contracts, grouped on the contract with `sum(..)` of the amounts, instead of reading every
//! allocation (one row per contract instead of one per payment).
//!
//! The same payments count as in [`ErpClient::payments`]: submitted (`docstatus = 1`)
//! `Receive` Payment Entries, either through their `Payment Entry Reference` rows pointing at
//! the contract or at the invoices made from it (summing `allocated_amount` per referenced
//! document; an invoice's sum is then shared between the orders it bills), or, where a link
//! field is configured, through that field (summing `paid_amount`, one row per entry); and
//! the credit notes against the contract's invoices.
//! References are grouped by referenced doctype and name, so an order and an invoice are
//! summed apart (Frappe's `validate_order_by_and_group_by` takes comma-separated columns).
//!
//! `frappe.client.get_list` takes `group_by` only since frappe#22969 (October 2023, in v14 and
//! v15 releases after it); an older site drops the argument silently, and the same fields then
//! make one row over the whole batch. A third field, `count(distinct <contract>)`, is 1 on
//! every grouped row and more on such a row: that batch is then summed from its allocations,
//! as before, so an old site gets right totals at the old cost. Frappe v16 refuses SQL
//! functions in `fields` altogether; there the allocations are summed from the first refusal
//! on ([`ErpClient::list_aggregate`]).

use std::collections::HashMap;

use serde_json::Value;

use super::{Fetch, count, money, text};
use crate::erpnext::Row;
use crate::erpnext::{ErpClient, ErpError, ListQuery};
use crate::format::money::Money;

/// What is paid on each contract of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaidTotals {
    /// By lower-cased name: ERPNext's database groups and matches names case-insensitively.
    by_name: HashMap<String, Money>,
}

impl PaidTotals {
    /// The paid total of `contract` (zero without payments).
    pub fn of(&self, contract: &str) -> Money {
        self.by_name.get(&contract.trim().to_lowercase()).copied().unwrap_or_default()
    }

    fn add(&mut self, contract: &str, amount: Money) {
        *self.by_name.entry(contract.trim().to_lowercase()).or_default() += amount;
    }
}

/// One row of the answer: `contract`, `paid`, `contracts` (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
struct PaidRow {
    /// The referenced doctype (an order or an invoice); `None` with a link field.
    doctype: Option<String>,
    contract: Option<String>,
    paid: Money,
    contracts: Option<i64>,
}

fn paid_row(row: Row) -> Option<PaidRow> {
    Some(PaidRow {
        doctype: text(&row, "doctype"),
        contract: text(&row, "contract"),
        paid: money(&row, "paid"),
        contracts: count(&row, "contracts"),
    })
}

/// The totals of a grouped answer; `None` when the answer was not grouped (or cannot be told
/// apart from one that was not).
fn grouped(rows: Vec<PaidRow>) -> Option<Vec<(Option<String>, String, Money)>> {
    if rows.iter().any(|r| r.contracts.is_none_or(|n| n > 1)) {
        return None;
    }
    // A row without a contract is the one row of an ungrouped answer over no payments.
    Some(rows.into_iter().filter_map(|r| Some((r.doctype, r.contract?, r.paid))).collect())
}

impl ErpClient {
    /// What is paid on each of `contracts`, one request per batch of names (a customer's
    /// handful, [`Fetch::Few`], or the reminder pass's thousands, [`Fetch::Bulk`]).
    pub async fn paid_totals(&self, contracts: &[String], fetch: Fetch) -> Result<PaidTotals, ErpError> {
        let targets = self.targets(contracts, fetch).await?;
        let s = self.sales();
        let mut totals = PaidTotals::default();
        for batch in fetch.batches(&targets.names()) {
            let answer = self.list_aggregate(&self.paid_query(batch), paid_row).await?;
            let sums = answer.and_then(|rows| {
                let sums = grouped(rows);
                if sums.is_none() {
                    tracing::warn!(
                        erp.doctype = %s.payment_doctype,
                        contracts = batch.len(),
                        "ERPNext ignored group_by (Frappe before frappe#22969); summing every allocation instead"
                    );
                }
                sums
            });
            match sums {
                Some(rows) => {
                    for (doctype, name, paid) in rows {
                        let doctype = doctype.as_deref().unwrap_or(&s.contract_doctype);
                        for (contract, share) in targets.resolve(s, doctype, &name, paid) {
                            totals.add(&contract, share);
                        }
                    }
                }
                None => {
                    self.sum_payments(&targets, batch, fetch, |contract, amount| totals.add(contract, amount)).await?
                }
            }
        }
        for credit in targets.invoices().credits() {
            totals.add(&credit.contract, credit.amount);
        }
        Ok(totals)
    }

    /// Paid per contract of `names`: at most one row per name and doctype, so one page of that
    /// many rows holds the answer.
    fn paid_query(&self, names: &[String]) -> ListQuery {
        let s = self.sales();
        let (table, key, amount) = match &s.payment_link_field {
            Some(link) => (&s.payment_doctype, link.as_str(), "paid_amount"),
            None => (&s.payment_reference_doctype, "reference_name", "allocated_amount"),
        };
        let contract = format!("`tab{table}`.`{key}`");
        let mut fields = vec![
            format!("{contract} as contract"),
            format!("sum(`tab{table}`.`{amount}`) as paid"),
            format!("count(distinct {contract}) as contracts"),
        ];
        // References are grouped by document: an order and an invoice apart, so a name may come
        // once per doctype asked for.
        let (group_by, rows) = match &s.payment_link_field {
            Some(_) => (contract.clone(), names.len()),
            None => {
                let doctype = format!("`tab{table}`.`reference_doctype`");
                fields.push(format!("{doctype} as doctype"));
                (format!("{doctype}, {contract}"), names.len() * 2)
            }
        };
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let in_list: Vec<Value> = names.iter().cloned().map(Value::from).collect();
        let mut query = ListQuery::new(&s.payment_doctype, &fields);
        match &s.payment_link_field {
            Some(link) => query = query.filter(link, "in", in_list),
            None => {
                let child = &s.payment_reference_doctype;
                let doctypes = vec![Value::from(s.contract_doctype.clone()), Value::from(s.invoice_doctype.clone())];
                query.filters.push(serde_json::json!([child, "reference_doctype", "in", doctypes]));
                query.filters.push(serde_json::json!([child, "reference_name", "in", in_list]));
            }
        }
        query
            .filter("docstatus", "=", 1)
            .filter("payment_type", "=", "Receive")
            .group_by(&group_by)
            .order_by(&format!("{group_by} asc"))
            .page_length(rows.max(1))
            .limit(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(answer: Value) -> Vec<PaidRow> {
        let rows = answer.as_array().cloned().unwrap_or_default();
        rows.into_iter().filter_map(|r| serde_json::from_value::<Row>(r).ok()).filter_map(paid_row).collect()
    }

    #[test]
    fn a_grouped_answer_gives_each_contract_its_total() {
        let answer = json!([
            {"contract": "SO-1", "paid": 150000.0, "contracts": 1},
            {"contract": "SO-2", "paid": "1250.50", "contracts": "1"},
            {"contract": "SO-3", "paid": 0.3, "contracts": 1, "doctype": "Sales Invoice"},
        ]);
        let want = vec![
            (None, "SO-1".into(), Money(15_000_000)),
            (None, "SO-2".into(), Money(125_050)),
            (Some("Sales Invoice".into()), "SO-3".into(), Money(30)),
        ];
        assert_eq!(grouped(rows(answer)), Some(want));
    }

    #[test]
    fn an_answer_over_several_contracts_in_one_row_was_not_grouped() {
        // What a site before frappe#22969 answers: the batch's sum in one row.
        assert_eq!(grouped(rows(json!([{"contract": "SO-1", "paid": 450.0, "contracts": 2}]))), None);
        // Without the count the answer cannot be checked.
        assert_eq!(grouped(rows(json!([{"contract": "SO-1", "paid": 450.0}]))), None);
        // One contract, or none, in one row: the same as the grouped answer.
        let one = rows(json!([{"contract": "SO-1", "paid": 450.0, "contracts": 1}]));
        assert_eq!(grouped(one), Some(vec![(None, "SO-1".into(), Money(45_000))]));
        assert_eq!(grouped(rows(json!([{"contract": null, "paid": null, "contracts": 0}]))), Some(vec![]));
    }

    #[test]
    fn totals_are_found_whatever_the_case_of_the_name() {
        let mut totals = PaidTotals::default();
        totals.add("SO-1", Money(100));
        totals.add("so-1 ", Money(50));
        assert_eq!((totals.of("SO-1"), totals.of("so-1"), totals.of("SO-2")), (Money(150), Money(150), Money::ZERO));
    }
}
