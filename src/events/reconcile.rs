//! The catch-up reconciler: events the webhooks never delivered are read from ERPNext and
//! queued.
//!
//! Why: Frappe's webhook delivery gives up early and for good. `enqueue_webhook`
//! (`frappe/integrations/doctype/webhook/webhook.py`) makes `for i in range(3)` tries and
//! sleeps `3 * i + 1` seconds after each failure: tries at about 0, 1 and 5 s, then the event
//! is dropped, logged only in the Webhook Request Log. A bot unreachable for more than about
//! 5 s (a deploy, a restart, a proxy blip) would never hear of those payments.
//!
//! How: every `EVENT_RECONCILE_SECS` and once at start-up, one replica (a leader lease in
//! Redis, renewed while it reads) lists the documents of the event kinds ([`super::kinds`]):
//! Payment Entries received from customers and contracts (Sales Orders) submitted
//! (`docstatus` 1 → `on_submit`) or cancelled (2 → `on_cancel`) and modified since a
//! checkpoint kept in Redis ([`crate::store::reconcile`]), in keyset pages
//! ([`crate::erpnext::changes`]). Each becomes the [`ErpEvent`] and [`Handled`](crate::events::Handled) the webhook
//! path makes of the same document and is queued with [`Queue::accept`], which is once-only
//! on (doctype, name, event): each notice is told once, whichever path saw it first. The
//! checkpoint of a kind moves to the newest `modified` of a page once that page's events are
//! queued.
//!
//! Time: `modified` is written by the site's clock in the site's time zone (Frappe's
//! `now_datetime()`, `frappe/utils/data.py`). The zone is asked once
//! (`frappe.client.get_time_zone`, System Settings `time_zone`); without an answer the
//! business's `REMINDER_TIMEZONE` stands in, and the log says which is used. Checkpoints are
//! kept as instants and written as the site's wall time when reading. The first start's
//! epoch is taken on the site's clock (ours corrected by the `Date` header of that same
//! answer); after it a checkpoint is always a `modified` the site itself wrote, so a
//! difference between the bot's clock and the site's does not lose documents; each read also
//! goes back [`OVERLAP`]
//! before the checkpoint, for transactions that commit after a later one (their `modified` is
//! older than what was already read) and for clock differences at the first start. The
//! re-read documents are known and skipped.
//!
//! History is never flooded onto customers: on the very first start the checkpoint and the
//! epoch begin at now − `EVENT_RECONCILE_LOOKBACK_SECS` (default: now). A document created
//! before the epoch is not told on submission even when it is modified later (a Sales Order
//! is modified by every payment booked against it; a Payment Entry by the bank
//! reconciliation): a draft made before the bot's first start and submitted while it is
//! unreachable is the one case the reconciler leaves to the webhook. An event it met is
//! remembered for a year and more ([`crate::store::reconcile::MARK_TTL`]), far beyond the
//! queue's 7-day once-only key, so that later modifications of a told document stay silent;
//! documents created before that are left alone. A reconciler turned off for days starts
//! again as on a first start, since what the webhooks told meanwhile bears no mark.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use super::kinds::{DocEvent, EventDoc};
use super::queue::{Accepted, Queue};
use super::{ErpEvent, EventKind};
use crate::config::SalesSchema;
use crate::erpnext::changes::{Changed, Cursor};
use crate::erpnext::{ErpClient, ErpError};
use crate::store::reconcile::MARK_TTL;
use crate::store::{Store, StoreError};
use crate::telemetry::metrics;

