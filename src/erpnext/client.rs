//! The typed facade: builds Frappe requests, sends them through the tower stack under an
//! overall deadline, and decodes answers and errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::ServiceExt;

use super::{
    columns::{Columns, Prepared},
    error::{Access, ErpError},
    query::ListQuery,
    stack::{self, HttpService, StackSettings},
};
use crate::config::{ErpConfig, ErpSchema};

/// Everything but RFC 3986 unreserved characters is encoded in a path segment, so names with
/// spaces, `/`, `&` or `#` reach the right document.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// ERPNext client; cheap to clone.
#[derive(Clone)]
pub struct ErpClient {
    http: reqwest::Client,
    svc: HttpService,
    base: String,
    auth: String,
    deadline: Duration,
    schema: ErpSchema,
    /// Set once the site refused an aggregate list (see [`ErpClient::list_aggregate`]).
    aggregates_refused: Arc<AtomicBool>,
    /// The optional columns, and those the site lacks ([`super::columns`]).
    columns: Arc<Columns>,
}

impl ErpClient {
    pub fn new(config: &ErpConfig) -> Result<Self, ErpError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.attempt_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("erpnext-bot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ErpError::Unreachable(e.to_string()))?;
        let settings = StackSettings {
            max_concurrency: config.max_concurrency,
            attempt_timeout: config.attempt_timeout,
            max_retries: config.max_retries,
            base_backoff: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(5),
        };
        Ok(Self {
            svc: stack::build(http.clone(), settings),
            http,
            base: config.base_url.as_str().trim_end_matches('/').to_owned(),
            auth: format!("token {}:{}", config.api_key.expose(), config.api_secret.expose()),
            deadline: config.deadline,
            schema: config.schema.clone(),
            aggregates_refused: Arc::new(AtomicBool::new(false)),
            columns: Arc::new(Columns::new(&config.schema)),
        })
    }

    pub fn schema(&self) -> &ErpSchema {
        &self.schema
    }

    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    fn resource_url(&self, doctype: &str, name: Option<&str>) -> String {
        let mut url = format!("{}/api/resource/{}", self.base, utf8_percent_encode(doctype, SEGMENT));
        if let Some(name) = name {
            url.push('/');
            url.extend(utf8_percent_encode(name, SEGMENT));
        }
        url
    }

    /// Sends one request through the stack under the overall deadline; returns the body of a
    /// 2xx answer or the decoded error.
    async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<axum::body::Bytes, ErpError> {
        self.send_dated(method, url, query, body).await.map(|(bytes, _)| bytes)
    }

