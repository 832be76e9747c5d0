//! Frappe's Webhook sender, as the fake ERPNext runs it when a document is submitted or
//! cancelled through [`FakeErp::submit`] / [`FakeErp::cancel`].
//!
//! Modelled on Frappe's own code:
//!
//! - `run_webhooks` (`frappe/integrations/doctype/webhook/__init__.py`): the enabled
//!   `Webhook` documents of the document's doctype (`get_all_webhooks`, `filters={"enabled":
//!   True}`), whose `webhook_docevent` is the event and whose `condition` holds
//!   (`frappe.safe_eval(webhook.condition, eval_locals=get_context(doc))`), are queued and sent
//!   after the commit, from a background job.
//! - `enqueue_webhook` (`frappe/integrations/doctype/webhook/webhook.py`): `for i in range(3)`
//!   it sends `requests.request(method, url, data=json.dumps(data, default=str), headers,
//!   timeout=webhook.timeout or 5)` and `raise_for_status()`; after any failure other than a
//!   `ReadTimeout` it sleeps `3 * i + 1` seconds (1, 4, then 7 s after the third try) and
//!   then gives up for good: nobody ever sends that event again. A `ReadTimeout` is retried at
//!   once.
//! - `get_webhook_data`: the `webhook_json` Jinja template rendered with `doc`, then
//!   `json.loads`; `get_webhook_headers`: with `enable_security`, `X-Frappe-Webhook-Signature`
//!   is base64 of HMAC-SHA256 of `json.dumps(data)` under `webhook_secret`. Python's
//!   `json.dumps` writes `", "` and `": "` between items and escapes every non-ASCII
//!   character; the body sent is those same bytes.
//!
//! The templates are rendered by a small Jinja subset: `{{ a.b | tojson }}`, `{% for x in
//! a.b %}`, `{% if [not] loop.first %}`, which is all the templates of `erp setup`
//! ([`crate::setup::templates`]) use; a Condition is read as `doc.field == "value"` (or
//! empty). Every try is recorded ([`WebhookAttempt`]) with the outcome of each delivery
//! ([`WebhookOutcome`]), so that tests can assert Frappe's give-up.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::FakeErp;

/// One try of one Webhook for one document event.
#[derive(Clone, Debug)]
pub struct WebhookAttempt {
    pub webhook: String,
    pub doctype: String,
    pub name: String,
    pub event: String,
    /// 1, 2 or 3.
    pub try_no: u32,
    /// When the try was sent.
    pub at: Instant,
    /// Since the document event.
    pub after: Duration,
    /// The HTTP status answered; `None`: no answer (refused, timed out).
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// How a Webhook's delivery of one event ended.
#[derive(Clone, Debug)]
pub struct WebhookOutcome {
    pub webhook: String,
    pub doctype: String,
    pub name: String,
    pub event: String,
    /// A 2xx was answered; false: Frappe gave up after its tries.
    pub delivered: bool,
    /// Since the document event, when the job ended (after its last sleep).
    pub after: Duration,
}

#[derive(Default)]
pub(super) struct Hooks {
    pub(super) attempts: Vec<WebhookAttempt>,
    pub(super) outcomes: Vec<WebhookOutcome>,
    /// Jobs still running.
    pub(super) running: usize,
    /// Multiplies Frappe's sleeps (1.0 when unset): tests run the schedule faster.
    pub(super) time_scale: Option<f64>,
}

/// Frappe's sleep after failed try `i` (0-based): `sleep(3 * i + 1)`.
pub fn frappe_sleep_after(i: u32) -> Duration {
    Duration::from_secs(u64::from(3 * i + 1))
}

/// Frappe's number of tries (`for i in range(3)`).
pub const FRAPPE_TRIES: u32 = 3;

/// A job: one Webhook, one document event, its rendered body and headers.
struct Job {
    webhook: String,
    doctype: String,
    name: String,
    event: String,
    method: String,
    url: String,
    body: String,
    signature: Option<String>,
    timeout: Duration,
}

impl FakeErp {
    /// Inserts `doc` submitted (`docstatus` 1, a new `modified`) and runs the `on_submit`
    /// Webhooks, as Frappe's `Document.submit` does.
    pub fn submit(&self, doctype: &str, doc: Value) {
        let mut doc = doc;
        doc["docstatus"] = json!(1);
        if let Some(m) = doc.as_object_mut() {
            m.remove("modified");
        }
        let name = {
            let mut st = self.st();
            st.known.insert(doctype.to_string());
            let doc = st.prepare(doctype, doc);
            let name = doc["name"].as_str().unwrap_or_default().to_string();
            st.put(doctype, doc);
            name
        };
        self.run_webhooks(doctype, &name, "on_submit");
    }

