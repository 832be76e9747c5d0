//! Failures: Redis down, ERPNext slow or down, Telegram 429/403, corrupt state, replicas,
//! graceful shutdown.

use std::time::{Duration, Instant};

use erpnext_bot::i18n::Msg;
use reqwest::StatusCode;

use crate::common::{fake_erp::Fault, fake_telegram::TgFault, updates};
use crate::helpers::*;

const USER: i64 = 5_400_001;

#[tokio::test]
async fn redis_down_longer_than_the_retry_window_answers_5xx_and_the_redelivery_is_processed_after_recovery() {
    let mut env = TestEnv::new().await;
    let app = env.start_app_with(&[("REDIS_RETRY_SECS", "2")]).await;
    env.redis.stop().await;
    let update = updates::command(env.uid(), USER, "/start");
    let started = Instant::now();
    assert_eq!(app.post(&update).await, StatusCode::SERVICE_UNAVAILABLE);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(2) && waited < Duration::from_secs(8), "the window, then 503: {waited:?}");
    assert_eq!(app.get("/readyz").await, StatusCode::SERVICE_UNAVAILABLE);
    assert!(env.texts(USER).is_empty());
    env.redis.start_again().await;
    assert_eq!(app.get("/readyz").await, StatusCode::OK);
    assert_eq!(app.post(&update).await, StatusCode::OK, "Telegram's redelivery is processed");
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting)]);
    assert_eq!(app.post(&update).await, StatusCode::OK);
    assert_eq!(env.texts(USER).len(), 1, "and only once");
}

#[tokio::test]
async fn erpnext_down_gets_an_apology_within_seconds() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    env.erp.set_down(true);
    let started = Instant::now();
    assert_eq!(app.post(&updates::command(env.uid(), USER, "/start")).await, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(env.texts(USER), vec![say(Msg::ErpUnavailable)]);
    env.erp.set_down(false);
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    assert_eq!(env.last_text(USER), say(Msg::Greeting));
}

#[tokio::test]
async fn a_slow_erpnext_is_cut_off_by_the_deadline() {
    let env = TestEnv::new().await;
    let app = env.start_app_with(&[("ERP_TIMEOUT_SECS", "1"), ("ERP_DEADLINE_SECS", "2")]).await;
    env.erp.set_delay(Some(Duration::from_secs(10)));
    let started = Instant::now();
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    assert_eq!(env.texts(USER), vec![say(Msg::ErpUnavailable)]);
}

#[tokio::test]
async fn two_503s_are_retried_and_the_third_attempt_succeeds() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    env.erp.fail_next(2, Fault::Status503Html);
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting)]);
    assert_eq!(env.erp.request_count(), 3, "exactly three attempts");
}

#[tokio::test]
async fn a_429_from_erpnext_is_retried_after_retry_after() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    env.erp.fail_next(1, Fault::TooManyRequests { retry_after_secs: 1 });
    let started = Instant::now();
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    assert!(started.elapsed() >= Duration::from_millis(900), "waited: {:?}", started.elapsed());
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting)]);
    assert_eq!(env.erp.request_count(), 2);
}

#[tokio::test]
async fn a_500_from_erpnext_is_final_and_not_retried() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    env.erp.fail_next(1, Fault::Status500Json);
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    assert_eq!(env.texts(USER), vec![say(Msg::ErpUnavailable)]);
    assert_eq!(env.erp.request_count(), 1);
}

#[tokio::test]
async fn a_telegram_429_is_waited_out_and_the_reply_delivered() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    env.tg.fail_next("sendMessage", 1, TgFault::TooManyRequests { retry_after: 1 });
    let started = Instant::now();
    assert_eq!(app.post(&updates::command(env.uid(), USER, "/help")).await, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(env.texts(USER), vec![say(Msg::Help { support: Some(SUPPORT.into()) })]);
    assert_eq!(env.tg.calls_to("sendMessage").len(), 2);
}

