//! A stateful, Frappe-like ERPNext served over real HTTP (axum on 127.0.0.1:0) for tests and the demo.
//!
//! It imitates Frappe's REST API v1 as the bot uses it: `/api/resource/<DocType>[/<name>]`
//! (list, get, insert, update), `frappe.client.get_list`, `frappe.auth.get_logged_user`,
//! token auth, Frappe-shaped error bodies with double-encoded `_server_messages`, unique
//! fields, child tables, permissions, proxy faults (HTML 502/503, plain-text 429), and
//! `frappe.utils.print_format.download_pdf` with the ways it fails (`erp/print.rs`).
//! The list semantics (default page length 20, joins duplicating parents, `ifnull`
//! comparisons, case-insensitive strings, `group_by` with `sum`/`count`/`min`/`max` fields)
//! live in `erp/query.rs`, `erp/eval.rs` and `erp/aggregate.rs`.

mod aggregate;
mod eval;
mod hooks;
mod http;
mod invoice;
mod meta;
mod print;
mod query;
mod store;

pub use hooks::{FRAPPE_TRIES, WebhookAttempt, WebhookOutcome, frappe_sleep_after};
pub use print::PdfSite;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

pub const API_KEY: &str = "test-key";
pub const API_SECRET: &str = "test-secret";
/// The user `frappe.auth.get_logged_user` reports for the test token.
pub const API_USER: &str = "bot@example.com";
/// The site's time zone unless [`FakeErp::set_time_zone`] sets another: a shop in Uzbekistan.
pub const DEFAULT_TIME_ZONE: chrono_tz::Tz = chrono_tz::Asia::Tashkent;

/// A fault served instead of (or before) the normal answer, as a proxy or Frappe would.
#[derive(Debug, Clone)]
pub enum Fault {
    Status503Html,
    Status502Html,
    /// 429 with a plain-text body "Too Many Requests" and a `Retry-After` header.
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// Answer normally, but only after this delay.
    Delay(Duration),
    /// 500 with a Frappe JSON error body (a lost database connection).
    Status500Json,
}

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Percent-decoded path.
    pub path: String,
    /// Percent-decoded query parameters.
    pub query: HashMap<String, String>,
    pub body: Option<Value>,
}

struct Inner {
    /// Lists read under the shared lock, so that concurrent list requests are served in parallel.
    store: RwLock<store::Store>,
    traffic: Mutex<store::Traffic>,
    hooks: Mutex<hooks::Hooks>,
    addr: SocketAddr,
}

/// Handle to a running fake ERPNext; clones share the same server and state.
#[derive(Clone)]
pub struct FakeErp {
    inner: Arc<Inner>,
}

/// A Frappe error answer: status, `exc_type`, user-facing message.
struct ErpError {
    status: StatusCode,
    exc_type: &'static str,
    message: String,
    exception: Option<String>,
}

fn err(status: u16, exc_type: &'static str, message: impl Into<String>) -> ErpError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ErpError { status, exc_type, message: message.into(), exception: None }
}

/// `_server_messages`: a JSON string holding a JSON list of JSON strings.
pub fn server_messages(messages: &[&str]) -> String {
    let inner: Vec<String> = messages
        .iter()
        .map(|m| json!({"message": m, "title": "Message", "indicator": "red", "raise_exception": 1}).to_string())
        .collect();
    Value::from(inner).to_string()
}

impl IntoResponse for ErpError {
    fn into_response(self) -> Response {
        let exception = self.exception.unwrap_or_else(|| match self.message.as_str() {
            "" => format!("frappe.exceptions.{}", self.exc_type),
            m => format!("frappe.exceptions.{}: {m}", self.exc_type),
        });
        let mut body = json!({"exc_type": self.exc_type, "exception": exception});
        // A database error reaches `report_error` without a message (no `msgprint`).
        if !self.message.is_empty() {
            body["_server_messages"] = Value::String(server_messages(&[self.message.as_str()]));
        }
        (self.status, axum::Json(body)).into_response()
    }
}

