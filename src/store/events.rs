//! The Redis side of the event queue ([`crate::events`]): a stream with one consumer group
//! shared by every replica, the "seen" and "sent" marks, the parked stream, and each
//! replica's heartbeat. The queue's logic (what to take when, what an entry means) is in
//! [`crate::events::queue`] and [`crate::events::replicas`]; this module only speaks Redis.
//!
//! Keys ([`super::keys`]): `{prefix}:events` (the stream, group `workers`),
//! `{prefix}:events:parked`, `{prefix}:event:seen:{hash}` and `{prefix}:event:sent:{hash}`
//! (7 days), `{prefix}:replica:{id}` (a replica's heartbeat: its process token, a few seconds'
//! TTL).
//!
//! Writes that finish a delivery (`finish`, `park`) and the "sent" check go through
//! [`Store::run_retrying`]: a Redis blip after a message went out is waited out instead of
//! leaving the entry to be taken and told again.

use std::collections::HashMap;
use std::time::Duration;

use deadpool_redis::redis;
use redis::streams::{StreamAutoClaimReply, StreamClaimReply, StreamId, StreamInfoConsumersReply, StreamReadReply};

use super::{Store, StoreError};

/// The consumer group every replica reads through.
pub const GROUP: &str = "workers";
/// How long the "seen" and "sent" marks are kept.
const MARK_TTL_SECS: u64 = 7 * 86_400;

/// Records the event's key (NX, EX ARGV[1]) and appends it to the stream; nil when the key
/// was there (a repeated delivery).
/// How long accepting an event waits out an unavailable Redis: well inside Frappe's 5 s.
const ACCEPT_WINDOW: Duration = Duration::from_secs(3);

pub(crate) const ACCEPT: &str = r"
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], '*', 'key', ARGV[2], 'handled', ARGV[3], 'body', ARGV[4], 'accepted_at', ARGV[5])
end
return false";

/// Takes over the pending entries of a replica whose heartbeat (KEYS[2]) is gone: up to ARGV[5]
/// entries of consumer ARGV[2] idle at least ARGV[4] ms move to ARGV[3]. Nothing when the
/// heartbeat is back: checked in the same step, so a replica that came back resumes its own.
pub(crate) const CLAIM_DEAD: &str = r"
if redis.call('EXISTS', KEYS[2]) == 1 then return {} end
local rows = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[4], '-', '+', ARGV[5], ARGV[2])
if #rows == 0 then return {} end
local ids = {}
for i, row in ipairs(rows) do ids[i] = row[1] end
return redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], ARGV[4], unpack(ids))";

/// Removes consumer ARGV[2] from group ARGV[1] if its heartbeat (KEYS[2]) is gone and it holds
/// nothing: 1 when removed, 0 when it holds entries, -1 when it is alive.
pub(crate) const FORGET: &str = r"
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local rows = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #rows > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1";

/// Deletes a key if it still holds our token (a released lease, a stopped heartbeat).
pub(crate) use super::reminders::RELEASE;

/// A stream entry as stored: its id and fields (undecodable fields are left out).
#[derive(Clone, Debug)]
pub struct RawEntry {
    pub id: String,
    pub fields: HashMap<String, String>,
}

fn raw(ids: Vec<StreamId>) -> Vec<RawEntry> {
    ids.into_iter()
        .map(|e| {
            let fields = e
                .map
                .iter()
                .filter_map(|(k, v)| redis::from_redis_value::<String>(v.clone()).ok().map(|v| (k.clone(), v)))
                .collect();
            RawEntry { id: e.id, fields }
        })
        .collect()
}

/// A consumer of the group, as `XINFO CONSUMERS` shows it, and whether its heartbeat is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    pub name: String,
    /// Entries it holds (delivered, not acknowledged).
    pub pending: usize,
    /// Milliseconds since it last read or claimed.
    pub idle_ms: u64,
    pub beating: bool,
}

/// What [`Events::forget`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgot {
    Removed,
    Holding,
    Alive,
}

/// Queue sizes, for metrics and `check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Depth {
    pub pending: u64,
    pub parked: u64,
    /// The age of the oldest entry still in the stream (accepted, not finished), from its id.
    pub oldest: Option<Duration>,
}

/// The Redis operations of the event queue.
#[derive(Clone)]
pub struct Events {
    store: Store,
}

impl Events {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    fn stream(&self) -> String {
        self.store.keys().events()
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

    /// Records `hash` as seen and appends the entry (its key, kind, body and acceptance time),
    /// in one step; false when `hash` was seen.
    pub async fn accept(
        &self,
        hash: &str,
        key: &str,
        handled: &str,
        body: &str,
        accepted_at: i64,
    ) -> Result<bool, StoreError> {
        let seen = self.store.keys().event_seen(hash);
        let stream = self.stream();
        // Retried inside Frappe's request timeout (`timeout=webhook.timeout or 5` in
        // frappe/integrations/doctype/webhook/webhook.py `enqueue_webhook`): a Redis blip is
        // waited out instead of costing one of Frappe's three tries. Sent again after a lost
        // answer, it finds its own seen key and says "duplicate" of an event that is queued.
        let (id,): (Option<String>,) = self
            .store
            .run_retrying_within("accept_event", ACCEPT_WINDOW, || {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(ACCEPT).arg(2).arg(&seen).arg(&stream).arg(MARK_TTL_SECS);
                p.arg(key).arg(handled).arg(body).arg(accepted_at);
                p
            })
            .await?;
        Ok(id.is_some())
    }

