//! Grouping half of the fake ERPNext's list engine: `group_by` and the aggregate fields
//! (`sum`, `count`, `min`, `max`), with MariaDB's semantics as Frappe's `get_list` hands them to
//! it: the aggregates run over the rows left after the filters and the child-table joins; rows
//! are grouped by the `group_by` values (strings case-insensitively and without trailing spaces,
//! as a `_ci` collation compares them; NULL is a group of its own); only rows that exist make a
//! group; aggregate fields without `group_by` make one group of every row (one answer row even
//! when nothing matches); `order_by` and paging apply to the groups.
//!
//! A plain field of a grouped answer takes the value of the group's first row (MariaDB, without
//! `ONLY_FULL_GROUP_BY`, takes it from some row of the group). Sums are exact decimals, as over
//! Frappe's `decimal(21,9)` Currency columns, and come back as floats, as Frappe serialises
//! Python's `Decimal`; counts come back as integers.

use super::eval::{self, Row};
use super::query::{Agg, Column, Func, ListArgs};
use super::{ErpError, err};
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Whether the answer is grouped: a `group_by`, or an aggregate field (one group of all rows).
pub fn is_grouped(args: &ListArgs) -> bool {
    !args.group_by.is_empty() || args.columns.iter().any(|c| c.agg.is_some())
}

/// Refuses aggregates and groups over tables the query does not select from. Frappe joins
/// the tables named by plain fields and filters only (`extract_tables` skips fields holding
/// `sum(`, `count(`…), then refuses a field of a table outside the query (PermissionError, in
/// `apply_fieldlevel_read_permissions`) and a `group_by` on one ("Please select atleast 1
/// column from … to sort/group").
pub fn check_tables(tables: &[&str], args: &ListArgs) -> Result<(), ErpError> {
    let outside = |c: &&Column| c.doctype.as_deref().is_some_and(|dt| !tables.contains(&dt));
    if let Some(c) = args.columns.iter().filter(|c| c.agg.is_some()).find(outside) {
        let dt = c.doctype.clone().unwrap_or_default();
        return Err(err(403, "PermissionError", format!("Insufficient Permission for {dt}")));
    }
    if let Some(c) = args.group_by.iter().find(outside) {
        let dt = c.doctype.clone().unwrap_or_default();
        return Err(err(417, "ValidationError", format!("Please select atleast 1 column from {dt} to sort/group")));
    }
    Ok(())
}

/// Groups the filtered rows, computes the aggregates, orders the groups and projects each as
/// JSON text (keys sorted, as `eval::project` gives them).
pub fn group(rows: &[Row<'_>], args: &ListArgs) -> Vec<String> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    if args.group_by.is_empty() {
        groups.push((0..rows.len()).collect());
    } else {
        let mut found: HashMap<Vec<Key>, usize> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let key: Vec<Key> = args.group_by.iter().map(|c| Key::of(group_value(row, c, args))).collect();
            match found.get(&key) {
                Some(&g) => groups[g].push(i),
                None => {
                    found.insert(key, groups.len());
                    groups.push(vec![i]);
                }
            }
        }
    }
    let outputs: Vec<BTreeMap<String, Value>> = groups.iter().map(|g| project(rows, g, &args.columns)).collect();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    if !args.order_by.is_empty() {
        let keys: Vec<Vec<Value>> = groups
            .iter()
            .zip(&outputs)
            .map(|(g, out)| args.order_by.iter().map(|(c, _)| sort_value(rows, g, out, c)).collect())
            .collect();
        order.sort_by(|&i, &j| {
            for (k, (_, desc)) in args.order_by.iter().enumerate() {
                let ord = eval::sql_cmp(&keys[i][k], &keys[j][k]);
                if ord != Ordering::Equal {
                    return if *desc { ord.reverse() } else { ord };
                }
            }
            Ordering::Equal
        });
    }
    order
        .into_iter()
        .map(|i| serde_json::to_string(&outputs[i]).unwrap_or_else(|e| panic!("a row always serialises: {e}")))
        .collect()
}

