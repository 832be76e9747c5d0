//! One round trip to start a private-chat update and one to end it.
//!
//! `begin` claims the `update_id`, takes the chat's lock, clears the unreachable mark and reads
//! the chat record in a single Lua script; `end` saves the record (when it changed), releases
//! the lock and marks the update done in a single pipeline. The semantics are those of
//! [`super::updates`] and [`super::lock`]; only the round trips are fewer.

use std::collections::HashMap;

use deadpool_redis::redis::{self, FromRedisValue, Value};

use super::chat::{Loaded, decode, encode};
use super::lock::{ChatLock, LOCK_TTL_MS, UNLOCK};
use super::updates::{DONE_SECS, IN_PROGRESS_SECS};
use super::{Store, StoreError};
use crate::conversation::Chat;
use crate::i18n::Lang;

pub(crate) const BEGIN: &str = r"
if not redis.call('SET', KEYS[1], 'p', 'NX', 'EX', ARGV[3]) then
  if redis.call('GET', KEYS[1]) == 'd' then return {'done'} end
  return {'in_progress'}
end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'busy'} end
redis.call('DEL', KEYS[4])
return {'ok', redis.call('HGETALL', KEYS[3])}";

/// How an update starts.
#[derive(Debug)]
pub enum Begin {
    /// Claimed, locked and loaded.
    Started { lock: ChatLock, loaded: Box<Loaded> },
    /// Claimed, but another update of this chat holds the lock: wait for it.
    Busy,
    /// Already handled.
    Done,
    /// Being handled by another request.
    InProgress,
}

impl Store {
    pub async fn begin(&self, update_id: i64, chat_id: i64, default_lang: Lang) -> Result<Begin, StoreError> {
        let keys = [
            self.keys.update(update_id),
            self.keys.chat_lock(chat_id),
            self.keys.chat(chat_id),
            self.keys.unreachable(chat_id),
        ];
        let token = uuid::Uuid::new_v4().to_string();
        let (reply,): (Vec<Value>,) = self
            .run(|| {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(BEGIN).arg(4).arg(&keys[..]).arg(&token).arg(LOCK_TTL_MS).arg(IN_PROGRESS_SECS);
                p
            })
            .await?;
        let status = reply.first().and_then(|v| String::from_redis_value(v.clone()).ok()).unwrap_or_default();
        Ok(match status.as_str() {
            "ok" => {
                let fields: HashMap<String, String> =
                    reply.get(1).and_then(|v| HashMap::from_redis_value(v.clone()).ok()).unwrap_or_default();
                Begin::Started {
                    lock: ChatLock::new(chat_id, token),
                    loaded: Box::new(decode(chat_id, &fields, default_lang)),
                }
            }
            "busy" => Begin::Busy,
            "done" => Begin::Done,
            _ => Begin::InProgress,
        })
    }

    /// Saves `chat` (when given), releases the lock and marks the update done.
    pub async fn end(&self, update_id: i64, lock: ChatLock, chat: Option<&Chat>) -> Result<(), StoreError> {
        let (update, lock_key, chat_key) =
            (self.keys.update(update_id), self.keys.chat_lock(lock.chat_id()), self.keys.chat(lock.chat_id()));
        let fields = chat.map(encode);
        self.run_retrying::<()>("end_update", || {
            let mut p = redis::pipe();
            if let Some(fields) = &fields {
                p.cmd("HSET").arg(&chat_key);
                for (field, value) in fields {
                    p.arg(*field).arg(value);
                }
                p.ignore();
            }
            p.cmd("EVAL").arg(UNLOCK).arg(1).arg(&lock_key).arg(lock.token()).ignore();
            p.cmd("SET").arg(&update).arg("d").arg("EX").arg(DONE_SECS).ignore();
            p
        })
        .await
    }

    /// Gives the update back (Telegram's redelivery is processed) and releases the lock.
    pub async fn abort(&self, update_id: i64, lock: ChatLock) -> Result<(), StoreError> {
        let (update, lock_key) = (self.keys.update(update_id), self.keys.chat_lock(lock.chat_id()));
        self.run_retrying::<()>("abort_update", || {
            let mut p = redis::pipe();
            p.cmd("DEL").arg(&update).ignore();
            p.cmd("EVAL").arg(UNLOCK).arg(1).arg(&lock_key).arg(lock.token()).ignore();
            p
        })
        .await
    }
}
