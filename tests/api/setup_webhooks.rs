//! `erp setup` brings the Webhooks of an older `erp setup` up to date: the Condition that keeps
//! supplier payments in ERPNext, and the Sales Order `on_cancel` Webhook.

use erpnext_bot::events::kinds::{EventDoc, PAYMENT_CONDITION};
use erpnext_bot::setup::templates::webhook_template;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::setup::{EVENTS_URL, FOUND, run, webhook, writes};

/// A Webhook as the previous `erp setup` left it: today's body, no Condition, the secret
/// masked as Frappe answers it.
fn older_webhook(doc: EventDoc, doctype: &str, event: &str) -> Value {
    json!({
        "name": format!("erpnext-bot {doctype} {event}"), "webhook_doctype": doctype, "webhook_docevent": event,
        "request_url": EVENTS_URL, "request_method": "POST", "request_structure": "JSON", "enabled": 1,
        "enable_security": 1, "webhook_secret": "*****", "timeout": 5, "condition": null,
        "webhook_json": webhook_template(doc, event),
    })
}

#[tokio::test]
async fn an_older_setup_gets_the_customer_condition_and_the_cancelled_contract_webhook() {
    let env = TestEnv::new().await;
    for (doc, doctype, event) in [
        (EventDoc::Payment, "Payment Entry", "on_submit"),
        (EventDoc::Payment, "Payment Entry", "on_cancel"),
        (EventDoc::Contract, "Sales Order", "on_submit"),
    ] {
        env.erp.insert("Webhook", older_webhook(doc, doctype, event));
    }
    let dry = run(&env, &["erp", "setup", "--dry-run"], &[]).await;
    assert!(dry.lines().contains(&"would update webhook Payment Entry on_submit"), "{}", dry.stdout);
    let upgrade = run(&env, &["erp", "setup"], &[]).await;
    assert_eq!(upgrade.code, Some(0), "{}", upgrade.stderr);
    assert_eq!(
        upgrade.lines()[2..],
        [
            "updated  webhook Payment Entry on_submit",
            "updated  webhook Payment Entry on_cancel",
            "found    webhook Sales Order on_submit",
            "created  webhook Sales Order on_cancel",
        ]
    );
    let webhook_writes: Vec<String> = writes(&env).into_iter().filter(|w| w.contains("Webhook")).collect();
    assert_eq!(
        webhook_writes,
        [
            "PUT /api/resource/Webhook/erpnext-bot Payment Entry on_submit",
            "PUT /api/resource/Webhook/erpnext-bot Payment Entry on_cancel",
            "POST /api/resource/Webhook",
        ]
    );
    let put = env.erp.requests().into_iter().find(|r| r.method == "PUT").and_then(|r| r.body).expect("a body");
    assert_eq!(put, json!({"condition": PAYMENT_CONDITION, "webhook_secret": "erp-secret"}), "only what differs");
    for event in ["on_submit", "on_cancel"] {
        assert_eq!(webhook(&env, "Payment Entry", event)["condition"], PAYMENT_CONDITION, "the sandbox keeps it");
    }
    assert_eq!(
        webhook(&env, "Sales Order", "on_cancel")["webhook_json"],
        webhook_template(EventDoc::Contract, "on_cancel")
    );

    env.erp.clear_requests();
    let again = run(&env, &["erp", "setup"], &[]).await;
    assert_eq!(again.lines(), FOUND, "a second run changes nothing and says so");
    assert_eq!(writes(&env), Vec::<String>::new());
}

#[tokio::test]
async fn a_webhook_with_another_condition_is_given_ours() {
    let env = TestEnv::new().await;
    assert_eq!(run(&env, &["erp", "setup"], &[]).await.code, Some(0));
    let name = "erpnext-bot Payment Entry on_submit";
    env.erp.set_field("Webhook", name, "condition", json!("doc.paid_amount > 0"));
    env.erp.clear_requests();
    let fixed = run(&env, &["erp", "setup"], &[]).await;
    assert!(fixed.lines().contains(&"updated  webhook Payment Entry on_submit"), "{}", fixed.stdout);
    assert_eq!(writes(&env), [format!("PUT /api/resource/Webhook/{name}")]);
    assert_eq!(webhook(&env, "Payment Entry", "on_submit")["condition"], PAYMENT_CONDITION);
}
