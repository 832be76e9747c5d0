//! The demo page in headless Chromium at phone width, as a visitor uses it: link the demo
//! account, open a contract card and its schedule, switch language — asserting on what the
//! page shows — and save a screenshot (`target/demo-screenshot.png`; README's picture is a
//! copy of it).

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::webdriver::{Element, WebDriver};
use crate::process::{Demo, NO_REDIS};

const WAIT: Duration = Duration::from_secs(15);

/// The first element matching `css` whose text contains `text`, once there is one.
async fn element_with_text(driver: &WebDriver, css: &str, text: &str) -> Element {
    let script = "return [...document.querySelectorAll(arguments[0])].reverse().find(e => e.textContent.includes(arguments[1])) || null;";
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let found = driver.execute(script, vec![json!(css), json!(text)]).await;
        if let Some(e) = Element::from_json(&found) {
            return e;
        }
        if std::time::Instant::now() > deadline {
            let source = driver.page_source().await;
            panic!("no `{css}` containing {text:?} after {WAIT:?}; page:\n{}", &source[..source.len().min(4000)]);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click_text(driver: &WebDriver, css: &str, text: &str) {
    let e = element_with_text(driver, css, text).await;
    driver.click(&e).await;
}

/// Waits until the chat log shows a bot message containing `text`.
async fn bot_shows(driver: &WebDriver, text: &str) -> Element {
    element_with_text(driver, "#log .msg.bot .text", text).await
}

#[tokio::test]
async fn a_visitor_links_opens_a_contract_and_its_schedule_and_switches_language_in_chromium() {
    let demo = Demo::start(&[("REDIS_URL", NO_REDIS)]).await;
    let driver = WebDriver::phone().await;
    driver.goto(&format!("{}/demo", demo.base)).await;
    driver.wait_until("document.body.dataset.ready === 'true'", WAIT).await;
    driver.select_option("#lang", "en").await;
    driver.select_option("#customer", "CUST-DEMO-0001").await;
    let details = driver.text(&driver.find("#customer-details").await).await;
    assert!(details.contains("AA1234567") && details.contains("+998 90 123 45 67"), "{details}");

    // Telegram's START button, then the passport typed into the composer.
    driver.click(&driver.wait_for("#start", WAIT).await).await;
    bot_shows(&driver, "passport").await;
    let input = driver.find("#input").await;
    driver.send_keys(&input, "AA1234567").await;
    driver.click(&driver.find("#send").await).await;
    element_with_text(&driver, "#log .msg.user .text", "AA1234567").await;
    let share = driver.wait_for("#reply-keyboard button[data-request-contact='true']", WAIT).await;
    driver.click(&share).await;
    let linked = driver.text(&bot_shows(&driver, "Your account is linked").await).await;
    assert!(linked.contains("Aziza Karimova"), "{linked}");

    // The contract list, a contract card with its products, then its schedule.
    click_text(&driver, "#reply-keyboard button", "My contracts").await;
    click_text(&driver, "#log button.inline-btn", "SO-DEMO-00001").await;
    let card = driver.text(&bot_shows(&driver, "Samsung Galaxy A55").await).await;
    assert!(card.contains("7 550 000") && card.contains("IMEI"), "the card shows the total and the IMEI: {card}");
    let bold = driver
        .execute(
            "return document.querySelectorAll('#log .msg.bot .text b, #log .msg.bot .text strong').length;",
            vec![],
        )
        .await;
    assert!(bold.as_u64().unwrap_or(0) > 0, "the bot's HTML is rendered, not shown as tags");
    assert!(!card.contains("<b>"), "no raw tags: {card}");
    click_text(&driver, "#log button.inline-btn", "Schedule").await;
    let schedule = driver.text(&element_with_text(&driver, "#log .msg.bot .text pre", "Due").await).await;
    assert!(schedule.contains("500 000"), "the schedule lists the monthly instalments: {schedule}");

    // Language: through the bot's own menu, and the page's labels with it.
    click_text(&driver, "#reply-keyboard button", "Language").await;
    click_text(&driver, "#log button.inline-btn", "Русский").await;
    element_with_text(&driver, "#reply-keyboard button", "Мои договоры").await;
    driver.select_option("#lang", "ru").await;
    driver.wait_until("document.documentElement.lang === 'ru'", WAIT).await;
    let placeholder = driver.attribute(&driver.find("#input").await, "placeholder").await.unwrap_or_default();
    assert!(placeholder.chars().any(|c| ('а'..='я').contains(&c)), "the page speaks Russian too: {placeholder}");

    // The visitor plays ERPNext: a payment, then today's reminder pass.
    // At phone width the ERPNext buttons sit in the folded side panel.
    driver.click(&driver.find("#controls-toggle").await).await;
    driver.click(&driver.wait_for("#controls.open #pay", WAIT).await).await;
    element_with_text(&driver, "#log .note", "ACC-PAY-DEMO").await;
    let receipt = driver.text(&bot_shows(&driver, "Платёж получен").await).await;
    assert!(receipt.contains("SO-DEMO-00001"), "{receipt}");
    if driver.find_all("#controls.open").await.is_empty() {
        driver.click(&driver.find("#controls-toggle").await).await;
    }
    driver.click(&driver.wait_for("#controls.open #reminders", WAIT).await).await;
    element_with_text(&driver, "#log .note", "Reminder pass").await;
    bot_shows(&driver, "Срок оплаты сегодня").await;

    // Back to the card in Russian, for the picture.
    click_text(&driver, "#reply-keyboard button", "Мои договоры").await;
    click_text(&driver, "#log button.inline-btn", "SO-DEMO-00002").await;
    bot_shows(&driver, "LG").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = driver.screenshot_png().await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG screenshot");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("demo-screenshot.png");
    std::fs::write(&path, &png).expect("save the screenshot");
    let errors: Value =
        driver.execute("return [...document.querySelectorAll('.note.error')].map(e => e.textContent);", vec![]).await;
    assert_eq!(errors, json!([]), "the page showed no errors");
    driver.quit().await;
}
