//! Where Redis is: `REDIS_URL` directly, or the master that Redis Sentinel names.
//!
//! With `REDIS_SENTINELS` set, the Sentinels are asked for the master `REDIS_SENTINEL_MASTER`
//! (redis' `Sentinel::async_master_for`: `SENTINEL MASTERS`, then `ROLE` on the named master, so
//! a demoted one is never taken), and `REDIS_URL` gives only the database, user, password and
//! the scheme (`rediss://` is TLS, to the master and to the Sentinels alike).
//!
//! Both kinds of connection follow the master after a failover:
//!
//! - the shared multiplexed connection ([`Connector::shared`]): while it is in use, the Sentinels
//!   are asked again at most every [`RECHECK`] (in a task of its own, never on the command's
//!   path); when they name another master, a new connection manager for it replaces the old
//!   one. Commands sent to the old master in between fail with a connection error or `READONLY`
//!   (Sentinel disconnects the clients of a demoted master), both transient, so
//!   `Store::run_retrying` tries them again and they land on the new master.
//! - the pooled connections for blocking commands ([`BlockingPool`]): every new one asks the
//!   Sentinels, and a pooled one made for an older master is dropped at its next checkout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool::managed;
use deadpool_redis::redis;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::sentinel::{Sentinel, SentinelNodeConnectionInfo};
use redis::{ConnectionAddr, IntoConnectionInfo, TlsMode};
use tokio::time::Instant;

use super::{BLOCKING_RESPONSE_TIMEOUT, OP_TIMEOUT, StoreError};
use crate::config::RedisConfig;

/// How often, at most, the Sentinels are asked again while the shared connection is in use. A
/// failover is followed within this of the Sentinels announcing it; each check costs one
/// `SENTINEL MASTERS` and one short connection to the master for `ROLE`.
pub const RECHECK: Duration = Duration::from_millis(500);

/// The most pooled connections for blocking commands.
const POOL_SIZE: usize = 64;

fn bad_url(e: &dyn std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("bad REDIS_URL: {e}"))
}

/// How to reach the master.
enum Route {
    Direct(redis::Client),
    Sentinel { sentinel: tokio::sync::Mutex<Sentinel>, master_name: String, node: SentinelNodeConnectionInfo },
}

/// The master in use now: its client, and a generation bumped at every change.
#[derive(Default)]
struct Current {
    generation: u64,
    client: Option<redis::Client>,
    manager: Option<ConnectionManager>,
    checked: Option<Instant>,
    checking: bool,
}

/// Finds the master and keeps the shared connection to it.
pub struct Connector {
    route: Route,
    current: Mutex<Current>,
    /// One first connection at a time.
    first: tokio::sync::Mutex<()>,
}

impl Connector {
    pub fn new(config: &RedisConfig) -> Result<Arc<Self>, StoreError> {
        let url = config.url.expose();
        let route = if config.sentinels.is_empty() {
            Route::Direct(redis::Client::open(url).map_err(|e| bad_url(&e))?)
        } else {
            let info = url.into_connection_info().map_err(|e| bad_url(&e))?;
            let tls = matches!(info.addr(), ConnectionAddr::TcpTls { .. });
            let scheme = if tls { "rediss" } else { "redis" };
            let sentinels: Vec<String> = config.sentinels.iter().map(|s| format!("{scheme}://{s}")).collect();
            let sentinel =
                Sentinel::build(sentinels).map_err(|e| StoreError::Unavailable(format!("bad REDIS_SENTINELS: {e}")))?;
            let mut node =
                SentinelNodeConnectionInfo::default().set_redis_connection_info(info.redis_settings().clone());
            if tls {
                node = node.set_tls_mode(TlsMode::Secure);
            }
            Route::Sentinel {
                sentinel: tokio::sync::Mutex::new(sentinel),
                master_name: config.sentinel_master.clone(),
                node,
            }
        };
        Ok(Arc::new(Self { route, current: Mutex::default(), first: tokio::sync::Mutex::new(()) }))
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        // A panic while holding this lock leaves plain data behind; take it as it is.
        self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Asks the Sentinels for the master (or takes `REDIS_URL`), bounded in time.
    async fn resolve(&self) -> Result<redis::Client, StoreError> {
        match &self.route {
            Route::Direct(client) => Ok(client.clone()),
            Route::Sentinel { sentinel, master_name, node } => {
                let ask = async {
                    let mut sentinel = sentinel.lock().await;
                    sentinel.async_master_for(master_name, Some(node)).await
                };
                match tokio::time::timeout(OP_TIMEOUT, ask).await {
                    Ok(Ok(client)) => Ok(client),
                    Ok(Err(e)) => Err(StoreError::Unavailable(format!("sentinels: {e}"))),
                    Err(_) => Err(StoreError::Timeout(OP_TIMEOUT)),
                }
            }
        }
    }

    /// The address of the master the Sentinels name now (`host:port`), or `REDIS_URL`'s.
    pub async fn master_addr(&self) -> Result<String, StoreError> {
        Ok(self.resolve().await?.get_connection_info().addr().to_string())
    }

    pub fn uses_sentinels(&self) -> bool {
        matches!(self.route, Route::Sentinel { .. })
    }

    fn manager_config() -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500))
    }

    /// The shared multiplexed connection to the master, made on first use (so the service
    /// starts while Redis is down). With Sentinels, asks them again now and then (see the
    /// module's text).
    pub async fn shared(self: &Arc<Self>) -> Result<ConnectionManager, StoreError> {
        // Each lock of `current` in a statement of its own: it is never held across another.
        let manager = self.current().manager.clone();
        if let Some(manager) = manager {
            self.recheck_soon();
            return Ok(manager);
        }
        let _one = self.first.lock().await;
        let manager = self.current().manager.clone();
        if let Some(manager) = manager {
            return Ok(manager);
        }
        let client = self.resolve().await?;
        let manager = ConnectionManager::new_with_config(client.clone(), Self::manager_config()).await?;
        let mut current = self.current();
        current.generation += 1;
        current.client = Some(client);
        current.manager = Some(manager.clone());
        current.checked = Some(Instant::now());
        Ok(manager)
    }

    /// With Sentinels: unless a check is running or the last one is fresher than [`RECHECK`],
    /// asks them again in a task of its own and switches to the master they name if it moved.
    fn recheck_soon(self: &Arc<Self>) {
        if !self.uses_sentinels() {
            return;
        }
        {
            let mut current = self.current();
            if current.checking || current.checked.is_some_and(|at| at.elapsed() < RECHECK) {
                return;
            }
            current.checking = true;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let found = this.resolve().await;
            let mut switch = None;
            if let Ok(client) = found {
                let addr = client.get_connection_info().addr().clone();
                let known = this.current().client.as_ref().map(|c| c.get_connection_info().addr().clone());
                if known.as_ref() != Some(&addr) {
                    // Lazy: connects on first use, so a master that is not up yet costs nothing here.
                    match ConnectionManager::new_lazy_with_config(client.clone(), Self::manager_config()) {
                        Ok(manager) => switch = Some((client, manager)),
                        Err(e) => tracing::warn!(error = %e, "could not make a connection to the new redis master"),
                    }
                }
            } else if let Err(e) = found {
                tracing::debug!(error = %e, "sentinels did not name a master; keeping the current one");
            }
            let mut current = this.current();
            if let Some((client, manager)) = switch {
                let master = client.get_connection_info().addr().to_string();
                current.generation += 1;
                current.client = Some(client);
                current.manager = Some(manager);
                crate::telemetry::metrics::redis_master_switched();
                tracing::warn!(%master, "the sentinels name a new redis master; switching to it");
            }
            current.checking = false;
            current.checked = Some(Instant::now());
        });
    }

    fn generation(&self) -> u64 {
        self.current().generation
    }
}

