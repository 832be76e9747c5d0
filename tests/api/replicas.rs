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
const SECRET: &str = "erp-secret";
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

async fn post_event(app: &TestApp, body: &Value) -> StatusCode {
    let raw = body.to_string();
    let signature = erpnext_bot::events::signature::sign(raw.as_bytes(), SECRET);
    let req =
        app.client.post(format!("{}/erpnext/events", app.address)).header("X-Frappe-Webhook-Signature", signature);
    req.header("content-type", "application/json").body(raw).send().await.expect("answers").status()
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
    assert_eq!(post_event(&a, &payment("ACC-PAY-2026-88001")).await, StatusCode::OK);
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
        assert_eq!(post_event(target, &payment(&name)).await, StatusCode::OK);
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
    let text = env.tg.calls_to("sendMessage").len();
    assert!(text >= 6);
    a.stop().await;
    b.stop().await;
}
