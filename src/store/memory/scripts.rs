//! EVAL without Lua: the bot's scripts are constants, so each one is recognised by its exact
//! text and run as the same sequence of commands in Rust, with Lua's rules for what those
//! commands return — a nil reply is `false`, a status reply is a table (true), a number stays
//! a number, an error ends the script (effects so far stay, as in Redis). The data lock is held
//! for the whole script, so each runs atomically like the Lua original.

use super::args::{int, text};
use super::command::call;
use super::db::{CmdResult, Db, Fail, Millis};
use super::resp::{Bytes, Reply};

/// The arguments of one EVAL.
struct Script<'a> {
    keys: &'a [Bytes],
    argv: &'a [Bytes],
    now: Millis,
    name: &'static str,
}

type Body = fn(&mut Db, &Script<'_>) -> CmdResult;

/// The scripts the bot sends: (text, name, keys, arguments, implementation).
const KNOWN: &[(&str, &str, usize, usize, Body)] = &[
    (crate::store::begin::BEGIN, "BEGIN", 4, 2, begin),
    (crate::store::begin::END, "END", 3, 3, end),
    (crate::store::lease::RENEW_LEASE, "RENEW_LEASE", 2, 2, renew_lease),
    (crate::store::lease::ABORT, "ABORT", 2, 1, abort),
    (crate::store::lock::UNLOCK, "UNLOCK", 1, 1, release),
    (crate::store::events::ACCEPT, "ACCEPT", 2, 5, accept),
    (crate::store::events::CLAIM_DEAD, "CLAIM_DEAD", 2, 5, claim_dead),
    (crate::store::events::FORGET, "FORGET", 2, 2, forget),
    (crate::store::reminders::RENEW, "RENEW", 1, 2, renew),
    (crate::store::reminders::RELEASE, "RELEASE", 1, 1, release),
    (crate::store::reminders::ACQUIRE, "ACQUIRE", 3, 2, acquire),
];

/// EVAL script numkeys key … arg …
pub(super) fn eval(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let numkeys = int(&args[2])?;
    let rest = &args[3..];
    let numkeys = usize::try_from(numkeys).map_err(|_| Fail::err("Number of keys can't be negative"))?;
    if numkeys > rest.len() {
        return Err(Fail::err("Number of keys can't be greater than number of args"));
    }
    let (keys, argv) = rest.split_at(numkeys);
    let Some(&(_, name, nkeys, nargs, body)) = KNOWN.iter().find(|k| k.0.as_bytes() == args[1].as_slice()) else {
        let head: String = text(&args[1]).trim().chars().take(60).collect();
        tracing::warn!(script.head = %head, "in-memory redis: unknown script");
        return Err(Fail::err("unknown script: the in-memory store runs only the bot's own scripts"));
    };
    if keys.len() < nkeys || argv.len() < nargs {
        return Err(Fail::err(format!("the {name} script needs {nkeys} keys and {nargs} arguments")));
    }
    body(db, &Script { keys, argv, now, name })
}

impl Script<'_> {
    /// `redis.call(…)`: the reply, or the script's end with the command's error.
    fn call(&self, db: &mut Db, args: &[&[u8]]) -> CmdResult {
        let args: Vec<Bytes> = args.iter().map(|a| a.to_vec()).collect();
        match call(db, &args, self.now) {
            Reply::Error(e) => Err(Fail(format!("{e} script: {} (in-memory)", self.name))),
            reply => Ok(reply),
        }
    }

    /// A call whose reply is an integer (Lua number).
    fn number(&self, db: &mut Db, args: &[&[u8]]) -> Result<i64, Fail> {
        match self.call(db, args)? {
            Reply::Int(n) => Ok(n),
            other => Err(Fail::err(format!("{} script: expected a number, got {other:?}", self.name))),
        }
    }

    fn fail(&self, lua_error: &str) -> Fail {
        Fail::err(format!("user_script: {lua_error} script: {} (in-memory)", self.name))
    }
}

/// Lua's truth: only nil and false are false; every reply but a null one is true.
fn truthy(reply: &Reply) -> bool {
    !matches!(reply, Reply::Nil | Reply::NilArray)
}

/// Lua 5.1's `tonumber` on a string: decimal (with fraction or exponent) or `0x` hex, spaces
/// around allowed; `None` is Lua's nil.
pub(super) fn lua_number(bytes: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(bytes).ok()?.trim();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, s.strip_prefix('+').unwrap_or(s)),
    };
    if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|n| sign * n as f64);
    }
    let plain = s.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
    s.parse().ok().filter(|_| plain)
}

