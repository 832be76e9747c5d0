//! F3, F10, F11: menu, profile, language, contact us, logout, bot commands.

use std::time::Duration;

use erpnext_bot::i18n::{self, Label, Lang, Msg};
use serde_json::json;

use crate::common::updates;
use crate::helpers::*;

const USER: i64 = 5_200_001;

#[tokio::test]
async fn the_profile_shows_masked_identifiers_and_a_logout_button() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    app.post(&updates::text(env.uid(), USER, i18n::label(Lang::Ru, Label::Profile))).await;
    let sends = env.tg.calls_to("sendMessage");
    let profile = sends.last().expect("profile");
    let text = profile.params["text"].as_str().unwrap_or_default();
    assert!(text.contains(CUSTOMER_NAME) && text.contains("AB*****67") && text.contains("+998*****4567"), "{text}");
    assert!(!text.contains(PASSPORT) && !text.contains("901234567"));
    assert_eq!(profile.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"], json!("logout"));
}

#[tokio::test]
async fn menu_buttons_are_routed_by_id_whatever_the_language_of_their_text() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    // The user's chat still shows an English keyboard while the bot speaks Russian.
    app.post(&updates::text(env.uid(), USER, i18n::label(Lang::En, Label::ContactUs))).await;
    assert_eq!(env.last_text(USER), say(Msg::ContactUs { support: Some(SUPPORT.into()) }));
}

#[tokio::test]
async fn the_language_can_be_changed_and_is_remembered() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    app.post(&updates::command(env.uid(), USER, "/lang")).await;
    let offer = env.tg.calls_to("sendMessage").pop().expect("language offer");
    assert_eq!(offer.params["reply_markup"]["inline_keyboard"][0][2]["callback_data"], json!("lang:en"));
    app.post(&updates::callback(env.uid(), USER, "lang:en", 10)).await;
    assert_eq!(env.tg.calls_to("answerCallbackQuery").len(), 1);
    assert_eq!(env.last_text(USER), say_in(Lang::En, Msg::LanguageChanged));
    let menu = env.tg.calls_to("sendMessage").pop().expect("menu keyboard");
    assert_eq!(menu.params["reply_markup"]["keyboard"][0][0]["text"], json!(i18n::label(Lang::En, Label::MyContracts)));
    app.stop().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/menu")).await;
    assert_eq!(env.last_text(USER), say_in(Lang::En, Msg::Menu));
}

#[tokio::test]
async fn logout_asks_for_confirmation_then_clears_the_link_everywhere() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    app.post(&updates::command(env.uid(), USER, "/logout")).await;
    assert_eq!(env.last_text(USER), say(Msg::ConfirmLogout));
    assert_eq!(linked_id(&env), Some(USER.to_string()), "nothing cleared before the confirmation");
    app.post(&updates::callback(env.uid(), USER, "logout:yes", 11)).await;
    assert_eq!(env.last_text(USER), say(Msg::LoggedOut));
    assert_eq!(linked_id(&env), None);
    app.post(&updates::command(env.uid(), USER, "/start")).await;
    assert_eq!(env.last_text(USER), say(Msg::Greeting));
}

#[tokio::test]
async fn logout_can_be_cancelled() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    app.post(&updates::command(env.uid(), USER, "/logout")).await;
    app.post(&updates::callback(env.uid(), USER, "logout:no", 12)).await;
    assert_eq!(env.last_text(USER), say(Msg::LogoutCancelled));
    assert_eq!(linked_id(&env), Some(USER.to_string()));
}

#[tokio::test]
async fn a_forged_or_stale_button_gets_an_alert_and_changes_nothing() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    link(&env, &app, USER).await;
    let sent_before = env.texts(USER).len();
    for data in ["logout:yes", "contract:SO-9999", "lang:xx"] {
        app.post(&updates::callback(env.uid(), USER, data, 13)).await;
    }
    let answers = env.tg.calls_to("answerCallbackQuery");
    assert_eq!(answers.len(), 3);
    for a in &answers {
        assert_eq!(a.params["show_alert"], json!(true), "{}", a.params);
    }
    assert_eq!(env.texts(USER).len(), sent_before);
    assert_eq!(linked_id(&env), Some(USER.to_string()));
}

#[tokio::test]
async fn help_and_contact_us_work_before_linking() {
    let env = TestEnv::new().await;
    let app = env.start_app().await;
    app.post(&updates::command(env.uid(), USER, "/help")).await;
    assert_eq!(env.last_text(USER), say(Msg::Help { support: Some(SUPPORT.into()) }));
    assert_eq!(env.erp.request_count(), 0, "help needs no ERPNext");
}

#[tokio::test]
async fn bot_commands_are_registered_per_language_at_start_up() {
    let env = TestEnv::new().await;
    let _app = env.start_app().await;
    let calls = env.tg.wait_for("setMyCommands", 4, Duration::from_secs(5)).await;
    let langs: Vec<String> =
        calls.iter().map(|c| c.params["language_code"].as_str().unwrap_or("default").to_owned()).collect();
    for want in ["uz", "ru", "en", "default"] {
        assert!(langs.iter().any(|l| l == want), "{langs:?}");
    }
    let ru = calls.iter().find(|c| c.params["language_code"] == json!("ru")).expect("ru commands");
    let names: Vec<&str> =
        ru.params["commands"].as_array().into_iter().flatten().filter_map(|c| c["command"].as_str()).collect();
    assert_eq!(names, ["start", "menu", "help", "lang", "logout"]);
}
