//! An in-memory stand-in for Redis, so `erpnext-bot demo` runs where no Redis answers.
//!
//! Rather than a storage trait with a second implementation of every store operation, the
//! storage interface is the part of the Redis protocol the bot speaks: [`MemoryRedis`] is a
//! small server on `127.0.0.1:<free port>`, in this process, that speaks RESP2 and implements
//! the commands and scripts the bot sends. The unchanged [`Store`](super::Store) points at
//! [`MemoryRedis::url`], so the demo exercises the same store code as production.
//!
//! What it implements (with Redis 7.0's replies and error texts):
//! - connection: PING, ECHO, SELECT 0, CLIENT SETINFO / SETNAME (accepted, forgotten),
//!   HELLO [2], QUIT, MULTI / EXEC / DISCARD (atomic: one hold of the data lock), UNWATCH;
//! - keys: DEL, EXISTS, EXPIRE, PEXPIRE (NX, XX, GT, LT), TTL, PTTL, FLUSHALL, FLUSHDB, DBSIZE;
//!   expiry in milliseconds, lazy on access plus a sweep four times a second;
//! - strings: GET, SET (NX, XX, GET, EX, PX, EXAT, PXAT, KEEPTTL), INCR;
//! - hashes: HSET, HGET, HMGET, HGETALL; sets: SADD, SREM, SMEMBERS;
//! - streams: XADD (`*`, `ms-*`, explicit ids; NOMKSTREAM), XLEN, XDEL, XRANGE, XGROUP CREATE
//!   (`$`, MKSTREAM) / DESTROY / DELCONSUMER, XINFO CONSUMERS (name, pending, idle, as Redis
//!   7.0), XREADGROUP (COUNT, BLOCK — waiting without holding up other
//!   connections, 0 for ever — NOACK, `>` and history ids), XACK, XPENDING, XCLAIM (IDLE,
//!   TIME, RETRYCOUNT, FORCE, JUSTID, LASTID), XAUTOCLAIM (COUNT, JUSTID; the Redis 7 reply
//!   `[next, claimed, deleted]`), with pending entries that keep delivery counts and times;
//! - EVAL of the bot's own scripts only (BEGIN, UNLOCK, ACCEPT, CLAIM_DEAD, FORGET, RENEW,
//!   RELEASE, ACQUIRE), each
//!   recognised by its exact text and run natively and atomically (see `memory/scripts.rs`).
//!
//! What it does not do: persistence (everything is lost when the process ends), replication,
//! databases other than 0, authentication, RESP3, Lua (another script is an error), pub/sub,
//! WATCH, and every command not listed — those answer `ERR unknown command` and are logged,
//! so a store change that needs more shows up at once in the demo and in the tests.
//!
//! Usage:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use erpnext_bot::{config::RedisConfig, secret::Secret, store::Store, store::memory::MemoryRedis};
//!
//! let memory = MemoryRedis::start().await?; // keep it: dropping it stops the server
//! let config = RedisConfig::direct(Secret::new(memory.url()), "demo");
//! let store = Store::new(&config)?;
//! store.ping().await?;
//! # Ok(())
//! # }
//! ```

mod args;
mod claim;
mod collections;
mod command;
mod db;
mod groups;
mod keyspace;
mod resp;
mod scripts;
mod server;
mod streams;
mod strings;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

/// A running in-memory server. Dropping it stops the server and closes its connections.
#[derive(Debug)]
pub struct MemoryRedis {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl MemoryRedis {
    /// Binds `127.0.0.1:0` and serves in background tasks of the current tokio runtime.
    pub async fn start() -> std::io::Result<MemoryRedis> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new());
        let (shutdown, stop) = watch::channel(false);
        tokio::spawn(server::sweep(shared.clone(), stop.clone()));
        tokio::spawn(server::accept(listener, shared, stop));
        tracing::info!(%addr, "in-memory redis listening");
        Ok(MemoryRedis { addr, shutdown })
    }

    /// `redis://127.0.0.1:PORT`, for `REDIS_URL`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for MemoryRedis {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}
