//! Parsing half of the fake ERPNext's list engine: Frappe's `get_list` arguments (`fields`,
//! `filters`, `or_filters`, `group_by`, `order_by`, `limit_start`, `limit_page_length` (default
//! 20), `parent`) as they arrive in a query string (JSON text) or a JSON body. `eval.rs` runs
//! them, `aggregate.rs` groups them.
//!
//! Fields may be aggregates, as Frappe passes them to SQL: `sum(..)`, `count(..)` (with `*` or
//! `distinct`), `min(..)`, `max(..)`, with an alias. Frappe refuses a blacklist of functions
//! (`sanitize_fields`: "Use of function X in field is restricted"); other functions are not
//! imitated and are refused as any odd field is.

use super::eval::OPERATORS;
use serde_json::Value;

/// One `[DocType, field, op, value]` condition; `doctype` is `None` for the 3-element form.
#[derive(Debug, Clone)]
pub struct Filter {
    pub doctype: Option<String>,
    pub field: String,
    pub op: String,
    pub value: Value,
}

/// A column of `fields`: optional table, field (or `*`), output key; an aggregate of that
/// field when `agg` is set (`count(*)` has the field `*`).
#[derive(Debug, Clone)]
pub struct Column {
    pub doctype: Option<String>,
    pub field: String,
    pub key: String,
    pub agg: Option<Agg>,
    /// The column as written, without alias or function: what Frappe's error messages quote
    /// (`frappe.desk.reportview.extract_fieldname`).
    pub text: String,
}

/// The SQL aggregate functions the fake computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Sum,
    Count,
    Min,
    Max,
}

/// `func([distinct] column)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Agg {
    pub func: Func,
    pub distinct: bool,
}

/// Functions Frappe's `DatabaseQuery.sanitize_fields` refuses in fields (v14/v15).
const BLACKLISTED_FUNCTIONS: &[&str] = &[
    "concat",
    "concat_ws",
    "if",
    "ifnull",
    "nullif",
    "coalesce",
    "connection_id",
    "current_user",
    "database",
    "last_insert_id",
    "session_user",
    "system_user",
    "user",
    "version",
    "global",
];

#[derive(Debug, Clone)]
pub struct ListArgs {
    pub columns: Vec<Column>,
    pub filters: Vec<Filter>,
    /// A row passes when any of these holds (or there are none).
    pub or_filters: Vec<Filter>,
    /// `group by` columns (none: no grouping, unless a field is an aggregate).
    pub group_by: Vec<Column>,
    pub order_by: Vec<(Column, bool)>,
    pub limit_start: usize,
    /// `0` means no limit.
    pub limit_page_length: usize,
    pub parent: Option<String>,
}

/// Parses the arguments; `get` returns a raw argument (a JSON value, or a string holding JSON
/// as query strings carry it). Errors are Frappe validation messages (HTTP 417).
pub fn parse_args(get: impl Fn(&str) -> Option<Value>) -> Result<ListArgs, String> {
    let fields = match get("fields") {
        None | Some(Value::Null) => vec![Value::String("name".into())],
        Some(v) => match as_json(v, "fields")? {
            Value::Array(a) => a,
            Value::String(s) => s.split(',').map(|p| Value::String(p.trim().into())).collect(),
            other => return Err(format!("Invalid fields: {other}")),
        },
    };
    let mut columns = Vec::new();
    for f in fields {
        let Value::String(s) = f else {
            return Err(format!("Invalid field: {f}"));
        };
        columns.push(parse_column(&s)?);
    }
    let filters = match get("filters") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => parse_filters(as_json(v, "filters")?)?,
    };
    let or_filters = match get("or_filters") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => parse_filters(as_json(v, "or_filters")?)?,
    };
    let order_raw = match get("order_by") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        _ => "modified desc".to_string(),
    };
    let mut order_by = Vec::new();
    for part in order_raw.split(',') {
        // The column may be "`tabChild Doctype`.field": the direction is the last word.
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (col, dir) = match part.rsplit_once(char::is_whitespace) {
            Some((col, dir)) if !dir.ends_with('`') && !dir.ends_with(')') => {
                (col.trim(), Some(dir.to_ascii_lowercase()))
            }
            _ => (part, None),
        };
        let desc = match dir.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(format!("Invalid sort order: {other}")),
        };
        order_by.push((parse_column(col)?, desc));
    }
    let (mut filters, mut or_filters) = (filters, or_filters);
    datetime_filters(&mut filters);
    datetime_filters(&mut or_filters);
    Ok(ListArgs {
        columns,
        filters,
        or_filters,
        group_by: parse_group_by(get("group_by"))?,
        order_by,
        limit_start: as_usize(get("limit_start"), 0)?,
        limit_page_length: as_usize(get("limit_page_length"), 20)?,
        parent: get("parent").and_then(|v| v.as_str().map(str::to_string)),
    })
}

