//! F9: ERPNext events — signatures, once-only acceptance and delivery, durability across
//! restarts and replicas, Telegram 429/403, figures read at delivery time.

use std::time::{Duration, Instant};

use erpnext_bot::events::signature;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{fake_erp::FakeErp, fake_telegram::TgFault};
use crate::fixtures::{self, LONG, MARKUP, OTHERS, dmy};
use crate::helpers::*;

const USER: i64 = 5_700_001;
const SECRET: &str = "erp-secret";

fn payment_body(name: &str, event: &str) -> Value {
    json!({
        "event": event, "doctype": "Payment Entry", "name": name, "docstatus": if event == "on_cancel" { 2 } else { 1 },
        "modified": "2026-11-25 10:00:00.000000", "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
        "paid_amount": 1_000_000.0, "posting_date": "2026-11-25", "mode_of_payment": "Cash",
        "references": [{"reference_doctype": "Sales Order", "reference_name": MARKUP, "allocated_amount": 1_000_000.0}],
    })
}

/// Books a payment in the fake ERPNext, as the event says.
fn book_payment(erp: &FakeErp, name: &str, amount: f64) {
    erp.insert(
        "Payment Entry",
        json!({
            "name": name, "docstatus": 1, "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
            "posting_date": fixtures::today().format("%Y-%m-%d").to_string(), "mode_of_payment": "Cash", "paid_amount": amount,
            "references": [{"reference_doctype": "Sales Order", "reference_name": MARKUP, "allocated_amount": amount}],
        }),
    );
}

