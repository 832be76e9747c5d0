//! The delivery worker of one replica: takes new and stale events from the queue, delivers
//! each with bounded retries, parks what keeps failing, stops cleanly on shutdown.

use std::{sync::Arc, time::Duration};

use tokio::{sync::Semaphore, task::JoinSet};
use tracing::Instrument;

use super::deliver::{Delivered, Deliverer, Failure};
use super::queue::{Entry, Queue};
use crate::config::EventsConfig;
use crate::telemetry::metrics;

/// How long an idle read waits for new events: the longest block the store allows, which its
/// blocking connections' response timeout leaves a margin above (an idle queue is no error).
const READ_BLOCK: Duration = crate::store::MAX_BLOCK;
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often the queue depth gauges are refreshed.
const DEPTH_EVERY: Duration = Duration::from_secs(5);

pub struct Worker {
    pub queue: Queue,
    pub deliverer: Deliverer,
    pub config: EventsConfig,
}

impl Worker {
    /// Runs until `shutdown` resolves, then lets in-flight deliveries finish.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        if self.config.workers == 0 {
            // Still create the consumer group, so that other replicas can take these events.
            if let Err(e) = self.queue.ensure_group().await {
                tracing::warn!(error = %e, "could not create the event consumer group");
            }
            tracing::info!("event delivery is off in this replica (EVENT_WORKERS=0)");
            return;
        }
        let this = Arc::new(self);
        let slots = Arc::new(Semaphore::new(this.config.workers));
        let mut tasks = JoinSet::new();
        tokio::pin!(shutdown);
        let mut last_claim = tokio::time::Instant::now() - this.config.claim_idle;
        let mut last_depth = tokio::time::Instant::now() - DEPTH_EVERY;
        loop {
            if let Err(e) = this.queue.ensure_group().await {
                tracing::warn!(error = %e, "event queue unavailable; retrying");
                tokio::select! { () = &mut shutdown => break, () = tokio::time::sleep(Duration::from_secs(1)) => continue }
            }
            let free = slots.available_permits();
            let batch = if free == 0 {
                Ok(Vec::new())
            } else if last_claim.elapsed() >= this.config.claim_idle / 2 {
                last_claim = tokio::time::Instant::now();
                this.queue.claim_stale(this.config.claim_idle, free).await
            } else {
                tokio::select! {
                    () = &mut shutdown => break,
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
                        tokio::select! { () = &mut shutdown => break, _ = tasks.join_next() => {} }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "reading the event queue failed");
                    tokio::select! { () = &mut shutdown => break, () = tokio::time::sleep(Duration::from_secs(1)) => {} }
                }
            }
            while tasks.try_join_next().is_some() {}
            if last_depth.elapsed() >= DEPTH_EVERY {
                last_depth = tokio::time::Instant::now();
                if let Ok((pending, parked)) = this.queue.depth().await {
                    metrics::event_depth(pending, parked);
                }
            }
        }
        tracing::info!(in_flight = tasks.len(), "event worker stopping; finishing deliveries");
        while tasks.join_next().await.is_some() {}
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
            Err(e) => tracing::warn!(error = %e, "could not check the sent mark"),
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

    async fn finish(&self, entry: &Entry, sent: bool) {
        if let Err(e) = self.queue.done(entry, sent).await {
            tracing::warn!(error = %e, "could not acknowledge the event; another replica may retake it");
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
