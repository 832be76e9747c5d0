//! The contract side of ERPNext: Sales Orders with their items and payment schedule, and the
//! Payment Entries against them — read with explicit fields, in batches, page by page.
//!
//! Payments are found through `Payment Entry Reference` rows pointing at the Sales Order or at
//! the Sales Invoices made from it ([`invoices`], [`payments`]), or, where configured, through
//! a link field on Payment Entry. The views list them ([`ErpClient::payments_for`]); the
//! reminder planner needs only each contract's total, which ERPNext sums ([`paid`]), and the
//! sums of the schedule rows it did not list ([`schedule_outlines`]).

mod invoices;
mod paid;
mod payments;
mod schedule_outlines;

pub use invoices::{Credit, Invoices};
pub use paid::PaidTotals;
pub use payments::OnAccount;
pub use schedule_outlines::Outlines;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::query::{BULK_IN_BYTES, batches};
use super::{ErpClient, ErpError, Fields, ListQuery, Row};
use crate::config::SalesSchema;
use crate::format::{date::parse_erp_date, money::Money};
use crate::ledger::Instalment;

/// Names per `in` filter and rows per page for a customer's handful of contracts.
const IN_BATCH: usize = 40;
const PAGE: usize = 100;
/// Rows per page of bulk lists: the due rows of a reminder pass, and payments read in bulk.
const BULK_PAGE: usize = 1000;
/// Rows per page of a batch's schedule rows: a few per contract, small rows.
const SCHEDULE_PAGE: usize = 10_000;

/// How a list is batched and paged: for a customer's handful of contracts (the views), or in
/// bulk (the reminder pass).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetch {
    Few,
    Bulk,
}

impl Fetch {
    /// The `in` filters `names` are read in: a few dozen names for the views, as many as
    /// [`BULK_IN_BYTES`] hold in bulk.
    fn batches(self, names: &[String]) -> Vec<&[String]> {
        match self {
            Fetch::Few => names.chunks(IN_BATCH).collect(),
            Fetch::Bulk => batches(names, String::as_str, BULK_IN_BYTES),
        }
    }

    fn page(self) -> usize {
        if self == Fetch::Few { PAGE } else { BULK_PAGE }
    }
}

/// A contract as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractRow {
    pub name: String,
    pub customer: String,
    pub date: Option<NaiveDate>,
    pub status: String,
    pub currency: String,
    pub total: Money,
}

/// A contract with its child tables.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractDoc {
    pub row: ContractRow,
    pub docstatus: i64,
    /// The contract this one amends (`amended_from`: cancelled, then amended as `X-1`).
    pub amended_from: Option<String>,
    pub markup: Money,
    pub down_payment: Money,
    pub items: Vec<ItemLine>,
    pub schedule: Vec<Instalment>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ItemLine {
    pub item_name: String,
    pub qty: f64,
    pub rate: Money,
    pub amount: Money,
    pub imei: Option<String>,
    pub notes: Option<String>,
}

/// One payment allocated to one contract.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentRow {
    pub name: String,
    pub contract: String,
    pub date: Option<NaiveDate>,
    pub mode: Option<String>,
    pub amount: Money,
    pub reference_no: Option<String>,
    /// A credit note's credit rather than a payment.
    pub credit: bool,
}

/// A Payment Entry as the event worker reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentDoc {
    pub name: String,
    pub docstatus: i64,
    pub party_type: String,
    pub party: String,
    /// `Receive` (the customer pays), `Pay` (a refund to them) or `Internal Transfer`.
    pub payment_type: String,
    pub amount: Money,
    /// What is not allocated to any document: the customer's credit on account.
    pub unallocated: Money,
    pub date: Option<NaiveDate>,
    pub mode: Option<String>,
    pub reference_no: Option<String>,
    /// The currency the customer paid in (`paid_from_account_currency`).
    pub currency: Option<String>,
    /// Contracts the payment is allocated to (invoices brought back to their orders), with the
    /// allocated amount.
    pub contracts: Vec<(String, Money)>,
}

