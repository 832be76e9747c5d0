//! Self-test of the browser plumbing: headless Chromium, driven through chromedriver by
//! `common::webdriver`, types, clicks, waits, selects and takes a screenshot on a tiny page
//! served here. It needs `chromium` and `chromium-driver` (installed by .ci/run) and fails
//! without them rather than skipping.

mod common;

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use common::webdriver::{DESKTOP, PHONE, WebDriver};
use serde_json::json;
use std::time::Duration;

const PAGE: &str = r#"<!doctype html>
<html>
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>selftest</title></head>
<body>
  <input id="name" type="text" placeholder="name">
  <button id="add" type="button">Add</button>
  <div id="list"></div>
  <select id="plan">
    <option value="weekly">Weekly</option>
    <option value="monthly">Monthly</option>
  </select>
  <p id="chosen">weekly</p>
  <script>
    document.getElementById("add").addEventListener("click", () => {
      // Appended a little later, so the test has to wait for it.
      setTimeout(() => {
        const item = document.createElement("p");
        item.className = "item";
        item.textContent = "Hello, " + document.getElementById("name").value;
        document.getElementById("list").appendChild(item);
      }, 150);
    });
    document.getElementById("plan").addEventListener("change", (e) => {
      document.getElementById("chosen").textContent = e.target.value;
    });
  </script>
</body>
</html>
"#;

/// Serves `PAGE` at `/` on a free loopback port; returns the page's URL.
async fn serve_page() -> String {
    let app = Router::new().route("/", get(|| async { Html(PAGE) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the page server");
    let addr = listener.local_addr().expect("page server address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve the page") });
    format!("http://{addr}/")
}

#[tokio::test]
async fn chromium_types_clicks_waits_selects_and_screenshots() {
    let url = serve_page().await;
    let browser = WebDriver::phone().await;
    browser.goto(&url).await;
    assert_eq!(browser.current_url().await, url);
    let viewport = browser.execute("return [window.innerWidth, window.innerHeight];", vec![]).await;
    assert_eq!(viewport, json!([PHONE.width, PHONE.height]), "the viewport is the phone's");

    let input = browser.find("#name").await;
    assert_eq!(browser.attribute(&input, "placeholder").await.as_deref(), Some("name"));
    assert_eq!(browser.attribute(&input, "data-missing").await, None);
    browser.send_keys(&input, "Amina").await;
    assert_eq!(browser.property(&input, "value").await, json!("Amina"));

    assert!(browser.find_all(".item").await.is_empty());
    browser.click(&browser.find("#add").await).await;
    let item = browser.wait_for("#list .item", Duration::from_secs(5)).await;
    assert_eq!(browser.text(&item).await, "Hello, Amina");
    browser.click(&browser.find("#add").await).await;
    browser.wait_until("document.querySelectorAll('#list .item').length === 2", Duration::from_secs(5)).await;
    assert_eq!(browser.find_all(".item").await.len(), 2);

    browser.select_option("#plan", "monthly").await;
    browser.wait_until("document.getElementById('chosen').textContent === 'monthly'", Duration::from_secs(5)).await;
    let chosen = browser.execute("return arguments[0].value;", vec![(&browser.find("#plan").await).into()]).await;
    assert_eq!(chosen, json!("monthly"));

    let png = browser.screenshot_png().await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "screenshot is a PNG");
    let png_size = (
        u32::from_be_bytes(png[16..20].try_into().expect("4 bytes")),
        u32::from_be_bytes(png[20..24].try_into().expect("4 bytes")),
    );
    assert_eq!(png_size, (PHONE.width, PHONE.height), "the screenshot is the phone's viewport");
    assert!(browser.page_source().await.contains("id=\"list\""));

    browser.quit().await;
}

#[tokio::test]
async fn a_wait_that_times_out_explains_itself() {
    let url = serve_page().await;
    let browser = WebDriver::desktop().await;
    browser.goto(&url).await;
    let viewport = browser.execute("return [window.innerWidth, window.innerHeight];", vec![]).await;
    assert_eq!(viewport, json!([DESKTOP.width, DESKTOP.height]), "the viewport is the desktop window's");
    let waited = tokio::spawn(async move {
        browser.wait_for("#never", Duration::from_millis(300)).await;
    })
    .await;
    let panic = waited.expect_err("the wait must time out").into_panic();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("timed out after 300ms waiting for an element matching \"#never\""), "{message}");
    assert!(message.contains("no such element"), "{message}");
    assert!(message.contains("<title>selftest</title>"), "{message}");
}
