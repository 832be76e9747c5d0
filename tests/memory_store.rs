//! The in-memory Redis stand-in (`store::memory::MemoryRedis`) under the real `Store`, queue,
//! ledger and limiter, through their public APIs. Most scenarios run twice — against the
//! in-memory server and against a real `redis-server` — and must observe the same results:
//! the best evidence that the stand-in behaves like Redis where the bot depends on it.

mod common;

use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::redis::TestRedis;
use erpnext_bot::config::RedisConfig;
use erpnext_bot::conversation::{Chat, State};
use erpnext_bot::events::queue::{Entry, Queue};
use erpnext_bot::events::{ErpEvent, Handled};
use erpnext_bot::i18n::Lang;
use erpnext_bot::reminders::limiter::Limiter;
use erpnext_bot::reminders::records::Records;
use erpnext_bot::secret::Secret;
use erpnext_bot::store::memory::MemoryRedis;
use erpnext_bot::store::{Begin, ChatFlags, Lease, Store, StoreError};
use redis::Value;

fn store(url: &str) -> Store {
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    Store::new(&RedisConfig::direct(Secret::new(url), &prefix)).expect("build the store")
}

/// Runs `scenario` on the in-memory server and on a real redis-server; both must observe the
/// same, and that is returned for the test's own expectations.
async fn on_both<T, F, Fut>(scenario: F) -> T
where
    T: PartialEq + Debug,
    F: Fn(Store, String) -> Fut,
    Fut: Future<Output = T>,
{
    let memory = MemoryRedis::start().await.expect("start the in-memory server");
    let real = TestRedis::start().await;
    let from_memory = scenario(store(&memory.url()), memory.url()).await;
    let from_redis = scenario(store(&real.url()), real.url()).await;
    assert_eq!(from_memory, from_redis, "left: in-memory server, right: redis-server");
    from_memory
}

fn describe(begin: &Begin) -> String {
    match begin {
        Begin::Started { loaded, .. } => format!("started fresh={} state={:?}", loaded.fresh, loaded.chat.state),
        other => format!("{other:?}"),
    }
}

async fn started(store: &Store, lease: &Lease) -> String {
    match store.begin(lease, Lang::Uz).await.expect("begin") {
        Begin::Started { loaded } => loaded.rev,
        other => panic!("update {} did not start: {other:?}", lease.update_id),
    }
}

#[tokio::test]
async fn memory_server_answers_ping_and_names_its_url() {
    let memory = MemoryRedis::start().await.expect("start");
    assert_eq!(memory.url(), format!("redis://127.0.0.1:{}", memory.port()));
    store(&memory.url()).ping().await.expect("PING through the store");
}

