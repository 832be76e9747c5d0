//! Money as customers read it, against contracts stored the way real ERPNext stores them:
//! 6 000 000 split into 1 000 000.02 × 5 + 999 999.90 with the mark-up as a charge row (a stock
//! site, no custom fields), and a mark-up built into the item rates. Every amount the fake Bot
//! API receives is in whole so'm, and every list adds up to the total printed under it.

use std::time::{Duration, Instant};

use erpnext_bot::config::{Config, Purpose};
use erpnext_bot::conversation::{Callback, ContractRef};
use erpnext_bot::i18n::Label;
use erpnext_bot::reminders::command;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::updates;
use crate::fixtures::{self, IN_RATES, TIYIN, day, dmy};
use crate::helpers::*;

const USER: i64 = 5_800_001;

async fn linked_env() -> (TestEnv, TestApp) {
    let env = TestEnv::new().await;
    fixtures::seed_real_shapes(&env.erp);
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    (env, app)
}

/// Presses an inline button and returns the edited text.
async fn press(env: &TestEnv, app: &TestApp, cb: Callback) -> String {
    press_button(env, app, USER, &cb).await
}

async fn menu(env: &TestEnv, app: &TestApp, label: Label) -> String {
    menu_text(env, app, USER, label).await
}

/// No tiyin anywhere: neither `1 000 000.02` nor `999 999,90`.
fn whole_som(text: &str) {
    assert!(!text.contains("000.0") && !text.contains("000,0") && !text.contains("999.9"), "{text}");
    assert!(!text.contains("999,9") && !text.contains("999 999"), "{text}");
}

#[tokio::test]
async fn erpnexts_tiyin_split_reads_in_whole_som_on_the_card_and_the_schedule() {
    let (env, app) = linked_env().await;
    menu(&env, &app, Label::MyContracts).await;
    let card = press(&env, &app, Callback::Contract(ContractRef::of(TIYIN))).await;
    whole_som(&card);
    for want in [
        "Сумма: 6 000 000 сум",
        "Оплачено: 2 000 000 сум",
        "Остаток: <b>4 000 000 сум</b>",
        // 3 333 333 + 1 666 667 sharing the 1 000 000 charge row: 3 999 999.60 and 2 000 000.40.
        "1. Artel fridge\n    4 000 000 сум\n",
        "2. Artel washer\n    2 000 000 сум\n",
    ] {
        assert!(card.contains(want), "{want:?} missing in:\n{card}");
    }
    assert!(card.contains(&format!("Следующий платёж: {} — 1 000 000 сум (просрочен 15 дн.)", dmy(-15))), "{card}");
    assert!(!card.contains(" × 1 "), "{card}");

    let text = press(&env, &app, Callback::Schedule(ContractRef::of(TIYIN))).await;
    whole_som(&text);
    let pre = text.split("<pre>").nth(1).and_then(|t| t.split("</pre>").next()).expect("table");
    let rows: Vec<&str> = pre.lines().skip(1).collect();
    assert_eq!(rows.len(), 6, "{pre}");
    assert!(rows.iter().all(|r| r.contains(" 1 000 000 ")), "the last row too: {pre}");
    assert!(rows[0].ends_with("оплачен") && rows[1].ends_with("оплачен"), "paid to the tiyin: {pre}");
    assert!(rows[2].ends_with("просрочен 15 дн.") && rows[3].ends_with("ожидается"), "{pre}");
    assert!(text.contains("Сумма: 6 000 000 сум\nОплачено: 2 000 000 сум\nОстаток: <b>4 000 000 сум</b>"), "{text}");
}

#[tokio::test]
async fn a_mark_up_in_the_item_rates_is_never_added_again() {
    let (env, app) = linked_env().await;
    menu(&env, &app, Label::MyContracts).await;
    let card = press(&env, &app, Callback::Contract(ContractRef::of(IN_RATES))).await;
    for want in [
        "Сумма: 5 100 000 сум",
        "Первый взнос: 1 275 000 сум",
        "Оплачено: 1 275 000 сум",
        "Остаток: <b>3 825 000 сум</b>",
        "1. Samsung Galaxy S24\n    5 040 000 сум\n",
        "2. Case\n    30 000 сум × 2 шт. = 60 000 сум\n",
    ] {
        assert!(card.contains(want), "{want:?} missing in:\n{card}");
    }
    // The site's mark-up field says 840 000: already in the rate, never on top of it.
    assert!(!card.contains("5 880 000") && !card.contains("5 940 000"), "{card}");
    let text = press(&env, &app, Callback::Schedule(ContractRef::of(IN_RATES))).await;
    assert!(text.contains("Сумма: 5 100 000 сум"), "the schedule agrees with the card: {text}");
}

