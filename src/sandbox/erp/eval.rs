//! Evaluation half of the fake ERPNext's list engine: joined rows, projection, SQL-like
//! ordering and the filter operators, with MariaDB's `ifnull(field, '')` and
//! case-insensitive string comparison.

use super::query::{Column, Filter};
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

static NULL: Value = Value::Null;

pub const OPERATORS: &[&str] = &["=", "!=", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is", "between"];

/// A joined row: the main row plus at most one row of each joined table (by doctype). Rows
/// borrow the stored documents; only a child row whose metadata must be corrected is owned.
pub struct Row<'a> {
    pub main_doctype: &'a str,
    pub main: Cow<'a, Value>,
    /// For a row of a child doctype listed directly: its parent document.
    pub parent: Option<(&'a str, &'a Value)>,
    /// Rows of the joined child tables.
    pub others: Vec<(&'a str, Option<&'a Value>)>,
}

impl Row<'_> {
    /// The row of table `doctype` (the main one when `None`); `None` for a NULL join.
    pub fn table(&self, doctype: Option<&str>) -> Option<&Value> {
        match doctype {
            None => Some(&*self.main),
            Some(dt) if dt == self.main_doctype => Some(&*self.main),
            Some(dt) => match self.parent {
                Some((p, doc)) if p == dt => Some(doc),
                _ => self.others.iter().find(|(d, _)| *d == dt).and_then(|(_, v)| *v),
            },
        }
    }

    /// The value of `field` in the table `doctype` (the main one when `None`).
    pub fn get(&self, doctype: Option<&str>, field: &str) -> &Value {
        self.table(doctype).and_then(|o| o.get(field)).unwrap_or(&NULL)
    }
}

/// Projects the columns of one row, as JSON text; `*` takes every scalar field of that table.
/// Keys come out sorted and a repeated key keeps its last value, as in a `serde_json::Map`.
pub fn project(row: &Row<'_>, columns: &[Column]) -> String {
    let mut out: BTreeMap<&str, &Value> = BTreeMap::new();
    for c in columns {
        if c.field == "*" {
            if let Some(Value::Object(m)) = row.table(c.doctype.as_deref()) {
                for (k, v) in m.iter().filter(|(_, v)| !v.is_array()) {
                    out.insert(k.as_str(), v);
                }
            }
        } else {
            out.insert(c.key.as_str(), row.get(c.doctype.as_deref(), &c.field));
        }
    }
    serde_json::to_string(&out).unwrap_or_else(|e| panic!("a row always serialises: {e}"))
}

pub fn sort_rows(rows: &mut Vec<Row<'_>>, order_by: &[(Column, bool)]) {
    if order_by.is_empty() || rows.len() < 2 {
        return;
    }
    // Each value's comparison parts are worked out once, not once per comparison.
    let keys: Vec<Vec<SortKey>> = rows
        .iter()
        .map(|r| order_by.iter().map(|(c, _)| SortKey::of(r.get(c.doctype.as_deref(), &c.field))).collect())
        .collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&i, &j| {
        for (k, (_, desc)) in order_by.iter().enumerate() {
            let ord = keys[i][k].cmp(&keys[j][k]);
            if ord != Ordering::Equal {
                return if *desc { ord.reverse() } else { ord };
            }
        }
        Ordering::Equal
    });
    let mut taken: Vec<Option<Row<'_>>> = std::mem::take(rows).into_iter().map(Some).collect();
    rows.extend(order.into_iter().filter_map(|i| taken[i].take()));
}

/// What the ordering looks at in one value.
struct SortKey<'a> {
    null: bool,
    string: bool,
    num: Option<f64>,
    /// The text compared (lower-cased on the fly when ASCII, else already lower-cased).
    text: Cow<'a, str>,
}

impl<'a> SortKey<'a> {
    fn of(v: &'a Value) -> SortKey<'a> {
        let text = match v {
            Value::Null => Cow::Borrowed(""),
            Value::String(s) if s.is_ascii() => Cow::Borrowed(s.as_str()),
            other => Cow::Owned(text(other)),
        };
        SortKey { null: v.is_null(), string: v.is_string(), num: num(v), text }
    }

    /// Equal to comparing the lower-cased texts.
    fn cmp_text(&self, other: &SortKey<'_>) -> Ordering {
        let lower = |t: &'_ str| t.bytes().map(|c| c.to_ascii_lowercase()).collect::<Vec<u8>>();
        let (a, b) = (self.text.as_ref(), other.text.as_ref());
        if a.is_ascii() && b.is_ascii() {
            a.bytes().map(|c| c.to_ascii_lowercase()).cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
        } else {
            // A borrowed text is ASCII; lower-case it as `text` would.
            lower(a).cmp(&lower(b))
        }
    }

    /// SQL ordering: NULL first; numbers numerically (unless both are strings); else strings
    /// case-insensitively.
    fn cmp(&self, other: &SortKey<'_>) -> Ordering {
        match (self.null, other.null) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => match (self.num, other.num) {
                (Some(x), Some(y)) if !self.string || !other.string => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                _ => self.cmp_text(other),
            },
        }
    }
}

/// SQL ordering of two values (as `order by` compares them): NULL first, numbers numerically,
/// strings case-insensitively.
pub fn sql_cmp(a: &Value, b: &Value) -> Ordering {
    SortKey::of(a).cmp(&SortKey::of(b))
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A scalar as MariaDB would compare it: lower-cased text, NULL as ''.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.to_lowercase(),
        Value::Bool(b) => u8::from(*b).to_string(),
        other => other.to_string().to_lowercase(),
    }
}

