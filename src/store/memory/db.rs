//! The keyspace: values by key, each with an optional expiry time, and the error replies every
//! command shares. No I/O and no clock: the time comes in as `now` (Unix milliseconds), so the
//! semantics can be tested at any instant.

use std::collections::{BTreeSet, HashMap};

use super::resp::{Bytes, Reply};
use super::streams::Stream;

/// Unix time in milliseconds.
pub(super) type Millis = i64;

/// What a key holds.
#[derive(Debug)]
pub(super) enum Value {
    Str(Bytes),
    /// Field–value pairs in insertion order, as a small Redis hash (a listpack) keeps them.
    Hash(Vec<(Bytes, Bytes)>),
    Set(BTreeSet<Bytes>),
    Stream(Stream),
}

#[derive(Debug)]
pub(super) struct Slot {
    pub(super) value: Value,
    pub(super) expires_at: Option<Millis>,
}

/// The whole data set (database 0; the only one there is).
#[derive(Debug, Default)]
pub(super) struct Db {
    slots: HashMap<Bytes, Slot>,
    /// Set by XADD, taken by the server to wake blocked readers.
    stream_added: bool,
}

/// A command's error reply: the text starts with the error code, as on the wire.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Fail(pub(super) String);

impl Fail {
    pub(super) fn err(message: impl std::fmt::Display) -> Fail {
        Fail(format!("ERR {message}"))
    }

    pub(super) fn syntax() -> Fail {
        Fail::err("syntax error")
    }

    pub(super) fn not_integer() -> Fail {
        Fail::err("value is not an integer or out of range")
    }

    pub(super) fn wrong_type() -> Fail {
        Fail("WRONGTYPE Operation against a key holding the wrong kind of value".into())
    }

    /// `name` as Redis names commands in this error: lower case, `xgroup|create` for subcommands.
    pub(super) fn arity(name: &str) -> Fail {
        Fail::err(format!("wrong number of arguments for '{}' command", name.to_ascii_lowercase()))
    }
}

impl From<Fail> for Reply {
    fn from(fail: Fail) -> Reply {
        Reply::Error(fail.0)
    }
}

/// What a command's handler answers.
pub(super) type CmdResult = Result<Reply, Fail>;

impl Db {
    /// The slot of a live key; an expired key is removed on the way (lazy expiry).
    pub(super) fn slot(&mut self, key: &[u8], now: Millis) -> Option<&mut Slot> {
        if self.slots.get(key).is_some_and(|s| s.expires_at.is_some_and(|at| at <= now)) {
            self.slots.remove(key);
        }
        self.slots.get_mut(key)
    }

    pub(super) fn value(&mut self, key: &[u8], now: Millis) -> Option<&mut Value> {
        self.slot(key, now).map(|s| &mut s.value)
    }

    pub(super) fn exists(&mut self, key: &[u8], now: Millis) -> bool {
        self.slot(key, now).is_some()
    }

    /// Stores `value` under `key`, replacing whatever was there.
    pub(super) fn insert(&mut self, key: &[u8], value: Value, expires_at: Option<Millis>) {
        self.slots.insert(key.to_vec(), Slot { value, expires_at });
    }

    /// Removes a live key; true when there was one.
    pub(super) fn remove(&mut self, key: &[u8], now: Millis) -> bool {
        self.slot(key, now).is_some() && self.slots.remove(key).is_some()
    }

    pub(super) fn flush(&mut self) {
        self.slots.clear();
    }

    /// Removes every expired key (the periodic half of expiry).
    pub(super) fn sweep(&mut self, now: Millis) {
        self.slots.retain(|_, slot| slot.expires_at.is_none_or(|at| at > now));
    }

    /// The number of keys held, expired or not yet swept.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn note_stream_added(&mut self) {
        self.stream_added = true;
    }

    /// True once after any XADD: blocked readers should look again.
    pub(super) fn take_stream_added(&mut self) -> bool {
        std::mem::take(&mut self.stream_added)
    }

    /// The string at `key`, if any; another type is an error.
    pub(super) fn string(&mut self, key: &[u8], now: Millis) -> Result<Option<&Bytes>, Fail> {
        match self.value(key, now) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(Fail::wrong_type()),
        }
    }

    pub(super) fn hash(&mut self, key: &[u8], now: Millis) -> Result<Option<&mut Vec<(Bytes, Bytes)>>, Fail> {
        match self.value(key, now) {
            None => Ok(None),
            Some(Value::Hash(h)) => Ok(Some(h)),
            Some(_) => Err(Fail::wrong_type()),
        }
    }

    pub(super) fn set(&mut self, key: &[u8], now: Millis) -> Result<Option<&mut BTreeSet<Bytes>>, Fail> {
        match self.value(key, now) {
            None => Ok(None),
            Some(Value::Set(s)) => Ok(Some(s)),
            Some(_) => Err(Fail::wrong_type()),
        }
    }

    pub(super) fn stream(&mut self, key: &[u8], now: Millis) -> Result<Option<&mut Stream>, Fail> {
        match self.value(key, now) {
            None => Ok(None),
            Some(Value::Stream(s)) => Ok(Some(s)),
            Some(_) => Err(Fail::wrong_type()),
        }
    }

    /// The value at `key`, made by `make` when the key is absent (the caller checks its type).
    pub(super) fn value_or_insert(&mut self, key: &[u8], now: Millis, make: fn() -> Value) -> &mut Value {
        self.slot(key, now);
        let slot = self.slots.entry(key.to_vec()).or_insert_with(|| Slot { value: make(), expires_at: None });
        &mut slot.value
    }
}
