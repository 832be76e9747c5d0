//! The whole life of one Telegram update, in one owner: claim, lease, conversation, end.
//!
//! - **Cancel-safe.** [`Lifecycle::handle`] runs the update on a task of its own; the webhook
//!   only waits for it. A client that hangs up (a proxy's timeout, Telegram itself, a load
//!   generator at the end of its run) drops the wait, not the work: the update runs to its
//!   end, and its lock and claim are released.
//! - **Leases.** The claim and the chat lock are short leases ([`crate::store::lease`]) that
//!   a keeper renews every [`RENEW_EVERY`] while the update runs; it is stopped with the
//!   update, even by a panic, so a dead or stuck holder frees its chat within one lease.
//! - **Panics.** The conversation runs on a task of its own too: a panic in it is caught at
//!   its join, logged, and the update is ended as done without saving the chat (a redelivery
//!   would only panic again), so the lock and the claim never stay behind.
//! - **Redis blips.** Every Redis step retries for `REDIS_RETRY_SECS`
//!   ([`crate::store::retry`]). Once the replies have gone out, the update is answered 2xx
//!   whatever Redis does: its end (chat record, unlock, done mark, in that order, in one
//!   script) is retried, first within the window and then in the background until Redis is
//!   back. It is never dropped and the update is never redone.
//! - **Redeliveries** of an update this process ended lately are duplicates without a Redis
//!   round trip ([`RecentlyDone`]), which also covers a done mark Redis lost in a crash.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::conversation::Chat;
use crate::conversation::runner::{Delivery, Runner};
use crate::i18n::Lang;
use crate::store::lease::RENEW_EVERY;
use crate::store::{Begin, Claim, Ended, Lease, Loaded, Store, StoreError};
use crate::telegram::Incoming;
use crate::telemetry::metrics;

/// How long an update waits for its chat's lock before asking Telegram to redeliver: longer
/// than a lease, so a dead holder's chat is taken over rather than refused.
const LOCK_WAIT: Duration = Duration::from_secs(10);
/// The pause between background attempts to end an update after the retry window.
const FINISH_PAUSE: Duration = Duration::from_secs(1);

/// How an update went.
#[derive(Debug, PartialEq, Eq)]
pub enum Ran {
    /// Run to its end now (replies sent, chat saved, done mark set).
    Processed,
    /// Already handled before: acknowledged, nothing done.
    Duplicate,
    /// Being handled by another request: Telegram should come back later.
    InProgress,
}

/// Owns every update from its claim to its end; cheap to clone.
#[derive(Clone)]
pub struct Lifecycle {
    pub runner: Arc<Runner>,
    pub store: Store,
    /// Updates this process ended lately: a redelivery of one is a duplicate without asking
    /// Redis, even when Redis lost its done mark (a `kill -9` with `appendfsync everysec`
    /// loses up to a second of writes).
    pub recent: Arc<RecentlyDone>,
}

/// The ids of the last [`RecentlyDone::CAPACITY`] updates this process ended, oldest first out.
#[derive(Debug, Default)]
pub struct RecentlyDone {
    ids: std::sync::Mutex<(std::collections::HashSet<i64>, std::collections::VecDeque<i64>)>,
}

impl RecentlyDone {
    /// About an hour of updates at 30 a second; a few MiB at most.
    const CAPACITY: usize = 100_000;

    fn contains(&self, id: i64) -> bool {
        self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).0.contains(&id)
    }

    fn insert(&self, id: i64) {
        let mut guard = self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (set, order) = &mut *guard;
        if set.insert(id) {
            order.push_back(id);
            if order.len() > Self::CAPACITY
                && let Some(old) = order.pop_front()
            {
                set.remove(&old);
            }
        }
    }
}

impl Lifecycle {
    /// Runs the update to its end on a task of its own and reports how it went. Dropping the
    /// returned future (the client went away) does not stop the update.
    pub async fn handle(&self, update_id: i64, incoming: Incoming) -> Result<Ran, StoreError> {
        let this = self.clone();
        let task = tokio::spawn(async move { this.run(update_id, incoming).await }.in_current_span());
        match task.await {
            Ok(ran) => ran,
            Err(e) => {
                // `run` catches the conversation's panics; this is one in the lifecycle itself.
                tracing::error!(error = %e, "the update's task failed; its lease lapses by itself");
                Ok(Ran::Processed)
            }
        }
    }

    async fn run(&self, update_id: i64, incoming: Incoming) -> Result<Ran, StoreError> {
        if self.recent.contains(update_id) {
            return Ok(Ran::Duplicate);
        }
        let ran = self.run_once(update_id, incoming).await;
        if matches!(ran, Ok(Ran::Processed)) {
            self.recent.insert(update_id);
        }
        ran
    }

    async fn run_once(&self, update_id: i64, incoming: Incoming) -> Result<Ran, StoreError> {
        match incoming {
            Incoming::Private { chat_id, user_id, language_code, input, callback_id, message_id } => {
                let delivery = Delivery { chat_id, user_id, language_code, input, callback_id, message_id };
                self.private(Lease::new(update_id, Some(chat_id)), delivery).await
            }
            other => self.other(Lease::new(update_id, None), other).await,
        }
    }

