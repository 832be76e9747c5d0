//! One round trip to start a private-chat update and one to end it.
//!
//! `begin` claims the `update_id`, takes the chat's lock, clears the unreachable mark and reads
//! the chat record in a single Lua script; `end` saves the record (when it changed and nobody
//! wrote it since it was read), releases the lock and marks the update done in another. Both
//! run under the update's [`Lease`] and may be sent again after a lost answer.
//!
//! The chat record carries a revision (`rev`) and the token of its last writer (`writer`):
//! `end` writes only over the revision `begin` read (compare and set), so a holder whose lease
//! lapsed while another replica took the chat cannot overwrite what that replica wrote. A
//! retried `end` whose first sending did write finds its own token and counts as written.

use std::collections::HashMap;

use deadpool_redis::redis::{self, FromRedisValue, Value};

use super::chat::{Loaded, decode, encode};
use super::lease::{LEASE_MS, Lease};
use super::updates::DONE_SECS;
use super::{Store, StoreError};
use crate::conversation::Chat;
use crate::i18n::Lang;

/// KEYS: claim, lock, chat, unreachable mark. ARGV: token, lease ms.
pub(crate) const BEGIN: &str = r"
local claim = redis.call('GET', KEYS[1])
if claim == 'd' then return {'done'} end
if claim and claim ~= 'p:' .. ARGV[1] then return {'in_progress'} end
redis.call('SET', KEYS[1], 'p:' .. ARGV[1], 'PX', ARGV[2])
local lock = redis.call('GET', KEYS[2])
if lock and lock ~= ARGV[1] then return {'busy'} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[4])
return {'ok', redis.call('HGETALL', KEYS[3])}";

/// KEYS: claim, lock, chat. ARGV: token, the revision read, done TTL (s), then the chat's
/// field/value pairs (none: nothing to save). Returns 1 saved, 0 nothing to save, -1 stale.
pub(crate) const END: &str = r"
local saved = 0
if #ARGV > 3 then
  if redis.call('HGET', KEYS[3], 'writer') == ARGV[1] then
    saved = 1
  else
    local rev = redis.call('HGET', KEYS[3], 'rev') or '0'
    if rev == ARGV[2] then
      redis.call('HSET', KEYS[3], unpack(ARGV, 4, #ARGV))
      redis.call('HSET', KEYS[3], 'rev', tostring((tonumber(rev) or 0) + 1), 'writer', ARGV[1])
      saved = 1
    else
      saved = -1
    end
  end
end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('SET', KEYS[1], 'd', 'EX', ARGV[3])
return saved";

/// How an update starts.
#[derive(Debug)]
pub enum Begin {
    /// Claimed, locked and loaded.
    Started { loaded: Box<Loaded> },
    /// Claimed, but another update of this chat holds the lock: wait for it.
    Busy,
    /// Already handled.
    Done,
    /// Being handled by another request.
    InProgress,
}

/// How an update ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Saved,
    /// Nothing to save.
    Unchanged,
    /// The chat was written by another holder since this update read it: this update's
    /// record was not saved (its lease had lapsed).
    Stale,
}

impl Store {
    /// Starts a private-chat update under `lease` (whose `chat_id` must be set).
    pub async fn begin(&self, lease: &Lease, default_lang: Lang) -> Result<Begin, StoreError> {
        let chat_id = lease.chat_id.unwrap_or(0);
        let keys = [
            self.keys.update(lease.update_id),
            self.keys.chat_lock(chat_id),
            self.keys.chat(chat_id),
            self.keys.unreachable(chat_id),
        ];
        let (reply,): (Vec<Value>,) = self
            .run_retrying("begin_update", || {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(BEGIN).arg(4).arg(&keys[..]).arg(lease.token()).arg(LEASE_MS);
                p
            })
            .await?;
        let status = reply.first().and_then(|v| String::from_redis_value(v.clone()).ok()).unwrap_or_default();
        Ok(match status.as_str() {
            "ok" => {
                let fields: HashMap<String, String> =
                    reply.get(1).and_then(|v| HashMap::from_redis_value(v.clone()).ok()).unwrap_or_default();
                Begin::Started { loaded: Box::new(decode(chat_id, &fields, default_lang)) }
            }
            "busy" => Begin::Busy,
            "done" => Begin::Done,
            _ => Begin::InProgress,
        })
    }

    /// Saves `chat` (when given) over the revision `rev` it was read at, releases the lock and
    /// marks the update done: retried while Redis is unavailable ([`Store::run_retrying`]).
    pub async fn end(&self, lease: &Lease, chat: Option<&Chat>, rev: &str) -> Result<Ended, StoreError> {
        let chat_id = lease.chat_id.unwrap_or(0);
        let keys = [self.keys.update(lease.update_id), self.keys.chat_lock(chat_id), self.keys.chat(chat_id)];
        let fields = chat.map(encode);
        let (saved,): (i64,) = self
            .run_retrying("end_update", || {
                let mut p = redis::pipe();
                p.cmd("EVAL").arg(END).arg(3).arg(&keys[..]).arg(lease.token()).arg(rev).arg(DONE_SECS);
                for (field, value) in fields.iter().flatten() {
                    p.arg(*field).arg(value);
                }
                p
            })
            .await?;
        Ok(match saved {
            1 => Ended::Saved,
            0 => Ended::Unchanged,
            _ => Ended::Stale,
        })
    }
}
