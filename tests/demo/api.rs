//! The demo through its HTTP API, as the page's script uses it: linking, a contract card, a
//! payment posted "as ERPNext", the reminder pass — and the refusals.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::redis::TestRedis;
use crate::process::{Chat, Demo, NO_REDIS, buttons};

/// Links demo customer 1 in `chat` and returns the message that confirmed it.
pub async fn link(chat: &mut Chat<'_>) -> Value {
    chat.say("/start").await;
    chat.bot_says("passport").await;
    chat.say("AA1234567").await;
    let ask = chat.bot_says("share your phone number").await;
    let share = buttons(&ask["reply_markup"]);
    assert!(ask["reply_markup"].to_string().contains("\"request_contact\":true"), "{ask}");
    assert!(!share.is_empty());
    chat.share_phone("CUST-DEMO-0001").await;
    chat.bot_says("Your account is linked").await
}

#[tokio::test]
async fn a_visitor_links_an_account_opens_a_contract_pays_and_gets_reminders() {
    let demo = Demo::start(&[("REDIS_URL", NO_REDIS)]).await;
    let first = demo.output().into_iter().find(|l| !l.trim().is_empty()).unwrap_or_default();
    assert!(first.contains("in-memory store"), "the first log line names the store: {first}");

    let page = demo.get("/demo").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap_or("").contains("default-src 'self'"));
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("/demo/assets/app.js") && html.contains("viewport"), "{html}");
    for asset in ["/demo/assets/app.js", "/demo/assets/app.css"] {
        assert_eq!(demo.get(asset).await.status(), 200, "{asset}");
    }
    let info: Value = demo.get("/demo/api/info").await.json().await.expect("info is JSON");
    assert_eq!(info["customers"].as_array().map(Vec::len), Some(3), "{info}");
    assert_eq!(info["customers"][0]["passport"], "AA1234567");
    assert_eq!(info["bot"]["username"], "demo_shop_bot", "the sandbox bot has the demo's name: {info}");

    let mut chat = Chat::new(&demo, 424_242_001);
    let linked = link(&mut chat).await;
    // The visitor's passport message is part of the feed, as it is of a Telegram chat.
    assert!(chat.events.iter().any(|e| e["from"] == "user" && e["text"] == "AA1234567"));
    let menu = buttons(&linked["reply_markup"]);
    let contracts = menu.iter().find(|(t, _)| t.contains("My contracts")).expect("a contracts button").0.clone();

    chat.say(&contracts).await;
    let list = chat.bot_says("Your contracts").await;
    let (_, data) = buttons(&list["reply_markup"])
        .into_iter()
        .find(|(t, _)| t.contains("SO-DEMO-00001"))
        .expect("the phone contract is listed");
    let list_id = list["id"].as_i64().expect("message id");
    chat.press(&data.expect("callback data"), list_id).await;
    let card = chat
        .wait_for("the contract card", |e| e["html"].as_str().is_some_and(|t| t.contains("Samsung Galaxy A55")))
        .await;
    let card_html = card["html"].as_str().unwrap_or_default();
    assert!(
        card_html.contains("7 550 000") && card_html.contains("1 550 000"),
        "total with mark-up and down payment: {card_html}"
    );

    let (status, body) = demo.post("/demo/api/pay", json!({"chat": chat.id})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["note"].as_str().is_some_and(|n| n.contains("SO-DEMO-00001")), "{body}");
    let receipt = chat.bot_says("Payment received").await;
    assert!(receipt["html"].as_str().is_some_and(|t| t.contains("SO-DEMO-00001")), "{receipt}");

    let (status, body) = demo.post("/demo/api/reminders", json!({"chat": chat.id})).await;
    assert_eq!(status, 200, "{body}");
    let note = body["note"].as_str().unwrap_or_default().to_string();
    assert!(note.contains("planned") && !note.contains(" 0 sent"), "{note}");
    // Aziza's washing machine instalment falls due today.
    let reminder = chat.bot_says("Due today").await;
    assert!(reminder["html"].as_str().is_some_and(|t| t.contains("SO-DEMO-00002")), "{reminder}");
    let (_, again) = demo.post("/demo/api/reminders", json!({"chat": chat.id})).await;
    assert!(again["note"].as_str().is_some_and(|n| n.contains("already ran")), "once a day: {again}");

    let status = demo.stop().await;
    assert!(status.success(), "SIGTERM stops the demo cleanly: {status}");
}

