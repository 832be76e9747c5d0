//! Hash and set commands: HSET, HGET, HMGET, HGETALL; SADD, SREM, SMEMBERS.
//!
//! Hashes keep insertion order, as small Redis hashes do; sets answer in byte order (Redis
//! promises no order for sets). A set left empty is deleted, as in Redis.

use std::collections::BTreeSet;

use super::db::{CmdResult, Db, Fail, Millis, Value};
use super::resp::{Bytes, Reply};

pub(super) fn hset(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    if !args.len().is_multiple_of(2) {
        return Err(Fail::arity("hset"));
    }
    let Value::Hash(hash) = db.value_or_insert(&args[1], now, || Value::Hash(Vec::new())) else {
        return Err(Fail::wrong_type());
    };
    let mut added = 0;
    for pair in args[2..].chunks_exact(2) {
        match hash.iter_mut().find(|(field, _)| *field == pair[0]) {
            Some((_, value)) => *value = pair[1].clone(),
            None => {
                hash.push((pair[0].clone(), pair[1].clone()));
                added += 1;
            }
        }
    }
    Ok(Reply::Int(added))
}

fn field(hash: Option<&[(Bytes, Bytes)]>, name: &[u8]) -> Reply {
    let value = hash.and_then(|h| h.iter().find(|(f, _)| f.as_slice() == name));
    value.map_or(Reply::Nil, |(_, v)| Reply::bulk(v.clone()))
}

pub(super) fn hget(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    Ok(field(db.hash(&args[1], now)?.map(|h| h.as_slice()), &args[2]))
}

pub(super) fn hmget(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let hash = db.hash(&args[1], now)?.map(|h| h.as_slice());
    Ok(Reply::Array(args[2..].iter().map(|name| field(hash, name)).collect()))
}

pub(super) fn hgetall(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let pairs = db.hash(&args[1], now)?.map(|h| h.as_slice()).unwrap_or_default();
    Ok(Reply::Array(pairs.iter().flat_map(|(f, v)| [Reply::bulk(f.clone()), Reply::bulk(v.clone())]).collect()))
}

pub(super) fn sadd(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let Value::Set(set) = db.value_or_insert(&args[1], now, || Value::Set(BTreeSet::new())) else {
        return Err(Fail::wrong_type());
    };
    Ok(Reply::Int(args[2..].iter().filter(|m| set.insert(m.to_vec())).count() as i64))
}

pub(super) fn srem(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let Some(set) = db.set(&args[1], now)? else { return Ok(Reply::Int(0)) };
    let removed = args[2..].iter().filter(|m| set.remove(m.as_slice())).count();
    if set.is_empty() {
        db.remove(&args[1], now);
    }
    Ok(Reply::Int(removed as i64))
}

pub(super) fn smembers(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let members = db.set(&args[1], now)?.map(|s| s.iter().map(|m| Reply::bulk(m.clone())).collect());
    Ok(Reply::Array(members.unwrap_or_default()))
}