    /// A private update: begin (claim, lock, load), the conversation, end.
    async fn private(&self, lease: Lease, d: Delivery) -> Result<Ran, StoreError> {
        let default_lang = Lang::from_telegram(d.language_code.as_deref());
        let keeper = Keeper::start(self.store.clone(), lease.clone());
        let loaded = match self.store.begin(&lease, default_lang).await? {
            Begin::Started { loaded } => *loaded,
            Begin::Done => return Ok(Ran::Duplicate),
            Begin::InProgress => return Ok(Ran::InProgress),
            Begin::Busy => match self.wait_for_chat(&lease, default_lang).await {
                Ok(loaded) => loaded,
                Err(e) => {
                    drop(keeper);
                    if let Err(release) = self.store.abort(&lease).await {
                        tracing::warn!(error = %release, "could not give the update back; its lease lapses by itself");
                    }
                    return Err(e);
                }
            },
        };
        keeper.holds_lock();
        let rev = loaded.rev.clone();
        let runner = self.runner.clone();
        let conversation = tokio::spawn(async move { runner.process(d, loaded).await }.in_current_span());
        let changed = match conversation.await {
            Ok(changed) => changed,
            Err(e) => {
                tracing::error!(error = %e, "the conversation panicked; the update is ended without saving the chat");
                metrics::update_panicked();
                None
            }
        };
        let lost = keeper.stop();
        if lost {
            tracing::warn!("the update's lease lapsed while it ran; its chat is saved only if nobody wrote it since");
        }
        self.end(lease, changed, rev).await;
        Ok(Ran::Processed)
    }

    /// Another update of the chat is running: wait for its lock (or its lease to lapse), then
    /// load the chat.
    async fn wait_for_chat(&self, lease: &Lease, default_lang: Lang) -> Result<Loaded, StoreError> {
        self.store.lock_for(lease, LOCK_WAIT).await?;
        self.store.load_chat_for_input(lease.chat_id.unwrap_or(0), default_lang).await
    }

    /// Saves the chat, unlocks and marks the update done. The replies have gone out: from here
    /// on the update is answered 2xx, and an end that Redis cannot take now is completed in
    /// the background as soon as it can.
    async fn end(&self, lease: Lease, chat: Option<Chat>, rev: String) {
        match self.store.end(&lease, chat.as_ref(), &rev).await {
            Ok(ended) => note_end(ended),
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, "could not end the update yet; finishing it in the background");
                let store = self.store.clone();
                tokio::spawn(
                    async move {
                        loop {
                            tokio::time::sleep(FINISH_PAUSE).await;
                            match store.end(&lease, chat.as_ref(), &rev).await {
                                Ok(ended) => {
                                    tracing::info!("the update's end was written after Redis came back");
                                    metrics::update_finished_late();
                                    break note_end(ended);
                                }
                                Err(e) if e.is_transient() => continue,
                                Err(e) => break tracing::error!(error = %e, "Redis refused the update's end"),
                            }
                        }
                    }
                    .in_current_span(),
                );
            }
            Err(e) => tracing::error!(error = %e, "Redis refused the update's end"),
        }
    }

    /// Group messages and membership changes: claim, act, mark done (no conversation).
    async fn other(&self, lease: Lease, incoming: Incoming) -> Result<Ran, StoreError> {
        match self.store.claim_update(&lease).await? {
            Claim::Claimed => {}
            Claim::Done => return Ok(Ran::Duplicate),
            Claim::InProgress => return Ok(Ran::InProgress),
        }
        let keeper = Keeper::start(self.store.clone(), lease.clone());
        let result = match incoming {
            Incoming::Group { chat_id, language_code } => {
                self.runner.handle_group(chat_id, language_code.as_deref()).await
            }
            Incoming::Membership { chat_id, reachable } => self.runner.handle_membership(chat_id, reachable).await,
            Incoming::Private { .. } | Incoming::Ignored(_) => Ok(()),
        };
        keeper.stop();
        match result {
            Ok(()) => {
                if let Err(e) = self.store.finish_update(&lease).await {
                    tracing::warn!(error = %e, "could not mark the update done; its lease lapses by itself");
                }
                Ok(Ran::Processed)
            }
            Err(e) => {
                if let Err(release) = self.store.release_update(&lease).await {
                    tracing::warn!(error = %release, "could not give the update back; its lease lapses by itself");
                }
                Err(e)
            }
        }
    }
}

fn note_end(ended: Ended) {
    if ended == Ended::Stale {
        tracing::warn!("the chat was written by another holder meanwhile; this update's record was not saved");
        metrics::lease("stale_write_refused");
    }
}

/// Renews a lease every [`RENEW_EVERY`] until stopped or dropped (a panic included).
struct Keeper {
    task: JoinHandle<()>,
    lock: Arc<AtomicBool>,
    lost: Arc<AtomicBool>,
}

impl Keeper {
    fn start(store: Store, lease: Lease) -> Keeper {
        let lock = Arc::new(AtomicBool::new(false));
        let lost = Arc::new(AtomicBool::new(false));
        let (has_lock, lost_flag) = (lock.clone(), lost.clone());
        let task = tokio::spawn(
            async move {
                let mut ticks = tokio::time::interval(RENEW_EVERY);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticks.tick().await; // the first tick is at once: the lease was just taken
                loop {
                    ticks.tick().await;
                    match store.renew(&lease).await {
                        Ok(held) => {
                            metrics::lease("renewed");
                            let lapsed = !held.claim || (has_lock.load(Ordering::Relaxed) && !held.lock);
                            if lapsed && !lost_flag.swap(true, Ordering::Relaxed) {
                                metrics::lease("lost");
                            }
                        }
                        Err(e) => {
                            metrics::lease("renewal_failed");
                            tracing::debug!(error = %e, "renewing the update's lease failed; trying again");
                        }
                    }
                }
            }
            .in_current_span(),
        );
        Keeper { task, lock, lost }
    }

    /// From now on the lease covers the chat lock too.
    fn holds_lock(&self) {
        self.lock.store(true, Ordering::Relaxed);
    }

    /// Stops renewing; whether the lease was found lapsed at some renewal.
    fn stop(self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.task.abort();
    }
}
