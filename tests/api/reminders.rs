//! F8: reminder passes — once only across runs and replicas, resumable, rate-limited, in the
//! customer's language, honouring opt-outs, blocked chats and the business's time zone.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use chrono::Duration as Days;
use erpnext_bot::config::{Config, Purpose};
use erpnext_bot::format::money::{Money, number};
use erpnext_bot::i18n::Lang;
use erpnext_bot::reminders::command;
use serde_json::json;

use crate::common::{fake_erp::FakeErp, fake_telegram::TgFault};
use crate::fixtures::{day, dmy, today};
use crate::helpers::*;

const FIRST_CHAT: i64 = 6_000_000;

/// `n` linked customers, each with one contract: rows due in 3 days, today, 7 days ago
/// (owed), and 1 day ago (paid in full).
fn seed(erp: &FakeErp, n: i64) {
    for i in 0..n {
        let customer = format!("CUST-R{i:03}");
        erp.insert(
            "Customer",
            json!({"name": customer, "customer_name": format!("Client {i}"), "custom_telegram_id": (FIRST_CHAT + i).to_string()}),
        );
        let contract = format!("SO-R{i:03}");
        erp.insert(
            "Sales Order",
            json!({
                "name": contract, "customer": customer, "docstatus": 1, "currency": "UZS", "status": "To Deliver and Bill",
                "transaction_date": day(-60), "grand_total": 400_000.0, "rounded_total": 400_000.0,
                "payment_schedule": [
                    {"idx": 1, "due_date": day(-7), "payment_amount": 100_000.0},
                    {"idx": 2, "due_date": day(-1), "payment_amount": 100_000.0},
                    {"idx": 3, "due_date": day(0), "payment_amount": 100_000.0},
                    {"idx": 4, "due_date": day(3), "payment_amount": 100_000.0},
                ],
            }),
        );
        // 150 000 paid, applied in due-date order: row 1 (−7) in full, row 2 (−1) half.
        erp.insert(
            "Payment Entry",
            json!({
                "name": format!("PE-R{i:03}"), "docstatus": 1, "payment_type": "Receive", "party_type": "Customer",
                "party": customer, "posting_date": day(-2), "mode_of_payment": "Cash", "paid_amount": 150_000.0,
                "references": [{"reference_doctype": "Sales Order", "reference_name": contract, "allocated_amount": 150_000.0}],
            }),
        );
    }
}

fn config(env: &TestEnv, overrides: &[(&str, &str)]) -> Config {
    let mut vars = env.vars();
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_sources(&vars, Purpose::Tooling).expect("valid config")
}

async fn run(env: &TestEnv, overrides: &[(&str, &str)]) -> Vec<String> {
    let report = command::run(&config(env, overrides), true, None).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    report.lines
}

fn reminders_to(env: &TestEnv, chat: i64) -> Vec<String> {
    env.tg.sent_texts(chat).into_iter().filter(|t| t.contains("⏰")).collect()
}

#[tokio::test]
async fn preview_shows_the_plan_and_sends_and_records_nothing() {
    let env = TestEnv::new().await;
    seed(&env.erp, 2);
    let report = command::run(&config(&env, &[]), false, None).await;
    let text = report.lines.join("\n");
    // Per customer: overdue 7 (row 1 is paid → nothing), overdue 1 (row 2, half paid), due
    // today (row 3), in 3 days (row 4).
    assert!(text.contains("6 reminders planned"), "{text}");
    assert!(text.contains("skipped: 2 paid"), "{text}");
    assert!(text.contains("SO-R000 o1") && text.contains("SO-R000 d0") && text.contains("SO-R000 b3"), "{text}");
    assert!(!text.contains("SO-R000 o7"), "row 1 is paid in full: {text}");
    assert!(env.tg.calls_to("sendMessage").is_empty());
    let keys = env.redis.raw(&["KEYS", &format!("{}:reminders:*", env.prefix)]).await;
    assert_eq!(keys, "*0", "nothing recorded: {keys}");
}

