//! Item 4 of the faults issue: events of a replica that dies move on in seconds. Two apps on
//! one Redis with their own `REPLICA_ID`; one is killed (aborted: no graceful finish) while it
//! holds an event; the other takes it over within 10 s, or the killed one, restarted under
//! the same identity, takes back its own. The Bot API sandbox's log counts the messages.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fixtures::{self, MARKUP};
use crate::helpers::*;

const USER: i64 = 5_800_001;
const NOTICE: &str = "Платёж получен";

fn payment(name: &str) -> Value {
    json!({
        "event": "on_submit", "doctype": "Payment Entry", "name": name, "docstatus": 1,
        "modified": "2026-11-25 10:00:00.000000", "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
        "paid_amount": 1_000_000.0, "posting_date": "2026-11-25", "mode_of_payment": "Cash",
        "references": [{"reference_doctype": "Sales Order", "reference_name": MARKUP, "allocated_amount": 1_000_000.0}],
    })
}

fn book(env: &TestEnv, name: &str) {
    env.erp.insert(
        "Payment Entry",
        json!({
            "name": name, "docstatus": 1, "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
            "posting_date": fixtures::today().format("%Y-%m-%d").to_string(), "mode_of_payment": "Cash",
            "paid_amount": 1_000_000.0,
            "references": [{"reference_doctype": "Sales Order", "reference_name": MARKUP, "allocated_amount": 1_000_000.0}],
        }),
    );
}

fn notices(env: &TestEnv) -> usize {
    env.texts(USER).iter().filter(|t| t.contains(NOTICE)).count()
}

async fn wait_until<F: Future<Output = bool>>(what: &str, timeout: Duration, mut check: impl FnMut() -> F) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < timeout, "waited {timeout:?} for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether `consumer` holds an entry of the event stream.
async fn holds(env: &TestEnv, consumer: &str) -> bool {
    let stream = format!("{}:events", env.prefix);
    env.redis.raw(&["XPENDING", &stream, "workers", "-", "+", "10", consumer]).await.starts_with("*1")
}

async fn consumers(env: &TestEnv) -> String {
    env.redis.raw(&["XINFO", "CONSUMERS", &format!("{}:events", env.prefix), "workers"]).await
}

/// A linked customer, replica `a` running, and a payment event that `a` took and cannot
/// deliver yet (ERPNext is down, so it retries and holds the entry).
async fn event_held_by_a() -> (TestEnv, TestApp) {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let a = env.start_app_with(&[("REPLICA_ID", "a")]).await;
    link(&env, &a, USER).await;
    book(&env, "ACC-PAY-2026-88001");
    env.erp.set_down(true);
    assert_eq!(a.post_event(&payment("ACC-PAY-2026-88001")).await, StatusCode::OK);
    wait_until("replica a to take the event", Duration::from_secs(5), || holds(&env, "a")).await;
    (env, a)
}

