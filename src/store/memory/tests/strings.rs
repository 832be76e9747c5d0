//! Strings, keys and expiry, hashes and sets, and the errors every command shares.

use super::{T0, array, bulk, bulks, error, int, ok, run};
use crate::store::memory::db::Db;
use crate::store::memory::resp::Reply;

#[test]
fn set_nx_px_takes_a_free_key_once_and_frees_it_when_it_expires() {
    let mut db = Db::default();
    assert_eq!(run(&mut db, T0, "SET lock a NX PX 100"), ok());
    assert_eq!(run(&mut db, T0 + 50, "SET lock b NX PX 100"), Reply::Nil);
    assert_eq!(run(&mut db, T0 + 50, "PTTL lock"), int(50));
    assert_eq!(run(&mut db, T0 + 99, "GET lock"), bulk("a"));
    assert_eq!(run(&mut db, T0 + 100, "GET lock"), Reply::Nil, "expired at exactly T0 + 100");
    assert_eq!(run(&mut db, T0 + 100, "SET lock b NX PX 100"), ok());
    assert_eq!(run(&mut db, T0 + 100, "GET lock"), bulk("b"));
}

#[test]
fn set_options_behave_as_in_redis() {
    let mut db = Db::default();
    assert_eq!(run(&mut db, T0, "SET k v XX"), Reply::Nil);
    assert_eq!(run(&mut db, T0, "SET k v1 EX 10"), ok());
    assert_eq!(run(&mut db, T0, "SET k v2 GET"), bulk("v1"));
    assert_eq!(run(&mut db, T0, "PTTL k"), int(-1), "a plain SET drops the expiry");
    assert_eq!(run(&mut db, T0, "SET k v3 PX 5000"), ok());
    assert_eq!(run(&mut db, T0, "SET k v4 KEEPTTL"), ok());
    assert_eq!(run(&mut db, T0 + 1000, "PTTL k"), int(4000));
    assert_eq!(run(&mut db, T0, "SET k v5 NX GET"), bulk("v4"));
    assert_eq!(run(&mut db, T0, "SET fresh v NX GET"), Reply::Nil);
    assert_eq!(run(&mut db, T0, "GET fresh"), bulk("v"));
    assert_eq!(run(&mut db, T0, "SET k v EX 0"), error("ERR invalid expire time in 'set' command"));
    assert_eq!(run(&mut db, T0, "SET k v PX -1"), error("ERR invalid expire time in 'set' command"));
    assert_eq!(run(&mut db, T0, "SET k v EX 010"), error("ERR value is not an integer or out of range"));
    assert_eq!(run(&mut db, T0, "SET k v NX XX"), error("ERR syntax error"));
    assert_eq!(run(&mut db, T0, "SET k v EX 1 PX 1"), error("ERR syntax error"));
    assert_eq!(run(&mut db, T0, "SET k v EX"), error("ERR syntax error"));
    assert_eq!(run(&mut db, T0, "SET k v PXAT 1"), ok());
    assert_eq!(run(&mut db, T0, "EXISTS k"), int(0), "an absolute time in the past expires the key at once");
}

#[test]
fn incr_counts_from_zero_and_keeps_the_expiry() {
    let mut db = Db::default();
    assert_eq!(run(&mut db, T0, "INCR n"), int(1));
    assert_eq!(run(&mut db, T0, "PEXPIRE n 2000"), int(1));
    assert_eq!(run(&mut db, T0, "INCR n"), int(2));
    assert_eq!(run(&mut db, T0 + 500, "PTTL n"), int(1500));
    assert_eq!(run(&mut db, T0 + 2000, "INCR n"), int(1), "the window expired");
    run(&mut db, T0, "SET s abc");
    assert_eq!(run(&mut db, T0, "INCR s"), error("ERR value is not an integer or out of range"));
    run(&mut db, T0, "SET big 9223372036854775807");
    assert_eq!(run(&mut db, T0, "INCR big"), error("ERR increment or decrement would overflow"));
}

#[test]
fn ttl_rounds_to_the_nearest_second_and_reports_missing_keys() {
    let mut db = Db::default();
    run(&mut db, T0, "SET a 1 PX 1499");
    run(&mut db, T0, "SET b 1 PX 1500");
    run(&mut db, T0, "SET c 1");
    assert_eq!(run(&mut db, T0, "TTL a"), int(1));
    assert_eq!(run(&mut db, T0, "TTL b"), int(2));
    assert_eq!(run(&mut db, T0, "TTL c"), int(-1));
    assert_eq!(run(&mut db, T0, "TTL nothing"), int(-2));
    assert_eq!(run(&mut db, T0, "PTTL nothing"), int(-2));
}

