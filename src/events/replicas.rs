//! Who holds which events: each replica's stable identity, its heartbeat, and how the others
//! tell that it died.
//!
//! - **Identity**: `REPLICA_ID`, else the host name (compose and Kubernetes keep it across a
//!   container's restarts), sanitized to letters, digits, `.`, `_`, `-`. It is the replica's
//!   consumer name in the event group, so a restarted replica finds its own pending entries.
//!   Two live processes must not share one: the heartbeat notices and logs it.
//! - **Heartbeat**: `{prefix}:replica:{id}` holds the process's token for [`BEAT_TTL`],
//!   rewritten every [`BEAT_EVERY`]. At start a replica waits until its predecessor's
//!   heartbeat has lapsed (at most [`BEAT_TTL`] after a `kill -9`; at once after a clean stop,
//!   which deletes it), then takes back its own pending entries. A heartbeat that someone
//!   else keeps renewing is a second live process with the same identity: this one then does
//!   not take back anything (it would take what the other is delivering).
//! - **Death**: a consumer of the group without a heartbeat, seen so by this replica's scans
//!   without a break for [`CONFIRM`] and idle in Redis at least as long, is dead. Its entries
//!   are claimed (the claim re-checks the heartbeat in the same step) and, once it holds
//!   nothing, it is removed from the group. A scan that fails (Redis away) forgets what it saw:
//!   after an outage every heartbeat has lapsed, and the live replicas get [`AFTER_OUTAGE`] to
//!   write theirs again before anyone counts them dead.
//!
//! From a `kill -9` to the survivors' claim: the heartbeat lapses within [`BEAT_TTL`] (3 s),
//! is confirmed missing within [`CONFIRM`] (2 s) plus a scan period (1 s): about 6.5 s at
//! most. After an outage of Redis, nobody is counted dead for [`AFTER_OUTAGE`] (5 s).

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::queue::Queue;
use crate::store::events::Consumer;
use crate::telemetry::metrics;

/// How often a replica writes its heartbeat.
pub const BEAT_EVERY: Duration = Duration::from_secs(1);
/// How long a heartbeat lasts unless rewritten.
pub const BEAT_TTL: Duration = Duration::from_secs(3);
/// How long a consumer must be seen without a heartbeat (and idle) before it counts as dead.
pub const CONFIRM: Duration = Duration::from_secs(2);
/// After a scan failed (Redis away), how long before anyone is counted dead again: every
/// heartbeat lapsed during the outage, and the live replicas need a moment to reconnect.
pub const AFTER_OUTAGE: Duration = Duration::from_secs(5);
/// How often the group's consumers are looked at.
pub const SCAN_EVERY: Duration = Duration::from_secs(1);

/// The identity of this replica: `configured` (`REPLICA_ID`, validated) or the host name.
pub fn identity(configured: Option<&str>) -> String {
    configured.map(sanitize).filter(|id| !id.is_empty()).unwrap_or_else(default_id)
}

/// The host name (`/proc/sys/kernel/hostname`, else `HOSTNAME`), sanitized; "bot" without one.
pub fn default_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok());
    host.map(|h| sanitize(&h)).filter(|h| !h.is_empty()).unwrap_or_else(|| "bot".to_owned())
}

/// Letters, digits, `.`, `_` and `-` only (others become `-`), at most 64 characters.
fn sanitize(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .take(64)
        .collect()
}

/// What the heartbeat learnt at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Still waiting for the predecessor's heartbeat to lapse (or for Redis).
    Waiting,
    /// The heartbeat is ours: this replica may take back its own pending entries.
    Own,
    /// Another live process uses this identity: share the name, take back nothing.
    Shared,
}

/// Keeps this replica's heartbeat until `stop` turns true, then removes it.
pub async fn beat(queue: Queue, token: String, started: watch::Sender<Start>, mut stop: watch::Receiver<bool>) {
    let events = queue.events().clone();
    let me = queue.consumer().to_owned();
    // Wait for the predecessor's heartbeat to lapse; one that grows is renewed by a twin.
    let mut last_left: Option<i64> = None;
    let mut shared = false;
    let waiting = Instant::now();
    loop {
        if *stop.borrow() {
            return;
        }
        match events.heartbeat_start(&me, &token, BEAT_TTL).await {
            Ok(None) => {
                metrics::replica_heartbeat("written");
                break;
            }
            Ok(Some(left)) => {
                if let Some(before) = last_left
                    && left > before + 300
                {
                    metrics::replica_heartbeat("conflict");
                    tracing::error!(replica.id = %me, "another live process uses this REPLICA_ID; give each replica its own");
                    shared = true;
                    break;
                }
                if last_left.is_none() {
                    tracing::info!(replica.id = %me, left_ms = left, "this replica's previous process left a heartbeat; waiting for it to lapse");
                }
                if waiting.elapsed() > BEAT_TTL + BEAT_EVERY {
                    // Never renewed, yet still there: a key without a TTL, not a process.
                    tracing::warn!(replica.id = %me, "a stale heartbeat without expiry; replacing it");
                    match events.heartbeat(&me, &token, BEAT_TTL).await {
                        Ok(_) => break,
                        Err(e) => tracing::warn!(error = %e, "could not write this replica's heartbeat; retrying"),
                    }
                }
                last_left = Some(left);
            }
            Err(e) => {
                metrics::replica_heartbeat("failed");
                tracing::warn!(error = %e, "could not write this replica's heartbeat; retrying");
            }
        }
        if wait_or_stop(&mut stop, Duration::from_millis(250)).await {
            return;
        }
    }
    let _ = started.send(if shared { Start::Shared } else { Start::Own });
    let mut warned: Option<Instant> = None;
    loop {
        if wait_or_stop(&mut stop, BEAT_EVERY).await {
            break;
        }
        match events.heartbeat(&me, &token, BEAT_TTL).await {
            Ok(previous) => {
                metrics::replica_heartbeat("written");
                if let Some(previous) = previous
                    && previous != token
                {
                    metrics::replica_heartbeat("conflict");
                    if warned.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
                        warned = Some(Instant::now());
                        tracing::error!(replica.id = %me, "another live process uses this REPLICA_ID; give each replica its own");
                    }
                }
            }
            Err(e) => {
                metrics::replica_heartbeat("failed");
                tracing::warn!(error = %e, "could not renew this replica's heartbeat");
            }
        }
    }
    if let Err(e) = events.heartbeat_stop(&me, &token).await {
        tracing::warn!(error = %e, "could not remove this replica's heartbeat; it lapses by itself");
    }
}

