//! `erpnext-bot demo`: the whole product on one machine with nothing to configure.
//!
//! The real service — the same [`Application`] as `serve`: router, conversation, ERPNext and
//! Telegram clients, event worker — is wired to the sandboxes of [`crate::sandbox`] (a
//! Frappe-like ERPNext seeded with the demo shop, a Bot API) and, when `REDIS_URL` does not
//! answer, to an in-memory server speaking the Redis protocol. `GET /demo` serves a web chat
//! that plays the Telegram app: every message goes through `POST /telegram/webhook` with the
//! webhook secret, and the page's ERPNext buttons post signed events to `/erpnext/events` or
//! run the reminder pass. Nothing leaves the machine; the sandbox addresses are loopback only.

mod feed;
mod routes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

use crate::clients::Clients;
use crate::config::{Config, Purpose};
use crate::sandbox::{erp::FakeErp, seed, telegram::FakeTelegram};
use crate::startup::Application;
use crate::store::memory::MemoryRedis;
pub use feed::Feed;

/// Variables that point the service at a real ERPNext or a real bot: `demo` refuses to start
/// while any is set, so that a demo can never write to a real site or message real customers.
pub const REAL_SERVICE_KEYS: &[&str] =
    &["BOT_TOKEN", "TELEGRAM_API_URL", "ERP_BASE_URL", "ERP_API_KEY", "ERP_API_SECRET", "PUBLIC_URL"];

/// Where the demo listens unless `LISTEN_ADDR` says otherwise: this machine only.
const DEMO_LISTEN: &str = "127.0.0.1:8080";
/// Key prefix of the demo's records when it shares a real Redis (unless `REDIS_KEY_PREFIX`).
const DEMO_PREFIX: &str = "erpbot-demo";

/// Why the demo does not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Set variables point at real services (exit code 2, like a configuration problem).
    #[error(
        "demo runs only against its built-in sandbox and refuses to start while {0} {1} set: \
         unset {2} (or run `erpnext-bot serve` to use a real ERPNext and bot)"
    )]
    RealServices(String, &'static str, &'static str),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

/// What was set that must not be, from the process environment.
pub fn refuse_real_services(env: &BTreeMap<String, String>) -> Result<(), DemoError> {
    let set: Vec<&str> =
        REAL_SERVICE_KEYS.iter().copied().filter(|k| env.get(*k).is_some_and(|v| !v.trim().is_empty())).collect();
    match set.as_slice() {
        [] => Ok(()),
        [one] => Err(DemoError::RealServices((*one).to_string(), "is", "it")),
        many => Err(DemoError::RealServices(many.join(", "), "are", "them")),
    }
}

/// The sandboxes and the secrets the demo made up for this run.
pub struct Sandbox {
    pub erp: FakeErp,
    pub telegram: FakeTelegram,
    pub telegram_secret: String,
    pub erp_secret: String,
}

