//! `POST /telegram/webhook`: raw bytes → verify → parse → classify → hand to the update's
//! owner ([`crate::lifecycle`], which runs it to its end on a task of its own) → answer.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq;
use teloxide_core::types::Update;
use tracing::Instrument;

use std::time::Instant;

use super::AppState;
use crate::lifecycle::Ran;
use crate::store::StoreError;
use crate::telegram::{Incoming, intake};
use crate::telemetry::metrics;

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Seconds Telegram is asked to wait before delivering again after a transient failure.
const RETRY_AFTER_SECS: &str = "2";

pub async fn telegram(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let started = Instant::now();
    let (kind, outcome, response) = intake(state, headers, body).await;
    metrics::update(kind, outcome, started.elapsed().as_secs_f64());
    response
}

/// Returns the update's kind and outcome (metric labels) with the answer.
async fn intake(state: AppState, headers: HeaderMap, body: Bytes) -> (&'static str, &'static str, Response) {
    if !secret_matches(&headers, state.telegram_secret.expose()) {
        tracing::warn!("webhook call with a missing or wrong secret token");
        return ("unknown", "unauthorized", (StatusCode::UNAUTHORIZED, "bad secret token").into_response());
    }
    let update: Update = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(e) => return ("unknown", "unreadable", unparsable(&body, &e)),
    };
    let update_id = i64::from(update.id.0);
    let incoming = intake::classify(&update);
    let kind = incoming.kind();
    let span = tracing::info_span!("update", update.id = update_id, chat.id = incoming.chat_id());
    let (outcome, response) = handle(state, update_id, incoming).instrument(span).await;
    (kind, outcome, response)
}

async fn handle(state: AppState, update_id: i64, incoming: Incoming) -> (&'static str, Response) {
    let result = match incoming {
        Incoming::Ignored(reason) => {
            tracing::debug!(reason, "update acknowledged without action");
            return ("ignored", StatusCode::OK.into_response());
        }
        incoming => state.updates.handle(update_id, incoming).await,
    };
    match result {
        Ok(Ran::Processed) => ("ok", StatusCode::OK.into_response()),
        Ok(Ran::Duplicate) => {
            tracing::info!("duplicate update ignored");
            ("duplicate", StatusCode::OK.into_response())
        }
        Ok(Ran::InProgress) => {
            tracing::info!("update is being handled elsewhere; asking for redelivery");
            ("in_progress", retry_later())
        }
        Err(e) => {
            let outcome = if matches!(e, StoreError::Busy(_)) { "chat_busy" } else { "redis_error" };
            (outcome, transient(e))
        }
    }
}

/// A body that is not JSON cannot come from Telegram: 400. A JSON object with an `update_id`
/// that our types cannot read is Telegram's, and a non-2xx would block that chat's queue for
/// hours: it is logged and acknowledged.
fn unparsable(body: &[u8], e: &serde_json::Error) -> Response {
    let update_id = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("update_id").and_then(serde_json::Value::as_i64));
    match update_id {
        Some(update_id) => {
            tracing::error!(update.id = update_id, error = %e, bytes = body.len(), "unreadable Telegram update acknowledged");
            StatusCode::OK.into_response()
        }
        None => {
            tracing::warn!(error = %e, bytes = body.len(), "webhook body is not a Telegram update");
            (StatusCode::BAD_REQUEST, "body is not a Telegram update").into_response()
        }
    }
}

fn secret_matches(headers: &HeaderMap, expected: &str) -> bool {
    headers.get(SECRET_HEADER).is_some_and(|got| bool::from(got.as_bytes().ct_eq(expected.as_bytes())))
}

fn transient(e: StoreError) -> Response {
    tracing::error!(error = %e, "transient failure; Telegram will deliver the update again");
    retry_later()
}

fn retry_later() -> Response {
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
    response
}
