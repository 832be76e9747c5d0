//! Streams: entries by id, the last id ever given out, and consumer groups; XADD, XLEN, XDEL
//! and XRANGE. Consumer-group commands are in [`super::groups`] and [`super::claim`].

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

use super::args::{int, is, parse_u64, text};
use super::db::{CmdResult, Db, Fail, Millis, Value};
use super::resp::{Bytes, Reply};

/// A stream entry id, `ms-seq`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct StreamId {
    pub(super) ms: u64,
    pub(super) seq: u64,
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl StreamId {
    pub(super) const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    /// `ms-seq`, or `ms` alone with `seq` as given (0 at a range's start, the maximum at its end).
    pub(super) fn parse(bytes: &[u8], seq: u64) -> Option<StreamId> {
        let mut parts = bytes.splitn(2, |b| *b == b'-');
        let ms = parse_u64(parts.next()?)?;
        let seq = match parts.next() {
            Some(s) => parse_u64(s)?,
            None => seq,
        };
        Some(StreamId { ms, seq })
    }

    /// An id argument of XACK, XDEL, XCLAIM, XGROUP: `ms-seq` or `ms`.
    pub(super) fn arg(bytes: &[u8]) -> Result<StreamId, Fail> {
        StreamId::parse(bytes, 0).ok_or_else(invalid_id)
    }

    /// The id just after this one, if there is one.
    pub(super) fn next(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => Some(StreamId { ms: self.ms.checked_add(1)?, seq: 0 }),
        }
    }

    fn previous(self) -> Option<StreamId> {
        match self.seq.checked_sub(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => Some(StreamId { ms: self.ms.checked_sub(1)?, seq: u64::MAX }),
        }
    }

    pub(super) fn reply(self) -> Reply {
        Reply::bulk(self.to_string())
    }
}

pub(super) fn invalid_id() -> Fail {
    Fail::err("Invalid stream ID specified as stream command argument")
}

/// A stream's entries and groups. An empty stream still exists (unlike an empty set).
#[derive(Debug, Default)]
pub(super) struct Stream {
    pub(super) entries: BTreeMap<StreamId, Vec<Bytes>>,
    /// The greatest id ever added: XDEL does not lower it, so ids never repeat.
    pub(super) last_id: StreamId,
    pub(super) groups: BTreeMap<Bytes, Group>,
}

/// A consumer group: how far it has read, what it has read but not acknowledged, and its
/// consumers with the time each was last seen (read or claimed), for XINFO CONSUMERS.
#[derive(Debug, Default)]
pub(super) struct Group {
    pub(super) last_delivered: StreamId,
    pub(super) pending: BTreeMap<StreamId, Pending>,
    pub(super) consumers: BTreeMap<Bytes, Millis>,
}

impl Group {
    /// The consumer exists from now on (if new) and was seen `now`.
    pub(super) fn seen(&mut self, consumer: &[u8], now: Millis) {
        self.consumers.insert(consumer.to_vec(), now);
    }
}

/// An entry delivered and not yet acknowledged (Redis's NACK).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Pending {
    pub(super) consumer: Bytes,
    /// When it was last delivered (or claimed): its idle time is `now` minus this.
    pub(super) delivered_at: Millis,
    pub(super) deliveries: u64,
}

/// `[id, [field, value, …]]`.
pub(super) fn entry_reply(id: StreamId, fields: &[Bytes]) -> Reply {
    Reply::Array(vec![id.reply(), Reply::Array(fields.iter().map(|f| Reply::bulk(f.clone())).collect())])
}

/// The id XADD was asked for.
#[derive(Clone, Copy)]
enum Wanted {
    /// `*`: from the clock, never below the last id.
    Auto,
    /// `ms-*`: the next sequence number within `ms`.
    AutoSeq(u64),
    Exact(StreamId),
}

fn wanted(arg: &[u8]) -> Result<Wanted, Fail> {
    let wanted = if arg == b"*" {
        Wanted::Auto
    } else if let Some(ms) = arg.strip_suffix(b"-*") {
        Wanted::AutoSeq(parse_u64(ms).ok_or_else(invalid_id)?)
    } else {
        Wanted::Exact(StreamId::arg(arg)?)
    };
    if matches!(wanted, Wanted::Exact(id) if id == StreamId::default()) {
        return Err(Fail::err("The ID specified in XADD must be greater than 0-0"));
    }
    Ok(wanted)
}

