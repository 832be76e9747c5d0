//! The day's lease and the record of reminders, in Redis.
//!
//! - lease `{prefix}:reminders:lease:{date}`: one replica runs the day's pass; it expires if
//!   its holder dies, and is renewed while the pass runs.
//! - `{prefix}:reminders:sending:{date}` then `…:sent:{date}`: a reminder's members are added
//!   to "sending" just before the message goes out and to "sent" after. A pass that crashed
//!   half-way is resumed by the next one: what is in "sent" is skipped (no duplicates), what
//!   was never started is sent (no misses). The one message a crash can catch between the two
//!   steps is counted as sent and logged — a duplicate is worse than a late reminder.
//! - `{prefix}:reminders:done:{date}`: the pass finished; its report.

use std::time::Duration;

use chrono::NaiveDate;
use deadpool_redis::redis;

use crate::store::{Store, StoreError};

const RECORD_TTL_SECS: u64 = 40 * 86_400;
pub const LEASE_TTL: Duration = Duration::from_secs(60);

pub(crate) const RENEW: &str =
    r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
pub(crate) const RELEASE: &str =
    r"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

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
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.cmd("SREM").arg(&k).arg(members).ignore();
                p
            })
            .await
    }

    async fn add(&self, date: NaiveDate, what: &str, members: &[String]) -> Result<(), StoreError> {
        let k = key(&self.store, what, date);
        self.store
            .run::<()>(|| {
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
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&k).arg(report).arg("EX").arg(RECORD_TTL_SECS).ignore();
                p
            })
            .await
    }
}
