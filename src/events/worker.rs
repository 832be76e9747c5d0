//! The delivery worker of one replica: keeps the replica's heartbeat ([`super::replicas`]),
//! takes back its own pending events at start, takes new events, those of replicas whose
//! heartbeat stopped, and (the fallback) any held too long; delivers each with bounded
//! retries, parks what keeps failing, stops cleanly on shutdown.

use std::{sync::Arc, time::Duration};

use tokio::{sync::Semaphore, sync::watch, task::JoinSet};
use tracing::Instrument;

use super::deliver::{Delivered, Deliverer, Failure};
use super::queue::{Entry, Queue};
use super::replicas::{self, Start, Verdict, Watch};
use crate::config::EventsConfig;
use crate::store::StoreError;
use crate::store::events::Forgot;
use crate::telemetry::metrics;

/// How long an idle read waits for new events: the longest block the store allows, which its
/// blocking connections' response timeout leaves a margin above (an idle queue is no error).
const READ_BLOCK: Duration = crate::store::MAX_BLOCK;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often the queue depth gauges are refreshed.
const DEPTH_EVERY: Duration = Duration::from_secs(5);
/// How long a stopping worker waits for its heartbeat to be removed.
const BEAT_STOP_GRACE: Duration = Duration::from_secs(2);

pub struct Worker {
    pub queue: Queue,
    pub deliverer: Deliverer,
    pub config: EventsConfig,
}

