//! F2: a linked customer is never asked for the passport again.

use erpnext_bot::i18n::Msg;
use serde_json::json;

use crate::common::updates;
use crate::helpers::*;

const USER: i64 = 5_100_001;

#[tokio::test]
async fn a_linked_customer_is_welcomed_back_after_a_restart() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    app.stop().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let texts = env.texts(USER);
    // Welcome back, then the contract summary (this customer has none).
    assert!(texts[texts.len() - 2].contains(CUSTOMER_NAME), "{texts:?}");
    assert_eq!(texts[texts.len() - 1], say(Msg::NoContracts));
}

#[tokio::test]
async fn an_emptied_redis_restores_the_session_from_erpnext() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    env.redis.flushall().await;
    env.erp.clear_requests();
    app.post(&updates::text(env.uid(), USER, "hello")).await;
    let texts = env.texts(USER);
    assert!(texts[texts.len() - 2].contains(CUSTOMER_NAME), "welcome back: {texts:?}");
    let lookups = env.erp.requests();
    assert_eq!(lookups.len(), 2, "a lookup by Telegram id, then the contracts: {lookups:?}");
    assert!(lookups[0].query.get("filters").is_some_and(|f| f.contains("custom_telegram_id")));
    // The session is stored again: the next message needs no lookup.
    app.post(&updates::command(env.uid(), USER, "/menu")).await;
    assert_eq!(env.last_text(USER), say(Msg::Menu));
    assert_eq!(env.erp.request_count(), 2);
}

#[tokio::test]
async fn a_link_cleared_in_erpnext_sends_the_user_back_to_linking() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    env.erp.set_field("Customer", CUSTOMER, "custom_telegram_id", json!(null));
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let texts = env.texts(USER);
    assert_eq!(texts[texts.len() - 2..], [say(Msg::LinkGone), say(Msg::AskPassport)]);
    assert!(env.chat_state(USER).await.contains("awaiting_passport"));
}