/// The value a row is grouped by. An unqualified name that is not a field but the alias of a
/// plain field (`group_by: "contract"` with `reference_name as contract`) means that field, as
/// MySQL falls back to the select list.
fn group_value<'r>(row: &'r Row<'_>, c: &Column, args: &ListArgs) -> &'r Value {
    if c.doctype.is_none() {
        let aliased = args.columns.iter().find(|p| p.agg.is_none() && p.key == c.field && p.field != c.field);
        if let Some(p) = aliased {
            return row.get(p.doctype.as_deref(), &p.field);
        }
    }
    row.get(c.doctype.as_deref(), &c.field)
}

/// One output row: aggregates over the group, plain fields from its first row (NULL when the
/// group is empty, i.e. an aggregate without `group_by` over no rows).
fn project(rows: &[Row<'_>], group: &[usize], columns: &[Column]) -> BTreeMap<String, Value> {
    let first = group.first().map(|&i| &rows[i]);
    let mut out = BTreeMap::new();
    for c in columns {
        if let Some(agg) = c.agg {
            out.insert(c.key.clone(), aggregate(agg, c, rows, group));
        } else if c.field == "*" {
            if let Some(Value::Object(m)) = first.and_then(|r| r.table(c.doctype.as_deref())) {
                for (k, v) in m.iter().filter(|(_, v)| !v.is_array()) {
                    out.insert(k.clone(), v.clone());
                }
            }
        } else {
            let value = first.map_or(Value::Null, |r| r.get(c.doctype.as_deref(), &c.field).clone());
            out.insert(c.key.clone(), value);
        }
    }
    out
}

/// What a group is ordered by: an aggregate over it, an output column named by its alias (MySQL
/// resolves `order by` names in the select list first), or the field in its first row.
fn sort_value(rows: &[Row<'_>], group: &[usize], out: &BTreeMap<String, Value>, c: &Column) -> Value {
    if let Some(agg) = c.agg {
        return aggregate(agg, c, rows, group);
    }
    if c.doctype.is_none()
        && let Some(v) = out.get(&c.field)
    {
        return v.clone();
    }
    group.first().map_or(Value::Null, |&i| rows[i].get(c.doctype.as_deref(), &c.field).clone())
}

fn aggregate(agg: Agg, c: &Column, rows: &[Row<'_>], group: &[usize]) -> Value {
    if c.field == "*" {
        return Value::from(group.len()); // count(*)
    }
    let mut values: Vec<&Value> =
        group.iter().map(|&i| rows[i].get(c.doctype.as_deref(), &c.field)).filter(|v| !v.is_null()).collect();
    if agg.distinct {
        let mut seen = HashSet::new();
        values.retain(|v| seen.insert(Key::of(v)));
    }
    match agg.func {
        Func::Count => Value::from(values.len()),
        Func::Sum if values.is_empty() => Value::Null,
        Func::Sum => {
            let nanos: i128 = values.iter().map(|v| nanos(v)).sum();
            Value::from(nanos as f64 / 1e9)
        }
        Func::Min => values.into_iter().min_by(|a, b| eval::sql_cmp(a, b)).cloned().unwrap_or(Value::Null),
        Func::Max => values.into_iter().max_by(|a, b| eval::sql_cmp(a, b)).cloned().unwrap_or(Value::Null),
    }
}

/// A value as a decimal with 9 places, in units of 1e-9: numbers as stored, numeric strings
/// parsed, other strings 0 (MariaDB's conversion in a numeric context).
fn nanos(v: &Value) -> i128 {
    let x = match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    };
    (x * 1e9).round() as i128
}

/// A value as grouping and `distinct` compare it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Null,
    /// The bits of the number (with -0 as 0).
    Num(u64),
    /// Lower-cased, trailing spaces dropped (a PAD SPACE `_ci` collation).
    Text(String),
}

impl Key {
    fn of(v: &Value) -> Key {
        match v {
            Value::Null => Key::Null,
            Value::Number(n) => Key::Num((n.as_f64().unwrap_or(0.0) + 0.0).to_bits()),
            Value::Bool(b) => Key::Num(f64::from(u8::from(*b)).to_bits()),
            Value::String(s) => Key::Text(s.trim_end_matches(' ').to_lowercase()),
            other => Key::Text(other.to_string()),
        }
    }
}
