//! Optional columns: the fields the bot reads where a site has them (extra phone fields, a
//! custom contract total, mark-up, down payment, IMEI, notes) and does without where it has not.
//! A stock site has none of them, and a list naming a column its doctype lacks fails whole:
//!
//! - `frappe.client.get_list` runs `frappe.desk.reportview.validate_args`: `validate_fields`
//!   and `validate_filters` call `raise_invalid_field(fieldname)`, i.e. `frappe.throw(_("Field
//!   not permitted in query") + f": {fieldname}", frappe.DataError)`: 417 `DataError`, the name
//!   after the last `": "` (the text before it is translated into the API user's language).
//!   It quotes a field as written without its alias (`extract_fieldname`), or the field alone
//!   of a 4-element filter.
//! - `order_by` and `group_by` reach MariaDB unchecked; error 1054 becomes pymysql's
//!   `OperationalError` "(1054, \"Unknown column 'tabSales Order.x' in 'order clause'\")"
//!   (pymysql/err.py `raise_mysql_exception`), answered as 500 by `frappe/utils/response.py`
//!   `report_error` (the text only where the site shows tracebacks to the API user).
//!
//! The client learns a missing optional column from the first such answer, retries without it,
//! and from then on leaves it out of every list ([`Columns::prepare`]): from `fields` and
//! `order_by`; a filter on it is decided as on an empty value (Frappe compares
//! `ifnull(column, '')`): dropped where it holds, and where it cannot the list is empty
//! without asking. One warning and one gauge per column; `check` reports each. A required
//! column that is missing stays an error, logged once as such. Whole documents
//! (`GET /api/resource/...`) simply lack the field.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{PoisonError, RwLock};

use serde_json::Value;

use super::{ErpError, ListQuery};
use crate::config::ErpSchema;

/// An optional column, with the variable that names it (for logs and `check`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionalColumn {
    pub doctype: String,
    pub field: String,
    pub key: &'static str,
    /// For a child table's column: its parent doctype, through which it is listed.
    pub parent: Option<String>,
}

/// `(doctype, field)`.
type Name = (String, String);

/// What a list becomes once the known-missing columns are left out.
pub enum Prepared<'q> {
    Ask(Cow<'q, ListQuery>),
    /// A filter on a missing column can hold on no row: the answer is empty.
    Nothing,
}

/// The optional columns of a configuration and which of them this process found missing.
#[derive(Debug, Default)]
pub struct Columns {
    optional: Vec<OptionalColumn>,
    missing: RwLock<HashSet<Name>>,
    /// Required columns reported missing, logged once each.
    required_missing: RwLock<HashSet<Name>>,
}

impl Columns {
    pub fn new(schema: &ErpSchema) -> Columns {
        Columns { optional: optional_columns(schema), ..Columns::default() }
    }

    pub fn optional(&self) -> &[OptionalColumn] {
        &self.optional
    }

    pub fn is_missing(&self, doctype: &str, field: &str) -> bool {
        self.missing.read().unwrap_or_else(PoisonError::into_inner).contains(&(doctype.into(), field.into()))
    }

