//! The schedule rows a reminder pass did not list, summed by ERPNext: for each contract of a
//! batch, its rows due up to the latest listed date on days the pass did not list, as one
//! grouped row (sum, first and last due date, smallest amount). With the rows it listed, that
//! decides what remains on them in most cases ([`crate::ledger::remaining`]) at one row per
//! contract instead of one per instalment.
//!
//! Like the paid totals ([`super::paid`]), the answer carries `count(distinct parent)`, 1 on
//! every grouped row: a site that ignores `group_by` (Frappe before frappe#22969) answers one
//! row over the whole batch, and the batch then decides nothing from it ([`Outlines`] is
//! `None`); the planner reads those schedules row by row.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::{count, date, money, text};
use crate::erpnext::{ErpClient, ErpError, Fields, Row};
use crate::ledger::remaining::Outline;

/// The outlines of a batch's contracts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outlines {
    /// By lower-cased name (ERPNext's database groups names case-insensitively); `None`: a
    /// grouped row the bot could not read.
    by_name: HashMap<String, Option<Outline>>,
}

/// A contract's grouped row could not be read (a missing or malformed figure).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unreadable;

impl Outlines {
    /// The outline of `contract`'s unlisted rows: `Ok(None)` when it has none.
    pub fn of(&self, contract: &str) -> Result<Option<&Outline>, Unreadable> {
        match self.by_name.get(&contract.trim().to_lowercase()) {
            None => Ok(None),
            Some(Some(outline)) => Ok(Some(outline)),
            Some(None) => Err(Unreadable),
        }
    }
}

/// One grouped row: the contract, its outline when every figure is there, the distinct count.
fn outline_row(row: Row) -> Option<(Option<String>, Option<Outline>, Option<i64>)> {
    Some((text(&row, "contract"), outline_of(&row), count(&row, "contracts")))
}

fn outline_of(row: &Row) -> Option<Outline> {
    let figure = |field: &str| {
        let value = row.field(field).filter(|v| !v.is_null())?;
        whole_minor_units(value).then(|| money(row, field))
    };
    Some(Outline {
        sum: figure("amount")?,
        first: date(row, "first_due")?,
        last: date(row, "last_due")?,
        smallest: figure("smallest")?,
    })
}

/// Whether a figure has at most two decimals, as every amount has on a site that rounds to its
/// currency's precision (ERPNext does when it builds a schedule). Finer amounts would not add
/// up like the amounts rounded one by one, as the views and the row-by-row path take them: such
/// a contract is read row by row.
fn whole_minor_units(value: &Value) -> bool {
    let text = match value {
        Value::Number(n) if n.is_f64() => n.as_f64().map(|f| f.to_string()).unwrap_or_default(),
        Value::Number(_) => return true,
        Value::String(s) => s.trim().to_owned(),
        _ => return false,
    };
    if text.is_empty() || text.contains(['e', 'E']) {
        return false;
    }
    text.split_once('.').is_none_or(|(_, decimals)| decimals.trim_end_matches('0').len() <= 2)
}

/// The outlines of a grouped answer; `None` when it was not grouped (or cannot be told apart
/// from one that was not).
fn grouped(rows: Vec<(Option<String>, Option<Outline>, Option<i64>)>) -> Option<Outlines> {
    if rows.iter().any(|(_, _, n)| n.is_none_or(|n| n > 1)) {
        return None;
    }
    // A row without a contract is the one row of an ungrouped answer over no rows.
    let by_name = rows.into_iter().filter_map(|(c, o, _)| Some((c?.trim().to_lowercase(), o))).collect();
    Some(Outlines { by_name })
}