    /// Cancels a submitted document (`docstatus` 2, a new `modified`) and runs the `on_cancel`
    /// Webhooks.
    pub fn cancel(&self, doctype: &str, name: &str) {
        self.set_field(doctype, name, "docstatus", json!(2));
        self.run_webhooks(doctype, name, "on_cancel");
    }

    /// Makes the Webhooks `erp setup` makes (one per document and event of
    /// [`crate::setup::templates::WEBHOOKS`], for the default doctype names), posting to `url`
    /// signed with `secret`.
    pub fn add_bot_webhooks(&self, url: &str, secret: &str) {
        use crate::events::kinds::EventDoc;
        use crate::setup::templates;
        for (doc, event) in templates::WEBHOOKS {
            let doctype = match doc {
                EventDoc::Payment => "Payment Entry",
                EventDoc::Contract => "Sales Order",
            };
            self.insert(
                "Webhook",
                json!({
                    "name": format!("erpnext-bot {doctype} {event}"),
                    "webhook_doctype": doctype,
                    "webhook_docevent": event,
                    "request_url": url,
                    "request_method": "POST",
                    "request_structure": "JSON",
                    "enabled": 1,
                    "enable_security": 1,
                    "webhook_secret": secret,
                    "timeout": 5,
                    "condition": templates::webhook_condition(doc),
                    "webhook_json": templates::webhook_template(doc, event),
                }),
            );
        }
    }

    /// Sets `enabled` on every Webhook.
    pub fn set_webhooks_enabled(&self, enabled: bool) {
        for hook in self.all("Webhook") {
            if let Some(name) = hook["name"].as_str() {
                self.set_field("Webhook", name, "enabled", json!(u8::from(enabled)));
            }
        }
    }

    /// Deletes every Webhook.
    pub fn delete_webhooks(&self) {
        let mut st = self.st();
        let names: Vec<String> = st
            .docs
            .get("Webhook")
            .into_iter()
            .flatten()
            .filter_map(|d| d["name"].as_str().map(str::to_string))
            .collect();
        for name in names {
            st.remove("Webhook", &name);
        }
    }

    /// Runs Frappe's sleeps `scale` times as long (1.0: Frappe's own 1 s, 4 s, 7 s).
    pub fn set_webhook_time_scale(&self, scale: f64) {
        self.hooks().time_scale = Some(scale);
    }

    pub fn webhook_attempts(&self) -> Vec<WebhookAttempt> {
        self.hooks().attempts.clone()
    }

    pub fn webhook_outcomes(&self) -> Vec<WebhookOutcome> {
        self.hooks().outcomes.clone()
    }

