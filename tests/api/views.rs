//! F4–F7 and the welcome summary, end to end: figures, ownership, paging, splitting, cost.

use erpnext_bot::conversation::{Callback, ContractRef};
use erpnext_bot::i18n::{self, Label, Lang, Msg};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::updates;
use crate::fixtures::{self, CANCELLED, LONG, LONG_PAYMENTS, MARKUP, OTHERS, dmy};
use crate::helpers::*;

const USER: i64 = 5_600_001;

async fn linked_env() -> (TestEnv, TestApp) {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    (env, app)
}

fn button(lang: Lang, label: Label) -> &'static str {
    i18n::label(lang, label)
}

fn last_markup(env: &TestEnv, method: &str) -> Value {
    env.tg.calls_to(method).pop().map(|c| c.params["reply_markup"].clone()).unwrap_or(Value::Null)
}

fn callback_data(markup: &Value) -> Vec<String> {
    markup["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["callback_data"].as_str().map(str::to_owned))
        .collect()
}

/// Presses a contract-list button and returns the edited text.
async fn press(env: &TestEnv, app: &TestApp, data: &str) -> String {
    let before = env.tg.calls_to("editMessageText").len();
    assert_eq!(app.post(&updates::callback(env.uid(), USER, data, 77)).await, StatusCode::OK);
    let edits = env.tg.calls_to("editMessageText");
    assert_eq!(edits.len(), before + 1, "{data} edited the message: {:?}", env.tg.calls());
    edits.last().and_then(|c| c.params["text"].as_str()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_contract_list_shows_own_submitted_contracts_only() {
    let (env, app) = linked_env().await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::MyContracts))).await;
    let data = callback_data(&last_markup(&env, "sendMessage"));
    assert_eq!(
        data,
        vec![format!("c:{}", ContractRef::of(MARKUP).as_str()), format!("c:{}", ContractRef::of(LONG).as_str())]
    );
    let labels = last_markup(&env, "sendMessage").to_string();
    assert!(!labels.contains(CANCELLED) && !labels.contains(OTHERS), "{labels}");
    assert!(data.iter().all(|d| d.len() <= 64));
}

#[tokio::test]
async fn a_contract_card_has_exact_figures_products_and_buttons() {
    let (env, app) = linked_env().await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::MyContracts))).await;
    env.erp.clear_requests();
    let card = press(&env, &app, &Callback::Contract(ContractRef::of(MARKUP)).encode()).await;
    // The callback is answered before the slow work: first call after the press.
    let calls = env.tg.calls();
    let answer_at = calls.iter().rposition(|c| c.method == "answerCallbackQuery").expect("answered");
    let edit_at = calls.iter().rposition(|c| c.method == "editMessageText").expect("edited");
    assert!(answer_at < edit_at);
    for want in [
        "Сумма: 16 250 000 сум",
        "Первый взнос: 2 000 000 сум",
        "Оплачено: 5 000 000 сум",
        "Остаток: <b>11 250 000 сум</b>",
        "Samsung &lt;Galaxy&gt; S24 &amp; case\n    13 000 000 сум\n",
        "1 625 000 сум × 2 шт. = 3 250 000 сум",
        "Samsung &lt;Galaxy&gt; S24 &amp; case",
        "IMEI: <code>356789012345678</code>",
        "Примечание: white",
    ] {
        assert!(card.contains(want), "{want:?} missing in:\n{card}");
    }
    assert!(card.contains(&format!("{} — 4 125 000 сум (просрочен 10 дн.)", dmy(-10))), "{card}");
    assert_eq!(
        env.erp.request_count(),
        4,
        "the customer re-read beside one contract read, and the invoices then the payments: {:?}",
        env.erp.requests()
    );
    let data = callback_data(&last_markup(&env, "editMessageText"));
    assert_eq!(data.len(), 4, "schedule, payments, pdf, back: {data:?}");
}