    /// New entries for `consumer`, waiting up to `block` for some.
    pub async fn read_new(&self, consumer: &str, count: usize, block: Duration) -> Result<Vec<RawEntry>, StoreError> {
        let stream = self.stream();
        let (reply,): (Option<StreamReadReply>,) = self
            .store
            .run_blocking(block, |block| {
                let mut p = redis::pipe();
                p.cmd("XREADGROUP").arg("GROUP").arg(GROUP).arg(consumer).arg("COUNT").arg(count);
                p.arg("BLOCK").arg(block.as_millis() as u64).arg("STREAMS").arg(&stream).arg(">");
                p
            })
            .await?;
        Ok(raw(reply.map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect()).unwrap_or_default()))
    }

    /// Ids of up to `count` entries `consumer` holds, after `after` (`None`: from the start).
    pub async fn pending_of(
        &self,
        consumer: &str,
        after: Option<&str>,
        count: usize,
    ) -> Result<Vec<String>, StoreError> {
        let stream = self.stream();
        let start = after.map_or_else(|| "-".to_owned(), |id| format!("({id}"));
        let (rows,): (Vec<(String, String, u64, u64)>,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("XPENDING").arg(&stream).arg(GROUP).arg(&start).arg("+").arg(count).arg(consumer);
                p
            })
            .await?;
        Ok(rows.into_iter().map(|(id, ..)| id).collect())
    }

    /// Moves the entries to `consumer` (those idle at least `min_idle`); entries deleted
    /// meanwhile are dropped from the pending list and not returned.
    pub async fn claim(&self, consumer: &str, min_idle: Duration, ids: &[String]) -> Result<Vec<RawEntry>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let stream = self.stream();
        let (reply,): (StreamClaimReply,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("XCLAIM").arg(&stream).arg(GROUP).arg(consumer).arg(min_idle.as_millis() as u64).arg(ids);
                p
            })
            .await?;
        Ok(raw(reply.ids))
    }

    /// Takes up to `count` entries any consumer has held for `idle` without touching them.
    pub async fn claim_idle(&self, consumer: &str, idle: Duration, count: usize) -> Result<Vec<RawEntry>, StoreError> {
        let stream = self.stream();
        let (reply,): (StreamAutoClaimReply,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("XAUTOCLAIM").arg(&stream).arg(GROUP).arg(consumer).arg(idle.as_millis() as u64);
                p.arg("0-0").arg("COUNT").arg(count);
                p
            })
            .await?;
        Ok(raw(reply.claimed))
    }

    /// Resets the idle time of an entry `consumer` is still working on.
    pub async fn touch(&self, consumer: &str, id: &str) -> Result<(), StoreError> {
        let stream = self.stream();
        self.store
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.cmd("XCLAIM").arg(&stream).arg(GROUP).arg(consumer).arg(0).arg(id).arg("JUSTID").ignore();
                p
            })
            .await
    }

    /// Whether the message of the event `hash` already went out (retried while Redis is away:
    /// not knowing must not become a second message).
    pub async fn was_sent(&self, hash: &str) -> Result<bool, StoreError> {
        let mark = self.store.keys().event_sent(hash);
        let (exists,): (bool,) = self
            .store
            .run_retrying("event_sent_check", || {
                let mut p = redis::pipe();
                p.cmd("EXISTS").arg(&mark);
                p
            })
            .await?;
        Ok(exists)
    }

    /// Finishes an entry: the "sent" mark (when `sent`), the acknowledgement and the deletion
    /// in one transaction, retried while Redis is away. Sending it twice changes nothing (the
    /// same mark, an entry already acknowledged and deleted), so a lost answer is harmless;
    /// and the mark is never written without the ack nor the ack without the mark.
    pub async fn finish(&self, id: &str, hash: &str, sent: bool) -> Result<(), StoreError> {
        let stream = self.stream();
        let mark = self.store.keys().event_sent(hash);
        self.store
            .run_retrying::<()>("event_finish", || {
                let mut p = redis::pipe();
                p.atomic();
                if sent {
                    p.cmd("SET").arg(&mark).arg(1).arg("EX").arg(MARK_TTL_SECS).ignore();
                }
                p.cmd("XACK").arg(&stream).arg(GROUP).arg(id).ignore();
                p.cmd("XDEL").arg(&stream).arg(id).ignore();
                p
            })
            .await
    }

    /// Moves an entry to the parked stream (with `fields`) and out of the queue, retried while
    /// Redis is away. (A retry after a lost answer can park it twice: an operator sees it
    /// twice; it is never lost.)
    pub async fn park(&self, id: &str, fields: &[(&str, &str)]) -> Result<(), StoreError> {
        let parked = self.store.keys().events_parked();
        let stream = self.stream();
        self.store
            .run_retrying::<()>("event_park", || {
                let mut p = redis::pipe();
                p.atomic();
                p.cmd("XADD").arg(&parked).arg("*");
                for (k, v) in fields {
                    p.arg(*k).arg(*v);
                }
                p.ignore();
                p.cmd("XACK").arg(&stream).arg(GROUP).arg(id).ignore();
                p.cmd("XDEL").arg(&stream).arg(id).ignore();
                p
            })
            .await
    }

    /// Entries waiting and parked, and the age of the oldest waiting one.
    pub async fn depth(&self) -> Result<Depth, StoreError> {
        let (stream, parked) = (self.stream(), self.store.keys().events_parked());
        let (pending, parked, first): (u64, u64, Vec<(String, redis::Value)>) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("XLEN").arg(&stream);
                p.cmd("XLEN").arg(&parked);
                p.cmd("XRANGE").arg(&stream).arg("-").arg("+").arg("COUNT").arg(1);
                p
            })
            .await?;
        let now_ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
        let oldest = first
            .first()
            .and_then(|(id, _)| id.split('-').next()?.parse::<u64>().ok())
            .map(|ms| Duration::from_millis(now_ms.saturating_sub(ms)));
        Ok(Depth { pending, parked, oldest })
    }

    /// Writes this replica's heartbeat if nobody holds it (`Ok(None)`), else tells how long
    /// the holder's is left (`Ok(Some(ms))`): a previous process of this replica, or a second
    /// process with the same identity.
    pub async fn heartbeat_start(&self, replica: &str, token: &str, ttl: Duration) -> Result<Option<i64>, StoreError> {
        let key = self.store.keys().replica(replica);
        let (set, left): (Option<String>, i64) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&key).arg(token).arg("NX").arg("PX").arg(ttl.as_millis() as u64);
                p.cmd("PTTL").arg(&key);
                p
            })
            .await?;
        Ok(if set.is_some() { None } else { Some(left) })
    }

    /// Renews this replica's heartbeat; the token it replaced (`None` if it had lapsed).
    pub async fn heartbeat(&self, replica: &str, token: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let key = self.store.keys().replica(replica);
        let (previous,): (Option<String>,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&key).arg(token).arg("PX").arg(ttl.as_millis() as u64).arg("GET");
                p
            })
            .await?;
        Ok(previous)
    }

    /// Removes this replica's heartbeat if it is still ours (a clean stop).
    pub async fn heartbeat_stop(&self, replica: &str, token: &str) -> Result<(), StoreError> {
        let key = self.store.keys().replica(replica);
        self.store
            .run::<()>(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(RELEASE).arg(1).arg(&key).arg(token).ignore();
                p
            })
            .await
    }

    /// The group's consumers and whether each one's heartbeat is there (two round trips).
    pub async fn consumers(&self) -> Result<Vec<Consumer>, StoreError> {
        let stream = self.stream();
        let (info,): (StreamInfoConsumersReply,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("XINFO").arg("CONSUMERS").arg(&stream).arg(GROUP);
                p
            })
            .await?;
        if info.consumers.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = info.consumers.iter().map(|c| self.store.keys().replica(&c.name)).collect();
        let beating: Vec<bool> = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                for key in &keys {
                    p.cmd("EXISTS").arg(key);
                }
                p
            })
            .await?;
        Ok(info
            .consumers
            .into_iter()
            .zip(beating)
            .map(|(c, beating)| Consumer { name: c.name, pending: c.pending, idle_ms: c.idle as u64, beating })
            .collect())
    }

    /// Takes up to `count` entries, idle at least `min_idle`, of `dead` — unless its heartbeat
    /// is back ([`CLAIM_DEAD`]).
    pub async fn claim_dead(
        &self,
        dead: &str,
        me: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<RawEntry>, StoreError> {
        let (stream, beat) = (self.stream(), self.store.keys().replica(dead));
        let (reply,): (StreamClaimReply,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(CLAIM_DEAD).arg(2).arg(&stream).arg(&beat);
                p.arg(GROUP).arg(dead).arg(me).arg(min_idle.as_millis() as u64).arg(count.max(1));
                p
            })
            .await?;
        Ok(raw(reply.ids))
    }

    /// Removes `dead` from the group if it is silent and holds nothing ([`FORGET`]).
    pub async fn forget(&self, dead: &str) -> Result<Forgot, StoreError> {
        let (stream, beat) = (self.stream(), self.store.keys().replica(dead));
        let (n,): (i64,) = self
            .store
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(FORGET).arg(2).arg(&stream).arg(&beat).arg(GROUP).arg(dead);
                p
            })
            .await?;
        Ok(match n {
            1 => Forgot::Removed,
            0 => Forgot::Holding,
            _ => Forgot::Alive,
        })
    }
}
