//! Stream ids, consumer groups, pending entries and claims.

use super::{T0, array, bulk, bulks, error, int, ok, run};
use crate::store::memory::db::Db;
use crate::store::memory::resp::Reply;

fn entry(id: &str, fields: &[&str]) -> Reply {
    array(vec![bulk(id), bulks(fields)])
}

/// `[[stream, entries]]`, as XREADGROUP answers for one stream.
fn read(stream: &str, entries: Vec<Reply>) -> Reply {
    array(vec![array(vec![bulk(stream), array(entries)])])
}

/// The (id, consumer, idle, deliveries) rows of XPENDING.
fn pending(rows: &[(&str, &str, i64, i64)]) -> Reply {
    array(rows.iter().map(|(id, c, idle, n)| array(vec![bulk(id), bulk(c), int(*idle), int(*n)])).collect())
}

#[test]
fn auto_ids_grow_with_the_clock_and_never_go_back() {
    let mut db = Db::default();
    assert_eq!(run(&mut db, T0, "XADD s * a 1"), bulk(&format!("{T0}-0")));
    assert_eq!(run(&mut db, T0, "XADD s * a 2"), bulk(&format!("{T0}-1")));
    assert_eq!(run(&mut db, T0 - 5, "XADD s * a 3"), bulk(&format!("{T0}-2")), "the clock went back");
    assert_eq!(run(&mut db, T0 + 1, "XADD s * a 4"), bulk(&format!("{}-0", T0 + 1)));
    assert_eq!(run(&mut db, T0 + 1, &format!("XDEL s {}-0", T0 + 1)), int(1));
    assert_eq!(run(&mut db, T0 + 1, "XADD s * a 5"), bulk(&format!("{}-1", T0 + 1)), "XDEL does not lower the top id");
    assert_eq!(run(&mut db, T0, "XLEN s"), int(4));
}

#[test]
fn explicit_ids_must_grow() {
    let mut db = Db::default();
    assert_eq!(run(&mut db, T0, "XADD s 0-0 a 1"), error("ERR The ID specified in XADD must be greater than 0-0"));
    assert_eq!(run(&mut db, T0, "EXISTS s"), int(0), "a refused XADD creates nothing");
    assert_eq!(run(&mut db, T0, "XADD s 5 a 1"), bulk("5-0"));
    assert_eq!(run(&mut db, T0, "XADD s 5-* a 1"), bulk("5-1"));
    assert_eq!(run(&mut db, T0, "XADD s 7-* a 1"), bulk("7-0"));
    let smaller = error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    assert_eq!(run(&mut db, T0, "XADD s 7-0 a 1"), smaller);
    assert_eq!(run(&mut db, T0, "XADD s 6-* a 1"), smaller);
    assert_eq!(run(&mut db, T0, "XADD s x-1 a 1"), error("ERR Invalid stream ID specified as stream command argument"));
    assert_eq!(run(&mut db, T0, "XADD s 8-0 a"), error("ERR wrong number of arguments for 'xadd' command"));
    assert_eq!(run(&mut db, T0, "XADD none NOMKSTREAM * a 1"), Reply::Nil);
    assert_eq!(run(&mut db, T0, "XRANGE s 5 5"), array(vec![entry("5-0", &["a", "1"]), entry("5-1", &["a", "1"])]));
    assert_eq!(run(&mut db, T0, "XRANGE s (5-0 + COUNT 1"), array(vec![entry("5-1", &["a", "1"])]));
}

