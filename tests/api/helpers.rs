//! `spawn_app` and friends: one environment (fakes + Redis) per test, apps that can be
//! stopped and started again on it.

use std::{collections::BTreeMap, sync::atomic::AtomicI64, sync::atomic::Ordering};

use erpnext_bot::{
    config::{Config, Purpose},
    events::signature,
    i18n::{self, Lang, Msg},
    startup::Application,
};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::{sync::oneshot, task::JoinHandle};

use crate::common::{
    fake_erp, fake_erp::FakeErp, fake_telegram, fake_telegram::FakeTelegram, redis::TestRedis, updates,
};

pub const WEBHOOK_SECRET: &str = "webhook_secret-123";
/// `ERP_WEBHOOK_SECRET` of the test configuration.
pub const ERP_SECRET: &str = "erp-secret";
pub const SUPPORT: &str = "+998 71 200-00-00";

/// The customer every linking test uses.
pub const CUSTOMER: &str = "CUST-0001";
pub const CUSTOMER_NAME: &str = "Ali Valiyev";
pub const PASSPORT: &str = "AB1234567";
pub const PHONE: &str = "+998 (90) 123-45-67";
/// The same phone as Telegram shares it.
pub const PHONE_SHARED: &str = "998901234567";

/// Fakes and Redis for one test; apps come and go on top.
pub struct TestEnv {
    pub erp: FakeErp,
    pub tg: FakeTelegram,
    pub redis: TestRedis,
    pub prefix: String,
    next_update: AtomicI64,
}

impl TestEnv {
    pub async fn new() -> TestEnv {
        if std::env::var_os("TEST_LOG").is_some() {
            erpnext_bot::telemetry::init(erpnext_bot::config::LogFormat::Text);
        }
        let (erp, tg, redis) = tokio::join!(FakeErp::start(), FakeTelegram::start(), TestRedis::start());
        let (erp, tg) = (erp.expect("start the fake ERPNext"), tg.expect("start the fake Bot API"));
        erp.seed_customer(CUSTOMER, CUSTOMER_NAME, PASSPORT, PHONE);
        TestEnv {
            erp,
            tg,
            redis,
            prefix: format!("test{}", uuid::Uuid::new_v4().simple()),
            next_update: AtomicI64::new(1000),
        }
    }

