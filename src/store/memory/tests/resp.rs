//! The request parser and the reply encoder.

use super::super::resp::{ProtocolError, Reply, parse_request};

fn words(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|i| i.as_bytes().to_vec()).collect()
}

#[test]
fn a_multibulk_request_is_parsed_with_its_length() {
    let input = b"*2\r\n$3\r\nGET\r\n$5\r\nk\r\ney\r\n";
    assert_eq!(parse_request(input), Ok(Some((words(&["GET", "k\r\ney"]), input.len()))));
}

#[test]
fn an_incomplete_request_waits_for_more_bytes_at_every_cut() {
    let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n";
    for cut in 0..input.len() {
        assert_eq!(parse_request(&input[..cut]), Ok(None), "cut at {cut}");
    }
    assert!(matches!(parse_request(input), Ok(Some((_, n))) if n == input.len()));
}

#[test]
fn pipelined_requests_are_parsed_one_after_another() {
    let input = b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n";
    let Ok(Some((first, n))) = parse_request(input) else { panic!("first request") };
    assert_eq!(first, words(&["PING"]));
    let Ok(Some((second, m))) = parse_request(&input[n..]) else { panic!("second request") };
    assert_eq!(second, words(&["GET", "k"]));
    assert_eq!(parse_request(&input[n + m..]), Ok(Some((words(&["PING"]), 6))));
}

#[test]
fn inline_requests_split_on_spaces_and_honour_quotes() {
    let input = b"  SET  \"a b\" 'c d' \"x\\ny\"\r\n";
    assert_eq!(parse_request(input), Ok(Some((words(&["SET", "a b", "c d", "x\ny"]), input.len()))));
    assert_eq!(parse_request(b"\r\n"), Ok(Some((vec![], 2))));
    assert_eq!(parse_request(b"PING"), Ok(None));
    assert!(parse_request(b"GET \"open\r\n").is_err());
}

#[test]
fn empty_and_null_arrays_are_skipped() {
    assert_eq!(parse_request(b"*0\r\n"), Ok(Some((vec![], 4))));
    assert_eq!(parse_request(b"*-1\r\n"), Ok(Some((vec![], 5))));
}

#[test]
fn malformed_requests_get_redis_protocol_errors() {
    let error = |text: &str| Err(ProtocolError(format!("ERR Protocol error: {text}")));
    assert_eq!(parse_request(b"*x\r\n"), error("invalid multibulk length"));
    assert_eq!(parse_request(b"*1\r\nPING\r\n"), error("expected '$', got 'P'"));
    assert_eq!(parse_request(b"*1\r\n$-1\r\n"), error("invalid bulk length"));
    assert_eq!(parse_request(b"*1\r\n$2\r\nabc\r\n"), error("invalid bulk format"));
}

#[test]
fn replies_are_encoded_as_resp2() {
    let reply = Reply::Array(vec![
        Reply::ok(),
        Reply::Error("ERR bad\r\nthing".into()),
        Reply::Int(-3),
        Reply::bulk("a\r\nb"),
        Reply::Nil,
        Reply::NilArray,
        Reply::Array(vec![]),
    ]);
    let mut out = Vec::new();
    reply.encode(&mut out);
    let expected = "*7\r\n+OK\r\n-ERR bad  thing\r\n:-3\r\n$4\r\na\r\nb\r\n$-1\r\n*-1\r\n*0\r\n";
    assert_eq!(String::from_utf8_lossy(&out), expected);
}