/// Aborts a task when dropped: the heartbeat dies with the worker, even when the worker is
/// dropped without finishing (the process is going away).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Worker {
    /// Runs until `shutdown` resolves, then lets in-flight deliveries finish.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        if self.config.workers == 0 {
            // Still create the consumer group, so that other replicas can take these events.
            if let Err(e) = self.queue.ensure_group().await {
                tracing::warn!(error = %e, "could not create the event consumer group");
            }
            tracing::info!(replica.id = %self.queue.consumer(), "event delivery is off in this replica (EVENT_WORKERS=0)");
            return;
        }
        let me = self.queue.consumer().to_owned();
        tracing::info!(replica.id = %me, "event worker starting");
        let (started, mut start) = watch::channel(Start::Waiting);
        let (stop_beat, beat_stopped) = watch::channel(false);
        let token = uuid::Uuid::new_v4().simple().to_string();
        let beat = tokio::spawn(replicas::beat(self.queue.clone(), token, started, beat_stopped));
        let _beat_guard = AbortOnDrop(beat.abort_handle());
        tokio::pin!(shutdown);
        let start = tokio::select! {
            () = &mut shutdown => None,
            s = start.wait_for(|s| *s != Start::Waiting) => s.ok().map(|s| *s),
        };
        if let Some(start) = start {
            self.deliver_until(start, &mut shutdown).await;
        }
        let _ = stop_beat.send(true);
        if tokio::time::timeout(BEAT_STOP_GRACE, beat).await.is_err() {
            tracing::warn!("this replica's heartbeat was not removed; it lapses by itself");
        }
    }

    async fn deliver_until<F: std::future::Future<Output = ()>>(
        self,
        start: Start,
        shutdown: &mut std::pin::Pin<&mut F>,
    ) {
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(this.config.workers));
        let mut tasks = JoinSet::new();
        let now = tokio::time::Instant::now();
        let (mut last_claim, mut last_scan, mut last_depth) =
            (now - this.config.claim_idle, now - replicas::SCAN_EVERY, now - DEPTH_EVERY);
        // Where the taking back of this replica's own entries has got to (`Some(None)`: start).
        let mut resume: Option<Option<String>> = (start == Start::Own).then_some(None);
        let mut resumed = 0;
        let mut watch = Watch::default();
        loop {
            if let Err(e) = this.queue.ensure_group().await {
                watch.lost_sight(tokio::time::Instant::now());
                tracing::warn!(error = %e, "event queue unavailable; retrying");
                tokio::select! { () = &mut *shutdown => break, () = tokio::time::sleep(Duration::from_secs(1)) => continue }
            }
            let free = slots.available_permits();
            let batch = if free == 0 {
                Ok(Vec::new())
            } else if let Some(cursor) = &resume {
                match this.queue.resume(cursor.as_deref(), free).await {
                    Ok((entries, next)) => {
                        resumed += entries.len();
                        resume = next.map(Some);
                        if resume.is_none() {
                            tracing::info!(resumed, "took back this replica's own pending events");
                        }
                        Ok(entries)
                    }
                    Err(e) => Err(e),
                }
            } else if last_scan.elapsed() >= replicas::SCAN_EVERY {
                last_scan = tokio::time::Instant::now();
                this.take_from_dead(&mut watch, free).await
            } else if last_claim.elapsed() >= this.config.claim_idle / 2 {
                last_claim = tokio::time::Instant::now();
                this.queue.claim_stale(this.config.claim_idle, free).await
            } else {
                tokio::select! {
                    () = &mut *shutdown => break,
                    r = this.queue.read(free, READ_BLOCK) => r,
                }
            };
            match batch {
                Ok(entries) => {
                    for entry in entries {
                        let Ok(permit) = slots.clone().acquire_owned().await else { break };
                        let this = this.clone();
                        tasks.spawn(async move {
                            this.handle(entry).await;
                            drop(permit);
                        });
                    }
                    if free == 0 {
                        // Every slot is busy: wait for a delivery to finish, not for a timer.
                        tokio::select! { () = &mut *shutdown => break, _ = tasks.join_next() => {} }
                    }
                }
                Err(e) => {
                    // Redis was away: heartbeats may have lapsed without anyone dying.
                    watch.lost_sight(tokio::time::Instant::now());
                    tracing::warn!(error = %e, "reading the event queue failed");
                    tokio::select! { () = &mut *shutdown => break, () = tokio::time::sleep(Duration::from_secs(1)) => {} }
                }
            }
            while tasks.try_join_next().is_some() {}
            if last_depth.elapsed() >= DEPTH_EVERY {
                last_depth = tokio::time::Instant::now();
                if let Ok(depth) = this.queue.backlog().await {
                    metrics::event_depth(depth.pending, depth.parked);
                    metrics::event_oldest_pending(depth.oldest.unwrap_or_default());
                }
            }
        }
        tracing::info!(in_flight = tasks.len(), "event worker stopping; finishing deliveries");
        while tasks.join_next().await.is_some() {}
    }

    /// Looks at the group's consumers; takes up to `free` entries of those found dead, and
    /// removes the dead that hold nothing.
    async fn take_from_dead(&self, watch: &mut Watch, free: usize) -> Result<Vec<Entry>, StoreError> {
        let consumers = match self.queue.consumers().await {
            Ok(consumers) => consumers,
            Err(e) => {
                watch.lost_sight(tokio::time::Instant::now());
                return Err(e);
            }
        };
        let mut taken = Vec::new();
        for verdict in watch.observe(self.queue.consumer(), &consumers, tokio::time::Instant::now()) {
            match verdict {
                Verdict::Claim(dead) if taken.len() < free => {
                    let entries = self.queue.claim_dead(&dead, replicas::CONFIRM, free - taken.len()).await?;
                    if !entries.is_empty() {
                        metrics::events_claimed_from_dead(entries.len());
                        tracing::warn!(replica.dead = %dead, taken = entries.len(), "took over the events of a replica whose heartbeat stopped");
                    }
                    taken.extend(entries);
                }
                Verdict::Claim(_) => {}
                Verdict::Forget(dead) => {
                    if self.queue.forget(&dead).await? == Forgot::Removed {
                        tracing::info!(replica.dead = %dead, "removed a stopped replica from the event group");
                    }
                }
            }
        }
        Ok(taken)
    }

    async fn handle(&self, entry: Entry) {
        let span = tracing::info_span!(
            "event",
            erp.doctype = %entry.event.doctype,
            erp.name = %entry.event.name,
            kind = entry.handled.as_str()
        );
        self.deliver_with_retries(entry).instrument(span).await
    }

    async fn deliver_with_retries(&self, entry: Entry) {
        match self.queue.was_sent(&entry.key).await {
            Ok(true) => {
                tracing::info!("event already delivered; acknowledging");
                self.finish(&entry, false).await;
                return;
            }
            Ok(false) => {}
            Err(e) => {
                // Not knowing must not become a second message: the entry stays ours, pending,
                // and is taken again after EVENT_CLAIM_IDLE_SECS.
                tracing::warn!(error = %e, "could not check the sent mark; leaving the event for later");
                return;
            }
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.deliverer.deliver(&entry).await {
                Ok(Delivered::Sent { chat_id }) => {
                    metrics::event("delivered");
                    tracing::info!(chat.id = chat_id, attempt, "event delivered");
                    return self.finish(&entry, true).await;
                }
                Ok(Delivered::Dropped(reason)) => {
                    metrics::event("dropped");
                    tracing::info!(reason, "event dropped");
                    return self.finish(&entry, false).await;
                }
                Ok(Delivered::Unreachable { chat_id }) => {
                    metrics::event("unreachable");
                    tracing::info!(chat.id = chat_id, "customer blocked the bot; event not delivered");
                    return self.finish(&entry, false).await;
                }
                Err(e) if attempt >= self.config.max_attempts => {
                    metrics::event("parked");
                    tracing::error!(error = %e, attempt, "event parked after repeated failures");
                    if let Err(e) = self.queue.park(&entry, &e.to_string()).await {
                        tracing::error!(error = %e, "could not park the event; it will be retried");
                    }
                    return;
                }
                Err(e) => {
                    let wait = match e {
                        Failure::RetryAfter(wait) => wait,
                        _ => backoff(attempt),
                    };
                    metrics::event("retried");
                    tracing::warn!(error = %e, attempt, wait_ms = wait.as_millis() as u64, "event delivery failed; retrying");
                    tokio::time::sleep(wait).await;
                    if let Err(e) = self.queue.touch(&entry.id).await {
                        tracing::warn!(error = %e, "could not keep the event claimed");
                    }
                }
            }
        }
    }

    /// The sent mark, the ack and the deletion, retried for `REDIS_RETRY_SECS`.
    async fn finish(&self, entry: &Entry, sent: bool) {
        if let Err(e) = self.queue.done(entry, sent).await {
            tracing::error!(error = %e, sent, "could not finish the event within the Redis retry window; it will be taken again");
        }
    }
}

/// 1 s, 2 s, 4 s … capped, with jitter.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_secs(1).saturating_mul(1 << attempt.saturating_sub(1).min(6)).min(MAX_BACKOFF);
    let ms = base.as_millis() as u64;
    Duration::from_millis(rand::random_range(ms / 2..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_read_asks_for_no_longer_block_than_the_store_allows() {
        assert!(READ_BLOCK <= crate::store::MAX_BLOCK);
        assert!(READ_BLOCK + Duration::from_secs(1) <= crate::store::BLOCKING_RESPONSE_TIMEOUT);
    }
}
