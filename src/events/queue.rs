//! The durable queue: a Redis stream with one consumer group shared by every replica.
//!
//! - `accept` records the event's key (7 days) and appends it to the stream in one Lua
//!   script: a repeated delivery finds the key and adds nothing.
//! - `read` takes new entries for this consumer; `claim_stale` takes over entries another
//!   consumer has held longer than the claim idle time (it died); `touch` keeps ours.
//! - `done` acknowledges and deletes; `park` moves an entry to the parked stream for an
//!   operator; a "sent" mark lets a re-taken entry whose message already went out be skipped.

use std::time::Duration;

use deadpool_redis::redis;
use redis::streams::{StreamAutoClaimReply, StreamId, StreamReadReply};
use sha2::Digest;

use super::model::{ErpEvent, Handled};
use crate::store::{Store, StoreError};

const GROUP: &str = "workers";
const KEY_TTL_SECS: u64 = 7 * 86_400;

pub(crate) const ACCEPT: &str = r"
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', 'key', ARGV[2], 'handled', ARGV[3], 'body', ARGV[4], 'accepted_at', ARGV[5])
end
return false";

/// An event taken from the stream.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: String,
    pub key: String,
    pub handled: Handled,
    pub event: ErpEvent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    Queued,
    Duplicate,
}

/// Queue operations for one replica (its consumer name).
#[derive(Clone)]
pub struct Queue {
    store: Store,
    consumer: String,
}