#[tokio::test]
async fn upcoming_history_and_the_summary_add_up_in_whole_som() {
    let (env, app) = linked_env().await;
    let upcoming = menu(&env, &app, Label::Upcoming).await;
    whole_som(&upcoming);
    for want in [
        format!("{} — 1 000 000 сум (просрочен 15 дн.) · {TIYIN}", dmy(-15)),
        format!("{} — 1 275 000 сум (сегодня) · {IN_RATES}", dmy(0)),
        format!("{} — 1 000 000 сум · {TIYIN}", dmy(15)),
        format!("{} — 1 275 000 сум · {IN_RATES}", dmy(30)),
        "Сумма: <b>4 550 000 сум</b>".to_owned(),
    ] {
        assert!(upcoming.contains(&want), "{want:?} missing in:\n{upcoming}");
    }

    let history = menu(&env, &app, Label::PaymentHistory).await;
    whole_som(&history);
    // 1 000 000.02 + 1 000 000.02 + 1 275 000: each line whole, and they add up.
    assert_eq!(history.matches("<b>1 000 000 сум</b>").count(), 2, "{history}");
    assert!(history.contains("Оплачено: <b>3 275 000 сум</b>"), "{history}");

    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let summary = env.last_text(USER);
    whole_som(&summary);
    assert!(summary.contains("Осталось оплатить: <b>7 825 000 сум</b>"), "{summary}");
    assert!(summary.contains(&format!("Ближайший платёж: {} — 1 000 000 сум", dmy(-15))), "{summary}");
}

#[tokio::test]
async fn a_payment_of_a_tiyin_term_is_told_in_whole_som() {
    let (env, app) = linked_env().await;
    let name = "ACC-PAY-2026-06003";
    let refs = json!([{"reference_doctype": "Sales Order", "reference_name": TIYIN, "allocated_amount": 1_000_000.02}]);
    let entry = json!({
        "name": name, "docstatus": 1, "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
        "posting_date": day(0), "mode_of_payment": "Cash", "paid_amount": 1_000_000.02, "references": refs,
    });
    env.erp.insert("Payment Entry", entry.clone());
    let mut body = entry;
    body["event"] = json!("on_submit");
    body["doctype"] = json!("Payment Entry");
    assert_eq!(app.post_event(&body).await, StatusCode::OK);
    let started = Instant::now();
    let notice = loop {
        if let Some(t) = env.texts(USER).into_iter().find(|t| t.contains("Платёж получен")) {
            break t;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no notice: {:#?}", env.texts(USER));
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    whole_som(&notice);
    assert!(notice.contains("Сумма: <b>1 000 000 сум</b>"), "{notice}");
    assert!(notice.contains("Остаток по договору: <b>3 000 000 сум</b>"), "{notice}");
    assert!(notice.contains(&format!("Следующий платёж: {} — 1 000 000 сум", dmy(15))), "{notice}");
}

#[tokio::test]
async fn reminders_of_tiyin_terms_are_in_whole_som() {
    let (env, _app) = linked_env().await;
    let mut vars = env.vars();
    vars.insert("REMINDER_DAYS_BEFORE".into(), "15".into());
    vars.insert("REMINDER_DAYS_AFTER".into(), "15".into());
    let config = Config::from_sources(&vars, Purpose::Tooling).expect("valid config");
    let report = command::run(&config, true, None).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    let sent = env.tg.sent_texts(USER).into_iter().filter(|t| t.contains("⏰")).collect::<Vec<_>>().join("\n");
    whole_som(&sent);
    assert!(sent.contains(&format!("• {} — <b>1 000 000 сум</b>", dmy(-15))), "{sent}");
    assert!(sent.contains(&format!("• {} — <b>1 000 000 сум</b>", dmy(15))), "{sent}");
    assert!(sent.contains(&format!("• {} — <b>1 275 000 сум</b>", dmy(0))), "{sent}");
}
