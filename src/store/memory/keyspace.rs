//! Commands on keys of any type: DEL, EXISTS, EXPIRE, PEXPIRE, TTL, PTTL, FLUSHALL/FLUSHDB.

use super::args::{int, is};
use super::db::{CmdResult, Db, Fail, Millis};
use super::resp::{Bytes, Reply};

pub(super) fn del(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    Ok(Reply::Int(args[1..].iter().filter(|key| db.remove(key, now)).count() as i64))
}

/// Counts a key once per time it is named, as Redis does.
pub(super) fn exists(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    Ok(Reply::Int(args[1..].iter().filter(|key| db.exists(key, now)).count() as i64))
}

pub(super) fn expire(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    expire_in(db, args, now, 1000, "expire")
}

pub(super) fn pexpire(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    expire_in(db, args, now, 1, "pexpire")
}

/// The NX / XX / GT / LT condition of EXPIRE.
#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    Always,
    NoExpiry,
    HasExpiry,
    Greater,
    Less,
}

fn condition(options: &[Bytes]) -> Result<When, Fail> {
    let mut when = When::Always;
    for option in options {
        let next = [("NX", When::NoExpiry), ("XX", When::HasExpiry), ("GT", When::Greater), ("LT", When::Less)]
            .into_iter()
            .find(|(name, _)| is(option, name))
            .map(|(_, w)| w)
            .ok_or_else(|| Fail::err(format!("Unsupported option {}", String::from_utf8_lossy(option))))?;
        when = match (when, next) {
            (When::Always, next) => next,
            (a, b) if a == b => a,
            (When::Greater, When::Less) | (When::Less, When::Greater) => {
                return Err(Fail::err("GT and LT options at the same time are not compatible"));
            }
            _ => return Err(Fail::err("NX and XX, GT or LT options at the same time are not compatible")),
        };
    }
    Ok(when)
}

fn expire_in(db: &mut Db, args: &[Bytes], now: Millis, unit: i64, name: &str) -> CmdResult {
    let when = condition(&args[3..])?;
    let invalid = || Fail::err(format!("invalid expire time in '{name}' command"));
    let at = int(&args[2])?.checked_mul(unit).ok_or_else(invalid)?.checked_add(now).ok_or_else(invalid)?;
    let key = &args[1];
    let Some(slot) = db.slot(key, now) else { return Ok(Reply::Int(0)) };
    let allowed = match (when, slot.expires_at) {
        (When::Always, _) => true,
        (When::NoExpiry, current) => current.is_none(),
        (When::HasExpiry, current) => current.is_some(),
        (When::Greater, current) => current.is_some_and(|c| at > c),
        (When::Less, current) => current.is_none_or(|c| at < c),
    };
    if !allowed {
        return Ok(Reply::Int(0));
    }
    if at <= now {
        db.remove(key, now);
    } else {
        slot.expires_at = Some(at);
    }
    Ok(Reply::Int(1))
}

/// Milliseconds left: -2 without the key, -1 without an expiry.
fn remaining(db: &mut Db, key: &[u8], now: Millis) -> Millis {
    match db.slot(key, now).map(|slot| slot.expires_at) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => (at - now).max(0),
    }
}

pub(super) fn pttl(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    Ok(Reply::Int(remaining(db, &args[1], now)))
}

/// Seconds left, rounded to the nearest second as Redis rounds them.
pub(super) fn ttl(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    Ok(Reply::Int(match remaining(db, &args[1], now) {
        ms if ms < 0 => ms,
        ms => (ms + 500) / 1000,
    }))
}

/// FLUSHALL / FLUSHDB [ASYNC | SYNC]: there is one database, so both empty everything.
pub(super) fn flush(db: &mut Db, args: &[Bytes], _now: Millis) -> CmdResult {
    match &args[1..] {
        [] => {}
        [mode] if is(mode, "ASYNC") || is(mode, "SYNC") => {}
        _ => return Err(Fail::syntax()),
    }
    db.flush();
    Ok(Reply::ok())
}
