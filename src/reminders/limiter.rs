//! Sending limits shared by every replica through Redis: at most `TELEGRAM_SEND_RATE`
//! messages in any calendar second, at most one per second per chat, and a pause for
//! everyone after a 429.

use std::time::Duration;

use deadpool_redis::redis;

use crate::store::{Store, StoreError};

/// Returns 0 when a send may go now, else the milliseconds to wait.
pub(crate) const ACQUIRE: &str = r"
local pause = redis.call('PTTL', KEYS[1])
if pause > 0 then return pause end
if redis.call('EXISTS', KEYS[3]) == 1 then
  local wait = redis.call('PTTL', KEYS[3])
  if wait > 0 then return wait end
  return 50
end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('PEXPIRE', KEYS[2], 2000) end
if n > tonumber(ARGV[1]) then return 1000 - tonumber(ARGV[2]) end
redis.call('SET', KEYS[3], '1', 'PX', 1000)
return 0";

#[derive(Clone)]
pub struct Limiter {
    store: Store,
    rate: u32,
}

impl Limiter {
    pub fn new(store: Store, rate: u32) -> Self {
        Self { store, rate: rate.max(1) }
    }

    /// Waits until a message to `chat_id` may be sent.
    pub async fn acquire(&self, chat_id: i64) -> Result<(), StoreError> {
        loop {
            let now = chrono::Utc::now();
            let second = now.timestamp();
            let ms_in_second = i64::from(now.timestamp_subsec_millis());
            let keys = self.store.keys();
            let (pause, window, chat) =
                (keys.rate("pause"), keys.rate(&second.to_string()), keys.rate(&format!("chat:{chat_id}")));
            let (wait,): (i64,) = self
                .store
                .run(|| {
                    let mut p = redis::pipe();
                    p.cmd("EVAL").arg(ACQUIRE).arg(3).arg(&pause).arg(&window).arg(&chat);
                    p.arg(self.rate).arg(ms_in_second);
                    p
                })
                .await?;
            if wait <= 0 {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(wait.clamp(1, 60_000) as u64)).await;
        }
    }

    /// Telegram answered 429: every replica waits `retry_after`.
    pub async fn pause(&self, retry_after: Duration) -> Result<(), StoreError> {
        let key = self.store.keys().rate("pause");
        self.store
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&key).arg(1).arg("PX").arg(retry_after.as_millis().max(1) as u64).ignore();
                p
            })
            .await
    }
}
