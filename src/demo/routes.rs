//! The demo page and its API. The page plays the Telegram app (updates posted to the real
//! webhook with the real secret) and ERPNext (a signed Payment Entry event, the reminder pass).
//!
//! - `GET /demo`, `/demo/assets/{app.js,app.css}`: the chat page (served from the binary).
//! - `GET /demo/api/info`: the bot and the demo customers.
//! - `GET /demo/api/feed?chat=&after=`: the chat's events after `after` (a long poll).
//! - `POST /demo/api/send`: `{chat, lang, text | contact | callback: {data, message_id}}`.
//! - `POST /demo/api/pay`, `/demo/api/reminders`, `/demo/api/reset`: `{chat}`.
//! - `GET /demo/api/files/{file_id}`: a document the bot sent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Feed, Sandbox, feed::callback_id};
use crate::clients::Clients;
use crate::config::Config;
use crate::events::signature;
use crate::format::money::{Money, number};
use crate::i18n::Lang;
use crate::reminders::pass::{Outcome, PassRunner};
use crate::sandbox::seed::{self, CUSTOMERS};

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/app.js");
const STYLE: &str = include_str!("assets/app.css");

/// How long a feed request waits for news before answering empty.
const POLL: Duration = Duration::from_secs(20);

/// Chat ids the page may use: positive (private chats), below Telegram's 2^52 user id range.
const CHAT_IDS: std::ops::RangeInclusive<i64> = 1..=(1 << 52);

pub struct Demo {
    sandbox: Sandbox,
    feed: Arc<Feed>,
    http: reqwest::Client,
    /// The service itself, for the webhook and the events endpoint.
    service: String,
    reminders: PassRunner,
    timezone: chrono_tz::Tz,
    next_update: AtomicI64,
    next_callback: AtomicU64,
}

impl Demo {
    pub fn new(addr: SocketAddr, config: &Config, clients: &Clients, sandbox: Sandbox, feed: Arc<Feed>) -> Demo {
        let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
        Demo {
            sandbox,
            feed,
            http: reqwest::Client::new(),
            service: format!("http://{host}:{}", addr.port()),
            reminders: PassRunner::new(config, clients),
            timezone: config.reminders.timezone,
            next_update: AtomicI64::new(1),
            next_callback: AtomicU64::new(1),
        }
    }

    fn today(&self) -> chrono::NaiveDate {
        crate::reminders::scheduler::local_date(chrono::Utc::now(), self.timezone)
    }
}

type Shared = State<Arc<Demo>>;

pub fn router(demo: Demo) -> Router {
    Router::new()
        .route("/demo", get(|| async { page(INDEX, "text/html; charset=utf-8") }))
        .route("/demo/", get(|| async { page(INDEX, "text/html; charset=utf-8") }))
        .route("/demo/assets/app.js", get(|| async { page(SCRIPT, "text/javascript; charset=utf-8") }))
        .route("/demo/assets/app.css", get(|| async { page(STYLE, "text/css; charset=utf-8") }))
        .route("/demo/api/info", get(info))
        .route("/demo/api/feed", get(feed))
        .route("/demo/api/send", post(send))
        .route("/demo/api/pay", post(pay))
        .route("/demo/api/reminders", post(reminders))
        .route("/demo/api/reset", post(reset))
        .route("/demo/api/files/{file_id}", get(file))
        .with_state(Arc::new(demo))
}

fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-content-type-options"), "nosniff"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
        ],
        Html(body),
    )
        .into_response()
}

/// A refusal the page shows as a red note.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"ok": false, "error": self.1}))).into_response()
    }
}

fn refuse(status: StatusCode, error: impl Into<String>) -> Refusal {
    Refusal(status, error.into())
}

fn chat_ok(chat: i64) -> Result<i64, Refusal> {
    if CHAT_IDS.contains(&chat) { Ok(chat) } else { Err(refuse(StatusCode::BAD_REQUEST, "chat must be a positive id")) }
}

