//! The command table: name, arity (Redis's convention: exact count including the name, or
//! negative for "at least"), and handler. Transactions (MULTI/EXEC/DISCARD) and QUIT belong
//! to the connection and are handled in [`super::server`].

use super::args::{int, is, text};
use super::db::{CmdResult, Db, Fail, Millis};
use super::groups::{self, ReadOutcome};
use super::resp::{Bytes, Reply};
use super::{claim, collections, keyspace, scripts, streams, strings};

/// What a command comes to: a reply, or (XREADGROUP … BLOCK) a wait for new stream entries.
pub(super) enum Outcome {
    Reply(Reply),
    /// Wait up to this many milliseconds (0: for ever), then run the command again.
    Block(u64),
}

enum Handler {
    Plain(fn(&mut Db, &[Bytes], Millis) -> CmdResult),
    Blocking(fn(&mut Db, &[Bytes], Millis) -> Result<ReadOutcome, Fail>),
}

struct Spec {
    name: &'static str,
    arity: i32,
    run: Handler,
}

const fn plain(name: &'static str, arity: i32, run: fn(&mut Db, &[Bytes], Millis) -> CmdResult) -> Spec {
    Spec { name, arity, run: Handler::Plain(run) }
}

const COMMANDS: &[Spec] = &[
    plain("PING", -1, ping),
    plain("ECHO", 2, |_, args, _| Ok(Reply::bulk(args[1].clone()))),
    plain("SELECT", 2, select),
    plain("CLIENT", -2, client),
    plain("HELLO", -1, hello),
    plain("UNWATCH", 1, |_, _, _| Ok(Reply::ok())),
    plain("GET", 2, strings::get),
    plain("SET", -3, strings::set),
    plain("INCR", 2, strings::incr),
    plain("DEL", -2, keyspace::del),
    plain("EXISTS", -2, keyspace::exists),
    plain("EXPIRE", -3, keyspace::expire),
    plain("PEXPIRE", -3, keyspace::pexpire),
    plain("TTL", 2, keyspace::ttl),
    plain("PTTL", 2, keyspace::pttl),
    plain("FLUSHALL", -1, keyspace::flush),
    plain("FLUSHDB", -1, keyspace::flush),
    plain("DBSIZE", 1, |db, _, _| Ok(Reply::Int(db.len() as i64))),
    plain("HSET", -4, collections::hset),
    plain("HGET", 3, collections::hget),
    plain("HMGET", -3, collections::hmget),
    plain("HGETALL", 2, collections::hgetall),
    plain("SADD", -3, collections::sadd),
    plain("SREM", -3, collections::srem),
    plain("SMEMBERS", 2, collections::smembers),
    plain("XADD", -5, streams::xadd),
    plain("XLEN", 2, streams::xlen),
    plain("XDEL", -3, streams::xdel),
    plain("XRANGE", -4, streams::xrange),
    plain("XGROUP", -2, groups::xgroup),
    Spec { name: "XREADGROUP", arity: -7, run: Handler::Blocking(groups::xreadgroup) },
    plain("XACK", -4, groups::xack),
    plain("XPENDING", -3, groups::xpending),
    plain("XINFO", -2, groups::xinfo),
    plain("XCLAIM", -6, claim::xclaim),
    plain("XAUTOCLAIM", -6, claim::xautoclaim),
    plain("EVAL", -3, scripts::eval),
    plain("EVALSHA", -3, |_, _, _| Err(Fail("NOSCRIPT No matching script. Please use EVAL.".into()))),
];

/// The command's entry, or the "unknown command" error (logged: the bot sent something this
/// store does not implement).
fn lookup(args: &[Bytes]) -> Result<&'static Spec, Fail> {
    let name = args.first().map(Vec::as_slice).unwrap_or_default();
    if let Some(spec) = COMMANDS.iter().find(|spec| is(name, spec.name)) {
        let n = args.len() as i32;
        let fits = if spec.arity >= 0 { n == spec.arity } else { n >= -spec.arity };
        return if fits { Ok(spec) } else { Err(Fail::arity(spec.name)) };
    }
    tracing::warn!(command = %text(name), "in-memory redis: unknown command");
    let name: String = text(name).chars().take(128).collect();
    Err(Fail::err(format!("unknown command '{name}', with args beginning with: {}", args_shown(&args[1..]))))
}