    /// `query` without the columns known to be missing.
    pub fn prepare<'q>(&self, query: &'q ListQuery) -> Prepared<'q> {
        let missing = self.missing.read().unwrap_or_else(PoisonError::into_inner);
        let gone = |c: Option<Name>| c.is_some_and(|c| missing.contains(&c));
        if missing.is_empty() || !mentions(query).into_iter().any(|c| missing.contains(&c)) {
            return Prepared::Ask(Cow::Borrowed(query));
        }
        let mut q = query.clone();
        q.fields.retain(|f| !gone(column_in(&query.doctype, f)));
        let mut filters = Vec::with_capacity(q.filters.len());
        for f in q.filters {
            match filter_column(&query.doctype, &f) {
                Some((c, op, value)) if missing.contains(&c) => {
                    if !holds_when_empty(op, value) {
                        return Prepared::Nothing;
                    }
                }
                _ => filters.push(f),
            }
        }
        q.filters = filters;
        let order: Vec<&str> =
            q.order_by.split(',').filter(|p| !gone(column_in(&query.doctype, order_column(p)))).collect();
        q.order_by = order.join(",").trim().to_owned();
        if q.order_by.is_empty() {
            q.order_by = "name asc".into();
        }
        Prepared::Ask(Cow::Owned(q))
    }

    /// Learns from `error` (the answer to `sent`) which of its columns the site lacks: true when
    /// it names an optional column `sent` asked for, now known missing (ask again without it).
    pub fn learn(&self, sent: &ListQuery, error: &ErpError) -> bool {
        // A function refused whole (`min(..)` on some releases) is the aggregates' business.
        let Some(named) = named_column(error).filter(|n| !n.contains('(')) else { return false };
        let (table, field) = split_name(named);
        if field.is_empty() || !field.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return false;
        }
        let asked = mentions(sent).into_iter().filter(|(dt, f)| *f == field && table.is_none_or(|t| t == dt));
        let asked: Vec<Name> = asked.collect();
        let optional: Vec<&OptionalColumn> =
            self.optional.iter().filter(|o| asked.iter().any(|(dt, f)| *dt == o.doctype && *f == o.field)).collect();
        if optional.is_empty() {
            self.required_missing_once(sent, named, error);
            return false;
        }
        optional.into_iter().for_each(|c| self.record_missing(c));
        true
    }

    /// Records an optional column as missing; the first time, warns and sets the gauge.
    pub fn record_missing(&self, c: &OptionalColumn) {
        let new =
            self.missing.write().unwrap_or_else(PoisonError::into_inner).insert((c.doctype.clone(), c.field.clone()));
        if new {
            tracing::warn!(
                erp.doctype = %c.doctype, erp.field = %c.field, config = c.key,
                "ERPNext has no column {}.{} (optional, named by {}): it is left out of every query from now on",
                c.doctype, c.field, c.key
            );
            crate::telemetry::metrics::optional_column_missing(&c.doctype, &c.field);
        }
    }

    fn required_missing_once(&self, sent: &ListQuery, named: &str, error: &ErpError) {
        let name = (sent.doctype.clone(), named.to_owned());
        if self.required_missing.write().unwrap_or_else(PoisonError::into_inner).insert(name) {
            tracing::error!(
                erp.doctype = %sent.doctype, erp.column = named, error = %error,
                "ERPNext lacks a column the bot needs: create it (erp setup) or fix the field names in the configuration; `check` tells which"
            );
        }
    }
}

/// The optional columns of a configuration: every phone field (`mobile_no` is stock, the others
/// are the site's own), the custom total, mark-up and down payment of a contract, and the IMEI
/// and notes of its product lines (`<contract doctype> Item`, as ERPNext names item tables).
fn optional_columns(schema: &ErpSchema) -> Vec<OptionalColumn> {
    let s = &schema.sales;
    let column = |doctype: &str, field: &str, key, parent: Option<&str>| OptionalColumn {
        doctype: doctype.to_owned(),
        field: field.to_owned(),
        key,
        parent: parent.map(str::to_owned),
    };
    let items = format!("{} Item", s.contract_doctype);
    let mut out: Vec<OptionalColumn> =
        schema.phone_fields.iter().map(|f| column(&schema.customer_doctype, f, "ERP_PHONE_FIELDS", None)).collect();
    out.push(column(&schema.customer_doctype, super::customer::DISABLED, "ERP_CUSTOMER_DOCTYPE", None));
    if let Some(total) = &s.total_field {
        out.push(column(&s.contract_doctype, total, "ERP_CONTRACT_TOTAL_FIELD", None));
    }
    out.extend([
        column(&s.contract_doctype, &s.markup_field, "ERP_CONTRACT_MARKUP_FIELD", None),
        column(&s.contract_doctype, &s.down_payment_field, "ERP_CONTRACT_DOWNPAYMENT_FIELD", None),
        column(&items, &s.imei_field, "ERP_ITEM_IMEI_FIELD", Some(&s.contract_doctype)),
        column(&items, &s.notes_field, "ERP_ITEM_NOTES_FIELD", Some(&s.contract_doctype)),
    ]);
    out.dedup_by(|a, b| a.doctype == b.doctype && a.field == b.field);
    out
}

/// The column a failed list names: the tail of a 417 `DataError`, or MariaDB's "Unknown
/// column 'x'" (see the module documentation).
fn named_column(error: &ErpError) -> Option<&str> {
    match error {
        ErpError::Rejected { status: 417, exc_type, message, .. } if exc_type == "DataError" => {
            message.rsplit_once(": ").map(|(_, name)| name.trim())
        }
        ErpError::Rejected { message, .. } | ErpError::Server { message, .. } => {
            let rest = message.split_once("Unknown column '")?.1;
            rest.split_once('\'').map(|(name, _)| name)
        }
        _ => None,
    }
}

