//! The reference the load targets are stated against: "a bare Rust pipeline doing exactly that
//! I/O and nothing else — no state machine, no texts" (issue 7). It is this bench binary started
//! again as a child process with `LOAD_BARE_SERVE=1`, so it runs alone in its process and its CPU
//! is measured like the bot's.
//!
//! Per `POST /telegram/webhook`: parse the update, read the chat's session hash from Redis and
//! write one field back, ask the stub ERPNext for the customer row and for the contract list (the
//! same two list requests the bot makes), send one `sendMessage` naming the customer and the
//! number of contracts, answer 200. Same crates as the bot (axum, reqwest, redis, serde_json),
//! same multi-threaded tokio runtime, same connection reuse; nothing else.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use redis::AsyncCommands;
use serde::Deserialize;
use serde_json::{Value, json};

/// Environment of the child process (set by [`spawn_args`]).
pub const SERVE_VAR: &str = "LOAD_BARE_SERVE";

struct Bare {
    http: reqwest::Client,
    redis: redis::aio::MultiplexedConnection,
    erp: String,
    send_url: String,
    auth: String,
    prefix: String,
}

#[derive(Deserialize)]
struct Update {
    message: Option<Message>,
}

#[derive(Deserialize)]
struct Message {
    chat: Id,
}

#[derive(Deserialize)]
struct Id {
    id: i64,
}

#[derive(Deserialize)]
struct Rows {
    data: Vec<Value>,
}

/// Serves until killed. Reads its settings from the environment the bench gives it.
pub fn serve() -> ! {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("bare pipeline: {k} missing"));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async move {
        let client = redis::Client::open(var("REDIS_URL")).expect("redis url");
        let redis = client.get_multiplexed_async_connection().await.expect("connect to redis");
        let state = Arc::new(Bare {
            http: reqwest::Client::builder().tcp_nodelay(true).build().expect("http client"),
            redis,
            erp: var("ERP_BASE_URL"),
            send_url: format!("{}/bot{}/sendMessage", var("TELEGRAM_API_URL"), var("BOT_TOKEN")),
            auth: format!("token {}:{}", var("ERP_API_KEY"), var("ERP_API_SECRET")),
            prefix: var("REDIS_KEY_PREFIX"),
        });
        let app = axum::Router::new()
            .route("/telegram/webhook", post(webhook))
            .route("/readyz", get(|| async { "ok" }))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(var("LISTEN_ADDR")).await.expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
    std::process::exit(0)
}

async fn webhook(State(bare): State<Arc<Bare>>, body: Bytes) -> StatusCode {
    match handle(&bare, &body).await {
        Ok(()) => StatusCode::OK,
        Err(e) => {
            eprintln!("bare pipeline: {e}");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

async fn handle(bare: &Bare, body: &[u8]) -> Result<(), String> {
    let update: Update = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(chat) = update.message.map(|m| m.chat.id) else { return Ok(()) };
    // The session: read the hash, write one field back.
    let key = format!("{}:chat:{chat}", bare.prefix);
    let mut redis = bare.redis.clone();
    let session: std::collections::HashMap<String, String> = redis.hgetall(&key).await.map_err(|e| e.to_string())?;
    // The seeded session's state names the customer (`CUST-iiiii`).
    let state = session.get("state").ok_or("no session")?;
    let customer = state.find("CUST-").and_then(|at| state.get(at..at + 10)).ok_or("no customer in the session")?;
    let () = redis.hset(&key, "seen", 1).await.map_err(|e| e.to_string())?;
    // Two ERPNext requests: the customer row, then the contract list.
    let row = erp_list(bare, "Customer", json!([["name", "=", customer]]), json!(["name", "customer_name"])).await?;
    let name = row.first().and_then(|r| r.get("customer_name")).and_then(Value::as_str).unwrap_or("?").to_owned();
    let fields = json!(["name", "transaction_date", "grand_total", "schedule_due_date"]);
    let contracts = erp_list(bare, "Sales Order", json!([["customer", "=", customer]]), fields).await?;
    // One send.
    let text = format!("{name}: {} contract rows", contracts.len());
    let sent = bare
        .http
        .post(&bare.send_url)
        .json(&json!({"chat_id": chat, "text": text}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let answer: Value = sent.json().await.map_err(|e| e.to_string())?;
    if answer.get("ok") != Some(&Value::Bool(true)) {
        return Err(format!("sendMessage answered {answer}"));
    }
    Ok(())
}

async fn erp_list(bare: &Bare, doctype: &str, filters: Value, fields: Value) -> Result<Vec<Value>, String> {
    let url = format!("{}/api/resource/{doctype}", bare.erp);
    let query = [("filters", filters.to_string()), ("fields", fields.to_string()), ("limit_page_length", "100".into())];
    let response =
        bare.http.get(url).query(&query).header("Authorization", &bare.auth).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("ERPNext answered {}", response.status()));
    }
    let rows: Rows = response.json().await.map_err(|e| e.to_string())?;
    Ok(rows.data)
}
