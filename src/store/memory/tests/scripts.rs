//! The bot's scripts, run natively: each reply and effect as the Lua original gives it.

use super::{T0, array, bulk, bulks, error, int, run, run_args};
use crate::store::memory::db::{Db, Millis};
use crate::store::memory::resp::Reply;
use crate::store::memory::scripts::lua_number;

/// EVAL of `script` with the keys and arguments given.
fn eval(db: &mut Db, now: Millis, script: &str, keys: &[&str], args: &[&str]) -> Reply {
    let mut all = vec![b"EVAL".to_vec(), script.as_bytes().to_vec(), keys.len().to_string().into_bytes()];
    all.extend(keys.iter().chain(args).map(|a| a.as_bytes().to_vec()));
    run_args(db, now, &all)
}

fn begin(db: &mut Db, now: Millis, update: &str, token: &str) -> Reply {
    let keys = [update, "lock", "chat", "unreachable"];
    eval(db, now, crate::store::begin::BEGIN, &keys, &[token, "4000"])
}

#[test]
fn begin_claims_locks_clears_and_loads_in_one_step() {
    let mut db = Db::default();
    run(&mut db, T0, "HSET chat v 1 lang ru");
    run(&mut db, T0, "SET unreachable 1");
    assert_eq!(begin(&mut db, T0, "u1", "t1"), array(vec![bulk("ok"), bulks(&["v", "1", "lang", "ru"])]));
    assert_eq!(run(&mut db, T0, "GET u1"), bulk("p:t1"));
    assert_eq!(run(&mut db, T0, "PTTL u1"), int(4_000));
    assert_eq!(run(&mut db, T0, "GET lock"), bulk("t1"));
    assert_eq!(run(&mut db, T0, "PTTL lock"), int(4_000));
    assert_eq!(run(&mut db, T0, "EXISTS unreachable"), int(0));
    assert_eq!(begin(&mut db, T0, "u1", "t1"), array(vec![bulk("ok"), bulks(&["v", "1", "lang", "ru"])]), "sent again");
    assert_eq!(begin(&mut db, T0, "u1", "t2"), bulks(&["in_progress"]));
    assert_eq!(begin(&mut db, T0, "u2", "t2"), bulks(&["busy"]));
    assert_eq!(run(&mut db, T0, "GET u2"), bulk("p:t2"), "the claim stays: Lua does not roll back");
    run(&mut db, T0, "SET u1 d");
    assert_eq!(begin(&mut db, T0, "u1", "t3"), bulks(&["done"]));
    run(&mut db, T0, "DEL lock chat");
    assert_eq!(begin(&mut db, T0, "u3", "t3"), array(vec![bulk("ok"), array(vec![])]));
}

fn end(db: &mut Db, token: &str, rev: &str, fields: &[&str]) -> Reply {
    let mut args = vec![token, rev, "86400"];
    args.extend(fields);
    eval(db, T0, crate::store::begin::END, &["u1", "lock", "chat"], &args)
}

#[test]
fn end_saves_over_the_revision_read_unlocks_and_marks_done() {
    let mut db = Db::default();
    run(&mut db, T0, "SET lock t1 PX 4000");
    assert_eq!(end(&mut db, "t1", "0", &["state", "a"]), int(1));
    assert_eq!(run(&mut db, T0, "HGET chat rev"), bulk("1"));
    assert_eq!(run(&mut db, T0, "HGET chat writer"), bulk("t1"));
    assert_eq!(run(&mut db, T0, "EXISTS lock"), int(0));
    assert_eq!(run(&mut db, T0, "GET u1"), bulk("d"));
    assert_eq!(end(&mut db, "t1", "0", &["state", "a"]), int(1), "sent again: already saved");
    assert_eq!(end(&mut db, "t2", "0", &["state", "b"]), int(-1), "read before t1 wrote: stale");
    assert_eq!(run(&mut db, T0, "HGET chat state"), bulk("a"));
    assert_eq!(end(&mut db, "t2", "1", &["state", "b"]), int(1));
    assert_eq!(run(&mut db, T0, "HGET chat rev"), bulk("2"));
    run(&mut db, T0, "SET lock other PX 4000");
    assert_eq!(end(&mut db, "t3", "2", &[]), int(0), "nothing to save");
    assert_eq!(run(&mut db, T0, "GET lock"), bulk("other"), "another's lock stays");
}

#[test]
fn renew_and_abort_touch_only_their_own_keys() {
    let mut db = Db::default();
    run(&mut db, T0, "SET u1 p:t1 PX 100");
    run(&mut db, T0, "SET lock other PX 100");
    let renew = |db: &mut Db| eval(db, T0, crate::store::lease::RENEW_LEASE, &["u1", "lock"], &["t1", "4000"]);
    assert_eq!(renew(&mut db), array(vec![int(1), int(0)]));
    assert_eq!(run(&mut db, T0, "PTTL u1"), int(4_000));
    assert_eq!(run(&mut db, T0, "PTTL lock"), int(100));
    assert_eq!(eval(&mut db, T0, crate::store::lease::ABORT, &["u1", "lock"], &["t1"]), int(1));
    assert_eq!(run(&mut db, T0, "EXISTS u1"), int(0));
    assert_eq!(run(&mut db, T0, "GET lock"), bulk("other"));
}

#[test]
fn begin_fails_like_lua_on_a_key_of_the_wrong_type() {
    let mut db = Db::default();
    run(&mut db, T0, "HSET u1 f v");
    let Reply::Error(e) = begin(&mut db, T0, "u1", "t") else { panic!("expected an error") };
    assert!(e.starts_with("WRONGTYPE "), "{e}");
}

