//! Redis: everything the service remembers. Key layout in [`keys`]; every key starts with
//! `REDIS_KEY_PREFIX`. No key or value holds a full passport or phone number.
//!
//! - where Redis is (a URL or the master Sentinel names) — [`connect`]; the one retry rule
//!   for transient failures — [`retry`]
//! - chat records (a hash per chat, schema-versioned) — [`chat`]
//! - a private update's start and end, one Lua script each (claim, lock, load; save over the
//!   revision read, unlock, done mark) — [`begin`], under the leases of [`lease`]
//! - update claims, so each Telegram `update_id` is acted on once — [`updates`]
//! - per-chat locks, so one chat's updates run one at a time across replicas — [`lock`]
//! - marks: chats that blocked the bot, groups already told we work in private only.
//! - the event queue (a stream, its consumer group, the replicas' heartbeats) — [`events`];
//!   the reconciler's leader lease and checkpoints — [`reconcile`]
//! - reminders' day lease, send records and shared send rate — [`reminders`]
//! - Redis outside a running service, for the demo — [`admin`]
//! - an in-memory server speaking the same protocol, for the demo without Redis — [`memory`]
//!   (a stand-in, not the product)

pub mod admin;
pub mod begin;
pub mod chat;
pub mod connect;
pub mod events;
pub mod keys;
pub mod lease;
pub mod lock;
pub mod memory;
pub mod reconcile;
pub mod reminders;
pub mod retry;
pub mod updates;

use std::time::Duration;

use std::sync::Arc;

use deadpool_redis::redis;
use redis::aio::ConnectionManager;

use crate::config::RedisConfig;
pub use begin::{Begin, Ended};
pub use chat::Loaded;
pub use keys::Keys;
pub use lease::{Lease, Renewed};
pub use lock::ChatLock;
pub use updates::Claim;

/// How long one Redis operation may take before it counts as Redis being down.
const OP_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest a blocking command may ask Redis to hold it (`XREADGROUP … BLOCK`); a longer
/// block is cut to this.
pub const MAX_BLOCK: Duration = Duration::from_millis(MAX_BLOCK_MS);
const MAX_BLOCK_MS: u64 = 400;
/// How late the answer to a finished block may come: a loaded machine or a busy Redis (a slow
/// command, a fork for a snapshot) delays it. The redis client's default response timeout
/// (500 ms) left 100 ms for that, and every few seconds a read of the event queue failed.
const BLOCK_MARGIN_MS: u64 = 2_000;
/// The response timeout of the pooled connections that run blocking commands: the longest
/// block and its margin, so that a block never counts as a lost answer.
pub const BLOCKING_RESPONSE_TIMEOUT: Duration = Duration::from_millis(MAX_BLOCK_MS + BLOCK_MARGIN_MS);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis cannot be reached, dropped the connection, or is not serving yet (loading,
    /// a replica after a failover): worth retrying.
    #[error("redis unavailable: {0}")]
    Unavailable(String),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    /// Redis answered with an error that a retry will not change (a script error, a wrong
    /// type, `BUSYGROUP`).
    #[error("redis refused the command: {0}")]
    Refused(String),
    #[error("chat {0} is busy with another update")]
    Busy(i64),
}

impl StoreError {
    /// Whether trying again later can succeed: Redis was unreachable, slow, or not serving.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Timeout(_))
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        use redis::{ErrorKind, RetryMethod, ServerErrorKind};
        let not_serving = matches!(
            e.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::ReadOnly
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::ClusterDown
            )
        );
        // `NOREPLICAS`: a master under `min-replicas-to-write` that lost its replicas (in a
        // failover) refuses writes until they are back or another master is named.
        let not_serving = not_serving || e.code() == Some("NOREPLICAS");
        if not_serving || e.is_io_error() || e.is_timeout() || !matches!(e.retry_method(), RetryMethod::NoRetry) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Refused(e.to_string())
        }
    }
}

