//! A fake Telegram Bot API served over real HTTP (axum on 127.0.0.1:0) for tests and the demo.
//!
//! Clients call `{api_url}/bot{TOKEN}/{Method}`; method names match case-insensitively
//! (teloxide-core sends `SendMessage`) and are recorded in the official camelCase. Answers
//! are `{"ok":true,"result":...}` shaped so teloxide-core 0.13 deserialises them; errors are
//! `{"ok":false,"error_code":N,"description":...}` with the real status code. Message text,
//! HTML entities, inline keyboards, commands and webhook URLs are checked like Telegram does
//! (see `fake_telegram/body.rs`). Faults: per-method 429/400/403 injection and blocked chats.

mod body;
mod methods;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "123456:TEST-token_abc";
pub const BOT_ID: i64 = 123456;
pub const BOT_USERNAME: &str = "test_bot";

/// Methods the fake knows, in the official spelling.
const METHODS: &[&str] = &[
    "getMe",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "deleteMessage",
    "sendDocument",
    "sendChatAction",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setChatMenuButton",
    "setMyDescription",
    "setMyShortDescription",
];

/// Methods addressed to a chat, refused with 403 when that chat blocked the bot.
const CHAT_METHODS: &[&str] =
    &["sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage", "sendDocument", "sendChatAction"];

/// One recorded API call (failed ones too, with `ok == false`).
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub params: Value,
    pub ok: bool,
    /// The `result` answered (`Null` for failed calls).
    pub result: Value,
    /// When the fake received it.
    pub at: std::time::SystemTime,
}

#[derive(Debug, Clone)]
pub enum TgFault {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
    TooManyRequests { retry_after: u32 },
    /// 400 with this description (e.g. "Bad Request: query is too old and response timeout
    /// expired or query ID is invalid").
    BadRequest(String),
    /// 403 with this description (e.g. "Forbidden: bot can't initiate conversation with a user").
    Forbidden(String),
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    faults: HashMap<String, VecDeque<TgFault>>,
    blocked: HashSet<i64>,
    next_message_id: HashMap<i64, i64>,
    /// (chat, message id) -> (text, inline markup) of messages sent through the fake.
    messages: HashMap<(i64, i64), (String, Value)>,
    webhook: Map<String, Value>,
    webhook_extra: Map<String, Value>,
    commands: Value,
    /// The bot's own user (`getMe`, `from` of its messages); `None`: [`bot_user`].
    me: Option<Value>,
    /// Files sent with `sendDocument`, by `file_id`: (file name, bytes).
    files: HashMap<String, (String, Bytes)>,
}

/// Told about every recorded call, after the fake has answered it (the demo's chat feed).
pub type Observer = Arc<dyn Fn(&Call) + Send + Sync>;

struct Inner {
    state: Mutex<State>,
    observer: Mutex<Option<Observer>>,
    addr: SocketAddr,
}

/// Handle to a running fake Bot API; clones share the server and its records.
#[derive(Clone)]
pub struct FakeTelegram {
    inner: Arc<Inner>,
}

/// An error answer: the HTTP status and the `{"ok":false,...}` body.
type TgError = (StatusCode, Value);

fn tg_error(code: u16, description: &str, parameters: Option<Value>) -> TgError {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST), body)
}

fn reply(e: TgError) -> Response {
    (e.0, axum::Json(e.1)).into_response()
}

pub fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Test Bot", "username": BOT_USERNAME})
}

fn chat(id: i64) -> Value {
    if id < 0 {
        json!({"id": id, "type": "group", "title": "Test Group"})
    } else {
        json!({"id": id, "type": "private", "first_name": "Test"})
    }
}

