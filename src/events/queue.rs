//! The durable queue: a Redis stream with one consumer group shared by every replica (its
//! Redis side is [`crate::store::events`]). Each replica reads under its stable name
//! ([`super::replicas`]), so what it held when it stopped is still its own when it comes back.
//!
//! - `accept` records the event's key (7 days) and appends it to the stream in one step: a
//!   repeated delivery (Frappe's retry, the reconciler finding what the webhook brought)
//!   finds the key and adds nothing.
//! - `read` takes new entries; `resume` takes back this replica's own pending entries (at
//!   start); `claim_dead` takes those of a replica whose heartbeat stopped; `claim_stale` takes
//!   entries any consumer has held longer than `EVENT_CLAIM_IDLE_SECS` (the fallback); `touch`
//!   keeps ours.
//! - `done` marks the entry sent (when it was), acknowledges and deletes it in one retried
//!   transaction; `park` moves it to the parked stream for an operator; the "sent" mark lets a
//!   re-taken entry whose message already went out be skipped.

use std::time::Duration;

use sha2::Digest;

use super::{ErpEvent, Handled};
use crate::store::events::{Consumer, Depth, Events, Forgot, RawEntry};
use crate::store::{Store, StoreError};

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
    events: Events,
    consumer: String,
}

impl Queue {
    /// The queue as this replica sees it, named by the host ([`super::replicas::default_id`]).
    pub fn new(store: Store) -> Self {
        Self::for_replica(store, super::replicas::default_id())
    }

    /// The queue of the replica `id` (its consumer name in the group).
    pub fn for_replica(store: Store, id: String) -> Self {
        Self { events: Events::new(store), consumer: id }
    }

    /// This replica's consumer name.
    pub fn consumer(&self) -> &str {
        &self.consumer
    }

    pub(crate) fn events(&self) -> &Events {
        &self.events
    }

    fn short(key: &str) -> String {
        let digest = sha2::Sha256::digest(key.as_bytes());
        digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
    }

    /// Creates the consumer group (and the stream) if absent.
    pub async fn ensure_group(&self) -> Result<(), StoreError> {
        self.events.ensure_group().await
    }

    /// Stores the event durably, once per (doctype, name, event).
    pub async fn accept(&self, event: &ErpEvent, handled: Handled) -> Result<Accepted, StoreError> {
        let key = event.key();
        let body = serde_json::Value::Object(event.body.clone()).to_string();
        let now = chrono::Utc::now().timestamp();
        let queued = self.events.accept(&Self::short(&key), &key, handled.as_str(), &body, now).await?;
        Ok(if queued { Accepted::Queued } else { Accepted::Duplicate })
    }

    /// New entries for this replica, waiting up to `block` for some.
    pub async fn read(&self, count: usize, block: Duration) -> Result<Vec<Entry>, StoreError> {
        let raw = self.events.read_new(&self.consumer, count, block).await?;
        Ok(self.entries(raw).await)
    }

    /// Up to `count` of this replica's own pending entries after `after` (a previous process
    /// of this replica took them and stopped), taken back; and where to go on from (`None`
    /// when there are no more).
    pub async fn resume(&self, after: Option<&str>, count: usize) -> Result<(Vec<Entry>, Option<String>), StoreError> {
        let count = count.max(1);
        let ids = self.events.pending_of(&self.consumer, after, count).await?;
        let next = if ids.len() >= count { ids.last().cloned() } else { None };
        let raw = self.events.claim(&self.consumer, Duration::ZERO, &ids).await?;
        Ok((self.entries(raw).await, next))
    }

    /// Entries another consumer took and has not finished for `idle`: its replica is gone.
    pub async fn claim_stale(&self, idle: Duration, count: usize) -> Result<Vec<Entry>, StoreError> {
        let raw = self.events.claim_idle(&self.consumer, idle, count).await?;
        Ok(self.entries(raw).await)
    }

    /// The group's consumers and their heartbeats.
    pub async fn consumers(&self) -> Result<Vec<Consumer>, StoreError> {
        self.events.consumers().await
    }

    /// Up to `count` entries of the replica `dead` (idle at least `min_idle`), unless its
    /// heartbeat came back.
    pub async fn claim_dead(&self, dead: &str, min_idle: Duration, count: usize) -> Result<Vec<Entry>, StoreError> {
        let raw = self.events.claim_dead(dead, &self.consumer, min_idle, count).await?;
        Ok(self.entries(raw).await)
    }

    /// Removes a silent replica that holds nothing from the group.
    pub async fn forget(&self, dead: &str) -> Result<Forgot, StoreError> {
        self.events.forget(dead).await
    }

    /// Decodes entries; an entry that cannot be decoded is parked rather than retried forever.
    async fn entries(&self, raw: Vec<RawEntry>) -> Vec<Entry> {
        let mut out = Vec::new();
        for raw in raw {
            let get = |f: &str| raw.fields.get(f).cloned();
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
                    let _ = self.events.park(&raw.id, &[("stream_id", &raw.id), ("reason", "undecodable")]).await;
                }
            }
        }
        out
    }

    /// Resets the idle time of an entry we are still working on (so nobody takes it over).
    pub async fn touch(&self, id: &str) -> Result<(), StoreError> {
        self.events.touch(&self.consumer, id).await
    }

    /// Whether the message of this event already went out (a re-taken entry).
    pub async fn was_sent(&self, key: &str) -> Result<bool, StoreError> {
        self.events.was_sent(&Self::short(key)).await
    }

    /// Finishes an entry: marks it sent (when it was), acknowledges and deletes it — one
    /// transaction, retried while Redis is away, so the mark and the ack are never apart.
    pub async fn done(&self, entry: &Entry, sent: bool) -> Result<(), StoreError> {
        self.events.finish(&entry.id, &Self::short(&entry.key), sent).await
    }

    /// Moves an entry to the parked stream, visible to operators, and out of the queue.
    pub async fn park(&self, entry: &Entry, reason: &str) -> Result<(), StoreError> {
        let body = serde_json::Value::Object(entry.event.body.clone()).to_string();
        let fields =
            [("key", entry.key.as_str()), ("handled", entry.handled.as_str()), ("body", &body), ("reason", reason)];
        self.events.park(&entry.id, &fields).await
    }

    /// Events waiting (in the stream) and parked, for `check`.
    pub async fn depth(&self) -> Result<(u64, u64), StoreError> {
        let depth = self.events.depth().await?;
        Ok((depth.pending, depth.parked))
    }

    /// Waiting, parked, and the age of the oldest waiting event, for metrics.
    pub async fn backlog(&self) -> Result<Depth, StoreError> {
        self.events.depth().await
    }
}