impl From<deadpool_redis::PoolError> for StoreError {
    fn from(e: deadpool_redis::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

/// What bulk sends need to know about a chat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChatFlags {
    pub lang: Option<crate::i18n::Lang>,
    pub reminders_off: bool,
    pub unreachable: bool,
}

/// Pairs of (HMGET lang reminders, EXISTS) replies.
fn flags_from(flat: Vec<redis::Value>) -> Vec<(Option<String>, Option<String>, bool)> {
    use redis::FromRedisValue;
    flat.chunks(2)
        .map(|pair| {
            let (lang, reminders): (Option<String>, Option<String>) =
                pair.first().and_then(|v| FromRedisValue::from_redis_value(v.clone()).ok()).unwrap_or((None, None));
            let unreachable = pair.get(1).and_then(|v| bool::from_redis_value(v.clone()).ok()).unwrap_or(false);
            (lang, reminders, unreachable)
        })
        .collect()
}

/// A handle on Redis; cheap to clone.
///
/// Ordinary commands share one multiplexed connection that reconnects by itself (no pool
/// checkout, whose health check would cost a round trip per command); blocking commands
/// (`XREADGROUP … BLOCK`) take a pooled connection of their own so they never hold up others.
#[derive(Clone)]
pub struct Store {
    /// Pooled connections for blocking commands, to the master of the moment.
    pool: connect::BlockingPool,
    /// Where the master is (`REDIS_URL`, or the Sentinels), and the shared connection to it.
    connector: Arc<connect::Connector>,
    keys: Keys,
    retry_for: Duration,
}

impl Store {
    /// Builds the pool. Connections are made lazily, so this succeeds while Redis is down.
    pub fn new(config: &RedisConfig) -> Result<Self, StoreError> {
        let connector = connect::Connector::new(config)?;
        let pool = connect::BlockingPool::new(&connector)?;
        Ok(Self { pool, connector, keys: Keys::new(&config.key_prefix), retry_for: config.retry_for })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The shared connection, made on first use (so the service starts while Redis is down);
    /// with Sentinels, it follows the master they name ([`connect`]).
    async fn shared(&self) -> Result<ConnectionManager, StoreError> {
        self.connector.shared().await
    }

    /// Where the master is now: with Sentinels, the address they give (`host:port`); `None`
    /// without them.
    pub async fn sentinel_master(&self) -> Option<Result<String, StoreError>> {
        if !self.connector.uses_sentinels() {
            return None;
        }
        Some(self.connector.master_addr().await)
    }

    /// Runs one command (or pipeline) on the shared connection, bounded in time.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        cmd: impl FnOnce() -> redis::Pipeline,
    ) -> Result<T, StoreError> {
        let pipe = cmd();
        let work = async {
            let mut conn = self.shared().await?;
            let value: T = pipe.query_async(&mut conn).await?;
            Ok::<T, StoreError>(value)
        };
        tokio::time::timeout(OP_TIMEOUT, work).await.map_err(|_| StoreError::Timeout(OP_TIMEOUT))?
    }

    /// Runs one command (or pipeline) like [`Store::run`], retried with bounded backoff while
    /// Redis is unavailable, for up to `REDIS_RETRY_SECS` ([`retry`]): a Redis restart or a
    /// failover is waited out instead of failing the update. `what` names the operation in
    /// the metric `erpbot_redis_retries_total` and in logs. The pipeline must be safe to send
    /// twice: its first sending may have been carried out with only the answer lost.
    pub(crate) async fn run_retrying<T: redis::FromRedisValue>(
        &self,
        what: &'static str,
        cmd: impl FnOnce() -> redis::Pipeline,
    ) -> Result<T, StoreError> {
        self.run_retrying_within(what, self.retry_for, cmd).await
    }

    /// [`Store::run_retrying`] with a window of its own, for a caller that must answer sooner
    /// (never longer than `REDIS_RETRY_SECS`).
    pub(crate) async fn run_retrying_within<T: redis::FromRedisValue>(
        &self,
        what: &'static str,
        window: Duration,
        cmd: impl FnOnce() -> redis::Pipeline,
    ) -> Result<T, StoreError> {
        let pipe = cmd();
        retry::retrying(what, window.min(self.retry_for), || async {
            let work = async {
                let mut conn = self.shared().await?;
                let value: T = pipe.query_async(&mut conn).await?;
                Ok::<T, StoreError>(value)
            };
            tokio::time::timeout(OP_TIMEOUT, work).await.map_err(|_| StoreError::Timeout(OP_TIMEOUT))?
        })
        .await
    }

    /// How long [`Store::run_retrying`] keeps trying (`REDIS_RETRY_SECS`).
    pub fn retry_for(&self) -> Duration {
        self.retry_for
    }