/// How far before its checkpoint each read starts.
pub const OVERLAP: Duration = Duration::from_secs(120);
/// Rows per page.
const PAGE: usize = 100;
/// The leader lease; renewed every third of it while a pass runs.
const LEASE_TTL: Duration = Duration::from_secs(30);
/// A reconciler off for longer than this starts again as on a first start: the queue's
/// once-only keys (7 days) of what the webhooks told meanwhile may be gone.
const STALE: Duration = Duration::from_secs(6 * 86_400);
/// Documents created longer ago than this are never told: their marks may be gone.
const OLDEST: Duration = Duration::from_secs(MARK_TTL.as_secs() - 30 * 86_400);

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("ERPNext: {0}")]
    Erp(#[from] ErpError),
    #[error("redis: {0}")]
    Store(#[from] StoreError),
    #[error("the reconciler lost its lease to another replica")]
    LeaseLost,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Submitted or cancelled documents read (re-reads of the overlap included).
    pub read: usize,
    /// Events not met before by the reconciler.
    pub found: usize,
    /// Of those, queued by the reconciler: the webhook never delivered them.
    pub queued: usize,
    /// Of those, already accepted from the webhook.
    pub webhook_first: usize,
    /// Left alone: created before the epoch (history) or too long ago.
    pub history: usize,
}

#[derive(Clone)]
pub struct Reconciler {
    pub erp: ErpClient,
    pub store: Store,
    pub queue: Queue,
    pub sales: Arc<SalesSchema>,
    /// `EVENT_RECONCILE_SECS`; `None`: off.
    pub every: Option<Duration>,
    /// `EVENT_RECONCILE_LOOKBACK_SECS`.
    pub lookback: Duration,
    /// `REMINDER_TIMEZONE`, used when the site does not tell its own.
    pub fallback_zone: Tz,
    /// The site's zone and clock once learnt.
    pub site: Arc<tokio::sync::OnceCell<Site>>,
}

/// The site's time zone, and how far its clock is ahead of ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub zone: Tz,
    pub ahead: chrono::Duration,
}