/// Sleeps `d`; true if `stop` turned true meanwhile.
async fn wait_or_stop(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    // A dropped sender (the worker is gone) counts as a stop.
    tokio::time::timeout(d, stop.wait_for(|s| *s)).await.is_ok()
}

/// What a scan decided about another consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Dead and holding entries: take them.
    Claim(String),
    /// Dead and holding nothing: remove it from the group.
    Forget(String),
}

/// The consumers this replica has seen without a heartbeat, since when (by its own clock).
#[derive(Debug, Default)]
pub struct Watch {
    silent_since: HashMap<String, Instant>,
    /// When a scan last failed.
    lost: Option<Instant>,
}

impl Watch {
    /// A scan failed at `now`: what was seen before may be an outage, not deaths.
    pub fn lost_sight(&mut self, now: Instant) {
        self.silent_since.clear();
        self.lost = Some(now);
    }

    /// Takes a scan's result at `now`; the consumers to claim from or forget.
    pub fn observe(&mut self, me: &str, consumers: &[Consumer], now: Instant) -> Vec<Verdict> {
        let silent: Vec<&Consumer> = consumers.iter().filter(|c| c.name != me && !c.beating).collect();
        self.silent_since.retain(|name, _| silent.iter().any(|c| &c.name == name));
        let mut verdicts = Vec::new();
        if self.lost.is_some_and(|lost| now.duration_since(lost) < AFTER_OUTAGE) {
            for c in silent {
                self.silent_since.entry(c.name.clone()).or_insert(now);
            }
            return verdicts;
        }
        for c in silent {
            let since = *self.silent_since.entry(c.name.clone()).or_insert(now);
            let idle = Duration::from_millis(c.idle_ms);
            if now.duration_since(since) >= CONFIRM && idle >= CONFIRM {
                verdicts.push(if c.pending > 0 {
                    Verdict::Claim(c.name.clone())
                } else {
                    Verdict::Forget(c.name.clone())
                });
            }
        }
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumer(name: &str, pending: usize, idle_ms: u64, beating: bool) -> Consumer {
        Consumer { name: name.into(), pending, idle_ms, beating }
    }

    #[test]
    fn identities_are_sanitized_and_default_to_the_host() {
        assert_eq!(identity(Some("bot-1")), "bot-1");
        assert_eq!(identity(Some("a b/c")), "a-b-c");
        assert_eq!(identity(Some("  ")), default_id());
        let host = default_id();
        assert!(!host.is_empty() && host.len() <= 64);
        assert!(host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')), "{host}");
    }

    #[test]
    fn a_consumer_is_dead_after_being_seen_silent_and_idle_for_the_confirmation_time() {
        let mut watch = Watch::default();
        let t0 = Instant::now();
        let seen = [consumer("me", 1, 0, false), consumer("b", 2, 10_000, false), consumer("c", 0, 10_000, true)];
        assert!(watch.observe("me", &seen, t0).is_empty(), "first seen silent now");
        assert!(watch.observe("me", &seen, t0 + Duration::from_secs(1)).is_empty());
        assert_eq!(watch.observe("me", &seen, t0 + CONFIRM), vec![Verdict::Claim("b".into())]);
        let emptied = [consumer("b", 0, 10_000, false)];
        assert_eq!(watch.observe("me", &emptied, t0 + CONFIRM + SCAN_EVERY), vec![Verdict::Forget("b".into())]);
    }

    #[test]
    fn a_heartbeat_seen_again_or_a_failed_scan_starts_the_count_afresh() {
        let mut watch = Watch::default();
        let t0 = Instant::now();
        let silent = [consumer("b", 1, 10_000, false)];
        watch.observe("me", &silent, t0);
        watch.observe("me", &[consumer("b", 1, 10_000, true)], t0 + Duration::from_secs(1));
        assert!(watch.observe("me", &silent, t0 + Duration::from_secs(2)).is_empty());
        assert!(watch.observe("me", &silent, t0 + Duration::from_secs(3)).is_empty(), "silent for 1 s only");
        watch.lost_sight(t0 + Duration::from_secs(5));
        assert!(watch.observe("me", &silent, t0 + Duration::from_secs(6)).is_empty());
        assert!(watch.observe("me", &silent, t0 + Duration::from_secs(9)).is_empty(), "just after an outage");
        assert_eq!(watch.observe("me", &silent, t0 + Duration::from_secs(10)).len(), 1);
    }

    #[test]
    fn a_silent_consumer_that_keeps_reading_is_not_dead() {
        // A replica of an older version has no heartbeat, but reads every few hundred ms.
        let mut watch = Watch::default();
        let t0 = Instant::now();
        let reading = [consumer("old-3f2a", 1, 300, false)];
        watch.observe("me", &reading, t0);
        assert!(watch.observe("me", &reading, t0 + Duration::from_secs(10)).is_empty());
    }
}