/// Waits until the chat received `count` texts containing `needle`.
async fn wait_for_text(env: &TestEnv, needle: &str, count: usize, timeout: Duration) -> Vec<String> {
    let started = Instant::now();
    loop {
        let found: Vec<String> = env.texts(USER).into_iter().filter(|t| t.contains(needle)).collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            started.elapsed() < timeout,
            "waited {timeout:?} for {count} × {needle:?}; texts: {:#?}",
            env.texts(USER)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Lets the workers run a little, then counts texts with `needle`.
async fn settle_count(env: &TestEnv, needle: &str) -> usize {
    tokio::time::sleep(Duration::from_millis(600)).await;
    env.texts(USER).iter().filter(|t| t.contains(needle)).count()
}

async fn linked_env(overrides: &[(&str, &str)]) -> (TestEnv, TestApp) {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let app = env.start_app_with(overrides).await;
    link(&env, &app, USER).await;
    (env, app)
}

async fn queue_len(env: &TestEnv, key: &str) -> String {
    env.redis.raw(&["XLEN", &format!("{}:{key}", env.prefix)]).await
}

#[tokio::test]
async fn a_signed_payment_event_reaches_the_customer_with_figures_from_erpnext() {
    let (env, app) = linked_env(&[]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    let started = Instant::now();
    let (status, body) = app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "accepted"));
    assert!(started.elapsed() < Duration::from_secs(1), "answered quickly: {:?}", started.elapsed());
    let text = wait_for_text(&env, "Платёж получен", 1, Duration::from_secs(5)).await.remove(0);
    // 16 250 000 − (5 000 000 + 1 000 000) and row 2: 7 125 000 − 4 000 000 still owed.
    assert!(text.contains("Сумма: <b>1 000 000 сум</b>"), "{text}");
    assert!(text.contains(&format!("Договор: {MARKUP}")), "{text}");
    assert!(text.contains("Остаток по договору: <b>10 250 000 сум</b>"), "{text}");
    assert!(text.contains(&format!("Следующий платёж: {} — 3 125 000 сум", dmy(-10))), "{text}");
    assert_eq!(queue_len(&env, "events").await, ":0", "acknowledged and removed");
}

#[tokio::test]
async fn a_payment_over_several_contracts_reports_each_of_the_customers_contracts_in_one_message() {
    let (env, app) = linked_env(&[]).await;
    let refs = [(MARKUP, 600_000.0), (LONG, 400_000.0), (OTHERS, 50_000.0)];
    env.erp.insert(
        "Payment Entry",
        json!({
            "name": "ACC-PAY-2026-77778", "docstatus": 1, "payment_type": "Receive", "party_type": "Customer",
            "party": CUSTOMER, "posting_date": fixtures::today().format("%Y-%m-%d").to_string(),
            "mode_of_payment": "Cash", "paid_amount": 1_050_000.0,
            "references": refs.iter().map(|(name, amount)| json!({
                "reference_doctype": "Sales Order", "reference_name": name, "allocated_amount": amount,
            })).collect::<Vec<_>>(),
        }),
    );
    let (status, _) = app.post_event_as(&payment_body("ACC-PAY-2026-77778", "on_submit"), Some(SECRET)).await;
    assert_eq!(status, StatusCode::OK);
    let text = wait_for_text(&env, "Платёж получен", 1, Duration::from_secs(5)).await.remove(0);
    assert_eq!(text.matches("Платёж получен").count(), 2, "one notice per own contract: {text}");
    assert!(text.contains(&format!("Сумма: <b>600 000 сум</b>\nДоговор: {MARKUP}")), "{text}");
    assert!(text.contains(&format!("Сумма: <b>400 000 сум</b>\nДоговор: {LONG}")), "{text}");
    // 16 250 000 − (5 000 000 + 600 000).
    assert!(text.contains("Остаток по договору: <b>10 650 000 сум</b>"), "{text}");
    assert!(!text.contains(OTHERS) && !text.contains("<b>50 000 сум</b>"), "another customer's contract: {text}");
    assert_eq!(settle_count(&env, "Платёж получен").await, 1, "one message");
}

#[tokio::test]
async fn wrong_or_missing_signatures_are_refused_and_store_nothing() {
    let (env, app) = linked_env(&[]).await;
    let body = payment_body("ACC-PAY-2026-77777", "on_submit");
    assert_eq!(app.post_event_as(&body, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.post_event_as(&body, Some("other-secret")).await.0, StatusCode::UNAUTHORIZED);
    let raw = body.to_string();
    let tampered = app
        .client
        .post(format!("{}/erpnext/events", app.address))
        .header("X-Frappe-Webhook-Signature", signature::sign(raw.as_bytes(), SECRET))
        .body(raw.replace("1000000", "9000000"))
        .send()
        .await
        .expect("answers");
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(queue_len(&env, "events").await, ":0");
    assert_eq!(settle_count(&env, "Платёж").await, 0);
}

#[tokio::test]
async fn both_secrets_are_accepted_while_rotating() {
    let (env, app) = linked_env(&[("ERP_WEBHOOK_SECRET", "new-secret, erp-secret")]).await;
    book_payment(&env.erp, "PE-OLD", 1_000.0);
    book_payment(&env.erp, "PE-NEW", 2_000.0);
    assert_eq!(app.post_event_as(&payment_body("PE-OLD", "on_submit"), Some(SECRET)).await.0, StatusCode::OK);
    assert_eq!(app.post_event_as(&payment_body("PE-NEW", "on_submit"), Some("new-secret")).await.0, StatusCode::OK);
    wait_for_text(&env, "Платёж получен", 2, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn the_same_event_delivered_again_yields_one_message() {
    let (env, app) = linked_env(&[]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    let body = payment_body("ACC-PAY-2026-77777", "on_submit");
    assert_eq!(app.post_event_as(&body, Some(SECRET)).await, (StatusCode::OK, "accepted".into()));
    wait_for_text(&env, "Платёж получен", 1, Duration::from_secs(5)).await;
    for _ in 0..3 {
        assert_eq!(app.post_event_as(&body, Some(SECRET)).await, (StatusCode::OK, "duplicate".into()));
    }
    assert_eq!(settle_count(&env, "Платёж получен").await, 1);
}

#[tokio::test]
async fn events_we_do_not_handle_or_cannot_read_are_answered_without_retries() {
    let (env, app) = linked_env(&[]).await;
    let other = json!({"event": "on_update", "doctype": "Payment Entry", "name": "PE-1"});
    assert_eq!(app.post_event_as(&other, Some(SECRET)).await, (StatusCode::OK, "ignored".into()));
    let journal = json!({"event": "on_submit", "doctype": "Journal Entry", "name": "JV-1"});
    assert_eq!(app.post_event_as(&journal, Some(SECRET)).await.0, StatusCode::OK);
    let nameless = json!({"event": "on_submit", "doctype": "Payment Entry"});
    let (status, reason) = app.post_event_as(&nameless, Some(SECRET)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reason.contains("name"), "{reason}");
    assert_eq!(queue_len(&env, "events").await, ":0");
}

#[tokio::test]
async fn a_cancelled_contract_is_accepted_once_for_delivery() {
    let (_env, app) = linked_env(&[]).await;
    let cancelled = json!({"event": "on_cancel", "doctype": "Sales Order", "name": MARKUP, "docstatus": 2});
    assert_eq!(app.post_event_as(&cancelled, Some(SECRET)).await, (StatusCode::OK, "accepted".into()));
    assert_eq!(app.post_event_as(&cancelled, Some(SECRET)).await, (StatusCode::OK, "duplicate".into()));
}

#[tokio::test]
async fn an_event_for_a_customer_without_a_link_is_accepted_and_dropped() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let app = env.start_app().await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    assert_eq!(
        app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(queue_len(&env, "events").await, ":0", "processed and removed");
    assert!(env.tg.calls_to("sendMessage").is_empty());
}

#[tokio::test]
async fn a_cancelled_payment_sends_a_correction_with_the_new_balance() {
    let (env, app) = linked_env(&[]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    env.erp.set_field("Payment Entry", "ACC-PAY-2026-77777", "docstatus", json!(2));
    assert_eq!(
        app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_cancel"), Some(SECRET)).await.0,
        StatusCode::OK
    );
    let text = wait_for_text(&env, "Платёж отменён", 1, Duration::from_secs(5)).await.remove(0);
    assert!(text.contains("1 000 000 сум") && text.contains("<b>11 250 000 сум</b>"), "{text}");
}

#[tokio::test]
async fn a_new_contract_is_announced_with_its_total_and_first_due_date() {
    let (env, app) = linked_env(&[]).await;
    let body =
        json!({"event": "on_submit", "doctype": "Sales Order", "name": MARKUP, "docstatus": 1, "customer": CUSTOMER});
    assert_eq!(app.post_event_as(&body, Some(SECRET)).await.0, StatusCode::OK);
    let text = wait_for_text(&env, "Новый договор", 1, Duration::from_secs(5)).await.remove(0);
    assert!(text.contains("16 250 000 сум"), "{text}");
    assert!(text.contains(&format!("Первый платёж: {} — 4 125 000 сум", dmy(-10))), "{text}");
}

#[tokio::test]
async fn a_telegram_429_is_waited_out_and_the_event_delivered_once() {
    let (env, app) = linked_env(&[]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    env.tg.fail_next("sendMessage", 1, TgFault::TooManyRequests { retry_after: 1 });
    app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await;
    wait_for_text(&env, "Платёж получен", 1, Duration::from_secs(6)).await;
    assert_eq!(settle_count(&env, "Платёж получен").await, 1);
}

#[tokio::test]
async fn a_blocked_chat_is_marked_and_not_retried() {
    let (env, app) = linked_env(&[]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    env.tg.block_chat(USER);
    let sends_before = env.tg.calls_to("sendMessage").len();
    app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(env.tg.calls_to("sendMessage").len(), sends_before + 1, "one attempt, no retry storm");
    assert_eq!(env.redis.raw(&["EXISTS", &format!("{}:unreachable:{USER}", env.prefix)]).await, ":1");
    assert_eq!(queue_len(&env, "events").await, ":0");
}

#[tokio::test]
async fn an_event_accepted_before_a_crash_is_delivered_once_after_the_restart() {
    let (env, app) = linked_env(&[("EVENT_WORKERS", "0")]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    assert_eq!(
        app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await.0,
        StatusCode::OK
    );
    app.stop().await;
    assert_eq!(queue_len(&env, "events").await, ":1", "stored before the 200");
    assert_eq!(settle_count(&env, "Платёж получен").await, 0);
    let _app = env.start_app().await;
    wait_for_text(&env, "Платёж получен", 1, Duration::from_secs(5)).await;
    assert_eq!(settle_count(&env, "Платёж получен").await, 1);
}

#[tokio::test]
async fn events_held_by_a_dead_replica_are_taken_over() {
    let (env, app) = linked_env(&[("EVENT_WORKERS", "0")]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await;
    // A replica takes the event and dies before acknowledging it.
    let stream = format!("{}:events", env.prefix);
    let taken =
        env.redis.raw(&["XREADGROUP", "GROUP", "workers", "dead-replica", "COUNT", "1", "STREAMS", &stream, ">"]).await;
    assert!(taken.starts_with("*1"), "{taken}");
    let _app = env.start_app_with(&[("EVENT_CLAIM_IDLE_SECS", "1")]).await;
    wait_for_text(&env, "Платёж получен", 1, Duration::from_secs(6)).await;
    assert_eq!(settle_count(&env, "Платёж получен").await, 1);
}

#[tokio::test]
async fn two_replicas_share_the_events_without_delivering_any_twice() {
    let (env, a) = linked_env(&[]).await;
    let b = env.start_app().await;
    for i in 0..10 {
        let name = format!("PE-R{i}");
        book_payment(&env.erp, &name, 1_000.0 + f64::from(i));
        let body = payment_body(&name, "on_submit");
        // ERPNext's retry may land on the other replica.
        let (x, y) = tokio::join!(a.post_event_as(&body, Some(SECRET)), b.post_event_as(&body, Some(SECRET)));
        assert!(x.0.is_success() && y.0.is_success());
    }
    wait_for_text(&env, "Платёж получен", 10, Duration::from_secs(8)).await;
    assert_eq!(settle_count(&env, "Платёж получен").await, 10);
}

#[tokio::test]
async fn erpnext_down_at_delivery_is_retried_until_it_answers() {
    let (env, app) = linked_env(&[]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77777", 1_000_000.0);
    env.erp.set_down(true);
    app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    env.erp.set_down(false);
    wait_for_text(&env, "Платёж получен", 1, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn an_event_that_keeps_failing_is_parked_and_visible() {
    let (env, app) = linked_env(&[("EVENT_MAX_ATTEMPTS", "2")]).await;
    env.erp.set_down(true);
    app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await;
    let started = Instant::now();
    while queue_len(&env, "events:parked").await != ":1" {
        assert!(started.elapsed() < Duration::from_secs(10), "never parked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(queue_len(&env, "events").await, ":0");
}

#[tokio::test]
async fn redis_down_at_intake_asks_erpnext_to_retry() {
    let (mut env, app) = linked_env(&[]).await;
    env.redis.stop().await;
    let (status, _) = app.post_event_as(&payment_body("ACC-PAY-2026-77777", "on_submit"), Some(SECRET)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    env.redis.start_again().await;
}

#[tokio::test]
async fn a_refund_to_the_customer_is_not_told_as_a_payment_received() {
    let (env, app) = linked_env(&[]).await;
    env.erp.insert(
        "Payment Entry",
        json!({
            "name": "ACC-PAY-2026-77780", "docstatus": 1, "payment_type": "Pay", "party_type": "Customer", "party": CUSTOMER,
            "posting_date": fixtures::today().format("%Y-%m-%d").to_string(), "mode_of_payment": "Cash", "paid_amount": 200_000.0,
            "unallocated_amount": 200_000.0, "references": [],
        }),
    );
    let sent_before = env.tg.calls_to("sendMessage").len();
    assert_eq!(
        app.post_event_as(&payment_body("ACC-PAY-2026-77780", "on_submit"), Some(SECRET)).await.0,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(queue_len(&env, "events").await, ":0", "processed and dropped");
    assert_eq!(env.tg.calls_to("sendMessage").len(), sent_before, "no notice");
}

#[tokio::test]
async fn a_redis_blip_during_an_event_is_waited_out_inside_frappes_timeout() {
    let (mut env, app) = linked_env(&[]).await;
    book_payment(&env.erp, "ACC-PAY-2026-77790", 1_000_000.0);
    env.redis.stop().await;
    let body = payment_body("ACC-PAY-2026-77790", "on_submit");
    let (client, address) = (app.client.clone(), app.address.clone());
    let posted = tokio::spawn(async move {
        let raw = body.to_string();
        client
            .post(format!("{address}/erpnext/events"))
            .header("content-type", "application/json")
            .header("X-Frappe-Webhook-Signature", signature::sign(raw.as_bytes(), SECRET))
            .body(raw)
            .send()
            .await
            .map(|r| r.status())
    });
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    env.redis.start_again().await;
    let status = posted.await.expect("task").expect("answered");
    assert_eq!(status, StatusCode::OK, "accepted once Redis was back, not refused");
    // This Redis keeps nothing on disk: the chat's language is gone, the notice is in Uzbek.
    let told = wait_for_text(&env, "1 000 000 so'm", 1, Duration::from_secs(8)).await;
    assert_eq!(told.len(), 1, "{told:?}");
}
