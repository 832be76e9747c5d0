//! Consumer groups: XGROUP CREATE / DESTROY / DELCONSUMER, XREADGROUP, XACK, XPENDING and
//! XINFO CONSUMERS.
//!
//! Reading with `>` hands out entries past the group's last delivered id and records each as
//! pending for the reader (delivered now, once); reading with an id re-reads the reader's own
//! pending entries after that id (counting one more delivery each), a deleted one as
//! `[id, nil]`.

use std::ops::Bound;

use super::args::{int, is, text};
use super::db::{CmdResult, Db, Fail, Millis, Value};
use super::resp::{Bytes, Reply};
use super::streams::{Group, Pending, Stream, StreamId, entry_reply, group_of, range_bound};

const NO_KEY: &str = "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use \
                      the MKSTREAM option to create an empty stream automatically.";

/// XGROUP CREATE key group <id | $> [MKSTREAM] [ENTRIESREAD n] | XGROUP DESTROY key group |
/// XGROUP DELCONSUMER key group consumer
pub(super) fn xgroup(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    match &args[1] {
        sub if is(sub, "DELCONSUMER") && args.len() == 5 => {
            let (_, group) = group_of(db, &args[2], &args[3], now, "")?;
            let consumer = &args[4];
            let before = group.pending.len();
            group.pending.retain(|_, p| p.consumer != *consumer);
            group.consumers.remove(consumer);
            Ok(Reply::Int((before - group.pending.len()) as i64))
        }
        sub if is(sub, "DELCONSUMER") => Err(Fail::arity("xgroup|delconsumer")),
        sub if is(sub, "CREATE") && args.len() >= 5 => create(db, args, now),
        sub if is(sub, "CREATE") => Err(Fail::arity("xgroup|create")),
        sub if is(sub, "DESTROY") && args.len() == 4 => match db.stream(&args[2], now)? {
            None => Err(Fail::err(NO_KEY)),
            Some(stream) => Ok(Reply::Int(i64::from(stream.groups.remove(&args[3]).is_some()))),
        },
        sub if is(sub, "DESTROY") => Err(Fail::arity("xgroup|destroy")),
        sub => Err(Fail::err(format!("unknown subcommand '{}'. Try XGROUP HELP.", text(sub)))),
    }
}

fn create(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let (key, name) = (&args[2], &args[3]);
    let mut mkstream = false;
    let mut at = 5;
    while at < args.len() {
        match &args[at] {
            a if is(a, "MKSTREAM") => mkstream = true,
            a if is(a, "ENTRIESREAD") && at + 1 < args.len() => {
                int(&args[at + 1])?;
                at += 1;
            }
            _ => return Err(Fail::syntax()),
        }
        at += 1;
    }
    if db.stream(key, now)?.is_none() && !mkstream {
        return Err(Fail::err(NO_KEY));
    }
    let from = if args[4] == b"$" { None } else { Some(StreamId::arg(&args[4])?) };
    let Value::Stream(stream) = db.value_or_insert(key, now, || Value::Stream(Stream::default())) else {
        return Err(Fail::wrong_type());
    };
    if stream.groups.contains_key(name) {
        return Err(Fail("BUSYGROUP Consumer Group name already exists".into()));
    }
    let group = Group { last_delivered: from.unwrap_or(stream.last_id), ..Group::default() };
    stream.groups.insert(name.clone(), group);
    Ok(Reply::ok())
}

/// What XREADGROUP asks for.
struct Read<'a> {
    group: &'a [u8],
    consumer: &'a [u8],
    /// 0: no limit.
    count: usize,
    /// Milliseconds to wait when nothing is there (0: for ever); `None` without BLOCK.
    block: Option<u64>,
    noack: bool,
    /// Stream keys and the id after which to read (`None` for `>`).
    streams: Vec<(&'a [u8], Option<StreamId>)>,
}

