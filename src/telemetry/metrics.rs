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

/// A lease event of an update: `renewed`, `renewal_failed`, `lost` (found lapsed while the
/// update ran), `stale_write_refused` (its chat record was not saved over another's).
pub fn lease(event: &'static str) {
    counter!("erpbot_update_leases_total", "event" => event).increment(1);
}

/// An update whose conversation panicked (ended as done, chat not saved).
pub fn update_panicked() {
    counter!("erpbot_update_panics_total").increment(1);
}

/// An update whose end was written in the background, after the retry window.
pub fn update_finished_late() {
    counter!("erpbot_update_finished_late_total").increment(1);
}

/// A pass of the events reconciler by result: done, failed, lease_held, lease_lost.
pub fn reconcile_run(result: &'static str) {
    counter!("erpbot_reconcile_runs_total", "result" => result).increment(1);
}

/// An event the reconciler read in ERPNext and had not met before (`doc`: payment, contract).
pub fn reconcile_found(doc: &'static str) {
    counter!("erpbot_reconcile_events_found_total", "doc" => doc).increment(1);
}

/// An event queued by the reconciler: the webhooks never delivered it ("reconciler finds").
pub fn reconcile_queued(doc: &'static str) {
    counter!("erpbot_reconcile_finds_total", "doc" => doc).increment(1);
}

/// Which path saw an event first: `webhook` or `reconciler`.
pub fn event_first_seen(path: &'static str) {
    counter!("erpbot_events_first_seen_total", "path" => path).increment(1);
}

/// How far behind now a kind's reconciler checkpoint (the newest `modified` read) is, after a
/// pass. It also grows while nothing changes in ERPNext.
pub fn reconcile_checkpoint_lag(doc: &'static str, seconds: f64) {
    gauge!("erpbot_reconcile_checkpoint_lag_seconds", "doc" => doc).set(seconds);
}

/// When the last complete reconciler pass started (Unix seconds): `time() - this` is how
/// stale the catch-up is.
pub fn reconcile_completed(unix_secs: f64) {
    gauge!("erpbot_reconcile_last_success_timestamp_seconds").set(unix_secs);
}

/// Events taken over from replicas whose heartbeat stopped.
pub fn events_claimed_from_dead(n: usize) {
    counter!("erpbot_events_claimed_from_dead_total").increment(n as u64);
}

/// A replica heartbeat: `written`, `failed` (Redis away), `conflict` (another live process
/// uses this `REPLICA_ID`).
pub fn replica_heartbeat(result: &'static str) {
    counter!("erpbot_replica_heartbeats_total", "result" => result).increment(1);
}

/// The age of the oldest event accepted and not yet finished (0 when none waits).
pub fn event_oldest_pending(age: std::time::Duration) {
    gauge!("erpbot_events_oldest_pending_seconds").set(age.as_secs_f64());
}

/// The Sentinels named another Redis master (a failover) and the bot switched to it.
pub fn redis_master_switched() {
    counter!("erpbot_redis_master_switches_total").increment(1);
}
