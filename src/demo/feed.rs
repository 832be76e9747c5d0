//! The demo chat's history: what the visitor sent, what the bot did through the Bot API
//! sandbox (messages, edits, deletions, documents, button answers) and notes about what
//! "ERPNext" did. The page long-polls it; `seq` orders everything.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::sandbox::telegram::{Call, chat_of};

/// Events kept for all chats together; the oldest go first (a demo runs for minutes).
const CAPACITY: usize = 20_000;

#[derive(Default)]
struct Log {
    last_seq: u64,
    events: VecDeque<(i64, Value)>,
    closed: bool,
}

#[derive(Default)]
pub struct Feed {
    log: Mutex<Log>,
    changed: Notify,
}

impl Feed {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends an event of `chat` (an object with `kind`), numbering it.
    pub fn push(&self, chat: i64, mut event: Value) {
        {
            let mut log = self.log();
            log.last_seq += 1;
            event["seq"] = json!(log.last_seq);
            if log.events.len() == CAPACITY {
                log.events.pop_front();
            }
            log.events.push_back((chat, event));
        }
        self.changed.notify_waiters();
    }

    pub fn note(&self, chat: i64, text: impl Into<String>) {
        self.push(chat, json!({"kind": "note", "text": text.into()}));
    }

    /// Events of `chat` after `after`, and the sequence number to ask from next.
    pub fn since(&self, chat: i64, after: u64) -> (Vec<Value>, u64) {
        let log = self.log();
        let events = log
            .events
            .iter()
            .filter(|(c, e)| *c == chat && e["seq"].as_u64().is_some_and(|s| s > after))
            .map(|(_, e)| e.clone())
            .collect();
        (events, log.last_seq.max(after))
    }

    /// Like [`Feed::since`], but waits up to `wait` for something to arrive (a long poll).
    pub async fn wait(&self, chat: i64, after: u64, wait: Duration) -> (Vec<Value>, u64) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let (events, next) = self.since(chat, after);
            if !events.is_empty() || self.log().closed {
                return (events, next);
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return (events, next);
            }
        }
    }

    /// Ends every long poll now and from now on (the demo is stopping).
    pub fn close(&self) {
        self.log().closed = true;
        self.changed.notify_waiters();
    }

    /// Records what the bot did, from a call the Bot API sandbox answered.
    pub fn observe(&self, call: &Call) {
        if let Some((chat, event)) = event_of(call) {
            self.push(chat, event);
        }
    }
}

/// The callback query ids the demo makes: `<chat>:<n>`, so an answer finds its chat.
pub fn callback_id(chat: i64, n: u64) -> String {
    format!("{chat}:{n}")
}

/// `reply_markup` as an object (teloxide sends JSON; form-encoded calls carry a string).
fn markup(params: &Value) -> Value {
    match params.get("reply_markup") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

fn message_id(params: &Value) -> Option<i64> {
    match params.get("message_id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The page's event for a successful call, with the chat it belongs to.
fn event_of(call: &Call) -> Option<(i64, Value)> {
    if !call.ok {
        return None;
    }
    let p = &call.params;
    let text = |field: &str| p.get(field).and_then(Value::as_str).map(str::to_string);
    let now = chrono::Utc::now().timestamp();
    let event = match call.method.as_str() {
        "answerCallbackQuery" => {
            let chat = text("callback_query_id")?.split_once(':')?.0.parse().ok()?;
            let alert =
                matches!(p.get("show_alert"), Some(Value::Bool(true))) || text("show_alert").as_deref() == Some("true");
            return Some((chat, json!({"kind": "toast", "text": text("text").unwrap_or_default(), "alert": alert})));
        }
        "sendMessage" => json!({
            "kind": "message", "from": "bot", "id": call.result.get("message_id"), "html": text("text"),
            "reply_markup": markup(p), "date": now,
        }),
        "editMessageText" => {
            json!({"kind": "edit", "id": message_id(p), "html": text("text"), "reply_markup": markup(p)})
        }
        "editMessageReplyMarkup" => json!({"kind": "markup", "id": message_id(p), "reply_markup": markup(p)}),
        "deleteMessage" => json!({"kind": "delete", "id": message_id(p)}),
        "sendDocument" => {
            let document = call.result.get("document")?;
            let file_id = document.get("file_id").and_then(Value::as_str)?;
            json!({
                "kind": "document", "from": "bot", "id": call.result.get("message_id"),
                "file_name": document.get("file_name"), "size": document.get("file_size"),
                "caption_html": text("caption"), "url": format!("/demo/api/files/{file_id}"), "date": now,
            })
        }
        _ => return None,
    };
    Some((chat_of(p)?, event))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(method: &str, params: Value, result: Value) -> Call {
        Call { method: method.into(), params, ok: true, result, at: std::time::SystemTime::now() }
    }

    #[test]
    fn bot_calls_become_events_of_their_chat_in_order() {
        let feed = Feed::default();
        feed.observe(&call("sendMessage", json!({"chat_id": 7, "text": "<b>Hi</b>"}), json!({"message_id": 3})));
        feed.observe(&call("answerCallbackQuery", json!({"callback_query_id": "7:1", "text": "Old"}), json!(true)));
        feed.observe(&call("sendMessage", json!({"chat_id": 8, "text": "other chat"}), json!({"message_id": 1})));
        feed.observe(&call("deleteMessage", json!({"chat_id": "7", "message_id": "2"}), json!(true)));
        let (events, next) = feed.since(7, 0);
        let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert_eq!(kinds, ["message", "toast", "delete"]);
        assert_eq!(events[0]["id"], 3);
        assert_eq!(events[0]["html"], "<b>Hi</b>");
        assert_eq!(events[2]["id"], 2);
        assert_eq!(next, 4);
        assert!(feed.since(7, 4).0.is_empty());
        assert_eq!(feed.since(8, 0).0.len(), 1);
    }

    #[test]
    fn failed_calls_and_other_methods_are_not_shown() {
        let feed = Feed::default();
        let mut failed = call("sendMessage", json!({"chat_id": 7, "text": "x"}), Value::Null);
        failed.ok = false;
        feed.observe(&failed);
        feed.observe(&call("setMyCommands", json!({"commands": []}), json!(true)));
        assert_eq!(feed.since(7, 0), (vec![], 0));
    }

    #[tokio::test]
    async fn a_long_poll_wakes_when_the_chat_gets_an_event() {
        let feed = std::sync::Arc::new(Feed::default());
        let waiter = tokio::spawn({
            let feed = feed.clone();
            async move { feed.wait(7, 0, Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        feed.note(8, "someone else's");
        feed.note(7, "yours");
        let (events, next) = tokio::time::timeout(Duration::from_secs(2), waiter)
            .await
            .expect("the poll returns once the chat has an event")
            .expect("the poll task");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["text"], "yours");
        assert_eq!(next, 2);
    }

    #[tokio::test]
    async fn closing_ends_waiting_polls() {
        let feed = std::sync::Arc::new(Feed::default());
        let waiter = tokio::spawn({
            let feed = feed.clone();
            async move { feed.wait(7, 0, Duration::from_secs(30)).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        feed.close();
        let result = tokio::time::timeout(Duration::from_secs(2), waiter).await;
        assert!(result.is_ok(), "a closed feed must not hold a poll");
    }
}