#[tokio::test]
async fn the_events_of_a_killed_replica_are_delivered_by_the_survivor_within_ten_seconds_once() {
    let (env, a) = event_held_by_a().await;
    let b = env.start_app_with(&[("REPLICA_ID", "b")]).await;
    let beat = format!("{}:replica:b", env.prefix);
    wait_until("replica b's heartbeat", Duration::from_secs(5), || async {
        env.redis.raw(&["EXISTS", &beat]).await == ":1"
    })
    .await;
    a.kill().await;
    let killed = Instant::now();
    env.erp.set_down(false);
    wait_until("the survivor's delivery", Duration::from_secs(10), || async { notices(&env) >= 1 }).await;
    let took = killed.elapsed();
    assert!(!holds(&env, "a").await, "nothing left with the dead replica");
    // The dead replica leaves the group once it holds nothing.
    wait_until("the dead replica to leave the group", Duration::from_secs(5), || async {
        !consumers(&env).await.contains("\r\na\r\n")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(notices(&env), 1, "told once: {:#?}", env.texts(USER));
    assert_eq!(env.redis.raw(&["XLEN", &format!("{}:events", env.prefix)]).await, ":0");
    eprintln!("killed replica's event delivered by the survivor {took:?} after the kill");
    b.stop().await;
}

#[tokio::test]
async fn a_killed_replica_restarted_under_its_identity_takes_back_its_own_event() {
    let (env, a) = event_held_by_a().await;
    a.kill().await;
    let killed = Instant::now();
    env.erp.set_down(false);
    let again = env.start_app_with(&[("REPLICA_ID", "a")]).await;
    // It waits for its predecessor's heartbeat to lapse (3 s at most), then resumes.
    wait_until("the restarted replica's delivery", Duration::from_secs(6), || async { notices(&env) >= 1 }).await;
    let took = killed.elapsed();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(notices(&env), 1, "told once: {:#?}", env.texts(USER));
    assert!(!holds(&env, "a").await);
    eprintln!("restarted replica took back its own event {took:?} after the kill");
    again.stop().await;
}

#[tokio::test]
async fn a_replica_stopped_cleanly_and_restarted_resumes_at_once_and_two_replicas_stay_alive() {
    // A clean stop removes the heartbeat: the next process of the replica needs no wait, and a
    // live pair never counts each other dead (nothing is claimed, nothing told twice).
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let a = env.start_app_with(&[("REPLICA_ID", "a")]).await;
    let b = env.start_app_with(&[("REPLICA_ID", "b")]).await;
    link(&env, &a, USER).await;
    for i in 0..6 {
        let name = format!("ACC-PAY-2026-8810{i}");
        book(&env, &name);
        let target = if i % 2 == 0 { &a } else { &b };
        assert_eq!(target.post_event(&payment(&name)).await, StatusCode::OK);
    }
    wait_until("six notices", Duration::from_secs(8), || async { notices(&env) >= 6 }).await;
    a.stop().await;
    assert_eq!(env.redis.raw(&["EXISTS", &format!("{}:replica:a", env.prefix)]).await, ":0", "heartbeat removed");
    let started = Instant::now();
    let a = env.start_app_with(&[("REPLICA_ID", "a")]).await;
    let beat = format!("{}:replica:a", env.prefix);
    wait_until("the restarted replica's heartbeat", Duration::from_secs(2), || async {
        env.redis.raw(&["EXISTS", &beat]).await == ":1"
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(2), "no wait after a clean stop: {:?}", started.elapsed());
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(notices(&env), 6, "{:#?}", env.texts(USER));
    a.stop().await;
    b.stop().await;
}

/// A redis-server of this test's own that keeps its data across a `kill -9` (AOF, fsync
/// always), restarted on the same port: an outage that loses nothing.
struct DurableRedis {
    port: u16,
    dir: std::path::PathBuf,
    child: std::sync::Arc<std::sync::Mutex<Option<std::process::Child>>>,
}

impl DurableRedis {
    fn start() -> DurableRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let dir = std::env::temp_dir().join(format!("test-redis-aof-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("redis dir");
        let redis = DurableRedis { port, dir, child: Default::default() };
        redis.spawn();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn spawn(&self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always", "--dir"])
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server runs");
        *self.child.lock().expect("lock") = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A `kill -9`, from any thread, at once.
    fn killer(&self) -> impl Fn() + Send + Sync + 'static {
        let child = self.child.clone();
        move || {
            if let Some(mut c) = child.lock().expect("lock").take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }

    async fn raw(&self, args: &[&str]) -> redis::Value {
        let client = redis::Client::open(self.url()).expect("client");
        let mut conn = client.get_multiplexed_async_connection().await.expect("connect");
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query_async(&mut conn).await.expect("command")
    }
}

impl Drop for DurableRedis {
    fn drop(&mut self) {
        (self.killer())();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn redis_killed_right_after_the_send_neither_repeats_the_notice_nor_loses_the_ack() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let redis = DurableRedis::start();
    let url = redis.url();
    // A 1 s fallback claim: an entry left unacknowledged would be taken and told again at once.
    let vars = [("REDIS_URL", url.as_str()), ("REPLICA_ID", "a"), ("EVENT_CLAIM_IDLE_SECS", "1")];
    let app = env.start_app_with(&vars).await;
    link(&env, &app, USER).await;
    book(&env, "ACC-PAY-2026-88201");
    // The moment the fake Bot API has the notice, before the bot hears its answer, Redis dies.
    let kill = redis.killer();
    let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = fired.clone();
    env.tg.observe(std::sync::Arc::new(move |call| {
        let text = call.params["text"].as_str().unwrap_or_default();
        if call.method == "sendMessage"
            && text.contains(NOTICE)
            && !seen.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            kill();
        }
    }));
    assert_eq!(app.post_event(&payment("ACC-PAY-2026-88201")).await, StatusCode::OK);
    wait_until("the notice", Duration::from_secs(5), || async { notices(&env) >= 1 }).await;
    assert!(fired.load(std::sync::atomic::Ordering::SeqCst));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    redis.spawn();
    // The finish (sent mark, ack, delete) waited for Redis and went through: nothing is left to
    // take again, and the notice was told once.
    let stream = format!("{}:events", env.prefix);
    let started = Instant::now();
    while redis.raw(&["XLEN", &stream]).await != redis::Value::Int(0) {
        assert!(started.elapsed() < Duration::from_secs(5), "the event was never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(notices(&env), 1, "told once: {:#?}", env.texts(USER));
    app.stop().await;
}
