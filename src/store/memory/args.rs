//! Reading command arguments the way Redis reads them: integers strictly (no `+`, no leading
//! zeros, no spaces — Redis's `string2ll`), option names in any case.

use super::db::Fail;

/// Parses a decimal integer as Redis's `string2ll` does.
pub(super) fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let valid = match digits {
        [b'0'] => !negative,
        [first, rest @ ..] => (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit),
        [] => false,
    };
    if !valid {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Parses an unsigned decimal integer (the parts of a stream id).
pub(super) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) || (bytes.len() > 1 && bytes[0] == b'0') {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// An integer argument; anything else is Redis's "not an integer" error.
pub(super) fn int(bytes: &[u8]) -> Result<i64, Fail> {
    parse_i64(bytes).ok_or_else(Fail::not_integer)
}

/// Whether `arg` is the option `name`, in any case.
pub(super) fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// The argument after an option (`EX 10`), or a syntax error when it is missing.
pub(super) fn value_of(args: &[Vec<u8>], at: usize) -> Result<&[u8], Fail> {
    args.get(at + 1).map(Vec::as_slice).ok_or_else(Fail::syntax)
}

/// Bytes for an error message.
pub(super) fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}
