//! A minimal W3C WebDriver client for browser tests: starts its own `chromedriver` on a free
//! port, opens one headless Chromium session and drives it over plain HTTP (reqwest).
//!
//! It is test code: WebDriver errors panic with the driver's message, except while a `wait_*`
//! polls (an element that does not exist yet, or a script that throws, means "keep waiting").
//! A wait that times out panics with what it waited for, the last thing it saw and the start
//! of the page source. `quit` ends the session; dropping the client ends it too, best effort.

use base64::Engine as _;
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The W3C key of a web element reference in JSON.
pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

const INSTALL_HINT: &str = "run .ci/run or apt-get install chromium chromium-driver";
const CHROMIUM_BINARY: &str = "/usr/bin/chromium";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
const SOURCE_EXCERPT_CHARS: usize = 2_000;

/// The browser's viewport, in CSS pixels: a page sees `innerWidth`×`innerHeight` of exactly
/// `width`×`height`, and a screenshot has that many pixels (device pixel ratio 1), whatever
/// Chromium's own window is (it is never narrower than 500 px). `mobile` emulates a phone:
/// touch input and the mobile viewport rules (a page without `<meta name="viewport">` is laid
/// out 980 px wide, as on a phone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub width: u32,
    pub height: u32,
    pub mobile: bool,
}

/// A phone, as a customer opening a link from Telegram would see the page.
pub const PHONE: Window = Window { width: 412, height: 915, mobile: true };
/// A desktop browser window.
pub const DESKTOP: Window = Window { width: 1280, height: 800, mobile: false };

/// A reference to an element of the current page (its W3C web element id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    id: String,
}

impl Element {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The element as a script argument (`{"element-6066-…": id}`).
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    /// Reads an element reference out of a WebDriver value (e.g. what a script returned).
    pub fn from_json(value: &Value) -> Option<Element> {
        value.get(ELEMENT_KEY).and_then(Value::as_str).map(|id| Element { id: id.to_string() })
    }
}

impl From<&Element> for Value {
    fn from(element: &Element) -> Value {
        element.to_json()
    }
}

/// An error reported by the driver: `{"value":{"error":..,"message":..}}`.
#[derive(Debug)]
struct DriverError {
    error: String,
    message: String,
}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read it, release it).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    listener.local_addr().expect("probe port address").port()
}

fn excerpt(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if text.chars().nth(chars).is_some() {
        out.push_str("\n[…]");
    }
    out
}

/// A `chromedriver` child process with one headless Chromium session.
pub struct WebDriver {
    http: reqwest::Client,
    port: u16,
    /// `http://127.0.0.1:PORT/session/ID`
    base: String,
    session: Option<String>,
    driver: Option<Child>,
}

impl WebDriver {
    /// A headless browser with a phone's viewport (see [`PHONE`]).
    pub async fn phone() -> WebDriver {
        WebDriver::start(PHONE).await
    }

    /// A headless browser with a desktop window (see [`DESKTOP`]).
    pub async fn desktop() -> WebDriver {
        WebDriver::start(DESKTOP).await
    }

