//! String commands: GET, SET (NX, XX, GET, EX, PX, EXAT, PXAT, KEEPTTL) and INCR.

use super::args::{int, is, parse_i64, value_of};
use super::db::{CmdResult, Db, Fail, Millis, Value};
use super::resp::{Bytes, Reply};

pub(super) fn get(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    Ok(db.string(&args[1], now)?.map_or(Reply::Nil, |v| Reply::bulk(v.clone())))
}

/// The options of one SET.
#[derive(Default)]
struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    expires_at: Option<Millis>,
}

fn set_options(args: &[Bytes], now: Millis) -> Result<SetOptions, Fail> {
    let mut o = SetOptions::default();
    // (option, value, unit in ms, absolute); the same option may repeat, the last one counts.
    let mut expiry: Option<(&str, &[u8], i64, bool)> = None;
    let mut at = 3;
    while at < args.len() {
        let arg = &args[at];
        let unit = [("EX", 1000, false), ("PX", 1, false), ("EXAT", 1000, true), ("PXAT", 1, true)]
            .into_iter()
            .find(|(name, ..)| is(arg, name));
        match unit {
            Some((name, ms, absolute)) if expiry.is_none_or(|e| e.0 == name) && !o.keep_ttl => {
                expiry = Some((name, value_of(args, at)?, ms, absolute));
                at += 1;
            }
            Some(_) => return Err(Fail::syntax()),
            None if is(arg, "NX") && !o.xx => o.nx = true,
            None if is(arg, "XX") && !o.nx => o.xx = true,
            None if is(arg, "GET") => o.get = true,
            None if is(arg, "KEEPTTL") && expiry.is_none() => o.keep_ttl = true,
            None => return Err(Fail::syntax()),
        }
        at += 1;
    }
    if let Some((_, value, unit, absolute)) = expiry {
        let invalid = || Fail::err("invalid expire time in 'set' command");
        let n = int(value)?;
        if n <= 0 {
            return Err(invalid());
        }
        let ms = n.checked_mul(unit).ok_or_else(invalid)?;
        o.expires_at = Some(if absolute { ms } else { ms.checked_add(now).ok_or_else(invalid)? });
    }
    Ok(o)
}

pub(super) fn set(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let o = set_options(args, now)?;
    let key = &args[1];
    let old = if o.get { db.string(key, now)?.cloned() } else { None };
    let previous_expiry = db.slot(key, now).map(|s| s.expires_at);
    let found = previous_expiry.is_some();
    let answer = |done: bool| match (o.get, done) {
        (true, _) => old.clone().map_or(Reply::Nil, Reply::Bulk),
        (false, true) => Reply::ok(),
        (false, false) => Reply::Nil,
    };
    if (o.nx && found) || (o.xx && !found) {
        return Ok(answer(false));
    }
    let expires_at = if o.keep_ttl { previous_expiry.flatten() } else { o.expires_at };
    db.insert(key, Value::Str(args[2].clone()), expires_at);
    if expires_at.is_some_and(|at| at <= now) {
        db.remove(key, now); // EXAT/PXAT in the past: set, then expired at once.
    }
    Ok(answer(true))
}

pub(super) fn incr(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let key = &args[1];
    let current = match db.string(key, now)? {
        None => 0,
        Some(v) => parse_i64(v).ok_or_else(Fail::not_integer)?,
    };
    let next = current.checked_add(1).ok_or_else(|| Fail::err("increment or decrement would overflow"))?;
    let expires_at = db.slot(key, now).and_then(|s| s.expires_at);
    db.insert(key, Value::Str(next.to_string().into_bytes()), expires_at);
    Ok(Reply::Int(next))
}
