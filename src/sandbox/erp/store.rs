//! Document storage of the fake ERPNext: documents per doctype in insertion order, child
//! tables, unique fields, permissions, and the list query that joins child tables (grouped by
//! `aggregate.rs` when it has a `group_by` or aggregate fields).
//!
//! Lists stay fast on large data sets (benchmarks seed 100,000 contracts) without changing
//! their answers: names are indexed, `=`/`in` filters pick their candidate documents from
//! lazily built value indexes, rows borrow the stored documents, and the whole answer of a
//! query is kept so that its next pages are slices. Indexes and answers belong to one
//! generation of the store, which every write ends.

use super::aggregate;
use super::eval::{self, Row};
use super::query::{Filter, ListArgs};
use super::{ErpError, Fault, RecordedRequest, err};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Whole answers kept for paging (a planner reads a few queries page by page at a time).
const KEPT_ANSWERS: usize = 4;

/// Documents by the lower-cased text of a field (of the document or of any row of one of its
/// child tables), as `=`/`in` compare strings.
#[derive(Default)]
struct Index {
    /// Lower-cased string value -> positions of the documents holding it (ascending).
    by_text: HashMap<String, Vec<usize>>,
    /// Positions of documents where the field holds something other than a string: numbers and
    /// NULL compare by other rules, so these are always candidates.
    other: Vec<usize>,
}

/// (doctype, child table field or `None` for the document itself, field).
type IndexKey = (String, Option<String>, String);

#[derive(Default)]
pub(super) struct Cache {
    generation: u64,
    indexes: HashMap<IndexKey, Arc<Index>>,
    /// (parent doctype, table) -> whether every child row carries its parent's metadata.
    in_place: HashMap<(String, String), bool>,
    /// (query key, every row of the answer before paging), newest last.
    answers: VecDeque<(String, Arc<Vec<String>>)>,
}

/// One page of a list answer: rows as JSON text (a row is serialised once, however many times
/// its pages are asked for).
pub(super) struct Listed {
    rows: Arc<Vec<String>>,
    start: usize,
    end: usize,
}

impl Listed {
    fn page(rows: Arc<Vec<String>>, args: &ListArgs) -> Listed {
        let start = args.limit_start.min(rows.len());
        let end =
            if args.limit_page_length == 0 { rows.len() } else { (start + args.limit_page_length).min(rows.len()) };
        Listed { rows, start, end }
    }

    pub(super) fn len(&self) -> usize {
        self.end - self.start
    }

    /// `{"<key>":[rows…]}`, byte for byte what serialising the rows as values gives.
    pub(super) fn envelope(&self, key: &str) -> String {
        let rows = &self.rows[self.start..self.end];
        let mut out = String::with_capacity(rows.iter().map(|r| r.len() + 1).sum::<usize>() + key.len() + 8);
        out.push('{');
        out.push_str(&Value::String(key.to_string()).to_string());
        out.push_str(":[");
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(row);
        }
        out.push_str("]}");
        out
    }
}

#[derive(Default)]
pub(super) struct Store {
    pub(super) docs: HashMap<String, Vec<Value>>,
    pub(super) known: HashSet<String>,
    /// child doctype -> (parent doctype, table field)
    pub(super) children: HashMap<String, (String, String)>,
    pub(super) unique: HashMap<String, Vec<String>>,
    pub(super) denied: HashSet<String>,
    /// Doctype -> its columns, for the doctypes of a stock site (`meta.rs`); a doctype without
    /// an entry takes any column.
    pub(super) meta: HashMap<String, HashSet<String>>,
    /// Doctypes the API user may read but not print (see `FakeErp::deny_print`).
    pub(super) print_denied: HashSet<String>,
    pub(super) pdf_site: super::print::PdfSite,
    pub(super) last_modified: Option<chrono::NaiveDateTime>,
    /// The site's time zone (System Settings `time_zone`); `None`: [`super::DEFAULT_TIME_ZONE`].
    pub(super) time_zone: Option<chrono_tz::Tz>,
    /// How far the site's clock is ahead of the real one (negative: behind).
    pub(super) clock_offset: chrono::TimeDelta,
    /// doctype -> name -> position in `docs`.
    pub(super) positions: HashMap<String, HashMap<String, usize>>,
    /// Ends (with the cache) on every change of documents or doctypes.
    pub(super) generation: u64,
    pub(super) cache: Mutex<Cache>,
}