/// BEGIN: `{'done'}` when the claim (KEYS[1]) is `d`, `{'in_progress'}` when it holds another
/// token than `p:`ARGV[1]; else claim it (PX ARGV[2]); `{'busy'}` when the lock (KEYS[2]) holds
/// another token; else lock (ARGV[1], PX ARGV[2]), clear the unreachable mark (KEYS[4]) and
/// `{'ok', HGETALL chat}`.
fn begin(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    let mine = [b"p:".as_slice(), &a[0]].concat();
    let claim = s.call(db, &[b"GET", &k[0]])?;
    if claim == Reply::bulk("d") {
        return Ok(Reply::Array(vec![Reply::bulk("done")]));
    }
    if truthy(&claim) && claim != Reply::Bulk(mine.clone()) {
        return Ok(Reply::Array(vec![Reply::bulk("in_progress")]));
    }
    s.call(db, &[b"SET", &k[0], &mine, b"PX", &a[1]])?;
    let lock = s.call(db, &[b"GET", &k[1]])?;
    if truthy(&lock) && lock != Reply::Bulk(a[0].clone()) {
        return Ok(Reply::Array(vec![Reply::bulk("busy")]));
    }
    s.call(db, &[b"SET", &k[1], &a[0], b"PX", &a[1]])?;
    s.call(db, &[b"DEL", &k[3]])?;
    Ok(Reply::Array(vec![Reply::bulk("ok"), s.call(db, &[b"HGETALL", &k[2]])?]))
}

/// END: with field/value pairs after ARGV[3], save them into the chat (KEYS[3]) when its
/// `writer` is ARGV[1] (already saved: 1) or its `rev` (0 when absent) is ARGV[2] — then
/// `rev` + 1 and `writer` ARGV[1], 1 — else -1; no pairs: 0. Then unlock (KEYS[2]) while it
/// holds ARGV[1], and mark the update (KEYS[1]) `d` EX ARGV[3].
fn end(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    let mut saved = 0;
    if a.len() > 3 {
        if s.call(db, &[b"HGET", &k[2], b"writer"])? == Reply::Bulk(a[0].clone()) {
            saved = 1;
        } else {
            let rev = match s.call(db, &[b"HGET", &k[2], b"rev"])? {
                Reply::Bulk(rev) => rev,
                _ => b"0".to_vec(),
            };
            if rev == a[1] {
                let mut args: Vec<&[u8]> = vec![b"HSET", &k[2]];
                args.extend(a[3..].iter().map(Vec::as_slice));
                s.call(db, &args)?;
                let next = (lua_number(&rev).unwrap_or(0.0) as i64 + 1).to_string();
                s.call(db, &[b"HSET", &k[2], b"rev", next.as_bytes(), b"writer", &a[0]])?;
                saved = 1;
            } else {
                saved = -1;
            }
        }
    }
    if s.call(db, &[b"GET", &k[1]])? == Reply::Bulk(a[0].clone()) {
        s.call(db, &[b"DEL", &k[1]])?;
    }
    s.call(db, &[b"SET", &k[0], b"d", b"EX", &a[2]])?;
    Ok(Reply::Int(saved))
}

/// RENEW_LEASE: PEXPIRE (ARGV[2]) the claim (KEYS[1]) while it is `p:`ARGV[1] and the lock
/// (KEYS[2]) while it is ARGV[1]; `{claim renewed, lock renewed}` as 1 or 0.
fn renew_lease(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    let mine = [b"p:".as_slice(), &a[0]].concat();
    let mut held = [0, 0];
    for (i, (key, value)) in [(&k[0], mine), (&k[1], a[0].clone())].into_iter().enumerate() {
        if s.call(db, &[b"GET", key])? == Reply::Bulk(value) {
            s.call(db, &[b"PEXPIRE", key, &a[1]])?;
            held[i] = 1;
        }
    }
    Ok(Reply::Array(held.into_iter().map(Reply::Int).collect()))
}

/// ABORT: delete the claim (KEYS[1]) while it is `p:`ARGV[1] and the lock (KEYS[2]) while it
/// is ARGV[1]; 1.
fn abort(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    let mine = [b"p:".as_slice(), &a[0]].concat();
    for (key, value) in [(&k[0], mine), (&k[1], a[0].clone())] {
        if s.call(db, &[b"GET", key])? == Reply::Bulk(value) {
            s.call(db, &[b"DEL", key])?;
        }
    }
    Ok(Reply::Int(1))
}

/// UNLOCK and RELEASE: delete the key if it still holds our token; the DEL count, else 0.
fn release(db: &mut Db, s: &Script<'_>) -> CmdResult {
    if s.call(db, &[b"GET", &s.keys[0]])? == Reply::Bulk(s.argv[0].clone()) {
        return s.call(db, &[b"DEL", &s.keys[0]]);
    }
    Ok(Reply::Int(0))
}