fn parse_read(args: &[Bytes]) -> Result<Read<'_>, Fail> {
    let mut read = Read { group: &[], consumer: &[], count: 0, block: None, noack: false, streams: Vec::new() };
    let mut grouped = false;
    let mut at = 1;
    while at < args.len() {
        let arg = &args[at];
        let value = |n: usize| args.get(at + n).map(Vec::as_slice).ok_or_else(Fail::syntax);
        if is(arg, "GROUP") {
            (read.group, read.consumer, grouped) = (value(1)?, value(2)?, true);
            at += 2;
        } else if is(arg, "COUNT") {
            read.count = int(value(1)?)?.max(0) as usize;
            at += 1;
        } else if is(arg, "BLOCK") {
            let ms = super::args::parse_i64(value(1)?)
                .ok_or_else(|| Fail::err("timeout is not an integer or out of range"))?;
            read.block = Some(u64::try_from(ms).map_err(|_| Fail::err("timeout is negative"))?);
            at += 1;
        } else if is(arg, "NOACK") {
            read.noack = true;
        } else if is(arg, "STREAMS") {
            let rest = &args[at + 1..];
            if rest.is_empty() || !rest.len().is_multiple_of(2) {
                return Err(Fail::err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            let (keys, ids) = rest.split_at(rest.len() / 2);
            for (key, id) in keys.iter().zip(ids) {
                read.streams.push((key, read_from(id)?));
            }
            break;
        } else {
            return Err(Fail::syntax());
        }
        at += 1;
    }
    if !grouped {
        return Err(Fail::err("Missing GROUP option for XREADGROUP"));
    }
    if read.streams.is_empty() {
        return Err(Fail::syntax());
    }
    Ok(read)
}

fn read_from(id: &[u8]) -> Result<Option<StreamId>, Fail> {
    match id {
        b">" => Ok(None),
        b"$" => Err(Fail::err(
            "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer \
             by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty \
             result set.",
        )),
        _ => StreamId::arg(id).map(Some),
    }
}

/// What XREADGROUP comes to: a reply now, or "wait for an XADD" (`Some(0)`: for ever).
pub(super) enum ReadOutcome {
    Reply(Reply),
    Block(u64),
}

/// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key … id …
pub(super) fn xreadgroup(db: &mut Db, args: &[Bytes], now: Millis) -> Result<ReadOutcome, Fail> {
    let read = parse_read(args)?;
    for (key, _) in &read.streams {
        group_of(db, key, read.group, now, " in XREADGROUP with GROUP option")?;
    }
    let mut out = Vec::new();
    for (key, after) in &read.streams {
        let (entries, group) = group_of(db, key, read.group, now, "")?;
        let served = match after {
            None => new_entries(entries, group, &read, now),
            Some(after) => Some(history(entries, group, &read, *after, now)),
        };
        // As in Redis 7.0, a read creates (and refreshes) its consumer only when it is served:
        // a read of `>` that finds nothing leaves the consumer's idle time running.
        if served.is_some() {
            group.seen(read.consumer, now);
        }
        if let Some(served) = served {
            out.push(Reply::Array(vec![Reply::bulk(key.to_vec()), Reply::Array(served)]));
        }
    }
    Ok(match (out.is_empty(), read.block) {
        (false, _) => ReadOutcome::Reply(Reply::Array(out)),
        (true, Some(ms)) => ReadOutcome::Block(ms),
        (true, None) => ReadOutcome::Reply(Reply::NilArray),
    })
}

/// Entries past the group's last delivered id, now pending for the reader; `None` if none.
fn new_entries(
    entries: &std::collections::BTreeMap<StreamId, Vec<Bytes>>,
    group: &mut Group,
    read: &Read<'_>,
    now: Millis,
) -> Option<Vec<Reply>> {
    let limit = if read.count == 0 { usize::MAX } else { read.count };
    let fresh = entries.range((Bound::Excluded(group.last_delivered), Bound::Unbounded)).take(limit);
    let mut served = Vec::new();
    for (id, fields) in fresh {
        group.last_delivered = *id;
        if !read.noack {
            let pending = Pending { consumer: read.consumer.to_vec(), delivered_at: now, deliveries: 1 };
            group.pending.insert(*id, pending);
        }
        served.push(entry_reply(*id, fields));
    }
    (!served.is_empty()).then_some(served)
}

/// The reader's own pending entries after `after`, each delivered once more.
fn history(
    entries: &std::collections::BTreeMap<StreamId, Vec<Bytes>>,
    group: &mut Group,
    read: &Read<'_>,
    after: StreamId,
    now: Millis,
) -> Vec<Reply> {
    let limit = if read.count == 0 { usize::MAX } else { read.count };
    let Some(start) = after.next() else { return Vec::new() };
    let mine = group.pending.range_mut(start..).filter(|(_, p)| p.consumer == read.consumer).take(limit);
    let mut served = Vec::new();
    for (id, pending) in mine {
        match entries.get(id) {
            Some(fields) => {
                pending.delivered_at = now;
                pending.deliveries += 1;
                served.push(entry_reply(*id, fields));
            }
            None => served.push(Reply::Array(vec![id.reply(), Reply::NilArray])),
        }
    }
    served
}

/// XACK key group id …
pub(super) fn xack(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let ids = args[3..].iter().map(|a| StreamId::arg(a)).collect::<Result<Vec<_>, _>>()?;
    let Ok((_, group)) = group_of(db, &args[1], &args[2], now, "") else {
        db.stream(&args[1], now)?; // a key of another type is still an error
        return Ok(Reply::Int(0));
    };
    Ok(Reply::Int(ids.iter().filter(|id| group.pending.remove(id).is_some()).count() as i64))
}

/// XPENDING key group — or — XPENDING key group [IDLE ms] start end count [consumer]
pub(super) fn xpending(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let (idle, rest) = match &args[3..] {
        [option, ms, rest @ ..] if is(option, "IDLE") => (int(ms)?, rest),
        rest => (0, rest),
    };
    let (_, group) = group_of(db, &args[1], &args[2], now, "")?;
    match rest {
        [] if args.len() == 3 => Ok(summary(group)),
        [start, end, count] => detail(group, (start, end, count, None), idle, now),
        [start, end, count, consumer] => detail(group, (start, end, count, Some(consumer)), idle, now),
        _ => Err(Fail::syntax()),
    }
}

fn summary(group: &Group) -> Reply {
    let (Some(first), Some(last)) = (group.pending.keys().next(), group.pending.keys().next_back()) else {
        return Reply::Array(vec![Reply::Int(0), Reply::Nil, Reply::Nil, Reply::NilArray]);
    };
    let mut per_consumer = std::collections::BTreeMap::<&[u8], u64>::new();
    for pending in group.pending.values() {
        *per_consumer.entry(&pending.consumer).or_default() += 1;
    }
    let consumers = per_consumer
        .into_iter()
        .map(|(name, n)| Reply::Array(vec![Reply::bulk(name.to_vec()), Reply::bulk(n.to_string())]))
        .collect();
    Reply::Array(vec![Reply::Int(group.pending.len() as i64), first.reply(), last.reply(), Reply::Array(consumers)])
}

type Range<'a> = (&'a [u8], &'a [u8], &'a [u8], Option<&'a Bytes>);

fn detail(group: &Group, (start, end, count, consumer): Range<'_>, idle: i64, now: Millis) -> CmdResult {
    let (start, end) = (range_bound(start, true)?, range_bound(end, false)?);
    let count = int(count)?.max(0) as usize;
    let (Some(start), Some(end)) = (start, end) else { return Ok(Reply::Array(Vec::new())) };
    if start > end {
        return Ok(Reply::Array(Vec::new()));
    }
    let rows = group
        .pending
        .range(start..=end)
        .filter(|(_, p)| consumer.is_none_or(|c| *c == p.consumer) && now - p.delivered_at >= idle)
        .take(count)
        .map(|(id, p)| {
            let idle = Reply::Int(now - p.delivered_at);
            Reply::Array(vec![id.reply(), Reply::bulk(p.consumer.clone()), idle, Reply::Int(p.deliveries as i64)])
        });
    Ok(Reply::Array(rows.collect()))
}

/// XINFO CONSUMERS key group: each consumer (by name) with its pending count and idle time, as
/// Redis 7.0 shows them.
pub(super) fn xinfo(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    match args {
        [_, sub, key, name] if is(sub, "CONSUMERS") => {
            let (_, group) = group_of(db, key, name, now, "")?;
            let rows = group.consumers.iter().map(|(consumer, seen)| {
                let pending = group.pending.values().filter(|p| p.consumer == *consumer).count();
                Reply::Array(vec![
                    Reply::bulk("name"),
                    Reply::bulk(consumer.clone()),
                    Reply::bulk("pending"),
                    Reply::Int(pending as i64),
                    Reply::bulk("idle"),
                    Reply::Int((now - seen).max(0)),
                ])
            });
            Ok(Reply::Array(rows.collect()))
        }
        [_, sub, ..] if is(sub, "CONSUMERS") => Err(Fail::arity("xinfo|consumers")),
        [_, sub, ..] => Err(Fail::err(format!("XINFO {} is not supported by the in-memory store", text(sub)))),
        _ => Err(Fail::arity("xinfo")),
    }
}
