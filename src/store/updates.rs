//! Once-only handling of Telegram updates.
//!
//! An `update_id` is claimed as "in progress" with a short TTL before any work, marked "done"
//! with a day's TTL after it, and released when the work failed transiently — so a redelivery
//! is skipped when done, waits while in progress, and is processed again after a failure (or
//! after the claim of a crashed replica expires). A claim never turns a failure into a loss.

use deadpool_redis::redis;

use super::{Store, StoreError};

/// How long an in-progress claim lives: longer than any update can take.
pub(super) const IN_PROGRESS_SECS: u64 = 120;
/// How long a done claim is kept: Telegram stops redelivering long before.
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
    pub async fn claim_update(&self, update_id: i64) -> Result<Claim, StoreError> {
        let key = self.keys.update(update_id);
        let (set, current): (Option<String>, Option<String>) = self
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&key).arg("p").arg("NX").arg("EX").arg(IN_PROGRESS_SECS);
                p.cmd("GET").arg(&key);
                p
            })
            .await?;
        Ok(match (set, current.as_deref()) {
            (Some(_), _) => Claim::Claimed,
            (None, Some("d")) => Claim::Done,
            (None, _) => Claim::InProgress,
        })
    }

    pub async fn finish_update(&self, update_id: i64) -> Result<(), StoreError> {
        let key = self.keys.update(update_id);
        self.run::<()>(|| {
            let mut p = redis::pipe();
            p.cmd("SET").arg(&key).arg("d").arg("EX").arg(DONE_SECS).ignore();
            p
        })
        .await
    }

    /// Gives the update back after a transient failure, so Telegram's redelivery is processed.
    pub async fn release_update(&self, update_id: i64) -> Result<(), StoreError> {
        let key = self.keys.update(update_id);
        self.run::<()>(|| {
            let mut p = redis::pipe();
            p.cmd("DEL").arg(&key).ignore();
            p
        })
        .await
    }
}
