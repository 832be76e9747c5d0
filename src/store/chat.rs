//! The chat record: one Redis hash per chat, with a schema version.
//!
//! Fields: `v` (schema version), `state` (JSON of [`State`]), `lang`, `failures` (JSON list of
//! unix times), `reminders`; `rev` and `writer` (the revision and its writer's token, kept
//! by [`super::begin`]). A record that cannot be decoded resets the conversation to the start — the
//! user is told — instead of locking anyone out; the language survives when it can be read.

use std::collections::HashMap;

use deadpool_redis::redis;

use super::{Store, StoreError};
use crate::conversation::{Chat, State};
use crate::i18n::Lang;

/// Bump when [`State`]'s stored shape changes incompatibly.
pub const SCHEMA_VERSION: &str = "1";

/// A chat record as read from Redis.
#[derive(Debug, PartialEq, Eq)]
pub struct Loaded {
    pub chat: Chat,
    /// True when a stored record could not be decoded and was replaced by a fresh start.
    pub reset: bool,
    /// True when nothing was stored for this chat.
    pub fresh: bool,
    /// The record's revision as read (`"0"` when none): the chat is saved over it only
    /// ([`super::begin`]).
    pub rev: String,
}

/// Decodes a hash as read with HGETALL (an empty map: nothing stored).
pub fn decode(user_id: i64, fields: &HashMap<String, String>, default_lang: Lang) -> Loaded {
    let rev = fields.get("rev").cloned().unwrap_or_else(|| "0".to_owned());
    if fields.is_empty() {
        return Loaded { chat: Chat::new(user_id, default_lang), reset: false, fresh: true, rev };
    }
    let reminders_off = fields.get("reminders").is_some_and(|r| r == "off");
    let lang = fields.get("lang").and_then(|l| Lang::from_code(l)).unwrap_or(default_lang);
    let failures: Option<Vec<i64>> = fields.get("failures").map_or(Some(Vec::new()), |f| serde_json::from_str(f).ok());
    let state: Option<State> = match fields.get("v").map(String::as_str) {
        Some(SCHEMA_VERSION) => fields.get("state").and_then(|s| serde_json::from_str(s).ok()),
        _ => None,
    };
    match (state, failures) {
        (Some(state), Some(failures)) => {
            Loaded { chat: Chat { user_id, state, lang, failures, reminders_off }, reset: false, fresh: false, rev }
        }
        (_, failures) => Loaded {
            chat: Chat { user_id, state: State::New, lang, failures: failures.unwrap_or_default(), reminders_off },
            reset: true,
            fresh: false,
            rev,
        },
    }
}

/// The hash fields for a chat.
pub fn encode(chat: &Chat) -> Vec<(&'static str, String)> {
    vec![
        ("v", SCHEMA_VERSION.to_owned()),
        ("state", serde_json::to_string(&chat.state).unwrap_or_else(|_| "{\"kind\":\"new\"}".into())),
        ("lang", chat.lang.code().to_owned()),
        ("failures", serde_json::to_string(&chat.failures).unwrap_or_else(|_| "[]".into())),
        ("reminders", if chat.reminders_off { "off" } else { "on" }.to_owned()),
    ]
}

impl Store {
    /// Loads the chat for an input from its user, and clears its unreachable mark in the same
    /// round trip: a user who writes can be written to.
    pub async fn load_chat_for_input(&self, chat_id: i64, default_lang: Lang) -> Result<Loaded, StoreError> {
        let key = self.keys.chat(chat_id);
        let mark = self.keys.unreachable(chat_id);
        let (fields,): (HashMap<String, String>,) = self
            .run_retrying("load_chat", || {
                let mut p = redis::pipe();
                p.cmd("HGETALL").arg(&key);
                p.cmd("DEL").arg(&mark).ignore();
                p
            })
            .await?;
        Ok(decode(chat_id, &fields, default_lang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::Session;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_chat_round_trips() {
        let chat = Chat {
            user_id: 7,
            state: State::Linked(Session {
                customer: "CUST-1".into(),
                name: "Ali".into(),
                passport_masked: "AB*****67".into(),
                phone_masked: None,
                contracts: vec!["SO-1".into()],
            }),
            lang: Lang::Ru,
            failures: vec![1, 2],
            reminders_off: true,
        };
        let fields: HashMap<String, String> = encode(&chat).into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let loaded = decode(7, &fields, Lang::En);
        assert_eq!(loaded, Loaded { chat, reset: false, fresh: false, rev: "0".into() });
    }

    #[test]
    fn nothing_stored_is_a_fresh_chat() {
        let loaded = decode(7, &HashMap::new(), Lang::En);
        assert!(loaded.fresh && !loaded.reset);
        assert_eq!(loaded.chat.state, State::New);
        assert_eq!(loaded.chat.lang, Lang::En);
    }

    #[test]
    fn garbage_resets_to_the_start_and_keeps_the_language() {
        for fields in [
            map(&[("v", "1"), ("state", "{not json"), ("lang", "ru")]),
            map(&[("v", "99"), ("state", "{\"kind\":\"new\"}"), ("lang", "ru")]),
            map(&[("state", "{\"kind\":\"linked\"}"), ("lang", "ru")]),
            map(&[("v", "1"), ("state", "{\"kind\":\"awaiting_passport\"}"), ("lang", "ru"), ("failures", "x")]),
        ] {
            let loaded = decode(7, &fields, Lang::En);
            assert!(loaded.reset, "{fields:?}");
            assert_eq!(loaded.chat.state, State::New);
            assert_eq!(loaded.chat.lang, Lang::Ru);
        }
    }

    #[test]
    fn stored_fields_hold_no_full_identifiers() {
        let chat = Chat {
            user_id: 7,
            state: State::AwaitingContact { customer: "CUST-1".into() },
            lang: Lang::Uz,
            failures: vec![],
            reminders_off: false,
        };
        let dump = format!("{:?}", encode(&chat));
        assert!(!dump.contains("AB1234567") && !dump.contains("998"));
    }
}