/// Makes pooled connections to the master for blocking commands.
pub struct MasterManager {
    connector: Arc<Connector>,
}

/// A pooled connection and the master generation it was made for.
pub struct Pooled {
    conn: MultiplexedConnection,
    generation: u64,
}

impl managed::Manager for MasterManager {
    type Type = Pooled;
    type Error = redis::RedisError;

    async fn create(&self) -> Result<Pooled, redis::RedisError> {
        let generation = self.connector.generation();
        let client = self
            .connector
            .resolve()
            .await
            .map_err(|e| redis::RedisError::from((redis::ErrorKind::Io, "no redis master", e.to_string())))?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(BLOCKING_RESPONSE_TIMEOUT));
        let conn = client.get_multiplexed_async_connection_with_config(&config).await?;
        Ok(Pooled { conn, generation })
    }

    async fn recycle(&self, pooled: &mut Pooled, _: &managed::Metrics) -> managed::RecycleResult<redis::RedisError> {
        if self.connector.uses_sentinels() {
            self.connector.recheck_soon();
            if pooled.generation != self.connector.generation() {
                return Err(managed::RecycleError::message("made for an earlier redis master"));
            }
        }
        let _pong: String = redis::cmd("PING").query_async(&mut pooled.conn).await?;
        Ok(())
    }
}

/// The pool of connections for blocking commands (`XREADGROUP … BLOCK`).
#[derive(Clone)]
pub struct BlockingPool(managed::Pool<MasterManager>);

impl BlockingPool {
    pub fn new(connector: &Arc<Connector>) -> Result<Self, StoreError> {
        let pool = managed::Pool::builder(MasterManager { connector: Arc::clone(connector) })
            .config(managed::PoolConfig {
                max_size: POOL_SIZE,
                timeouts: managed::Timeouts {
                    wait: Some(OP_TIMEOUT),
                    create: Some(OP_TIMEOUT),
                    recycle: Some(OP_TIMEOUT),
                },
                ..Default::default()
            })
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| bad_url(&e))?;
        Ok(Self(pool))
    }

    pub async fn get(&self) -> Result<PooledConnection, deadpool_redis::PoolError> {
        Ok(PooledConnection(self.0.get().await?))
    }
}

/// A connection checked out of [`BlockingPool`]; back in the pool when dropped.
pub struct PooledConnection(managed::Object<MasterManager>);

impl ConnectionLike for PooledConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> redis::RedisFuture<'a, redis::Value> {
        self.0.conn.req_packed_command(cmd)
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        self.0.conn.req_packed_commands(cmd, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.0.conn.get_db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn config(url: &str, sentinels: &[&str]) -> RedisConfig {
        let mut c = RedisConfig::direct(Secret::new(url.to_owned()), "t");
        c.sentinels = sentinels.iter().map(|s| (*s).to_owned()).collect();
        c
    }

    #[test]
    fn without_sentinels_the_url_is_the_master() {
        let c = Connector::new(&config("redis://127.0.0.1:6390/3", &[])).expect("connector");
        assert!(!c.uses_sentinels());
    }

    #[test]
    fn with_sentinels_the_url_gives_the_database_user_password_and_tls() {
        let c =
            Connector::new(&config("rediss://bot:s3cret@ignored:1/4", &["s1:26379", "s2:26379"])).expect("connector");
        assert!(c.uses_sentinels());
        let Route::Sentinel { node, master_name, .. } = &c.route else { panic!("not sentinel") };
        assert_eq!(master_name, "mymaster");
        let text = format!("{node:?}");
        assert!(text.contains("Secure"), "{text}");
        assert!(text.contains("db: 4"), "{text}");
    }
}
