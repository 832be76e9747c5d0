//! The webhook's contract with Telegram: secrets, bodies, duplicates, kinds we ignore.

use erpnext_bot::i18n::Msg;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::updates;
use crate::helpers::*;

const USER: i64 = 5_300_001;

#[tokio::test]
async fn a_wrong_or_missing_secret_is_refused_and_changes_nothing() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    let body = updates::command(env.uid(), USER, "/start").to_string().into_bytes();
    assert_eq!(app.post_raw(body.clone(), None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post_raw(body.clone(), Some("wrong")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post_raw(body, Some(&format!("{WEBHOOK_SECRET}x"))).await, StatusCode::UNAUTHORIZED);
    assert!(env.texts(USER).is_empty());
    assert_eq!(env.erp.request_count(), 0);
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_rejected() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    assert_eq!(app.post_raw(b"{not json".to_vec(), Some(WEBHOOK_SECRET)).await, StatusCode::BAD_REQUEST);
    assert_eq!(app.post_raw(b"{\"hello\":1}".to_vec(), Some(WEBHOOK_SECRET)).await, StatusCode::BAD_REQUEST);
    let huge = json!({"update_id": 1, "message": {"text": "x".repeat(300 * 1024)}}).to_string().into_bytes();
    assert_eq!(app.post_raw(huge, Some(WEBHOOK_SECRET)).await, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(env.erp.request_count(), 0);
}

#[tokio::test]
async fn a_duplicate_update_is_acted_on_once() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    let update = updates::command(env.uid(), USER, "/start");
    assert_eq!(app.post(&update).await, StatusCode::OK);
    assert_eq!(app.post(&update).await, StatusCode::OK);
    assert_eq!(env.texts(USER).len(), 1);
}

#[tokio::test]
async fn edited_messages_and_unknown_kinds_are_acknowledged_without_action() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    assert_eq!(app.post(&updates::edited_text(env.uid(), USER, "AB1234567")).await, StatusCode::OK);
    let unknown = json!({"update_id": env.uid(), "some_future_kind": {"id": 1}});
    assert_eq!(app.post(&unknown).await, StatusCode::OK);
    let poll = json!({"update_id": env.uid(), "poll": {"id": "1", "question": "?", "options": [], "total_voter_count": 0, "is_closed": false, "is_anonymous": true, "type": "regular", "allows_multiple_answers": false}});
    assert_eq!(app.post(&poll).await, StatusCode::OK);
    assert!(env.tg.calls_to("sendMessage").is_empty());
    assert_eq!(env.erp.request_count(), 0);
}

#[tokio::test]
async fn a_group_is_told_once_that_the_bot_works_in_private_chats() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    let group = -100_555;
    for text in ["/start", "AB1234567", "hello"] {
        assert_eq!(app.post(&updates::group_text(env.uid(), USER, group, text)).await, StatusCode::OK);
    }
    assert_eq!(env.texts(group), vec![say(Msg::PrivateOnly)]);
    assert_eq!(env.erp.request_count(), 0, "no ERPNext call for a group");
}

#[tokio::test]
async fn a_photo_or_sticker_where_text_was_expected_gets_a_hint() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::photo(env.uid(), USER)).await;
    assert_eq!(env.last_text(USER), say(Msg::TextExpected));
    app.post(&updates::sticker(env.uid(), USER)).await;
    assert_eq!(env.last_text(USER), say(Msg::TextExpected));
}

#[tokio::test]
async fn health_and_readiness() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    assert_eq!(app.get("/healthz").await, StatusCode::OK);
    assert_eq!(app.get("/readyz").await, StatusCode::OK);
    assert_eq!(app.get("/nope").await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_user_who_blocks_the_bot_is_remembered_until_they_return() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    let mark = format!("{}:unreachable:{USER}", env.prefix);
    app.post(&updates::my_chat_member(env.uid(), USER, "kicked")).await;
    assert_eq!(env.redis.raw(&["EXISTS", &mark]).await, ":1");
    app.post(&updates::my_chat_member(env.uid(), USER, "member")).await;
    assert_eq!(env.redis.raw(&["EXISTS", &mark]).await, ":0");
    // A 403 on a reply marks the chat too; writing again clears it.
    env.tg.block_chat(USER);
    app.post(&updates::command(env.uid(), USER, "/help")).await;
    assert_eq!(env.redis.raw(&["EXISTS", &mark]).await, ":1");
    env.tg.unblock_chat(USER);
    app.post(&updates::command(env.uid(), USER, "/help")).await;
    assert_eq!(env.redis.raw(&["EXISTS", &mark]).await, ":0");
    assert_eq!(env.last_text(USER), say(Msg::Help { support: Some(SUPPORT.into()) }));
}

#[tokio::test]
async fn dynamic_text_is_escaped_for_html() {
    let env = TestEnv::new().await;
    env.erp.set_field("Customer", CUSTOMER, "customer_name", json!("Ali <b>&</b> Sons"));
    let app = env.start_app_with(&[("AUTH_REQUIRE_PHONE", "false")]).await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    app.post(&updates::text(env.uid(), USER, PASSPORT)).await;
    let text = env.last_text(USER);
    assert!(text.contains("Ali &lt;b&gt;&amp;&lt;/b&gt; Sons"), "{text}");
}
