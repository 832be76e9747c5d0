//! The operator surface: `check`, start-up validation, and logs free of personal numbers.

use std::process::Stdio;
use std::time::Duration;

use erpnext_bot::config::{Config, Purpose};
use tokio::io::AsyncReadExt;

use crate::common::updates;
use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_erpnext-bot");
const USER: i64 = 5_500_001;

async fn check_lines(env: &TestEnv, overrides: &[(&str, &str)]) -> Vec<(bool, String)> {
    let mut vars = env.vars();
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    let config = Config::from_sources(&vars, Purpose::Tooling).expect("valid");
    erpnext_bot::check::run(&config).await.expect("check runs").into_iter().map(|l| (l.ok, l.text)).collect()
}

#[tokio::test]
async fn check_reports_each_dependency_on_one_line() {
    let env = TestEnv::new().await;
    let lines = check_lines(&env, &[]).await;
    assert!(lines.iter().all(|(ok, _)| *ok), "{lines:?}");
    let (last, middle) = (lines.len() - 1, &lines[2..lines.len() - 1]);
    assert!(
        lines[0].1.starts_with("redis:")
            && lines[1].1.starts_with("erpnext:")
            && lines[last].1.starts_with("telegram:")
    );
    assert!(lines[last].1.contains("@test_bot"), "{lines:?}");
    // One line per optional column: the fixture's two phone fields, the customer's standard
    // `disabled`, the custom total, the mark-up, down payment, IMEI and notes fields.
    assert_eq!(middle.len(), 8, "{lines:?}");
    assert!(middle.iter().all(|(_, t)| t.starts_with("erpnext: optional ") && t.ends_with(": present")), "{lines:?}");
}

#[tokio::test]
async fn check_names_what_is_wrong() {
    let env = TestEnv::new().await;
    let lines = check_lines(&env, &[("ERP_API_SECRET", "wrong"), ("BOT_TOKEN", "999:nope")]).await;
    assert!(!lines[1].0 && lines[1].1.contains("401"), "{lines:?}");
    assert!(!lines[2].0, "{lines:?}");
    env.erp.deny("Customer");
    let lines = check_lines(&env, &[]).await;
    assert!(!lines[1].0 && lines[1].1.contains("may not read Customer"), "{lines:?}");
    env.erp.allow("Customer");
    let lines = check_lines(&env, &[("REDIS_URL", "redis://127.0.0.1:1/0")]).await;
    assert!(!lines[0].0 && lines[1].0, "{lines:?}");
}

#[tokio::test]
async fn the_binary_refuses_to_start_with_one_line_per_problem_and_no_secrets() {
    let output = tokio::process::Command::new(BIN)
        .arg("serve")
        .env_clear()
        .env("BOT_TOKEN", "123:very-secret-token")
        .env("ERP_BASE_URL", "ftp://nowhere")
        .env("LOG_FORMAT", "yaml")
        .output()
        .await
        .expect("binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for var in
        ["TELEGRAM_WEBHOOK_SECRET", "ERP_BASE_URL", "ERP_API_KEY", "ERP_API_SECRET", "ERP_WEBHOOK_SECRET", "LOG_FORMAT"]
    {
        assert_eq!(stderr.lines().filter(|l| l.starts_with(var)).count(), 1, "{var} in:\n{stderr}");
    }
    assert!(!stderr.contains("very-secret-token"));
    let unknown = tokio::process::Command::new(BIN).arg("frobnicate").output().await.expect("runs");
    assert_eq!(unknown.status.code(), Some(2));
}

/// Runs the real binary with JSON debug logs through a whole linking flow and greps its output.
#[tokio::test]
async fn logs_never_carry_a_full_passport_or_phone_number() {
    let env = TestEnv::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let mut child = tokio::process::Command::new(BIN)
        .env_clear()
        .envs(env.vars())
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if client.get(format!("{url}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let post = |update: serde_json::Value| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let status = send_update(&client, &url, update.to_string().into_bytes(), Some(WEBHOOK_SECRET))
                .await
                .expect("answers");
            assert!(status.is_success(), "{status}");
        }
    };
    post(updates::command(env.uid(), USER, "/start")).await;
    post(updates::text(env.uid(), USER, "ZZ7654321")).await;
    post(updates::text(env.uid(), USER, PASSPORT)).await;
    post(updates::contact(env.uid(), USER, "+998 91 765 43 21", Some(USER))).await;
    post(updates::contact(env.uid(), USER, PHONE_SHARED, Some(USER))).await;
    post(updates::text(env.uid(), USER, "👤 Профиль")).await;
    assert_eq!(linked_id(&env), Some(USER.to_string()));
    let pid = child.id().expect("running") as i32;
    // SIGTERM: a graceful stop flushes the logs.
    let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await.expect("stops").expect("exit");
    assert!(status.success(), "clean exit on SIGTERM: {status}");
    let mut logs = String::new();
    child.stdout.take().expect("stdout").read_to_string(&mut logs).await.expect("read");
    child.stderr.take().expect("stderr").read_to_string(&mut logs).await.expect("read");
    assert!(logs.lines().count() > 10, "debug logs were written:\n{logs}");
    assert!(logs.lines().all(|l| l.trim().is_empty() || l.starts_with('{')), "one JSON object per line:\n{logs}");
    for secret in [PASSPORT, "ZZ7654321", "901234567", "917654321", fake_token()] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs:\n{logs}");
    }
}

fn fake_token() -> &'static str {
    crate::common::fake_telegram::TOKEN
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_text_format() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER + 7).await;
    let resp = app.client.get(format!("{}/metrics", app.address)).send().await.expect("answers");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/plain"));
    let text = resp.text().await.unwrap_or_default();
    for want in [
        r#"erpbot_updates_total{kind="message",outcome="ok"}"#,
        "erpbot_webhook_duration_seconds_bucket",
        r#"erpbot_erpnext_requests_total{doctype="Customer",status="200"}"#,
        "erpbot_erpnext_request_duration_seconds_bucket",
        r#"erpbot_telegram_calls_total{method="sendMessage",result="ok"}"#,
        r#"erpbot_logins_total{result="linked"}"#,
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    assert!(!text.contains(PASSPORT) && !text.contains("901234567"), "no identifiers in labels");
}