#[tokio::test]
async fn dropping_the_memory_server_stops_it() {
    let memory = MemoryRedis::start().await.expect("start");
    let port = memory.port();
    drop(memory);
    let deadline = Instant::now() + Duration::from_secs(2);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
        assert!(Instant::now() < deadline, "port {port} still accepts connections");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn updates_are_claimed_locked_and_finished_as_on_redis() {
    let seen = on_both(|store, _| async move {
        let mut seen = Vec::new();
        let (one, other) = (Lease::new(1, None), Lease::new(1, None));
        seen.push(format!("{:?}", store.claim_update(&one).await));
        seen.push(format!("{:?}", store.claim_update(&one).await));
        seen.push(format!("{:?}", store.claim_update(&other).await));
        store.finish_update(&one).await.expect("finish");
        seen.push(format!("{:?}", store.claim_update(&other).await));
        let two = Lease::new(2, Some(10));
        let begin = store.begin(&two, Lang::Uz).await.expect("begin 2");
        seen.push(describe(&begin));
        seen.push(describe(&store.begin(&Lease::new(3, Some(10)), Lang::Uz).await.expect("begin 3")));
        seen.push(describe(&store.begin(&Lease::new(2, Some(10)), Lang::Uz).await.expect("begin 2 elsewhere")));
        seen.push(describe(&store.begin(&two, Lang::Uz).await.expect("begin 2 sent again")));
        let chat = Chat { state: State::AwaitingPassport, failures: vec![7], ..Chat::new(10, Lang::Ru) };
        seen.push(format!("{:?}", store.end(&two, Some(&chat), "0").await));
        seen.push(format!("{:?}", store.end(&two, Some(&chat), "0").await));
        seen.push(describe(&store.begin(&Lease::new(2, Some(10)), Lang::Uz).await.expect("begin 2 done")));
        let four = Lease::new(4, Some(10));
        let rev = started(&store, &four).await;
        seen.push(rev.clone());
        store.abort(&four).await.expect("abort");
        seen.push(describe(&store.begin(&Lease::new(4, Some(10)), Lang::Uz).await.expect("begin 4 again")));
        seen
    })
    .await;
    let started_again = "started fresh=false state=AwaitingPassport";
    let expected = [
        "Ok(Claimed)",
        "Ok(Claimed)",
        "Ok(InProgress)",
        "Ok(Done)",
        "started fresh=true state=New",
        "Busy",
        "InProgress",
        "started fresh=true state=New",
        "Ok(Saved)",
        "Ok(Saved)",
        "Done",
        "1",
        started_again,
    ];
    assert_eq!(seen, expected);
}

/// Two holders read one chat (the first one's lease lapsed in between): the first to end
/// saves, the other's record is refused, on both servers; renewal says what is still held.
#[tokio::test]
async fn a_chat_is_saved_only_over_the_revision_it_was_read_at_as_on_redis() {
    let seen = on_both(|store, _| async move {
        let mut seen = Vec::new();
        let (a, b) = (Lease::new(20, Some(30)), Lease::new(21, Some(30)));
        let rev_a = started(&store, &a).await;
        seen.push(format!("{:?}", store.renew(&a).await));
        store.abort(&a).await.expect("a's lease lapses");
        seen.push(format!("{:?}", store.renew(&a).await));
        let rev_b = started(&store, &b).await;
        let chat = |state| Chat { state, ..Chat::new(30, Lang::Ru) };
        seen.push(format!("{:?}", store.end(&b, Some(&chat(State::AwaitingPassport)), &rev_b).await));
        seen.push(format!("{:?}", store.end(&a, Some(&chat(State::New)), &rev_a).await));
        seen.push(format!("{:?}", store.end(&a, None, &rev_a).await));
        let loaded = store.load_chat_for_input(30, Lang::En).await.expect("load");
        seen.push(format!("{:?} rev={}", loaded.chat.state, loaded.rev));
        seen
    })
    .await;
    assert_eq!(
        seen,
        [
            "Ok(Renewed { claim: true, lock: true })",
            "Ok(Renewed { claim: false, lock: false })",
            "Ok(Saved)",
            "Ok(Stale)",
            "Ok(Unchanged)",
            "AwaitingPassport rev=1",
        ]
    );
}

#[tokio::test]
async fn chat_locks_wait_expire_and_release_as_on_redis() {
    let seen = on_both(|store, _| async move {
        let lock = store.lock_chat(11, Duration::ZERO).await.expect("first lock");
        let busy = store.lock_chat(11, Duration::from_millis(60)).await;
        let busy = matches!(busy, Err(StoreError::Busy(11)));
        store.unlock_chat(lock).await.expect("unlock");
        let again = store.lock_chat(11, Duration::ZERO).await.is_ok();
        (busy, again)
    })
    .await;
    assert_eq!(seen, (true, true));
}

#[tokio::test]
async fn one_of_many_concurrent_updates_of_a_chat_starts() {
    let outcomes = on_both(|store, _| async move {
        let tasks: Vec<_> = (0..16)
            .map(|update| {
                let store = store.clone();
                tokio::spawn(async move {
                    store.begin(&Lease::new(100 + update, Some(12)), Lang::En).await.map(|b| describe(&b))
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.expect("task").expect("begin"));
        }
        outcomes.sort();
        outcomes.dedup_by(|a, b| a == b && a == "Busy");
        outcomes
    })
    .await;
    assert_eq!(outcomes, ["Busy", "started fresh=true state=New"]);
}

#[tokio::test]
async fn chat_records_and_marks_read_back_as_on_redis() {
    let seen = on_both(|store, _| async move {
        let notice = (store.first_group_notice(-5).await.ok(), store.first_group_notice(-5).await.ok());
        store.mark_unreachable(20).await.expect("mark");
        let lease = Lease::new(30, Some(21));
        let rev = started(&store, &lease).await;
        let chat = Chat { reminders_off: true, ..Chat::new(21, Lang::Ru) };
        store.end(&lease, Some(&chat), &rev).await.expect("end");
        let flags = store.chat_flags(&[20, 21, 22]).await.expect("flags");
        let mut flags: Vec<(i64, ChatFlags)> = flags.into_iter().collect();
        flags.sort_by_key(|(id, _)| *id);
        let unreachable = store.is_unreachable(20).await.ok();
        let loaded = store.load_chat_for_input(20, Lang::En).await.map(|l| l.fresh).ok();
        let cleared = store.is_unreachable(20).await.ok();
        let lang = store.chat_lang(21).await.ok();
        (notice, flags, unreachable, loaded, cleared, lang)
    })
    .await;
    assert_eq!(seen.0, (Some(true), Some(false)));
    let off = ChatFlags { lang: Some(Lang::Ru), reminders_off: true, unreachable: false };
    assert_eq!(
        seen.1,
        vec![(20, ChatFlags { unreachable: true, ..ChatFlags::default() }), (21, off), (22, ChatFlags::default())]
    );
    assert_eq!((seen.2, seen.3, seen.4, seen.5), (Some(true), Some(true), Some(false), Some(Some(Lang::Ru))));
}

fn event(name: &str) -> ErpEvent {
    let body = format!(r#"{{"doctype":"Payment Entry","name":"{name}","event":"on_submit"}}"#);
    ErpEvent::parse(body.as_bytes()).expect("event")
}

fn names(entries: &[Entry]) -> Vec<String> {
    entries.iter().map(|e| format!("{} {}", e.event.name, e.handled.as_str())).collect()
}

#[tokio::test]
async fn the_event_queue_accepts_reads_claims_and_parks_as_on_redis() {
    let seen = on_both(|store, url| async move {
        let (queue, other) = (Queue::new(store.clone()), Queue::new(store.clone()));
        let mut seen: Vec<String> = Vec::new();
        let mut note = |what: String| seen.push(what);
        note(format!("{:?} {:?}", queue.ensure_group().await, queue.ensure_group().await));
        for name in ["PE-1", "PE-1", "PE-2"] {
            note(format!("{:?}", queue.accept(&event(name), Handled::PaymentReceived).await));
        }
        note(format!("{:?}", queue.depth().await));
        let read = queue.read(10, Duration::from_millis(100)).await.expect("read");
        note(format!("{:?}", names(&read)));
        note(format!("{:?}", names(&queue.read(10, Duration::from_millis(100)).await.expect("read again"))));
        note(format!("{:?}", names(&other.claim_stale(Duration::from_secs(60), 10).await.expect("claim"))));
        tokio::time::sleep(Duration::from_millis(150)).await;
        queue.touch(&read[0].id).await.expect("touch");
        let taken = other.claim_stale(Duration::from_millis(100), 10).await.expect("claim stale");
        note(format!("{:?}", names(&taken)));
        note(format!("{:?}", queue.was_sent(&read[0].key).await));
        queue.done(&read[0], true).await.expect("done");
        note(format!("{:?} {:?}", queue.was_sent(&read[0].key).await, queue.depth().await));
        other.park(&taken[0], "gave up").await.expect("park");
        note(format!("{:?}", queue.depth().await));
        let mut raw = raw_connection(&url).await;
        let added: redis::RedisResult<String> =
            redis::cmd("XADD").arg(store.keys().events()).arg("*").arg("junk").arg("1").query_async(&mut raw).await;
        note(format!("{}", added.is_ok()));
        note(format!("{:?}", names(&queue.read(10, Duration::from_millis(100)).await.expect("read junk"))));
        note(format!("{:?}", queue.depth().await));
        seen
    })
    .await;
    let expected = [
        "Ok(()) Ok(())",
        "Ok(Queued)",
        "Ok(Duplicate)",
        "Ok(Queued)",
        "Ok((2, 0))",
        r#"["PE-1 payment_received", "PE-2 payment_received"]"#,
        "[]",
        "[]",
        r#"["PE-2 payment_received"]"#,
        "Ok(false)",
        "Ok(true) Ok((1, 0))",
        "Ok((0, 1))",
        "true",
        "[]",
        "Ok((0, 2))",
    ];
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn replicas_take_back_their_own_claim_from_the_dead_and_forget_them_as_on_redis() {
    let seen = on_both(|store, url| async move {
        let (a, b) = (Queue::for_replica(store.clone(), "a".into()), Queue::for_replica(store.clone(), "b".into()));
        let mut seen: Vec<String> = Vec::new();
        let mut note = |what: String| seen.push(what);
        a.ensure_group().await.expect("group");
        for name in ["PE-1", "PE-2"] {
            a.accept(&event(name), Handled::PaymentReceived).await.expect("accept");
        }
        note(format!("{:?}", names(&a.read(10, Duration::from_millis(100)).await.expect("a reads"))));
        note(format!("{:?}", names(&b.read(10, Duration::from_millis(100)).await.expect("b reads"))));
        let mut raw = raw_connection(&url).await;
        let beat = store.keys().replica("a");
        let set: redis::RedisResult<String> =
            redis::cmd("SET").arg(&beat).arg("token").arg("PX").arg(5000).query_async(&mut raw).await;
        note(format!("{set:?}"));
        let consumers = b.consumers().await.expect("consumers");
        note(format!("{:?}", consumers.iter().map(|c| (c.name.as_str(), c.pending, c.beating)).collect::<Vec<_>>()));
        note(format!("{:?}", names(&b.claim_dead("a", Duration::ZERO, 10).await.expect("alive: nothing"))));
        note(format!("{:?}", b.forget("a").await));
        let (first, next) = a.resume(None, 1).await.expect("resume");
        note(format!("{:?} {}", names(&first), next.is_some()));
        let (second, next) = a.resume(next.as_deref(), 1).await.expect("resume on");
        note(format!("{:?} {}", names(&second), next.is_some()));
        let (rest, next) = a.resume(next.as_deref(), 1).await.expect("resume to the end");
        note(format!("{:?} {:?}", names(&rest), next));
        let deleted: redis::RedisResult<i64> = redis::cmd("DEL").arg(&beat).query_async(&mut raw).await;
        note(format!("{deleted:?}"));
        tokio::time::sleep(Duration::from_millis(60)).await;
        note(format!("{:?}", names(&b.claim_dead("a", Duration::from_secs(5), 10).await.expect("not idle enough"))));
        note(format!("{:?}", names(&b.claim_dead("a", Duration::from_millis(20), 1).await.expect("one"))));
        note(format!("{:?}", b.forget("a").await));
        note(format!("{:?}", names(&b.claim_dead("a", Duration::from_millis(20), 10).await.expect("the rest"))));
        note(format!("{:?}", b.forget("a").await));
        let consumers = b.consumers().await.expect("consumers");
        note(format!("{:?}", consumers.iter().map(|c| (c.name.as_str(), c.pending, c.beating)).collect::<Vec<_>>()));
        b.done(&second[0], true).await.expect("done");
        note(format!(
            "{:?} {:?}",
            b.was_sent(&second[0].key).await,
            b.backlog().await.map(|d| (d.pending, d.oldest.is_some()))
        ));
        seen
    })
    .await;
    let expected = [
        r#"["PE-1 payment_received", "PE-2 payment_received"]"#,
        "[]",
        r#"Ok("OK")"#,
        // A read that found nothing made no consumer (Redis 7.0).
        r#"[("a", 2, true)]"#,
        "[]",
        "Ok(Alive)",
        r#"["PE-1 payment_received"] true"#,
        r#"["PE-2 payment_received"] true"#,
        "[] None",
        "Ok(1)",
        "[]",
        r#"["PE-1 payment_received"]"#,
        "Ok(Holding)",
        r#"["PE-2 payment_received"]"#,
        "Ok(Removed)",
        r#"[("b", 2, false)]"#,
        "Ok(true) Ok((1, true))",
    ];
    assert_eq!(seen, expected);
}

async fn raw_connection(url: &str) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url).expect("client");
    client.get_multiplexed_async_connection().await.expect("connect")
}

#[tokio::test]
async fn a_blocked_read_wakes_when_an_event_arrives_without_holding_up_others() {
    // The read blocks within the client's 500 ms response timeout, as the worker's reads do.
    // That it gets the event at all shows the accept was served while the read was waiting.
    let seen = on_both(|store, _| async move {
        let queue = Queue::new(store.clone());
        queue.ensure_group().await.expect("group");
        let reader = queue.clone();
        let read = tokio::spawn(async move { reader.read(10, Duration::from_millis(450)).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        queue.accept(&event("PE-9"), Handled::PaymentCancelled).await.expect("accept");
        names(&read.await.expect("reader").expect("read"))
    })
    .await;
    assert_eq!(seen, ["PE-9 payment_cancelled"]);
}

#[tokio::test]
async fn block_zero_waits_as_long_as_it_takes() {
    let seen = on_both(|_, url| async move {
        let client = redis::Client::open(url.as_str()).expect("client");
        let patient = redis::AsyncConnectionConfig::new().set_response_timeout(None);
        let mut reader = client.get_multiplexed_async_connection_with_config(&patient).await.expect("connect");
        let mut writer = raw_connection(&url).await;
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg("s")
            .arg("g")
            .arg("$")
            .arg("MKSTREAM")
            .query_async(&mut writer)
            .await;
        let read = tokio::spawn(async move {
            let mut read = redis::cmd("XREADGROUP");
            read.arg("GROUP").arg("g").arg("c").arg("BLOCK").arg(0).arg("STREAMS").arg("s").arg(">");
            read.query_async::<Value>(&mut reader).await
        });
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let still_waiting = !read.is_finished();
        let added: redis::RedisResult<String> =
            redis::cmd("XADD").arg("s").arg("1-1").arg("a").arg("1").query_async(&mut writer).await;
        let reply = tokio::time::timeout(Duration::from_secs(2), read).await;
        (created.is_ok(), still_waiting, added.ok(), format!("{reply:?}"))
    })
    .await;
    assert_eq!((seen.0, seen.1, seen.2.as_deref()), (true, true, Some("1-1")));
    assert!(seen.3.contains(r#"bulk-string('"a"'), bulk-string('"1"')"#), "{}", seen.3);
}

#[tokio::test]
async fn a_blocked_read_with_nothing_to_read_ends_at_its_timeout() {
    let seen = on_both(|store, _| async move {
        let queue = Queue::new(store);
        queue.ensure_group().await.expect("group");
        let started = Instant::now();
        let entries = queue.read(10, Duration::from_millis(300)).await.expect("read");
        let waited = started.elapsed();
        (entries.len(), waited >= Duration::from_millis(290) && waited < Duration::from_secs(2))
    })
    .await;
    assert_eq!(seen, (0, true));
}

#[tokio::test]
async fn the_reminder_ledger_leases_and_records_as_on_redis() {
    let seen = on_both(|store, _| async move {
        let records = Records::new(store);
        let day = NaiveDate::from_ymd_opt(2024, 1, 2).expect("date");
        let mut seen = Vec::new();
        let lease = records.lease(day).await.expect("lease").expect("a free lease");
        seen.push(format!("{}", records.lease(day).await.expect("second lease").is_some()));
        seen.push(format!("{:?}", records.renew(&lease).await));
        records.release(&lease).await.expect("release");
        let next = records.lease(day).await.expect("lease again");
        seen.push(format!("{:?} {}", records.renew(&lease).await, next.is_some()));
        records.release(&lease).await.expect("a stale release does nothing");
        seen.push(format!("{}", records.lease(day).await.expect("lease held").is_some()));
        let members = |m: &[&str]| m.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        records.sending(day, &members(&["b", "a", "c"])).await.expect("sending");
        records.sent(day, &members(&["a"])).await.expect("sent");
        records.unsend(day, &members(&["b", "x"])).await.expect("unsend");
        seen.push(format!("nothing to add: {}", records.sent(day, &[]).await.is_err()));
        let (mut sending, sent) = records.recorded(day).await.expect("recorded");
        sending.sort();
        seen.push(format!("{sending:?} {sent:?}"));
        seen.push(format!("{:?}", records.done(day).await));
        records.finish(day, "report").await.expect("finish");
        seen.push(format!("{:?}", records.done(day).await));
        seen
    })
    .await;
    let expected = [
        "false",
        "Ok(true)",
        "Ok(false) true",
        "false",
        "nothing to add: true",
        r#"["a", "c"] ["a"]"#,
        "Ok(None)",
        r#"Ok(Some("report"))"#,
    ];
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn the_send_limiter_spaces_a_chat_and_honours_a_pause_as_on_redis() {
    let seen = on_both(|store, _| async move {
        let limiter = Limiter::new(store, 30);
        let timed = |chat: i64| {
            let limiter = limiter.clone();
            async move {
                let started = Instant::now();
                limiter.acquire(chat).await.expect("acquire");
                started.elapsed()
            }
        };
        let first = timed(1).await;
        let same_chat = timed(1).await;
        limiter.pause(Duration::from_millis(400)).await.expect("pause");
        let paused = timed(2).await;
        (
            first < Duration::from_millis(500),
            same_chat >= Duration::from_millis(900),
            paused >= Duration::from_millis(350),
        )
    })
    .await;
    assert_eq!(seen, (true, true, true));
}

/// Replaces what depends on the moment (idle times, milliseconds left) with fixed values.
fn steady(args: &[&str], value: Value) -> Value {
    match (args[0], value) {
        ("XPENDING", Value::Array(rows)) if args.len() > 3 => Value::Array(
            rows.into_iter()
                .map(|row| match row {
                    Value::Array(mut cells) if cells.len() == 4 => {
                        cells[2] = Value::Int(0);
                        Value::Array(cells)
                    }
                    other => other,
                })
                .collect(),
        ),
        ("PTTL", Value::Int(ms)) if ms > 0 => Value::Int((ms + 999) / 1000),
        (_, value) => value,
    }
}

/// Commands whose replies must match redis-server's, word for word (errors included), in
/// groups separated by `;`. Explicit stream ids keep the replies the same on both servers.
const RAW: &[&str] = &[
    "SET k v EX 0; SET k v NX GET; SET k v2 XX GET; SET k v3 KEEPTTL; GET k; SET k v PX 5000; PTTL k",
    "SET k v EX 1 PX 1; SET n 10; INCR n; INCR k; DEL k nope; EXISTS k k nope",
    "HSET h a 1 b 2; HSET h a 3 c 4; HGETALL h; HMGET h a x; HGET nope a; GET h; HSET h odd",
    "SADD s x; SREM s x q; EXISTS s; EXPIRE h 100 GT; EXPIRE h 100 NX; TTL h; PTTL nope",
    "EXPIRE h 100 NX GT; EXPIRE h x; GET",
    "XADD st 0-0 a 1; XADD st 1-1 a 1; XADD st 1-* b 2; XADD st 1-1 c 3; XADD st NOMKSTREAM 2-0 d 4",
    "XADD st 3-0 e 5; XADD nost NOMKSTREAM * a 1; XADD st 4-0 odd; XLEN st; XLEN nost",
    "XRANGE st - +; XRANGE st (1-1 + COUNT 1; XRANGE st 2 2",
    "XGROUP CREATE nost g 0; XGROUP CREATE st g 0; XGROUP CREATE st g 0; XGROUP CREATE st g2 $",
    "XGROUP CREATE st2 g 0 MKSTREAM; XGROUP FOO st g",
    "XREADGROUP GROUP g c STREAMS st; XREADGROUP GROUP g c STREAMS st st >",
    "XREADGROUP GROUP g c BLOCK -1 STREAMS st >; XREADGROUP GROUP nope c STREAMS st >",
    "XREADGROUP GROUP g c COUNT 2 STREAMS st >; XREADGROUP GROUP g c STREAMS st >",
    "XREADGROUP GROUP g c STREAMS st >; XREADGROUP GROUP g2 c STREAMS st >",
    "XREADGROUP GROUP g c STREAMS st st2 > >; XDEL st 1-2; XREADGROUP GROUP g c STREAMS st 0",
    "XREADGROUP GROUP g c2 STREAMS st 0; XREADGROUP GROUP g c COUNT 1 STREAMS st 1-1",
    "XPENDING st g; XPENDING st g - + 10; XPENDING st g - + 10 c2; XPENDING st g IDLE 100000 - + 10",
    "XPENDING st nope; XAUTOCLAIM st g c3 0 0-0 COUNT 1; XAUTOCLAIM st g c3 0 0-0 COUNT 10",
    "XAUTOCLAIM st g c3 0 0-0 COUNT 0; XAUTOCLAIM st nope c 0 0; XAUTOCLAIM st g c3 100000 0",
    "XADD st 5-0 f 6; XCLAIM st g c4 0 1-1 1-2 9-9 JUSTID; XCLAIM st g c4 0 1-1",
    "XCLAIM st g c4 0 1-1 RETRYCOUNT 7 JUSTID; XCLAIM st g c4 0 5-0; XCLAIM st g c4 0 5-0 FORCE",
    "XCLAIM st g c4 0 1-1 BOGUS; XPENDING st g - + 10; XACK st g 1-1 9-9; XACK st g bad",
    "XACK nost g 1-1; XACK h g 1-1; XPENDING st g; XGROUP DESTROY st g2; XGROUP DESTROY st g2",
    "EVAL x 3 a; EVAL x -1; EVALSHA 0000 0; SELECT 0; PING; PING hello; ECHO hi; UNWATCH",
    "DBSIZE; FLUSHALL; DBSIZE; NOSUCH a b",
];

async fn raw_replies(url: String) -> Vec<String> {
    let mut conn = raw_connection(&url).await;
    let mut seen = Vec::new();
    for line in RAW.iter().flat_map(|group| group.split("; ")) {
        let args: Vec<&str> = line.split_whitespace().collect();
        let reply: redis::RedisResult<Value> = redis::cmd(args[0]).arg(&args[1..]).query_async(&mut conn).await;
        seen.push(match reply {
            Ok(value) => format!("{line} => {:?}", steady(&args, value)),
            Err(e) => format!("{line} => error {e}"),
        });
    }
    let mut good = redis::pipe();
    good.atomic().cmd("SET").arg("m").arg(1).cmd("INCR").arg("m").cmd("GET").arg("m");
    let mut wrong_type = redis::pipe();
    wrong_type.atomic().cmd("INCR").arg("m").cmd("HGET").arg("m").arg("f");
    let mut unknown = redis::pipe();
    unknown.atomic().cmd("INCR").arg("m").cmd("NOSUCH");
    for (name, pipe) in [("good", good), ("wrong type", wrong_type), ("unknown", unknown)] {
        let reply: redis::RedisResult<Value> = pipe.query_async(&mut conn).await;
        seen.push(format!("MULTI {name} => {reply:?}"));
    }
    let after: redis::RedisResult<Value> = redis::cmd("GET").arg("m").query_async(&mut conn).await;
    seen.push(format!("GET m => {after:?}"));
    seen
}

#[tokio::test]
async fn raw_commands_get_the_replies_redis_gives() {
    let seen = on_both(|_, url| raw_replies(url)).await;
    let bulk = |s: &str| format!("bulk-string('\"{s}\"')");
    let expected = [
        "XGROUP CREATE st g 0 => error \"BUSYGROUP\": Consumer Group name already exists".to_owned(),
        format!(
            "XREADGROUP GROUP g c COUNT 1 STREAMS st 1-1 => array([array([{}, array([array([{}, nil])])])])",
            bulk("st"),
            bulk("1-2")
        ),
        format!("XAUTOCLAIM st g c3 100000 0 => array([{}, array([]), array([])])", bulk("0-0")),
        format!("XCLAIM st g c4 0 1-1 1-2 9-9 JUSTID => array([{}])", bulk("1-1")),
        "XACK st g 1-1 9-9 => int(1)".to_owned(),
        format!("GET m => Ok({})", bulk("3")),
    ];
    for line in expected {
        assert!(seen.contains(&line), "missing {line:?} in {seen:#?}");
    }
}