    /// Runs a blocking command on a pooled connection of its own; `block` is how long Redis
    /// may hold it (at most [`MAX_BLOCK`]: `cmd` is given the block it may ask for).
    pub(crate) async fn run_blocking<T: redis::FromRedisValue>(
        &self,
        block: Duration,
        cmd: impl FnOnce(Duration) -> redis::Pipeline,
    ) -> Result<T, StoreError> {
        let block = block.min(MAX_BLOCK);
        let pipe = cmd(block);
        let work = async {
            let mut conn = self.pool.get().await?;
            let value: T = pipe.query_async(&mut conn).await?;
            Ok::<T, StoreError>(value)
        };
        let limit = OP_TIMEOUT + block;
        tokio::time::timeout(limit, work).await.map_err(|_| StoreError::Timeout(limit))?
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        let (_pong,): (String,) = self
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("PING");
                p
            })
            .await?;
        Ok(())
    }

    /// True the first time a group chat is seen: the bot tells a group once that it works in
    /// private chats only.
    pub async fn first_group_notice(&self, chat_id: i64) -> Result<bool, StoreError> {
        let key = self.keys.group_notice(chat_id);
        let (set,): (Option<String>,) = self
            .run_retrying("group_notice", || {
                let mut p = redis::pipe();
                p.cmd("SET").arg(&key).arg(1).arg("NX").arg("EX").arg(30 * 86_400);
                p
            })
            .await?;
        Ok(set.is_some())
    }

    /// Remembers that Telegram answered 403 for this chat (blocked, deactivated).
    pub async fn mark_unreachable(&self, chat_id: i64) -> Result<(), StoreError> {
        let key = self.keys.unreachable(chat_id);
        self.run_retrying::<()>("mark_unreachable", || {
            let mut p = redis::pipe();
            p.cmd("SET").arg(&key).arg(chrono::Utc::now().timestamp()).ignore();
            p
        })
        .await
    }

    /// The user wrote again (or unblocked the bot): the chat is reachable.
    pub async fn clear_unreachable(&self, chat_id: i64) -> Result<(), StoreError> {
        let key = self.keys.unreachable(chat_id);
        self.run_retrying::<()>("clear_unreachable", || {
            let mut p = redis::pipe();
            p.cmd("DEL").arg(&key).ignore();
            p
        })
        .await
    }

    /// The language stored for a chat, if any (for messages the user did not ask for).
    pub async fn chat_lang(&self, chat_id: i64) -> Result<Option<crate::i18n::Lang>, StoreError> {
        let key = self.keys.chat(chat_id);
        let (lang,): (Option<String>,) = self
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("HGET").arg(&key).arg("lang");
                p
            })
            .await?;
        Ok(lang.as_deref().and_then(crate::i18n::Lang::from_code))
    }

    /// Language, reminder opt-out and reachability of many chats, in pipelined round trips.
    pub async fn chat_flags(&self, chat_ids: &[i64]) -> Result<std::collections::HashMap<i64, ChatFlags>, StoreError> {
        let mut out = std::collections::HashMap::new();
        for batch in chat_ids.chunks(500) {
            let keys: Vec<(String, String)> =
                batch.iter().map(|id| (self.keys.chat(*id), self.keys.unreachable(*id))).collect();
            let replies: Vec<(Option<String>, Option<String>, bool)> = self
                .run(|| {
                    let mut p = redis::pipe();
                    for (chat, mark) in &keys {
                        p.cmd("HMGET").arg(chat).arg("lang").arg("reminders");
                        p.cmd("EXISTS").arg(mark);
                    }
                    p
                })
                .await
                .map(|flat: Vec<redis::Value>| flags_from(flat))?;
            for (id, (lang, reminders, unreachable)) in batch.iter().zip(replies) {
                let flags = ChatFlags {
                    lang: lang.as_deref().and_then(crate::i18n::Lang::from_code),
                    reminders_off: reminders.as_deref() == Some("off"),
                    unreachable,
                };
                out.insert(*id, flags);
            }
        }
        Ok(out)
    }

    pub async fn is_unreachable(&self, chat_id: i64) -> Result<bool, StoreError> {
        let key = self.keys.unreachable(chat_id);
        let (exists,): (bool,) = self
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EXISTS").arg(&key);
                p
            })
            .await?;
        Ok(exists)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_block_ends_well_inside_the_blocking_connections_response_timeout() {
        // A block answered this late is still an answer, not a timeout.
        let margin = BLOCKING_RESPONSE_TIMEOUT.saturating_sub(MAX_BLOCK);
        assert!(margin >= Duration::from_secs(1), "margin {margin:?}");
        // And the client gives up before the outer limit of `run_blocking` would.
        assert!(BLOCKING_RESPONSE_TIMEOUT < OP_TIMEOUT + MAX_BLOCK);
    }
}
