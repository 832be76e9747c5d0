//! The set-up commands, run as the real binary against the fakes: `erp setup` (custom fields
//! and ERPNext Webhooks, idempotently) and `webhook set|delete|info` (the Telegram webhook).

use serde_json::{Value, json};

use crate::common::{fake_erp::RecordedRequest, fake_telegram};
use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_erpnext-bot");
const PUBLIC_URL: &str = "https://bot.example.com";
pub(crate) const EVENTS_URL: &str = "https://bot.example.com/erpnext/events";

pub(crate) struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Runs `erpnext-bot <args>` with the environment's variables, `PUBLIC_URL` and `overrides`
/// (an empty value unsets a variable).
pub(crate) async fn run(env: &TestEnv, args: &[&str], overrides: &[(&str, &str)]) -> Run {
    let mut vars = env.vars();
    vars.insert("PUBLIC_URL".into(), PUBLIC_URL.into());
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let output =
        tokio::process::Command::new(BIN).args(args).env_clear().envs(vars).output().await.expect("binary runs");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    for secret in [fake_telegram::TOKEN, WEBHOOK_SECRET, "erp-secret"] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "{secret} printed:\n{}", run.stdout);
    }
    run
}

pub(crate) fn writes(env: &TestEnv) -> Vec<String> {
    let reads = |r: &RecordedRequest| r.method == "GET" || r.path.ends_with("frappe.client.get_list");
    env.erp.requests().into_iter().filter(|r| !reads(r)).map(|r| format!("{} {}", r.method, r.path)).collect()
}

pub(crate) fn webhook(env: &TestEnv, doctype: &str, event: &str) -> Value {
    env.erp
        .all("Webhook")
        .into_iter()
        .find(|w| w["webhook_doctype"] == doctype && w["webhook_docevent"] == event)
        .unwrap_or_else(|| panic!("no webhook for {doctype} {event}"))
}

const CREATED: [&str; 6] = [
    "created  custom field Customer.custom_passport_series",
    "created  custom field Customer.custom_telegram_id",
    "created  webhook Payment Entry on_submit",
    "created  webhook Payment Entry on_cancel",
    "created  webhook Sales Order on_submit",
    "created  webhook Sales Order on_cancel",
];

pub(crate) const FOUND: [&str; 7] = [
    "found    custom field Customer.custom_passport_series",
    "found    custom field Customer.custom_telegram_id",
    "found    webhook Payment Entry on_submit",
    "found    webhook Payment Entry on_cancel",
    "found    webhook Sales Order on_submit",
    "found    webhook Sales Order on_cancel",
    "nothing to change",
];