/// `tabX`.`f`, tabX.f or f → (the doctype when named, the field).
fn split_name(name: &str) -> (Option<&str>, &str) {
    match name.rsplit_once('.') {
        Some((table, field)) => (table.trim_matches('`').strip_prefix("tab"), field.trim_matches('`')),
        None => (None, name.trim_matches('`')),
    }
}

/// The column an expression of `fields` (or of `order_by`) reads: alias and function left
/// out; a column without table belongs to `doctype`. `None` for `*` and the like.
fn column_in(doctype: &str, expr: &str) -> Option<Name> {
    let expr = expr.trim();
    let expr = match expr.to_ascii_lowercase().find(" as ") {
        Some(i) => &expr[..i],
        None => expr,
    };
    let expr = match (expr.find('('), expr.rfind(')')) {
        (Some(open), Some(close)) if open < close => &expr[open + 1..close],
        _ => expr,
    };
    let expr = expr.trim();
    let expr = if expr.len() > 9 && expr[..9].eq_ignore_ascii_case("distinct ") { &expr[9..] } else { expr };
    let (table, field) = split_name(expr.trim());
    let ok = !field.is_empty() && field.chars().all(|c| c.is_alphanumeric() || c == '_');
    ok.then(|| (table.unwrap_or(doctype).to_owned(), field.to_owned()))
}

/// An `order_by` part without its direction.
fn order_column(part: &str) -> &str {
    let part = part.trim();
    match part.rsplit_once(char::is_whitespace) {
        Some((column, dir)) if dir.eq_ignore_ascii_case("asc") || dir.eq_ignore_ascii_case("desc") => column,
        _ => part,
    }
}

/// A filter's column, operator and value (`[field, op, value]` or `[doctype, field, op, value]`).
fn filter_column<'f>(doctype: &str, filter: &'f Value) -> Option<(Name, &'f str, &'f Value)> {
    let parts = filter.as_array()?;
    let (dt, rest) = if parts.len() >= 4 { (parts[0].as_str()?, &parts[1..]) } else { (doctype, &parts[..]) };
    Some(((dt.to_owned(), rest.first()?.as_str()?.to_owned()), rest.get(1)?.as_str()?, rest.get(2)?))
}

/// Every column `query` names: fields, filters, order.
fn mentions(query: &ListQuery) -> Vec<Name> {
    let dt = &query.doctype;
    let fields = query.fields.iter().filter_map(|f| column_in(dt, f));
    let filters = query.filters.iter().filter_map(|f| filter_column(dt, f).map(|(c, _, _)| c));
    let order = query.order_by.split(',').filter_map(|p| column_in(dt, order_column(p)));
    fields.chain(filters).chain(order).collect()
}

/// Whether a filter holds on a column every row lacks: Frappe compares `ifnull(column, '')`
/// (`frappe/model/db_query.py` `prepare_filter_condition`); a number is compared with 0.
fn holds_when_empty(op: &str, value: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let listed = || match value {
        Value::Array(items) => items.iter().any(|v| text(v).is_empty()),
        other => text(other).split(',').any(|v| v.trim().is_empty()),
    };
    let like_empty = || !text(value).is_empty() && text(value).chars().all(|c| c == '%');
    match op.to_ascii_lowercase().as_str() {
        "=" => text(value).is_empty(),
        "!=" => !text(value).is_empty(),
        "in" => listed(),
        "not in" => !listed(),
        "is" => text(value) == "not set",
        "like" => like_empty() || text(value).is_empty(),
        "not like" => !(like_empty() || text(value).is_empty()),
        cmp => {
            let ord = match value.as_f64() {
                Some(n) => 0.0f64.partial_cmp(&n),
                None => Some(String::new().cmp(&text(value))),
            };
            matches!(
                (cmp, ord),
                ("<", Some(std::cmp::Ordering::Less))
                    | (">", Some(std::cmp::Ordering::Greater))
                    | ("<=", Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal))
                    | (">=", Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal))
            )
        }
    }
}

#[cfg(test)]
mod tests;
