//! Every update builder in `common::updates` produces JSON that teloxide-core 0.13 parses
//! into the intended `UpdateKind` (never `UpdateKind::Error`).

mod common;

use common::updates;
use serde_json::Value;
use teloxide_core::types::{ChatMemberKind, MessageEntityKind, Update, UpdateKind};

/// Parses from text as a webhook body arrives: teloxide's `UpdateKind` deserialiser does not
/// work through `serde_json::from_value` (every kind comes out as `UpdateKind::Error`).
fn parse(v: Value) -> Update {
    let text = v.to_string();
    let update: Update = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {v}"));
    assert!(!matches!(update.kind, UpdateKind::Error(_)), "unparsed update kind: {v}");
    update
}

fn message(v: Value) -> teloxide_core::types::Message {
    match parse(v).kind {
        UpdateKind::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn text_messages_parse() {
    let m = message(updates::text(1, 42, "hello"));
    assert_eq!(m.text(), Some("hello"));
    assert_eq!(m.chat.id.0, 42);
    assert!(m.chat.is_private());
    let from = m.from.expect("from");
    assert_eq!((from.id.0, from.language_code.as_deref()), (42, Some("ru")));

    let m = message(updates::text_lang(2, 42, "hi", "uz"));
    assert_eq!(m.from.and_then(|u| u.language_code), Some("uz".to_string()));
}

#[test]
fn command_has_bot_command_entity() {
    let m = message(updates::command(3, 42, "/start payload"));
    let entities = m.entities().expect("entities");
    assert_eq!(entities[0].kind, MessageEntityKind::BotCommand);
    assert_eq!((entities[0].offset, entities[0].length), (0, 6));
}

#[test]
fn contact_parses_with_and_without_user_id() {
    let m = message(updates::contact(4, 42, "998901234567", Some(42)));
    let c = m.contact().expect("contact");
    assert_eq!((c.phone_number.as_str(), c.user_id.map(|u| u.0)), ("998901234567", Some(42)));
    let m = message(updates::contact(5, 42, "+998901234567", None));
    assert_eq!(m.contact().expect("contact").user_id, None);
}

#[test]
fn callback_query_parses() {
    match parse(updates::callback(6, 42, "c:SO-1", 17)).kind {
        UpdateKind::CallbackQuery(q) => {
            assert_eq!(q.data.as_deref(), Some("c:SO-1"));
            assert_eq!(q.from.id.0, 42);
            let msg = q.message.expect("message");
            assert_eq!(msg.id().0, 17);
            assert_eq!(msg.chat().id.0, 42);
        }
        other => panic!("expected a callback query, got {other:?}"),
    }
}

#[test]
fn media_messages_parse() {
    assert!(message(updates::photo(7, 42)).photo().is_some());
    assert!(message(updates::sticker(8, 42)).sticker().is_some());
}

#[test]
fn group_and_edited_messages_parse() {
    let m = message(updates::group_text(9, 42, -1001, "hi all"));
    assert!(m.chat.is_group());
    assert_eq!(m.chat.id.0, -1001);
    match parse(updates::edited_text(10, 42, "fixed")).kind {
        UpdateKind::EditedMessage(m) => assert_eq!(m.text(), Some("fixed")),
        other => panic!("expected an edited message, got {other:?}"),
    }
}

#[test]
fn my_chat_member_parses_both_ways() {
    for (status, banned) in [("kicked", true), ("member", false)] {
        match parse(updates::my_chat_member(11, 42, status)).kind {
            UpdateKind::MyChatMember(u) => {
                assert_eq!(u.chat.id.0, 42);
                assert_eq!(matches!(u.new_chat_member.kind, ChatMemberKind::Banned(_)), banned);
                assert_eq!(matches!(u.old_chat_member.kind, ChatMemberKind::Banned(_)), !banned);
            }
            other => panic!("expected my_chat_member, got {other:?}"),
        }
    }
}

/// Documents a trap: `serde_json::from_value::<Update>` loses the kind; parse from text.
#[test]
fn from_value_loses_the_update_kind() {
    let parsed = serde_json::from_value::<Update>(updates::text(12, 42, "hi")).map(|u| u.kind);
    assert!(matches!(parsed, Ok(UpdateKind::Error(_)) | Err(_)));
}
