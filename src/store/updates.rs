//! Once-only handling of Telegram updates that need no chat lock (group messages, membership
//! changes); private updates do the same inside [`super::begin`].
//!
//! An `update_id` is claimed "in progress" under a lease ([`super::lease`]) before any work,
//! marked "done" with a day's TTL after it, and given back when the work failed transiently —
//! so a redelivery is skipped when done, asked to come back while in progress, and processed
//! again after a failure (or once the lease of a crashed replica lapsed). A claim never turns
//! a failure into a loss.

use deadpool_redis::redis;

use super::lease::{LEASE_MS, Lease};
use super::{Store, StoreError};

/// How long a done mark is kept: Telegram stops redelivering long before.
pub(super) const DONE_SECS: u64 = 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This process owns the update now.
    Claimed,
    /// The update was already handled: acknowledge and do nothing.
    Done,
    /// Another request is handling it right now: ask Telegram to come back later.
    InProgress,
}

impl Store {
    pub async fn claim_update(&self, lease: &Lease) -> Result<Claim, StoreError> {
        let key = self.keys.update(lease.update_id);
        let mine = lease.claim_value();
        let (_set, current): (Option<String>, Option<String>) = self
            .run_retrying("claim_update", || {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&key).arg(&mine).arg("NX").arg("PX").arg(LEASE_MS);
                p.cmd("GET").arg(&key);
                p
            })
            .await?;
        // Our own value: claimed now, or by an earlier sending of this pipeline.
        Ok(match current.as_deref() {
            Some(v) if v == mine => Claim::Claimed,
            Some("d") => Claim::Done,
            Some(_) => Claim::InProgress,
            None => Claim::InProgress,
        })
    }

    pub async fn finish_update(&self, lease: &Lease) -> Result<(), StoreError> {
        let key = self.keys.update(lease.update_id);
        self.run_retrying::<()>("finish_update", || {
            let mut p = redis::pipe();
            p.cmd("SET").arg(&key).arg("d").arg("EX").arg(DONE_SECS).ignore();
            p
        })
        .await
    }

    /// Gives the update back after a transient failure, so Telegram's redelivery is processed.
    pub async fn release_update(&self, lease: &Lease) -> Result<(), StoreError> {
        self.abort(lease).await
    }
}