async fn info(State(demo): Shared) -> Json<Value> {
    let me = demo.sandbox.telegram.me();
    Json(json!({"bot": {"name": me["first_name"], "username": me["username"]}, "customers": CUSTOMERS}))
}

#[derive(Deserialize)]
struct FeedQuery {
    chat: i64,
    #[serde(default)]
    after: u64,
}

async fn feed(State(demo): Shared, Query(q): Query<FeedQuery>) -> Result<Response, Refusal> {
    let chat = chat_ok(q.chat)?;
    let (events, next) = demo.feed.wait(chat, q.after, POLL).await;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(json!({"events": events, "next": next}))).into_response())
}

#[derive(Deserialize)]
struct Callback {
    data: String,
    message_id: i64,
}

#[derive(Deserialize)]
struct Send {
    chat: i64,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    text: Option<String>,
    /// A demo customer id: the page's "share my phone number" shares that customer's phone.
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    callback: Option<Callback>,
}

fn user(chat: i64, lang: &str) -> Value {
    json!({"id": chat, "is_bot": false, "first_name": "Demo", "last_name": "Visitor", "language_code": lang})
}

fn private_chat(chat: i64) -> Value {
    json!({"id": chat, "type": "private", "first_name": "Demo", "last_name": "Visitor"})
}

/// Builds the update Telegram would send for what the visitor did, and shows the visitor's
/// own message in the feed.
fn update_for(demo: &Demo, req: &Send, chat: i64) -> Result<Value, Refusal> {
    let lang = req.lang.as_deref().filter(|l| matches!(*l, "uz" | "ru" | "en")).unwrap_or("en");
    let now = chrono::Utc::now().timestamp();
    let update_id = demo.next_update.fetch_add(1, Ordering::Relaxed);
    let message = |extra: Value| {
        let mut m = json!({
            "message_id": demo.sandbox.telegram.next_message_id(chat), "from": user(chat, lang),
            "chat": private_chat(chat), "date": now,
        });
        if let (Some(m), Value::Object(extra)) = (m.as_object_mut(), extra) {
            m.extend(extra);
        }
        m
    };
    match (&req.text, &req.contact, &req.callback) {
        (Some(text), None, None) => {
            let text = text.trim();
            if text.is_empty() || text.chars().count() > 4096 {
                return Err(refuse(StatusCode::BAD_REQUEST, "a message has 1 to 4096 characters"));
            }
            let mut extra = json!({"text": text});
            if let Some(command) = text.split_whitespace().next().filter(|w| w.starts_with('/')) {
                extra["entities"] =
                    json!([{"offset": 0, "length": command.encode_utf16().count(), "type": "bot_command"}]);
            }
            let m = message(extra);
            demo.feed.push(
                chat,
                json!({"kind": "message", "from": "user", "id": m["message_id"], "text": text, "date": now}),
            );
            Ok(json!({"update_id": update_id, "message": m}))
        }
        (None, Some(customer), None) => {
            let Some(c) = CUSTOMERS.iter().find(|c| c.id == customer) else {
                return Err(refuse(StatusCode::BAD_REQUEST, format!("no demo customer {customer}")));
            };
            // Telegram shares digits only, with the user's own id when it is their number.
            let phone: String = c.phone.chars().filter(char::is_ascii_digit).collect();
            let contact = json!({"phone_number": phone, "first_name": c.name, "user_id": chat});
            let m = message(json!({"contact": contact}));
            demo.feed.push(
                chat,
                json!({"kind": "message", "from": "user", "id": m["message_id"], "contact": {"phone": c.phone, "name": c.name}, "date": now}),
            );
            Ok(json!({"update_id": update_id, "message": m}))
        }
        (None, None, Some(cb)) => Ok(json!({
            "update_id": update_id,
            "callback_query": {
                "id": callback_id(chat, demo.next_callback.fetch_add(1, Ordering::Relaxed)),
                "from": user(chat, lang),
                "message": {
                    "message_id": cb.message_id, "from": demo.sandbox.telegram.me(), "chat": private_chat(chat),
                    "date": now - 1, "text": "…",
                },
                "chat_instance": format!("demo-{chat}"),
                "data": cb.data,
            }
        })),
        _ => Err(refuse(StatusCode::BAD_REQUEST, "send one of text, contact or callback")),
    }
}

