//! Reminder planning at scale: how many ERPNext requests, how long and how much memory the
//! real binary needs to plan a day whose pass lists 100,000 due schedule rows.
//!
//! Not a timed test: it seeds the fake ERPNext, runs `erpnext-bot reminders preview --date D`
//! (the release binary, as a child process) against it and a throw-away Redis, samples the
//! child's peak RSS from `/proc/<pid>/status` every 10 ms, and prints the figures and whether
//! each target is met. Run with `cargo bench --bench reminders`; BENCHMARKS.md records results.
//! `BENCH_REFUSE_SUMS=1` makes the fake refuse aggregate lists as Frappe v16 does, to measure
//! the planner's row-by-row fallback.
//!
//! Shape of the data (deterministic):
//! - contracts (submitted Sales Orders) of 12 monthly instalments each; every contract has one
//!   "current" instalment due on one of the 7 near target dates (D-7, D-3, D-1, D, D+1, D+3,
//!   D+5) at position 1..12 of its schedule, so 0..11 earlier instalments lie in the past;
//! - the pass also lists every earlier instalment that falls on a weekly overdue date (D-14,
//!   D-21 … D-371, the default offsets): most of them are paid, some are not;
//! - contracts are added until the pass lists exactly 100,000 rows;
//! - one contract in five has a first instalment three times the others (a larger first
//!   payment), the others equal instalments;
//! - one Payment Entry per paid instalment (posted on its due date); 10% of contracts missed
//!   their last earlier instalment, 2% their last two; of the current instalments 20% are paid
//!   in full, 10% half;
//!   1% of contracts also have a cancelled Payment Entry, and 1% of the contracts come with a
//!   cancelled twin Sales Order whose rows are due on the same dates (neither may count);
//! - 4 contracts per 5 customers on average (one customer in four holds two), and 3 customers
//!   in 4 have a Telegram link.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{Days, Months, NaiveDate};
use common::{fake_erp, fake_erp::FakeErp, redis::TestRedis};
use serde_json::{Value, json};

/// Due schedule rows the day's pass must list.
const ROWS: usize = 100_000;
/// Rows per page of the due-rows listing (src/erpnext/sales.rs `BULK_PAGE`).
const PAGE: usize = 1000;
/// Bytes of names per `in` filter, which sets the planning batches (`BULK_IN_BYTES`).
const IN_BYTES: usize = 512 * 1024;
/// Schedule rows per page when undecided contracts are read row by row (`SCHEDULE_PAGE`).
const SCHEDULE_PAGE: usize = 10_000;
/// The "small constant" of the request target.
const REQUEST_SLACK: usize = 10;
const TIME_TARGET: Duration = Duration::from_secs(10);
const RSS_TARGET_MIB: f64 = 150.0;
const INSTALMENTS: u32 = 12;
/// Days before and after (the service's defaults), then weekly overdue for 52 weeks.
const DAYS_BEFORE: [u64; 3] = [5, 3, 1];
const DAYS_AFTER: [u64; 3] = [1, 3, 7];
const WEEKLY_FOR: u64 = 52;

fn pass_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 15).expect("date")
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Every due date the pass on `date` reminds of (what `Offsets::targets` lists by default).
fn target_dates(date: NaiveDate) -> BTreeSet<NaiveDate> {
    let last_after = DAYS_AFTER.iter().copied().max().unwrap_or(0);
    let after = DAYS_AFTER.into_iter().chain((1..=WEEKLY_FOR).map(|w| last_after + 7 * w));
    let mut dates: BTreeSet<NaiveDate> = after.map(|d| date - Days::new(d)).collect();
    dates.extend(DAYS_BEFORE.iter().map(|d| date + Days::new(*d)));
    dates.insert(date);
    dates
}

/// The near targets a contract's current instalment falls on.
fn near_dates(date: NaiveDate) -> [NaiveDate; 7] {
    [
        date - Days::new(7),
        date - Days::new(3),
        date - Days::new(1),
        date,
        date + Days::new(1),
        date + Days::new(3),
        date + Days::new(5),
    ]
}

/// One generated contract and what the planner must conclude about it.
struct Contract {
    name: String,
    customer: usize,
    schedule: Vec<(NaiveDate, i64)>,
    /// (posting date, amount, submitted).
    payments: Vec<(NaiveDate, i64, bool)>,
    /// Listed rows: (paid in full, on a date the pass lists).
    listed: Vec<bool>,
}