#[tokio::test]
async fn erp_setup_creates_fields_and_webhooks_once_then_changes_nothing() {
    let env = TestEnv::new().await;
    let first = run(&env, &["erp", "setup"], &[]).await;
    assert_eq!(first.code, Some(0), "{}{}", first.stdout, first.stderr);
    assert_eq!(first.lines(), CREATED);

    let fields = env.erp.all("Custom Field");
    assert_eq!(fields.len(), 2);
    for (field, read_only) in [("custom_passport_series", None), ("custom_telegram_id", Some(1))] {
        let f = fields.iter().find(|f| f["fieldname"] == field).expect("field created");
        assert_eq!(
            (&f["dt"], &f["fieldtype"], &f["unique"], &f["no_copy"]),
            (&json!("Customer"), &json!("Data"), &json!(1), &json!(1))
        );
        assert_eq!(f["insert_after"], "customer_name");
        assert_eq!(f["read_only"].as_i64(), read_only, "{field}");
    }

    assert_eq!(env.erp.all("Webhook").len(), 4);
    let contract = &["customer", "transaction_date", "grand_total", "rounded_total"][..];
    for (doctype, event, fields) in [
        (
            "Payment Entry",
            "on_submit",
            &[
                "payment_type",
                "party_type",
                "party",
                "paid_amount",
                "posting_date",
                "mode_of_payment",
                "references",
                "reference_doctype",
                "reference_name",
                "allocated_amount",
            ][..],
        ),
        ("Payment Entry", "on_cancel", &["payment_type", "party", "paid_amount", "references"][..]),
        ("Sales Order", "on_submit", contract),
        ("Sales Order", "on_cancel", contract),
    ] {
        let w = webhook(&env, doctype, event);
        assert_eq!(w["name"], format!("erpnext-bot {doctype} {event}"));
        assert_eq!(w["request_url"], EVENTS_URL);
        assert_eq!((&w["request_method"], &w["request_structure"]), (&json!("POST"), &json!("JSON")));
        assert_eq!((&w["enabled"], &w["enable_security"], &w["timeout"]), (&json!(1), &json!(1), &json!(5)));
        assert_eq!(w["webhook_secret"], "erp-secret", "the first ERP_WEBHOOK_SECRET signs");
        let condition = if doctype == "Payment Entry" { "doc.party_type == \"Customer\"" } else { "" };
        assert_eq!(w["condition"], condition, "{doctype} {event}");
        let template = w["webhook_json"].as_str().expect("a template");
        assert!(template.contains(&format!("\"event\": \"{event}\"")), "{template}");
        for f in ["doctype", "name", "docstatus", "modified"].iter().chain(fields) {
            assert!(template.contains(&format!("\"{f}\": ")), "{f} missing from {template}");
        }
    }

    env.erp.clear_requests();
    let second = run(&env, &["erp", "setup"], &[]).await;
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(second.lines(), FOUND);
    assert_eq!(writes(&env), Vec::<String>::new(), "the second run writes nothing");
}

#[tokio::test]
async fn erp_setup_dry_run_says_what_it_would_do_and_writes_nothing() {
    let env = TestEnv::new().await;
    let dry = run(&env, &["erp", "setup", "--dry-run"], &[]).await;
    assert_eq!(dry.code, Some(0), "{}", dry.stderr);
    let expected: Vec<String> = CREATED.iter().map(|l| l.replacen("created ", "would create", 1)).collect();
    assert_eq!(dry.lines()[..6], expected);
    assert_eq!(dry.lines()[6], "dry run: nothing was written");
    assert_eq!(writes(&env), Vec::<String>::new());
    assert!(env.erp.all("Custom Field").is_empty() && env.erp.all("Webhook").is_empty());
}

#[tokio::test]
async fn erp_setup_updates_a_webhook_whose_template_changed() {
    let env = TestEnv::new().await;
    assert_eq!(run(&env, &["erp", "setup"], &[]).await.code, Some(0));
    let name = "erpnext-bot Payment Entry on_cancel";
    let wanted = webhook(&env, "Payment Entry", "on_cancel")["webhook_json"].clone();
    env.erp.set_field("Webhook", name, "webhook_json", json!("{\"name\": {{ doc.name | tojson }}}"));
    env.erp.set_field("Webhook", name, "webhook_secret", json!("*****"));

    let dry = run(&env, &["erp", "setup", "--dry-run"], &[]).await;
    assert!(dry.lines().contains(&"would update webhook Payment Entry on_cancel"), "{}", dry.stdout);

    env.erp.clear_requests();
    let run2 = run(&env, &["erp", "setup"], &[]).await;
    assert_eq!(run2.code, Some(0), "{}", run2.stderr);
    assert!(run2.lines().contains(&"updated  webhook Payment Entry on_cancel"), "{}", run2.stdout);
    assert_eq!(run2.lines().iter().filter(|l| l.starts_with("found")).count(), 5, "{}", run2.stdout);
    assert_eq!(writes(&env), [format!("PUT /api/resource/Webhook/{name}")]);
    let put = env.erp.requests().into_iter().find(|r| r.method == "PUT").and_then(|r| r.body).expect("a body");
    assert_eq!(put["webhook_json"], wanted);
    assert_eq!(put["webhook_secret"], "erp-secret", "the masked secret is sent again");
    assert!(put.get("webhook_doctype").is_none(), "only changed keys: {put}");
    assert_eq!(webhook(&env, "Payment Entry", "on_cancel")["webhook_json"], wanted);
}