async fn send(State(demo): Shared, Json(req): Json<Send>) -> Result<Response, Refusal> {
    let chat = chat_ok(req.chat)?;
    let update = update_for(&demo, &req, chat)?;
    let posted = demo
        .http
        .post(format!("{}/telegram/webhook", demo.service))
        .header("X-Telegram-Bot-Api-Secret-Token", &demo.sandbox.telegram_secret)
        .json(&update)
        .send()
        .await;
    match posted {
        Ok(r) if r.status().is_success() => Ok(Json(json!({"ok": true})).into_response()),
        Ok(r) => Err(refuse(StatusCode::BAD_GATEWAY, format!("the webhook answered {}", r.status()))),
        Err(e) => Err(refuse(StatusCode::BAD_GATEWAY, format!("the webhook did not answer: {e}"))),
    }
}

#[derive(Deserialize)]
struct ChatOnly {
    chat: i64,
}

/// The demo customer linked to `chat` in the sandbox ERPNext.
fn linked_customer(demo: &Demo, chat: i64) -> Option<String> {
    demo.sandbox.erp.all("Customer").into_iter().find_map(|c| {
        let linked = match c.get("custom_telegram_id")? {
            Value::String(s) => s.trim() == chat.to_string(),
            Value::Number(n) => n.as_i64() == Some(chat),
            _ => false,
        };
        linked.then(|| c.get("name").and_then(Value::as_str).map(str::to_string)).flatten()
    })
}

/// The customer's first contract with something left to pay, that amount and the amount of a
/// monthly instalment (the schedule's last row: the first one is the down payment).
fn open_contract(demo: &Demo, customer: &str) -> Option<(String, Money, Money)> {
    let payments = demo.sandbox.erp.all("Payment Entry");
    demo.sandbox.erp.all("Sales Order").into_iter().find_map(|so| {
        if so.get("customer").and_then(Value::as_str) != Some(customer) || so.get("docstatus") != Some(&json!(1)) {
            return None;
        }
        let name = so.get("name").and_then(Value::as_str)?.to_string();
        let paid: Money = payments
            .iter()
            .filter(|p| p.get("docstatus") == Some(&json!(1)))
            .flat_map(|p| p.get("references").and_then(Value::as_array).cloned().unwrap_or_default())
            .filter(|r| r.get("reference_name").and_then(Value::as_str) == Some(name.as_str()))
            .map(|r| Money::from_json(r.get("allocated_amount").unwrap_or(&Value::Null)))
            .sum();
        // What the schedule adds up to, as the bot reads it: `rounded_total or grand_total`.
        let total = ["rounded_total", "grand_total"]
            .iter()
            .map(|f| Money::from_json(so.get(*f).unwrap_or(&Value::Null)))
            .find(|m| m.is_positive())
            .unwrap_or_default();
        let left = total - paid;
        let instalment = so
            .pointer("/payment_schedule")
            .and_then(Value::as_array)
            .and_then(|rows| rows.last())
            .map(|row| Money::from_json(row.get("payment_amount").unwrap_or(&Value::Null)))
            .unwrap_or(left);
        left.is_positive().then_some((name, left, instalment))
    })
}