/// RENEW: PEXPIRE the key by ARGV[2] if it still holds our token; PEXPIRE's reply, else 0.
fn renew(db: &mut Db, s: &Script<'_>) -> CmdResult {
    if s.call(db, &[b"GET", &s.keys[0]])? == Reply::Bulk(s.argv[0].clone()) {
        return s.call(db, &[b"PEXPIRE", &s.keys[0], &s.argv[1]]);
    }
    Ok(Reply::Int(0))
}

/// ACCEPT: if the event's key is new (SET NX EX ARGV[1]), XADD it and return the id; else nil.
fn accept(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    if truthy(&s.call(db, &[b"SET", &k[0], b"1", b"NX", b"EX", &a[0]])?) {
        let fields: [&[u8]; 8] = [b"key", &a[1], b"handled", &a[2], b"body", &a[3], b"accepted_at", &a[4]];
        let mut args: Vec<&[u8]> = vec![b"XADD", &k[1], b"*"];
        args.extend(fields);
        return s.call(db, &args);
    }
    Ok(Reply::Nil)
}

/// ACQUIRE: 0 when a send may go now, else milliseconds to wait — the global pause's PTTL, the
/// chat's spacing PTTL (50 if it has none), or the rest of the second when the second's window
/// (INCR, PEXPIRE 2000 on the first) is past ARGV[1]; a send that may go sets the chat's
/// spacing key for 1000 ms.
fn acquire(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    let pause = s.number(db, &[b"PTTL", &k[0]])?;
    if pause > 0 {
        return Ok(Reply::Int(pause));
    }
    if s.number(db, &[b"EXISTS", &k[2]])? == 1 {
        let wait = s.number(db, &[b"PTTL", &k[2]])?;
        return Ok(Reply::Int(if wait > 0 { wait } else { 50 }));
    }
    let n = s.number(db, &[b"INCR", &k[1]])?;
    if n == 1 {
        s.call(db, &[b"PEXPIRE", &k[1], b"2000"])?;
    }
    let rate = lua_number(&a[0]).ok_or_else(|| s.fail("attempt to compare nil with number"))?;
    if n as f64 > rate {
        let ms = lua_number(&a[1]).ok_or_else(|| s.fail("attempt to perform arithmetic on a nil value"))?;
        return Ok(Reply::Int((1000.0 - ms) as i64)); // Lua number to reply: truncated
    }
    s.call(db, &[b"SET", &k[2], b"1", b"PX", b"1000"])?;
    Ok(Reply::Int(0))
}

/// The ids in an XPENDING detail reply (`[[id, consumer, idle, deliveries], …]`).
fn pending_ids(reply: Reply) -> Vec<Bytes> {
    let Reply::Array(rows) = reply else { return Vec::new() };
    rows.into_iter()
        .filter_map(|row| match row {
            Reply::Array(mut fields) if !fields.is_empty() => match fields.swap_remove(0) {
                Reply::Bulk(id) => Some(id),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// CLAIM_DEAD: nothing (`{}`) if the heartbeat KEYS[2] exists; else XPENDING KEYS[1] group
/// ARGV[1] IDLE ARGV[4] - + ARGV[5] consumer ARGV[2], and XCLAIM those ids to ARGV[3] with
/// min-idle ARGV[4]: its reply.
fn claim_dead(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    if s.number(db, &[b"EXISTS", &k[1]])? == 1 {
        return Ok(Reply::Array(Vec::new()));
    }
    let rows = s.call(db, &[b"XPENDING", &k[0], &a[0], b"IDLE", &a[3], b"-", b"+", &a[4], &a[1]])?;
    let ids = pending_ids(rows);
    if ids.is_empty() {
        return Ok(Reply::Array(Vec::new()));
    }
    let mut args: Vec<&[u8]> = vec![b"XCLAIM", &k[0], &a[0], &a[2], &a[3]];
    args.extend(ids.iter().map(Vec::as_slice));
    s.call(db, &args)
}

/// FORGET: -1 if the heartbeat KEYS[2] exists; 0 if consumer ARGV[2] of group ARGV[1] holds an
/// entry (XPENDING … - + 1 consumer); else XGROUP DELCONSUMER and 1.
fn forget(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    if s.number(db, &[b"EXISTS", &k[1]])? == 1 {
        return Ok(Reply::Int(-1));
    }
    if !pending_ids(s.call(db, &[b"XPENDING", &k[0], &a[0], b"-", b"+", b"1", &a[1]])?).is_empty() {
        return Ok(Reply::Int(0));
    }
    s.call(db, &[b"XGROUP", b"DELCONSUMER", &k[0], &a[0], &a[1]])?;
    Ok(Reply::Int(1))
}