#[tokio::test]
async fn erp_setup_moves_its_webhooks_when_the_public_url_changes() {
    let env = TestEnv::new().await;
    assert_eq!(run(&env, &["erp", "setup"], &[]).await.code, Some(0));
    let moved = run(&env, &["erp", "setup"], &[("PUBLIC_URL", "https://new.example.com/bot")]).await;
    assert_eq!(moved.code, Some(0), "{}", moved.stderr);
    assert_eq!(moved.lines().iter().filter(|l| l.starts_with("updated  webhook")).count(), 4, "{}", moved.stdout);
    assert_eq!(env.erp.all("Webhook").len(), 4, "updated in place, not duplicated");
    assert_eq!(webhook(&env, "Sales Order", "on_submit")["request_url"], "https://new.example.com/bot/erpnext/events");
}

#[tokio::test]
async fn a_missing_permission_is_one_clear_line() {
    let env = TestEnv::new().await;
    env.erp.deny("Custom Field");
    let denied = run(&env, &["erp", "setup"], &[]).await;
    assert_eq!(denied.code, Some(1));
    assert_eq!(
        denied.stderr.trim_end(),
        "erp setup: the API user may not read Custom Field (403): ask for the System Manager role"
    );
    assert_eq!(writes(&env), Vec::<String>::new());

    env.erp.allow("Custom Field");
    env.erp.deny("Webhook");
    let denied = run(&env, &["erp", "setup"], &[]).await;
    assert_eq!(denied.code, Some(1));
    assert_eq!(denied.lines(), CREATED[..2], "what was done before the failure is reported");
    assert_eq!(denied.stderr.lines().count(), 1, "{}", denied.stderr);
    assert!(denied.stderr.contains("may not read Webhook (403)"), "{}", denied.stderr);
}

#[tokio::test]
async fn erp_setup_needs_the_public_url_and_a_webhook_secret() {
    let env = TestEnv::new().await;
    for (unset, var) in [("PUBLIC_URL", "PUBLIC_URL"), ("ERP_WEBHOOK_SECRET", "ERP_WEBHOOK_SECRET")] {
        let out = run(&env, &["erp", "setup"], &[(unset, "")]).await;
        assert_eq!(out.code, Some(2), "{unset}");
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.starts_with("erp setup: set ") && out.stderr.contains(var), "{}", out.stderr);
    }
    assert!(env.erp.requests().is_empty(), "nothing asked of ERPNext");
}

#[tokio::test]
async fn a_site_field_without_the_custom_prefix_is_checked_not_created() {
    let env = TestEnv::new().await;
    let out = run(&env, &["erp", "setup"], &[("ERP_PASSPORT_FIELD", "passport_no")]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.lines()[0], "found    field Customer.passport_no (the site's own field, not created)");
    let fields = env.erp.all("Custom Field");
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0]["fieldname"], "custom_telegram_id");
}

#[tokio::test]
async fn webhook_set_registers_the_url_secret_and_update_kinds_keeping_pending_updates() {
    let env = TestEnv::new().await;
    let out = run(&env, &["webhook", "set"], &[("TELEGRAM_MAX_CONNECTIONS", "25")]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.lines(), ["webhook set: https://bot.example.com/telegram/webhook"]);
    let calls = env.tg.calls_to("setWebhook");
    assert_eq!(calls.len(), 1);
    let p = &calls[0].params;
    assert_eq!(p["url"], "https://bot.example.com/telegram/webhook");
    assert_eq!(p["secret_token"], WEBHOOK_SECRET);
    assert_eq!(p["allowed_updates"], json!(["message", "callback_query", "my_chat_member"]));
    assert_eq!(p["max_connections"], 25);
    assert!(p.get("drop_pending_updates").is_none(), "{p}");

    let deleted = run(&env, &["webhook", "delete"], &[]).await;
    assert_eq!(deleted.code, Some(0), "{}", deleted.stderr);
    assert_eq!(deleted.lines(), ["webhook deleted (pending updates are kept)"]);
    let calls = env.tg.calls_to("deleteWebhook");
    assert!(calls.len() == 1 && calls[0].params.get("drop_pending_updates").is_none(), "{calls:?}");
}

