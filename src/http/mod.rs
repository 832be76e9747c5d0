//! The HTTP surface: routes, shared state and middleware, in one place.
//!
//! `POST /telegram/webhook` ([`webhook`]), `POST /erpnext/events` ([`events`]), `GET /healthz`,
//! `GET /readyz` and `GET /metrics` ([`health`]). Answers are chosen deliberately:
//! 401 for a bad secret, 2xx for what we will never act on (so the sender stops retrying),
//! 5xx only for transient failures we want redelivered.

pub mod events;
pub mod health;
pub mod webhook;

use std::sync::Arc;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::config::SalesSchema;
use crate::events::queue::Queue;
use crate::lifecycle::Lifecycle;
use crate::secret::Secret;
use crate::store::Store;

/// The largest update we accept. Real updates are a few KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// Owns each Telegram update from its claim to its end.
    pub updates: Lifecycle,
    pub store: Store,
    pub telegram_secret: Secret,
    /// Secrets accepted on ERPNext event signatures.
    pub erp_secrets: Arc<[Secret]>,
    pub sales: Arc<SalesSchema>,
    pub queue: Queue,
}

pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .route("/telegram/webhook", post(webhook::telegram))
        .route("/erpnext/events", post(events::erpnext))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("http", method = %req.method(), path = req.uri().path(), request_id = id)
                }))
                .layer(PropagateRequestIdLayer::new(request_id)),
        )
        .with_state(state)
}