#[tokio::test]
async fn a_pass_run_twice_sends_once() {
    let env = TestEnv::new().await;
    seed(&env.erp, 2);
    let first = run(&env, &[]).await;
    assert!(first[0].contains("6 reminders planned, 6 sent"), "{first:?}");
    let second = run(&env, &[]).await;
    assert!(second[0].contains("already ran"), "{second:?}");
    for i in 0..2 {
        let texts = reminders_to(&env, FIRST_CHAT + i);
        assert_eq!(texts.len(), 3, "{texts:#?}");
        let due_today = texts.iter().find(|t| t.contains("To'lov muddati bugun")).expect("due today, in Uzbek");
        assert!(due_today.contains(&format!("{} — <b>100 000 so'm</b>", dmy(0))), "{due_today}");
        let overdue = texts.iter().find(|t| t.contains("Muddati 1 kun o'tgan")).expect("overdue by a day");
        assert!(overdue.contains("<b>50 000 so'm</b>"), "half of row 2 is still owed: {overdue}");
    }
}

#[tokio::test]
async fn two_passes_at_once_send_once() {
    let env = TestEnv::new().await;
    seed(&env.erp, 3);
    let (a, b) = tokio::join!(run(&env, &[]), run(&env, &[]));
    let lines = [a, b].concat().join("\n");
    assert!(lines.contains("another replica") || lines.contains("already ran"), "{lines}");
    for i in 0..3 {
        assert_eq!(reminders_to(&env, FIRST_CHAT + i).len(), 3);
    }
}

#[tokio::test]
async fn a_crashed_pass_is_resumed_without_duplicates_or_misses() {
    let env = TestEnv::new().await;
    seed(&env.erp, 2);
    // The crashed pass had sent customer 0's "due today" reminder and was sending the
    // "in 3 days" one when it died.
    let date = today().format("%Y-%m-%d").to_string();
    let sent = format!("{}:reminders:sent:{date}", env.prefix);
    let sending = format!("{}:reminders:sending:{date}", env.prefix);
    env.redis.raw(&["SADD", &sent, "SO-R000\u{1f}3\u{1f}d0"]).await;
    env.redis.raw(&["SADD", &sending, "SO-R000\u{1f}3\u{1f}d0", "SO-R000\u{1f}4\u{1f}b3"]).await;
    let lines = run(&env, &[]).await;
    assert!(lines[0].contains("4 sent"), "{lines:?}");
    assert_eq!(reminders_to(&env, FIRST_CHAT).len(), 1, "only the overdue one was left for customer 0");
    assert_eq!(reminders_to(&env, FIRST_CHAT + 1).len(), 3);
}

#[tokio::test]
async fn opted_out_and_blocked_customers_get_nothing_and_do_not_stop_the_others() {
    let env = TestEnv::new().await;
    seed(&env.erp, 3);
    env.redis.raw(&["HSET", &format!("{}:chat:{FIRST_CHAT}", env.prefix), "reminders", "off"]).await;
    env.tg.block_chat(FIRST_CHAT + 1);
    let lines = run(&env, &[]).await;
    assert!(lines[0].contains("3 sent"), "{lines:?}");
    assert!(lines[0].contains("3 opted out") && lines[0].contains("3 unreachable"), "{lines:?}");
    assert!(reminders_to(&env, FIRST_CHAT).is_empty());
    assert_eq!(reminders_to(&env, FIRST_CHAT + 2).len(), 3);
    assert_eq!(env.redis.raw(&["EXISTS", &format!("{}:unreachable:{}", env.prefix, FIRST_CHAT + 1)]).await, ":1");
}