/// `ifnull(field, '') <op> value`: numeric when the stored value is a number.
fn cmp_filter(field: &Value, value: &Value) -> Ordering {
    let numeric = field.is_number() || field.is_boolean() || (field.is_null() && value.is_number());
    if numeric && let (Some(x), Some(y)) = (num(field).or(Some(0.0)), num(value)) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    cmp_text(field, value)
}

/// `text(a).cmp(&text(b))`, without allocating when both are ASCII strings (the common case).
fn cmp_text(a: &Value, b: &Value) -> Ordering {
    if let (Value::String(x), Value::String(y)) = (a, b)
        && x.is_ascii()
        && y.is_ascii()
    {
        return x.bytes().map(|c| c.to_ascii_lowercase()).cmp(y.bytes().map(|c| c.to_ascii_lowercase()));
    }
    text(a).cmp(&text(b))
}

/// The values of an `in`/`not in`/`between` operand (a list, or a comma-separated string).
pub fn list_of(value: &Value) -> Cow<'_, [Value]> {
    match value {
        Value::Array(a) => Cow::Borrowed(a.as_slice()),
        Value::String(s) => s.split(',').map(|p| Value::String(p.trim().to_string())).collect(),
        Value::Null => Cow::Borrowed(&[]),
        other => Cow::Owned(vec![other.clone()]),
    }
}

/// SQL LIKE with `%` and `_`, case-insensitive.
fn like(text: &str, pattern: &str) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = (text.chars().collect(), pattern.chars().collect());
    let mut dp = vec![vec![false; t.len() + 1]; p.len() + 1];
    dp[0][0] = true;
    for i in 1..=p.len() {
        dp[i][0] = dp[i - 1][0] && p[i - 1] == '%';
        for j in 1..=t.len() {
            dp[i][j] = match p[i - 1] {
                '%' => dp[i - 1][j] || dp[i][j - 1],
                '_' => dp[i - 1][j - 1],
                c => dp[i - 1][j - 1] && c == t[j - 1],
            };
        }
    }
    dp[p.len()][t.len()]
}

/// Whether `field` (the stored value) satisfies `op value`.
pub fn matches(field: &Value, op: &str, value: &Value) -> Result<bool, String> {
    Ok(match op {
        "=" => cmp_filter(field, value) == Ordering::Equal,
        "!=" => cmp_filter(field, value) != Ordering::Equal,
        ">" => cmp_filter(field, value) == Ordering::Greater,
        "<" => cmp_filter(field, value) == Ordering::Less,
        ">=" => cmp_filter(field, value) != Ordering::Less,
        "<=" => cmp_filter(field, value) != Ordering::Greater,
        "like" => like(&text(field), &text(value)),
        "not like" => !like(&text(field), &text(value)),
        // Frappe turns an empty list into ('') so `in []` matches empty/NULL fields.
        "in" | "not in" => {
            let list = list_of(value);
            let found = if list.is_empty() {
                cmp_filter(field, &Value::String(String::new())) == Ordering::Equal
            } else {
                list.iter().any(|v| cmp_filter(field, v) == Ordering::Equal)
            };
            if op == "in" { found } else { !found }
        }
        "is" => {
            let set = !text(field).is_empty();
            match text(value).as_str() {
                "set" => set,
                "not set" => !set,
                other => return Err(format!("Invalid value for `is` operator: {other}")),
            }
        }
        "between" => {
            let list = list_of(value);
            let (Some(lo), Some(hi)) = (list.first(), list.get(1)) else {
                return Err("between needs two values".into());
            };
            cmp_filter(field, lo) != Ordering::Less && cmp_filter(field, hi) != Ordering::Greater
        }
        other => {
            return Err(format!("Operator must be one of {} (got {other})", OPERATORS.join(", ")));
        }
    })
}

/// Case-insensitive equality of two non-empty scalars, as a unique index in MariaDB sees it.
pub fn same_unique_value(a: &Value, b: &Value) -> bool {
    let (x, y) = (text(a), text(b));
    !x.is_empty() && x == y
}

/// A filter prepared for many rows: a long `in`/`not in` list becomes a set of lower-cased
/// texts, which decides for a string field exactly as comparing value by value does.
pub struct Compiled<'a> {
    pub filter: &'a Filter,
    texts: Option<HashSet<String>>,
}

impl<'a> Compiled<'a> {
    pub fn new(filter: &'a Filter) -> Self {
        let texts = matches!(filter.op.as_str(), "in" | "not in")
            .then(|| list_of(&filter.value))
            .filter(|list| list.len() > 8)
            .map(|list| list.iter().map(text).collect());
        Compiled { filter, texts }
    }

    pub fn matches(&self, field: &Value) -> Result<bool, String> {
        if let (Some(texts), Value::String(s)) = (&self.texts, field) {
            let found = if s.is_ascii() && !s.bytes().any(|b| b.is_ascii_uppercase()) {
                texts.contains(s.as_str())
            } else {
                texts.contains(&s.to_lowercase())
            };
            return Ok(found == (self.filter.op == "in"));
        }
        matches(field, &self.filter.op, &self.filter.value)
    }
}

pub fn row_matches(row: &Row<'_>, filters: &[Compiled<'_>]) -> Result<bool, String> {
    for c in filters {
        if !c.matches(row.get(c.filter.doctype.as_deref(), &c.filter.field))? {
            return Ok(false);
        }
    }
    Ok(true)
}