impl ErpClient {
    fn sales(&self) -> &SalesSchema {
        &self.schema().sales
    }

    fn contract_fields(&self) -> Vec<String> {
        let s = self.sales();
        let mut f = vec![
            "name",
            "customer",
            "transaction_date",
            "status",
            "currency",
            "docstatus",
            "grand_total",
            "rounded_total",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        // Optional: left out of the query where the site lacks it (`super::columns`).
        if let Some(total) = s.total_field.as_ref().filter(|t| !f.contains(t)) {
            f.push(total.clone());
        }
        f
    }

    /// The customer's submitted contracts, newest first.
    pub async fn contracts_of(&self, customer: &str) -> Result<Vec<ContractRow>, ErpError> {
        let fields = self.contract_fields();
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let query = ListQuery::new(&self.sales().contract_doctype, &fields)
            .filter("customer", "=", customer)
            .filter("docstatus", "=", 1)
            .order_by("transaction_date desc, name desc")
            .page_length(PAGE);
        let rows: Vec<Row> = self.list(&query).await?;
        Ok(rows.iter().map(|r| contract_row(self.sales(), r)).collect())
    }

    /// The customer's submitted contracts with their schedule rows, in one list request: the
    /// schedule joined as child-table columns (one row per instalment; a contract without
    /// schedule rows comes once, with empty columns), newest contract first, rows by due date.
    pub async fn contracts_with_schedules(
        &self,
        customer: &str,
    ) -> Result<(Vec<ContractRow>, Vec<(String, Instalment)>), ErpError> {
        let s = self.sales();
        let (parent, child) = self.joined_tables();
        let order = format!(
            "{parent}.`transaction_date` desc, {parent}.`name` desc, {child}.`due_date` asc, {child}.`idx` asc"
        );
        let query = self
            .joined_query(self.contract_fields())
            .filter("customer", "=", customer)
            .filter("docstatus", "=", 1)
            .order_by(&order)
            .page_length(PAGE * 5);
        let rows: Vec<Row> = self.list(&query).await?;
        let mut contracts: Vec<ContractRow> = Vec::new();
        let mut schedules = Vec::new();
        for r in &rows {
            let (row, instalment) = joined_row(s, r);
            if let Some(instalment) = instalment {
                schedules.push((row.name.clone(), instalment));
            }
            if contracts.last().is_none_or(|c| c.name != row.name) {
                contracts.push(row);
            }
        }
        Ok((contracts, schedules))
    }

    /// The contract and schedule tables as Frappe names them in a joined query.
    fn joined_tables(&self) -> (String, String) {
        let s = self.sales();
        (format!("`tab{}`", s.contract_doctype), format!("`tab{}`", s.schedule_doctype))
    }

    /// A contract list of `fields` with the schedule joined as child-table columns (one row per
    /// instalment).
    fn joined_query(&self, mut fields: Vec<String>) -> ListQuery {
        let (_, child) = self.joined_tables();
        fields.extend([
            format!("{child}.`idx` as schedule_idx"),
            format!("{child}.`due_date` as schedule_due_date"),
            format!("{child}.`payment_amount` as schedule_amount"),
        ]);
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        ListQuery::new(&self.sales().contract_doctype, &fields)
    }

    /// One contract with items and schedule; `None` when it does not exist.
    pub async fn contract(&self, name: &str) -> Result<Option<ContractDoc>, ErpError> {
        match self.get_doc::<Map<String, Value>>(&self.sales().contract_doctype, name).await {
            Ok(doc) => Ok(Some(contract_doc(self.sales(), &doc))),
            Err(ErpError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The schedule rows due up to `until` of many contracts (reminders: later rows do not
    /// change what is owed on earlier ones), by lower-cased contract name (ERPNext matches names
    /// case-insensitively), gathered page by page.
    pub async fn schedules_until(
        &self,
        contracts: &[String],
        until: NaiveDate,
    ) -> Result<HashMap<String, Vec<Instalment>>, ErpError> {
        let mut all: HashMap<String, Vec<Instalment>> = HashMap::new();
        for batch in Fetch::Bulk.batches(contracts) {
            let names: Vec<Value> = batch.iter().cloned().map(Value::from).collect();
            let query = self
                .schedule_query()
                .filter("parent", "in", names)
                .filter("due_date", "<=", until.format("%Y-%m-%d").to_string())
                .page_length(SCHEDULE_PAGE);
            let add = |all: &mut HashMap<String, Vec<Instalment>>, r: Row| {
                if let (Some(parent), Some(row)) = (text(&r, "parent"), instalment(&r)) {
                    all.entry(parent.to_lowercase()).or_default().push(row);
                }
            };
            all = self.list_fold(&query, all, add).await?;
        }
        Ok(all)
    }

    /// Schedule rows of submitted contracts due on any of `dates`, each with what a reminder
    /// names of its contract (name, customer, currency; no status, date or totals): the Sales
    /// Order list filtered on the joined `Payment Schedule` rows, in pages. One request per page
    /// gives both the due rows and their contracts.
    pub async fn contracts_due(&self, dates: &[NaiveDate]) -> Result<Vec<(ContractRow, Vec<Instalment>)>, ErpError> {
        let s = self.sales();
        let (parent, child) = self.joined_tables();
        let dates: Vec<Value> = dates.iter().map(|d| Value::from(d.format("%Y-%m-%d").to_string())).collect();
        let mut query = self.joined_query(["name", "customer", "currency"].map(String::from).to_vec());
        query.filters.push(serde_json::json!([s.schedule_doctype, "due_date", "in", dates]));
        let query = query
            .filter("docstatus", "=", 1)
            .order_by(&format!("{parent}.`name` asc, {child}.`idx` asc"))
            .page_length(BULK_PAGE);
        // Rows come by contract: a contract's rows are merged as they arrive (and once more
        // after sorting, should a site not keep that order, so no contract is planned twice).
        let merge = |due: &mut Vec<(ContractRow, Vec<Instalment>)>, r: Row| {
            let (contract, Some(instalment)) = joined_row(s, &r) else { return };
            match due.last_mut() {
                Some((last, rows)) if last.name == contract.name => rows.push(instalment),
                _ => due.push((contract, vec![instalment])),
            }
        };
        let mut due = self.list_fold(&query, Vec::new(), merge).await?;
        due.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        due.dedup_by(|later, kept| {
            let same = later.0.name == kept.0.name;
            if same {
                kept.1.append(&mut later.1);
            }
            same
        });
        // Offset paging over a list that changes meanwhile can return a row twice.
        for (_, rows) in &mut due {
            rows.sort_by_key(|r| (r.due_date, r.idx));
            rows.dedup_by_key(|r| (r.due_date, r.idx));
        }
        Ok(due)
    }

    fn schedule_query(&self) -> ListQuery {
        let s = self.sales();
        let mut query = ListQuery::new(&s.schedule_doctype, &["parent", "idx", "due_date", "payment_amount"])
            .filter("parenttype", "=", s.contract_doctype.as_str())
            .order_by("due_date asc, idx asc");
        query.parent = Some(s.contract_doctype.clone());
        query
    }
}

fn text(doc: &impl Fields, field: &str) -> Option<String> {
    match doc.field(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn money(doc: &impl Fields, field: &str) -> Money {
    doc.field(field).map(Money::from_json).unwrap_or_default()
}

/// A count of a grouped answer (a number, or a numeric string from some drivers).
fn count(doc: &impl Fields, field: &str) -> Option<i64> {
    match doc.field(field)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn date(doc: &impl Fields, field: &str) -> Option<NaiveDate> {
    doc.field(field).and_then(Value::as_str).and_then(parse_erp_date)
}

/// The contract total: what ERPNext's payment schedule must add up to, `rounded_total or
/// grand_total` (erpnext/controllers/accounts_controller.py,
/// `AccountsController.validate_payment_schedule_amount`), so the total, the schedule and the
/// payments against it agree. A mark-up is always inside it: in the item rates or as a charge
/// row. The configured total field only stands in on documents without ERPNext's totals.
fn contract_total(s: &SalesSchema, doc: &impl Fields) -> Money {
    ["rounded_total", "grand_total"]
        .into_iter()
        .chain(s.total_field.as_deref())
        .map(|f| money(doc, f))
        .find(|m| m.is_positive())
        .unwrap_or_default()
}

/// A row of a joined contract list: the contract, and its schedule row when it has one.
fn joined_row(s: &SalesSchema, r: &impl Fields) -> (ContractRow, Option<Instalment>) {
    let instalment = date(r, "schedule_due_date").map(|due_date| Instalment {
        idx: r.field("schedule_idx").and_then(Value::as_u64).unwrap_or_default() as u32,
        due_date,
        amount: money(r, "schedule_amount"),
    });
    (contract_row(s, r), instalment)
}

pub fn contract_row(s: &SalesSchema, doc: &impl Fields) -> ContractRow {
    ContractRow {
        name: text(doc, "name").unwrap_or_default(),
        customer: text(doc, "customer").unwrap_or_default(),
        date: date(doc, "transaction_date"),
        status: text(doc, "status").unwrap_or_default(),
        currency: text(doc, "currency").unwrap_or_default(),
        total: contract_total(s, doc),
    }
}

pub fn contract_doc(s: &SalesSchema, doc: &Map<String, Value>) -> ContractDoc {
    let rows = |field: &str| doc.get(field).and_then(Value::as_array).cloned().unwrap_or_default();
    let items: Vec<ItemLine> = rows("items")
        .iter()
        .filter_map(Value::as_object)
        .map(|i| ItemLine {
            item_name: text(i, "item_name").or_else(|| text(i, "item_code")).unwrap_or_default(),
            qty: i.get("qty").and_then(Value::as_f64).unwrap_or(1.0),
            rate: money(i, "rate"),
            amount: money(i, "amount"),
            imei: text(i, &s.imei_field),
            notes: text(i, &s.notes_field),
        })
        .collect();
    let schedule = rows("payment_schedule").iter().filter_map(Value::as_object).filter_map(instalment).collect();
    let row = contract_row(s, doc);
    ContractDoc {
        markup: beyond_the_lines(row.total, &items),
        row,
        docstatus: doc.get("docstatus").and_then(Value::as_i64).unwrap_or_default(),
        amended_from: text(doc, "amended_from"),
        down_payment: money(doc, &s.down_payment_field),
        items,
        schedule,
    }
}

/// What the contract total holds beyond its product lines, to be spread over them.
///
/// ERPNext computes `total` as the sum of the items' `amount` (`rate × qty`) and
/// `grand_total` as the last `taxes` row's running `total` plus the rounding adjustment
/// (erpnext/controllers/taxes_and_totals.py, `calculate_net_total` and `calculate_totals`). So
/// a mark-up booked as a charge row (`Sales Taxes and Charges`, `charge_type` "Actual" with its
/// `tax_amount`, or "On Net Total" with a `rate`) is exactly this difference, and a mark-up
/// built into the rates leaves none: the lines are shown as they are and it is never added
/// again. A charge `included_in_print_rate` is already in the rates and leaves none either; a
/// discount on the grand total or a rounding adjustment is spread the same way, so that the
/// lines always add up to the total. A site's mark-up field (`custom_total_interest`) is not
/// needed for this, and not added to anything.
fn beyond_the_lines(total: Money, items: &[ItemLine]) -> Money {
    if items.is_empty() {
        return Money::ZERO;
    }
    total - items.iter().map(|i| i.amount).sum()
}

fn instalment(row: &impl Fields) -> Option<Instalment> {
    Some(Instalment {
        idx: row.field("idx").and_then(Value::as_u64).unwrap_or_default() as u32,
        due_date: date(row, "due_date")?,
        amount: money(row, "payment_amount"),
    })
}

#[cfg(test)]
mod tests;
