//! Building the service from configuration (its [`Clients`], the conversation's runner, the
//! event worker and reconciler, the reminder scheduler, the router), binding its listener,
//! running it until a shutdown signal, letting in-flight requests finish.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::clients::Clients;
use crate::config::Config;
use crate::conversation::{Policy, runner::Runner};
use crate::events::{deliver::Deliverer, queue::Queue, reconcile::Reconciler, replicas, worker::Worker};
use crate::http::{self, AppState};
use crate::lifecycle::Lifecycle;
use crate::reminders::{pass::PassRunner, scheduler::Scheduler};

/// A built service with its listener bound: tests read [`Application::port`] after binding
/// `127.0.0.1:0`.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    clients: Clients,
    worker: Worker,
    reconciler: Reconciler,
    scheduler: Scheduler,
}

impl Application {
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        Self::build_with(config, |_| axum::Router::new()).await
    }

    /// Like [`Application::build`], with `extra` routes (made once the listener's address is
    /// known) served next to the service's own — the demo's page and API.
    pub async fn build_with(config: &Config, extra: impl FnOnce(SocketAddr) -> axum::Router) -> anyhow::Result<Self> {
        let secret = config.telegram.webhook_secret.clone().context("TELEGRAM_WEBHOOK_SECRET is required to serve")?;
        crate::telemetry::metrics::install();
        if let Err(in_force) = config.currency_decimals.clone().install() {
            // One process, one way of writing money: a second application (tests) keeps the first's.
            tracing::warn!(?in_force, "CURRENCY_DECIMALS differs from the decimals this process already uses");
        }
        let clients = Clients::new(config)?;
        let runner = Runner {
            erp: clients.erp.clone(),
            telegram: clients.telegram.clone(),
            store: clients.store.clone(),
            policy: Policy {
                require_phone: config.auth.require_phone,
                max_attempts: config.auth.max_attempts,
                attempt_window_secs: config.auth.attempt_window.as_secs() as i64,
                support: config.support_phone.clone(),
            },
            timezone: config.reminders.timezone,
        };
        let queue = Queue::for_replica(clients.store.clone(), replicas::identity(config.events.replica_id.as_deref()));
        let worker = Worker {
            queue: queue.clone(),
            deliverer: Deliverer {
                erp: clients.erp.clone(),
                telegram: clients.telegram.clone(),
                store: clients.store.clone(),
                timezone: config.reminders.timezone,
            },
            config: config.events.clone(),
        };
        let reconciler = Reconciler {
            erp: clients.erp.clone(),
            store: clients.store.clone(),
            queue: queue.clone(),
            sales: Arc::new(config.erp.schema.sales.clone()),
            every: config.events.reconcile_every,
            lookback: config.events.reconcile_lookback,
            fallback_zone: config.reminders.timezone,
            site: Arc::default(),
        };
        let state = AppState {
            updates: Lifecycle { runner: Arc::new(runner), store: clients.store.clone(), recent: Arc::default() },
            store: clients.store.clone(),
            telegram_secret: secret,
            erp_secrets: config.erp.webhook_secrets.clone().into(),
            sales: Arc::new(config.erp.schema.sales.clone()),
            queue,
        };
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("binding LISTEN_ADDR {}", config.listen_addr))?;
        let scheduler = Scheduler {
            enabled: config.reminders.enabled,
            passes: PassRunner::new(config, &clients),
            time: config.reminders.time,
            timezone: config.reminders.timezone,
        };
        let addr = listener.local_addr().context("reading the listener's address")?;
        let router = http::router(state).merge(extra(addr));
        Ok(Self { listener, router, clients, worker, reconciler, scheduler })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn port(&self) -> u16 {
        self.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// Serves until `shutdown` completes, then waits for in-flight requests and deliveries.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let telegram = self.clients.telegram.clone();
        tokio::spawn(async move {
            match telegram.set_commands().await {
                Ok(()) => tracing::info!("bot commands registered for uz, ru, en"),
                Err(e) => tracing::warn!(error = %e, "could not register bot commands"),
            }
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let signal = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stopped| *stopped).await;
        };
        let worker = tokio::spawn(self.worker.run(signal(stopped.clone())));
        let scheduler = tokio::spawn(self.scheduler.run(signal(stopped.clone())));
        let reconciler = tokio::spawn(self.reconciler.run(signal(stopped.clone())));
        // Dropped without a graceful end (the task serving this is aborted), the worker, the
        // scheduler and the reconciler go too, as they would with the process.
        let _tasks = AbortOnDrop(vec![worker.abort_handle(), scheduler.abort_handle(), reconciler.abort_handle()]);
        if let Ok(addr) = self.listener.local_addr() {
            tracing::info!(%addr, "listening");
        }
        let served = axum::serve(self.listener, self.router).with_graceful_shutdown(signal(stopped)).await;
        scheduler.abort();
        reconciler.abort();
        if tokio::time::timeout(WORKER_GRACE, worker).await.is_err() {
            tracing::warn!("event deliveries still running at exit; they will be taken over");
        }
        served
    }
}

/// Aborts the tasks when dropped.
struct AbortOnDrop(Vec<tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// How long a stopping replica waits for event deliveries in flight.
const WORKER_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