#[tokio::test]
async fn the_contract_pdf_is_a_download_and_a_new_chat_can_link_the_same_customer() {
    let demo = Demo::start(&[("REDIS_URL", NO_REDIS)]).await;
    let mut chat = Chat::new(&demo, 424_242_002);
    link(&mut chat).await;
    chat.say("📄 My contracts").await;
    let list = chat.bot_says("Your contracts").await;
    let (_, data) =
        buttons(&list["reply_markup"]).into_iter().find(|(t, _)| t.contains("SO-DEMO-00002")).expect("listed");
    chat.press(&data.expect("data"), list["id"].as_i64().expect("id")).await;
    let card = chat.bot_says("LG washing machine").await;
    let (_, pdf) = buttons(&card["reply_markup"]).into_iter().find(|(t, _)| t.contains("PDF")).expect("a PDF button");
    chat.press(&pdf.expect("data"), card["id"].as_i64().expect("id")).await;
    let document = chat.wait_for("the contract document", |e| e["kind"] == "document").await;
    let url = document["url"].as_str().expect("a download URL");
    let file = demo.get(url).await;
    assert_eq!(file.status(), 200);
    assert!(file.headers()["content-disposition"].to_str().unwrap_or("").starts_with("attachment"));
    assert!(file.bytes().await.expect("bytes").starts_with(b"%PDF"), "the sandbox's PDF arrives as sent");

    // A second chat may not take the account while the first holds it; "New chat" frees it.
    let mut other = Chat::new(&demo, 424_242_003);
    other.say("/start").await;
    other.say("AA1234567").await;
    other.bot_says("already linked to another Telegram account").await;
    let (status, _) = demo.post("/demo/api/reset", json!({"chat": chat.id})).await;
    assert_eq!(status, 200);
    other.say("AA1234567").await;
    other.bot_says("share your phone number").await;
    other.share_phone("CUST-DEMO-0001").await;
    other.bot_says("Your account is linked").await;
}

#[tokio::test]
async fn the_api_refuses_what_the_page_would_never_send() {
    let demo = Demo::start(&[("REDIS_URL", NO_REDIS)]).await;
    let (status, _) = demo.post("/demo/api/send", json!({"chat": -5, "text": "hi"})).await;
    assert_eq!(status, 400, "group or negative chats are not the page's");
    let (status, _) = demo.post("/demo/api/send", json!({"chat": 5, "text": "hi", "contact": "CUST-DEMO-0001"})).await;
    assert_eq!(status, 400, "one action at a time");
    let (status, body) = demo.post("/demo/api/pay", json!({"chat": 5})).await;
    assert_eq!(status, 409, "no account linked yet: {body}");
    assert_eq!(demo.get("/demo/api/files/nope").await.status(), 404);
    // The webhook itself still wants the secret: the page's path is the only way in.
    let r = reqwest::Client::new()
        .post(format!("{}/telegram/webhook", demo.base))
        .json(&json!({"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/start"}}))
        .send()
        .await
        .expect("webhook answers");
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_running_redis_is_used_under_the_demo_prefix() {
    let redis = TestRedis::start().await;
    let url = redis.url();
    redis.raw(&["SET", "erpbot-demo:chat:1", "left over from an earlier demo"]).await;
    let demo = Demo::start(&[("REDIS_URL", url.as_str())]).await;
    let first = demo.output().into_iter().find(|l| !l.trim().is_empty()).unwrap_or_default();
    assert!(first.contains("using Redis") && first.contains("removed=1"), "{first}");
    let mut chat = Chat::new(&demo, 424_242_004);
    link(&mut chat).await;
    let keys = redis.raw(&["KEYS", "erpbot-demo:chat:*"]).await;
    assert!(keys.contains("424242004"), "the chat record lives in Redis: {keys}");
}

#[tokio::test]
async fn the_demo_refuses_to_start_when_pointed_at_real_services() {
    let output = tokio::process::Command::new(crate::process::BIN)
        .arg("demo")
        .env_clear()
        .env("BOT_TOKEN", "123456:real-token")
        .env("ERP_BASE_URL", "https://erp.example.com")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .output();
    let output = tokio::time::timeout(Duration::from_secs(10), output).await.expect("exits at once").expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("BOT_TOKEN, ERP_BASE_URL") && stderr.contains("sandbox"), "{stderr}");
    assert!(!stderr.contains("real-token"), "values are not echoed: {stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).trim().is_empty(), "nothing started");
}