#[tokio::test]
async fn a_customer_switches_reminders_off_and_on_from_the_menu_and_passes_honour_it() {
    use erpnext_bot::i18n::{self, Label, Lang, Msg};
    let env = TestEnv::new().await;
    seed(&env.erp, 2);
    let app = env.start_app().await;
    // The customer is linked in ERPNext: the first message logs them in (F2), in Russian.
    let press = || crate::common::updates::text(env.uid(), FIRST_CHAT, i18n::label(Lang::Ru, Label::Reminders));
    assert_eq!(app.post(&press()).await, reqwest::StatusCode::OK);
    assert_eq!(env.last_text(FIRST_CHAT), say(Msg::RemindersOff));
    // A new process (another replica, a restart) reads the same choice.
    app.stop().await;
    let lines = run(&env, &[]).await;
    assert!(lines[0].contains("3 sent") && lines[0].contains("3 opted out"), "{lines:?}");
    assert!(reminders_to(&env, FIRST_CHAT).is_empty());
    assert_eq!(reminders_to(&env, FIRST_CHAT + 1).len(), 3);

    let app = env.start_app().await;
    assert_eq!(app.post(&press()).await, reqwest::StatusCode::OK);
    assert_eq!(env.last_text(FIRST_CHAT), say(Msg::RemindersOn));
    app.stop().await;
    // The day's pass is over; the next day's brings the row due today, now a day late.
    let tomorrow = today() + Days::days(1);
    let report = command::run(&config(&env, &[]), true, Some(tomorrow)).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(report.lines[0].contains("2 sent") && report.lines[0].contains("0 opted out"), "{:?}", report.lines);
    let to_first = reminders_to(&env, FIRST_CHAT);
    assert_eq!(to_first.len(), 1, "switched on again: {to_first:?}");
    assert!(to_first[0].contains(&dmy(0)), "{to_first:?}");
    assert_eq!(reminders_to(&env, FIRST_CHAT + 1).len(), 4);
}

#[tokio::test]
async fn reminders_come_in_the_customers_language() {
    let env = TestEnv::new().await;
    seed(&env.erp, 2);
    env.redis.raw(&["HSET", &format!("{}:chat:{FIRST_CHAT}", env.prefix), "lang", "ru"]).await;
    run(&env, &[]).await;
    assert!(reminders_to(&env, FIRST_CHAT).iter().all(|t| t.contains("Напоминание о платеже")));
    assert!(reminders_to(&env, FIRST_CHAT + 1).iter().all(|t| t.contains("To'lov haqida eslatma")));
}

#[tokio::test]
async fn the_send_rate_never_exceeds_the_limit_in_any_second() {
    let env = TestEnv::new().await;
    seed(&env.erp, 6);
    run(&env, &[("TELEGRAM_SEND_RATE", "4")]).await;
    let sends = env.tg.calls_to("sendMessage");
    assert_eq!(sends.len(), 18);
    let mut per_second: BTreeMap<u64, usize> = BTreeMap::new();
    for c in &sends {
        *per_second.entry(c.at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)).or_default() += 1;
    }
    assert!(per_second.values().all(|n| *n <= 4), "{per_second:?}");
    // And never two messages to one chat within a second.
    let mut last: BTreeMap<i64, std::time::SystemTime> = BTreeMap::new();
    for c in &sends {
        let chat = c.params["chat_id"].as_i64().unwrap_or_default();
        if let Some(prev) = last.insert(chat, c.at) {
            assert!(c.at.duration_since(prev).unwrap_or_default() >= Duration::from_millis(950), "chat {chat}");
        }
    }
}

#[tokio::test]
async fn a_telegram_429_pauses_sending_and_the_pass_goes_on() {
    let env = TestEnv::new().await;
    seed(&env.erp, 1);
    env.tg.fail_next("sendMessage", 1, TgFault::TooManyRequests { retry_after: 1 });
    let lines = run(&env, &[]).await;
    assert!(lines[0].contains("3 sent") && lines[0].contains("0 failed"), "{lines:?}");
    assert_eq!(reminders_to(&env, FIRST_CHAT).len(), 3);
}