fn contract(i: usize, date: NaiveDate, targets: &BTreeSet<NaiveDate>, first_row: bool) -> Contract {
    let near = near_dates(date);
    let due = near[i % near.len()];
    // Position of the current instalment in the schedule (1-based).
    let position = if first_row { 1 } else { (i / near.len()) % INSTALMENTS as usize + 1 };
    let start = due.checked_sub_months(Months::new(position as u32 - 1)).expect("schedule start");
    let amount = 100_000 + 50_000 * (i % 8) as i64;
    let first = if i % 5 == 2 { 3 * amount } else { amount };
    let schedule: Vec<(NaiveDate, i64)> = (0..INSTALMENTS)
        .map(|m| {
            (start.checked_add_months(Months::new(m)).expect("schedule date"), if m == 0 { first } else { amount })
        })
        .collect();
    let behind = match i {
        _ if i % 50 == 24 => 2,
        _ if i % 10 == 9 => 1,
        _ => 0,
    };
    let paid_before = (position - 1).saturating_sub(behind);
    let mut payments: Vec<(NaiveDate, i64, bool)> =
        schedule[..paid_before].iter().map(|(d, a)| (*d, *a, true)).collect();
    let paid_on = due.min(date - Days::new(1));
    match (i * 37) % 100 {
        0..20 => payments.push((paid_on, amount, true)),
        20..30 => payments.push((paid_on, amount / 2, true)),
        _ => {}
    }
    if i % 100 == 42 {
        payments.push((paid_on, amount, false));
    }
    // The ledger: the paid total covers the schedule earliest first.
    let mut left: i64 = payments.iter().filter(|p| p.2).map(|p| p.1).sum();
    let mut listed = Vec::new();
    for (d, a) in &schedule {
        let covered = left.min(*a);
        left -= covered;
        if targets.contains(d) {
            listed.push(covered == *a);
        }
    }
    Contract { name: format!("SO-2025-{i:06}"), customer: i * 4 / 5, schedule, payments, listed }
}

/// Contracts until the pass lists exactly `ROWS` rows (the last ones start their schedule on
/// the current instalment, which lists exactly one row, to land on the number).
fn contracts(date: NaiveDate) -> Vec<Contract> {
    let targets = target_dates(date);
    let mut out: Vec<Contract> = Vec::new();
    let mut rows = 0;
    while rows < ROWS {
        let i = out.len();
        let mut c = contract(i, date, &targets, false);
        if rows + c.listed.len() > ROWS {
            c = contract(i, date, &targets, true);
        }
        rows += c.listed.len();
        out.push(c);
    }
    out
}

fn linked(customer: usize) -> bool {
    customer % 4 != 3
}

fn customer_name(customer: usize) -> String {
    format!("CUST-{customer:06}")
}

/// What the plan must say: (reminders, paid rows skipped, unlinked rows skipped).
fn expected(contracts: &[Contract]) -> (usize, usize, usize) {
    let (mut planned, mut paid, mut unlinked) = (0, 0, 0);
    for c in contracts {
        let owed = c.listed.iter().filter(|p| !**p).count();
        paid += c.listed.len() - owed;
        // One reminder per owed row: each listed row is on its own date, hence its own kind.
        if linked(c.customer) { planned += owed } else { unlinked += owed }
    }
    (planned, paid, unlinked)
}

/// What `seed` stored.
struct Seeded {
    customers: usize,
    cancelled_orders: usize,
    schedule_rows: usize,
    payment_entries: usize,
}

