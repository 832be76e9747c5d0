//! F1: first contact and linking, every branch.

use erpnext_bot::i18n::{Lang, Msg};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::updates;
use crate::helpers::*;

const USER: i64 = 5_000_001;

#[tokio::test]
async fn a_new_user_is_greeted_in_their_language_and_asked_for_the_passport() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    assert_eq!(app.post(&updates::command(env.uid(), USER, "/start")).await, StatusCode::OK);
    assert_eq!(env.texts(USER), vec![say(Msg::Greeting)]);
    let english = updates::text_lang(env.uid(), USER + 1, "/start", "en");
    assert_eq!(app.post(&english).await, StatusCode::OK);
    assert_eq!(env.texts(USER + 1), vec![say_in(Lang::En, Msg::Greeting)]);
    let other = updates::text_lang(env.uid(), USER + 2, "/start", "de");
    app.post(&other).await;
    assert_eq!(env.texts(USER + 2), vec![say_in(Lang::Uz, Msg::Greeting)]);
}

#[tokio::test]
async fn the_full_flow_links_the_account_with_passport_and_own_phone() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    let linked = env.last_text(USER);
    assert!(linked.contains("AB*****67") && linked.contains("+998*****4567"), "{linked}");
    assert!(!linked.contains(PASSPORT));
    let sends = env.tg.calls_to("sendMessage");
    let last = sends.last().expect("a reply");
    assert_eq!(last.params["reply_markup"]["is_persistent"], json!(true), "menu keyboard: {}", last.params);
    let state = env.chat_state(USER).await;
    assert!(state.contains("linked") && state.contains(CUSTOMER), "{state}");
    assert!(!state.contains(PASSPORT) && !state.contains("901234567"), "Redis holds no full identifiers: {state}");
}

#[tokio::test]
async fn the_contact_step_shows_a_request_contact_button() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    let calls = env.tg.calls_to("sendMessage");
    let ask = calls.last().expect("asked for the contact");
    assert_eq!(ask.params["reply_markup"]["keyboard"][0][0]["request_contact"], json!(true), "{}", ask.params);
}

#[tokio::test]
async fn a_badly_formatted_passport_is_explained_without_asking_erpnext() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let before = env.erp.request_count();
    app.post(&updates::text(env.uid(), USER, "my passport is 123")).await;
    assert_eq!(env.last_text(USER), say(Msg::PassportFormat));
    assert_eq!(env.erp.request_count(), before, "no ERPNext call for a bad format");
}

#[tokio::test]
async fn cyrillic_look_alikes_and_spaces_are_normalised() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, " ав 123 45 67 ")).await;
    assert_eq!(env.last_text(USER), say(Msg::AskContact));
    let lookup = env.erp.requests().into_iter().last().expect("a lookup");
    let body = lookup.body.clone().unwrap_or_default();
    assert!(body["filters"].to_string().contains("AB1234567"), "{lookup:?}");
    assert_eq!(body["limit_page_length"], json!(6), "the six spellings: {lookup:?}");
}

#[tokio::test]
async fn a_passport_stored_in_erpnext_with_a_space_or_in_cyrillic_is_found() {
    for stored in ["AB 1234567", "АВ1234567", "ав-1234567"] {
        let env = TestEnv::new().await;
        env.erp.set_field("Customer", CUSTOMER, "custom_passport_series", json!(stored));
        let app = env.start_app().await;
        app.post(&updates::command(env.uid(), USER, "/start")).await;
        let before = env.erp.request_count();
        app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
        assert_eq!(env.last_text(USER), say(Msg::AskContact), "stored as {stored:?}");
        assert_eq!(env.erp.request_count(), before + 1, "one lookup for every spelling");
    }
}

#[tokio::test]
async fn the_customer_holding_the_normalised_spelling_wins_over_a_duplicate() {
    let env = TestEnv::new().await;
    // A duplicate customer (sorted first by name) holding another spelling of the passport.
    env.erp.insert(
        "Customer",
        json!({"name": "CUST-0000", "customer_name": "Duplicate", "custom_passport_series": "AB 1234567",
               "custom_phone_1": "+998 99 000 00 00"}),
    );
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    assert_eq!(linked_id(&env), Some(USER.to_string()), "the customer stored as {PASSPORT} is linked");
}

