//! Builders of Telegram `Update` JSON exactly as Telegram's webhook delivers it. Every builder
//! takes the `update_id` first; private chats have `chat.id == user_id`; users are "Ali" with
//! `language_code` "ru" unless said otherwise. Message ids are derived from the update id.

use serde_json::{Value, json};

/// The bot as it appears in messages it sent (same as the fake Telegram's `getMe`).
fn bot() -> Value {
    json!({"id": 123456, "is_bot": true, "first_name": "Test Bot", "username": "test_bot"})
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn message_id(update_id: i64) -> i64 {
    1 + update_id.rem_euclid(1_000_000)
}

pub fn user(user_id: i64, lang: &str) -> Value {
    json!({"id": user_id, "is_bot": false, "first_name": "Ali", "username": format!("ali{user_id}"), "language_code": lang})
}

pub fn private_chat(user_id: i64) -> Value {
    json!({"id": user_id, "first_name": "Ali", "username": format!("ali{user_id}"), "type": "private"})
}

/// A message in the user's private chat with `extra` fields (text, contact, photo...).
fn private_message(update_id: i64, user_id: i64, lang: &str, extra: Value) -> Value {
    let mut m = json!({
        "message_id": message_id(update_id),
        "from": user(user_id, lang),
        "chat": private_chat(user_id),
        "date": now(),
    });
    if let (Value::Object(m), Value::Object(extra)) = (&mut m, extra) {
        m.extend(extra);
    }
    m
}

pub fn text(update_id: i64, user_id: i64, text: &str) -> Value {
    text_lang(update_id, user_id, text, "ru")
}

pub fn text_lang(update_id: i64, user_id: i64, text: &str, lang: &str) -> Value {
    json!({"update_id": update_id, "message": private_message(update_id, user_id, lang, json!({"text": text}))})
}

/// A command such as "/start" or "/start payload", with its `bot_command` entity.
pub fn command(update_id: i64, user_id: i64, command: &str) -> Value {
    let word = command.split_whitespace().next().unwrap_or(command);
    let length = word.encode_utf16().count();
    let extra = json!({"text": command, "entities": [{"offset": 0, "length": length, "type": "bot_command"}]});
    json!({"update_id": update_id, "message": private_message(update_id, user_id, "ru", extra)})
}

/// A shared contact; `contact_user_id` is `Some(user_id)` when users share their own number.
pub fn contact(update_id: i64, user_id: i64, phone: &str, contact_user_id: Option<i64>) -> Value {
    let mut contact = json!({"phone_number": phone, "first_name": "Ali"});
    if let Some(id) = contact_user_id {
        contact["user_id"] = json!(id);
    }
    json!({"update_id": update_id, "message": private_message(update_id, user_id, "ru", json!({"contact": contact}))})
}

/// A button press on the bot's message `message_id` in the user's private chat.
pub fn callback(update_id: i64, user_id: i64, data: &str, message_id: i64) -> Value {
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("{}", 4_382_000_000_000_000_000_i64 + update_id.rem_euclid(1_000_000_000)),
            "from": user(user_id, "ru"),
            "message": {
                "message_id": message_id,
                "from": bot(),
                "chat": private_chat(user_id),
                "date": now() - 60,
                "text": "…",
                "reply_markup": {"inline_keyboard": [[{"text": "…", "callback_data": data}]]},
            },
            "chat_instance": format!("-{}", 7_000_000_000_000_000_000_i64 + user_id.rem_euclid(1_000_000_000)),
            "data": data,
        }
    })
}

pub fn photo(update_id: i64, user_id: i64) -> Value {
    let size = |w: i64, h: i64, n: i64| json!({"file_id": format!("AgACAgIAAxkBAAIB{n}"), "file_unique_id": format!("AQADs{n}"), "file_size": w * h / 10, "width": w, "height": h});
    let extra = json!({"photo": [size(90, 67, 1), size(320, 240, 2), size(800, 600, 3)]});
    json!({"update_id": update_id, "message": private_message(update_id, user_id, "ru", extra)})
}

pub fn sticker(update_id: i64, user_id: i64) -> Value {
    let sticker = json!({
        "width": 512, "height": 512, "emoji": "👍", "set_name": "HotCherry",
        "is_animated": false, "is_video": false, "type": "regular",
        "file_id": "CAACAgIAAxkBAAIBZ2", "file_unique_id": "AgADkQADwDZPEw", "file_size": 24_312,
    });
    json!({"update_id": update_id, "message": private_message(update_id, user_id, "ru", json!({"sticker": sticker}))})
}

pub fn group_text(update_id: i64, user_id: i64, group_chat_id: i64, text: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": message_id(update_id),
            "from": user(user_id, "ru"),
            "chat": {"id": group_chat_id, "title": "Test Group", "type": "group", "all_members_are_administrators": true},
            "date": now(),
            "text": text,
        }
    })
}

pub fn edited_text(update_id: i64, user_id: i64, text: &str) -> Value {
    let mut m = private_message(update_id, user_id, "ru", json!({"text": text, "edit_date": now()}));
    m["date"] = json!(now() - 30);
    json!({"update_id": update_id, "edited_message": m})
}

/// The user blocked ("kicked") or unblocked ("member") the bot in their private chat.
pub fn my_chat_member(update_id: i64, user_id: i64, new_status: &str) -> Value {
    let member = |status: &str| {
        let mut m = json!({"user": bot(), "status": status});
        if status == "kicked" {
            m["until_date"] = json!(0);
        }
        m
    };
    let old_status = if new_status == "kicked" { "member" } else { "kicked" };
    json!({
        "update_id": update_id,
        "my_chat_member": {
            "chat": private_chat(user_id),
            "from": user(user_id, "ru"),
            "date": now(),
            "old_chat_member": member(old_status),
            "new_chat_member": member(new_status),
        }
    })
}
