//! Invoices are part of the contract: a Sales Order billed with `make_sales_invoice` (its
//! advances moved onto the invoice, as ERPNext moves them), payments booked against the
//! invoice, partial invoicing and credit notes — the views, the events and the reminders all
//! count them for the order. Also the notices of issue 14's point 5: amendments, cancelled
//! contracts, payments on account, and each notice's balance as of its own payment.

use std::time::{Duration, Instant};

use erpnext_bot::conversation::{Callback, ContractRef};
use erpnext_bot::i18n::Label;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{fake_erp::FakeErp, updates};
use crate::fixtures::{day, dmy};
use crate::helpers::*;

const USER: i64 = 5_900_001;
const ORDER: &str = "SAL-ORD-2026-00010";
const INVOICE: &str = "ACC-SINV-2026-00001";

/// A stock-shaped contract: 6 000 000 in six monthly rows, three of them past, paid by three
/// advances against the order.
fn seed_order(erp: &FakeErp) {
    let schedule: Vec<Value> =
        (0..6).map(|i| json!({"idx": i + 1, "due_date": day(-90 + 30 * i), "payment_amount": 1_000_000.0})).collect();
    erp.insert(
        "Sales Order",
        json!({"name": ORDER, "customer": CUSTOMER, "docstatus": 1, "currency": "UZS", "status": "To Deliver and Bill",
               "transaction_date": day(-100), "grand_total": 6_000_000.0, "rounded_total": 6_000_000.0,
               "items": [{"idx": 1, "item_name": "Artel fridge", "qty": 1.0, "rate": 6_000_000.0, "amount": 6_000_000.0}],
               "payment_schedule": schedule}),
    );
    for (i, offset) in [-90, -60, -30].into_iter().enumerate() {
        pay(erp, &format!("ACC-PAY-2026-0050{i}"), "Sales Order", ORDER, offset, 1_000_000.0);
    }
}

fn pay(erp: &FakeErp, name: &str, doctype: &str, against: &str, offset: i64, amount: f64) {
    erp.insert(
        "Payment Entry",
        json!({"name": name, "docstatus": 1, "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
               "posting_date": day(offset), "mode_of_payment": "Cash", "paid_amount": amount, "unallocated_amount": 0.0,
               "references": [{"reference_doctype": doctype, "reference_name": against, "allocated_amount": amount}]}),
    );
}

async fn linked_env() -> (TestEnv, TestApp) {
    let env = TestEnv::new().await;
    seed_order(&env.erp);
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    (env, app)
}

/// Opens a contract view through its button and returns the edited text.
async fn press(env: &TestEnv, app: &TestApp, cb: Callback) -> String {
    // Buttons are honoured for contracts the chat was shown.
    menu(env, app, Label::MyContracts).await;
    press_button(env, app, USER, &cb).await
}

async fn menu(env: &TestEnv, app: &TestApp, label: Label) -> String {
    menu_text(env, app, USER, label).await
}

#[tokio::test]
async fn invoicing_moves_the_advances_onto_the_invoice_as_erpnext_does() {
    let env = TestEnv::new().await;
    seed_order(&env.erp);
    env.erp.bill_order(ORDER, INVOICE, 0.5, &day(-20));
    for i in 0..3 {
        let pe = env.erp.get("Payment Entry", &format!("ACC-PAY-2026-0050{i}")).expect("payment");
        let refs = pe["references"].as_array().cloned().unwrap_or_default();
        assert_eq!(refs.len(), 1, "{pe:#}");
        assert_eq!(
            (refs[0]["reference_doctype"].as_str(), refs[0]["reference_name"].as_str()),
            (Some("Sales Invoice"), Some(INVOICE))
        );
        assert_eq!(refs[0]["advance_voucher_no"], ORDER);
    }
    // A second invoice over the rest finds no advance left on the order.
    env.erp.bill_order(ORDER, "ACC-SINV-2026-00002", 0.5, &day(-10));
    let pe = env.erp.get("Payment Entry", "ACC-PAY-2026-00500").expect("payment");
    assert_eq!(pe["references"][0]["reference_name"], INVOICE);
}