#[tokio::test]
async fn the_daily_run_starts_at_the_configured_local_time() {
    let env = TestEnv::new().await;
    seed(&env.erp, 1);
    let tz = chrono_tz::Asia::Tashkent;
    let local_now = chrono::Utc::now().with_timezone(&tz);
    // Two hours from now (local): nothing yet. Skip the test's edge near midnight.
    if local_now.time() > chrono::NaiveTime::from_hms_opt(21, 50, 0).unwrap_or_default()
        || local_now.time() < chrono::NaiveTime::from_hms_opt(0, 10, 0).unwrap_or_default()
    {
        return;
    }
    let later = (local_now + Days::hours(2)).format("%H:%M").to_string();
    let app = env.start_app_with(&[("REMINDERS_ENABLED", "true"), ("REMINDER_TIME", &later)]).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(reminders_to(&env, FIRST_CHAT).is_empty(), "not before {later} Tashkent time");
    app.stop().await;
    // A minute ago (local): the pass runs at start-up.
    let earlier = (local_now - Days::minutes(1)).format("%H:%M").to_string();
    let _app = env.start_app_with(&[("REMINDERS_ENABLED", "true"), ("REMINDER_TIME", &earlier)]).await;
    let started = std::time::Instant::now();
    while reminders_to(&env, FIRST_CHAT).len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(5), "the pass did not run");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reminder_that_failed_is_sent_by_the_next_run_and_nothing_else_is_repeated() {
    let env = TestEnv::new().await;
    seed(&env.erp, 1);
    env.tg.fail_next("sendMessage", 1, TgFault::BadRequest("Bad Request: something transient".into()));
    let first = run(&env, &[]).await;
    assert!(first[0].contains("2 sent, 1 failed"), "{first:?}");
    let second = run(&env, &[]).await;
    assert!(second[0].contains("1 sent, 0 failed") && second[0].contains("2 already sent"), "{second:?}");
    assert_eq!(reminders_to(&env, FIRST_CHAT).len(), 3);
    let third = run(&env, &[]).await;
    assert!(third[0].contains("already ran"), "{third:?}");
}

const MIXED_CHAT: i64 = 7_000_001;

/// One linked customer with contracts `names`, each due 7 days ago, yesterday, today and in 3
/// days (100 000 each).
fn seed_contracts(erp: &FakeErp, names: &[&str]) {
    erp.insert(
        "Customer",
        json!({"name": "CUST-M", "customer_name": "Mixed", "custom_telegram_id": MIXED_CHAT.to_string()}),
    );
    for name in names {
        let rows: Vec<_> =
            [-7, -1, 0, 3].iter().map(|d| json!({"due_date": day(*d), "payment_amount": 100_000.0})).collect();
        erp.insert(
            "Sales Order",
            json!({
                "name": name, "customer": "CUST-M", "docstatus": 1, "currency": "UZS", "status": "To Deliver and Bill",
                "transaction_date": day(-60), "grand_total": 400_000.0, "payment_schedule": rows,
            }),
        );
    }
}

/// A Payment Entry: (name, docstatus, payment type, paid amount, references, link field value).
fn payment(
    name: &str,
    docstatus: i64,
    kind: &str,
    paid: f64,
    references: serde_json::Value,
    link: Option<&str>,
) -> serde_json::Value {
    let posted = (today() - Days::days(2)).format("%Y-%m-%d").to_string();
    json!({
        "name": name, "docstatus": docstatus, "payment_type": kind, "party_type": "Customer", "party": "CUST-M",
        "posting_date": posted, "mode_of_payment": "Cash", "paid_amount": paid, "references": references,
        "custom_contract_reference": link,
    })
}

fn allocation(doctype: &str, contract: &str, amount: f64) -> serde_json::Value {
    json!({"reference_doctype": doctype, "reference_name": contract, "allocated_amount": amount})
}

/// SO-M1 gets 150 000 and SO-M2 130 000 through references: one entry split over both, a
/// partial one; a cancelled, a draft, a Pay-type entry and a Sales Invoice reference must not
/// count.
fn seed_referenced_payments(erp: &FakeErp) {
    seed_contracts(erp, &["SO-M1", "SO-M2"]);
    let so = |c: &str, a: f64| allocation("Sales Order", c, a);
    let entries = [
        payment("PE-M1", 1, "Receive", 250_000.0, json!([so("SO-M1", 150_000.0), so("SO-M2", 100_000.0)]), None),
        payment("PE-M2", 1, "Receive", 30_000.0, json!([so("SO-M2", 30_000.0)]), None),
        payment("PE-M3", 2, "Receive", 100_000.0, json!([so("SO-M2", 100_000.0)]), None),
        payment("PE-M4", 0, "Receive", 100_000.0, json!([so("SO-M1", 100_000.0)]), None),
        payment("PE-M5", 1, "Pay", 100_000.0, json!([so("SO-M2", 100_000.0)]), None),
        payment("PE-M6", 1, "Receive", 100_000.0, json!([allocation("Sales Invoice", "SO-M1", 100_000.0)]), None),
    ];
    for doc in entries {
        erp.insert("Payment Entry", doc);
    }
}