/// The chat id of a call, when it is numeric.
pub fn chat_of(params: &Value) -> Option<i64> {
    match params.get("chat_id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl FakeTelegram {
    /// Binds 127.0.0.1:0 and serves in the background.
    pub async fn start() -> std::io::Result<FakeTelegram> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr` and serves in the background.
    pub async fn bind(addr: SocketAddr) -> std::io::Result<FakeTelegram> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let tg = FakeTelegram {
            inner: Arc::new(Inner { state: Mutex::new(State::default()), observer: Mutex::default(), addr }),
        };
        let app = axum::Router::new().fallback(handle).with_state(tg.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(tg)
    }

    /// Base URL for `Bot::set_api_url`; methods live at `{api_url}/bot{token}/{Method}`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    fn st(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn calls(&self) -> Vec<Call> {
        self.st().calls.clone()
    }

    /// Calls of one method (any spelling), in order.
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.st().calls.iter().filter(|c| c.method.eq_ignore_ascii_case(method)).cloned().collect()
    }

    /// Texts of successful `sendMessage` and `editMessageText` calls to a chat, in order.
    pub fn sent_texts(&self, chat_id: i64) -> Vec<String> {
        self.st()
            .calls
            .iter()
            .filter(|c| c.ok && (c.method == "sendMessage" || c.method == "editMessageText"))
            .filter(|c| chat_of(&c.params) == Some(chat_id))
            .filter_map(|c| c.params.get("text").and_then(Value::as_str).map(str::to_string))
            .collect()
    }

    /// Forgets recorded calls and pending faults (blocked chats stay blocked).
    pub fn clear(&self) {
        let mut st = self.st();
        st.calls.clear();
        st.faults.clear();
    }

    /// Waits until at least `count` calls of `method` (failed ones included) are recorded;
    /// panics on timeout, listing every recorded call.
    pub async fn wait_for(&self, method: &str, count: usize, timeout: Duration) -> Vec<Call> {
        let deadline = Instant::now() + timeout;
        loop {
            let calls = self.calls_to(method);
            if calls.len() >= count {
                return calls;
            }
            if Instant::now() >= deadline {
                let all: Vec<String> =
                    self.calls().iter().map(|c| format!("  {} ok={} {}", c.method, c.ok, c.params)).collect();
                panic!(
                    "fake Telegram: waited {timeout:?} for {count} `{method}` call(s), got {}; all calls:\n{}",
                    calls.len(),
                    all.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The next `n` calls of `method` fail with `fault`.
    pub fn fail_next(&self, method: &str, n: usize, fault: TgFault) {
        let key = method.to_ascii_lowercase();
        self.st().faults.entry(key).or_default().extend(std::iter::repeat_n(fault, n));
    }

    /// Every send/edit to this chat answers 403 "Forbidden: bot was blocked by the user".
    pub fn block_chat(&self, chat_id: i64) {
        self.st().blocked.insert(chat_id);
    }

    pub fn unblock_chat(&self, chat_id: i64) {
        self.st().blocked.remove(&chat_id);
    }

    /// Names the bot (the demo's shop instead of the tests' "Test Bot", `@test_bot`).
    pub fn set_identity(&self, first_name: &str, username: &str) {
        let mut me = bot_user();
        me["first_name"] = json!(first_name);
        me["username"] = json!(username);
        self.st().me = Some(me);
    }

    /// The bot's own user, as `getMe` answers it.
    pub fn me(&self) -> Value {
        self.st().me.clone().unwrap_or_else(bot_user)
    }

    /// Calls `observer` with every call recorded from now on.
    pub fn observe(&self, observer: Observer) {
        *self.inner.observer.lock().unwrap_or_else(|e| e.into_inner()) = Some(observer);
    }

    /// Takes the next message id of a chat, as Telegram numbers the messages users send too.
    pub fn next_message_id(&self, chat_id: i64) -> i64 {
        let mut st = self.st();
        let counter = st.next_message_id.entry(chat_id).or_insert(0);
        *counter += 1;
        *counter
    }

    /// A file sent with `sendDocument`: its name and bytes.
    pub fn file(&self, file_id: &str) -> Option<(String, Bytes)> {
        self.st().files.get(file_id).cloned()
    }

    /// Merged into every `getWebhookInfo` result, e.g. `{"ip_address": "<unknown>"}` or
    /// `{"last_error_date": 1700000000, "last_error_message": "Connection refused"}`.
    pub fn set_webhook_info_extra(&self, extra: Value) {
        if let Value::Object(m) = extra {
            self.st().webhook_extra = m;
        }
    }
}

async fn handle(AxState(tg): AxState<FakeTelegram>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy().into_owned();
    let Some((token, method)) = path.strip_prefix("/bot").and_then(|p| p.split_once('/')) else {
        return reply(tg_error(404, "Not Found", None));
    };
    if token != TOKEN {
        return reply(tg_error(401, "Unauthorized", None));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let parsed = body::parse_params(content_type, &body);
    let mut params = parsed.clone().unwrap_or_default();
    let upload = take_upload(&mut params);
    for (k, v) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        params.entry(k.to_string()).or_insert(Value::String(v.into_owned()));
    }
    let known = METHODS.iter().find(|m| m.eq_ignore_ascii_case(method)).copied();
    let name = known.unwrap_or(method).to_string();
    let mut st = tg.st();
    let outcome = match (known, parsed) {
        (None, _) => Err(tg_error(404, "Not Found: method not found", None)),
        (Some(_), Err(desc)) => Err(tg_error(400, &desc, None)),
        (Some(m), Ok(_)) => methods::answer(&mut st, m, &params),
    };
    if let (Ok(result), Some((file_name, bytes))) = (&outcome, upload)
        && let Some(file_id) = result.pointer("/document/file_id").and_then(Value::as_str)
    {
        st.files.insert(file_id.to_string(), (file_name, bytes));
    }
    let call = Call {
        method: name,
        params: Value::Object(params),
        ok: outcome.is_ok(),
        result: outcome.as_ref().map_or(Value::Null, Clone::clone),
        at: std::time::SystemTime::now(),
    };
    st.calls.push(call.clone());
    drop(st);
    let observer = tg.inner.observer.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(observer) = observer {
        observer(&call);
    }
    match outcome {
        Ok(result) => axum::Json(json!({"ok": true, "result": result})).into_response(),
        Err(e) => reply(e),
    }
}

/// Takes the bytes of an uploaded `document` out of the parameters (calls are recorded
/// without them): its file name and contents.
fn take_upload(params: &mut Map<String, Value>) -> Option<(String, Bytes)> {
    use base64::Engine as _;
    let document = params.get_mut("document")?.as_object_mut()?;
    let data = document.remove("data")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(data.as_str()?).ok()?;
    let name = document.get("file_name").and_then(Value::as_str).unwrap_or("document").to_string();
    Some((name, Bytes::from(bytes)))
}