#[tokio::test]
async fn payments_moved_to_the_invoice_and_booked_against_it_count_for_the_contract() {
    let (env, app) = linked_env().await;
    env.erp.bill_order(ORDER, INVOICE, 1.0, &day(-20));
    pay(&env.erp, "ACC-PAY-2026-00600", "Sales Invoice", INVOICE, 0, 1_000_000.0);

    let card = press(&env, &app, Callback::Contract(ContractRef::of(ORDER))).await;
    assert!(card.contains("Оплачено: 4 000 000 сум"), "{card}");
    assert!(card.contains("Остаток: <b>2 000 000 сум</b>"), "{card}");
    assert!(!card.contains("просрочен"), "nothing is late: {card}");

    let schedule = press(&env, &app, Callback::Schedule(ContractRef::of(ORDER))).await;
    assert_eq!(schedule.matches("оплачен").count(), 4, "{schedule}");

    let history = press(&env, &app, Callback::Payments(ContractRef::of(ORDER))).await;
    for i in 0..3 {
        assert!(history.contains(&format!("ACC-PAY-2026-0050{i}")), "{history}");
    }
    assert!(history.contains("ACC-PAY-2026-00600"), "{history}");

    let summary = {
        app.post(&updates::command(env.uid(), USER, "/start")).await;
        env.last_text(USER)
    };
    assert!(summary.contains("Осталось оплатить: <b>2 000 000 сум</b>"), "{summary}");
    let upcoming = menu(&env, &app, Label::Upcoming).await;
    assert!(!upcoming.contains("просрочен") && upcoming.contains(&dmy(30)), "{upcoming}");
}

#[tokio::test]
async fn a_site_that_refuses_sums_counts_the_invoice_payments_all_the_same() {
    let (env, app) = linked_env().await;
    env.erp.refuse_sql_functions(true);
    env.erp.bill_order(ORDER, INVOICE, 1.0, &day(-20));
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let summary = env.last_text(USER);
    assert!(summary.contains("Осталось оплатить: <b>3 000 000 сум</b>"), "{summary}");
}

#[tokio::test]
async fn partial_invoicing_and_a_credit_note_lower_what_is_owed() {
    let (env, app) = linked_env().await;
    // Half billed: the three advances (3 000 000) all move to the invoice.
    env.erp.bill_order(ORDER, INVOICE, 0.5, &day(-20));
    // A third of the invoice returned (1 000 000), the note's items naming no order.
    env.erp.credit_note(INVOICE, "ACC-SINV-RET-2026-00001", 1.0 / 3.0, &day(-5), false);
    let card = press(&env, &app, Callback::Contract(ContractRef::of(ORDER))).await;
    assert!(card.contains("Остаток: <b>2 000 000 сум</b>"), "{card}");
    let history = press(&env, &app, Callback::Payments(ContractRef::of(ORDER))).await;
    assert!(history.contains("ACC-SINV-RET-2026-00001"), "{history}");
}