#[test]
fn groups_are_created_once() {
    let mut db = Db::default();
    let missing = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use \
                   the MKSTREAM option to create an empty stream automatically.";
    assert_eq!(run(&mut db, T0, "XGROUP CREATE s g 0"), error(missing));
    assert_eq!(run(&mut db, T0, "XGROUP CREATE s g 0 MKSTREAM"), ok());
    assert_eq!(run(&mut db, T0, "XGROUP CREATE s g $ MKSTREAM"), error("BUSYGROUP Consumer Group name already exists"));
    assert_eq!(run(&mut db, T0, "XLEN s"), int(0), "an empty stream exists");
    run(&mut db, T0, "XADD s 1-1 a 1");
    assert_eq!(run(&mut db, T0, "XGROUP CREATE s late $"), ok());
    assert_eq!(run(&mut db, T0, "XREADGROUP GROUP late c STREAMS s >"), Reply::NilArray, "`$` starts after 1-1");
    assert_eq!(run(&mut db, T0, "XREADGROUP GROUP g c STREAMS s >"), read("s", vec![entry("1-1", &["a", "1"])]));
    assert_eq!(run(&mut db, T0, "XGROUP DESTROY s late"), int(1));
    assert_eq!(run(&mut db, T0, "XGROUP NOPE s g"), error("ERR unknown subcommand 'NOPE'. Try XGROUP HELP."));
}

#[test]
fn a_group_read_delivers_each_entry_once_and_remembers_it_as_pending() {
    let mut db = Db::default();
    run(&mut db, T0, "XGROUP CREATE s g 0 MKSTREAM");
    for id in ["1-1", "1-2", "2-0"] {
        run(&mut db, T0, &format!("XADD s {id} f {id}"));
    }
    let first = run(&mut db, T0, "XREADGROUP GROUP g alice COUNT 2 STREAMS s >");
    assert_eq!(first, read("s", vec![entry("1-1", &["f", "1-1"]), entry("1-2", &["f", "1-2"])]));
    assert_eq!(run(&mut db, T0, "XREADGROUP GROUP g bob STREAMS s >"), read("s", vec![entry("2-0", &["f", "2-0"])]));
    assert_eq!(run(&mut db, T0, "XREADGROUP GROUP g bob STREAMS s >"), Reply::NilArray);
    assert_eq!(
        run(&mut db, T0, "XREADGROUP GROUP g bob BLOCK 250 STREAMS s >"),
        Reply::Status("(would block 250 ms)".into())
    );
    assert_eq!(
        run(&mut db, T0 + 10, "XPENDING s g - + 10"),
        pending(&[("1-1", "alice", 10, 1), ("1-2", "alice", 10, 1), ("2-0", "bob", 10, 1)])
    );
    let summary =
        array(vec![int(3), bulk("1-1"), bulk("2-0"), array(vec![bulks(&["alice", "2"]), bulks(&["bob", "1"])])]);
    assert_eq!(run(&mut db, T0, "XPENDING s g"), summary);
    assert_eq!(run(&mut db, T0, "XACK s g 1-1 9-9"), int(1));
    assert_eq!(run(&mut db, T0, "XACK s nogroup 1-2"), int(0));
    assert_eq!(
        run(&mut db, T0, "XREADGROUP GROUP nope c STREAMS s >"),
        error("NOGROUP No such key 's' or consumer group 'nope' in XREADGROUP with GROUP option")
    );
}

#[test]
fn reading_history_redelivers_own_pending_entries() {
    let mut db = Db::default();
    run(&mut db, T0, "XGROUP CREATE s g 0 MKSTREAM");
    run(&mut db, T0, "XADD s 1-1 a 1");
    run(&mut db, T0, "XADD s 1-2 b 2");
    run(&mut db, T0, "XREADGROUP GROUP g c STREAMS s >");
    run(&mut db, T0, "XDEL s 1-2");
    let history = run(&mut db, T0 + 5, "XREADGROUP GROUP g c STREAMS s 0");
    assert_eq!(history, read("s", vec![entry("1-1", &["a", "1"]), array(vec![bulk("1-2"), Reply::NilArray])]));
    assert_eq!(run(&mut db, T0 + 5, "XREADGROUP GROUP g other STREAMS s 0"), read("s", vec![]));
    assert_eq!(run(&mut db, T0 + 5, "XPENDING s g - + 10"), pending(&[("1-1", "c", 0, 2), ("1-2", "c", 5, 1)]));
}