/// "Post a payment": books a Payment Entry for the next instalment of the linked customer's
/// first open contract, then tells the bot the way ERPNext's Webhook does (signed event).
async fn pay(State(demo): Shared, Json(req): Json<ChatOnly>) -> Result<Response, Refusal> {
    let chat = chat_ok(req.chat)?;
    let Some(customer) = linked_customer(&demo, chat) else {
        return Err(refuse(StatusCode::CONFLICT, "link a demo account first: type a passport, then share the phone"));
    };
    let Some((contract, left, instalment)) = open_contract(&demo, &customer) else {
        return Err(refuse(StatusCode::CONFLICT, "every contract of this customer is paid off"));
    };
    let amount = if instalment < left { instalment } else { left };
    let name = format!("ACC-PAY-DEMO-{:05}", demo.sandbox.erp.all("Payment Entry").len() + 1);
    let date = demo.today().format("%Y-%m-%d").to_string();
    let mut doc = seed::payment_entry(&name, &customer, &contract, &date, amount.0 as f64 / 100.0);
    demo.sandbox.erp.insert("Payment Entry", doc.clone());
    doc["doctype"] = json!("Payment Entry");
    doc["event"] = json!("on_submit");
    let body = doc.to_string();
    let posted = demo
        .http
        .post(format!("{}/erpnext/events", demo.service))
        .header(signature::HEADER, signature::sign(body.as_bytes(), &demo.sandbox.erp_secret))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    match posted {
        Ok(r) if r.status().is_success() => {
            let note = format!(
                "ERPNext: Payment Entry {name} of {} UZS for {contract} submitted",
                number(amount, "UZS", Lang::En)
            );
            demo.feed.note(chat, note.clone());
            Ok(Json(json!({"ok": true, "note": note})).into_response())
        }
        Ok(r) => Err(refuse(StatusCode::BAD_GATEWAY, format!("the events endpoint answered {}", r.status()))),
        Err(e) => Err(refuse(StatusCode::BAD_GATEWAY, format!("the events endpoint did not answer: {e}"))),
    }
}

/// "Run today's reminders": one pass through the same code and ledger as the daily run.
async fn reminders(State(demo): Shared, Json(req): Json<ChatOnly>) -> Result<Response, Refusal> {
    let chat = chat_ok(req.chat)?;
    let date = demo.today();
    let note = match demo.reminders.run(date).await {
        Ok(Outcome::Done(r)) => format!(
            "Reminder pass for {date}: {} planned, {} sent, {} failed; skipped {} paid, {} unlinked, {} opted out",
            r.planned, r.sent, r.failed, r.skipped_paid, r.skipped_unlinked, r.skipped_opted_out
        ),
        Ok(Outcome::AlreadyDone(_)) => {
            format!("Today's reminder pass ({date}) already ran: reminders go out once a day, each at most once")
        }
        Ok(Outcome::LeaseHeld) => "A reminder pass is running right now; try again in a moment".into(),
        Err(e) => return Err(refuse(StatusCode::BAD_GATEWAY, format!("the reminder pass failed: {e}"))),
    };
    demo.feed.note(chat, note.clone());
    Ok(Json(json!({"ok": true, "note": note})).into_response())
}

/// "New chat": the sandbox forgets which customer this chat linked, so the next chat can
/// link the same demo customer again.
async fn reset(State(demo): Shared, Json(req): Json<ChatOnly>) -> Result<Response, Refusal> {
    let chat = chat_ok(req.chat)?;
    while let Some(customer) = linked_customer(&demo, chat) {
        demo.sandbox.erp.set_field("Customer", &customer, "custom_telegram_id", Value::Null);
    }
    Ok(Json(json!({"ok": true})).into_response())
}

async fn file(State(demo): Shared, Path(file_id): Path<String>) -> Result<Response, Refusal> {
    let Some((name, bytes)) = demo.sandbox.telegram.file(&file_id) else {
        return Err(refuse(StatusCode::NOT_FOUND, "no such file"));
    };
    let content_type =
        if name.to_ascii_lowercase().ends_with(".pdf") { "application/pdf" } else { "application/octet-stream" };
    let safe: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c)).collect();
    let disposition = format!("attachment; filename=\"{safe}\"");
    Ok(([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}
