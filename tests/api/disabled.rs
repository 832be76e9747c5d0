//! A Customer disabled in ERPNext (`disabled = 1`) loses access at the next update: the
//! session ends with a message saying why, the Telegram link in ERPNext stays so that access
//! comes back by itself once the shop enables the customer, linking is refused only after
//! both factors pass, and payment notices are not sent meanwhile.

use std::time::Duration;

use erpnext_bot::i18n::{Label, Msg};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::updates;
use crate::fixtures::{self, MARKUP};
use crate::helpers::*;

const USER: i64 = 5_800_001;

fn disable(env: &TestEnv, on: bool) {
    env.erp.set_field("Customer", CUSTOMER, "disabled", json!(i64::from(on)));
}

fn refused() -> String {
    say(Msg::AccountDisabled { support: Some(SUPPORT.into()) })
}

#[tokio::test]
async fn a_linked_customer_disabled_in_erpnext_loses_access_at_the_next_update_and_gets_it_back() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    let list = menu_text(&env, &app, USER, Label::MyContracts).await;
    assert!(list.contains("Ваши договоры"), "{list}");

    disable(&env, true);
    assert_eq!(menu_text(&env, &app, USER, Label::MyContracts).await, refused(), "a view button");
    assert!(env.chat_state(USER).await.contains("\"new\""), "session ended: {}", env.chat_state(USER).await);
    assert_eq!(linked_id(&env), Some(USER.to_string()), "the link in ERPNext is left alone");
    for label in [Label::Upcoming, Label::PaymentHistory, Label::Profile] {
        assert_eq!(menu_text(&env, &app, USER, label).await, refused(), "{label:?}");
    }
    assert_eq!(app.post(&updates::command(env.uid(), USER, "/start")).await, StatusCode::OK);
    assert_eq!(env.last_text(USER), refused(), "/start");
    assert!(env.texts(USER).iter().all(|t| !t.contains("16 250 000")), "no figure after disabling");

    disable(&env, false);
    assert_eq!(app.post(&updates::command(env.uid(), USER, "/start")).await, StatusCode::OK);
    assert!(env.last_text(USER).contains(CUSTOMER_NAME), "welcomed back: {}", env.last_text(USER));
    assert!(menu_text(&env, &app, USER, Label::PaymentHistory).await.contains("ACC-PAY-2026-00001"));
}

#[tokio::test]
async fn a_disabled_customer_cannot_link_and_nothing_is_written() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    disable(&env, true);
    let app = env.start_app().await;
    assert_eq!(app.post(&updates::command(env.uid(), USER, "/start")).await, StatusCode::OK);
    assert_eq!(app.post(&updates::text(env.uid(), USER, PASSPORT)).await, StatusCode::OK);
    assert_eq!(env.last_text(USER), say(Msg::AskContact), "the passport alone tells nothing");
    assert_eq!(app.post(&updates::contact(env.uid(), USER, PHONE_SHARED, Some(USER))).await, StatusCode::OK);
    assert_eq!(env.last_text(USER), refused());
    assert_eq!(linked_id(&env), None, "no link written");
    assert!(env.erp.requests().iter().all(|r| r.method != "PUT"), "no write at all");
}

#[tokio::test]
async fn a_disabled_customer_gets_no_payment_notice() {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    disable(&env, true);
    let sent_before = env.tg.calls_to("sendMessage").len();
    env.erp.insert(
        "Payment Entry",
        json!({
            "name": "ACC-PAY-2026-88888", "docstatus": 1, "payment_type": "Receive", "party_type": "Customer",
            "party": CUSTOMER, "posting_date": fixtures::day(0), "mode_of_payment": "Cash", "paid_amount": 500_000.0,
            "references": [{"reference_doctype": "Sales Order", "reference_name": MARKUP, "allocated_amount": 500_000.0}],
        }),
    );
    let body = json!({"event": "on_submit", "doctype": "Payment Entry", "name": "ACC-PAY-2026-88888", "docstatus": 1,
        "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER});
    assert_eq!(app.post_event(&body).await, StatusCode::OK, "accepted (and then dropped, not retried)");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let queued = env.redis.raw(&["XLEN", &format!("{}:events", env.prefix)]).await;
    assert_eq!(queued, ":0", "processed and removed");
    assert_eq!(env.tg.calls_to("sendMessage").len(), sent_before, "nothing sent");
}