#[test]
fn autoclaim_takes_only_entries_idle_long_enough() {
    let mut db = Db::default();
    run(&mut db, T0, "XGROUP CREATE s g 0 MKSTREAM");
    run(&mut db, T0, "XADD s 1-1 a 1");
    run(&mut db, T0, "XADD s 1-2 b 2");
    run(&mut db, T0, "XREADGROUP GROUP g dead STREAMS s >");
    let nothing = array(vec![bulk("0-0"), array(vec![]), array(vec![])]);
    assert_eq!(run(&mut db, T0 + 999, "XAUTOCLAIM s g live 1000 0-0"), nothing);
    let one = run(&mut db, T0 + 1000, "XAUTOCLAIM s g live 1000 0-0 COUNT 1");
    assert_eq!(one, array(vec![bulk("1-2"), array(vec![entry("1-1", &["a", "1"])]), array(vec![])]));
    let rest = run(&mut db, T0 + 1000, "XAUTOCLAIM s g live 1000 1-2 COUNT 1");
    assert_eq!(rest, array(vec![bulk("0-0"), array(vec![entry("1-2", &["b", "2"])]), array(vec![])]));
    assert_eq!(
        run(&mut db, T0 + 1500, "XPENDING s g - + 10"),
        pending(&[("1-1", "live", 500, 2), ("1-2", "live", 500, 2)])
    );
    let again = run(&mut db, T0 + 1500, "XAUTOCLAIM s g other 1000 0");
    assert_eq!(again, array(vec![bulk("0-0"), array(vec![]), array(vec![])]), "claiming reset the idle time");
    assert_eq!(run(&mut db, T0, "XAUTOCLAIM s g c 0 0 COUNT 0"), error("ERR COUNT must be > 0"));
    assert_eq!(run(&mut db, T0, "XAUTOCLAIM s nope c 0 0"), error("NOGROUP No such key 's' or consumer group 'nope'"));
}

#[test]
fn autoclaim_drops_and_reports_deleted_entries() {
    let mut db = Db::default();
    run(&mut db, T0, "XGROUP CREATE s g 0 MKSTREAM");
    run(&mut db, T0, "XADD s 1-1 a 1");
    run(&mut db, T0, "XADD s 1-2 b 2");
    run(&mut db, T0, "XREADGROUP GROUP g dead STREAMS s >");
    run(&mut db, T0, "XDEL s 1-1");
    let reply = run(&mut db, T0 + 10, "XAUTOCLAIM s g live 0 0-0 JUSTID");
    assert_eq!(reply, array(vec![bulk("0-0"), bulks(&["1-2"]), bulks(&["1-1"])]));
    assert_eq!(
        run(&mut db, T0 + 10, "XPENDING s g - + 10"),
        pending(&[("1-2", "live", 0, 1)]),
        "JUSTID counts no delivery"
    );
}

#[test]
fn xclaim_justid_resets_the_idle_time_and_keeps_the_count() {
    let mut db = Db::default();
    run(&mut db, T0, "XGROUP CREATE s g 0 MKSTREAM");
    run(&mut db, T0, "XADD s 1-1 a 1");
    run(&mut db, T0, "XREADGROUP GROUP g c STREAMS s >");
    assert_eq!(run(&mut db, T0 + 100, "XCLAIM s g c 0 1-1 9-9 JUSTID"), bulks(&["1-1"]));
    assert_eq!(run(&mut db, T0 + 150, "XPENDING s g - + 10"), pending(&[("1-1", "c", 50, 1)]));
    assert_eq!(run(&mut db, T0 + 150, "XCLAIM s g d 100 1-1"), array(vec![]), "idle 50 < 100");
    assert_eq!(run(&mut db, T0 + 150, "XCLAIM s g d 50 1-1"), array(vec![entry("1-1", &["a", "1"])]));
    assert_eq!(run(&mut db, T0 + 150, "XPENDING s g - + 10"), pending(&[("1-1", "d", 0, 2)]));
    run(&mut db, T0, "XDEL s 1-1");
    assert_eq!(run(&mut db, T0 + 150, "XCLAIM s g d 0 1-1"), array(vec![]));
    assert_eq!(run(&mut db, T0 + 150, "XPENDING s g"), array(vec![int(0), Reply::Nil, Reply::Nil, Reply::NilArray]));
}
