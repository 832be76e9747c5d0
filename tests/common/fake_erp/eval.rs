//! Evaluation half of the fake ERPNext's list engine: joined rows, projection, SQL-like
//! ordering and the filter operators, with MariaDB's `ifnull(field, '')` and
//! case-insensitive string comparison.

use super::query::{Column, Filter};
use serde_json::{Map, Value};
use std::cmp::Ordering;

pub const OPERATORS: &[&str] = &["=", "!=", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is", "between"];

/// A joined row: the main row plus at most one row of each joined table (by doctype).
pub struct Row<'a> {
    pub main_doctype: &'a str,
    pub main: Value,
    pub others: Vec<(String, Option<Value>)>,
}

impl Row<'_> {
    /// The value of `field` in the table `doctype` (the main one when `None`).
    pub fn get(&self, doctype: Option<&str>, field: &str) -> Value {
        let obj = match doctype {
            None => Some(&self.main),
            Some(dt) if dt == self.main_doctype => Some(&self.main),
            Some(dt) => self.others.iter().find(|(d, _)| d == dt).and_then(|(_, v)| v.as_ref()),
        };
        obj.and_then(|o| o.get(field)).cloned().unwrap_or(Value::Null)
    }
}

/// Projects the columns of one row; `*` takes every scalar field of that table.
pub fn project(row: &Row<'_>, columns: &[Column]) -> Value {
    let mut out = Map::new();
    for c in columns {
        if c.field == "*" {
            let src = match c.doctype.as_deref() {
                None => Some(&row.main),
                Some(dt) if dt == row.main_doctype => Some(&row.main),
                Some(dt) => row.others.iter().find(|(d, _)| d == dt).and_then(|(_, v)| v.as_ref()),
            };
            if let Some(Value::Object(m)) = src {
                for (k, v) in m.iter().filter(|(_, v)| !v.is_array()) {
                    out.insert(k.clone(), v.clone());
                }
            }
        } else {
            out.insert(c.key.clone(), row.get(c.doctype.as_deref(), &c.field));
        }
    }
    Value::Object(out)
}

pub fn sort_rows(rows: &mut [Row<'_>], order_by: &[(Column, bool)]) {
    rows.sort_by(|a, b| {
        for (col, desc) in order_by {
            let (x, y) = (a.get(col.doctype.as_deref(), &col.field), b.get(col.doctype.as_deref(), &col.field));
            let ord = cmp_sort(&x, &y);
            if ord != Ordering::Equal {
                return if *desc { ord.reverse() } else { ord };
            }
        }
        Ordering::Equal
    });
}

/// SQL ordering: NULL first, numbers numerically, strings case-insensitively.
fn cmp_sort(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) if !a.is_string() || !b.is_string() => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => text(a).cmp(&text(b)),
        },
    }
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
fn text(v: &Value) -> String {
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
    text(field).cmp(&text(value))
}

fn list_of(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(a) => a.clone(),
        Value::String(s) => s.split(',').map(|p| Value::String(p.trim().to_string())).collect(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
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
            let mut list = list_of(value);
            if list.is_empty() {
                list.push(Value::String(String::new()));
            }
            let found = list.iter().any(|v| cmp_filter(field, v) == Ordering::Equal);
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

pub fn row_matches(row: &Row<'_>, filters: &[Filter]) -> Result<bool, String> {
    for f in filters {
        if !matches(&row.get(f.doctype.as_deref(), &f.field), &f.op, &f.value)? {
            return Ok(false);
        }
    }
    Ok(true)
}

pub fn paginate<T>(rows: Vec<T>, start: usize, page: usize) -> Vec<T> {
    let it = rows.into_iter().skip(start);
    if page == 0 { it.collect() } else { it.take(page).collect() }
}
