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
    // One message: welcome back with the profile, then the contract summary (none here).
    let last = texts.last().expect("a welcome");
    assert!(last.starts_with("👋") && last.contains(CUSTOMER_NAME), "{texts:?}");
    assert!(last.ends_with(&format!("\n\n{}", say(Msg::NoContracts))), "{last}");
    let menu = env.tg.calls_to("sendMessage").last().map(|c| c.params["reply_markup"].clone()).unwrap_or_default();
    assert!(menu.get("keyboard").is_some(), "the welcome carries the main menu: {menu}");
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
    assert!(texts[texts.len() - 1].starts_with("👋"), "welcome back: {texts:?}");
    let lookups = env.erp.requests();
    assert_eq!(lookups.len(), 3, "a lookup by Telegram id, then the contracts and money on account: {lookups:?}");
    let filters = lookups[0].body.as_ref().map(|b| b["filters"].to_string()).unwrap_or_default();
    assert!(filters.contains("custom_telegram_id"), "{lookups:?}");
    // The session is stored again: the next message needs no lookup.
    app.post(&updates::command(env.uid(), USER, "/menu")).await;
    assert_eq!(env.last_text(USER), say(Msg::Menu));
    assert_eq!(env.erp.request_count(), 3);
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

#[tokio::test]
async fn start_sends_one_welcome_with_the_summary_read_while_the_link_is_checked() {
    let env = TestEnv::new().await;
    crate::fixtures::seed(&env.erp);
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    env.erp.clear_requests();
    env.tg.clear();
    env.erp.set_delay(Some(std::time::Duration::from_millis(150)));
    let started = std::time::Instant::now();
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let took = started.elapsed();
    env.erp.set_delay(None);
    let sends = env.tg.calls_to("sendMessage");
    assert_eq!(sends.len(), 1, "welcome and summary are one message: {sends:?}");
    let text = sends[0].params["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("👋") && text.contains("Договоров: <b>2</b>"), "{text}");
    // Customer ‖ contracts with their schedules ‖ money on account, then their invoices, then
    // payments: five requests in three waits of 150 ms, not four.
    assert_eq!(env.erp.request_count(), 5, "{:?}", env.erp.requests());
    assert!(took < std::time::Duration::from_millis(590), "the summary is read while the link is checked: {took:?}");
}

#[tokio::test]
async fn a_summary_read_ahead_is_not_shown_when_the_link_is_gone() {
    let env = TestEnv::new().await;
    crate::fixtures::seed(&env.erp);
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    env.erp.set_field("Customer", CUSTOMER, "custom_telegram_id", json!("999"));
    env.tg.clear();
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let texts = env.texts(USER);
    assert_eq!(texts, vec![say(Msg::LinkGone), say(Msg::AskPassport)]);
    assert!(!texts.concat().contains("Договоров"), "no summary: {texts:?}");
}

#[tokio::test]
async fn a_contract_without_schedule_rows_still_counts_in_the_summary() {
    let env = TestEnv::new().await;
    crate::fixtures::seed(&env.erp);
    env.erp.insert(
        "Sales Order",
        json!({
            "name": "SO-2026-00050", "customer": CUSTOMER, "docstatus": 1, "currency": "UZS",
            "transaction_date": "2026-01-05", "status": "To Deliver and Bill", "grand_total": 700_000.0,
            "items": [], "payment_schedule": [],
        }),
    );
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let last = env.last_text(USER);
    assert!(last.contains("Договоров: <b>3</b>"), "the joined list keeps a contract with no rows: {last}");
}