#[tokio::test]
async fn the_schedule_applies_payments_in_due_date_order() {
    let (env, app) = linked_env().await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::MyContracts))).await;
    let text = press(&env, &app, &Callback::Schedule(ContractRef::of(LONG)).encode()).await;
    let pre = text.split("<pre>").nth(1).and_then(|t| t.split("</pre>").next()).expect("table");
    let rows: Vec<&str> = pre.lines().skip(1).collect();
    assert_eq!(rows.len(), 11, "{pre}");
    assert!(rows[0].contains("1 000 000") && rows[0].ends_with("оплачен"), "down payment row: {pre}");
    assert!(rows[1].ends_with("оплачен") && rows[2].ends_with("оплачен"), "{pre}");
    assert!(rows[3].ends_with("просрочен 10 дн."), "{pre}");
    assert!(rows[4].ends_with("ожидается"), "{pre}");
    assert!(text.contains("Оплачено: 2 000 000 сум") && text.contains("Остаток: <b>4 000 000 сум</b>"), "{text}");
}

#[tokio::test]
async fn all_payments_of_a_contract_are_listed_past_erpnexts_default_page() {
    let (env, app) = linked_env().await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::MyContracts))).await;
    let text = press(&env, &app, &Callback::Payments(ContractRef::of(LONG)).encode()).await;
    assert_eq!(text.matches("ACC-PAY-2026-1").count(), LONG_PAYMENTS, "{text}");
    assert!(text.contains("Оплачено: <b>2 000 000 сум</b>"));
    let lists = payment_entry_lists(&env, 0);
    assert_eq!(lists.last().map(|l| l["limit_page_length"].clone()), Some(json!(100)), "{lists:#?}");
}

#[tokio::test]
async fn payment_history_from_the_menu_covers_every_contract() {
    let (env, app) = linked_env().await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::PaymentHistory))).await;
    let all = env.texts(USER).join("\n");
    assert_eq!(all.matches("ACC-PAY-2026-").count(), LONG_PAYMENTS + 2, "{all}");
    assert!(!all.contains("ACC-PAY-2026-09999"), "another customer's payment");
    assert!(all.contains("Оплачено: <b>7 000 000 сум</b>"));
}

#[tokio::test]
async fn upcoming_payments_show_overdue_and_the_next_30_days_with_the_total() {
    let (env, app) = linked_env().await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::Upcoming))).await;
    let text = env.last_text(USER);
    let overdue = format!("{} — 4 125 000 сум (просрочен 10 дн.) · {MARKUP}", dmy(-10));
    let soon = format!("{} — 7 125 000 сум · {MARKUP}", dmy(20));
    assert!(text.contains(&overdue) && text.contains(&soon), "{text}");
    assert!(text.find(&overdue) < text.find(&soon));
    assert!(!text.contains(&dmy(50)), "beyond 30 days: {text}");
    assert!(text.contains("Сумма: <b>12 250 000 сум</b>"), "{text}");
}

#[tokio::test]
async fn the_welcome_back_message_carries_the_summary() {
    let (env, app) = linked_env().await;
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let text = env.last_text(USER);
    assert!(text.contains("Договоров: <b>2</b>"), "{text}");
    assert!(text.contains("Осталось оплатить: <b>15 250 000 сум</b>"), "{text}");
    assert!(text.contains(&format!("Ближайший платёж: {} — 4 125 000 сум", dmy(-10))), "{text}");
}

/// The bodies of the Payment Entry lists the bot asked for since request `from`.
fn payment_entry_lists(env: &TestEnv, from: usize) -> Vec<Value> {
    let requests = env.erp.requests().into_iter().skip(from).filter(|r| r.path.ends_with("frappe.client.get_list"));
    // Not the list of money on account (asked beside the contracts).
    let on_account = |b: &Value| b["fields"].to_string().contains("unallocated_amount");
    requests.filter_map(|r| r.body).filter(|b| b["doctype"] == "Payment Entry" && !on_account(b)).collect()
}