#[tokio::test]
async fn an_undecodable_state_resets_the_chat_and_tells_the_user() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    let key = format!("{}:chat:{USER}", env.prefix);
    env.redis.raw(&["HSET", &key, "state", "{\"kind\":\"from_the_future\"}"]).await;
    app.post(&updates::command(env.uid(), USER, "/menu")).await;
    let texts = env.texts(USER);
    assert_eq!(texts[texts.len() - 2], say(Msg::SessionReset));
    // Reset to the start: the link in ERPNext restores the session; nobody is locked out.
    assert!(texts[texts.len() - 1].contains(CUSTOMER_NAME), "{texts:?}");
    assert!(env.chat_state(USER).await.contains("linked"));
}

#[tokio::test]
async fn two_replicas_on_one_redis_act_on_each_update_once_and_in_order() {
    let env = TestEnv::new().await;
    let a = env.start_app().await;
    let b = env.start_app().await;
    let start = updates::command(env.uid(), USER, "/start");
    let passport = updates::text(env.uid(), USER, PASSPORT);
    // Telegram redelivers to whichever replica the proxy picks.
    let (s1, s2) = tokio::join!(a.post(&start), b.post(&start));
    assert!(s1.is_success() || s2.is_success());
    for status in [s1, s2] {
        assert!(status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE, "{status}");
    }
    let (p1, p2) = tokio::join!(b.post(&passport), a.post(&passport));
    assert!(p1.is_success() || p2.is_success());
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting), say(Msg::AskContact)]);
    let contact = updates::contact(env.uid(), USER, PHONE_SHARED, Some(USER));
    assert_eq!(b.post(&contact).await, StatusCode::OK);
    assert_eq!(a.post(&contact).await, StatusCode::OK);
    assert_eq!(env.texts(USER).len(), 3);
    assert_eq!(linked_id(&env), Some(USER.to_string()));
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_update_finish() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    env.erp.set_delay(Some(Duration::from_millis(700)));
    let update = updates::command(env.uid(), USER, "/start");
    let (client, address) = (app.client.clone(), app.address.clone());
    let in_flight = tokio::spawn(async move {
        send_update(&client, &address, update.to_string().into_bytes(), Some(WEBHOOK_SECRET)).await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.stop().await;
    let status = in_flight.await.expect("task").expect("answered");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting)]);
}

/// Spins inside Redis for 400 ms by its own clock (a script: `DEBUG SLEEP` is off by
/// default); Redis answers nobody meanwhile.
const BUSY_400_MS: &str = "local t0 = redis.call('TIME') local s = t0[1] * 1000000 + t0[2] \
    while true do local t = redis.call('TIME') if t[1] * 1000000 + t[2] - s >= 400000 then return 1 end end";

#[tokio::test]
async fn a_busy_redis_answering_a_finished_block_late_does_not_fail_the_event_queue_read() {
    use erpnext_bot::{config::RedisConfig, events::queue::Queue, secret::Secret, store};
    let redis = crate::common::redis::TestRedis::start().await;
    let config = RedisConfig::direct(Secret::new(redis.url()), "busy");
    let queue = Queue::new(store::Store::new(&config).expect("store"));
    queue.ensure_group().await.expect("group");
    // The first read opens the pooled connection; the busy ones below find it open.
    assert!(queue.read(10, store::MAX_BLOCK).await.expect("idle read").is_empty());
    for round in 0..3 {
        // The read blocks for 400 ms; from 300 ms on another client keeps Redis busy until
        // 700 ms, so the block's empty answer leaves Redis 300 ms late: past the redis
        // client's default response timeout of 500 ms.
        let read = async {
            let started = Instant::now();
            (queue.read(10, store::MAX_BLOCK).await, started.elapsed())
        };
        let busy = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            redis.raw(&["EVAL", BUSY_400_MS, "0"]).await
        };
        let ((read, took), busy) = tokio::join!(read, busy);
        assert_eq!(busy, ":1");
        assert!(read.is_ok(), "round {round}: {read:?} after {took:?}");
        assert!(took >= Duration::from_millis(600), "the answer came late: {took:?}");
    }
}
