//! The HTTP side of the fake ERPNext: recording, faults, token auth, and routing of
//! `/api/resource/...` and `/api/method/...` to the store.

use super::{API_KEY, API_SECRET, API_USER, ErpError, FakeErp, Fault, RecordedRequest, err, query};
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn nginx_html(code: u16, reason: &str) -> Response {
    let html = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
    (status, [(header::CONTENT_TYPE, "text/html")], html).into_response()
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

fn doc_not_found(doctype: &str, name: &str) -> ErpError {
    err(404, "DoesNotExistError", format!("{doctype} {name} not found"))
}

fn body_object(body: &Option<Value>) -> Result<Map<String, Value>, ErpError> {
    match body {
        Some(Value::Object(m)) => Ok(m.clone()),
        _ => Err(err(417, "ValidationError", "Request body must be a JSON object")),
    }
}

/// Answers a request; the `Date` header reads the site's clock (see `FakeErp::set_clock_offset`).
pub(super) async fn handle(
    AxState(erp): AxState<FakeErp>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = answer(erp.clone(), method, uri, headers, body).await;
    let now = chrono::Utc::now() + erp.st_read().clock_offset;
    if let Ok(date) = header::HeaderValue::from_str(&now.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

async fn answer(erp: FakeErp, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let raw_path = uri.path().to_string();
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let body_json: Option<Value> = if body.is_empty() {
        None
    } else if form {
        let map: Map<String, Value> =
            url::form_urlencoded::parse(&body).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect();
        Some(Value::Object(map))
    } else {
        Some(serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into())))
    };
    let (fault, delay, parsing, index) = {
        let mut st = erp.traffic();
        st.first_request.get_or_insert(started);
        let index = st.requests.len();
        st.answer_times.push(Duration::ZERO);
        st.statuses.push(0);
        st.requests.push(RecordedRequest {
            method: method.to_string(),
            path: decode(&raw_path),
            query: query.clone(),
            body: body_json.clone(),
        });
        if st.down {
            return nginx_html(503, "Service Temporarily Unavailable");
        }
        (st.faults.pop_front(), st.delay, started.elapsed(), index)
    };
    match fault {
        Some(Fault::Status503Html) => return nginx_html(503, "Service Temporarily Unavailable"),
        Some(Fault::Status502Html) => return nginx_html(502, "Bad Gateway"),
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            let headers =
                [(header::CONTENT_TYPE, "text/plain".to_string()), (header::RETRY_AFTER, retry_after_secs.to_string())];
            return (StatusCode::TOO_MANY_REQUESTS, headers, "Too Many Requests").into_response();
        }
        Some(Fault::Status500Json) => {
            let mut e = err(500, "OperationalError", "Internal Server Error");
            e.exception =
                Some("pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')".into());
            return e.into_response();
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if raw_path == "/api/method/frappe.ping" || raw_path == "/api/method/ping" {
        return axum::Json(json!({"message": "pong"})).into_response();
    }
    let expected = format!("token {API_KEY}:{API_SECRET}");
    match headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("")) {
        // No credentials: Frappe serves the request as Guest, who may read nothing.
        None => return err(403, "PermissionError", "Not permitted").into_response(),
        Some(v) if v.trim() != expected => {
            let mut e = err(401, "AuthenticationError", "Invalid login credentials");
            e.exception = Some("frappe.exceptions.AuthenticationError".into());
            return e.into_response();
        }
        Some(_) => {}
    }
    let answering = Instant::now();
    let response = if raw_path == "/api/method/frappe.utils.print_format.download_pdf" {
        super::print::download_pdf(&erp, &query)
    } else {
        match route(&erp, &method, &raw_path, &query, &body_json) {
            Ok(answer) => answer.into_response(), // serialises the body here
            Err(e) => e.into_response(),
        }
    };
    let took = parsing + answering.elapsed();
    let mut st = erp.traffic();
    st.busy += took;
    if let Some(t) = st.answer_times.get_mut(index) {
        *t = took;
    }
    if let Some(s) = st.statuses.get_mut(index) {
        *s = response.status().as_u16();
    }
    st.last_answer = Some(Instant::now());
    response
}

/// An answer body: a JSON value, or list rows already serialised by the store.
enum Answer {
    Json(Value),
    Text(String),
}

impl From<Value> for Answer {
    fn from(v: Value) -> Self {
        Answer::Json(v)
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Json(v) => axum::Json(v).into_response(),
            Answer::Text(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        }
    }
}

fn route(
    erp: &FakeErp,
    method: &Method,
    raw_path: &str,
    query: &HashMap<String, String>,
    body: &Option<Value>,
) -> Result<Answer, ErpError> {
    if let Some(m) = raw_path.strip_prefix("/api/method/") {
        return call_method(erp, &decode(m), query, body);
    }
    let Some(rest) = raw_path.strip_prefix("/api/resource/") else {
        return Err(err(404, "PageDoesNotExistError", format!("Page {} not found", decode(raw_path))));
    };
    let (doctype, name) = match rest.split_once('/') {
        Some((d, n)) if !n.is_empty() => (decode(d), Some(decode(n))),
        Some((d, _)) => (decode(d), None),
        None => (decode(rest), None),
    };
    if method == Method::GET && name.is_none() {
        let (group_by_dropped, functions_refused) = {
            let traffic = erp.traffic();
            (traffic.group_by_dropped, traffic.functions_refused)
        };
        let st = erp.st_read();
        st.check_doctype(&doctype)?;
        let mut args = query::parse_args(|k| query.get(k).map(|v| Value::String(v.clone())))
            .map_err(|m| err(417, "DataError", m))?;
        if functions_refused {
            refuse_functions(&args)?;
        }
        if group_by_dropped {
            args.group_by.clear();
        }
        return Ok(Answer::Text(st.list(&doctype, &args)?.envelope("data")));
    }
    let mut st = erp.st();
    st.check_doctype(&doctype)?;
    match (method.as_str(), name) {
        ("GET", Some(name)) => match st.find(&doctype, &name) {
            Some(doc) => Ok(json!({"data": doc}).into()),
            None => Err(doc_not_found(&doctype, &name)),
        },
        ("PUT", Some(name)) => {
            let changes = body_object(body)?;
            let Some(mut doc) = st.find(&doctype, &name).cloned() else {
                return Err(doc_not_found(&doctype, &name));
            };
            if let Some(sent) = changes.get("modified") {
                let stored = doc["modified"].as_str().unwrap_or_default().to_string();
                if sent.as_str() != Some(stored.as_str()) {
                    let sent = sent.as_str().map_or_else(|| sent.to_string(), str::to_string);
                    return Err(err(
                        417,
                        "TimestampMismatchError",
                        format!(
                            "Error: Document has been modified after you have opened it ({stored}, {sent}). Please refresh to get the latest document."
                        ),
                    ));
                }
            }
            for (k, v) in changes {
                if !matches!(k.as_str(), "name" | "doctype" | "modified" | "creation" | "owner") {
                    doc[k.as_str()] = v;
                }
            }
            st.check_unique(&doctype, &doc)?;
            doc["modified"] = Value::String(st.next_modified());
            let doc = st.prepare(&doctype, doc);
            st.put(&doctype, doc.clone());
            Ok(json!({"data": doc}).into())
        }
        ("DELETE", Some(name)) => {
            if st.remove(&doctype, &name) {
                Ok(json!({"message": "ok"}).into())
            } else {
                Err(doc_not_found(&doctype, &name))
            }
        }
        ("POST", None) => {
            let mut doc = body_object(body)?;
            doc.remove("modified");
            let name = doc.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            if !name.is_empty() && st.find(&doctype, &name).is_some() {
                return Err(err(409, "DuplicateEntryError", format!("{doctype} {name} already exists")));
            }
            let doc = st.prepare(&doctype, Value::Object(doc));
            st.check_unique(&doctype, &doc)?;
            st.put(&doctype, doc.clone());
            Ok(json!({"data": doc}).into())
        }
        (m, _) => Err(err(405, "ValidationError", format!("Method {m} not allowed here"))),
    }
}

fn call_method(
    erp: &FakeErp,
    name: &str,
    query: &HashMap<String, String>,
    body: &Option<Value>,
) -> Result<Answer, ErpError> {
    let mut args: Map<String, Value> = query.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    if let Some(Value::Object(b)) = body {
        args.extend(b.clone());
    }
    match name {
        "frappe.auth.get_logged_user" => Ok(json!({"message": API_USER}).into()),
        // `frappe/client.py` `get_time_zone` (whitelisted, allow_guest): the System Settings zone.
        "frappe.client.get_time_zone" => Ok(json!({"message": {"time_zone": erp.st_read().time_zone().name()}}).into()),
        "frappe.client.get_list" | "frappe.client.get_count" => {
            let Some(doctype) = args.get("doctype").and_then(Value::as_str).map(str::to_string) else {
                return Err(err(
                    417,
                    "ValidationError",
                    "get_list() missing 1 required positional argument: 'doctype'",
                ));
            };
            let mut parsed = query::parse_args(|k| args.get(k).cloned()).map_err(|m| err(417, "DataError", m))?;
            if erp.traffic().functions_refused {
                refuse_functions(&parsed)?;
            }
            if erp.traffic().group_by_dropped {
                parsed.group_by.clear();
            }
            let st = erp.st_read();
            if name.ends_with("get_count") {
                // `get_count(doctype, filters)` takes no fields and no grouping.
                parsed.columns.clear();
                parsed.group_by.clear();
                parsed.limit_start = 0;
                parsed.limit_page_length = 0;
                return Ok(json!({"message": st.list(&doctype, &parsed)?.len()}).into());
            }
            Ok(Answer::Text(st.list(&doctype, &parsed)?.envelope("message")))
        }
        other => Err(err(404, "DoesNotExistError", format!("Failed to get method for command {other}"))),
    }
}

/// Frappe v16's answer to an aggregate written as SQL in `fields` (see
/// `FakeErp::refuse_sql_functions`).
fn refuse_functions(args: &query::ListArgs) -> Result<(), ErpError> {
    match args.columns.iter().find(|c| c.agg.is_some()) {
        Some(c) => {
            Err(err(417, "ValidationError", format!("SQL functions are not allowed as strings in SELECT: {}", c.key)))
        }
        None => Ok(()),
    }
}
