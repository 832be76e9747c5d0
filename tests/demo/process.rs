//! The demo binary as a child process: started with a clean environment on 127.0.0.1:0,
//! its output collected, its URL read from what it prints.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_erpnext-bot");

/// Nothing listens on port 1: the demo falls back to its in-memory store.
pub const NO_REDIS: &str = "redis://127.0.0.1:1/0";

pub struct Demo {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    output: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

fn collect(stream: impl tokio::io::AsyncRead + Unpin + Send + 'static, into: Arc<Mutex<Vec<String>>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            into.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        }
    });
}

impl Demo {
    /// Starts `erpnext-bot demo` with only `vars` (plus PATH) in its environment.
    pub async fn start(vars: &[(&str, &str)]) -> Demo {
        let mut child = Command::new(BIN)
            .arg("demo")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .envs(vars.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the demo binary starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        collect(child.stdout.take().expect("stdout is piped"), output.clone());
        collect(child.stderr.take().expect("stderr is piped"), output.clone());
        let deadline = Instant::now() + Duration::from_secs(20);
        let base = loop {
            let found = output.lock().unwrap_or_else(|e| e.into_inner()).iter().find_map(|l| {
                let url = l.split("open ").nth(1)?.trim();
                url.strip_suffix("/demo").map(str::to_string)
            });
            if let Some(base) = found {
                break base;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the demo exited with {status}: {:?}", output.lock().unwrap_or_else(|e| e.into_inner()));
            }
            assert!(
                Instant::now() < deadline,
                "the demo printed no URL: {:?}",
                output.lock().unwrap_or_else(|e| e.into_inner())
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        Demo { child, base, output, http: reqwest::Client::new() }
    }

    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.base)).send().await.expect("the demo answers")
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.expect("the demo answers");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Stops the demo with SIGTERM, as Ctrl-C would, and waits for it.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
        }
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("the demo stops within 10 s of SIGTERM")
            .expect("wait for the demo")
    }
}

/// One chat on the demo page, as the page's script uses the API.
pub struct Chat<'a> {
    pub demo: &'a Demo,
    pub id: i64,
    pub lang: &'static str,
    /// Everything the feed returned so far.
    pub events: Vec<Value>,
    next: u64,
}

impl<'a> Chat<'a> {
    pub fn new(demo: &'a Demo, id: i64) -> Chat<'a> {
        Chat { demo, id, lang: "en", events: Vec::new(), next: 0 }
    }

    pub async fn say(&self, text: &str) {
        let (status, body) =
            self.demo.post("/demo/api/send", json!({"chat": self.id, "lang": self.lang, "text": text})).await;
        assert_eq!(status, 200, "{body}");
    }

    pub async fn share_phone(&self, customer: &str) {
        let body = json!({"chat": self.id, "lang": self.lang, "contact": customer});
        let (status, body) = self.demo.post("/demo/api/send", body).await;
        assert_eq!(status, 200, "{body}");
    }

    pub async fn press(&self, data: &str, message_id: i64) {
        let body = json!({"chat": self.id, "lang": self.lang, "callback": {"data": data, "message_id": message_id}});
        let (status, body) = self.demo.post("/demo/api/send", body).await;
        assert_eq!(status, 200, "{body}");
    }

    /// Polls the feed until an event matches `want`; returns it.
    pub async fn wait_for(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = self.events.len();
        loop {
            if let Some(e) = self.events[seen..].iter().find(|e| want(e)) {
                return e.clone();
            }
            seen = self.events.len();
            assert!(Instant::now() < deadline, "no {what} in the feed; events: {:#?}", self.events);
            let page = self
                .demo
                .get(&format!("/demo/api/feed?chat={}&after={}", self.id, self.next))
                .await
                .json::<Value>()
                .await
                .expect("the feed is JSON");
            self.next = page["next"].as_u64().expect("next");
            self.events.extend(page["events"].as_array().cloned().unwrap_or_default());
        }
    }

    /// The next bot message (or document) whose text contains `needle`.
    pub async fn bot_says(&mut self, needle: &str) -> Value {
        self.wait_for(&format!("bot message with {needle:?}"), |e| {
            e["kind"] != "toast"
                && (e["html"].as_str().is_some_and(|t| t.contains(needle))
                    || e["caption_html"].as_str().is_some_and(|t| t.contains(needle))
                    || e["file_name"].as_str().is_some_and(|t| t.contains(needle)))
        })
        .await
    }
}

/// The button texts of a reply or inline keyboard, with their callback data (if any).
pub fn buttons(markup: &Value) -> Vec<(String, Option<String>)> {
    ["keyboard", "inline_keyboard"]
        .iter()
        .filter_map(|k| markup.get(*k)?.as_array())
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(|b| (b["text"].as_str().unwrap_or_default().to_string(), b["callback_data"].as_str().map(str::to_string)))
        .collect()
}