/// The planned reminders of a preview, as "<contract> <kind> [<date> <amount>]" in sorted
/// order, and its summary.
async fn preview_plan(env: &TestEnv, overrides: &[(&str, &str)]) -> (Vec<String>, String) {
    let report = command::run(&config(env, overrides), false, None).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let mut planned: Vec<String> =
        report.lines.iter().filter_map(|l| l.split_once(" SO-").map(|(_, rest)| format!("SO-{rest}"))).collect();
    planned.sort();
    (planned, report.lines.last().cloned().unwrap_or_default())
}

/// What both contracts still owe: SO-M1 has 150 000 paid, SO-M2 130 000.
fn owed_by_mixed_contracts() -> Vec<String> {
    let line = |c: &str, kind: &str, d: i64, tiyin: i64| {
        format!("{c} {kind} [{} {}]", day(d), number(Money(tiyin), "UZS", Lang::En))
    };
    let mut want = vec![
        line("SO-M1", "b3", 3, 10_000_000),
        line("SO-M1", "d0", 0, 10_000_000),
        line("SO-M1", "o1", -1, 5_000_000),
        line("SO-M2", "b3", 3, 10_000_000),
        line("SO-M2", "d0", 0, 10_000_000),
        line("SO-M2", "o1", -1, 7_000_000),
    ];
    want.sort();
    want
}

/// The lists of `doctype` the planner asked for.
fn lists_of(env: &TestEnv, doctype: &str) -> Vec<serde_json::Value> {
    let requests = env.erp.requests().into_iter().filter(|r| r.path.ends_with("frappe.client.get_list"));
    requests.filter_map(|r| r.body).filter(|b| b["doctype"] == doctype).collect()
}

#[tokio::test]
async fn the_paid_totals_count_submitted_receive_allocations_per_contract_in_one_grouped_request() {
    let env = TestEnv::new().await;
    seed_referenced_payments(&env.erp);
    let (planned, summary) = preview_plan(&env, &[]).await;
    assert_eq!(planned, owed_by_mixed_contracts(), "{summary}");
    assert!(summary.contains("8 due rows, 6 reminders planned") && summary.contains("skipped: 2 paid"), "{summary}");
    let lists = lists_of(&env, "Payment Entry");
    assert_eq!(lists.len(), 1, "one grouped request for the batch: {lists:#?}");
    assert_eq!(
        lists[0]["group_by"],
        "`tabPayment Entry Reference`.`reference_doctype`, `tabPayment Entry Reference`.`reference_name`"
    );
    assert!(lists[0]["limit_page_length"].as_u64() >= Some(2), "{}", lists[0]);
}

#[tokio::test]
async fn with_a_link_field_the_paid_totals_sum_the_entries_naming_the_contract() {
    let env = TestEnv::new().await;
    seed_contracts(&env.erp, &["SO-M1", "SO-M2"]);
    // References do not count on such a site: only the link field does.
    let elsewhere = json!([allocation("Sales Order", "SO-M2", 100_000.0)]);
    let entries = [
        payment("PE-L1", 1, "Receive", 150_000.0, elsewhere, Some("SO-M1")),
        payment("PE-L2", 1, "Receive", 100_000.0, json!([]), Some("SO-M2")),
        payment("PE-L3", 1, "Receive", 30_000.0, json!([]), Some("SO-M2")),
        payment("PE-L4", 2, "Receive", 100_000.0, json!([]), Some("SO-M2")),
        payment("PE-L5", 1, "Pay", 100_000.0, json!([]), Some("SO-M1")),
        payment("PE-L6", 1, "Receive", 100_000.0, json!([]), None),
    ];
    for doc in entries {
        env.erp.insert("Payment Entry", doc);
    }
    let (planned, summary) = preview_plan(&env, &[("ERP_PAYMENT_LINK_FIELD", "custom_contract_reference")]).await;
    assert_eq!(planned, owed_by_mixed_contracts(), "{summary}");
    let lists = lists_of(&env, "Payment Entry");
    assert_eq!(lists.len(), 1, "{lists:#?}");
    assert_eq!(lists[0]["group_by"], "`tabPayment Entry`.`custom_contract_reference`");
}

