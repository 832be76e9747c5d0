//! Events missed while the bot was unreachable (issue 15, item 5): the fake ERPNext sends its
//! Webhooks as Frappe does (three tries, then it gives up for good), and the reconciler reads
//! ERPNext for what never arrived. Every notice is counted in the fake Bot API's log.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::fake_erp::FakeErp;
use crate::fixtures::{self, MARKUP};
use crate::helpers::*;

const USER: i64 = 5_800_001;
const SECRET: &str = "erp-secret";
/// Frappe's sleeps (1 s, 4 s, 7 s) run this much faster in the fast tests.
const FRAPPE_SPEED: f64 = 0.05;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn events_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/erpnext/events")
}

/// The service on `port`, reconciling every second.
async fn start(env: &TestEnv, port: u16) -> TestApp {
    let listen = format!("127.0.0.1:{port}");
    env.start_app_with(&[("LISTEN_ADDR", listen.as_str()), ("EVENT_RECONCILE_SECS", "1")]).await
}

fn amount(i: usize) -> f64 {
    1_000.0 * (i as f64 + 1.0)
}

fn payment_name(i: usize) -> String {
    format!("ACC-PAY-2026-9{i:04}")
}

/// `1 230 000` as the bot writes money.
fn spaced(amount: f64) -> String {
    let digits = format!("{}", amount as u64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn received(i: usize) -> String {
    format!("Платёж получен</b>\nСумма: <b>{} сум</b>", spaced(amount(i)))
}

fn cancelled(i: usize) -> String {
    format!("Платёж {} сум по договору {MARKUP} был отменён", spaced(amount(i)))
}

/// Submits payment `i` in the fake ERPNext (its Webhooks fire).
fn submit_payment(erp: &FakeErp, i: usize) {
    erp.submit(
        "Payment Entry",
        json!({
            "name": payment_name(i), "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
            "posting_date": fixtures::today().format("%Y-%m-%d").to_string(), "mode_of_payment": "Cash",
            "paid_amount": amount(i),
            "references": [{"reference_doctype": "Sales Order", "reference_name": MARKUP, "allocated_amount": amount(i)}],
        }),
    );
}

/// A new contract like the fixtures' first, submitted.
fn submit_contract(erp: &FakeErp, name: &str) {
    let mut doc = erp.get("Sales Order", MARKUP).expect("the fixtures' contract");
    doc["name"] = json!(name);
    for field in ["modified", "creation", "docstatus"] {
        doc.as_object_mut().map(|d| d.remove(field));
    }
    for table in ["items", "payment_schedule", "taxes"] {
        for row in doc[table].as_array_mut().into_iter().flatten() {
            row.as_object_mut().map(|r| r.remove("name"));
        }
    }
    erp.submit("Sales Order", doc);
}

/// Books `n` payments and cancels those in `cancel`; the texts each must produce, in order.
fn book(erp: &FakeErp, n: usize, cancel: &[usize]) -> Vec<String> {
    let mut wanted = Vec::new();
    for i in 0..n {
        submit_payment(erp, i);
        wanted.push(received(i));
    }
    for &i in cancel {
        erp.cancel("Payment Entry", &payment_name(i));
        wanted.push(cancelled(i));
    }
    wanted
}

/// Waits until every wanted text is in the chat, then one more reconcile period and a bit,
/// and asserts each arrived exactly once.
async fn assert_each_told_once(env: &TestEnv, wanted: &[String], within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let texts = env.texts(USER);
        if wanted.iter().all(|w| texts.iter().any(|t| t.contains(w.as_str()))) {
            break;
        }
        assert!(
            started.elapsed() < within,
            "waited {within:?}; missing: {:#?}",
            wanted.iter().filter(|w| !texts.iter().any(|t| t.contains(w.as_str()))).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = started.elapsed();
    // Two more reconciler passes see the same documents again.
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let texts = env.texts(USER);
    for w in wanted {
        let n = texts.iter().filter(|t| t.contains(w.as_str())).count();
        assert_eq!(n, 1, "{w:?} told {n} times: {texts:#?}");
    }
    let notices = texts.iter().filter(|t| is_notice(t)).count();
    assert_eq!(notices, wanted.len(), "no other notice: {texts:#?}");
    took
}

fn is_notice(t: &str) -> bool {
    ["Платёж получен", "Платёж отменён", "Новый договор", "Договор отменён"].iter().any(|n| t.contains(n))
}

/// Waits for the reconciler's first pass (its checkpoints in Redis).
async fn wait_for_checkpoints(env: &TestEnv) {
    let key = format!("{}:events:reconcile", env.prefix);
    let started = Instant::now();
    while env.redis.raw(&["HEXISTS", &key, "contract"]).await != ":1" {
        assert!(started.elapsed() < Duration::from_secs(5), "the reconciler never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The bot runs, then is stopped while payments are booked; Frappe's three tries fail and it
/// gives up; the bot starts again and tells every notice once.
async fn missed_while_down(n: usize, cancel: &[usize], frappe_speed: f64, every: &str, within: Duration) {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let port = free_port();
    env.erp.add_bot_webhooks(&events_url(port), SECRET);
    env.erp.set_webhook_time_scale(frappe_speed);
    let listen = format!("127.0.0.1:{port}");
    let vars = [("LISTEN_ADDR", listen.as_str()), ("EVENT_RECONCILE_SECS", every)];
    let app = env.start_app_with(&vars).await;
    link(&env, &app, USER).await;
    wait_for_checkpoints(&env).await;
    app.stop().await;

    let wanted = book(&env.erp, n, cancel);
    let jobs = n + cancel.len();
    let frappe_gives_up = Duration::from_secs_f64(12.0 * frappe_speed + 5.0);
    assert!(env.erp.webhooks_settled(frappe_gives_up).await, "Frappe's webhook jobs ended");
    let outcomes = env.erp.webhook_outcomes();
    assert_eq!(outcomes.len(), jobs, "one job per event");
    assert!(outcomes.iter().all(|o| !o.delivered), "nobody listened: {outcomes:#?}");
    let attempts = env.erp.webhook_attempts();
    assert_eq!(attempts.len(), jobs * 3, "three tries each, then Frappe gives up");
    assert!(attempts.iter().all(|a| a.status.is_none()), "refused, not answered");
    // Tries 1 s and then 4 s apart (scaled), as `enqueue_webhook` sleeps `3 * i + 1`.
    for o in &outcomes {
        let mine: Vec<_> = attempts.iter().filter(|a| a.name == o.name && a.event == o.event).collect();
        let gap = |a: usize, b: usize| mine[b].after.saturating_sub(mine[a].after).as_secs_f64();
        assert!(gap(0, 1) >= 0.95 * frappe_speed, "{mine:#?}");
        assert!(gap(1, 2) >= 3.9 * frappe_speed, "{mine:#?}");
        assert!(o.after.as_secs_f64() >= 11.9 * frappe_speed, "gave up after its last sleep: {o:#?}");
    }
    if let Some(o) = outcomes.first() {
        let tries: Vec<String> = attempts
            .iter()
            .filter(|a| a.name == o.name && a.event == o.event)
            .map(|a| format!("{:.2} s", a.after.as_secs_f64()))
            .collect();
        eprintln!("Frappe's tries of {} {}: {tries:?}, gave up at {:.2} s", o.name, o.event, o.after.as_secs_f64());
    }
    assert_eq!(env.texts(USER).iter().filter(|t| is_notice(t)).count(), 0, "nothing told yet");

    let app = env.start_app_with(&vars).await;
    let took = assert_each_told_once(&env, &wanted, within).await;
    eprintln!("{jobs} notices missed by the webhooks told in {took:?} after the restart");
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.expect("metrics");
    let metrics = metrics.text().await.unwrap_or_default();
    for name in ["erpbot_reconcile_finds_total", "erpbot_events_first_seen_total", "erpbot_reconcile_runs_total"] {
        assert!(metrics.contains(name), "{name} in /metrics");
    }
    app.stop().await;
}

/// After two reconcile periods nothing was told (`why`), and payment `n` submitted now is told once.
async fn nothing_told_then_payment_told(env: &TestEnv, n: usize, why: &str) {
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let texts = env.texts(USER);
    assert!(!texts.iter().any(|t| is_notice(t)), "{why}: {texts:#?}");
    submit_payment(&env.erp, n);
    assert_each_told_once(env, &[received(n)], Duration::from_secs(5)).await;
}

#[tokio::test]
async fn payments_booked_while_the_bot_was_down_are_told_once_after_frappe_gave_up() {
    missed_while_down(12, &[2, 5, 9], FRAPPE_SPEED, "1", Duration::from_secs(6)).await;
}

/// The figure: 50 payments booked and 5 cancelled while the bot is down, Frappe's own
/// schedule (it gives up after 12 s), a reconcile period of 60 s: every notice within two
/// periods of the start. About 15 s.
#[tokio::test]
#[ignore = "the issue's full figure (about 15 s); the fast test above runs the same path"]
async fn fifty_payments_and_five_cancellations_while_down_are_all_told_once() {
    missed_while_down(50, &[3, 11, 19, 27, 42], 1.0, "60", Duration::from_secs(120)).await;
}

#[tokio::test]
async fn webhooks_and_reconciler_both_seeing_events_tell_each_once() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let port = free_port();
    env.erp.add_bot_webhooks(&events_url(port), SECRET);
    let app = start(&env, port).await;
    link(&env, &app, USER).await;
    wait_for_checkpoints(&env).await;
    let mut wanted = book(&env.erp, 8, &[1, 6]);
    submit_contract(&env.erp, "SO-2026-07001");
    wanted.push("Новый договор</b> SO-2026-07001".into());
    assert_each_told_once(&env, &wanted, Duration::from_secs(6)).await;
    assert!(env.erp.webhooks_settled(Duration::from_secs(2)).await);
    let outcomes = env.erp.webhook_outcomes();
    assert_eq!(outcomes.len(), 11);
    assert!(outcomes.iter().all(|o| o.delivered), "the bot answered every webhook: {outcomes:#?}");
    app.stop().await;
}

#[tokio::test]
async fn with_the_webhooks_deleted_the_reconciler_alone_tells_every_notice() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let port = free_port();
    env.erp.add_bot_webhooks(&events_url(port), SECRET);
    env.erp.delete_webhooks();
    assert!(env.erp.all("Webhook").is_empty());
    let app = start(&env, port).await;
    link(&env, &app, USER).await;
    wait_for_checkpoints(&env).await;
    let mut wanted = book(&env.erp, 6, &[0, 4]);
    submit_contract(&env.erp, "SO-2026-07002");
    env.erp.cancel("Sales Order", "SO-2026-07002");
    wanted.push("Новый договор</b> SO-2026-07002".into());
    wanted.push("Договор SO-2026-07002 отменён магазином".into());
    assert_each_told_once(&env, &wanted, Duration::from_secs(6)).await;
    assert!(env.erp.webhook_attempts().is_empty(), "no Webhook sent anything");
    app.stop().await;
}

#[tokio::test]
async fn disabled_webhooks_send_nothing_and_the_reconciler_tells_it() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let port = free_port();
    env.erp.add_bot_webhooks(&events_url(port), SECRET);
    env.erp.set_webhooks_enabled(false);
    let app = start(&env, port).await;
    link(&env, &app, USER).await;
    wait_for_checkpoints(&env).await;
    let wanted = book(&env.erp, 2, &[]);
    assert_each_told_once(&env, &wanted, Duration::from_secs(6)).await;
    assert!(env.erp.webhook_attempts().is_empty(), "a disabled Webhook sends nothing");
    app.stop().await;
}

#[tokio::test]
async fn a_first_start_tells_nothing_of_the_history() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    // Booked (and some cancelled) before the bot ever ran, without Webhooks.
    book(&env.erp, 5, &[1, 3]);
    let port = free_port();
    let app = start(&env, port).await;
    link(&env, &app, USER).await;
    wait_for_checkpoints(&env).await;
    // Old documents modified after the start: a payment reconciled with the bank, the contract
    // by the payment booked against it.
    env.erp.set_field("Payment Entry", &payment_name(0), "clearance_date", json!("2026-12-01"));
    env.erp.set_field("Sales Order", MARKUP, "advance_paid", json!(100_000.0));
    // …while what happens from now on is told.
    nothing_told_then_payment_told(&env, 7, "no history").await;
    app.stop().await;
}

#[tokio::test]
async fn modification_times_are_read_in_the_sites_time_zone() {
    let env = TestEnv::new().await;
    // The site keeps Honolulu time (UTC−10), 15 hours behind REMINDER_TIMEZONE (Tashkent),
    // and its clock is 20 s behind the bot's.
    env.erp.set_time_zone(chrono_tz::Pacific::Honolulu);
    env.erp.set_clock_offset(chrono::TimeDelta::seconds(-20));
    fixtures::seed(&env.erp);
    // A first start on a clock that differs begins up to a second early (the `Date` header's
    // resolution): the fixtures are older than that.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let port = free_port();
    let app = start(&env, port).await;
    link(&env, &app, USER).await;
    wait_for_checkpoints(&env).await;
    let wanted = book(&env.erp, 3, &[2]);
    let honolulu_now = chrono::Utc::now().with_timezone(&chrono_tz::Pacific::Honolulu).naive_local();
    let modified = env.erp.get("Payment Entry", &payment_name(0)).expect("booked")["modified"].clone();
    let modified = chrono::NaiveDateTime::parse_from_str(modified.as_str().unwrap_or_default(), "%Y-%m-%d %H:%M:%S%.f")
        .expect("Frappe's format");
    let behind = (honolulu_now - modified).num_seconds();
    assert!((15..=30).contains(&behind), "written on the site's clock, in its zone: {behind} s");
    assert_each_told_once(&env, &wanted, Duration::from_secs(6)).await;
    let asked = env.erp.requests().iter().filter(|r| r.path.ends_with("frappe.client.get_time_zone")).count();
    assert_eq!(asked, 1, "the zone is asked once");
    app.stop().await;
}

/// The reconciler's keyset pages: more documents than a page, many with the same `modified`.
#[tokio::test]
async fn pages_of_equal_modification_times_are_read_whole() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let port = free_port();
    let app = start(&env, port).await;
    link(&env, &app, USER).await;
    wait_for_checkpoints(&env).await;
    // 130 payments (a page is 100), in runs of 40 sharing one `modified`, as a bulk update
    // writes them.
    let base = env.erp.site_now() + chrono::TimeDelta::seconds(1);
    let mut wanted = Vec::new();
    for i in 0..130 {
        let stamp = (base + chrono::TimeDelta::milliseconds((i / 40) as i64)).format("%Y-%m-%d %H:%M:%S%.6f");
        let doc: Value = json!({
            "name": payment_name(i), "docstatus": 1, "payment_type": "Receive", "party_type": "Customer",
            "party": CUSTOMER, "posting_date": fixtures::today().format("%Y-%m-%d").to_string(),
            "mode_of_payment": "Cash", "paid_amount": amount(i), "modified": stamp.to_string(),
            "creation": stamp.to_string(),
            "references": [{"reference_doctype": "Sales Order", "reference_name": MARKUP, "allocated_amount": amount(i)}],
        });
        env.erp.insert("Payment Entry", doc);
        wanted.push(received(i));
    }
    assert_each_told_once(&env, &wanted, Duration::from_secs(20)).await;
    app.stop().await;
}

/// A reconciler that has not run for days (turned off, then on again) starts over as on a
/// first start: the queue no longer remembers what the webhooks told meanwhile.
#[tokio::test]
async fn a_reconciler_off_for_days_starts_over_from_now() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let port = free_port();
    let app = start(&env, port).await;
    link(&env, &app, USER).await;
    wait_for_checkpoints(&env).await;
    app.stop().await;
    book(&env.erp, 2, &[]);
    let week_ago = (chrono::Utc::now() - chrono::TimeDelta::days(7)).timestamp_micros().to_string();
    let key = format!("{}:events:reconcile", env.prefix);
    env.redis.raw(&["HSET", &key, "last", &week_ago]).await;
    let app = start(&env, port).await;
    nothing_told_then_payment_told(&env, 5, "nothing from the days off").await;
    app.stop().await;
}

/// Two replicas on one Redis: one reads ERPNext at a time (the lease), each notice once.
#[tokio::test]
async fn two_replicas_reconcile_without_telling_twice() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let (a, b) = (free_port(), free_port());
    let first = start(&env, a).await;
    link(&env, &first, USER).await;
    let second = start(&env, b).await;
    wait_for_checkpoints(&env).await;
    let wanted = book(&env.erp, 6, &[3]);
    assert_each_told_once(&env, &wanted, Duration::from_secs(6)).await;
    first.stop().await;
    second.stop().await;
}
