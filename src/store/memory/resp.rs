//! RESP2 on the wire: requests in (arrays of bulk strings, or inline lines as `redis-cli` and
//! `telnet` send them), replies out. Parsing only reads bytes; what a request means is decided
//! in [`super::command`].

/// A binary-safe string, as every argument and value is.
pub(super) type Bytes = Vec<u8>;

/// Requests larger than this are refused, as Redis refuses them (`proto-max-bulk-len`).
const MAX_BULK: usize = 512 * 1024 * 1024;
/// More arguments than this in one request is a protocol error in Redis too.
const MAX_ARGS: usize = 1024 * 1024;
/// An inline request without a newline after this many bytes is refused.
const MAX_INLINE: usize = 64 * 1024;

/// A request the client framed wrongly; Redis answers it and closes the connection.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ProtocolError(pub(super) String);

/// One parsed request and how many bytes of the input it used. An empty `args` (a blank
/// inline line, `*0`, `*-1`) is consumed without a reply, as Redis does.
pub(super) type Parsed = Option<(Vec<Bytes>, usize)>;

/// Parses the first request in `input`; `Ok(None)` when more bytes are needed.
pub(super) fn parse_request(input: &[u8]) -> Result<Parsed, ProtocolError> {
    match input.first() {
        None => Ok(None),
        Some(b'*') => parse_multibulk(input),
        Some(_) => parse_inline(input),
    }
}

/// The line starting at `from` (without `\r\n`) and the index after its end.
fn line(input: &[u8], from: usize) -> Option<(&[u8], usize)> {
    let rest = input.get(from..)?;
    let at = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..at], from + at + 2))
}

fn number(text: &[u8]) -> Option<i64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn parse_multibulk(input: &[u8]) -> Result<Parsed, ProtocolError> {
    let Some((header, mut at)) = line(input, 0) else {
        return if input.len() > MAX_INLINE { Err(bad("invalid multibulk length")) } else { Ok(None) };
    };
    let count = number(&header[1..]).ok_or_else(|| bad("invalid multibulk length"))?;
    if count > MAX_ARGS as i64 {
        return Err(bad("invalid multibulk length"));
    }
    if count <= 0 {
        return Ok(Some((Vec::new(), at)));
    }
    let mut args = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let Some((head, body)) = line(input, at) else { return Ok(None) };
        match head.first() {
            Some(b'$') => {}
            other => {
                let got = other.map_or(String::new(), |b| char::from(*b).to_string());
                return Err(bad(&format!("expected '$', got '{got}'")));
            }
        }
        let len = number(&head[1..]).filter(|n| (0..=MAX_BULK as i64).contains(n));
        let len = len.ok_or_else(|| bad("invalid bulk length"))? as usize;
        let end = body + len;
        if input.len() < end + 2 {
            return Ok(None);
        }
        if &input[end..end + 2] != b"\r\n" {
            return Err(bad("invalid bulk format"));
        }
        args.push(input[body..end].to_vec());
        at = end + 2;
    }
    Ok(Some((args, at)))
}

fn parse_inline(input: &[u8]) -> Result<Parsed, ProtocolError> {
    let Some(at) = input.iter().position(|b| *b == b'\n') else {
        return if input.len() > MAX_INLINE { Err(bad("too big inline request")) } else { Ok(None) };
    };
    let text = input[..at].strip_suffix(b"\r").unwrap_or(&input[..at]);
    let args = split_inline(text).ok_or_else(|| bad("unbalanced quotes in request"))?;
    Ok(Some((args, at + 1)))
}

/// Splits an inline request on whitespace, honouring "double" and 'single' quotes (with `\"`,
/// `\\`, `\n`, `\r`, `\t` escapes inside double quotes), a subset of Redis's `sdssplitargs`.
fn split_inline(text: &[u8]) -> Option<Vec<Bytes>> {
    let mut args = Vec::new();
    let mut rest = text.iter().copied().peekable();
    loop {
        while rest.next_if(u8::is_ascii_whitespace).is_some() {}
        let Some(first) = rest.next() else { return Some(args) };
        let mut arg = Vec::new();
        match first {
            b'"' | b'\'' => loop {
                match rest.next()? {
                    b if b == first => break,
                    b'\\' if first == b'"' => arg.push(match rest.next()? {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        other => other,
                    }),
                    b => arg.push(b),
                }
            },
            b => {
                arg.push(b);
                while let Some(b) = rest.next_if(|b| !b.is_ascii_whitespace()) {
                    arg.push(b);
                }
            }
        }
        args.push(arg);
    }
}

fn bad(what: &str) -> ProtocolError {
    ProtocolError(format!("ERR Protocol error: {what}"))
}

/// A RESP2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Reply {
    /// `+OK`, `+QUEUED`, `+PONG`.
    Status(String),
    /// `-CODE message`; the text starts with the code (`ERR`, `WRONGTYPE`, `BUSYGROUP`, …).
    Error(String),
    Int(i64),
    Bulk(Bytes),
    /// The null bulk string, `$-1`.
    Nil,
    /// The null array, `*-1` (XREADGROUP with nothing to read, XPENDING's empty consumers).
    NilArray,
    Array(Vec<Reply>),
}

impl Reply {
    pub(super) fn ok() -> Reply {
        Reply::Status("OK".into())
    }

    pub(super) fn bulk(bytes: impl Into<Bytes>) -> Reply {
        Reply::Bulk(bytes.into())
    }

    /// Appends the wire form of the reply to `out`.
    pub(super) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Reply::Status(s) => simple(out, b'+', s),
            Reply::Error(e) => simple(out, b'-', e),
            Reply::Int(n) => out.extend_from_slice(format!(":{n}\r\n").as_bytes()),
            Reply::Bulk(b) => {
                out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Nil => out.extend_from_slice(b"$-1\r\n"),
            Reply::NilArray => out.extend_from_slice(b"*-1\r\n"),
            Reply::Array(items) => {
                out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
                for item in items {
                    item.encode(out);
                }
            }
        }
    }
}

/// A simple string or error: one line, so line breaks become spaces (as Redis does).
fn simple(out: &mut Vec<u8>, kind: u8, text: &str) {
    out.push(kind);
    out.extend(text.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    out.extend_from_slice(b"\r\n");
}
