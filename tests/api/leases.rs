//! Issue 15's update path: cancel-safe updates, Redis blips waited out, leases instead of
//! fixed TTLs. Real redis-server, real service, the Bot API sandbox's log as the witness.

use std::time::{Duration, Instant};

use erpnext_bot::i18n::Msg;
use reqwest::StatusCode;

use crate::common::updates;
use crate::helpers::*;

const USER: i64 = 5_450_001;

fn lock_key(env: &TestEnv, chat: i64) -> String {
    format!("{}:lock:chat:{chat}", env.prefix)
}

fn claim_key(env: &TestEnv, update: i64) -> String {
    format!("{}:update:{update}", env.prefix)
}

/// Waits until the chat has received `count` texts.
async fn texts_within(env: &TestEnv, chat: i64, count: usize, limit: Duration) -> Vec<String> {
    let started = Instant::now();
    while env.texts(chat).len() < count && started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    env.texts(chat)
}

#[tokio::test]
async fn a_client_that_hangs_up_mid_update_changes_nothing() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    env.erp.set_delay(Some(Duration::from_millis(300)));
    let update_id = env.uid();
    let update = updates::command(update_id, USER, "/start");
    // Hang up 30 ms after posting, long before the answer (the lookup alone takes 300 ms).
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(30)).build().expect("client");
    let hung_up = send_update(&impatient, &app.address, update.to_string().into_bytes(), Some(WEBHOOK_SECRET)).await;
    assert!(hung_up.is_err(), "the client gave up first: {hung_up:?}");
    let texts = texts_within(&env, USER, 1, Duration::from_secs(5)).await;
    assert_eq!(texts, vec![say(Msg::Greeting)], "the update ran to its end");
    env.erp.set_delay(None);
    // Its end is written right after the reply: no lock, the claim marked done.
    let started = Instant::now();
    while env.redis.raw(&["EXISTS", &lock_key(&env, USER)]).await != ":0" && started.elapsed() < Duration::from_secs(2)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(env.redis.raw(&["EXISTS", &lock_key(&env, USER)]).await, ":0", "no lock left behind");
    assert_eq!(env.redis.raw(&["GET", &claim_key(&env, update_id)]).await, "$1\r\nd", "done, not in progress");
    // Telegram's redelivery of the same update is a duplicate, and the chat's next update is
    // answered at once.
    assert_eq!(app.post(&update).await, StatusCode::OK);
    let started = Instant::now();
    assert_eq!(app.post(&updates::text(env.uid(), USER, PASSPORT)).await, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(2), "not held up: {:?}", started.elapsed());
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting), say(Msg::AskContact)], "each reply once");
}

#[tokio::test]
async fn a_redis_restart_during_an_update_is_waited_out_and_the_update_answered_once() {
    let mut env = TestEnv::new().await;
    let app = env.start_app().await;
    env.redis.stop().await;
    let update = updates::command(env.uid(), USER, "/start");
    let (client, address) = (app.client.clone(), app.address.clone());
    let body = update.to_string().into_bytes();
    let posted = tokio::spawn(async move { send_update(&client, &address, body, Some(WEBHOOK_SECRET)).await });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let back = Instant::now();
    env.redis.start_again().await;
    let status = posted.await.expect("task").expect("answered");
    assert_eq!(status, StatusCode::OK, "accepted once Redis was back, not refused");
    assert!(back.elapsed() < Duration::from_secs(3), "within ~1 s of Redis' return: {:?}", back.elapsed());
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting)]);
    assert_eq!(app.post(&update).await, StatusCode::OK);
    assert_eq!(env.texts(USER).len(), 1, "Telegram's redelivery is not answered again");
}

#[tokio::test]
async fn the_chat_of_a_dead_holder_answers_again_within_a_lease() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    // A replica died holding this chat: its lock stays until its lease lapses (4 s).
    env.redis.raw(&["SET", &lock_key(&env, USER), "dead-replica", "PX", "4000"]).await;
    let started = Instant::now();
    assert_eq!(app.post(&updates::command(env.uid(), USER, "/start")).await, StatusCode::OK, "waited, not refused");
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "the chat is free within the lease: {waited:?}");
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting)]);
}

#[tokio::test]
async fn a_long_update_keeps_its_lease_and_the_chat_waits_for_it() {
    let env = TestEnv::new().await;
    let app = env.start_app_with(&[("ERP_TIMEOUT_SECS", "8"), ("ERP_DEADLINE_SECS", "8")]).await;
    // Longer than a lease: only renewal keeps the lock.
    env.erp.set_delay(Some(Duration::from_millis(5_500)));
    let first = updates::command(env.uid(), USER, "/start");
    let (client, address) = (app.client.clone(), app.address.clone());
    let body = first.to_string().into_bytes();
    let slow = tokio::spawn(async move { send_update(&client, &address, body, Some(WEBHOOK_SECRET)).await });
    tokio::time::sleep(Duration::from_millis(4_800)).await;
    let pttl = env.redis.raw(&["PTTL", &lock_key(&env, USER)]).await;
    let left: i64 = pttl.trim_start_matches(':').parse().unwrap_or(-2);
    assert!(left > 1_000, "renewed past its first lease: {pttl}");
    // The chat's next update waits for the lock instead of running beside the first.
    let second = tokio::spawn({
        let (client, address) = (app.client.clone(), app.address.clone());
        let body = updates::text(env.uid(), USER, PASSPORT).to_string().into_bytes();
        async move { send_update(&client, &address, body, Some(WEBHOOK_SECRET)).await }
    });
    assert_eq!(slow.await.expect("task").expect("answered"), StatusCode::OK);
    env.erp.set_delay(None);
    assert_eq!(second.await.expect("task").expect("answered"), StatusCode::OK);
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting), say(Msg::AskContact)], "in order, each once");
}
