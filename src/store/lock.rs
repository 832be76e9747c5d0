//! Per-chat lock: one chat's updates are processed one at a time, in every replica.
//!
//! Telegram already keeps one update per chat in flight while we answer after processing;
//! the lock covers what that does not: redeliveries racing the original, and any future
//! path (events, reminders) that writes a chat record.

use std::time::Duration;

use deadpool_redis::redis;

use super::{Store, StoreError};

/// Held lock; give it back with [`Store::unlock_chat`]. Expires by itself if the holder dies.
#[derive(Debug)]
pub struct ChatLock {
    chat_id: i64,
    token: String,
}

impl ChatLock {
    pub(super) fn new(chat_id: i64, token: String) -> Self {
        Self { chat_id, token }
    }

    pub fn chat_id(&self) -> i64 {
        self.chat_id
    }

    pub(super) fn token(&self) -> &str {
        &self.token
    }
}

/// Longer than any single update's processing; a dead holder blocks its chat at most this long.
pub(super) const LOCK_TTL_MS: u64 = 120_000;
const RETRY_EVERY: Duration = Duration::from_millis(20);

pub(crate) const UNLOCK: &str =
    r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

impl Store {
    /// Waits up to `wait` for the chat's lock.
    pub async fn lock_chat(&self, chat_id: i64, wait: Duration) -> Result<ChatLock, StoreError> {
        let key = self.keys.chat_lock(chat_id);
        let token = uuid::Uuid::new_v4().to_string();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let (set,): (Option<String>,) = self
                .run(|| {
                    let mut p = redis::pipe();
                    p.cmd("SET").arg(&key).arg(&token).arg("NX").arg("PX").arg(LOCK_TTL_MS);
                    p
                })
                .await?;
            if set.is_some() {
                return Ok(ChatLock { chat_id, token });
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StoreError::Busy(chat_id));
            }
            tokio::time::sleep(RETRY_EVERY).await;
        }
    }

    /// Releases the lock if it is still ours (it may have expired and been taken since).
    pub async fn unlock_chat(&self, lock: ChatLock) -> Result<(), StoreError> {
        let key = self.keys.chat_lock(lock.chat_id);
        self.run::<()>(|| {
            let mut p = redis::pipe();
            p.cmd("EVAL").arg(UNLOCK).arg(1).arg(&key).arg(&lock.token).ignore();
            p
        })
        .await
    }
}