impl Reconciler {
    /// Runs a pass at start and every period until `shutdown`.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let Some(every) = self.every else {
            tracing::info!("the events reconciler is off (EVENT_RECONCILE_SECS=0)");
            return;
        };
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                () = self.tick() => {}
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(every) => {}
            }
        }
    }

    /// One period: a pass if this replica gets the lease.
    pub async fn tick(&self) {
        match self.pass_once().await {
            Ok(Some(report)) => {
                metrics::reconcile_run("done");
                if report.queued > 0 {
                    tracing::warn!(
                        read = report.read,
                        found = report.found,
                        queued = report.queued,
                        webhook_first = report.webhook_first,
                        history = report.history,
                        "events reconciler queued events the webhooks never delivered"
                    );
                } else {
                    tracing::debug!(read = report.read, found = report.found, "events reconciler pass done");
                }
            }
            Ok(None) => {
                metrics::reconcile_run("lease_held");
                tracing::debug!("another replica runs the events reconciler");
            }
            Err(ReconcileError::LeaseLost) => {
                metrics::reconcile_run("lease_lost");
                tracing::warn!("the events reconciler lost its lease mid-pass; the other replica goes on");
            }
            Err(e) => {
                metrics::reconcile_run("failed");
                tracing::warn!(error = %e, "events reconciler pass failed; trying again next period");
            }
        }
    }

    /// A pass under the lease; `None` when another replica holds it.
    pub async fn pass_once(&self) -> Result<Option<Report>, ReconcileError> {
        let Some(lease) = self.store.reconcile_lease(LEASE_TTL).await? else { return Ok(None) };
        let lease = Arc::new(lease);
        let lost = Arc::new(AtomicBool::new(false));
        let keeper = {
            let (store, lease, lost) = (self.store.clone(), lease.clone(), lost.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LEASE_TTL / 3).await;
                    match store.renew_reconcile_lease(&lease, LEASE_TTL).await {
                        Ok(true) => {}
                        Ok(false) => {
                            lost.store(true, Ordering::Relaxed);
                            return;
                        }
                        Err(e) => tracing::warn!(error = %e, "could not renew the reconciler lease; retrying"),
                    }
                }
            })
        };
        let result = self.pass(&lost).await;
        keeper.abort();
        if let Err(e) = self.store.release_reconcile_lease(&lease).await {
            tracing::warn!(error = %e, "could not release the reconciler lease; it expires by itself");
        }
        result.map(Some)
    }

    /// The site's time zone and clock: asked once; the fallback zone (and our clock) while
    /// the site cannot be asked.
    async fn site(&self) -> Site {
        if let Some(site) = self.site.get() {
            return *site;
        }
        let fallback = |why: &str| {
            tracing::warn!(zone = %self.fallback_zone, "events reconciler: {why}; reading modification times in REMINDER_TIMEZONE");
        };
        match self.erp.site_clock().await {
            Ok(clock) => {
                let zone = match clock.zone.as_deref().map(|z| (z, z.parse::<Tz>())) {
                    Some((_, Ok(zone))) => {
                        tracing::info!(zone = %zone, "events reconciler: the site's time zone (System Settings)");
                        zone
                    }
                    Some((name, Err(_))) => {
                        fallback(&format!("the site's time zone {name:?} is unknown"));
                        self.fallback_zone
                    }
                    None => {
                        fallback("the site has no time zone in System Settings");
                        self.fallback_zone
                    }
                };
                let ahead = clock.ahead.unwrap_or_default();
                if ahead.num_seconds().abs() >= 2 {
                    tracing::warn!(
                        ahead_s = ahead.num_seconds(),
                        "events reconciler: the site's clock differs from ours"
                    );
                }
                *self.site.get_or_init(|| async { Site { zone, ahead } }).await
            }
            Err(e @ (ErpError::NotFound(_) | ErpError::Forbidden(_))) => {
                fallback(&format!("the site does not answer frappe.client.get_time_zone ({e})"));
                let site = Site { zone: self.fallback_zone, ahead: chrono::Duration::zero() };
                *self.site.get_or_init(|| async { site }).await
            }
            Err(e) => {
                tracing::warn!(error = %e, zone = %self.fallback_zone, "events reconciler: could not ask the site's time zone; using REMINDER_TIMEZONE for this pass");
                Site { zone: self.fallback_zone, ahead: chrono::Duration::zero() }
            }
        }
    }

    /// Reads every watched kind from its checkpoint to the end.
    async fn pass(&self, lost: &AtomicBool) -> Result<Report, ReconcileError> {
        let Site { zone, ahead } = self.site().await;
        let now = Utc::now();
        // The first start's epoch on the site's clock: it is compared with what the site wrote.
        let start = now + ahead - chrono::Duration::from_std(self.lookback).unwrap_or_default();
        let watched = EventDoc::watched();
        let kinds: Vec<&str> = watched.iter().map(|doc| doc.spec().label).collect();
        let stale_before = now - chrono::Duration::from_std(STALE).unwrap_or_default();
        let checkpoints = self.store.reconcile_checkpoints(&kinds, start, stale_before).await?;
        let oldest = now - chrono::Duration::from_std(OLDEST).unwrap_or_default();
        let floors = Floors { epoch: checkpoints.epoch, oldest };
        let mut report = Report::default();
        for (which, (_, checkpoint)) in watched.into_iter().zip(&checkpoints.at) {
            let reached = self.read_kind(which, *checkpoint, &floors, zone, lost, &mut report).await?;
            let lag = (Utc::now() - reached).num_milliseconds() as f64 / 1000.0;
            metrics::reconcile_checkpoint_lag(which.spec().label, lag.max(0.0));
        }
        metrics::reconcile_completed(now.timestamp() as f64);
        Ok(report)
    }

    /// Reads one kind; answers the checkpoint reached.
    async fn read_kind(
        &self,
        which: EventDoc,
        checkpoint: DateTime<Utc>,
        floors: &Floors,
        zone: Tz,
        lost: &AtomicBool,
        report: &mut Report,
    ) -> Result<DateTime<Utc>, ReconcileError> {
        let overlap = chrono::Duration::from_std(OVERLAP).unwrap_or_default();
        let mut cursor = Cursor { modified: to_site(checkpoint - overlap, zone), name: String::new() };
        let mut reached = checkpoint;
        let listing = which.listing(&self.sales);
        loop {
            if lost.load(Ordering::Relaxed) {
                return Err(ReconcileError::LeaseLost);
            }
            let rows = self.erp.changed_page(&listing, &cursor, PAGE).await?;
            let Some(last) = rows.last() else { return Ok(reached) };
            cursor = Cursor { modified: last.modified, name: last.name.clone() };
            let full = rows.len() >= PAGE;
            report.read += rows.len();
            let newest = rows.iter().map(|r| r.modified).max().map(|m| from_site(m, zone));
            self.queue_page(which, rows, floors, zone, report).await?;
            if let Some(newest) = newest
                && newest > reached
            {
                self.store.advance_reconcile_checkpoint(which.spec().label, newest).await?;
                reached = newest;
            }
            if !full {
                return Ok(reached);
            }
        }
    }

    /// Queues the events of one page the reconciler has not met before.
    async fn queue_page(
        &self,
        which: EventDoc,
        rows: Vec<Changed>,
        floors: &Floors,
        zone: Tz,
        report: &mut Report,
    ) -> Result<(), ReconcileError> {
        let doctype = which.doctype_in(&self.sales).to_owned();
        let mut events = Vec::new();
        for row in rows {
            let made = events_of(&doctype, row, floors, zone);
            if made.is_empty() {
                report.history += 1;
            }
            for event in made {
                if let Some(handled) = event.handled(&self.sales) {
                    events.push((event, handled));
                }
            }
        }
        let keys: Vec<String> = events.iter().map(|(e, _)| e.key()).collect();
        let met = self.store.reconciled(&keys).await?;
        let mut new_keys = Vec::new();
        for ((event, handled), met) in events.into_iter().zip(met) {
            if met {
                continue;
            }
            report.found += 1;
            metrics::reconcile_found(which.spec().label);
            match self.queue.accept(&event, handled).await? {
                Accepted::Queued => {
                    report.queued += 1;
                    metrics::event("accepted");
                    metrics::reconcile_queued(which.spec().label);
                    metrics::event_first_seen("reconciler");
                    tracing::info!(
                        erp.doctype = %event.doctype, erp.name = %event.name, kind = handled.as_str(),
                        "event the webhook never delivered; queued by the reconciler"
                    );
                }
                Accepted::Duplicate => report.webhook_first += 1,
            }
            new_keys.push(event.key());
        }
        self.store.mark_reconciled(&new_keys).await?;
        Ok(())
    }
}

