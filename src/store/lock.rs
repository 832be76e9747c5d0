//! Per-chat lock: one chat's updates are processed one at a time, in every replica.
//!
//! Telegram already keeps one update per chat in flight while we answer after processing;
//! the lock covers what that does not: redeliveries racing the original, and any future
//! path (events, reminders) that writes a chat record. The lock is a lease
//! ([`super::lease`]): a dead holder frees its chat within [`super::lease::LEASE`].

use std::time::Duration;

use deadpool_redis::redis;

use super::lease::{LEASE_MS, Lease};
use super::{Store, StoreError};

/// A lock taken on its own (not by an update's lease); give it back with
/// [`Store::unlock_chat`]. Expires by itself if the holder dies.
#[derive(Debug)]
pub struct ChatLock {
    chat_id: i64,
    token: String,
}

impl ChatLock {
    pub fn chat_id(&self) -> i64 {
        self.chat_id
    }
}

const RETRY_EVERY: Duration = Duration::from_millis(20);

pub(crate) const UNLOCK: &str =
    r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

impl Store {
    /// Waits up to `wait` for the chat's lock, under `token`; true once held. Sending it
    /// again finds its own token: a lost answer is no lost lock.
    async fn take_lock(&self, chat_id: i64, token: &str, wait: Duration) -> Result<bool, StoreError> {
        let key = self.keys.chat_lock(chat_id);
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let (_set, holder): (Option<String>, Option<String>) = self
                .run_retrying("lock_chat", || {
                    let mut p = redis::pipe();
                    p.cmd("SET").arg(&key).arg(token).arg("NX").arg("PX").arg(LEASE_MS);
                    p.cmd("GET").arg(&key);
                    p
                })
                .await?;
            if holder.as_deref() == Some(token) {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }

    /// Waits up to `wait` for the chat's lock.
    pub async fn lock_chat(&self, chat_id: i64, wait: Duration) -> Result<ChatLock, StoreError> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        if self.take_lock(chat_id, &token, wait).await? {
            Ok(ChatLock { chat_id, token })
        } else {
            Err(StoreError::Busy(chat_id))
        }
    }

    /// Waits up to `wait` for the lock of the lease's chat, as part of the lease.
    pub async fn lock_for(&self, lease: &Lease, wait: Duration) -> Result<(), StoreError> {
        let chat_id = lease.chat_id.unwrap_or(0);
        if self.take_lock(chat_id, lease.token(), wait).await? { Ok(()) } else { Err(StoreError::Busy(chat_id)) }
    }

    /// Releases the lock if it is still ours (it may have expired and been taken since).
    pub async fn unlock_chat(&self, lock: ChatLock) -> Result<(), StoreError> {
        let key = self.keys.chat_lock(lock.chat_id);
        self.run_retrying::<()>("unlock_chat", || {
            let mut p = redis::pipe();
            p.cmd("EVAL").arg(UNLOCK).arg(1).arg(&key).arg(&lock.token).ignore();
            p
        })
        .await
    }
}