#[test]
fn expire_conditions_and_past_times() {
    let mut db = Db::default();
    assert_eq!(run(&mut db, T0, "EXPIRE missing 10"), int(0));
    run(&mut db, T0, "SET k v");
    assert_eq!(run(&mut db, T0, "EXPIRE k 10 XX"), int(0));
    assert_eq!(run(&mut db, T0, "EXPIRE k 10 GT"), int(0), "no expiry counts as infinite");
    assert_eq!(run(&mut db, T0, "EXPIRE k 10 NX"), int(1));
    assert_eq!(run(&mut db, T0, "EXPIRE k 5 GT"), int(0));
    assert_eq!(run(&mut db, T0, "EXPIRE k 5 LT"), int(1));
    assert_eq!(run(&mut db, T0, "PTTL k"), int(5000));
    assert_eq!(
        run(&mut db, T0, "EXPIRE k 5 NX GT"),
        error("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    assert_eq!(run(&mut db, T0, "EXPIRE k abc"), error("ERR value is not an integer or out of range"));
    assert_eq!(run(&mut db, T0, "EXPIRE k -1"), int(1));
    assert_eq!(run(&mut db, T0, "EXISTS k"), int(0), "a time in the past deletes the key");
}

#[test]
fn the_sweep_removes_expired_keys_nobody_reads() {
    let mut db = Db::default();
    run(&mut db, T0, "SET a 1 PX 10");
    run(&mut db, T0, "SET b 1 PX 20");
    run(&mut db, T0, "SET c 1");
    db.sweep(T0 + 10);
    assert_eq!(db.len(), 2);
    db.sweep(T0 + 20);
    assert_eq!(db.len(), 1);
}

#[test]
fn del_and_exists_count_keys_as_redis_does() {
    let mut db = Db::default();
    run(&mut db, T0, "SET a 1");
    run(&mut db, T0, "HSET h f v");
    assert_eq!(run(&mut db, T0, "EXISTS a a h missing"), int(3));
    assert_eq!(run(&mut db, T0, "DEL a h missing"), int(2));
    assert_eq!(run(&mut db, T0, "EXISTS a h"), int(0));
}

#[test]
fn hashes_keep_insertion_order_and_count_new_fields() {
    let mut db = Db::default();
    assert_eq!(run(&mut db, T0, "HSET h v 1 state s lang ru"), int(3));
    assert_eq!(run(&mut db, T0, "HSET h state t extra x"), int(1));
    assert_eq!(run(&mut db, T0, "HGETALL h"), bulks(&["v", "1", "state", "t", "lang", "ru", "extra", "x"]));
    assert_eq!(run(&mut db, T0, "HGET h lang"), bulk("ru"));
    assert_eq!(run(&mut db, T0, "HGET h none"), Reply::Nil);
    assert_eq!(run(&mut db, T0, "HMGET h lang none"), array(vec![bulk("ru"), Reply::Nil]));
    assert_eq!(run(&mut db, T0, "HMGET missing a b"), array(vec![Reply::Nil, Reply::Nil]));
    assert_eq!(run(&mut db, T0, "HGETALL missing"), array(vec![]));
    assert_eq!(run(&mut db, T0, "HSET h odd"), error("ERR wrong number of arguments for 'hset' command"));
}

#[test]
fn an_emptied_set_is_deleted() {
    let mut db = Db::default();
    assert_eq!(run(&mut db, T0, "SADD s b a b"), int(2));
    assert_eq!(run(&mut db, T0, "SMEMBERS s"), bulks(&["a", "b"]));
    assert_eq!(run(&mut db, T0, "SREM s a x"), int(1));
    assert_eq!(run(&mut db, T0, "SREM s b"), int(1));
    assert_eq!(run(&mut db, T0, "EXISTS s"), int(0));
    assert_eq!(run(&mut db, T0, "SMEMBERS s"), array(vec![]));
    assert_eq!(run(&mut db, T0, "SADD s"), error("ERR wrong number of arguments for 'sadd' command"));
}

#[test]
fn wrong_types_unknown_commands_and_arity_are_errors() {
    let mut db = Db::default();
    run(&mut db, T0, "HSET h f v");
    let wrong = error("WRONGTYPE Operation against a key holding the wrong kind of value");
    for line in ["GET h", "INCR h", "SADD h x", "SMEMBERS h", "XLEN h", "SET h v GET", "XADD h * a b"] {
        assert_eq!(run(&mut db, T0, line), wrong, "{line}");
    }
    assert_eq!(run(&mut db, T0, "SET h v"), ok(), "SET replaces any type");
    assert_eq!(run(&mut db, T0, "HGET h f"), wrong);
    assert_eq!(
        run(&mut db, T0, "FOO bar baz"),
        error("ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' ")
    );
    assert_eq!(run(&mut db, T0, "get"), error("ERR wrong number of arguments for 'get' command"));
    assert_eq!(run(&mut db, T0, "ping"), Reply::Status("PONG".into()));
    assert_eq!(run(&mut db, T0, "CLIENT SETINFO LIB-NAME redis-rs"), ok());
    assert_eq!(run(&mut db, T0, "SELECT 0"), ok());
    assert_eq!(run(&mut db, T0, "SELECT 1"), error("ERR DB index is out of range"));
    assert_eq!(run(&mut db, T0, "HELLO 3"), error("NOPROTO unsupported protocol version"));
    assert_eq!(run(&mut db, T0, "FLUSHALL"), ok());
    assert_eq!(run(&mut db, T0, "DBSIZE"), int(0));
}