/// What is history (never told).
struct Floors {
    /// The reconciler's first start minus the look-back.
    epoch: DateTime<Utc>,
    /// Documents created before this are not told.
    oldest: DateTime<Utc>,
}

/// The events a listed document stands for, as the webhook bodies would carry them, without
/// the history: a submitted document its submission; a cancelled one its cancellation, after
/// its submission when that too happened after the epoch (both were missed: the customer
/// hears both, in order).
fn events_of(doctype: &str, row: Changed, floors: &Floors, zone: Tz) -> Vec<ErpEvent> {
    let modified = from_site(row.modified, zone);
    let created = row.creation.map(|c| from_site(c, zone)).unwrap_or(modified);
    if modified < floors.epoch || created < floors.oldest {
        return Vec::new();
    }
    let submitted_lately = created >= floors.epoch;
    // A cancelled document was submitted first.
    let events: &[DocEvent] = match row.docstatus {
        1 if submitted_lately => &[DocEvent::Submit],
        2 if submitted_lately => &[DocEvent::Submit, DocEvent::Cancel],
        2 => &[DocEvent::Cancel],
        _ => &[],
    };
    events
        .iter()
        .map(|event| {
            let mut body = Map::new();
            body.insert("event".into(), Value::from(event.frappe()));
            body.insert("doctype".into(), Value::from(doctype));
            for (k, v) in &row.row {
                if k != "creation" {
                    body.insert(k.clone(), v.clone());
                }
            }
            body.insert("docstatus".into(), Value::from(event.docstatus()));
            body.insert("source".into(), Value::from("reconciler"));
            ErpEvent { doctype: doctype.to_owned(), name: row.name.clone(), kind: EventKind::from(*event), body }
        })
        .collect()
}

/// An instant as the site's wall time.
pub fn to_site(t: DateTime<Utc>, zone: Tz) -> NaiveDateTime {
    t.with_timezone(&zone).naive_local()
}