    /// Waits until no Webhook job runs (every delivery ended, delivered or given up); false
    /// when `timeout` passed first.
    pub async fn webhooks_settled(&self, timeout: Duration) -> bool {
        let started = Instant::now();
        while self.hooks().running > 0 {
            if started.elapsed() > timeout {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// `run_webhooks(doc, method)`: queues a job per matching enabled Webhook.
    fn run_webhooks(&self, doctype: &str, name: &str, event: &str) {
        let Some(doc) = self.get(doctype, name) else { return };
        let hooks: Vec<Value> = self
            .all("Webhook")
            .into_iter()
            .filter(|h| truthy(&h["enabled"]))
            .filter(|h| h["webhook_doctype"].as_str() == Some(doctype) && h["webhook_docevent"].as_str() == Some(event))
            .collect();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("fake ERPNext: no runtime to send Webhooks from");
            return;
        };
        let started = Instant::now();
        for hook in hooks {
            let webhook = hook["name"].as_str().unwrap_or_default().to_string();
            match condition_holds(hook["condition"].as_str().unwrap_or_default(), &doc) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(webhook, error = %e, "fake ERPNext: Webhook condition not understood; not sent");
                    continue;
                }
            }
            let body = match render(hook["webhook_json"].as_str().unwrap_or("{}"), &doc).and_then(|t| python_dumps(&t))
            {
                Ok(body) => body,
                Err(e) => {
                    // Frappe logs a Webhook Request Log with the error and sends nothing.
                    tracing::warn!(webhook, error = %e, "fake ERPNext: Webhook body did not render; not sent");
                    continue;
                }
            };
            let signature = truthy(&hook["enable_security"]).then(|| {
                crate::events::signature::sign(body.as_bytes(), hook["webhook_secret"].as_str().unwrap_or_default())
            });
            let timeout = hook["timeout"].as_u64().filter(|t| *t > 0).unwrap_or(5);
            let job = Job {
                webhook,
                doctype: doctype.to_string(),
                name: name.to_string(),
                event: event.to_string(),
                method: hook["request_method"].as_str().unwrap_or("POST").to_string(),
                url: hook["request_url"].as_str().unwrap_or_default().to_string(),
                body,
                signature,
                timeout: Duration::from_secs(timeout),
            };
            self.hooks().running += 1;
            let erp = self.clone();
            runtime.spawn(async move {
                erp.send_job(job, started).await;
                erp.hooks().running -= 1;
            });
        }
    }

    /// `enqueue_webhook`: three tries, sleeping `3 * i + 1` s after a failure.
    async fn send_job(&self, job: Job, started: Instant) {
        let client = reqwest::Client::new();
        let method = reqwest::Method::from_bytes(job.method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let scale = self.hooks().time_scale.unwrap_or(1.0);
        let mut delivered = false;
        for i in 0..FRAPPE_TRIES {
            let mut request = client
                .request(method.clone(), &job.url)
                .header("User-Agent", "python-requests/2.32.3")
                .timeout(job.timeout)
                .body(job.body.clone());
            if let Some(sig) = &job.signature {
                request = request.header("X-Frappe-Webhook-Signature", sig);
            }
            let at = Instant::now();
            let answer = request.send().await;
            let (status, error, read_timeout) = match &answer {
                Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), None, false),
                Ok(r) => (Some(r.status().as_u16()), Some(format!("HTTP {}", r.status())), false),
                Err(e) => (None, Some(e.to_string()), e.is_timeout() && !e.is_connect()),
            };
            let ok = error.is_none();
            self.hooks().attempts.push(WebhookAttempt {
                webhook: job.webhook.clone(),
                doctype: job.doctype.clone(),
                name: job.name.clone(),
                event: job.event.clone(),
                try_no: i + 1,
                at,
                after: at.duration_since(started),
                status,
                error,
            });
            if ok {
                delivered = true;
                break;
            }
            if !read_timeout {
                tokio::time::sleep(frappe_sleep_after(i).mul_f64(scale)).await;
            }
        }
        self.hooks().outcomes.push(WebhookOutcome {
            webhook: job.webhook,
            doctype: job.doctype,
            name: job.name,
            event: job.event,
            delivered,
            after: started.elapsed(),
        });
    }
}

/// A Check field as Frappe reads it.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !matches!(s.trim(), "" | "0"),
        _ => false,
    }
}