/// The configuration `serve` would read, with the sandboxes in place of the outside world.
/// Only the service's own tuning is taken from `env`: `CONFIG_FILE` is not read.
pub fn config(env: &BTreeMap<String, String>, sandbox: &Sandbox, redis_url: &str) -> Result<Config, DemoError> {
    refuse_real_services(env)?;
    // The demo defines the sandbox's ERPNext (every `ERP_*`, including a site's field names).
    let own = |k: &str| crate::config::KEYS.contains(&k) && !REAL_SERVICE_KEYS.contains(&k) && !k.starts_with("ERP_");
    let mut vars: BTreeMap<String, String> =
        env.iter().filter(|(k, _)| own(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut set = |k: &str, v: String| {
        vars.insert(k.into(), v);
    };
    set("BOT_TOKEN", crate::sandbox::telegram::TOKEN.into());
    set("TELEGRAM_API_URL", sandbox.telegram.api_url());
    set("TELEGRAM_WEBHOOK_SECRET", sandbox.telegram_secret.clone());
    set("ERP_BASE_URL", sandbox.erp.base_url());
    set("ERP_API_KEY", crate::sandbox::erp::API_KEY.into());
    set("ERP_API_SECRET", crate::sandbox::erp::API_SECRET.into());
    set("ERP_WEBHOOK_SECRET", sandbox.erp_secret.clone());
    // The demo's contracts carry a custom total (`sandbox::seed`), as some real sites do.
    set("ERP_CONTRACT_TOTAL_FIELD", "custom_grand_total_with_interest".into());
    set("REDIS_URL", redis_url.into());
    // The page's button runs the pass; a daily run would only surprise the visitor.
    set("REMINDERS_ENABLED", "false".into());
    for (key, default) in [("LISTEN_ADDR", DEMO_LISTEN), ("REDIS_KEY_PREFIX", DEMO_PREFIX)] {
        vars.entry(key.into()).or_insert_with(|| default.into());
    }
    let config = Config::from_sources(&vars, Purpose::Serve)?;
    for (what, url) in [("ERPNext", &config.erp.base_url), ("Bot API", &config.telegram.api_url)] {
        let loopback =
            url.host_str().and_then(|h| h.parse::<std::net::IpAddr>().ok()).is_some_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(DemoError::Failed(anyhow::anyhow!(
                "the demo's {what} must be its loopback sandbox, not {url}"
            )));
        }
    }
    Ok(config)
}

/// Which store the demo uses: Redis at `REDIS_URL` when it answers, else the in-memory one.
enum Storage {
    Redis(String),
    Memory(MemoryRedis),
}

async fn choose_storage(env: &BTreeMap<String, String>) -> anyhow::Result<Storage> {
    let url = env.get("REDIS_URL").filter(|v| !v.trim().is_empty()).cloned();
    let candidate = url.clone().unwrap_or_else(|| "redis://127.0.0.1:6379/0".into());
    match crate::store::admin::ping_url(&candidate).await {
        Ok(()) => Ok(Storage::Redis(candidate)),
        Err(e) => {
            let why = if url.is_some() { "REDIS_URL does not answer" } else { "no Redis answers on 127.0.0.1:6379" };
            tracing::info!(
                store = "memory",
                reason = %e,
                "demo: {why}; using the in-memory store (nothing is kept after the demo stops)"
            );
            let memory = MemoryRedis::start().await.context("starting the in-memory store")?;
            Ok(Storage::Memory(memory))
        }
    }
}

fn random_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Starts the sandboxes and the service, prints how to use it, runs until `shutdown`.
pub async fn run(
    env: BTreeMap<String, String>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DemoError> {
    refuse_real_services(&env)?;
    let storage = choose_storage(&env).await.map_err(DemoError::Failed)?;
    let redis_url = match &storage {
        Storage::Redis(url) => url.clone(),
        Storage::Memory(memory) => memory.url(),
    };
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let (erp, telegram) = tokio::try_join!(FakeErp::bind(loopback), FakeTelegram::bind(loopback))
        .context("starting the sandboxes")
        .map_err(DemoError::Failed)?;
    telegram.set_identity("Demo Shop", "demo_shop_bot");
    let sandbox = Sandbox { erp, telegram, telegram_secret: random_secret(), erp_secret: random_secret() };
    let config = config(&env, &sandbox, &redis_url)?;
    if let Storage::Redis(url) = &storage {
        let removed =
            crate::store::admin::forget_prefix(url, &config.redis.key_prefix).await.map_err(DemoError::Failed)?;
        tracing::info!(store = "redis", prefix = %config.redis.key_prefix, removed, "demo: using Redis at REDIS_URL");
    }
    let today = crate::reminders::scheduler::local_date(chrono::Utc::now(), config.reminders.timezone);
    seed::seed(&sandbox.erp, today);
    let feed = Arc::new(Feed::default());
    sandbox.telegram.observe({
        let feed = feed.clone();
        Arc::new(move |call| feed.observe(call))
    });
    let clients = Clients::new(&config).map_err(DemoError::Failed)?;
    let app = Application::build_with(&config, |addr| {
        routes::router(routes::Demo::new(addr, &config, &clients, sandbox, feed.clone()))
    })
    .await
    .map_err(DemoError::Failed)?;
    let addr = app.local_addr().context("reading the demo's address").map_err(DemoError::Failed)?;
    print_welcome(addr);
    let stop = async move {
        shutdown.await;
        feed.close();
    };
    app.run_until(stop).await.context("serving the demo").map_err(DemoError::Failed)?;
    drop(storage);
    Ok(())
}

fn print_welcome(addr: SocketAddr) {
    let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
    let mut text = format!(
        "\nerpnext-bot demo is running: open http://{host}:{}/demo\n\nDemo customers (type the passport in the chat, then share the phone):\n",
        addr.port()
    );
    for c in seed::CUSTOMERS {
        text.push_str(&format!("  {:<18} passport {}  phone {}  — {}\n", c.name, c.passport, c.phone, c.about));
    }
    text.push_str("\nStop with Ctrl-C.\n");
    println!("{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn real_service_variables_make_the_demo_refuse() {
        assert!(refuse_real_services(&env(&[("REDIS_URL", "redis://x:6379"), ("LOG_FORMAT", "json")])).is_ok());
        assert!(refuse_real_services(&env(&[("BOT_TOKEN", "  ")])).is_ok(), "empty counts as unset");
        let one = refuse_real_services(&env(&[("BOT_TOKEN", "123:abc")])).expect_err("a real token");
        assert!(one.to_string().contains("while BOT_TOKEN is set"), "{one}");
        let two = refuse_real_services(&env(&[("ERP_BASE_URL", "https://erp.example.com"), ("BOT_TOKEN", "1:a")]))
            .expect_err("a real site");
        assert!(two.to_string().contains("BOT_TOKEN, ERP_BASE_URL are set"), "{two}");
    }
}
