//! Leases: the claim on an `update_id` and the lock on its chat are short-lived keys
//! ([`LEASE`]) that the holder renews while the update runs ([`RENEW_EVERY`]). A replica that
//! dies stops renewing, and its chats are free again within one lease, not minutes.
//!
//! Both keys hold the holder's token: the claim `p:<token>`, the lock `<token>`. A command
//! whose answer was lost can be sent again and recognises its own earlier effect, so every
//! lease operation may go through [`Store::run_retrying`]. A holder whose lease lapsed (Redis
//! was away longer than a lease, or the process stalled) learns it from [`Store::renew`], and
//! its chat record is then written only if nobody wrote the chat since it was read: the
//! record's revision is compared and set in the same script that writes it
//! ([`super::begin`]), so two replicas never both write one chat.

use std::time::Duration;

use deadpool_redis::redis;

use super::{Store, StoreError};

/// How long a claim or a chat lock lives without renewal: a dead holder frees its chat this
/// long after its last renewal at most.
pub const LEASE: Duration = Duration::from_millis(LEASE_MS);
pub(super) const LEASE_MS: u64 = 4_000;
/// How often a running update renews its lease: a quarter of it, so that two renewals can
/// be lost (a slow Redis, a busy machine) before the lease lapses.
pub const RENEW_EVERY: Duration = Duration::from_millis(LEASE_MS / 4);

/// Renews the claim (KEYS[1], `p:`ARGV[1]) and the lock (KEYS[2], ARGV[1]) by ARGV[2] ms where
/// they still hold our token; `{claim held, lock held}` as 1 or 0.
pub(crate) const RENEW_LEASE: &str = r"
local c, l = 0, 0
if redis.call('GET', KEYS[1]) == 'p:' .. ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); c = 1 end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('PEXPIRE', KEYS[2], ARGV[2]); l = 1 end
return {c, l}";

/// Gives the update back (deletes the claim while it is ours) and frees the lock while it is
/// ours: Telegram's redelivery is then processed afresh.
pub(crate) const ABORT: &str = r"
if redis.call('GET', KEYS[1]) == 'p:' .. ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1";

/// One update's hold on Redis: its id, its chat (private updates) and the token that proves
/// the claim and the lock are its own.
#[derive(Clone, Debug)]
pub struct Lease {
    pub update_id: i64,
    pub chat_id: Option<i64>,
    token: String,
}

/// What a renewal found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Renewed {
    pub claim: bool,
    pub lock: bool,
}

impl Lease {
    pub fn new(update_id: i64, chat_id: Option<i64>) -> Lease {
        Lease { update_id, chat_id, token: uuid::Uuid::new_v4().simple().to_string() }
    }

    pub(super) fn token(&self) -> &str {
        &self.token
    }

    pub(super) fn claim_value(&self) -> String {
        format!("p:{}", self.token)
    }
}

impl Store {
    fn lease_keys(&self, lease: &Lease) -> [String; 2] {
        // An update of no chat has no lock; the key of chat 0 is never written.
        [self.keys.update(lease.update_id), self.keys.chat_lock(lease.chat_id.unwrap_or(0))]
    }

    /// Extends the claim and the lock by one lease where they are still ours; one attempt
    /// (the next renewal is the retry).
    pub async fn renew(&self, lease: &Lease) -> Result<Renewed, StoreError> {
        let keys = self.lease_keys(lease);
        let (held,): (Vec<i64>,) = self
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(RENEW_LEASE).arg(2).arg(&keys[..]).arg(lease.token()).arg(LEASE_MS);
                p
            })
            .await?;
        Ok(Renewed { claim: held.first() == Some(&1), lock: held.get(1) == Some(&1) })
    }

    /// Gives the update back and frees the chat, where they are still ours.
    pub async fn abort(&self, lease: &Lease) -> Result<(), StoreError> {
        let keys = self.lease_keys(lease);
        self.run_retrying::<()>("abort_update", || {
            let mut p = redis::pipe();
            p.cmd("EVAL").arg(ABORT).arg(2).arg(&keys[..]).arg(lease.token()).ignore();
            p
        })
        .await
    }
}