fn seed(erp: &FakeErp, contracts: &[Contract]) -> Seeded {
    let customers = contracts.iter().map(|c| c.customer).max().map_or(0, |m| m + 1);
    for j in 0..customers {
        let telegram = linked(j).then(|| (700_000_000 + j).to_string());
        erp.insert(
            "Customer",
            json!({
                "name": customer_name(j), "customer_name": format!("Client {j}"),
                "custom_passport_series": format!("AB{j:07}"), "custom_phone_1": format!("99890{j:07}"),
                "mobile_no": null, "custom_telegram_id": telegram,
            }),
        );
    }
    let (mut entries, mut schedule_rows, mut cancelled_orders) = (0, 0, 0);
    for (i, c) in contracts.iter().enumerate() {
        let total: i64 = c.schedule.iter().map(|(_, a)| a).sum();
        let schedule: Vec<Value> = c
            .schedule
            .iter()
            .map(|(d, a)| json!({"due_date": ymd(*d), "payment_amount": *a as f64, "invoice_portion": 100.0 / f64::from(INSTALMENTS)}))
            .collect();
        schedule_rows += schedule.len();
        let order = |name: &str, docstatus: i64| {
            json!({
                "name": name, "customer": customer_name(c.customer), "docstatus": docstatus, "currency": "UZS",
                "status": if docstatus == 1 { "To Deliver and Bill" } else { "Cancelled" },
                "transaction_date": ymd(c.schedule[0].0 - Days::new(30)), "grand_total": total as f64,
                "rounded_total": total as f64, "custom_grand_total_with_interest": total as f64,
                "payment_schedule": schedule,
            })
        };
        erp.insert("Sales Order", order(&c.name, 1));
        if i % 100 == 7 {
            erp.insert("Sales Order", order(&format!("{}-CANCELLED", c.name), 2));
            schedule_rows += c.schedule.len();
            cancelled_orders += 1;
        }
        for (posted, amount, submitted) in &c.payments {
            entries += 1;
            erp.insert(
                "Payment Entry",
                json!({
                    "name": format!("ACC-PAY-2025-{entries:07}"), "docstatus": if *submitted { 1 } else { 2 },
                    "payment_type": "Receive", "party_type": "Customer", "party": customer_name(c.customer),
                    "posting_date": ymd(*posted), "mode_of_payment": "Cash", "paid_amount": *amount as f64,
                    "reference_no": null,
                    "references": [{"reference_doctype": "Sales Order", "reference_name": c.name, "allocated_amount": *amount as f64}],
                }),
            );
        }
    }
    Seeded { customers, cancelled_orders, schedule_rows, payment_entries: entries }
}

/// Asks the fake once for each kind of list the planner reads, so that it builds its lookup
/// indexes now rather than on the bot's first requests (its own cost, not the bot's).
async fn warm_up(erp: &FakeErp, date: NaiveDate) {
    let in_list = |field: &str, values: Value| json!([field, "in", values]);
    let lists = [
        json!({"doctype": "Payment Schedule", "parent": "Sales Order", "filters": [in_list("due_date", json!([ymd(date)]))]}),
        json!({"doctype": "Payment Schedule", "parent": "Sales Order", "filters": [in_list("parent", json!(["-"]))]}),
        json!({"doctype": "Sales Order", "filters": [in_list("name", json!(["-"]))]}),
        json!({"doctype": "Customer", "filters": [in_list("name", json!(["-"]))]}),
        json!({"doctype": "Payment Entry", "filters": [["Payment Entry Reference", "reference_name", "in", ["-"]]]}),
    ];
    let client = reqwest::Client::new();
    for body in lists {
        let answer = client
            .post(format!("{}/api/method/frappe.client.get_list", erp.base_url()))
            .header("Authorization", format!("token {}:{}", fake_erp::API_KEY, fake_erp::API_SECRET))
            .json(&body)
            .send()
            .await
            .expect("warm-up request");
        assert!(answer.status().is_success(), "warm-up {body}: {}", answer.status());
    }
    erp.clear_requests();
}