impl ErpClient {
    /// The outlines of `contracts` (one batch, one request): their schedule rows due up to
    /// `until` on days other than `listed`. `None` when ERPNext did not group the answer or
    /// refuses such lists ([`ErpClient::list_aggregate`]).
    pub async fn schedule_outlines(
        &self,
        contracts: &[String],
        listed: &[NaiveDate],
        until: NaiveDate,
    ) -> Result<Option<Outlines>, ErpError> {
        let s = self.sales();
        // Plain column names: the query reads one table, and Frappe's `extract_tables` takes a
        // table-qualified column inside `min(`/`max(` for a table of its own (it skips only
        // `count(`, `sum(`, `avg(` and a few others) and fails the request.
        let fields = [
            "parent as contract",
            "sum(payment_amount) as amount",
            "min(due_date) as first_due",
            "max(due_date) as last_due",
            "min(payment_amount) as smallest",
            "count(distinct parent) as contracts",
        ];
        let names: Vec<Value> = contracts.iter().cloned().map(Value::from).collect();
        let listed: Vec<Value> = listed.iter().map(|d| Value::from(d.format("%Y-%m-%d").to_string())).collect();
        // At most one row per name: a page one longer than the batch holds the answer (and
        // would show more rows than names, should a site group names differently).
        let mut query = crate::erpnext::ListQuery::new(&s.schedule_doctype, &fields)
            .filter("parenttype", "=", s.contract_doctype.as_str())
            .filter("parent", "in", names)
            .filter("due_date", "is", "set")
            .filter("due_date", "<=", until.format("%Y-%m-%d").to_string())
            .filter("due_date", "not in", listed)
            .group_by("parent")
            .order_by("parent asc")
            .page_length(contracts.len() + 1);
        query.parent = Some(s.contract_doctype.clone());
        let Some(rows) = self.list_aggregate(&query, outline_row).await? else { return Ok(None) };
        let outlines = grouped(rows);
        if outlines.is_none() {
            tracing::warn!(
                contracts = contracts.len(),
                "ERPNext ignored group_by (Frappe before frappe#22969); reading these schedules row by row"
            );
        }
        Ok(outlines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::money::Money;
    use serde_json::json;

    fn rows(answer: Value) -> Vec<(Option<String>, Option<Outline>, Option<i64>)> {
        let rows = answer.as_array().cloned().unwrap_or_default();
        rows.into_iter().filter_map(|r| serde_json::from_value::<Row>(r).ok()).filter_map(outline_row).collect()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, d).unwrap_or_default()
    }

    #[test]
    fn figures_finer_than_minor_units_are_not_trusted() {
        for (value, whole) in [
            (json!(1000), true),
            (json!(1000.5), true),
            (json!(1234567.89), true),
            (json!("200.010"), true),
            (json!(200.005), false),
            (json!("1e3"), false),
            (json!(""), false),
            (json!(true), false),
        ] {
            assert_eq!(whole_minor_units(&value), whole, "{value}");
        }
        let row = json!([{"contract": "SO-1", "amount": 200.01, "first_due": "2025-06-01", "last_due": "2025-06-02",
                          "smallest": 100.005, "contracts": 1}]);
        assert_eq!(grouped(rows(row)).expect("grouped").of("SO-1"), Err(Unreadable));
    }

    #[test]
    fn a_grouped_answer_gives_each_contract_its_outline() {
        let answer = json!([
            {"contract": "SO-1", "amount": 3000.5, "first_due": "2025-06-01", "last_due": "2025-06-10",
             "smallest": 1000.0, "contracts": 1},
            {"contract": "SO-2", "amount": null, "first_due": null, "last_due": null, "smallest": null, "contracts": 1},
        ]);
        let outlines = grouped(rows(answer)).expect("grouped");
        let want = Outline { sum: Money(300_050), first: day(1), last: day(10), smallest: Money(100_000) };
        assert_eq!(outlines.of("so-1"), Ok(Some(&want)));
        assert_eq!(outlines.of("SO-2"), Err(Unreadable), "a row without figures decides nothing");
        assert_eq!(outlines.of("SO-3"), Ok(None), "no row: no unlisted rows");
    }

    #[test]
    fn an_answer_over_several_contracts_in_one_row_was_not_grouped() {
        let row = |n: Value| {
            json!([{"contract": "SO-1", "amount": 10.0, "first_due": "2025-06-01", "last_due": "2025-06-02",
                    "smallest": 5.0, "contracts": n}])
        };
        assert_eq!(grouped(rows(row(json!(2)))), None);
        assert_eq!(grouped(rows(row(json!(null)))), None);
        assert!(grouped(rows(row(json!("1")))).is_some());
        let none = json!([{"contract": null, "amount": null, "first_due": null, "last_due": null,
                           "smallest": null, "contracts": 0}]);
        assert_eq!(grouped(rows(none)), Some(Outlines::default()));
    }
}
