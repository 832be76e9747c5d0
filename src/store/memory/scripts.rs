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
    (crate::store::begin::BEGIN, "BEGIN", 4, 3, begin),
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

/// BEGIN: claim the update (`p`, EX ARGV[3]) unless claimed — then `{'done'}` or
/// `{'in_progress'}`; take the chat lock (ARGV[1], PX ARGV[2]) unless held — `{'busy'}`;
/// clear the unreachable mark; `{'ok', HGETALL chat}`.
fn begin(db: &mut Db, s: &Script<'_>) -> CmdResult {
    let (k, a) = (s.keys, s.argv);
    if !truthy(&s.call(db, &[b"SET", &k[0], b"p", b"NX", b"EX", &a[2]])?) {
        let status = if s.call(db, &[b"GET", &k[0]])? == Reply::bulk("d") { "done" } else { "in_progress" };
        return Ok(Reply::Array(vec![Reply::bulk(status)]));
    }
    if !truthy(&s.call(db, &[b"SET", &k[1], &a[0], b"NX", b"PX", &a[1]])?) {
        return Ok(Reply::Array(vec![Reply::bulk("busy")]));
    }
    s.call(db, &[b"DEL", &k[3]])?;
    Ok(Reply::Array(vec![Reply::bulk("ok"), s.call(db, &[b"HGETALL", &k[2]])?]))
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