impl FakeErp {
    /// Binds 127.0.0.1:0, serves in the background, registers the standard doctypes.
    pub async fn start() -> std::io::Result<FakeErp> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr`, serves in the background, registers the standard doctypes.
    pub async fn bind(addr: SocketAddr) -> std::io::Result<FakeErp> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let erp = FakeErp {
            inner: Arc::new(Inner {
                store: RwLock::new(store::Store::default()),
                traffic: Mutex::default(),
                hooks: Mutex::default(),
                addr,
            }),
        };
        for dt in [
            "Customer",
            "Sales Order",
            "Sales Invoice",
            "Payment Entry",
            "Custom Field",
            "Webhook",
            "User",
            "Print Format",
        ] {
            erp.register_doctype(dt);
        }
        erp.register_child("Sales Order Item", "Sales Order", "items");
        erp.register_child("Payment Schedule", "Sales Order", "payment_schedule");
        erp.register_child("Sales Invoice Item", "Sales Invoice", "items");
        erp.register_child("Payment Entry Reference", "Payment Entry", "references");
        erp.add_unique("Customer", "custom_passport_series");
        erp.add_unique("Customer", "custom_telegram_id");
        let app = axum::Router::new().fallback(http::handle).with_state(erp.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(erp)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    fn st(&self) -> RwLockWriteGuard<'_, store::Store> {
        self.inner.store.write().unwrap_or_else(|e| e.into_inner())
    }

    fn st_read(&self) -> RwLockReadGuard<'_, store::Store> {
        self.inner.store.read().unwrap_or_else(|e| e.into_inner())
    }

    fn traffic(&self) -> MutexGuard<'_, store::Traffic> {
        self.inner.traffic.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn hooks(&self) -> MutexGuard<'_, hooks::Hooks> {
        self.inner.hooks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the site's time zone (System Settings `time_zone`): `modified` and `creation` are
    /// written in it from now on, and `frappe.client.get_time_zone` answers it.
    pub fn set_time_zone(&self, tz: chrono_tz::Tz) {
        let mut st = self.st();
        st.time_zone = Some(tz);
        // Times written before were in the other zone: they no longer bound the next ones.
        st.last_modified = None;
    }

    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.st_read().time_zone()
    }

    /// Puts the site's clock `offset` ahead of the real one (behind when negative).
    pub fn set_clock_offset(&self, offset: chrono::TimeDelta) {
        let mut st = self.st();
        st.clock_offset = offset;
        st.last_modified = None;
    }

    /// The site's wall clock now, as `modified` would be written.
    pub fn site_now(&self) -> chrono::NaiveDateTime {
        self.st_read().site_now()
    }

    /// Deletes a document; false when there was none.
    pub fn delete(&self, doctype: &str, name: &str) -> bool {
        self.st().remove(doctype, name)
    }

    /// Makes a doctype exist (an empty list instead of 404 "DocType not found").
    pub fn register_doctype(&self, doctype: &str) {
        self.st().known.insert(doctype.to_string());
    }

    /// Declares that rows of `child_doctype` live in `parent_doctype.<table_field>`.
    pub fn register_child(&self, child_doctype: &str, parent_doctype: &str, table_field: &str) {
        let mut st = self.st();
        st.known.insert(child_doctype.to_string());
        st.known.insert(parent_doctype.to_string());
        st.children.insert(child_doctype.into(), (parent_doctype.into(), table_field.into()));
        st.generation += 1;
    }

    /// Makes the fake a bare stock site: the doctypes the bot reads have Frappe's standard
    /// columns and no others, plus those of the `Custom Field`s created from then on (what
    /// `erp setup` does). A list naming another column is refused as Frappe refuses it
    /// (`meta.rs`); documents read whole are served as stored.
    pub fn stock_site(&self) {
        self.register_doctype("Sales Invoice");
        self.register_child("Sales Invoice Item", "Sales Invoice", "items");
        let mut st = self.st();
        st.meta = meta::stock_columns();
        st.generation += 1;
    }

    /// Whether a stock site's `doctype` has the column `field` (`None`: not a stock doctype).
    pub fn has_column(&self, doctype: &str, field: &str) -> Option<bool> {
        self.st_read().meta.get(doctype).map(|columns| columns.contains(field))
    }

    pub fn add_unique(&self, doctype: &str, field: &str) {
        self.st().unique.entry(doctype.into()).or_default().push(field.into());
    }

    /// Every request on `doctype` answers 403 `PermissionError`.
    pub fn deny(&self, doctype: &str) {
        self.st().denied.insert(doctype.into());
    }

    pub fn allow(&self, doctype: &str) {
        self.st().denied.remove(doctype);
        self.st().print_denied.remove(doctype);
    }

    /// `download_pdf` of `doctype` answers 403, as for a role without Print on it.
    pub fn deny_print(&self, doctype: &str) {
        self.st().print_denied.insert(doctype.into());
    }

    /// How the site fares at turning documents into PDF.
    pub fn set_pdf_site(&self, site: PdfSite) {
        self.st().pdf_site = site;
    }

    /// Stores (or replaces) a document; fills `docstatus` 0, `modified`, child-row metadata.
    pub fn insert(&self, doctype: &str, doc: Value) {
        let mut st = self.st();
        st.known.insert(doctype.to_string());
        let doc = st.prepare(doctype, doc);
        st.put(doctype, doc);
    }

    pub fn get(&self, doctype: &str, name: &str) -> Option<Value> {
        self.st().find(doctype, name).cloned()
    }

    /// All documents of a doctype, in insertion order.
    pub fn all(&self, doctype: &str) -> Vec<Value> {
        self.st().docs.get(doctype).cloned().unwrap_or_default()
    }

    /// Sets one field as a change made inside ERPNext would (bumps `modified`).
    pub fn set_field(&self, doctype: &str, name: &str, field: &str, value: Value) {
        let mut st = self.st();
        let Some(mut doc) = st.find(doctype, name).cloned() else {
            panic!("set_field: no {doctype} {name} in the fake ERPNext");
        };
        doc[field] = value;
        if field != "modified" {
            doc["modified"] = Value::String(st.next_modified());
        }
        let doc = st.prepare(doctype, doc);
        st.put(doctype, doc);
    }

    /// Queues `n` faults, served to the next `n` requests.
    pub fn fail_next(&self, n: usize, kind: Fault) {
        self.traffic().faults.extend(std::iter::repeat_n(kind, n));
    }

    /// While down, every request answers 503 with nginx's HTML page.
    pub fn set_down(&self, down: bool) {
        self.traffic().down = down;
    }

    /// While set, lists ignore `group_by` as Frappe did before `frappe.client.get_list` took it
    /// (frappe#22969, October 2023; v14 and v15 releases before it): the unknown argument is
    /// dropped silently, so aggregate fields then make one row of every matching row.
    pub fn drop_group_by(&self, dropped: bool) {
        self.traffic().group_by_dropped = dropped;
    }

    /// While set, lists refuse aggregate fields written as SQL (`sum(x) as y`), as Frappe v16's
    /// query builder does (417 ValidationError; v16 takes them only as `{"SUM": "x"}` objects).
    pub fn refuse_sql_functions(&self, refused: bool) {
        self.traffic().functions_refused = refused;
    }

    /// Delays every answer by `d`.
    pub fn set_delay(&self, d: Option<Duration>) {
        self.traffic().delay = d;
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.traffic().requests.clone()
    }

    pub fn request_count(&self) -> usize {
        self.traffic().requests.len()
    }

    /// Forgets the recorded requests and their timings (`answer_times`, `busy`, `span`).
    pub fn clear_requests(&self) {
        let mut t = self.traffic();
        t.requests.clear();
        t.answer_times.clear();
        t.statuses.clear();
        t.busy = Duration::ZERO;
        t.first_request = None;
        t.last_answer = None;
    }

    /// Time the fake spent answering requests — parsing, listing, serialising; not injected
    /// delays or faults — summed over requests (concurrent ones overlap).
    pub fn busy(&self) -> Duration {
        self.traffic().busy
    }

    /// How long the answer to each request of `requests()` took (zero while unanswered).
    pub fn answer_times(&self) -> Vec<Duration> {
        self.traffic().answer_times.clone()
    }

    /// The status of the answer to each request of `requests()` (0 while unanswered, or when a
    /// fault answered it).
    pub fn statuses(&self) -> Vec<u16> {
        self.traffic().statuses.clone()
    }

    /// When the first request arrived and when the last answer was ready.
    pub fn span(&self) -> Option<(Instant, Instant)> {
        let t = self.traffic();
        t.first_request.zip(t.last_answer)
    }

    /// A Customer as the bot expects it: no Telegram link, phone in the stock `mobile_no`.
    pub fn seed_customer(&self, name: &str, customer_name: &str, passport: &str, phone: &str) {
        self.insert(
            "Customer",
            json!({
                "name": name,
                "customer_name": customer_name,
                "custom_passport_series": passport,
                "mobile_no": phone,
                "custom_telegram_id": null,
                "disabled": 0,
                "docstatus": 0,
            }),
        );
    }
}