/// What happens to requests, apart from the documents: the record of them, their timings, and
/// the faults and delays to serve. Kept apart from the store, so that recording a request does
/// not wait for lists being computed under the store's shared lock.
#[derive(Default)]
pub(super) struct Traffic {
    pub(super) faults: VecDeque<Fault>,
    pub(super) down: bool,
    /// See `FakeErp::drop_group_by`.
    pub(super) group_by_dropped: bool,
    /// See `FakeErp::refuse_sql_functions`.
    pub(super) functions_refused: bool,
    pub(super) delay: Option<Duration>,
    pub(super) requests: Vec<RecordedRequest>,
    /// Time spent answering requests (see `FakeErp::busy`).
    pub(super) busy: Duration,
    /// Per recorded request (same order), the time its answer took; zero until answered.
    pub(super) answer_times: Vec<Duration>,
    /// The status of each answer (0 while unanswered, or when a fault answered).
    pub(super) statuses: Vec<u16>,
    pub(super) first_request: Option<Instant>,
    pub(super) last_answer: Option<Instant>,
}

impl Store {
    fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn find(&self, doctype: &str, name: &str) -> Option<&Value> {
        let at = *self.positions.get(doctype)?.get(name)?;
        self.docs.get(doctype)?.get(at)
    }

    /// Stores a prepared document (its `name` is a string), replacing the one of that name.
    pub(super) fn put(&mut self, doctype: &str, doc: Value) {
        self.generation += 1;
        if doctype == "Custom Field" {
            // Frappe adds the column as it inserts the Custom Field (`CustomField.on_update`).
            let (dt, field) = (doc["dt"].as_str().unwrap_or_default(), doc["fieldname"].as_str().unwrap_or_default());
            if let Some(columns) = self.meta.get_mut(dt) {
                columns.insert(field.to_string());
            }
        }
        let name = doc["name"].as_str().unwrap_or_default().to_string();
        let list = self.docs.entry(doctype.to_string()).or_default();
        let positions = self.positions.entry(doctype.to_string()).or_default();
        match positions.get(&name) {
            Some(&at) => list[at] = doc,
            None => {
                positions.insert(name, list.len());
                list.push(doc);
            }
        }
    }

    pub(super) fn time_zone(&self) -> chrono_tz::Tz {
        self.time_zone.unwrap_or(super::DEFAULT_TIME_ZONE)
    }

    /// The site's wall clock: Frappe's `now_datetime()` (`frappe/utils/data.py`) is the server's
    /// UTC time converted to System Settings `time_zone`, stored naive in `modified`/`creation`.
    pub(super) fn site_now(&self) -> chrono::NaiveDateTime {
        (chrono::Utc::now() + self.clock_offset).with_timezone(&self.time_zone()).naive_local()
    }

    /// Removes a document (Frappe's `delete_doc`); false when there was none of that name.
    pub(super) fn remove(&mut self, doctype: &str, name: &str) -> bool {
        let Some(at) = self.positions.get(doctype).and_then(|p| p.get(name)).copied() else { return false };
        self.generation += 1;
        let list = self.docs.entry(doctype.to_string()).or_default();
        list.remove(at);
        let positions: HashMap<String, usize> =
            list.iter().enumerate().map(|(i, d)| (d["name"].as_str().unwrap_or_default().to_string(), i)).collect();
        self.positions.insert(doctype.to_string(), positions);
        true
    }