/// An empty Condition, or `doc.field == "value"` / `!=`.
fn condition_holds(condition: &str, doc: &Value) -> Result<bool, String> {
    let condition = condition.trim();
    if condition.is_empty() {
        return Ok(true);
    }
    let (op, at) = match (condition.find("=="), condition.find("!=")) {
        (Some(at), _) => ("==", at),
        (None, Some(at)) => ("!=", at),
        _ => return Err(format!("unsupported condition {condition:?}")),
    };
    let (left, right) = (condition[..at].trim(), condition[at + 2..].trim());
    let field = left.strip_prefix("doc.").ok_or_else(|| format!("unsupported condition {condition:?}"))?;
    let wanted: Value = serde_json::from_str(right).map_err(|_| format!("unsupported condition {condition:?}"))?;
    let equal = doc.get(field).unwrap_or(&Value::Null) == &wanted;
    Ok(if op == "==" { equal } else { !equal })
}

enum Node {
    Text(String),
    /// `{{ path | tojson }}`
    Value(String),
    For {
        var: String,
        over: String,
        body: Vec<Node>,
    },
    /// `{% if [not] loop.first %}`
    IfFirst {
        negated: bool,
        body: Vec<Node>,
    },
}

/// Renders the Jinja subset of the module doc with `doc` in scope.
fn render(template: &str, doc: &Value) -> Result<String, String> {
    let mut rest = template;
    let nodes = parse(&mut rest, None)?;
    let mut out = String::new();
    let scope = vec![("doc".to_string(), doc.clone())];
    emit(&nodes, &scope, None, &mut out)?;
    Ok(out)
}

fn parse(rest: &mut &str, closing: Option<&str>) -> Result<Vec<Node>, String> {
    let mut nodes = Vec::new();
    loop {
        let next = [rest.find("{{"), rest.find("{%")].into_iter().flatten().min();
        let Some(at) = next else {
            if let Some(end) = closing {
                return Err(format!("missing {{% {end} %}}"));
            }
            nodes.push(Node::Text(rest.to_string()));
            *rest = "";
            return Ok(nodes);
        };
        nodes.push(Node::Text(rest[..at].to_string()));
        let is_value = rest[at..].starts_with("{{");
        let close = if is_value { "}}" } else { "%}" };
        let end = rest[at..].find(close).ok_or("unclosed tag")? + at;
        let inner = rest[at + 2..end].trim().to_string();
        *rest = &rest[end + 2..];
        if is_value {
            let (path, filter) = inner.split_once('|').ok_or_else(|| format!("no filter in {{{{ {inner} }}}}"))?;
            if filter.trim() != "tojson" {
                return Err(format!("unsupported filter {filter:?}"));
            }
            nodes.push(Node::Value(path.trim().to_string()));
            continue;
        }
        let words: Vec<&str> = inner.split_whitespace().collect();
        match words.as_slice() {
            ["endfor"] | ["endif"] if closing == Some(words[0]) => return Ok(nodes),
            ["for", var, "in", over] => {
                let body = parse(rest, Some("endfor"))?;
                nodes.push(Node::For { var: (*var).to_string(), over: (*over).to_string(), body });
            }
            ["if", "not", "loop.first"] | ["if", "loop.first"] => {
                let negated = words.len() == 3;
                let body = parse(rest, Some("endif"))?;
                nodes.push(Node::IfFirst { negated, body });
            }
            _ => return Err(format!("unsupported tag {{% {inner} %}}")),
        }
    }
}

fn lookup(scope: &[(String, Value)], path: &str) -> Value {
    let mut parts = path.split('.');
    let head = parts.next().unwrap_or_default();
    let Some((_, mut v)) = scope.iter().rev().find(|(k, _)| k == head).cloned() else { return Value::Null };
    for part in parts {
        v = v.get(part).cloned().unwrap_or(Value::Null);
    }
    v
}