impl Queue {
    pub fn new(store: Store) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "bot".into());
        Self { store, consumer: format!("{host}-{}", uuid::Uuid::new_v4().simple()) }
    }

    fn stream(&self) -> String {
        self.store.keys().events()
    }

    fn short(key: &str) -> String {
        let digest = sha2::Sha256::digest(key.as_bytes());
        digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
    }

    /// Creates the consumer group (and the stream) if absent.
    pub async fn ensure_group(&self) -> Result<(), StoreError> {
        let stream = self.stream();
        let result: Result<(), StoreError> = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("XGROUP").arg("CREATE").arg(&stream).arg(GROUP).arg("0").arg("MKSTREAM").ignore();
                p
            })
            .await;
        match result {
            Err(StoreError::Refused(m)) if m.contains("BUSYGROUP") => Ok(()),
            other => other,
        }
    }

    /// Stores the event durably, once per key.
    pub async fn accept(&self, event: &ErpEvent, handled: Handled) -> Result<Accepted, StoreError> {
        let key = event.key();
        let seen = self.store.keys().event_seen(&Self::short(&key));
        let body = serde_json::Value::Object(event.body.clone()).to_string();
        let now = chrono::Utc::now().timestamp().to_string();
        let stream = self.stream();
        let (id,): (Option<String>,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(ACCEPT).arg(2).arg(&seen).arg(&stream);
                p.arg(KEY_TTL_SECS).arg(&key).arg(handled.as_str()).arg(&body).arg(&now);
                p
            })
            .await?;
        Ok(if id.is_some() { Accepted::Queued } else { Accepted::Duplicate })
    }

    /// New entries for this consumer, waiting up to `block` for some.
    pub async fn read(&self, count: usize, block: Duration) -> Result<Vec<Entry>, StoreError> {
        let stream = self.stream();
        let (reply,): (Option<StreamReadReply>,) = self
            .store
            .run_blocking(block, |block| {
                let mut p = redis::pipe();
                p.cmd("XREADGROUP").arg("GROUP").arg(GROUP).arg(&self.consumer).arg("COUNT").arg(count);
                p.arg("BLOCK").arg(block.as_millis() as u64).arg("STREAMS").arg(&stream).arg(">");
                p
            })
            .await?;
        let ids = reply.map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect()).unwrap_or_default();
        Ok(self.entries(ids).await)
    }

    /// Entries another consumer took and has not finished for `idle`: its replica is gone.
    pub async fn claim_stale(&self, idle: Duration, count: usize) -> Result<Vec<Entry>, StoreError> {
        let stream = self.stream();
        let (reply,): (StreamAutoClaimReply,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("XAUTOCLAIM").arg(&stream).arg(GROUP).arg(&self.consumer).arg(idle.as_millis() as u64);
                p.arg("0-0").arg("COUNT").arg(count);
                p
            })
            .await?;
        Ok(self.entries(reply.claimed).await)
    }

    /// Decodes entries; an entry that cannot be decoded is parked rather than retried forever.
    async fn entries(&self, ids: Vec<StreamId>) -> Vec<Entry> {
        let mut out = Vec::new();
        for raw in ids {
            let get = |f: &str| raw.get::<String>(f);
            let decoded = (|| {
                let key = get("key")?;
                let handled = Handled::parse(&get("handled")?)?;
                let event = ErpEvent::parse(get("body")?.as_bytes()).ok()?;
                Some(Entry { id: raw.id.clone(), key, handled, event })
            })();
            match decoded {
                Some(entry) => out.push(entry),
                None => {
                    tracing::error!(stream.id = %raw.id, "undecodable event in the queue; parking it");
                    let _ = self.park_raw(&raw.id, "undecodable").await;
                }
            }
        }
        out
    }

    /// Resets the idle time of an entry we are still working on (so nobody takes it over).
    pub async fn touch(&self, id: &str) -> Result<(), StoreError> {
        let stream = self.stream();
        self.store
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.cmd("XCLAIM").arg(&stream).arg(GROUP).arg(&self.consumer).arg(0).arg(id).arg("JUSTID").ignore();
                p
            })
            .await
    }

    /// Whether the message of this event already went out (a re-taken entry).
    pub async fn was_sent(&self, key: &str) -> Result<bool, StoreError> {
        let mark = self.store.keys().event_sent(&Self::short(key));
        let (exists,): (bool,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EXISTS").arg(&mark);
                p
            })
            .await?;
        Ok(exists)
    }

    /// Finishes an entry: marks it sent (when it was), acknowledges and deletes it.
    pub async fn done(&self, entry: &Entry, sent: bool) -> Result<(), StoreError> {
        let stream = self.stream();
        let mark = self.store.keys().event_sent(&Self::short(&entry.key));
        self.store
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.atomic();
                if sent {
                    p.cmd("SET").arg(&mark).arg(1).arg("EX").arg(KEY_TTL_SECS).ignore();
                }
                p.cmd("XACK").arg(&stream).arg(GROUP).arg(&entry.id).ignore();
                p.cmd("XDEL").arg(&stream).arg(&entry.id).ignore();
                p
            })
            .await
    }

    /// Moves an entry to the parked stream, visible to operators, and out of the queue.
    pub async fn park(&self, entry: &Entry, reason: &str) -> Result<(), StoreError> {
        let parked = self.store.keys().events_parked();
        let stream = self.stream();
        let body = serde_json::Value::Object(entry.event.body.clone()).to_string();
        self.store
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.atomic();
                p.cmd("XADD").arg(&parked).arg("*").arg("key").arg(&entry.key).arg("handled");
                p.arg(entry.handled.as_str()).arg("body").arg(&body).arg("reason").arg(reason).ignore();
                p.cmd("XACK").arg(&stream).arg(GROUP).arg(&entry.id).ignore();
                p.cmd("XDEL").arg(&stream).arg(&entry.id).ignore();
                p
            })
            .await
    }

    async fn park_raw(&self, id: &str, reason: &str) -> Result<(), StoreError> {
        let parked = self.store.keys().events_parked();
        let stream = self.stream();
        self.store
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.atomic();
                p.cmd("XADD").arg(&parked).arg("*").arg("stream_id").arg(id).arg("reason").arg(reason).ignore();
                p.cmd("XACK").arg(&stream).arg(GROUP).arg(id).ignore();
                p.cmd("XDEL").arg(&stream).arg(id).ignore();
                p
            })
            .await
    }

    /// Events waiting (in the stream) and parked, for metrics and `check`.
    pub async fn depth(&self) -> Result<(u64, u64), StoreError> {
        let (stream, parked) = (self.stream(), self.store.keys().events_parked());
        self.store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("XLEN").arg(&stream);
                p.cmd("XLEN").arg(&parked);
                p
            })
            .await
    }
}
