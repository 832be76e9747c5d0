//! What the events reconciler ([`crate::events::reconcile`]) keeps in Redis, under the events'
//! key space (`{prefix}:events:…`):
//!
//! - `…:events:reconcile` (hash): `last`, when a pass last started; `epoch`, when the
//!   reconciler first ran (minus the configured look-back; again after days off), and per
//!   watched document kind the checkpoint: the `modified` of the newest
//!   document whose events are queued, as UTC microseconds. Written by the lease holder only;
//!   a checkpoint moved back by a holder whose lease lapsed costs a re-read, never a
//!   duplicate (the queue and the marks below are once-only).
//! - `…:events:reconcile:lease`: the leader lease, so that one replica at a time reads
//!   ERPNext. A token with a short expiry, renewed while the pass runs.
//! - `…:events:reconciled:{hash}`: an event (doctype, name, event) the reconciler has met,
//!   kept for [`MARK_TTL`]. A submitted document keeps being modified (a Sales Order each time
//!   a payment or an invoice is booked against it, a Payment Entry when it is reconciled
//!   with the bank), long after the queue's own once-only key (7 days) is gone: the mark
//!   keeps such a document from being told again.
//!
//! Writes that must not be lost (checkpoint, marks) go through [`Store::run_retrying`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_redis::redis;
use sha2::Digest;

use super::{Store, StoreError};

/// How long an event the reconciler met is remembered.
pub const MARK_TTL: Duration = Duration::from_secs(400 * 86_400);

// The reminders' lease scripts (the in-memory store knows them by their text).
use super::reminders::{RELEASE, RENEW};

/// A held reconciler lease.
#[derive(Debug)]
pub struct ReconcileLease {
    key: String,
    token: String,
}

/// The reconciler's state: where each document kind was read up to, and since when the
/// reconciler exists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoints {
    pub epoch: DateTime<Utc>,
    /// (document kind, checkpoint) for the kinds asked.
    pub at: Vec<(String, DateTime<Utc>)>,
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(v: Option<String>) -> Option<DateTime<Utc>> {
    v.and_then(|s| s.trim().parse::<i64>().ok()).and_then(DateTime::<Utc>::from_timestamp_micros)
}

impl Store {
    fn reconcile_key(&self) -> String {
        format!("{}:reconcile", self.keys().events())
    }

    fn reconciled_key(&self, event_key: &str) -> String {
        let digest = sha2::Sha256::digest(event_key.as_bytes());
        let hash: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
        format!("{}:reconciled:{hash}", self.keys().events())
    }

    /// The checkpoints of `kinds`, each starting at `start` when it has none yet; the epoch
    /// is set to `start` on the very first call. When the last pass (`last`) is older than
    /// `stale_before` (the reconciler was off), everything starts again at `start`, as on a
    /// first start: what happened meanwhile is beyond the queue's once-only memory.
    pub async fn reconcile_checkpoints(
        &self,
        kinds: &[&str],
        start: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Checkpoints, StoreError> {
        let key = self.reconcile_key();
        let fields: Vec<&str> = ["last", "epoch"].into_iter().chain(kinds.iter().copied()).collect();
        let (values,): (Vec<Option<String>>,) = self
            .run_retrying("reconcile_checkpoints", || {
                let mut p = redis::pipe();
                p.cmd("HMGET").arg(&key).arg(&fields);
                p
            })
            .await?;
        let mut values: Vec<Option<DateTime<Utc>>> = values.into_iter().map(from_micros).collect();
        values.resize(fields.len(), None);
        if values[0].is_some_and(|last| last < stale_before) {
            tracing::warn!("the events reconciler has not run for days; starting again from now, as on a first start");
            values.iter_mut().for_each(|v| *v = None);
        }
        let start_v = micros(start).to_string();
        let last_v = micros(Utc::now()).to_string();
        let missing: Vec<&str> =
            fields.iter().zip(&values).skip(1).filter(|(_, v)| v.is_none()).map(|(f, _)| *f).collect();
        self.run_retrying::<()>("reconcile_checkpoints", || {
            let mut p = redis::pipe();
            p.cmd("HSET").arg(&key).arg("last").arg(&last_v).ignore();
            for field in &missing {
                p.cmd("HSET").arg(&key).arg(*field).arg(&start_v).ignore();
            }
            p
        })
        .await?;
        let mut values = values.into_iter().skip(1);
        let epoch = values.next().flatten().unwrap_or(start);
        let at = kinds.iter().map(|k| ((*k).to_owned(), values.next().flatten().unwrap_or(start))).collect();
        Ok(Checkpoints { epoch, at })
    }

    /// Sets the checkpoint of `kind` to `to` (the caller moves it forward only).
    pub async fn advance_reconcile_checkpoint(&self, kind: &str, to: DateTime<Utc>) -> Result<(), StoreError> {
        let key = self.reconcile_key();
        let to = micros(to).to_string();
        self.run_retrying::<()>("reconcile_checkpoint", || {
            let mut p = redis::pipe();
            p.cmd("HSET").arg(&key).arg(kind).arg(&to).ignore();
            p
        })
        .await
    }

    /// Takes the reconciler's lease for `ttl`, or `None` when another replica holds it.
    pub async fn reconcile_lease(&self, ttl: Duration) -> Result<Option<ReconcileLease>, StoreError> {
        let key = format!("{}:lease", self.reconcile_key());
        let token = uuid::Uuid::new_v4().to_string();
        let (set,): (Option<String>,) = self
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&key).arg(&token).arg("NX").arg("PX").arg(ttl.as_millis() as u64);
                p
            })
            .await?;
        Ok(set.map(|_| ReconcileLease { key, token }))
    }

    /// Extends the lease for `ttl`; false when it was lost (expired and taken).
    pub async fn renew_reconcile_lease(&self, lease: &ReconcileLease, ttl: Duration) -> Result<bool, StoreError> {
        let (renewed,): (i64,) = self
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(RENEW).arg(1).arg(&lease.key).arg(&lease.token).arg(ttl.as_millis() as u64);
                p
            })
            .await?;
        Ok(renewed == 1)
    }

    pub async fn release_reconcile_lease(&self, lease: &ReconcileLease) -> Result<(), StoreError> {
        self.run::<()>(|| {
            let mut p = redis::pipe();
            p.cmd("EVAL").arg(RELEASE).arg(1).arg(&lease.key).arg(&lease.token).ignore();
            p
        })
        .await
    }

    /// Which of these events (by [`crate::events::ErpEvent::key`]) the reconciler met before.
    pub async fn reconciled(&self, event_keys: &[String]) -> Result<Vec<bool>, StoreError> {
        if event_keys.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = event_keys.iter().map(|k| self.reconciled_key(k)).collect();
        self.run_retrying("reconciled", || {
            let mut p = redis::pipe();
            for mark in &marks {
                p.cmd("EXISTS").arg(mark);
            }
            p
        })
        .await
    }

    /// Remembers that the reconciler met these events (after they are queued).
    pub async fn mark_reconciled(&self, event_keys: &[String]) -> Result<(), StoreError> {
        if event_keys.is_empty() {
            return Ok(());
        }
        let marks: Vec<String> = event_keys.iter().map(|k| self.reconciled_key(k)).collect();
        self.run_retrying::<()>("mark_reconciled", || {
            let mut p = redis::pipe();
            for mark in &marks {
                p.cmd("SET").arg(mark).arg(1).arg("EX").arg(MARK_TTL.as_secs()).ignore();
            }
            p
        })
        .await
    }
}