#[tokio::test]
async fn the_summary_asks_erpnext_for_paid_totals_one_row_per_contract() {
    let (env, app) = linked_env().await;
    let before = env.erp.requests().len();
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    assert!(env.last_text(USER).contains("Осталось оплатить: <b>15 250 000 сум</b>"));
    let lists = payment_entry_lists(&env, before);
    assert_eq!(lists.len(), 1, "{lists:#?}");
    assert_eq!(
        lists[0]["group_by"],
        "`tabPayment Entry Reference`.`reference_doctype`, `tabPayment Entry Reference`.`reference_name`",
        "{lists:#?}"
    );
    let fields = lists[0]["fields"].to_string();
    assert!(fields.contains("sum(`tabPayment Entry Reference`.`allocated_amount`)"), "{lists:#?}");
}

/// `/start` on a site whose paid totals cannot be summed by ERPNext: the same summary, from
/// the grouped request (ignored or refused) and then the allocations.
async fn summary_from_the_allocations(env: &TestEnv, app: &TestApp) {
    let before = env.erp.requests().len();
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    let text = env.last_text(USER);
    assert!(text.contains("Осталось оплатить: <b>15 250 000 сум</b>"), "{text}");
    assert!(text.contains(&format!("Ближайший платёж: {} — 4 125 000 сум", dmy(-10))), "{text}");
    let lists = payment_entry_lists(env, before);
    assert_eq!(lists.len(), 2, "the grouped request, then the allocations: {lists:#?}");
    assert!(lists[1].get("group_by").is_none(), "{lists:#?}");
}

#[tokio::test]
async fn a_site_that_ignores_group_by_gets_the_same_summary_and_upcoming() {
    let (env, app) = linked_env().await;
    env.erp.drop_group_by(true);
    summary_from_the_allocations(&env, &app).await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::Upcoming))).await;
    assert!(env.last_text(USER).contains("Сумма: <b>12 250 000 сум</b>"), "{}", env.last_text(USER));
}

#[tokio::test]
async fn a_site_that_refuses_sums_gets_the_same_views_and_is_asked_only_once() {
    let (env, app) = linked_env().await;
    // Frappe v16 answers 417 to `sum(..)` written in `fields`.
    env.erp.refuse_sql_functions(true);
    summary_from_the_allocations(&env, &app).await;
    let before = env.erp.requests().len();
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::Upcoming))).await;
    assert!(env.last_text(USER).contains("Сумма: <b>12 250 000 сум</b>"), "{}", env.last_text(USER));
    let lists = payment_entry_lists(&env, before);
    assert!(lists.iter().all(|l| l.get("group_by").is_none()), "not asked again: {lists:#?}");
}

#[tokio::test]
async fn a_forged_contract_button_gets_an_alert_and_no_data() {
    let (env, app) = linked_env().await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::MyContracts))).await;
    env.erp.clear_requests();
    let edits = env.tg.calls_to("editMessageText").len();
    for forged in [
        Callback::Contract(ContractRef::of(OTHERS)),
        Callback::Schedule(ContractRef::of(CANCELLED)),
        Callback::Pdf(ContractRef::of(OTHERS)),
    ] {
        app.post(&updates::callback(env.uid(), USER, &forged.encode(), 5)).await;
        let answer = env.tg.calls_to("answerCallbackQuery").pop().expect("answered");
        assert_eq!(answer.params["show_alert"], json!(true));
        assert_eq!(answer.params["text"], json!(say(Msg::ButtonExpired)));
    }
    assert_eq!(env.tg.calls_to("editMessageText").len(), edits);
    assert!(env.tg.calls_to("sendDocument").is_empty());
    assert_eq!(env.erp.request_count(), 0, "nothing was read for a forged button");
}

#[tokio::test]
async fn a_contract_taken_away_after_listing_is_not_shown() {
    let (env, app) = linked_env().await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::MyContracts))).await;
    env.erp.set_field("Sales Order", MARKUP, "customer", json!("CUST-0777"));
    let text = press(&env, &app, &Callback::Contract(ContractRef::of(MARKUP)).encode()).await;
    assert_eq!(text, say(Msg::ContractUnavailable));
}

#[tokio::test]
async fn a_customer_without_contracts_is_told_so() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::MyContracts))).await;
    assert_eq!(env.last_text(USER), say(Msg::NoContracts));
    app.post(&updates::text(env.uid(), USER, button(Lang::Ru, Label::Upcoming))).await;
    assert_eq!(env.last_text(USER), say(Msg::NoContracts));
}
