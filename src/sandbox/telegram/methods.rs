//! Per-method answers of the fake Telegram Bot API: faults first, then blocked chats, then
//! Telegram's own validation, then a result shaped as teloxide-core 0.13 expects it.

use super::body;
use super::{CHAT_METHODS, State, TgError, TgFault, bot_user, chat, chat_of, tg_error};
use serde_json::{Map, Value, json};
use std::collections::VecDeque;

pub(super) fn answer(st: &mut State, method: &str, p: &Map<String, Value>) -> Result<Value, TgError> {
    let bad = |d: String| tg_error(400, &d, None);
    if let Some(fault) = st.faults.get_mut(&method.to_ascii_lowercase()).and_then(VecDeque::pop_front) {
        return Err(match fault {
            TgFault::TooManyRequests { retry_after } => tg_error(
                429,
                &format!("Too Many Requests: retry after {retry_after}"),
                Some(json!({"retry_after": retry_after})),
            ),
            TgFault::BadRequest(d) => tg_error(400, &d, None),
            TgFault::Forbidden(d) => tg_error(403, &d, None),
        });
    }
    let pv = Value::Object(p.clone());
    let chat_id = chat_of(&pv);
    if CHAT_METHODS.contains(&method) {
        let Some(chat_id) = chat_id else {
            return Err(bad(match p.get("chat_id") {
                None => "Bad Request: chat_id is empty".into(),
                Some(_) => "Bad Request: chat not found".into(),
            }));
        };
        if st.blocked.contains(&chat_id) {
            return Err(tg_error(403, "Forbidden: bot was blocked by the user", None));
        }
    }
    let chat_id = chat_id.unwrap_or_default();
    let message_id = p.get("message_id").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
    let now = chrono::Utc::now().timestamp();
    let me = st.me.clone().unwrap_or_else(bot_user);
    let message = |id: i64, extra: Value| {
        let mut m = json!({"message_id": id, "date": now, "chat": chat(chat_id), "from": me.clone()});
        if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
            m.extend(extra);
        }
        m
    };
    Ok(match method {
        "getMe" => {
            let mut me = me.clone();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            me
        }
        "sendMessage" => {
            let text = body::check_text(p).map_err(bad)?;
            let markup = body::check_markup(p).map_err(bad)?;
            let counter = st.next_message_id.entry(chat_id).or_insert(0);
            *counter += 1;
            let id = *counter;
            st.messages.insert((chat_id, id), (text.clone(), markup.clone().unwrap_or(Value::Null)));
            let mut m = message(id, json!({"text": text}));
            if let Some(markup) = markup {
                m["reply_markup"] = markup;
            }
            m
        }
        "editMessageText" | "editMessageReplyMarkup" => {
            let Some(id) = message_id else {
                return Err(bad("Bad Request: message identifier is not specified".into()));
            };
            let markup = body::check_markup(p).map_err(bad)?;
            let old = st.messages.get(&(chat_id, id)).cloned();
            let text = if method == "editMessageText" {
                body::check_text(p).map_err(bad)?
            } else {
                old.as_ref().map(|(t, _)| t.clone()).unwrap_or_else(|| "…".into())
            };
            let new_markup = markup.clone().unwrap_or(Value::Null);
            if old.as_ref() == Some(&(text.clone(), new_markup.clone())) {
                return Err(bad("Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message".into()));
            }
            st.messages.insert((chat_id, id), (text.clone(), new_markup));
            let mut m = message(id, json!({"text": text, "edit_date": now}));
            if let Some(markup) = markup {
                m["reply_markup"] = markup;
            }
            m
        }
        "sendDocument" => {
            let counter = st.next_message_id.entry(chat_id).or_insert(0);
            *counter += 1;
            let id = *counter;
            let file_name = p.get("document").and_then(|d| d.get("file_name")).and_then(Value::as_str);
            let size = p.get("document").and_then(|d| d.get("size")).cloned().unwrap_or(json!(0));
            let document = json!({
                "file_id": format!("BQACAgIAAxkBAAI{id}"),
                "file_unique_id": format!("AgAD{id}"),
                "file_name": file_name.unwrap_or("document"),
                "mime_type": "application/octet-stream",
                "file_size": size,
            });
            let mut m = message(id, json!({"document": document}));
            if let Some(caption) = p.get("caption") {
                m["caption"] = caption.clone();
            }
            m
        }
        "setMyCommands" => {
            body::check_commands(p).map_err(bad)?;
            st.commands = p.get("commands").cloned().unwrap_or(json!([]));
            json!(true)
        }
        "getMyCommands" => st.commands.as_array().map_or(json!([]), |c| Value::Array(c.clone())),
        "deleteMyCommands" => {
            st.commands = json!([]);
            json!(true)
        }
        "answerCallbackQuery" => {
            if p.get("callback_query_id").is_none_or(|v| v.as_str().is_some_and(str::is_empty)) {
                return Err(bad("Bad Request: parameter \"callback_query_id\" is required".into()));
            }
            json!(true)
        }
        "setWebhook" => {
            body::check_webhook(p).map_err(bad)?;
            let url = p.get("url").and_then(Value::as_str).unwrap_or_default();
            st.webhook.clear();
            if !url.is_empty() {
                st.webhook.insert("url".into(), json!(url));
                st.webhook.insert("max_connections".into(), p.get("max_connections").cloned().unwrap_or(json!(40)));
                st.webhook.insert("ip_address".into(), json!("203.0.113.7"));
                if let Some(allowed) = p.get("allowed_updates") {
                    st.webhook.insert("allowed_updates".into(), allowed.clone());
                }
            }
            json!(true)
        }
        "deleteWebhook" => {
            st.webhook.clear();
            json!(true)
        }
        "getWebhookInfo" => {
            let mut info = json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0});
            if let Value::Object(m) = &mut info {
                m.extend(st.webhook.clone());
                m.extend(st.webhook_extra.clone());
            }
            info
        }
        // deleteMessage, sendChatAction, setChatMenuButton, setMyDescription, ...
        _ => json!(true),
    })
}