    /// Starts `chromedriver` on a free port, waits until it is ready and opens a headless
    /// Chromium session with the given viewport.
    pub async fn start(window: Window) -> WebDriver {
        let http =
            reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build().expect("build the WebDriver HTTP client");
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let spawned = Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn();
            let child = match spawned {
                Ok(child) => child,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    panic!("chromedriver not found on PATH: {INSTALL_HINT}")
                }
                Err(e) => panic!("cannot run chromedriver: {e} ({INSTALL_HINT})"),
            };
            let mut driver =
                WebDriver { http: http.clone(), port, base: String::new(), session: None, driver: Some(child) };
            // Ready, and still running: a driver that lost its port to another test's
            // driver exits, and that other driver would answer the status request.
            let ready = driver.wait_ready().await.and_then(|()| {
                let exited = driver.driver.as_mut().and_then(|c| c.try_wait().ok().flatten());
                exited.map_or(Ok(()), |status| Err(format!("chromedriver exited ({status})")))
            });
            match ready {
                Ok(()) => {
                    driver.new_session(window).await;
                    return driver;
                }
                Err(e) => {
                    last_error = e; // most likely the port was taken meanwhile
                    driver.kill_driver().await;
                }
            }
        }
        panic!("chromedriver did not become ready: {last_error} ({INSTALL_HINT})");
    }

    fn root(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `GET /status` until it reports `ready`, the process exits or the timeout passes.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let url = format!("{}/status", self.root());
        loop {
            let last = match self.http.get(&url).timeout(Duration::from_secs(2)).send().await {
                Ok(resp) => match resp.json::<Value>().await {
                    Ok(body) if body["value"]["ready"] == json!(true) => return Ok(()),
                    Ok(body) => format!("status {body}"),
                    Err(e) => format!("unreadable status: {e}"),
                },
                Err(e) => format!("{e}"),
            };
            if let Some(status) = self.driver.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("chromedriver on port {} exited with {status}", self.port));
            }
            if Instant::now() >= deadline {
                return Err(format!("chromedriver on port {} not ready after {STARTUP_TIMEOUT:?}: {last}", self.port));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    async fn new_session(&mut self, window: Window) {
        let Window { width, height, mobile } = window;
        let mut chrome = json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                format!("--window-size={width},{height}"),
            ],
        });
        // The window size alone is the outer window (toolbar included, at least 500 px wide);
        // device metrics make the viewport exactly width×height.
        chrome["mobileEmulation"] = json!({
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": mobile, "mobile": mobile },
        });
        if Path::new(CHROMIUM_BINARY).exists() {
            chrome["binary"] = json!(CHROMIUM_BINARY);
        }
        let caps = json!({
            "capabilities": {
                "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": chrome },
            },
        });
        let url = format!("{}/session", self.root());
        let value = match self.send(reqwest::Method::POST, &url, Some(caps)).await {
            Ok(value) => value,
            Err(e) => panic!("WebDriver could not start Chromium: {e} ({INSTALL_HINT})"),
        };
        let id = value["sessionId"].as_str().unwrap_or_else(|| panic!("new session without an id: {value}"));
        self.base = format!("{}/session/{id}", self.root());
        self.session = Some(id.to_string());
    }

    /// Sends one command and returns its `value`, or the driver's error.
    async fn send(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> Result<Value, DriverError> {
        let mut req = self.http.request(method.clone(), url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("WebDriver {method} {url}: {e}"));
        let status = resp.status();
        let text = resp.text().await.unwrap_or_else(|e| panic!("WebDriver {method} {url}: reading the reply: {e}"));
        let body: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("WebDriver {method} {url}: HTTP {status}, not JSON ({e}): {}", excerpt(&text, 500))
        });
        let value = body.get("value").cloned().unwrap_or(Value::Null);
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            let message = value.get("message").and_then(Value::as_str).unwrap_or_default();
            return Err(DriverError { error: error.to_string(), message: message.to_string() });
        }
        if !status.is_success() {
            return Err(DriverError { error: format!("HTTP {status}"), message: excerpt(&text, 500) });
        }
        Ok(value)
    }

    /// A session command (`path` relative to `/session/ID`), its error as `Err`.
    async fn try_cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, DriverError> {
        assert!(self.session.is_some(), "WebDriver session already ended");
        self.send(method, &format!("{}{path}", self.base), body).await
    }

    /// A session command whose error panics.
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        match self.try_cmd(method.clone(), path, body).await {
            Ok(value) => value,
            Err(e) => panic!("WebDriver {method} {path} failed: {e}"),
        }
    }

    async fn get(&self, path: &str) -> Value {
        self.cmd(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn current_url(&self) -> String {
        self.get("/url").await.as_str().unwrap_or_default().to_string()
    }

    async fn try_find(&self, css: &str) -> Result<Element, DriverError> {
        let value = self
            .try_cmd(reqwest::Method::POST, "/element", Some(json!({ "using": "css selector", "value": css })))
            .await?;
        Ok(Element::from_json(&value).unwrap_or_else(|| panic!("find {css:?}: not an element: {value}")))
    }

    /// The first element matching `css`; panics if there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.try_find(css).await {
            Ok(element) => element,
            Err(e) => panic!("find {css:?} failed: {e}"),
        }
    }

    /// Every element matching `css` (possibly none), in document order.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let value = self.post("/elements", json!({ "using": "css selector", "value": css })).await;
        let items = value.as_array().unwrap_or_else(|| panic!("find_all {css:?}: not a list: {value}"));
        items
            .iter()
            .map(|v| Element::from_json(v).unwrap_or_else(|| panic!("find_all {css:?}: not an element: {v}")))
            .collect()
    }

    /// Polls until an element matches `css`; panics with a diagnosis after `timeout`.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.try_find(css).await {
                Ok(element) => return element,
                Err(e) if e.error == "no such element" => e.to_string(),
                Err(e) => panic!("wait_for {css:?} failed: {e}"),
            };
            if Instant::now() >= deadline {
                self.wait_timed_out(&format!("an element matching {css:?}"), timeout, &last).await;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Polls until the JavaScript expression `js` is truthy; panics with a diagnosis after
    /// `timeout`. A script that throws (e.g. reads a property of an element not there yet)
    /// counts as false.
    pub async fn wait_until(&self, js: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let script = format!("return !!({js});");
        loop {
            let body = json!({ "script": script, "args": [] });
            let last = match self.try_cmd(reqwest::Method::POST, "/execute/sync", Some(body)).await {
                Ok(Value::Bool(true)) => return,
                Ok(value) => format!("{value}"),
                Err(e) if e.error == "javascript error" => e.to_string(),
                Err(e) => panic!("wait_until {js:?} failed: {e}"),
            };
            if Instant::now() >= deadline {
                self.wait_timed_out(&format!("`{js}` to be true"), timeout, &last).await;
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    async fn wait_timed_out(&self, condition: &str, timeout: Duration, last: &str) -> ! {
        let source = match self.try_cmd(reqwest::Method::GET, "/source", None).await {
            Ok(value) => excerpt(value.as_str().unwrap_or_default(), SOURCE_EXCERPT_CHARS),
            Err(e) => format!("(page source unavailable: {e})"),
        };
        let url = self.try_cmd(reqwest::Method::GET, "/url", None).await.map(|v| v.to_string()).unwrap_or_default();
        panic!(
            "timed out after {timeout:?} waiting for {condition}\nlast seen: {last}\nurl: {url}\npage source:\n{source}"
        );
    }

    /// Runs `script` (a function body: use `return`, read `arguments[i]`) and returns its
    /// result. Elements pass as `Value::from(&element)`; returned elements read back with
    /// [`Element::from_json`].
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args })).await
    }

    pub async fn click(&self, element: &Element) {
        self.post(&format!("/element/{}/click", element.id), json!({})).await;
    }

    /// Types `text` into the element (focusing it first), as key presses.
    pub async fn send_keys(&self, element: &Element, text: &str) {
        self.post(&format!("/element/{}/value", element.id), json!({ "text": text })).await;
    }

    /// The element's rendered (visible) text.
    pub async fn text(&self, element: &Element) -> String {
        let value = self.get(&format!("/element/{}/text", element.id)).await;
        value.as_str().unwrap_or_else(|| panic!("element text is not a string: {value}")).to_string()
    }

    /// The element's attribute `name`, `None` when it has none.
    pub async fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        let value = self.get(&format!("/element/{}/attribute/{name}", element.id)).await;
        match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }

    /// The element's DOM property `name` (e.g. an input's current `value`, a box's `checked`).
    pub async fn property(&self, element: &Element, name: &str) -> Value {
        self.get(&format!("/element/{}/property/{name}", element.id)).await
    }

    /// Selects the option whose value is `value` in the `<select>` matching `select_css`,
    /// then dispatches `input` and `change` as a user's choice would.
    pub async fn select_option(&self, select_css: &str, value: &str) {
        let script = r#"
            const select = document.querySelector(arguments[0]);
            if (!select) return "no element matches the selector";
            if (select.tagName !== "SELECT") return "the element is a " + select.tagName + ", not a SELECT";
            if (![...select.options].some(o => o.value === arguments[1])) {
                return "no option with that value; options: " + [...select.options].map(o => o.value).join(", ");
            }
            select.value = arguments[1];
            select.dispatchEvent(new Event("input", { bubbles: true }));
            select.dispatchEvent(new Event("change", { bubbles: true }));
            return null;
        "#;
        let result = self.execute(script, vec![json!(select_css), json!(value)]).await;
        if let Some(problem) = result.as_str() {
            panic!("select_option({select_css:?}, {value:?}): {problem}");
        }
    }

    /// A PNG screenshot of the viewport.
    pub async fn screenshot_png(&self) -> Vec<u8> {
        let value = self.get("/screenshot").await;
        let encoded = value
            .as_str()
            .unwrap_or_else(|| panic!("screenshot is not a string: {}", excerpt(&value.to_string(), 200)));
        base64::engine::general_purpose::STANDARD.decode(encoded).expect("screenshot is not valid base64")
    }

    /// The current DOM serialized as HTML.
    pub async fn page_source(&self) -> String {
        let value = self.get("/source").await;
        value.as_str().unwrap_or_else(|| panic!("page source is not a string: {value}")).to_string()
    }

    /// Ends the session (closing Chromium) and stops chromedriver.
    pub async fn quit(mut self) {
        if let Some(id) = self.session.take() {
            let url = format!("{}/session/{id}", self.root());
            if let Err(e) = self.send(reqwest::Method::DELETE, &url, None).await {
                panic!("WebDriver could not end the session: {e}");
            }
        }
        self.kill_driver().await;
    }

    async fn kill_driver(&mut self) {
        if let Some(mut child) = self.driver.take() {
            let _ = child.kill().await; // kill + wait
        }
    }
}

impl Drop for WebDriver {
    /// Best effort when `quit` was not called (e.g. a test panicked): end the session with a
    /// blocking HTTP request, so Chromium does not outlive the killed chromedriver.
    fn drop(&mut self) {
        let Some(id) = self.session.take() else { return };
        let port = self.port;
        let delete = move || -> std::io::Result<()> {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
            stream.set_read_timeout(Some(Duration::from_secs(5)))?;
            stream.set_write_timeout(Some(Duration::from_secs(2)))?;
            let request = format!(
                "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(request.as_bytes())?;
            // The reply comes once the session (and Chromium) is gone; chromedriver may keep
            // the connection open after it, so the first bytes are enough.
            let mut reply = [0u8; 512];
            let _ = stream.read(&mut reply)?;
            Ok(())
        };
        let _ = delete();
        // The child is killed by `kill_on_drop` when `self.driver` drops.
    }
}