#[tokio::test]
async fn a_site_that_ignores_group_by_gets_the_same_plan_from_every_allocation() {
    let env = TestEnv::new().await;
    seed_referenced_payments(&env.erp);
    env.erp.drop_group_by(true);
    let (planned, summary) = preview_plan(&env, &[]).await;
    assert_eq!(planned, owed_by_mixed_contracts(), "{summary}");
    let lists = lists_of(&env, "Payment Entry");
    assert_eq!(lists.len(), 2, "the grouped request, then the allocations: {lists:#?}");
    assert!(lists[1].get("group_by").is_none(), "{}", lists[1]);
}

/// Two contracts with rows on days the pass does not list (40, 20 and 10 days ago): SO-U1 of
/// equal rows, 300 000 paid; SO-U2 of uneven rows (500 000, 100 000, 50 000, 100 000), 520 000
/// paid, which leaves 80 000 on its row of 35 days ago, among unlisted rows.
fn seed_unlisted_rows(erp: &FakeErp) {
    erp.insert(
        "Customer",
        json!({"name": "CUST-M", "customer_name": "Mixed", "custom_telegram_id": MIXED_CHAT.to_string()}),
    );
    let contracts = [
        (
            "SO-U1",
            vec![(-40, 100_000.0), (-35, 100_000.0), (-20, 100_000.0), (-10, 100_000.0), (0, 100_000.0)],
            300_000.0,
        ),
        ("SO-U2", vec![(-40, 500_000.0), (-35, 100_000.0), (-20, 50_000.0), (0, 100_000.0)], 520_000.0),
    ];
    for (name, rows, paid) in contracts {
        let schedule: Vec<_> = rows
            .iter()
            .enumerate()
            .map(|(i, (d, a))| json!({"idx": i + 1, "due_date": day(*d), "payment_amount": a}))
            .collect();
        erp.insert(
            "Sales Order",
            json!({
                "name": name, "customer": "CUST-M", "docstatus": 1, "currency": "UZS", "status": "To Deliver and Bill",
                "transaction_date": day(-70), "grand_total": rows.iter().map(|r| r.1).sum::<f64>(), "payment_schedule": schedule,
            }),
        );
        let reference = json!([allocation("Sales Order", name, paid)]);
        erp.insert("Payment Entry", payment(&format!("PE-{name}"), 1, "Receive", paid, reference, None));
    }
}

fn owed_on_unlisted_rows() -> Vec<String> {
    let line = |c: &str, kind: &str, d: i64, tiyin: i64| {
        format!("{c} {kind} [{} {}]", day(d), number(Money(tiyin), "UZS", Lang::En))
    };
    vec![line("SO-U1", "d0", 0, 10_000_000), line("SO-U2", "d0", 0, 10_000_000), line("SO-U2", "o35", -35, 8_000_000)]
}

