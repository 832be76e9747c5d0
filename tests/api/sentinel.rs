//! Redis Sentinel: the bot asks the Sentinels for the master and follows it through a
//! failover (`SENTINEL FAILOVER` mid-traffic), with real redis-server and redis-sentinel
//! processes.

use std::time::{Duration, Instant};

use erpnext_bot::events::signature;
use erpnext_bot::i18n::Msg;
use serde_json::{Value, json};

use crate::common::redis::{TestRedis, TestSentinel, wait_replica_synced};
use crate::common::updates;
use crate::fixtures::{self, MARKUP};
use crate::helpers::*;

const USER: i64 = 5_900_001;
/// Chats that write /start during the failover, one update each.
const FIRST_CHAT: i64 = 5_900_100;

fn payment(name: &str, amount: f64) -> Value {
    json!({
        "event": "on_submit", "doctype": "Payment Entry", "name": name, "docstatus": 1,
        "modified": "2026-11-25 10:00:00.000000", "payment_type": "Receive", "party_type": "Customer",
        "party": CUSTOMER, "paid_amount": amount, "posting_date": fixtures::today().format("%Y-%m-%d").to_string(),
        "mode_of_payment": "Cash",
        "references": [{"reference_doctype": "Sales Order", "reference_name": MARKUP, "allocated_amount": amount}],
    })
}

/// Books the payment in ERPNext and posts its event like Frappe (signed), until accepted.
async fn book_and_post(env: &TestEnv, app: &TestApp, name: &str, amount: f64) {
    let doc = payment(name, amount);
    env.erp.insert("Payment Entry", doc.clone());
    let raw = doc.to_string();
    let started = Instant::now();
    loop {
        let status = app
            .client
            .post(format!("{}/erpnext/events", app.address))
            .header("content-type", "application/json")
            .header("X-Frappe-Webhook-Signature", signature::sign(raw.as_bytes(), "erp-secret"))
            .body(raw.clone())
            .send()
            .await
            .map(|r| r.status());
        if matches!(status, Ok(s) if s.is_success()) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "event {name} not accepted: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Posts an update the way Telegram does: again after any non-2xx or broken connection.
/// Returns how long until it was accepted.
async fn deliver(app: &TestApp, update: &Value) -> Duration {
    let started = Instant::now();
    loop {
        let status =
            send_update(&app.client, &app.address, update.to_string().into_bytes(), Some(WEBHOOK_SECRET)).await;
        if matches!(status, Ok(s) if s.is_success()) {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "update not accepted within 30 s: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_texts(env: &TestEnv, needle: &str, count: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let found: Vec<String> = env.texts(USER).into_iter().filter(|t| t.contains(needle)).collect();
        if found.len() >= count || started.elapsed() > Duration::from_secs(20) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_sentinel_failover_mid_traffic_moves_updates_and_events_to_the_new_master() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let master = TestRedis::start().await;
    let replica = TestRedis::start_with(&["--replicaof", "127.0.0.1", &master.port().to_string()]).await;
    wait_replica_synced(replica.port()).await;
    let sentinel = TestSentinel::start(master.port(), 1).await;
    sentinel.wait_for_replicas(1).await;

    // REDIS_URL names no server at all: with Sentinels only its database is used.
    let sentinels = sentinel.addr();
    let app = env
        .start_app_with(&[("REDIS_URL", "redis://unused.invalid:1/0"), ("REDIS_SENTINELS", sentinels.as_str())])
        .await;
    link(&env, &app, USER).await;
    book_and_post(&env, &app, "ACC-PAY-2026-90001", 111_000.0).await;
    assert_eq!(wait_texts(&env, "111 000", 1).await.len(), 1, "a notice before the failover");

    // /start of one new chat after another, while the Sentinel moves the master.
    let chats = 60;
    let traffic = async {
        let mut slowest = Duration::ZERO;
        for i in 0..chats {
            let update = updates::command(env.uid(), FIRST_CHAT + i, "/start");
            slowest = slowest.max(deliver(&app, &update).await);
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        slowest
    };
    let fault = async {
        tokio::time::sleep(Duration::from_millis(600)).await;
        sentinel.failover().await;
        let started = Instant::now();
        while sentinel.master_port().await != Some(replica.port()) {
            assert!(started.elapsed() < Duration::from_secs(10), "the sentinel did not promote the replica");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // An event while the bot is moving over.
        book_and_post(&env, &app, "ACC-PAY-2026-90002", 222_000.0).await;
    };
    let (slowest, ()) = tokio::join!(traffic, fault);

    assert_eq!(sentinel.master_port().await, Some(replica.port()), "the replica is the master now");
    for i in 0..chats {
        assert_eq!(env.texts(FIRST_CHAT + i), vec![say(Msg::Greeting)], "chat {} answered once", FIRST_CHAT + i);
    }
    assert!(slowest < Duration::from_secs(10), "slowest update accepted after {slowest:?}");
    assert_eq!(wait_texts(&env, "222 000", 1).await.len(), 1, "the event of the failover is told");
    assert_eq!(wait_texts(&env, "111 000", 1).await.len(), 1, "and the earlier one not again");

    // The bot writes to the new master: a chat that comes after the failover is stored there.
    let late = FIRST_CHAT + 1_000;
    deliver(&app, &updates::command(env.uid(), late, "/start")).await;
    assert_eq!(env.texts(late), vec![say(Msg::Greeting)]);
    let key = format!("{}:chat:{late}", env.prefix);
    assert_eq!(replica.raw(&["EXISTS", &key]).await, ":1", "the chat record is on the new master");
    // The old master is not asserted on: after a `SENTINEL FAILOVER` it goes on taking writes
    // until the Sentinel converts it to a replica at its next look (seconds later), and what it
    // took meanwhile is lost then (README, "Redis: Sentinel and TLS").
    drop(master);
}