#[test]
fn unlock_and_release_delete_only_their_own_token() {
    for script in [crate::store::lock::UNLOCK, crate::store::reminders::RELEASE] {
        let mut db = Db::default();
        run(&mut db, T0, "SET lock mine PX 1000");
        assert_eq!(eval(&mut db, T0, script, &["lock"], &["theirs"]), int(0));
        assert_eq!(run(&mut db, T0, "GET lock"), bulk("mine"));
        assert_eq!(eval(&mut db, T0, script, &["lock"], &["mine"]), int(1));
        assert_eq!(run(&mut db, T0, "EXISTS lock"), int(0));
        assert_eq!(eval(&mut db, T0, script, &["lock"], &["mine"]), int(0));
    }
}

#[test]
fn renew_extends_only_a_lease_we_hold() {
    let mut db = Db::default();
    let renew = crate::store::reminders::RENEW;
    run(&mut db, T0, "SET lease mine PX 60000");
    assert_eq!(eval(&mut db, T0 + 30_000, renew, &["lease"], &["theirs", "60000"]), int(0));
    assert_eq!(run(&mut db, T0 + 30_000, "PTTL lease"), int(30_000));
    assert_eq!(eval(&mut db, T0 + 30_000, renew, &["lease"], &["mine", "60000"]), int(1));
    assert_eq!(run(&mut db, T0 + 30_000, "PTTL lease"), int(60_000));
    assert_eq!(eval(&mut db, T0 + 90_000, renew, &["lease"], &["mine", "60000"]), int(0), "expired: lost");
}

#[test]
fn accept_queues_an_event_once() {
    let mut db = Db::default();
    let accept = crate::store::events::ACCEPT;
    let args = ["604800", "Payment Entry\u{1f}PE-1\u{1f}on_submit", "payment_received", "{}", "1700000000"];
    assert_eq!(eval(&mut db, T0, accept, &["seen", "events"], &args), bulk(&format!("{T0}-0")));
    assert_eq!(eval(&mut db, T0, accept, &["seen", "events"], &args), Reply::Nil);
    assert_eq!(run(&mut db, T0, "XLEN events"), int(1));
    assert_eq!(run(&mut db, T0, "TTL seen"), int(604_800));
    let fields = ["key", args[1], "handled", args[2], "body", args[3], "accepted_at", args[4]];
    assert_eq!(
        run(&mut db, T0, "XRANGE events - +"),
        array(vec![array(vec![bulk(&format!("{T0}-0")), bulks(&fields)])])
    );
}

#[test]
fn acquire_spaces_sends_per_chat_and_per_second_and_honours_the_pause() {
    let mut db = Db::default();
    let acquire = crate::store::reminders::ACQUIRE;
    let go = |db: &mut Db, now: Millis, chat: &str| eval(db, now, acquire, &["pause", "window", chat], &["2", "300"]);
    assert_eq!(go(&mut db, T0, "chat:1"), int(0));
    assert_eq!(run(&mut db, T0, "PTTL window"), int(2000));
    assert_eq!(run(&mut db, T0, "PTTL chat:1"), int(1000));
    assert_eq!(go(&mut db, T0 + 200, "chat:1"), int(800), "the same chat waits out its second");
    assert_eq!(go(&mut db, T0, "chat:2"), int(0));
    assert_eq!(go(&mut db, T0, "chat:3"), int(700), "a third send in the second waits 1000 - 300 ms");
    assert_eq!(run(&mut db, T0, "GET window"), bulk("3"));
    assert_eq!(run(&mut db, T0, "EXISTS chat:3"), int(0));
    run(&mut db, T0, "SET pause 1 PX 5000");
    assert_eq!(go(&mut db, T0 + 1000, "chat:4"), int(4000));
    run(&mut db, T0, "DEL pause window");
    run(&mut db, T0, "SET chat:5 1");
    assert_eq!(go(&mut db, T0, "chat:5"), int(50), "a spacing key without expiry waits 50 ms");
    let bad = eval(&mut db, T0, acquire, &["pause", "window", "chat:6"], &["many", "300"]);
    assert!(matches!(bad, Reply::Error(e) if e.contains("attempt to compare nil with number")));
}

#[test]
fn eval_checks_its_arguments_and_knows_only_the_bots_scripts() {
    let mut db = Db::default();
    let unlock = crate::store::lock::UNLOCK;
    assert_eq!(
        eval(&mut db, T0, "return 1", &[], &[]),
        error("ERR unknown script: the in-memory store runs only the bot's own scripts")
    );
    let mut args = vec![b"EVAL".to_vec(), unlock.as_bytes().to_vec(), b"3".to_vec(), b"k".to_vec()];
    assert_eq!(run_args(&mut db, T0, &args), error("ERR Number of keys can't be greater than number of args"));
    args[2] = b"-1".to_vec();
    assert_eq!(run_args(&mut db, T0, &args), error("ERR Number of keys can't be negative"));
    args[2] = b"x".to_vec();
    assert_eq!(run_args(&mut db, T0, &args), error("ERR value is not an integer or out of range"));
    assert_eq!(run(&mut db, T0, "EVALSHA abc 0"), error("NOSCRIPT No matching script. Please use EVAL."));
}

#[test]
fn tonumber_reads_what_lua_reads() {
    assert_eq!(lua_number(b"25"), Some(25.0));
    assert_eq!(lua_number(b" 2.5 "), Some(2.5));
    assert_eq!(lua_number(b"0x10"), Some(16.0));
    assert_eq!(lua_number(b"-1e3"), Some(-1000.0));
    assert_eq!(lua_number(b"many"), None);
    assert_eq!(lua_number(b"inf"), None);
    assert_eq!(lua_number(b""), None);
}
