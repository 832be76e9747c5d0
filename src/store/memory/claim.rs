//! Taking over pending entries: XCLAIM and XAUTOCLAIM, with Redis 7's rules — a pending entry
//! whose stream entry was deleted is dropped from the pending list instead of being claimed,
//! and XAUTOCLAIM reports such ids in the third element of its reply.

use super::args::{int, is, parse_i64, text};
use super::db::{CmdResult, Db, Fail, Millis};
use super::resp::{Bytes, Reply};
use super::streams::{Group, Pending, StreamId, entry_reply, group_of, invalid_id, range_bound};

/// XCLAIM's options.
#[derive(Default)]
struct ClaimOptions {
    delivered_at: Option<Millis>,
    retry_count: Option<u64>,
    force: bool,
    just_id: bool,
    last_id: Option<StreamId>,
}

fn claim_options(options: &[Bytes], now: Millis) -> Result<ClaimOptions, Fail> {
    let mut o = ClaimOptions::default();
    let mut at = 0;
    while at < options.len() {
        let arg = &options[at];
        let more = at + 1 < options.len();
        let value = |what: &str| {
            let v = options.get(at + 1).and_then(|v| parse_i64(v));
            v.ok_or_else(|| Fail::err(format!("Invalid {what} option argument for XCLAIM")))
        };
        if is(arg, "IDLE") && more {
            o.delivered_at = Some(now - value("IDLE")?);
            at += 1;
        } else if is(arg, "TIME") && more {
            o.delivered_at = Some(value("TIME")?);
            at += 1;
        } else if is(arg, "RETRYCOUNT") && more {
            o.retry_count = u64::try_from(value("RETRYCOUNT")?).ok();
            at += 1;
        } else if is(arg, "FORCE") {
            o.force = true;
        } else if is(arg, "JUSTID") {
            o.just_id = true;
        } else if is(arg, "LASTID") && more {
            o.last_id = Some(StreamId::arg(&options[at + 1])?);
            at += 1;
        } else {
            return Err(Fail::err(format!("Unrecognized XCLAIM option '{}'", text(arg))));
        }
        at += 1;
    }
    Ok(o)
}

fn min_idle(arg: &[u8], command: &str) -> Result<Millis, Fail> {
    let ms = parse_i64(arg).ok_or_else(|| Fail::err(format!("Invalid min-idle-time argument for {command}")))?;
    Ok(ms.max(0))
}

/// Moves one pending entry to `consumer`, as delivered at `at`.
fn take(group: &mut Group, id: StreamId, consumer: &[u8], at: Millis, deliveries: Option<u64>) {
    let pending =
        group.pending.entry(id).or_insert_with(|| Pending { consumer: Vec::new(), delivered_at: at, deliveries: 0 });
    pending.consumer = consumer.to_vec();
    pending.delivered_at = at;
    if let Some(n) = deliveries {
        pending.deliveries = n;
    }
    group.consumers.entry(consumer.to_vec()).or_insert(at);
}

/// XCLAIM key group consumer min-idle-time id … [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE]
/// [JUSTID] [LASTID id]
pub(super) fn xclaim(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let consumer = &args[3];
    group_of(db, &args[1], &args[2], now, "")?;
    let min_idle = min_idle(&args[4], "XCLAIM")?;
    let ids_end = args[5..].iter().position(|a| StreamId::parse(a, 0).is_none()).map_or(args.len(), |n| n + 5);
    let ids = args[5..ids_end].iter().map(|a| StreamId::arg(a)).collect::<Result<Vec<_>, _>>()?;
    let o = claim_options(&args[ids_end..], now)?;
    let delivered_at = o.delivered_at.filter(|at| (0..=now).contains(at)).unwrap_or(now);
    let (entries, group) = group_of(db, &args[1], &args[2], now, "")?;
    if let Some(last) = o.last_id.filter(|last| *last > group.last_delivered) {
        group.last_delivered = last;
    }
    let mut claimed = Vec::new();
    for id in ids {
        let Some(fields) = entries.get(&id) else {
            group.pending.remove(&id);
            continue;
        };
        let existing = group.pending.get(&id).map(|p| (p.delivered_at, p.deliveries));
        let deliveries = match existing {
            None if !o.force => continue,
            Some((at, _)) if min_idle > 0 && now - at < min_idle => continue,
            None => 1, // FORCE makes the record as a delivery would: once, now
            Some((_, n)) => n,
        };
        let deliveries = o.retry_count.or(Some(if o.just_id { deliveries } else { deliveries + 1 }));
        take(group, id, consumer, delivered_at, deliveries);
        claimed.push(if o.just_id { id.reply() } else { entry_reply(id, fields) });
    }
    if !claimed.is_empty() {
        group.seen(consumer, now);
    }
    Ok(Reply::Array(claimed))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT n] [JUSTID]
///
/// Walks the pending list from `start`, looking at no more than ten times COUNT entries;
/// replies `[next start (0-0 at the end), claimed, deleted ids]`.
pub(super) fn xautoclaim(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let consumer = &args[3];
    db.stream(&args[1], now)?;
    let min_idle = min_idle(&args[4], "XAUTOCLAIM")?;
    let start = range_bound(&args[5], true)?.ok_or_else(invalid_id)?;
    let (mut count, mut just_id, mut at) = (100_i64, false, 6);
    while at < args.len() {
        if is(&args[at], "COUNT") {
            count = int(args.get(at + 1).ok_or_else(Fail::syntax)?)?;
            if !(1..=i64::MAX / 10).contains(&count) {
                return Err(Fail::err("COUNT must be > 0"));
            }
            at += 1;
        } else if is(&args[at], "JUSTID") {
            just_id = true;
        } else {
            return Err(Fail::syntax());
        }
        at += 1;
    }
    let (entries, group) = group_of(db, &args[1], &args[2], now, "")?;
    group.seen(consumer, now);
    let (mut attempts, mut claimed, mut deleted) = (count * 10, Vec::new(), Vec::new());
    let ids: Vec<StreamId> = group.pending.range(start..).map(|(id, _)| *id).collect();
    let mut walk = ids.iter().peekable();
    while attempts > 0 && count > 0 {
        let Some(&id) = walk.next() else { break };
        attempts -= 1;
        let Some(fields) = entries.get(&id) else {
            group.pending.remove(&id);
            deleted.push(id.reply());
            count -= 1;
            continue;
        };
        let pending = group.pending.get(&id).map_or((now, 0), |p| (p.delivered_at, p.deliveries));
        if min_idle > 0 && now - pending.0 < min_idle {
            continue;
        }
        take(group, id, consumer, now, Some(if just_id { pending.1 } else { pending.1 + 1 }));
        claimed.push(if just_id { id.reply() } else { entry_reply(id, fields) });
        count -= 1;
    }
    let next = walk.peek().map_or(StreamId::default(), |id| **id);
    Ok(Reply::Array(vec![next.reply(), Reply::Array(claimed), Reply::Array(deleted)]))
}