    /// [`ErpClient::send`], with the answer's `Date` header: the server's clock.
    async fn send_dated(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(axum::body::Bytes, Option<chrono::DateTime<chrono::Utc>>), ErpError> {
        let access = Access::of(&method, url);
        let mut builder = self
            .http
            .request(method, url)
            .query(query)
            .header(header::AUTHORIZATION, &self.auth)
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            builder = builder.json(body);
        }
        let request = builder.build().map_err(|e| ErpError::Decode(format!("bad request: {e}")))?;
        let work = async {
            let response = self.svc.clone().oneshot(request).await.map_err(transport_error)?;
            let status = response.status();
            let date = response
                .headers()
                .get(header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
                .map(|d| d.with_timezone(&chrono::Utc));
            let bytes = response.bytes().await.map_err(|e| transport_error(e.into()))?;
            Ok::<_, ErpError>((status, date, bytes))
        };
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(self.deadline, work).await.map_err(|_| ErpError::Timeout).and_then(|r| r);
        let label = match &answer {
            Ok((status, _, _)) => status.as_u16().to_string(),
            Err(ErpError::Timeout) => "timeout".into(),
            Err(_) => "unreachable".into(),
        };
        crate::telemetry::metrics::erpnext(metric_target(url, body), label, started.elapsed().as_secs_f64());
        let (status, date, bytes) = answer?;
        if status.is_success() { Ok((bytes, date)) } else { Err(ErpError::from_response(access, status, &bytes)) }
    }

    /// `GET /api/resource/{doctype}/{name}` → the document (child tables inline).
    pub async fn get_doc<T: DeserializeOwned>(&self, doctype: &str, name: &str) -> Result<T, ErpError> {
        let url = self.resource_url(doctype, Some(name));
        let body = self.send(Method::GET, &url, &[], None).await?;
        decode_data(&body)
    }

    /// `PUT /api/resource/{doctype}/{name}` with only the changed keys.
    pub async fn put_doc(&self, doctype: &str, name: &str, changes: &Value) -> Result<(), ErpError> {
        let url = self.resource_url(doctype, Some(name));
        self.send(Method::PUT, &url, &[], Some(changes)).await.map(drop)
    }

    /// `POST /api/resource/{doctype}`: inserts a document and returns it as stored. Never
    /// retried (the stack retries idempotent methods only): a lost answer must not insert twice.
    pub async fn post_doc(&self, doctype: &str, doc: &Value) -> Result<Value, ErpError> {
        let url = self.resource_url(doctype, None);
        let body = self.send(Method::POST, &url, &[], Some(doc)).await?;
        decode_data(&body)
    }

    /// Lists every row the query matches, page by page until a short page, through
    /// `POST /api/method/frappe.client.get_list` with the query as a JSON body — the method
    /// `GET /api/resource/{doctype}` calls, with the same parameters and permissions. A short
    /// request line: no 4094-byte limit for long `in` filters, and no long URL for reqwest to
    /// parse three times per request. Retried like a GET (it only reads).
    pub async fn list<T: DeserializeOwned>(&self, query: &ListQuery) -> Result<Vec<T>, ErpError> {
        self.list_with(query, Some).await
    }

    /// Calls `page(start)` until a short page (or the query's limit). A page answers how many
    /// rows ERPNext sent and what was kept of them (converted page by page, so a long listing
    /// never sits in memory as generic JSON).
    async fn paged<T, F, Fut>(&self, query: &ListQuery, page: F) -> Result<Vec<T>, ErpError>
    where
        F: Fn(usize) -> Fut,
        Fut: std::future::Future<Output = Result<(usize, Vec<T>), ErpError>>,
    {
        let mut rows: Vec<T> = Vec::new();
        let mut start = 0;
        loop {
            let (sent, got) = page(start).await?;
            start += sent;
            let short = sent < query.page_length;
            rows.extend(got);
            if let Some(limit) = query.limit.filter(|l| rows.len() >= *l) {
                rows.truncate(limit);
                return Ok(rows);
            }
            if short {
                return Ok(rows);
            }
        }
    }

    /// `GET /api/method/{method}`: the raw body of a whitelisted method's answer.
    pub async fn method(&self, method: &str, query: &[(&str, String)]) -> Result<Vec<u8>, ErpError> {
        let url = format!("{}/api/method/{}", self.base, utf8_percent_encode(method, SEGMENT));
        self.send(Method::GET, &url, query, None).await.map(Vec::from)
    }

    /// [`ErpClient::method`], with the server's clock from the answer's `Date` header (whole
    /// seconds; `None` when the answer has none).
    pub async fn method_dated(
        &self,
        method: &str,
        query: &[(&str, String)],
    ) -> Result<(Vec<u8>, Option<chrono::DateTime<chrono::Utc>>), ErpError> {
        let url = format!("{}/api/method/{}", self.base, utf8_percent_encode(method, SEGMENT));
        self.send_dated(Method::GET, &url, query, None).await.map(|(b, d)| (Vec::from(b), d))
    }

    /// [`ErpClient::list`], converting each page's rows as it arrives (`None` drops a row).
    pub async fn list_with<T: DeserializeOwned, U>(
        &self,
        query: &ListQuery,
        convert: impl Fn(T) -> Option<U>,
    ) -> Result<Vec<U>, ErpError> {
        let convert = &convert;
        self.paged(query, |start| async move {
            let page: Vec<T> = self.list_page(query, start).await?;
            let sent = page.len();
            Ok((sent, page.into_iter().filter_map(convert).collect()))
        })
        .await
    }

    /// Like [`ErpClient::list_with`] for a list of aggregates (`sum(..) as x` fields, usually
    /// with `group_by`); `Ok(None)` when the site refuses such fields, and from then on without
    /// asking: the caller then reads the rows the aggregates would sum. Frappe v16 takes SQL
    /// functions in `fields` only as objects (`{"SUM": "x"}`), which v14 and v15 do not know,
    /// and answers 417 "SQL functions are not allowed as strings" to the string form.
    pub async fn list_aggregate<T: DeserializeOwned, U>(
        &self,
        query: &ListQuery,
        convert: impl Fn(T) -> Option<U>,
    ) -> Result<Option<Vec<U>>, ErpError> {
        if self.aggregates_refused.load(Ordering::Relaxed) {
            return Ok(None);
        }
        match self.list_with(query, convert).await {
            Ok(rows) => Ok(Some(rows)),
            Err(ErpError::Rejected { status: 417, exc_type, message, .. }) => {
                if !self.aggregates_refused.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        erp.doctype = %query.doctype,
                        erp.exc_type = %exc_type,
                        erp.message = %message,
                        "ERPNext refused a list of sums (Frappe v16 takes no SQL functions in fields); \
                         reading the rows instead from now on"
                    );
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Like [`ErpClient::list`], handing every row to `fold` as its page arrives instead of
    /// collecting them: for long listings whose rows are merged into something smaller.
    pub async fn list_fold<T: DeserializeOwned, A>(
        &self,
        query: &ListQuery,
        mut acc: A,
        mut fold: impl FnMut(&mut A, T),
    ) -> Result<A, ErpError> {
        let mut start = 0;
        loop {
            let page: Vec<T> = self.list_page(query, start).await?;
            let sent = page.len();
            start += sent;
            page.into_iter().for_each(|row| fold(&mut acc, row));
            if sent < query.page_length || query.limit.is_some_and(|l| start >= l) {
                return Ok(acc);
            }
        }
    }

    /// One page of `query` from `start`, without the columns the site is known to lack; an
    /// answer naming another optional column of the query teaches [`Columns`] and the page is
    /// asked again without it (once per such column: each retry leaves one more out).
    async fn list_page<T: DeserializeOwned>(&self, query: &ListQuery, start: usize) -> Result<Vec<T>, ErpError> {
        let url = format!("{}{}", self.base, super::stack::READ_METHOD_PATH);
        for _ in 0..=self.columns.optional().len() {
            let sent = match self.columns.prepare(query) {
                Prepared::Ask(q) => q,
                Prepared::Nothing => return Ok(Vec::new()),
            };
            match self.send(Method::POST, &url, &[], Some(&sent.body(start))).await {
                Ok(answer) => return decode_message(&answer),
                Err(e) if self.columns.learn(&sent, &e) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ErpError::Decode(format!("{} kept refusing the optional columns", query.doctype)))
    }

    /// Whether the site has the optional column `c`: a one-row list of it alone, asked past
    /// what this process learnt (`check` reports the site). Missing: recorded as such.
    pub async fn has_column(&self, c: &super::columns::OptionalColumn) -> Result<bool, ErpError> {
        let query = match &c.parent {
            Some(parent) => ListQuery::new(parent, &["name", &format!("`tab{}`.`{}`", c.doctype, c.field)]),
            None => ListQuery::new(&c.doctype, &["name", &c.field]),
        }
        .limit(1);
        let url = format!("{}{}", self.base, super::stack::READ_METHOD_PATH);
        match self.send(Method::POST, &url, &[], Some(&query.body(0))).await {
            Ok(_) => Ok(true),
            Err(e) if self.columns.learn(&query, &e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `frappe.auth.get_logged_user`: proves the credentials.
    pub async fn logged_user(&self) -> Result<String, ErpError> {
        let url = format!("{}/api/method/frappe.auth.get_logged_user", self.base);
        let body = self.send(Method::GET, &url, &[], None).await?;
        let v: Value = serde_json::from_slice(&body).map_err(|e| ErpError::Decode(e.to_string()))?;
        v.get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ErpError::Decode("no `message` in get_logged_user".into()))
    }
}

/// The doctype (or `method:name`) a request addresses: a bounded metric label, never a name.
/// A list read through `frappe.client.get_list` counts for the doctype its body names.
fn metric_target(url: &str, body: Option<&Value>) -> String {
    if url.ends_with(super::stack::READ_METHOD_PATH)
        && let Some(doctype) = body.and_then(|b| b.get("doctype")).and_then(Value::as_str)
    {
        return doctype.to_owned();
    }
    let path = url.split_once("/api/").map(|(_, p)| p).unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    let decoded = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    match path.split_once('/') {
        Some(("resource", rest)) => decoded(rest.split('/').next().unwrap_or_default()),
        Some(("method", m)) => format!("method:{}", decoded(m)),
        _ => "other".into(),
    }
}

fn decode_data<T: DeserializeOwned>(body: &[u8]) -> Result<T, ErpError> {
    #[derive(serde::Deserialize)]
    struct Envelope<T> {
        data: T,
    }
    serde_json::from_slice::<Envelope<T>>(body).map(|e| e.data).map_err(|e| ErpError::Decode(e.to_string()))
}

fn decode_message<T: DeserializeOwned>(body: &[u8]) -> Result<T, ErpError> {
    #[derive(serde::Deserialize)]
    struct Envelope<T> {
        message: T,
    }
    serde_json::from_slice::<Envelope<T>>(body).map(|e| e.message).map_err(|e| ErpError::Decode(e.to_string()))
}

fn transport_error(e: tower::BoxError) -> ErpError {
    if e.is::<tower::timeout::error::Elapsed>() {
        return ErpError::Timeout;
    }
    match e.downcast::<reqwest::Error>() {
        Ok(e) if e.is_timeout() => ErpError::Timeout,
        Ok(e) => ErpError::Unreachable(without_url(&e)),
        Err(e) => ErpError::Unreachable(e.to_string()),
    }
}

/// reqwest errors print the URL, which may carry filter values (passports): drop it.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "connection failed"
    } else if e.is_body() {
        "body error"
    } else {
        "request failed"
    };
    let source = std::error::Error::source(e).map(|s| s.to_string()).unwrap_or_default();
    format!("{kind}: {source}")
}

impl ErpError {
    /// True for the failures a user sees as "try again later".
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, ErpError::NotFound(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metric_labels_name_the_doctype_never_a_document() {
        let base = "http://erp:8000";
        let cases = [
            (format!("{base}/api/resource/Sales%20Order/SO-2026-00001"), None, "Sales Order"),
            (format!("{base}/api/resource/Customer?filters=%5B%5D"), None, "Customer"),
            (format!("{base}/api/method/frappe.auth.get_logged_user"), None, "method:frappe.auth.get_logged_user"),
            (format!("{base}/api/method/frappe.client.get_list"), None, "method:frappe.client.get_list"),
            (
                format!("{base}/api/method/frappe.client.get_list"),
                Some(json!({"doctype": "Payment Entry"})),
                "Payment Entry",
            ),
            (format!("{base}/elsewhere"), None, "other"),
        ];
        for (url, body, want) in cases {
            assert_eq!(metric_target(&url, body.as_ref()), want, "{url}");
        }
    }
}