#[tokio::test]
async fn an_unknown_passport_is_reported() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, "ZZ7654321")).await;
    assert_eq!(env.last_text(USER), say(Msg::PassportNotFound));
}

#[tokio::test]
async fn a_passport_linked_to_another_account_is_refused_and_never_overwritten() {
    let env = TestEnv::new().await;
    env.erp.set_field("Customer", CUSTOMER, "custom_telegram_id", json!("777"));
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    assert_eq!(env.last_text(USER), say(Msg::AlreadyLinked { support: Some(SUPPORT.into()) }));
    assert_eq!(linked_id(&env), Some("777".into()));
    assert!(env.erp.requests().iter().all(|r| r.method != "PUT"), "no write attempted");
}

#[tokio::test]
async fn someone_elses_contact_is_refused() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    app.post(&updates::contact(env.uid(), USER, PHONE_SHARED, Some(USER + 9))).await;
    assert_eq!(env.last_text(USER), say(Msg::ContactNotOwn));
    app.post(&updates::contact(env.uid(), USER, PHONE_SHARED, None)).await;
    assert_eq!(env.last_text(USER), say(Msg::ContactNotOwn));
    assert_eq!(linked_id(&env), None);
}

#[tokio::test]
async fn a_phone_that_does_not_match_erpnext_is_refused() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    app.post(&updates::contact(env.uid(), USER, "+998 91 000 00 00", Some(USER))).await;
    assert_eq!(env.last_text(USER), say(Msg::PhoneMismatch { support: Some(SUPPORT.into()) }));
    assert_eq!(linked_id(&env), None);
}

#[tokio::test]
async fn every_configured_phone_field_is_compared() {
    let env = TestEnv::new().await;
    env.erp.set_field("Customer", CUSTOMER, "mobile_no", json!(null));
    env.erp.set_field("Customer", CUSTOMER, "custom_phone_1", json!("90-123-45-67"));
    let app = env.start_app().await;
    link(&env, &app, USER).await;
}

#[tokio::test]
async fn without_the_phone_step_the_passport_alone_links() {
    let env = TestEnv::new().await;
    let app = env.start_app_with(&[("AUTH_REQUIRE_PHONE", "false")]).await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    assert!(env.last_text(USER).contains(CUSTOMER_NAME));
    assert_eq!(linked_id(&env), Some(USER.to_string()));
}

#[tokio::test]
async fn erpnexts_unique_check_is_the_second_guard() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    // Meanwhile an operator links this Telegram id to another customer record.
    env.erp.seed_customer("CUST-0002", "Other", "CC7654321", "+998 93 000 00 00");
    env.erp.set_field("Customer", "CUST-0002", "custom_telegram_id", json!(USER.to_string()));
    app.post(&updates::contact(env.uid(), USER, PHONE_SHARED, Some(USER))).await;
    assert_eq!(env.last_text(USER), say(Msg::AlreadyLinked { support: Some(SUPPORT.into()) }));
    assert_eq!(linked_id(&env), None, "CUST-0001 was not written");
}

#[tokio::test]
async fn five_failed_attempts_an_hour_lead_to_a_cool_down_that_survives_a_restart() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    for _ in 0..5 {
        app.post(&updates::text(env.uid(), USER, "ZZ7654321")).await;
        assert_eq!(env.last_text(USER), say(Msg::PassportNotFound));
    }
    app.stop().await;
    let app = env.start_app().await;
    let before = env.erp.request_count();
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    assert_eq!(env.last_text(USER), say(Msg::TooManyAttempts { minutes: 60 }));
    assert_eq!(env.erp.request_count(), before, "no lookup while cooling down");
}

#[tokio::test]
async fn the_attempt_limit_is_configurable() {
    let env = TestEnv::new().await;
    let app = env.start_app_with(&[("AUTH_MAX_ATTEMPTS", "2")]).await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    app.post(&updates::contact(env.uid(), USER, "+998 91 000 00 00", Some(USER))).await;
    app.post(&updates::contact(env.uid(), USER, PHONE_SHARED, Some(USER + 1))).await;
    app.post(&updates::contact(env.uid(), USER, PHONE_SHARED, Some(USER))).await;
    assert_eq!(env.last_text(USER), say(Msg::TooManyAttempts { minutes: 60 }));
    assert_eq!(linked_id(&env), None);
}