    pub fn vars(&self) -> BTreeMap<String, String> {
        [
            ("BOT_TOKEN", fake_telegram::TOKEN.to_owned()),
            ("TELEGRAM_API_URL", self.tg.api_url()),
            ("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
            ("ERP_BASE_URL", self.erp.base_url()),
            ("ERP_API_KEY", fake_erp::API_KEY.to_owned()),
            ("ERP_API_SECRET", fake_erp::API_SECRET.to_owned()),
            ("ERP_WEBHOOK_SECRET", ERP_SECRET.to_owned()),
            ("ERP_TIMEOUT_SECS", "2".to_owned()),
            ("ERP_DEADLINE_SECS", "4".to_owned()),
            ("REDIS_URL", self.redis.url()),
            ("REDIS_KEY_PREFIX", self.prefix.clone()),
            ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
            ("SUPPORT_PHONE", SUPPORT.to_owned()),
            // The fixtures are a site with custom fields of its own (`stock_site.rs` has none).
            ("ERP_PHONE_FIELDS", "custom_phone_1,mobile_no".to_owned()),
            ("ERP_CONTRACT_TOTAL_FIELD", "custom_grand_total_with_interest".to_owned()),
            // The daily pass would start whenever a test runs after 10:00 in Tashkent.
            ("REMINDERS_ENABLED", "false".to_owned()),
            // The events reconciler would read ERPNext at every start; `reconcile.rs` turns it on.
            ("EVENT_RECONCILE_SECS", "0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    pub async fn start_app(&self) -> TestApp {
        self.start_app_with(&[]).await
    }

    /// Starts the service with extra or overridden variables.
    pub async fn start_app_with(&self, overrides: &[(&str, &str)]) -> TestApp {
        let mut vars = self.vars();
        for (k, v) in overrides {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        let config = Config::from_sources(&vars, Purpose::Serve).expect("test configuration is valid");
        let app = Application::build(&config).await.expect("application builds");
        let port = app.port();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            app.run_until(async {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            stop: Some(stop),
            handle,
        }
    }

    /// A fresh update id.
    pub fn uid(&self) -> i64 {
        self.next_update.fetch_add(1, Ordering::Relaxed)
    }

    pub fn texts(&self, chat: i64) -> Vec<String> {
        self.tg.sent_texts(chat)
    }

    pub fn last_text(&self, chat: i64) -> String {
        self.texts(chat).pop().unwrap_or_default()
    }

    /// The chat's hash in Redis, as stored.
    pub async fn chat_state(&self, chat: i64) -> String {
        self.redis.raw(&["HGET", &format!("{}:chat:{chat}", self.prefix), "state"]).await
    }
}

/// A running service.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<()>,
}

impl TestApp {
    /// POSTs an update the way Telegram does, with the secret header.
    pub async fn post(&self, update: &Value) -> StatusCode {
        self.post_raw(update.to_string().into_bytes(), Some(WEBHOOK_SECRET)).await
    }

    pub async fn post_raw(&self, body: Vec<u8>, secret: Option<&str>) -> StatusCode {
        send_update(&self.client, &self.address, body, secret).await.expect("webhook answers")
    }

    /// POSTs an ERPNext event to `/erpnext/events` the way Frappe's Webhook does, signed
    /// with `secret` when given; the status and the body of the answer.
    pub async fn post_event_as(&self, body: &Value, secret: Option<&str>) -> (StatusCode, String) {
        let raw = body.to_string();
        let mut req = self
            .client
            .post(format!("{}/erpnext/events", self.address))
            .header("content-type", "application/json")
            .body(raw.clone());
        if let Some(secret) = secret {
            req = req.header("X-Frappe-Webhook-Signature", signature::sign(raw.as_bytes(), secret));
        }
        let resp = req.send().await.expect("answers");
        let status = resp.status();
        (status, resp.text().await.unwrap_or_default())
    }

    /// POSTs an ERPNext event signed with the test configuration's secret; the status.
    pub async fn post_event(&self, body: &Value) -> StatusCode {
        self.post_event_as(body, Some(ERP_SECRET)).await.0
    }

    pub async fn get(&self, path: &str) -> StatusCode {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("answers").status()
    }

    /// Abrupt stop, as a `kill -9` would: the service and everything it runs (event worker,
    /// heartbeat, scheduler) are dropped where they are; nothing finishes, nothing is released.
    pub async fn kill(mut self) {
        self.handle.abort();
        let _ = (&mut self.handle).await;
        // Only now may the stop signal go (dropping it would start a graceful stop).
        drop(self.stop.take());
    }

    /// Graceful stop: in-flight requests finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.handle).await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// POSTs a body to `{base}/telegram/webhook` the way Telegram does (with the secret when given).
pub async fn send_update(
    client: &reqwest::Client,
    base: &str,
    body: Vec<u8>,
    secret: Option<&str>,
) -> reqwest::Result<StatusCode> {
    let mut req = client.post(format!("{base}/telegram/webhook")).header("content-type", "application/json").body(body);
    if let Some(secret) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    Ok(req.send().await?.status())
}

/// The text the bot sends for a message in a language (the fixtures' users speak Russian).
pub fn say(msg: Msg) -> String {
    i18n::render(Lang::Ru, &msg)
}

pub fn say_in(lang: Lang, msg: Msg) -> String {
    i18n::render(lang, &msg)
}

/// Links `user` to the seeded customer through the full F1 flow; asserts every step.
pub async fn link(env: &TestEnv, app: &TestApp, user: i64) {
    assert_eq!(app.post(&updates::command(env.uid(), user, "/start")).await, StatusCode::OK);
    assert_eq!(app.post(&updates::text(env.uid(), user, PASSPORT)).await, StatusCode::OK);
    assert_eq!(env.last_text(user), say(Msg::AskContact));
    assert_eq!(app.post(&updates::contact(env.uid(), user, PHONE_SHARED, Some(user))).await, StatusCode::OK);
    assert!(env.last_text(user).contains(CUSTOMER_NAME), "linked reply: {:?}", env.texts(user));
    assert_eq!(linked_id(env), Some(user.to_string()));
}

/// The Telegram id in the seeded customer's link field.
pub fn linked_id(env: &TestEnv) -> Option<String> {
    env.erp.get("Customer", CUSTOMER).and_then(|c| c.get("custom_telegram_id").cloned()).and_then(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Presses an inline button as `user` and returns the text the bot edited the message to.
pub async fn press_button(env: &TestEnv, app: &TestApp, user: i64, cb: &erpnext_bot::conversation::Callback) -> String {
    let before = env.tg.calls_to("editMessageText").len();
    assert_eq!(app.post(&updates::callback(env.uid(), user, &cb.encode(), 77)).await, StatusCode::OK);
    let edits = env.tg.calls_to("editMessageText");
    assert_eq!(edits.len(), before + 1, "{cb:?} edited the message: {:?}", env.tg.calls());
    edits.last().and_then(|c| c.params["text"].as_str()).unwrap_or_default().to_owned()
}

/// Presses a reply-keyboard button (in Russian, the fixtures' language) as `user`; the last text.
pub async fn menu_text(env: &TestEnv, app: &TestApp, user: i64, label: i18n::Label) -> String {
    app.post(&updates::text(env.uid(), user, i18n::label(Lang::Ru, label))).await;
    env.last_text(user)
}