    /// Strictly increasing `YYYY-MM-DD HH:MM:SS.ffffff` timestamps, on the site's clock.
    pub(super) fn next_modified(&mut self) -> String {
        let mut now = self.site_now();
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

    pub(super) fn list(&self, doctype: &str, args: &ListArgs) -> Result<Listed, ErpError> {
        self.check_doctype(doctype)?;
        if let Some((parent_dt, _)) = self.children.get(doctype) {
            // Frappe's check_parent_permission: no or wrong `parent` is a PermissionError.
            if args.parent.as_deref() != Some(parent_dt.as_str()) || self.denied.contains(parent_dt) {
                return Err(err(403, "PermissionError", format!("Insufficient Permission for {doctype}")));
            }
        }
        super::meta::check(&self.meta, doctype, args)?;
        // A malformed filter fails only on the rows it is evaluated on: such queries go over
        // every document, unindexed and unkept, to fail (or not) exactly where they always did.
        let well_formed =
            args.filters.iter().chain(&args.or_filters).all(|f| eval::matches(&Value::Null, &f.op, &f.value).is_ok());
        if !well_formed {
            let all = self.select(doctype, args, false)?;
            return Ok(Listed::page(Arc::new(all), args));
        }
        let key = format!(
            "{doctype}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}",
            args.columns, args.filters, args.or_filters, args.group_by, args.order_by, args.parent
        );
        let kept = {
            let mut cache = self.cache();
            if cache.generation != self.generation {
                *cache = Cache { generation: self.generation, ..Cache::default() };
            }
            cache.answers.iter().find(|(k, _)| *k == key).map(|(_, rows)| rows.clone())
        };
        let all = match kept {
            Some(rows) => rows,
            None => {
                let rows = Arc::new(self.select(doctype, args, true)?);
                let mut cache = self.cache();
                // Another reader may have computed the same answer meanwhile.
                if cache.generation == self.generation && !cache.answers.iter().any(|(k, _)| *k == key) {
                    if cache.answers.len() >= KEPT_ANSWERS {
                        cache.answers.pop_front();
                    }
                    cache.answers.push_back((key, rows.clone()));
                }
                rows
            }
        };
        Ok(Listed::page(all, args))
    }

    /// Every row of the answer, filtered, ordered and projected (not paged). With `indexed`,
    /// only the documents an index says can match are looked at.
    fn select(&self, doctype: &str, args: &ListArgs, indexed: bool) -> Result<Vec<String>, ErpError> {
        let bad = |m: String| err(417, "DataError", m);
        let child_of = self.children.get(doctype);
        let mut joined: Vec<(String, String)> = Vec::new();
        if child_of.is_none() {
            let referenced = args.filters.iter().chain(&args.or_filters).filter_map(|f| f.doctype.clone());
            // Frappe joins no table for a field inside an aggregate (`extract_tables`).
            let plain = args.columns.iter().filter(|c| c.agg.is_none());
            let referenced = referenced.chain(plain.filter_map(|c| c.doctype.clone()));
            let referenced = referenced.chain(args.order_by.iter().filter_map(|(c, _)| c.doctype.clone()));
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
        }
        let mut tables: Vec<&str> = vec![doctype];
        tables.extend(joined.iter().map(|(d, _)| d.as_str()).chain(child_of.map(|(p, _)| p.as_str())));
        aggregate::check_tables(&tables, args)?;
        let filters: Vec<eval::Compiled<'_>> = args.filters.iter().map(eval::Compiled::new).collect();
        let mut rows: Vec<Row<'_>> = Vec::new();
        if let Some((parent_dt, table)) = child_of {
            let parents = self.docs.get(parent_dt).map(Vec::as_slice).unwrap_or_default();
            let picked = if indexed { self.candidates(doctype, args, &joined) } else { None };
            let all_in_place = indexed && self.children_in_place(parent_dt, table);
            for parent in chosen(parents, picked.as_deref()) {
                for child in parent[table.as_str()].as_array().into_iter().flatten() {
                    let main = if all_in_place || child_in_place(child, parent, parent_dt, table) {
                        Cow::Borrowed(child)
                    } else {
                        let mut child = child.clone();
                        child["parent"] = parent["name"].clone();
                        child["parenttype"] = Value::String(parent_dt.clone());
                        child["parentfield"] = Value::String(table.clone());
                        child["docstatus"] = parent["docstatus"].clone();
                        Cow::Owned(child)
                    };
                    let parent = Some((parent_dt.as_str(), parent));
                    rows.push(Row { main_doctype: doctype, main, parent, others: Vec::new() });
                }
            }
        } else {
            let docs = self.docs.get(doctype).map(Vec::as_slice).unwrap_or_default();
            let picked = if indexed { self.candidates(doctype, args, &joined) } else { None };
            // Per joined table, the filters on its rows.
            let owns: Vec<Vec<&eval::Compiled<'_>>> = joined
                .iter()
                .map(|(dt, _)| filters.iter().filter(|c| c.filter.doctype.as_deref() == Some(dt.as_str())).collect())
                .collect();
            for doc in chosen(docs, picked.as_deref()) {
                let mut combos: Vec<Vec<(&str, Option<&Value>)>> = vec![Vec::new()];
                for ((dt, table), own) in joined.iter().zip(&owns) {
                    let mut hits: Vec<Option<&Value>> = Vec::new();
                    for child in doc[table.as_str()].as_array().into_iter().flatten() {
                        let mut ok = true;
                        for c in own {
                            ok &= c.matches(&child[c.filter.field.as_str()]).map_err(bad)?;
                        }
                        if ok {
                            hits.push(Some(child));
                        }
                    }
                    if hits.is_empty() && own.is_empty() {
                        hits.push(None); // LEFT JOIN keeps the parent once, with NULL columns
                    }
                    combos = combos
                        .into_iter()
                        .flat_map(|c| {
                            hits.iter().map(move |h| {
                                let mut c = c.clone();
                                c.push((dt.as_str(), *h));
                                c
                            })
                        })
                        .collect();
                }
                for others in combos {
                    rows.push(Row { main_doctype: doctype, main: Cow::Borrowed(doc), parent: None, others });
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
                        eval::matches(row.get(f.doctype.as_deref(), &f.field), &f.op, &f.value).map(|m| acc || m)
                    })
                    .map_err(bad)?;
            if any_or && eval::row_matches(&row, &filters).map_err(bad)? {
                kept.push(row);
            }
        }
        if aggregate::is_grouped(args) {
            return Ok(aggregate::group(&kept, args));
        }
        eval::sort_rows(&mut kept, &args.order_by);
        Ok(kept.iter().map(|r| eval::project(r, &args.columns)).collect())
    }

    /// Positions (ascending) of the documents iterated for `listed` (its parent's, for a child
    /// doctype) that can yield a row: those the most selective indexed `=`/`in` filter admits.
    /// `None`: every document.
    fn candidates(&self, listed: &str, args: &ListArgs, joined: &[(String, String)]) -> Option<Vec<usize>> {
        let mut best: Option<(usize, Arc<Index>, Vec<String>)> = None;
        // `in` lists are the selective ones (names of a batch); `=` is looked at only without
        // them, which spares building indexes of `docstatus = 1` and the like.
        let indexable = |f: &&Filter| self.index_key(listed, f, joined).is_some();
        let op = if args.filters.iter().filter(indexable).any(|f| f.op == "in") { "in" } else { "=" };
        for f in args.filters.iter().filter(|f| f.op == op) {
            let Some(key) = self.index_key(listed, f, joined) else { continue };
            let index = self.index(key);
            let texts: Vec<String> = if f.op == "=" {
                vec![eval::text(&f.value)]
            } else {
                let list = eval::list_of(&f.value);
                // Frappe turns an empty list into ('').
                if list.is_empty() { vec![String::new()] } else { list.iter().map(eval::text).collect() }
            };
            let size =
                index.other.len() + texts.iter().filter_map(|t| index.by_text.get(t)).map(Vec::len).sum::<usize>();
            if best.as_ref().is_none_or(|(s, _, _)| size < *s) {
                best = Some((size, index, texts));
            }
        }
        let (_, index, texts) = best?;
        let mut picked = index.other.clone();
        for t in &texts {
            picked.extend(index.by_text.get(t).into_iter().flatten());
        }
        picked.sort_unstable();
        picked.dedup();
        Some(picked)
    }

    /// Which index answers filter `f` when listing `listed`; `None` when none can.
    fn index_key(&self, listed: &str, f: &Filter, joined: &[(String, String)]) -> Option<IndexKey> {
        let on = f.doctype.as_deref();
        if let Some((parent_dt, table)) = self.children.get(listed) {
            if on.is_none() || on == Some(listed) {
                // The row's parent metadata is the parent's, whatever the stored child holds.
                return match f.field.as_str() {
                    "parent" => Some((parent_dt.clone(), None, "name".into())),
                    "docstatus" => Some((parent_dt.clone(), None, "docstatus".into())),
                    "parenttype" | "parentfield" => None,
                    field => Some((parent_dt.clone(), Some(table.clone()), field.into())),
                };
            }
            return (on == Some(parent_dt.as_str())).then(|| (parent_dt.clone(), None, f.field.clone()));
        }
        if on.is_none() || on == Some(listed) {
            return Some((listed.into(), None, f.field.clone()));
        }
        let (_, table) = joined.iter().find(|(dt, _)| Some(dt.as_str()) == on)?;
        Some((listed.into(), Some(table.clone()), f.field.clone()))
    }

    /// Whether every row of `parent_dt.table` carries its parent's metadata (checked once per
    /// generation).
    fn children_in_place(&self, parent_dt: &str, table: &str) -> bool {
        let key = (parent_dt.to_string(), table.to_string());
        if let Some(known) = self.cache().in_place.get(&key) {
            return *known;
        }
        let all = self.docs.get(parent_dt).into_iter().flatten().all(|parent| {
            parent[table].as_array().into_iter().flatten().all(|c| child_in_place(c, parent, parent_dt, table))
        });
        self.cache().in_place.insert(key, all);
        all
    }

    fn index(&self, key: IndexKey) -> Arc<Index> {
        if let Some(index) = self.cache().indexes.get(&key) {
            return index.clone();
        }
        let (doctype, table, field) = &key;
        let mut index = Index::default();
        let mut add = |at: usize, value: &Value| {
            let list = match value {
                Value::String(s) => index.by_text.entry(s.to_lowercase()).or_default(),
                _ => &mut index.other,
            };
            if list.last() != Some(&at) {
                list.push(at);
            }
        };
        for (at, doc) in self.docs.get(doctype).into_iter().flatten().enumerate() {
            match table {
                None => add(at, &doc[field.as_str()]),
                Some(t) => {
                    for child in doc[t.as_str()].as_array().into_iter().flatten() {
                        add(at, &child[field.as_str()]);
                    }
                }
            }
        }
        let index = Arc::new(index);
        self.cache().indexes.insert(key, index.clone());
        index
    }
}

/// The documents at `picked` (ascending positions), or all of them.
fn chosen<'a: 'p, 'p>(docs: &'a [Value], picked: Option<&'p [usize]>) -> Box<dyn Iterator<Item = &'a Value> + 'p> {
    match picked {
        Some(at) => Box::new(at.iter().filter_map(|&i| docs.get(i))),
        None => Box::new(docs.iter()),
    }
}

/// Whether a stored child row already carries its parent's metadata, as `prepare` leaves it.
fn child_in_place(child: &Value, parent: &Value, parent_dt: &str, table: &str) -> bool {
    child.get("parent") == Some(&parent["name"])
        && child.get("parenttype").and_then(Value::as_str) == Some(parent_dt)
        && child.get("parentfield").and_then(Value::as_str) == Some(table)
        && child.get("docstatus") == Some(&parent["docstatus"])
}

pub(super) fn new_hash() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}
