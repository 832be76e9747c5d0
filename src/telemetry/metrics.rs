//! Prometheus metrics: names and labels in one place, recorded through the `metrics` facade
//! and rendered at `GET /metrics`. Label values are bounded sets (kinds, outcomes, doctypes,
//! methods) — never ids, names or numbers from users.

use std::sync::OnceLock;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Installs the process-wide recorder once; later calls reuse it (tests build many apps).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// The text exposition format.
pub fn render() -> String {
    match install() {
        Some(handle) => {
            handle.run_upkeep();
            handle.render()
        }
        None => String::new(),
    }
}

/// A Telegram update, by kind and outcome.
pub fn update(kind: &'static str, outcome: &'static str, seconds: f64) {
    counter!("erpbot_updates_total", "kind" => kind, "outcome" => outcome).increment(1);
    histogram!("erpbot_webhook_duration_seconds").record(seconds);
}

/// One ERPNext request (after retries), by doctype or method, and status.
pub fn erpnext(target: String, status: String, seconds: f64) {
    counter!("erpbot_erpnext_requests_total", "doctype" => target.clone(), "status" => status).increment(1);
    histogram!("erpbot_erpnext_request_duration_seconds", "doctype" => target).record(seconds);
}

/// An optional ERPNext column the site lacks (1 once learnt; the series is absent otherwise).
/// Doctype and field come from configuration: a bounded set.
pub fn optional_column_missing(doctype: &str, field: &str) {
    gauge!("erpbot_erpnext_optional_columns_missing", "doctype" => doctype.to_owned(), "field" => field.to_owned())
        .set(1.0);
}

/// One Bot API call by method and result (`ok`, `429`, `403`, `error`).
pub fn telegram(method: &'static str, result: &'static str) {
    counter!("erpbot_telegram_calls_total", "method" => method, "result" => result).increment(1);
}

/// ERPNext events by stage: accepted, duplicate, delivered, dropped, parked, retried.
pub fn event(stage: &'static str) {
    counter!("erpbot_events_total", "stage" => stage).increment(1);
}

/// Events waiting in the queue and parked.
pub fn event_depth(pending: u64, parked: u64) {
    gauge!("erpbot_events_pending").set(pending as f64);
    gauge!("erpbot_events_parked").set(parked as f64);
}

/// Reminders of a pass by result: planned, sent, skipped_*, failed.
pub fn reminders(result: &'static str, n: usize) {
    counter!("erpbot_reminders_total", "result" => result).increment(n as u64);
}

/// Linking: linked, passport_not_found, phone_rejected, refused, locked_out.
pub fn login(result: &'static str) {
    counter!("erpbot_logins_total", "result" => result).increment(1);
}

/// A Redis operation that failed transiently and is tried again (`op`: which one).
pub fn redis_retry(op: &'static str) {
    counter!("erpbot_redis_retries_total", "op" => op).increment(1);
}

/// A Redis operation that stayed unavailable for the whole retry window.
pub fn redis_gave_up(op: &'static str) {
    counter!("erpbot_redis_gave_up_total", "op" => op).increment(1);
}

/// The Sentinels named another Redis master (a failover) and the bot switched to it.
pub fn redis_master_switched() {
    counter!("erpbot_redis_master_switches_total").increment(1);
}