/// The id XADD gives, which must exceed the stream's last id.
fn new_id(last: StreamId, wanted: Wanted, now: Millis) -> Result<StreamId, Fail> {
    let exhausted = || Fail::err("The stream has exhausted the last possible ID, unable to add more items");
    let too_small = || Fail::err("The ID specified in XADD is equal or smaller than the target stream top item");
    let id = match wanted {
        Wanted::Auto => match u64::try_from(now).unwrap_or(0) {
            ms if ms > last.ms => StreamId { ms, seq: 0 },
            _ => last.next().ok_or_else(exhausted)?,
        },
        Wanted::AutoSeq(ms) if ms == last.ms => last.next().filter(|n| n.ms == ms).ok_or_else(too_small)?,
        Wanted::AutoSeq(ms) => StreamId { ms, seq: u64::from(ms == 0) },
        Wanted::Exact(id) => id,
    };
    if id <= last {
        return Err(too_small());
    }
    Ok(id)
}

/// XADD key [NOMKSTREAM] <* | ms-* | id> field value [field value …]
pub(super) fn xadd(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let key = &args[1];
    let create = !is(&args[2], "NOMKSTREAM");
    let at = if create { 2 } else { 3 };
    if let Some(option) = ["MAXLEN", "MINID", "LIMIT"].into_iter().find(|o| is(&args[at], o)) {
        return Err(Fail::err(format!("XADD {option} is not supported by the in-memory store")));
    }
    let fields = args.get(at + 1..).unwrap_or_default();
    if fields.is_empty() || !fields.len().is_multiple_of(2) {
        return Err(Fail::arity("xadd"));
    }
    let wanted = wanted(&args[at])?;
    if !create && db.stream(key, now)?.is_none() {
        return Ok(Reply::Nil);
    }
    let Value::Stream(stream) = db.value_or_insert(key, now, || Value::Stream(Stream::default())) else {
        return Err(Fail::wrong_type());
    };
    let id = new_id(stream.last_id, wanted, now)?;
    stream.entries.insert(id, fields.to_vec());
    stream.last_id = id;
    db.note_stream_added();
    Ok(id.reply())
}

pub(super) fn xlen(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    Ok(Reply::Int(db.stream(&args[1], now)?.map_or(0, |s| s.entries.len() as i64)))
}

/// Deletes entries; their pending records stay until acknowledged or claimed, as in Redis.
pub(super) fn xdel(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let ids = args[2..].iter().map(|a| StreamId::arg(a)).collect::<Result<Vec<_>, _>>()?;
    let Some(stream) = db.stream(&args[1], now)? else { return Ok(Reply::Int(0)) };
    Ok(Reply::Int(ids.iter().filter(|id| stream.entries.remove(id).is_some()).count() as i64))
}

/// One end of a range: `-`, `+`, `ms`, `ms-seq`, or `(id` for an exclusive end.
pub(super) fn range_bound(arg: &[u8], start: bool) -> Result<Option<StreamId>, Fail> {
    let (exclusive, id) = match arg.strip_prefix(b"(") {
        Some(rest) => (true, rest),
        None => (false, arg),
    };
    let id = match id {
        b"-" => StreamId::default(),
        b"+" => StreamId::MAX,
        _ => StreamId::parse(id, if start { 0 } else { u64::MAX }).ok_or_else(invalid_id)?,
    };
    Ok(match (exclusive, start) {
        (false, _) => Some(id),
        (true, true) => id.next(),
        (true, false) => id.previous(),
    })
}

/// XRANGE key start end [COUNT n]
pub(super) fn xrange(db: &mut Db, args: &[Bytes], now: Millis) -> CmdResult {
    let (start, end) = (range_bound(&args[2], true)?, range_bound(&args[3], false)?);
    let count = match &args[4..] {
        [] => None,
        [option, n] if is(option, "COUNT") => Some(int(n)?.max(0) as usize),
        _ => return Err(Fail::syntax()),
    };
    let Some(stream) = db.stream(&args[1], now)? else { return Ok(Reply::Array(Vec::new())) };
    let (Some(start), Some(end)) = (start, end) else { return Ok(Reply::Array(Vec::new())) };
    if start > end {
        return Ok(Reply::Array(Vec::new()));
    }
    let entries = stream.entries.range((Bound::Included(start), Bound::Included(end)));
    Ok(Reply::Array(entries.take(count.unwrap_or(usize::MAX)).map(|(id, f)| entry_reply(*id, f)).collect()))
}

/// The stream at `key` and its group `name`, or Redis's NOGROUP error.
pub(super) fn group_of<'a>(
    db: &'a mut Db,
    key: &[u8],
    name: &[u8],
    now: Millis,
    context: &str,
) -> Result<(&'a mut BTreeMap<StreamId, Vec<Bytes>>, &'a mut Group), Fail> {
    let nogroup = || Fail(format!("NOGROUP No such key '{}' or consumer group '{}'{context}", text(key), text(name)));
    let stream = db.stream(key, now)?.ok_or_else(nogroup)?;
    let group = stream.groups.get_mut(name).ok_or_else(nogroup)?;
    Ok((&mut stream.entries, group))
}
