//! Bot API administration for the operator commands: registering and removing the webhook
//! (`setWebhook`, `deleteWebhook` through teloxide-core) and reading `getWebhookInfo` into a
//! type of our own, because teloxide-core's `WebhookInfo` fails on `"ip_address": "<unknown>"`
//! and on update kinds newer than the crate.

use serde::Deserialize;
use teloxide_core::{Bot, payloads::SetWebhookSetters, requests::Requester, types::AllowedUpdate};
use url::Url;

use super::client::{SendError, classify};
use crate::config::TelegramConfig;
use crate::secret::Secret;

/// The update kinds the bot handles; everything else is never sent to it.
pub const ALLOWED_UPDATES: [AllowedUpdate; 3] =
    [AllowedUpdate::Message, AllowedUpdate::CallbackQuery, AllowedUpdate::MyChatMember];

/// `getWebhookInfo` as Telegram sends it. Every field is optional and unknown fields are
/// ignored, so a newer Bot API (or a local Bot API server) cannot make it fail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct WebhookInfo {
    /// Empty when no webhook is set.
    pub url: Option<String>,
    pub has_custom_certificate: Option<bool>,
    pub pending_update_count: Option<u64>,
    /// An IP address, or `"<unknown>"` (kept as text on purpose).
    pub ip_address: Option<String>,
    /// Unix time of the last failed delivery.
    pub last_error_date: Option<i64>,
    pub last_error_message: Option<String>,
    pub last_synchronization_error_date: Option<i64>,
    pub max_connections: Option<u32>,
    /// Kept as text: kinds newer than teloxide-core are shown, not refused.
    pub allowed_updates: Option<Vec<String>>,
}

/// Webhook registration calls. Holds the token; prints nothing of it.
pub struct WebhookAdmin {
    bot: Bot,
    http: reqwest::Client,
    token: Secret,
    api_url: Url,
}

impl WebhookAdmin {
    pub fn new(config: &TelegramConfig) -> Result<Self, SendError> {
        let (bot, http) = super::client::bot(config)?;
        Ok(Self { bot, http, token: config.token.clone(), api_url: config.api_url.clone() })
    }

    /// `setWebhook` with the secret, [`ALLOWED_UPDATES`] and `max_connections`. Pending
    /// updates are kept: `drop_pending_updates` is never sent.
    pub async fn set(&self, url: Url, secret: &Secret, max_connections: u8) -> Result<(), SendError> {
        self.bot
            .set_webhook(url)
            .secret_token(secret.expose())
            .allowed_updates(ALLOWED_UPDATES)
            .max_connections(max_connections)
            .await
            .map(drop)
            .map_err(classify)
    }

    /// `deleteWebhook`, keeping the pending updates for the next webhook.
    pub async fn delete(&self) -> Result<(), SendError> {
        self.bot.delete_webhook().await.map(drop).map_err(classify)
    }

    /// `getWebhookInfo` over plain reqwest, into [`WebhookInfo`].
    pub async fn info(&self) -> Result<WebhookInfo, SendError> {
        #[derive(Deserialize)]
        struct Answer {
            ok: bool,
            result: Option<WebhookInfo>,
            description: Option<String>,
        }
        let base = self.api_url.as_str().trim_end_matches('/');
        let url = format!("{base}/bot{}/getWebhookInfo", self.token.expose());
        let response = self.http.post(url).send().await.map_err(|e| SendError::Failed(network_error(e)))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| SendError::Failed(network_error(e)))?;
        let answer: Answer = serde_json::from_slice(&body)
            .map_err(|e| SendError::Failed(format!("unexpected getWebhookInfo answer ({status}): {e}")))?;
        match answer {
            Answer { ok: true, result: Some(info), .. } => Ok(info),
            Answer { description, .. } => Err(SendError::Failed(format!(
                "getWebhookInfo failed ({status}): {}",
                description.unwrap_or_else(|| "no description".into())
            ))),
        }
    }
}

/// reqwest errors print the URL, and Bot API URLs carry the token: describe without it.
fn network_error(e: reqwest::Error) -> String {
    let kind = super::client::network_kind(&e);
    let e = e.without_url();
    match std::error::Error::source(&e) {
        Some(source) => format!("network: {kind}: {source}"),
        None => format!("network: {kind}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_info_tolerates_unknown_ips_kinds_and_fields() {
        let json = r#"{
            "url": "https://bot.example.com/telegram/webhook",
            "has_custom_certificate": false,
            "pending_update_count": 3,
            "ip_address": "<unknown>",
            "last_error_date": 1700000000,
            "last_error_message": "Connection refused",
            "max_connections": 40,
            "allowed_updates": ["message", "some_future_kind"],
            "a_field_from_bot_api_12": {"nested": [1, 2]}
        }"#;
        let info: WebhookInfo = serde_json::from_str(json).expect("parses");
        assert_eq!(info.ip_address.as_deref(), Some("<unknown>"));
        assert_eq!(info.allowed_updates, Some(vec!["message".to_owned(), "some_future_kind".to_owned()]));
        assert_eq!(info.pending_update_count, Some(3));
        assert_eq!(info.last_error_date, Some(1_700_000_000));
    }

    #[test]
    fn an_empty_webhook_info_is_all_none() {
        let info: WebhookInfo = serde_json::from_str("{}").expect("parses");
        assert_eq!(info, WebhookInfo::default());
    }

    #[test]
    fn allowed_updates_go_out_in_telegram_spelling() {
        let json = serde_json::to_value(ALLOWED_UPDATES).expect("serialises");
        assert_eq!(json, serde_json::json!(["message", "callback_query", "my_chat_member"]));
    }
}