#[tokio::test]
async fn unlisted_rows_count_through_one_grouped_outline_and_an_undecided_contract_is_read_row_by_row() {
    let env = TestEnv::new().await;
    seed_unlisted_rows(&env.erp);
    let (planned, summary) = preview_plan(&env, &[]).await;
    assert_eq!(planned, owed_on_unlisted_rows(), "{summary}");
    assert!(summary.contains("4 due rows, 3 reminders planned") && summary.contains("skipped: 1 paid"), "{summary}");
    let lists = lists_of(&env, "Payment Schedule");
    assert_eq!(lists.len(), 2, "the outlines, then SO-U2's rows: {lists:#?}");
    assert_eq!(lists[0]["group_by"], "parent");
    let names_of = |list: &serde_json::Value| {
        let filters = list["filters"].as_array().cloned().unwrap_or_default();
        filters.into_iter().find(|f| f[0] == "parent" && f[1] == "in").map(|f| f[2].clone())
    };
    assert_eq!(names_of(&lists[0]), Some(json!(["SO-U1", "SO-U2"])));
    assert!(lists[1].get("group_by").is_none(), "{}", lists[1]);
    assert_eq!(names_of(&lists[1]), Some(json!(["SO-U2"])), "only the undecided contract is read row by row");
}

#[tokio::test]
async fn a_site_that_ignores_group_by_gets_the_same_plan_from_the_schedules_row_by_row() {
    let env = TestEnv::new().await;
    seed_unlisted_rows(&env.erp);
    env.erp.drop_group_by(true);
    let (planned, summary) = preview_plan(&env, &[]).await;
    assert_eq!(planned, owed_on_unlisted_rows(), "{summary}");
    let lists = lists_of(&env, "Payment Schedule");
    assert_eq!(lists.len(), 2, "the ungrouped outline, then both schedules: {lists:#?}");
    assert_eq!(
        lists[1]["filters"].as_array().and_then(|f| f.iter().find(|f| f[0] == "parent").cloned()).map(|f| f[2].clone()),
        Some(json!(["SO-U1", "SO-U2"]))
    );
}

#[tokio::test]
async fn a_site_that_refuses_sums_gets_the_same_plan_from_the_rows() {
    let env = TestEnv::new().await;
    seed_unlisted_rows(&env.erp);
    env.erp.refuse_sql_functions(true);
    let (planned, summary) = preview_plan(&env, &[]).await;
    assert_eq!(planned, owed_on_unlisted_rows(), "{summary}");
    let schedules = lists_of(&env, "Payment Schedule");
    let rows = schedules.iter().filter(|l| l.get("group_by").is_none()).count();
    assert_eq!(rows, 1, "both schedules in one row-by-row read: {schedules:#?}");
    let payments = lists_of(&env, "Payment Entry");
    assert_eq!(payments.iter().filter(|l| l.get("group_by").is_none()).count(), 1, "{payments:#?}");
}

#[tokio::test]
async fn a_contract_whose_due_rows_straddle_two_listing_pages_is_planned_once() {
    let env = TestEnv::new().await;
    // 251 contracts of 4 listed rows each, after one ("SO-0…", listed first) of 2: the due
    // rows of SO-R249 sit on both sides of the 1,000-row page boundary.
    seed(&env.erp, 251);
    env.erp
        .insert("Customer", json!({"name": "CUST-FIRST", "customer_name": "First", "custom_telegram_id": "5999999"}));
    env.erp.insert(
        "Sales Order",
        json!({
            "name": "SO-0FIRST", "customer": "CUST-FIRST", "docstatus": 1, "currency": "UZS",
            "transaction_date": day(-30), "grand_total": 200_000.0,
            "payment_schedule": [
                {"idx": 1, "due_date": day(-1), "payment_amount": 100_000.0},
                {"idx": 2, "due_date": day(0), "payment_amount": 100_000.0},
            ],
        }),
    );
    let (planned, summary) = preview_plan(&env, &[]).await;
    assert!(
        summary.contains("1006 due rows, 755 reminders planned") && summary.contains("skipped: 251 paid"),
        "{summary}"
    );
    let mut unique = planned.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), planned.len(), "a reminder was planned twice");
    assert!(planned.iter().filter(|p| p.starts_with("SO-R249 ")).count() == 3, "{planned:?}");
    let listings = env
        .erp
        .requests()
        .into_iter()
        .filter_map(|r| r.body)
        .filter(|b| b["doctype"] == "Sales Order" && b["limit_page_length"] == 1000)
        .count();
    assert_eq!(listings, 2, "the due rows came in two pages");
}