/// Filters on `modified`/`creation` (Datetime columns) as MariaDB compares them: a value is
/// read as a datetime, so `"2026-12-01 10:00:00"` equals the stored `…10:00:00.000000`; and
/// `between` dates span whole days, as Frappe's `get_between_date_filter`
/// (`frappe/model/db_query.py`) sets the time of a date-only bound to the start of its day
/// (`from`) and to 23:59:59.999999 (`to`) for a Datetime field.
fn datetime_filters(filters: &mut [Filter]) {
    let read = |v: &Value, end_of_day: bool| -> Value {
        let Some(s) = v.as_str().map(str::trim) else { return v.clone() };
        let parsed = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok().or_else(|| {
            let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
            let time = if end_of_day {
                chrono::NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
            } else {
                Some(chrono::NaiveTime::MIN)
            };
            Some(day.and_time(time?))
        });
        parsed.map_or_else(|| v.clone(), |t| Value::String(t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()))
    };
    for f in filters.iter_mut().filter(|f| matches!(f.field.as_str(), "modified" | "creation")) {
        match f.op.as_str() {
            "between" => {
                if let Value::Array(bounds) = &f.value {
                    let bounds: Vec<Value> = bounds.iter().enumerate().map(|(i, b)| read(b, i == 1)).collect();
                    f.value = Value::Array(bounds);
                }
            }
            "=" | "!=" | ">" | "<" | ">=" | "<=" => f.value = read(&f.value, false),
            _ => {}
        }
    }
}

fn as_json(v: Value, what: &str) -> Result<Value, String> {
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(parsed) => Ok(parsed),
            Err(_) if what == "fields" => Ok(Value::String(s)),
            Err(e) => Err(format!("Invalid {what} JSON: {e}")),
        },
        other => Ok(other),
    }
}

fn as_usize(v: Option<Value>, default: usize) -> Result<usize, String> {
    match v {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => {
            n.as_u64().map(|n| n as usize).ok_or_else(|| format!("invalid literal for int(): {n}"))
        }
        Some(Value::String(s)) if s.trim().is_empty() => Ok(default),
        Some(Value::String(s)) => {
            s.trim().parse().map_err(|_| format!("invalid literal for int() with base 10: '{s}'"))
        }
        Some(other) => Err(format!("invalid literal for int(): {other}")),
    }
}

/// `group_by`: comma-separated plain columns. Frappe's `validate_order_by_and_group_by`
/// refuses characters outside `a-z0-9-_ ,`'".()` as "Illegal SQL Query".
fn parse_group_by(v: Option<Value>) -> Result<Vec<Column>, String> {
    let raw = match v {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        None | Some(Value::Null) | Some(Value::String(_)) => return Ok(Vec::new()),
        Some(other) => return Err(format!("Invalid group_by: {other}")),
    };
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_ ,`'\".()".contains(c);
    if !raw.to_lowercase().chars().all(allowed) {
        return Err("Illegal SQL Query".into());
    }
    let mut out = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let column = parse_column(part)?;
        if column.agg.is_some() || column.field == "*" {
            return Err(format!("Can't group on '{part}'"));
        }
        out.push(column);
    }
    Ok(out)
}

/// Parses "name", "`tabX`.field", "`tabX`.`field` as alias", "tabX.field", and the aggregates
/// "sum(`tabX`.`field`) as alias", "count(*)", "count(distinct field)", "min(..)", "max(..)".
/// An aggregate without an alias is keyed by its text, as MariaDB names such a column.
pub fn parse_column(raw: &str) -> Result<Column, String> {
    let lower = raw.to_ascii_lowercase();
    let (expr, alias) = match lower.find(" as ") {
        Some(i) => (raw[..i].trim(), Some(raw[i + 4..].trim().trim_matches('`').to_string())),
        None => (raw.trim(), None),
    };
    if let Some((name, inner)) = split_call(expr) {
        let name = name.to_ascii_lowercase();
        if BLACKLISTED_FUNCTIONS.contains(&name.as_str()) {
            return Err(format!("Use of function {name} in field is restricted"));
        }
        let func = match name.as_str() {
            "sum" => Func::Sum,
            "count" => Func::Count,
            "min" => Func::Min,
            "max" => Func::Max,
            _ => return Err(format!("Field not permitted in query: {raw}")),
        };
        let (distinct, inner) = match inner.get(..9) {
            Some(d) if d.eq_ignore_ascii_case("distinct ") => (true, inner[9..].trim()),
            _ => (false, inner),
        };
        if split_call(inner).is_some() || (inner == "*" && (func != Func::Count || distinct)) {
            return Err(format!("Field not permitted in query: {raw}"));
        }
        let column = plain_column(inner, raw)?;
        // Frappe's `extract_tables` skips fields holding `count(`, `sum(`, `avg(` (and a few
        // others), not `min(`/`max(`: it takes "min(`tabX`" for a table, looks up a doctype
        // named "(`tabX`" and fails (there a DoesNotExistError; a DataError here).
        if matches!(func, Func::Min | Func::Max) && column.doctype.is_some() {
            let table = expr.split('.').next().unwrap_or_default();
            return Err(format!("DocType {} not found", table.get(3..).unwrap_or(table)));
        }
        let key = alias.unwrap_or_else(|| expr.to_string());
        return Ok(Column { key, agg: Some(Agg { func, distinct }), ..column });
    }
    let column = plain_column(expr, raw)?;
    Ok(Column { key: alias.unwrap_or_else(|| column.field.clone()), ..column })
}