/// The arguments quoted as Redis quotes them in that error: about 128 characters' worth.
fn args_shown(args: &[Bytes]) -> String {
    let mut shown = String::new();
    for arg in args {
        let room = 128_usize.saturating_sub(shown.chars().count());
        if room == 0 {
            break;
        }
        let arg: String = text(arg).chars().take(room).collect();
        shown.push_str(&format!("'{arg}' "));
    }
    shown
}

/// Checks a command queued inside MULTI, as Redis does before answering QUEUED.
pub(super) fn check(args: &[Bytes]) -> Result<(), Fail> {
    lookup(args).map(|_| ())
}

/// Runs one command.
pub(super) fn execute(db: &mut Db, args: &[Bytes], now: Millis) -> Outcome {
    let spec = match lookup(args) {
        Ok(spec) => spec,
        Err(fail) => return Outcome::Reply(fail.into()),
    };
    let result = match spec.run {
        Handler::Plain(run) => run(db, args, now),
        Handler::Blocking(run) => match run(db, args, now) {
            Ok(ReadOutcome::Block(ms)) => return Outcome::Block(ms),
            Ok(ReadOutcome::Reply(reply)) => Ok(reply),
            Err(fail) => Err(fail),
        },
    };
    Outcome::Reply(result.unwrap_or_else(Reply::from))
}

/// Runs a command that may not wait (inside EXEC or a script): a blocking read that finds
/// nothing answers the null array at once, as in Redis.
pub(super) fn call(db: &mut Db, args: &[Bytes], now: Millis) -> Reply {
    match execute(db, args, now) {
        Outcome::Reply(reply) => reply,
        Outcome::Block(_) => Reply::NilArray,
    }
}

fn ping(_: &mut Db, args: &[Bytes], _: Millis) -> CmdResult {
    match args {
        [_] => Ok(Reply::Status("PONG".into())),
        [_, message] => Ok(Reply::bulk(message.clone())),
        _ => Err(Fail::arity("ping")),
    }
}

/// Only database 0 exists.
fn select(_: &mut Db, args: &[Bytes], _: Millis) -> CmdResult {
    match int(&args[1])? {
        0 => Ok(Reply::ok()),
        _ => Err(Fail::err("DB index is out of range")),
    }
}

/// CLIENT SETINFO and SETNAME (redis-rs names itself on connect) are accepted and forgotten.
fn client(_: &mut Db, args: &[Bytes], _: Millis) -> CmdResult {
    match args {
        [_, sub, _, _] if is(sub, "SETINFO") => Ok(Reply::ok()),
        [_, sub, _] if is(sub, "SETNAME") => Ok(Reply::ok()),
        [_, sub, ..] if is(sub, "SETINFO") || is(sub, "SETNAME") => Err(Fail::arity(&format!("client|{}", text(sub)))),
        [_, sub, ..] => Err(Fail::err(format!("unknown subcommand '{}'. Try CLIENT HELP.", text(sub)))),
        _ => Err(Fail::arity("client")),
    }
}

/// HELLO answers as Redis does for RESP2; RESP3 is not spoken here.
fn hello(_: &mut Db, args: &[Bytes], _: Millis) -> CmdResult {
    if let Some(version) = args.get(1) {
        let version = int(version).map_err(|_| Fail::err("Protocol version is not an integer or out of range"))?;
        if version != 2 {
            return Err(Fail("NOPROTO unsupported protocol version".into()));
        }
    }
    let info: [(&str, Reply); 7] = [
        ("server", Reply::bulk("redis")),
        ("version", Reply::bulk("7.0.0")),
        ("proto", Reply::Int(2)),
        ("id", Reply::Int(1)),
        ("mode", Reply::bulk("standalone")),
        ("role", Reply::bulk("master")),
        ("modules", Reply::Array(Vec::new())),
    ];
    Ok(Reply::Array(info.into_iter().flat_map(|(k, v)| [Reply::bulk(k), v]).collect()))
}