fn emit(nodes: &[Node], scope: &[(String, Value)], first: Option<bool>, out: &mut String) -> Result<(), String> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Value(path) => out.push_str(&lookup(scope, path).to_string()),
            Node::For { var, over, body } => {
                let items = match lookup(scope, over) {
                    Value::Array(items) => items,
                    _ => Vec::new(),
                };
                for (i, item) in items.into_iter().enumerate() {
                    let mut inner = scope.to_vec();
                    inner.push((var.clone(), item));
                    emit(body, &inner, Some(i == 0), out)?;
                }
            }
            Node::IfFirst { negated, body } => {
                let is_first = first.ok_or("loop.first outside a loop")?;
                if is_first != *negated {
                    emit(body, scope, first, out)?;
                }
            }
        }
    }
    Ok(())
}

/// `json.dumps(json.loads(text))` as Python writes it: items separated by `", "`, keys by
/// `": "`, in the order written, non-ASCII escaped (`ensure_ascii`).
pub fn python_dumps(text: &str) -> Result<String, String> {
    serde_json::from_str::<Value>(text).map_err(|e| format!("json.loads: {e}"))?;
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut raw = String::from('"');
                let mut escaped = false;
                for c in chars.by_ref() {
                    raw.push(c);
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                let s: String = serde_json::from_str(&raw).map_err(|e| format!("json.loads: {e}"))?;
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        '\t' => out.push_str("\\t"),
                        '\u{8}' => out.push_str("\\b"),
                        '\u{c}' => out.push_str("\\f"),
                        c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
                        c => {
                            let mut units = [0u16; 2];
                            for u in c.encode_utf16(&mut units) {
                                out.push_str(&format!("\\u{u:04x}"));
                            }
                        }
                    }
                }
                out.push('"');
            }
            ',' => out.push_str(", "),
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frappe_sleeps_one_then_four_then_seven_seconds() {
        let sleeps: Vec<u64> = (0..FRAPPE_TRIES).map(|i| frappe_sleep_after(i).as_secs()).collect();
        assert_eq!(sleeps, vec![1, 4, 7]);
    }

    #[test]
    fn the_bot_templates_render_to_the_json_python_would_send() {
        use crate::events::kinds::EventDoc;
        use crate::setup::templates::webhook_template;
        let doc = json!({
            "doctype": "Payment Entry", "name": "PE-\"1\"", "docstatus": 1, "modified": "2026-12-01 10:00:00.000001",
            "payment_type": "Receive", "party_type": "Customer", "party": "Алишер", "paid_amount": 1000000.0,
            "posting_date": "2026-12-01",
            "references": [
                {"reference_doctype": "Sales Order", "reference_name": "SO-1", "allocated_amount": 600000.0},
                {"reference_doctype": "Sales Order", "reference_name": "SO-2", "allocated_amount": 400000.0},
            ],
        });
        let text = render(&webhook_template(EventDoc::Payment, "on_submit"), &doc).expect("renders");
        let body = python_dumps(&text).expect("valid JSON");
        assert!(
            body.starts_with(r#"{"event": "on_submit", "doctype": "Payment Entry", "name": "PE-\"1\"", "#),
            "{body}"
        );
        assert!(body.contains(r#""party": "\u0410\u043b\u0438\u0448\u0435\u0440""#), "{body}");
        assert!(body.contains(r#""mode_of_payment": null"#), "{body}");
        assert!(body.ends_with(r#""allocated_amount": 400000.0}]}"#), "{body}");
        let parsed: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(parsed["references"][0]["reference_name"], "SO-1");
        assert_eq!(parsed["party"], "Алишер");
    }

    #[test]
    fn conditions_of_the_bot_webhooks_are_read() {
        let doc = json!({"party_type": "Customer"});
        assert_eq!(condition_holds(r#"doc.party_type == "Customer""#, &doc), Ok(true));
        assert_eq!(condition_holds(r#"doc.party_type == "Supplier""#, &doc), Ok(false));
        assert_eq!(condition_holds("", &doc), Ok(true));
        assert!(condition_holds("doc.x in y", &doc).is_err());
    }
}
