//! Liveness and readiness.

use axum::{extract::State, http::StatusCode};

use super::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Redis answers (the configuration was loaded, or the process would not run).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: redis");
            (StatusCode::SERVICE_UNAVAILABLE, "redis unavailable")
        }
    }
}

/// Prometheus text format.
pub async fn metrics() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::telemetry::metrics::render())
}
