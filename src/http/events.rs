//! `POST /erpnext/events`: raw bytes → verify the signature → parse → classify → store
//! durably → 200. Everything we will never act on is answered 2xx so Frappe stops retrying;
//! only a Redis failure is a 5xx (Frappe tries up to 3 times).

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use tracing::Instrument;

use super::AppState;
use crate::events::{ErpEvent, queue::Accepted, signature};
use crate::telemetry::metrics;

pub async fn erpnext(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let sig = headers.get(signature::HEADER).map(|v| v.as_bytes());
    if !signature::verify(&body, sig, &state.erp_secrets) {
        metrics::event("unauthorized");
        tracing::warn!(bytes = body.len(), "ERPNext event with a missing or wrong signature");
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
    }
    let event = match ErpEvent::parse(&body) {
        Ok(event) => event,
        Err(e) => {
            tracing::warn!(reason = %e, bytes = body.len(), "unreadable ERPNext event");
            return (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response();
        }
    };
    let span = tracing::info_span!("erp_event", erp.doctype = %event.doctype, erp.name = %event.name);
    accept(state, event).instrument(span).await
}

async fn accept(state: AppState, event: ErpEvent) -> Response {
    let Some(handled) = event.handled(&state.sales) else {
        tracing::info!(kind = ?event.kind, "ERPNext event not handled; dropped");
        return (StatusCode::OK, "ignored").into_response();
    };
    match state.queue.accept(&event, handled).await {
        Ok(Accepted::Queued) => {
            metrics::event("accepted");
            metrics::event_first_seen("webhook");
            tracing::info!(kind = handled.as_str(), "ERPNext event accepted");
            (StatusCode::OK, "accepted").into_response()
        }
        Ok(Accepted::Duplicate) => {
            metrics::event("duplicate");
            tracing::info!(kind = handled.as_str(), "repeated ERPNext event; already accepted");
            (StatusCode::OK, "duplicate").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store the ERPNext event; asking for a retry");
            (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
        }
    }
}