/// The release binary next to this bench (`target/release/deps/reminders-*` → `target/release`),
/// built if missing.
fn bot_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_erpnext-bot") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("bench executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target/<profile> directory");
    let bin = dir.join("erpnext-bot");
    if !bin.exists() {
        let status = std::process::Command::new(env!("CARGO"))
            .args(["build", "--release", "--bin", "erpnext-bot"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo build runs");
        assert!(status.success(), "cargo build --release failed");
    }
    bin
}

/// A `kB` line of `/proc/<pid>/status` (e.g. `VmHWM:`), in KiB.
fn status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// User + system CPU time of a process, in clock ticks (`/proc/<pid>/stat` fields 14 and 15).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// "POST get_list Payment Schedule [due_date in]": the endpoint, doctype and `in` filters (and
/// "group_by" for a grouped list).
fn kind(r: &fake_erp::RecordedRequest) -> String {
    let (endpoint, doctype) = match r.path.strip_prefix("/api/resource/") {
        Some(rest) => ("resource", rest.split('/').next().unwrap_or_default().to_string()),
        None if r.path.ends_with("frappe.client.get_list") => {
            ("get_list", r.body.as_ref().and_then(|b| b["doctype"].as_str()).unwrap_or("?").to_string())
        }
        None => ("method", r.path.clone()),
    };
    let filters = match r.body.as_ref().map(|b| b["filters"].clone()) {
        Some(f) => f,
        None => r.query.get("filters").and_then(|f| serde_json::from_str(f).ok()).unwrap_or(Value::Null),
    };
    let ins: Vec<String> = filters
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .filter_map(|f| match f.as_slice() {
            [field, op, _] | [_, field, op, _] if op == "in" => field.as_str().map(|s| format!("{s} in")),
            _ => None,
        })
        .collect();
    // Grouped lists (paid totals) apart from lists of rows.
    let grouped = match r.body.as_ref().and_then(|b| b.get("group_by")).and_then(Value::as_str) {
        Some(_) => " group_by",
        None => "",
    };
    format!("{} {endpoint} {doctype} [{}]{grouped}", r.method, ins.join(", "))
}

/// How many batches the planner makes of these contracts: as many names as fit `IN_BYTES` of
/// JSON (quotes and a comma each; the names here need no escapes).
fn planning_batches(contracts: &[Contract]) -> usize {
    let (mut batches, mut bytes) = (0, 0);
    for c in contracts {
        let size = c.name.len() + 3;
        if batches == 0 || bytes + size > IN_BYTES {
            (batches, bytes) = (batches + 1, 0);
        }
        bytes += size;
    }
    batches
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

async fn run() {
    let date = pass_date();
    let bin = bot_binary();
    println!("reminder planning benchmark — pass date {date}, binary {}", bin.display());

    let generated = Instant::now();
    let contracts = contracts(date);
    let (want_planned, want_paid, want_unlinked) = expected(&contracts);
    let listed_past = contracts.iter().map(|c| c.listed.len() - 1).sum::<usize>();
    let per_contract: BTreeMap<usize, usize> = contracts.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.listed.len()).or_default() += 1;
        m
    });
    let (erp, redis) = tokio::join!(FakeErp::start(), TestRedis::start());
    let erp = erp.expect("start the fake ERPNext");
    let seeded = seed(&erp, &contracts);
    warm_up(&erp, date).await;
    // `BENCH_REFUSE_SUMS=1`: the fake answers aggregate lists as Frappe v16 does (417), so the
    // planner reads rows instead (its fallback's cost).
    let refuse_sums = std::env::var("BENCH_REFUSE_SUMS").is_ok_and(|v| v == "1");
    erp.refuse_sql_functions(refuse_sums);
    if refuse_sums {
        println!("BENCH_REFUSE_SUMS=1: the fake refuses SQL functions in fields, as Frappe v16 does");
    }
    let customers_used = contracts.iter().map(|c| c.customer).collect::<BTreeSet<_>>();
    println!(
        "seeded in {}: {} customers ({} linked), {} submitted contracts (+{} cancelled), {} schedule rows, {} payment entries",
        secs(generated.elapsed()),
        seeded.customers,
        customers_used.iter().filter(|c| linked(**c)).count(),
        contracts.len(),
        seeded.cancelled_orders,
        seeded.schedule_rows,
        seeded.payment_entries,
    );
    println!(
        "shape: {ROWS} listed rows = {} current instalments (one per contract, on D-7..D+5) + {listed_past} earlier ones on weekly overdue dates; listed rows per contract: {}",
        contracts.len(),
        per_contract.iter().map(|(n, c)| format!("{n}: {c}")).collect::<Vec<_>>().join(", ")
    );
    println!(
        "expected plan: {want_planned} reminders, {want_paid} rows skipped as paid, {want_unlinked} as unlinked; page {PAGE} rows, `in` filters of ≤{IN_BYTES} bytes of names, schedule pages of {SCHEDULE_PAGE}"
    );

    let dir = std::env::temp_dir().join(format!("reminders-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("bench work dir");
    let out_path = dir.join("stdout.txt");
    let err_path = dir.join("stderr.txt");
    let vars = [
        ("BOT_TOKEN", "1:x".to_string()),
        ("TELEGRAM_API_URL", "http://127.0.0.1:9".to_string()),
        ("ERP_BASE_URL", erp.base_url()),
        ("ERP_API_KEY", fake_erp::API_KEY.to_string()),
        ("ERP_API_SECRET", fake_erp::API_SECRET.to_string()),
        // Generous, so that a slow answer of the fake never shows up as a retried request.
        ("ERP_TIMEOUT_SECS", "60".to_string()),
        ("ERP_DEADLINE_SECS", "120".to_string()),
        ("REDIS_URL", redis.url()),
        ("REDIS_KEY_PREFIX", "bench".to_string()),
        ("LOG_FORMAT", "json".to_string()),
    ];
    let mut child = tokio::process::Command::new(&bin)
        .args(["reminders", "preview", "--date", &ymd(date)])
        .env_clear()
        .envs(vars)
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::fs::File::create(&out_path).expect("stdout file")))
        .stderr(Stdio::from(std::fs::File::create(&err_path).expect("stderr file")))
        .kill_on_drop(true)
        .spawn()
        .expect("the bot binary starts");
    let started = Instant::now();
    let own_ticks_before = cpu_ticks(std::process::id()).unwrap_or(0);
    let pid = child.id().expect("child pid");
    let (mut peak_kib, mut ticks) = (0u64, 0u64);
    // The peak when the first per-batch request arrives, i.e. after listing the due rows.
    let due_pages = ROWS / PAGE + 1;
    let mut peak_after_listing: Option<(u64, Instant)> = None;
    let status = loop {
        peak_kib = peak_kib.max(status_kib(pid, "VmHWM:").unwrap_or(0));
        ticks = ticks.max(cpu_ticks(pid).unwrap_or(0));
        if peak_after_listing.is_none() && erp.request_count() > due_pages {
            peak_after_listing = Some((peak_kib, Instant::now()));
        }
        if let Some(status) = child.try_wait().expect("wait for the bot") {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let wall = started.elapsed();
    let fake_ticks = cpu_ticks(std::process::id()).unwrap_or(0).saturating_sub(own_ticks_before);
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let summary = stdout.lines().last().unwrap_or_default().to_string();
    if !status.success() {
        panic!(
            "the bot failed ({status}):\n{summary}\n{}",
            stderr.lines().rev().take(20).collect::<Vec<_>>().join("\n")
        );
    }
    let expected_summary = format!(
        "{ROWS} due rows, {want_planned} reminders planned, 0 sent, 0 failed; skipped: {want_paid} paid, {want_unlinked} unlinked"
    );

    let requests = erp.requests();
    let mut kinds: BTreeMap<String, (usize, Duration)> = BTreeMap::new();
    for (r, took) in requests.iter().zip(erp.answer_times()) {
        let entry = kinds.entry(kind(r)).or_default();
        entry.0 += 1;
        entry.1 += took;
    }
    let (first, last) = erp.span().expect("the bot asked ERPNext");
    let planning = last.duration_since(first);
    let busy = erp.busy();
    let peak_mib = peak_kib as f64 / 1024.0;
    let request_target = ROWS / PAGE + REQUEST_SLACK;
    let batches = planning_batches(&contracts);

    println!("bot: {}", summary.trim());
    // The planner's log line says how many contracts the outlines left undecided.
    let planned_line = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l.pointer("/fields/read_in_full").is_some() || l.get("read_in_full").is_some());
    let read_in_full = planned_line
        .and_then(|l| l.pointer("/fields/read_in_full").or_else(|| l.get("read_in_full")).and_then(Value::as_u64));
    println!(
        "contracts the outlines left undecided (schedules read row by row): {}",
        read_in_full.map_or("? (no planner log line)".to_string(), |n| n.to_string())
    );
    println!(
        "plan as expected: {}",
        if summary.contains(&expected_summary) {
            "yes".to_string()
        } else {
            format!("NO (expected {expected_summary})")
        }
    );
    println!("ERPNext requests: {} ({batches} planning batches of ≤{IN_BYTES} bytes of names)", requests.len());
    println!("  {:>6}  {:>9}  kind", "count", "fake time");
    for (k, (n, took)) in &kinds {
        println!("  {n:>6}  {:>9}  {k}", secs(*took));
    }
    let listing = peak_after_listing.map(|(_, at)| at.saturating_duration_since(first)).unwrap_or_default();
    println!(
        "planning (first ERPNext request → last answer): {} (listing the due rows: ~{}); whole command: {}; bot CPU: {:.2} s",
        secs(planning),
        secs(listing),
        secs(wall),
        ticks as f64 / 100.0
    );
    println!(
        "fake ERPNext: {:.2} s CPU while the bot ran; its answers took {} summed over requests (concurrent ones wait for each other)",
        fake_ticks as f64 / 100.0,
        secs(busy)
    );
    println!(
        "peak RSS of the bot (VmHWM): {peak_mib:.1} MiB; already {:.1} MiB when the due rows were listed ({due_pages} pages)",
        peak_after_listing.map_or(0, |(kib, _)| kib) as f64 / 1024.0
    );
    println!("targets:");
    println!(
        "  requests ≤ rows/page + {REQUEST_SLACK} = {request_target}: {} ({})",
        requests.len(),
        verdict(requests.len() <= request_target)
    );
    println!("  planning < {}: {} ({})", secs(TIME_TARGET), secs(planning), verdict(planning < TIME_TARGET));
    println!("  peak RSS < {RSS_TARGET_MIB} MiB: {peak_mib:.1} MiB ({})", verdict(peak_mib < RSS_TARGET_MIB));
    drop(redis);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(run());
}
