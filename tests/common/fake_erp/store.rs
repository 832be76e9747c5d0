//! Document storage of the fake ERPNext: documents per doctype in insertion order, child
//! tables, unique fields, permissions, and the list query that joins child tables.

use super::eval::{self, Row};
use super::query::ListArgs;
use super::{ErpError, Fault, RecordedRequest, err};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

#[derive(Default)]
pub(super) struct Store {
    pub(super) docs: HashMap<String, Vec<Value>>,
    pub(super) known: HashSet<String>,
    /// child doctype -> (parent doctype, table field)
    pub(super) children: HashMap<String, (String, String)>,
    pub(super) unique: HashMap<String, Vec<String>>,
    pub(super) denied: HashSet<String>,
    pub(super) faults: VecDeque<Fault>,
    pub(super) down: bool,
    pub(super) delay: Option<Duration>,
    pub(super) requests: Vec<RecordedRequest>,
    pub(super) last_modified: Option<chrono::NaiveDateTime>,
}

impl Store {
    pub(super) fn find(&self, doctype: &str, name: &str) -> Option<&Value> {
        self.docs.get(doctype)?.iter().find(|d| d["name"].as_str() == Some(name))
    }

    pub(super) fn put(&mut self, doctype: &str, doc: Value) {
        let list = self.docs.entry(doctype.to_string()).or_default();
        match list.iter_mut().find(|d| d["name"] == doc["name"]) {
            Some(slot) => *slot = doc,
            None => list.push(doc),
        }
    }

    /// Strictly increasing `YYYY-MM-DD HH:MM:SS.ffffff` timestamps.
    pub(super) fn next_modified(&mut self) -> String {
        let mut now = chrono::Local::now().naive_local();
        if let Some(last) = self.last_modified
            && now <= last
        {
            now = last + chrono::TimeDelta::microseconds(1);
        }
        self.last_modified = Some(now);
        now.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }

    pub(super) fn prepare(&mut self, doctype: &str, doc: Value) -> Value {
        let Value::Object(mut doc) = doc else {
            panic!("fake ERPNext documents must be JSON objects, got {doc}");
        };
        let name = match doc.get("name") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => new_hash(),
        };
        let modified = match doc.get("modified") {
            Some(Value::String(s)) => s.clone(),
            _ => self.next_modified(),
        };
        doc.insert("name".into(), Value::String(name.clone()));
        doc.insert("doctype".into(), doctype.into());
        doc.entry("docstatus").or_insert(json!(0));
        doc.entry("creation").or_insert(Value::String(modified.clone()));
        doc.entry("owner").or_insert(json!("Administrator"));
        doc.insert("modified".into(), Value::String(modified));
        let docstatus = doc["docstatus"].clone();
        let modified = doc["modified"].clone();
        for (field, rows) in doc.iter_mut() {
            let Value::Array(rows) = rows else { continue };
            let child_dt = self.children.iter().find(|(_, (p, t))| p == doctype && t == field).map(|(c, _)| c.clone());
            for (i, row) in rows.iter_mut().enumerate() {
                let Value::Object(row) = row else { continue };
                row.entry("name").or_insert_with(|| Value::String(new_hash()));
                row.insert("parent".into(), Value::String(name.clone()));
                row.insert("parentfield".into(), Value::String(field.clone()));
                row.insert("parenttype".into(), doctype.into());
                row.insert("idx".into(), json!(i + 1));
                row.insert("docstatus".into(), docstatus.clone());
                row.insert("modified".into(), modified.clone());
                if let Some(dt) = &child_dt {
                    row.insert("doctype".into(), Value::String(dt.clone()));
                }
            }
        }
        Value::Object(doc)
    }

    /// 417 `UniqueValidationError` when another document holds the same unique value.
    pub(super) fn check_unique(&self, doctype: &str, doc: &Value) -> Result<(), ErpError> {
        for field in self.unique.get(doctype).into_iter().flatten() {
            let value = &doc[field.as_str()];
            let clash =
                self.docs.get(doctype).into_iter().flatten().any(|other| {
                    other["name"] != doc["name"] && eval::same_unique_value(&other[field.as_str()], value)
                });
            if clash {
                let shown = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                let mut e = err(417, "UniqueValidationError", format!("{field} must be unique"));
                e.exception = Some(format!(
                    "frappe.exceptions.UniqueValidationError: ('{doctype}', '{}', IntegrityError(1062, \"Duplicate entry '{shown}' for key '{field}'\"))",
                    doc["name"].as_str().unwrap_or_default()
                ));
                return Err(e);
            }
        }
        Ok(())
    }

    pub(super) fn check_doctype(&self, doctype: &str) -> Result<(), ErpError> {
        if !self.known.contains(doctype) {
            return Err(err(404, "DoesNotExistError", format!("DocType {doctype} not found")));
        }
        if self.denied.contains(doctype) {
            return Err(err(403, "PermissionError", format!("Insufficient Permission for {doctype}")));
        }
        Ok(())
    }

    pub(super) fn list(&self, doctype: &str, args: &ListArgs) -> Result<Vec<Value>, ErpError> {
        self.check_doctype(doctype)?;
        let bad = |m: String| err(417, "DataError", m);
        let mut rows: Vec<Row<'_>> = Vec::new();
        if let Some((parent_dt, table)) = self.children.get(doctype) {
            // Frappe's check_parent_permission: no or wrong `parent` is a PermissionError.
            if args.parent.as_deref() != Some(parent_dt.as_str()) || self.denied.contains(parent_dt) {
                return Err(err(403, "PermissionError", format!("Insufficient Permission for {doctype}")));
            }
            for parent in self.docs.get(parent_dt).into_iter().flatten() {
                for child in parent[table.as_str()].as_array().into_iter().flatten() {
                    let mut child = child.clone();
                    child["parent"] = parent["name"].clone();
                    child["parenttype"] = Value::String(parent_dt.clone());
                    child["parentfield"] = Value::String(table.clone());
                    child["docstatus"] = parent["docstatus"].clone();
                    let others = vec![(parent_dt.clone(), Some(parent.clone()))];
                    rows.push(Row { main_doctype: doctype, main: child, others });
                }
            }
        } else {
            let referenced = args.filters.iter().chain(&args.or_filters).filter_map(|f| f.doctype.clone());
            let referenced = referenced.chain(args.columns.iter().filter_map(|c| c.doctype.clone()));
            let referenced = referenced.chain(args.order_by.iter().filter_map(|(c, _)| c.doctype.clone()));
            let mut joined: Vec<(String, String)> = Vec::new();
            for dt in referenced.filter(|d| d != doctype) {
                match self.children.get(&dt) {
                    Some((p, t)) if p == doctype => {
                        if !joined.iter().any(|(d, _)| *d == dt) {
                            joined.push((dt, t.clone()));
                        }
                    }
                    _ => {
                        return Err(bad(format!("Table `tab{dt}` is not a child table of {doctype}")));
                    }
                }
            }
            for doc in self.docs.get(doctype).into_iter().flatten() {
                let mut combos: Vec<Vec<(String, Option<Value>)>> = vec![Vec::new()];
                for (dt, table) in &joined {
                    let own: Vec<_> = args.filters.iter().filter(|f| f.doctype.as_deref() == Some(dt)).collect();
                    let mut hits: Vec<Option<Value>> = Vec::new();
                    for child in doc[table.as_str()].as_array().into_iter().flatten() {
                        let mut ok = true;
                        for f in &own {
                            ok &= eval::matches(&child[f.field.as_str()], &f.op, &f.value).map_err(bad)?;
                        }
                        if ok {
                            hits.push(Some(child.clone()));
                        }
                    }
                    if hits.is_empty() && own.is_empty() {
                        hits.push(None); // LEFT JOIN keeps the parent once, with NULL columns
                    }
                    combos = combos
                        .into_iter()
                        .flat_map(|c| hits.iter().map(move |h| [c.clone(), vec![(dt.clone(), h.clone())]].concat()))
                        .collect();
                }
                for others in combos {
                    rows.push(Row { main_doctype: doctype, main: doc.clone(), others });
                }
            }
        }
        let mut kept = Vec::new();
        for row in rows {
            let any_or = args.or_filters.is_empty()
                || args
                    .or_filters
                    .iter()
                    .try_fold(false, |acc, f| {
                        eval::matches(&row.get(f.doctype.as_deref(), &f.field), &f.op, &f.value).map(|m| acc || m)
                    })
                    .map_err(bad)?;
            if any_or && eval::row_matches(&row, &args.filters).map_err(bad)? {
                kept.push(row);
            }
        }
        eval::sort_rows(&mut kept, &args.order_by);
        let page = eval::paginate(kept, args.limit_start, args.limit_page_length);
        Ok(page.iter().map(|r| eval::project(r, &args.columns)).collect())
    }
}

pub(super) fn new_hash() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}
