//! Sending limits shared by every replica through Redis: at most `TELEGRAM_SEND_RATE`
//! messages in any calendar second, at most one per second per chat, and a pause for
//! everyone after a 429. The counters and their script are in [`crate::store::reminders`];
//! this is the waiting.

use std::time::Duration;

use crate::store::reminders::Rate;
use crate::store::{Store, StoreError};

#[derive(Clone)]
pub struct Limiter {
    rate: Rate,
    per_second: u32,
}

impl Limiter {
    pub fn new(store: Store, rate: u32) -> Self {
        Self { rate: Rate::new(store), per_second: rate.max(1) }
    }

    /// Waits until a message to `chat_id` may be sent.
    pub async fn acquire(&self, chat_id: i64) -> Result<(), StoreError> {
        loop {
            let wait = self.rate.try_acquire(chat_id, self.per_second, chrono::Utc::now()).await?;
            if wait <= 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(wait.clamp(1, 60_000) as u64)).await;
        }
    }

    /// Telegram answered 429: every replica waits `retry_after`.
    pub async fn pause(&self, retry_after: Duration) -> Result<(), StoreError> {
        self.rate.pause(retry_after).await
    }
}
