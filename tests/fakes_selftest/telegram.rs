//! Fake Telegram self-tests: teloxide-core talks to it, raw HTTP answers, fault injection.

use crate::common::fake_telegram::{self, FakeTelegram, TgFault};
use serde_json::{Value, json};
use std::time::Duration;

fn bot(tg: &FakeTelegram) -> teloxide_core::Bot {
    teloxide_core::Bot::new(fake_telegram::TOKEN).set_api_url(tg.api_url().parse().expect("url"))
}

#[tokio::test]
async fn telegram_speaks_to_teloxide() {
    use teloxide_core::requests::Requester;
    use teloxide_core::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ParseMode};
    use teloxide_core::{ApiError, RequestError, payloads::SendMessageSetters};
    let tg = FakeTelegram::start().await.expect("start the fake Bot API");
    let bot = bot(&tg);
    let me = bot.get_me().await.expect("getMe");
    assert_eq!((me.id.0, me.username()), (fake_telegram::BOT_ID as u64, "test_bot"));

    let kb = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Pay", "p:SO-1")]]);
    let m = bot
        .send_message(ChatId(42), "<b>Hi</b> &amp; bye")
        .parse_mode(ParseMode::Html)
        .reply_markup(kb)
        .await
        .expect("send");
    assert_eq!((m.id.0, m.text()), (1, Some("<b>Hi</b> &amp; bye")));
    assert!(m.reply_markup().is_some());
    assert_eq!(tg.calls_to("sendMessage").len(), 1, "SendMessage recorded as sendMessage");
    bot.edit_message_text(ChatId(42), m.id, "edited").await.expect("edit");
    assert_eq!(tg.sent_texts(42), ["<b>Hi</b> &amp; bye", "edited"]);
    let again = bot.edit_message_text(ChatId(42), m.id, "edited").await;
    assert!(matches!(again, Err(RequestError::Api(ApiError::MessageNotModified))), "{again:?}");

    let bad = bot.send_message(ChatId(42), "1 < 2").parse_mode(ParseMode::Html).await;
    assert!(matches!(bad, Err(RequestError::Api(ApiError::CantParseEntities(_)))), "{bad:?}");

    tg.block_chat(7);
    let blocked = bot.send_message(ChatId(7), "hi").await;
    assert!(matches!(blocked, Err(RequestError::Api(ApiError::BotBlocked))), "{blocked:?}");
    tg.fail_next("sendMessage", 1, TgFault::TooManyRequests { retry_after: 3 });
    let limited = bot.send_message(ChatId(42), "hi").await;
    assert!(matches!(limited, Err(RequestError::RetryAfter(s)) if s.seconds() == 3), "{limited:?}");
    assert!(!tg.calls().last().expect("call").ok);

    let doc =
        bot.send_document(ChatId(42), InputFile::memory(b"%PDF-1.4".to_vec()).file_name("a.pdf")).await.expect("doc");
    assert!(doc.document().is_some());
    let params = tg.calls_to("sendDocument")[0].params.clone();
    assert_eq!((params["chat_id"].as_i64(), params["document"]["file_name"].as_str()), (Some(42), Some("a.pdf")));
    assert_eq!(tg.wait_for("sendDocument", 1, Duration::from_secs(1)).await.len(), 1);
}

#[tokio::test]
async fn telegram_raw_http_answers() {
    let tg = FakeTelegram::start().await.expect("start the fake Bot API");
    let client = reqwest::Client::new();
    let call = |token: &str, method: &str, body: Value| {
        client.post(format!("{}/bot{token}/{method}", tg.api_url())).json(&body).send()
    };
    let resp = call(fake_telegram::TOKEN, "SENDMESSAGE", json!({"chat_id": 5, "text": "x"})).await.expect("send");
    assert_eq!(resp.status().as_u16(), 200);
    let resp = call("1:wrong", "sendMessage", json!({})).await.expect("send");
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(
        resp.json::<Value>().await.expect("json"),
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    let resp = call(fake_telegram::TOKEN, "sendTelepathy", json!({})).await.expect("send");
    assert_eq!(resp.status().as_u16(), 404);
    tg.fail_next(
        "answercallbackquery",
        1,
        TgFault::BadRequest("Bad Request: query is too old and response timeout expired or query ID is invalid".into()),
    );
    let resp =
        call(fake_telegram::TOKEN, "answerCallbackQuery", json!({"callback_query_id": "1"})).await.expect("send");
    assert_eq!(resp.status().as_u16(), 400);
    let hook = json!({"url": "https://bot.example.com/telegram/webhook", "secret_token": "s3cr3t_-", "allowed_updates": ["message"]});
    let resp = call(fake_telegram::TOKEN, "setWebhook", hook).await.expect("send");
    assert_eq!(resp.json::<Value>().await.expect("json"), json!({"ok": true, "result": true}));
    let resp =
        call(fake_telegram::TOKEN, "setWebhook", json!({"url": "http://bot.example.com:8080/"})).await.expect("send");
    assert_eq!(resp.status().as_u16(), 400);
    let info = call(fake_telegram::TOKEN, "getWebhookInfo", json!({}))
        .await
        .expect("send")
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(info["result"]["url"], "https://bot.example.com/telegram/webhook");
    assert_eq!(info["result"]["allowed_updates"], json!(["message"]));
    let methods: Vec<String> = tg.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(
        methods,
        ["sendMessage", "sendTelepathy", "answerCallbackQuery", "setWebhook", "setWebhook", "getWebhookInfo"]
    );
}