/// The site's wall time as an instant: the earlier of an ambiguous hour (a clock put back),
/// the hour after for a time a clock skipped.
pub fn from_site(t: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    zone.from_local_datetime(&t)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(t + chrono::Duration::hours(1))).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erpnext::changes::parse_datetime;

    fn at(s: &str) -> NaiveDateTime {
        parse_datetime(s).expect("a datetime")
    }

    fn row(docstatus: i64, modified: &str, creation: &str) -> Changed {
        Changed {
            name: "PE-1".into(),
            docstatus,
            modified: at(modified),
            creation: Some(at(creation)),
            row: [("name".to_owned(), Value::from("PE-1")), ("creation".to_owned(), Value::from(creation))]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn site_wall_times_convert_through_the_site_zone() {
        let tashkent: Tz = "Asia/Tashkent".parse().expect("zone");
        let utc = from_site(at("2026-12-01 15:00:00"), tashkent);
        assert_eq!(utc.to_rfc3339(), "2026-12-01T10:00:00+00:00");
        assert_eq!(to_site(utc, tashkent), at("2026-12-01 15:00:00"));
        // New York puts its clock back on 2026-11-01: 01:30 happens twice; the first is taken.
        let ny: Tz = "America/New_York".parse().expect("zone");
        assert_eq!(from_site(at("2026-11-01 01:30:00"), ny).to_rfc3339(), "2026-11-01T05:30:00+00:00");
        // …and skips 02:00–03:00 on 2026-03-08.
        assert_eq!(from_site(at("2026-03-08 02:30:00"), ny).to_rfc3339(), "2026-03-08T07:30:00+00:00");
    }

    #[test]
    fn documents_are_events_as_the_webhook_would_post_them_unless_history() {
        let zone: Tz = "UTC".parse().expect("zone");
        let floors = Floors {
            epoch: from_site(at("2026-12-01 10:00:00"), zone),
            oldest: from_site(at("2026-01-01 00:00:00"), zone),
        };
        let kinds = |docstatus, modified, creation| -> Vec<String> {
            events_of("Sales Order", row(docstatus, modified, creation), &floors, zone)
                .iter()
                .map(|e| e.body["event"].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let e = events_of("Payment Entry", row(1, "2026-12-01 10:05:00", "2026-12-01 10:04:00"), &floors, zone);
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].kind.clone(), e[0].body["event"].as_str()), (EventKind::Submitted, Some("on_submit")));
        assert_eq!(e[0].key(), "Payment Entry\u{1f}PE-1\u{1f}on_submit");
        assert!(e[0].body.get("creation").is_none());
        // Submitted and cancelled while nobody heard: both, in order.
        assert_eq!(kinds(2, "2026-12-01 10:05:00", "2026-12-01 10:04:00"), ["on_submit", "on_cancel"]);
        // A contract made before the epoch and modified after it (a payment booked against it).
        assert!(kinds(1, "2026-12-01 10:05:00", "2026-11-20 09:00:00").is_empty());
        // Its cancellation after the epoch is news; a cancellation before it is history.
        assert_eq!(kinds(2, "2026-12-01 10:05:00", "2026-11-20 09:00:00"), ["on_cancel"]);
        assert!(kinds(2, "2026-12-01 09:55:00", "2026-11-20 09:00:00").is_empty());
        // Drafts are no events; documents older than the marks are left alone.
        assert!(kinds(0, "2026-12-01 10:05:00", "2026-12-01 10:04:00").is_empty());
        assert!(kinds(2, "2026-12-01 10:05:00", "2025-12-01 09:00:00").is_empty());
    }

    #[test]
    fn every_kind_is_found_by_the_reconciler_as_the_webhook_would_post_it() {
        let sales = crate::config::Config::from_sources(
            &[("BOT_TOKEN", "1:a"), ("ERP_BASE_URL", "http://erp"), ("ERP_API_KEY", "k"), ("ERP_API_SECRET", "s")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            crate::config::Purpose::Tooling,
        )
        .map(|c| c.erp.schema.sales)
        .expect("config");
        let zone: Tz = "UTC".parse().expect("zone");
        let floors = Floors {
            epoch: from_site(at("2026-12-01 10:00:00"), zone),
            oldest: from_site(at("2026-01-01 00:00:00"), zone),
        };
        for kind in super::super::kinds::EVENT_KINDS {
            let doctype = kind.doc.doctype_in(&sales);
            let found = events_of(
                doctype,
                row(kind.event.docstatus(), "2026-12-01 10:05:00", "2026-12-01 10:04:00"),
                &floors,
                zone,
            );
            let told: Vec<_> = found.iter().map(|e| e.handled(&sales)).collect();
            assert_eq!(told.last(), Some(&Some(kind.handled)), "{kind:?}");
            let key = found.last().map(ErpEvent::key);
            assert_eq!(key, Some(format!("{doctype}\u{1f}PE-1\u{1f}{}", kind.event.frappe())), "{kind:?}");
        }
    }
}