#[tokio::test]
async fn webhook_set_refuses_urls_telegram_will_not_call() {
    let env = TestEnv::new().await;
    let cases = [
        ("https://bot.example.com:8080", "port 8080"),
        ("http://bot.example.com", "must be https"),
        ("", "set PUBLIC_URL"),
    ];
    for (url, says) in cases {
        let out = run(&env, &["webhook", "set"], &[("PUBLIC_URL", url)]).await;
        assert_eq!(out.code, Some(2), "{url}");
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.starts_with("webhook set: ") && out.stderr.contains(says), "{}", out.stderr);
    }
    let out = run(&env, &["webhook", "set"], &[("PUBLIC_URL", "https://bot.example.com:8443")]).await;
    assert_eq!(out.lines(), ["webhook set: https://bot.example.com:8443/telegram/webhook"], "{}", out.stderr);
    let no_secret = run(&env, &["webhook", "set"], &[("TELEGRAM_WEBHOOK_SECRET", "")]).await;
    assert_eq!(no_secret.code, Some(2));
    assert!(no_secret.stderr.contains("TELEGRAM_WEBHOOK_SECRET"), "{}", no_secret.stderr);
    assert_eq!(env.tg.calls_to("setWebhook").len(), 1, "only the valid URL reached Telegram");
}

#[tokio::test]
async fn webhook_info_reads_what_teloxide_cannot() {
    let env = TestEnv::new().await;
    assert_eq!(run(&env, &["webhook", "set"], &[]).await.code, Some(0));
    env.tg.set_webhook_info_extra(json!({
        "ip_address": "<unknown>",
        "pending_update_count": 12,
        "allowed_updates": ["message", "callback_query", "my_chat_member", "some_future_kind"],
        "last_error_date": 1_700_000_000,
        "last_error_message": "Wrong response from the webhook: 502 Bad Gateway",
        "a_field_from_the_future": {"x": [1]},
    }));
    let out = run(&env, &["webhook", "info"], &[]).await;
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        out.lines(),
        [
            "url: https://bot.example.com/telegram/webhook",
            "pending_update_count: 12",
            "max_connections: 40",
            "allowed_updates: message, callback_query, my_chat_member, some_future_kind",
            "ip_address: <unknown>",
            "last error: 2023-11-14 22:13:20 UTC: Wrong response from the webhook: 502 Bad Gateway",
        ]
    );

    env.tg.set_webhook_info_extra(json!({}));
    assert_eq!(run(&env, &["webhook", "delete"], &[]).await.code, Some(0));
    let out = run(&env, &["webhook", "info"], &[]).await;
    assert_eq!(out.lines().first().copied(), Some("url: none (no webhook set)"));
    assert_eq!(out.lines().last().copied(), Some("last error: none"));
}

#[tokio::test]
async fn telegram_failures_are_one_line_without_the_token() {
    let env = TestEnv::new().await;
    let out = run(&env, &["webhook", "info"], &[("BOT_TOKEN", "999:wrong")]).await;
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.starts_with("webhook info: ") && out.stderr.contains("Unauthorized"), "{}", out.stderr);
    assert!(!out.stderr.contains("999:wrong"));
    let unreachable = run(&env, &["webhook", "set"], &[("TELEGRAM_API_URL", "http://127.0.0.1:1")]).await;
    assert_eq!(unreachable.code, Some(1));
    assert!(
        unreachable.stderr.starts_with("webhook set: ") && !unreachable.stderr.contains("bot123456"),
        "{}",
        unreachable.stderr
    );
}