/// `name(inner)`: the function name and what is between its parentheses.
fn split_call(expr: &str) -> Option<(&str, &str)> {
    let open = expr.find('(')?;
    let name = expr[..open].trim();
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let inner = expr[open + 1..].trim_end().strip_suffix(')')?;
    ok.then_some((name, inner.trim()))
}

/// A column without function or alias; `raw` is what the error quotes.
fn plain_column(expr: &str, raw: &str) -> Result<Column, String> {
    let (doctype, field) = if let Some(rest) = expr.strip_prefix("`tab") {
        let end = rest.find('`').ok_or_else(|| format!("Invalid field: {raw}"))?;
        let field = rest[end + 1..].strip_prefix('.').ok_or_else(|| format!("Invalid field: {raw}"))?;
        (Some(rest[..end].to_string()), field.trim_matches('`').to_string())
    } else if let Some((t, f)) = expr.strip_prefix("tab").and_then(|r| r.rsplit_once('.')) {
        (Some(t.to_string()), f.trim_matches('`').to_string())
    } else {
        (None, expr.trim_matches('`').to_string())
    };
    let ok = field == "*" || (!field.is_empty() && field.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if !ok {
        return Err(format!("Field not permitted in query: {raw}"));
    }
    Ok(Column { key: field.clone(), doctype, field, agg: None, text: expr.to_string() })
}

fn parse_filters(v: Value) -> Result<Vec<Filter>, String> {
    let mut out = Vec::new();
    match v {
        Value::Object(map) => {
            for (field, value) in map {
                out.push(match value {
                    Value::Array(a) if matches!(a.first(), Some(Value::String(op)) if is_op(op)) => {
                        let op = a[0].as_str().unwrap_or("=").to_ascii_lowercase();
                        Filter { doctype: None, field, op, value: a.get(1).cloned().unwrap_or(Value::Null) }
                    }
                    value => Filter { doctype: None, field, op: "=".into(), value },
                });
            }
        }
        Value::Array(items) => {
            for item in items {
                let Value::Array(parts) = item else {
                    return Err(format!("Invalid filter: {item}"));
                };
                let strs = |i: usize| parts.get(i).and_then(Value::as_str).map(str::to_string);
                let (doctype, field, op, value) = match parts.len() {
                    3 => (None, strs(0), strs(1), parts[2].clone()),
                    4 => (strs(0), strs(1), strs(2), parts[3].clone()),
                    5 => (strs(0), strs(1), strs(2), parts[3].clone()),
                    _ => return Err(format!("Invalid filter: {}", Value::Array(parts.clone()))),
                };
                let (Some(field), Some(op)) = (field, op) else {
                    return Err(format!("Invalid filter: {}", Value::Array(parts.clone())));
                };
                let op = op.to_ascii_lowercase();
                if !is_op(&op) {
                    return Err(format!("Operator must be one of {}", OPERATORS.join(", ")));
                }
                out.push(Filter { doctype, field, op, value });
            }
        }
        Value::Null => {}
        other => return Err(format!("Invalid filters: {other}")),
    }
    Ok(out)
}

fn is_op(op: &str) -> bool {
    OPERATORS.contains(&op.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modification_times_compare_as_datetimes() {
        let args = parse_args(|k| match k {
            "filters" => Some(serde_json::json!([
                ["modified", "between", ["2026-12-01", "2026-12-02"]],
                ["creation", ">=", "2026-12-01 10:00:00"],
                ["name", ">", "2026-12-01"],
            ])),
            _ => None,
        })
        .expect("parses");
        assert_eq!(
            args.filters[0].value,
            serde_json::json!(["2026-12-01 00:00:00.000000", "2026-12-02 23:59:59.999999"])
        );
        assert_eq!(args.filters[1].value, "2026-12-01 10:00:00.000000");
        assert_eq!(args.filters[2].value, "2026-12-01", "other fields are left alone");
    }
}
