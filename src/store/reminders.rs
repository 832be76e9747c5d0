//! The Redis side of reminders ([`crate::reminders`]): the day's lease, the record of what
//! was sent, and the send-rate limits shared by every replica.
//!
//! - lease `{prefix}:reminders:lease:{date}`: one replica runs the day's pass; it expires if
//!   its holder dies, and is renewed (compare-and-set on the holder's token) while it runs.
//! - `{prefix}:reminders:sending:{date}` then `…:sent:{date}`: sets of reminder members, added
//!   just before and just after a send; `…:done:{date}`: the finished pass's report. These
//!   records are written with [`Store::run_retrying`]: a Redis blip is waited out instead of
//!   failing the pass (every write is idempotent: SADD, SREM, SET).
//! - `{prefix}:rate:{second}`, `…:rate:chat:{id}`, `…:rate:pause`: the limiter's counters
//!   ([`ACQUIRE`]).

use std::time::Duration;

use chrono::NaiveDate;
use deadpool_redis::redis;

use super::{Store, StoreError};

const RECORD_TTL_SECS: u64 = 40 * 86_400;
/// How long the day's lease lasts unless renewed.
pub const LEASE_TTL: Duration = Duration::from_secs(60);

/// Extends a key's TTL if it still holds our token.
pub(crate) const RENEW: &str =
    r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
/// Deletes a key if it still holds our token.
pub(crate) const RELEASE: &str =
    r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

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

/// The day's lease and records.
#[derive(Clone)]
pub struct Records {
    store: Store,
}

/// A held lease.
pub struct Lease {
    key: String,
    token: String,
}

fn key(store: &Store, what: &str, date: NaiveDate) -> String {
    store.keys().reminders(what, &date.format("%Y-%m-%d").to_string())
}

impl Records {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Takes the day's lease, or `None` when another replica holds it.
    pub async fn lease(&self, date: NaiveDate) -> Result<Option<Lease>, StoreError> {
        let key = key(&self.store, "lease", date);
        let token = uuid::Uuid::new_v4().to_string();
        let (set,): (Option<String>,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&key).arg(&token).arg("NX").arg("PX").arg(LEASE_TTL.as_millis() as u64);
                p
            })
            .await?;
        Ok(set.map(|_| Lease { key, token }))
    }

    /// Extends the lease; false when it was lost (expired and taken).
    pub async fn renew(&self, lease: &Lease) -> Result<bool, StoreError> {
        let (renewed,): (i64,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(RENEW).arg(1).arg(&lease.key).arg(&lease.token).arg(LEASE_TTL.as_millis() as u64);
                p
            })
            .await?;
        Ok(renewed == 1)
    }

    pub async fn release(&self, lease: &Lease) -> Result<(), StoreError> {
        self.store
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(RELEASE).arg(1).arg(&lease.key).arg(&lease.token).ignore();
                p
            })
            .await
    }

    /// Members already recorded as sending or sent today (a resumed pass skips them).
    pub async fn recorded(&self, date: NaiveDate) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let (sending, sent) = (key(&self.store, "sending", date), key(&self.store, "sent", date));
        self.store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("SMEMBERS").arg(&sending);
                p.cmd("SMEMBERS").arg(&sent);
                p
            })
            .await
    }

    /// Records the members as being sent, just before the send.
    pub async fn sending(&self, date: NaiveDate, members: &[String]) -> Result<(), StoreError> {
        self.add(date, "sending", members).await
    }

    /// Records the members as sent (or settled: unreachable), after the send.
    pub async fn sent(&self, date: NaiveDate, members: &[String]) -> Result<(), StoreError> {
        self.add(date, "sent", members).await
    }

    /// A send that failed: the next pass may try again.
    pub async fn unsend(&self, date: NaiveDate, members: &[String]) -> Result<(), StoreError> {
        let k = key(&self.store, "sending", date);
        self.store
            .run_retrying::<()>("reminder_unsend", || {
                let mut p = redis::pipe();
                p.cmd("SREM").arg(&k).arg(members).ignore();
                p
            })
            .await
    }

    async fn add(&self, date: NaiveDate, what: &'static str, members: &[String]) -> Result<(), StoreError> {
        let k = key(&self.store, what, date);
        let op = if what == "sent" { "reminder_sent" } else { "reminder_sending" };
        self.store
            .run_retrying::<()>(op, || {
                let mut p = redis::pipe();
                p.cmd("SADD").arg(&k).arg(members).ignore();
                p.cmd("EXPIRE").arg(&k).arg(RECORD_TTL_SECS).ignore();
                p
            })
            .await
    }

    /// The report of the day's finished pass, if any.
    pub async fn done(&self, date: NaiveDate) -> Result<Option<String>, StoreError> {
        let k = key(&self.store, "done", date);
        let (report,): (Option<String>,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("GET").arg(&k);
                p
            })
            .await?;
        Ok(report)
    }

    pub async fn finish(&self, date: NaiveDate, report: &str) -> Result<(), StoreError> {
        let k = key(&self.store, "done", date);
        self.store
            .run_retrying::<()>("reminder_done", || {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&k).arg(report).arg("EX").arg(RECORD_TTL_SECS).ignore();
                p
            })
            .await
    }
}

/// The shared send-rate counters ([`crate::reminders::limiter`] keeps the waiting).
#[derive(Clone)]
pub struct Rate {
    store: Store,
}

impl Rate {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// One try at a send slot for `chat_id` at `now`: 0 when a message may go, else the
    /// milliseconds to wait ([`ACQUIRE`]: the 429 pause, the chat's one-per-second spacing,
    /// `rate` per calendar second across replicas).
    pub async fn try_acquire(
        &self,
        chat_id: i64,
        rate: u32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, StoreError> {
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
                p.arg(rate).arg(ms_in_second);
                p
            })
            .await?;
        Ok(wait)
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