#[tokio::test]
async fn a_payment_booked_against_the_invoice_is_told_as_a_payment_on_the_contract() {
    let (env, app) = linked_env().await;
    env.erp.bill_order(ORDER, INVOICE, 1.0, &day(-20));
    pay(&env.erp, "ACC-PAY-2026-00600", "Sales Invoice", INVOICE, 0, 1_000_000.0);
    let body = json!({"event": "on_submit", "doctype": "Payment Entry", "name": "ACC-PAY-2026-00600", "docstatus": 1,
                      "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER});
    assert_eq!(app.post_event(&body).await, StatusCode::OK);
    let started = Instant::now();
    let text = loop {
        if let Some(t) = env.texts(USER).into_iter().find(|t| t.contains("Платёж получен")) {
            break t;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no notice: {:#?}", env.texts(USER));
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(text.contains(&format!("Договор: {ORDER}")), "{text}");
    assert!(text.contains("Остаток по договору: <b>2 000 000 сум</b>"), "{text}");
}

async fn wait_for(env: &TestEnv, needle: &str, count: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let found: Vec<String> = env.texts(USER).into_iter().filter(|t| t.contains(needle)).collect();
        if found.len() >= count {
            return found;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "waited for {count} × {needle:?}: {:#?}", env.texts(USER));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn event(doctype: &str, name: &str, event: &str) -> Value {
    json!({"event": event, "doctype": doctype, "name": name, "docstatus": if event == "on_cancel" { 2 } else { 1 }})
}

#[tokio::test]
async fn two_payments_a_second_apart_each_report_the_balance_after_themselves() {
    let (env, app) = linked_env().await;
    // Both are booked before either notice goes out.
    pay(&env.erp, "ACC-PAY-2026-00601", "Sales Order", ORDER, 0, 500_000.0);
    pay(&env.erp, "ACC-PAY-2026-00602", "Sales Order", ORDER, 0, 700_000.0);
    assert_eq!(app.post_event(&event("Payment Entry", "ACC-PAY-2026-00601", "on_submit")).await, StatusCode::OK);
    assert_eq!(app.post_event(&event("Payment Entry", "ACC-PAY-2026-00602", "on_submit")).await, StatusCode::OK);
    let texts = wait_for(&env, "Платёж получен", 2).await;
    let first = texts.iter().find(|t| t.contains("500 000 сум</b>")).expect("the first notice");
    let second = texts.iter().find(|t| t.contains("700 000 сум</b>")).expect("the second notice");
    assert!(first.contains("Остаток по договору: <b>2 500 000 сум</b>"), "{first}");
    assert!(second.contains("Остаток по договору: <b>1 800 000 сум</b>"), "{second}");
}

#[tokio::test]
async fn a_payment_on_account_is_told_as_credit_on_the_account() {
    let (env, app) = linked_env().await;
    env.erp.insert(
        "Payment Entry",
        json!({"name": "ACC-PAY-2026-00700", "docstatus": 1, "payment_type": "Receive", "party_type": "Customer",
               "party": CUSTOMER, "posting_date": day(0), "mode_of_payment": "Cash", "paid_amount": 400_000.0,
               "unallocated_amount": 400_000.0, "paid_from_account_currency": "UZS", "references": []}),
    );
    assert_eq!(app.post_event(&event("Payment Entry", "ACC-PAY-2026-00700", "on_submit")).await, StatusCode::OK);
    let text = wait_for(&env, "Платёж получен", 1).await.remove(0);
    assert!(text.contains("Сумма: <b>400 000 сум</b>"), "{text}");
    assert!(
        text.contains("не распределён по договорам") && text.contains("На вашем счёте: <b>400 000 сум</b>"),
        "{text}"
    );
}

#[tokio::test]
async fn money_on_account_is_in_the_history_and_lowers_the_balance_of_the_summary() {
    let (env, app) = linked_env().await;
    env.erp.insert(
        "Payment Entry",
        json!({"name": "ACC-PAY-2026-00701", "docstatus": 1, "payment_type": "Receive", "party_type": "Customer",
               "party": CUSTOMER, "posting_date": day(-5), "mode_of_payment": "Cash", "paid_amount": 400_000.0,
               "unallocated_amount": 400_000.0, "paid_from_account_currency": "UZS", "references": []}),
    );
    let history = menu(&env, &app, Label::PaymentHistory).await;
    assert!(history.contains("400 000 сум</b> · Cash · № ACC-PAY-2026-00701 · на счёте"), "{history}");
    assert!(history.contains("Оплачено: <b>3 400 000 сум</b>"), "{history}");
    assert_eq!(app.post(&updates::command(env.uid(), USER, "/start")).await, StatusCode::OK);
    let summary = env.last_text(USER);
    // 6 000 000 − 3 000 000 paid on the order − 400 000 on account.
    assert!(summary.contains("Осталось оплатить: <b>2 600 000 сум</b>"), "{summary}");
    assert!(
        summary.contains("На вашем счёте (ещё не распределено по договорам, учтено выше): <b>400 000 сум</b>"),
        "{summary}"
    );
}

#[tokio::test]
async fn an_amended_contract_is_announced_as_replacing_the_cancelled_one_with_its_schedule() {
    let (env, app) = linked_env().await;
    env.erp.set_field("Sales Order", ORDER, "docstatus", json!(2));
    assert_eq!(app.post_event(&event("Sales Order", ORDER, "on_cancel")).await, StatusCode::OK);
    let cancelled = wait_for(&env, "Договор отменён", 1).await.remove(0);
    assert!(cancelled.contains(ORDER), "{cancelled}");

    let mut amended = env.erp.get("Sales Order", ORDER).expect("order");
    let new_name = format!("{ORDER}-1");
    amended["name"] = json!(new_name);
    amended["docstatus"] = json!(1);
    amended["amended_from"] = json!(ORDER);
    env.erp.insert("Sales Order", amended);
    assert_eq!(app.post_event(&event("Sales Order", &new_name, "on_submit")).await, StatusCode::OK);
    let replaced = wait_for(&env, "Договор изменён", 1).await.remove(0);
    assert!(replaced.contains(&format!("Договор {ORDER} заменён договором {new_name}")), "{replaced}");
    assert!(replaced.contains("Новый график платежей") && replaced.contains(&dmy(60)), "{replaced}");
    assert!(!env.texts(USER).iter().any(|t| t.contains("Новый договор")), "not announced as a second contract");
}
