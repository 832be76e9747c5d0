//! `erpnext-bot webhook set|delete|info`: the Telegram webhook registration. `set` points
//! Telegram at `PUBLIC_URL/telegram/webhook` with the secret, the update kinds the bot handles
//! and `max_connections`; neither `set` nor `delete` drops pending updates. Nothing printed
//! carries the token or the secret.

use chrono::DateTime;

use super::{CommandError, Report, endpoint, one_line};
use crate::cli::WebhookAction;
use crate::config::Config;
use crate::secret::Secret;
use crate::telegram::SendError;
use crate::telegram::admin::{WebhookAdmin, WebhookInfo};

/// The only ports Telegram delivers webhooks to.
pub const WEBHOOK_PORTS: [u16; 4] = [443, 80, 88, 8443];

pub async fn run(config: &Config, action: WebhookAction) -> Report {
    let result = match action {
        WebhookAction::Set => set(config).await,
        WebhookAction::Delete => delete(config).await,
        WebhookAction::Info => info(config).await,
    };
    match result {
        Ok(lines) => Report { lines, error: None },
        Err(e) => Report::failed(e),
    }
}

async fn set(config: &Config) -> Result<Vec<String>, CommandError> {
    // Checked before any call: a bad PUBLIC_URL must not reach Telegram.
    let (url, secret, max_connections) = set_target(config)?;
    let line = format!("webhook set: {url}");
    admin(config, "webhook set")?.set(url, secret, max_connections).await.map_err(failed("webhook set"))?;
    Ok(vec![line])
}

async fn delete(config: &Config) -> Result<Vec<String>, CommandError> {
    admin(config, "webhook delete")?.delete().await.map_err(failed("webhook delete"))?;
    Ok(vec!["webhook deleted (pending updates are kept)".to_owned()])
}

async fn info(config: &Config) -> Result<Vec<String>, CommandError> {
    let info = admin(config, "webhook info")?.info().await.map_err(failed("webhook info"))?;
    Ok(info_lines(&info))
}

fn admin(config: &Config, command: &str) -> Result<WebhookAdmin, CommandError> {
    WebhookAdmin::new(&config.telegram).map_err(failed(command))
}

fn failed(command: &str) -> impl Fn(SendError) -> CommandError + '_ {
    move |e| CommandError::Failed(one_line(&format!("{command}: {e}")))
}

/// The webhook URL, the secret and `max_connections`, or the line saying what is wrong.
fn set_target(config: &Config) -> Result<(url::Url, &Secret, u8), CommandError> {
    let problem = |what: String| CommandError::Config(format!("webhook set: {what}"));
    let public = config.public_url.as_ref().ok_or_else(|| {
        problem("set PUBLIC_URL (the bot's public https base URL, e.g. https://bot.example.com)".into())
    })?;
    if public.scheme() != "https" {
        return Err(problem(format!(
            "PUBLIC_URL must be https: Telegram delivers webhooks over HTTPS only ({public})"
        )));
    }
    let port = public.port_or_known_default().unwrap_or_default();
    if !WEBHOOK_PORTS.contains(&port) {
        return Err(problem(format!(
            "PUBLIC_URL uses port {port}; Telegram delivers webhooks only to ports 443, 80, 88 and 8443"
        )));
    }
    let secret = config.telegram.webhook_secret.as_ref().ok_or_else(|| {
        problem("set TELEGRAM_WEBHOOK_SECRET (the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token)".into())
    })?;
    let max = u8::try_from(config.telegram.max_connections).unwrap_or(100);
    Ok((endpoint(public, "/telegram/webhook"), secret, max))
}

/// What `webhook info` prints.
pub fn info_lines(info: &WebhookInfo) -> Vec<String> {
    let shown = |v: Option<String>| v.unwrap_or_else(|| "not reported".into());
    let url = match info.url.as_deref() {
        None | Some("") => "none (no webhook set)".to_owned(),
        Some(url) => url.to_owned(),
    };
    let allowed = match info.allowed_updates.as_deref() {
        None | Some([]) => "all but chat_member, message_reaction, message_reaction_count (Telegram's default)".into(),
        Some(kinds) => kinds.join(", "),
    };
    let mut lines = vec![
        format!("url: {url}"),
        format!("pending_update_count: {}", shown(info.pending_update_count.map(|n| n.to_string()))),
        format!("max_connections: {}", shown(info.max_connections.map(|n| n.to_string()))),
        format!("allowed_updates: {allowed}"),
    ];
    if let Some(ip) = &info.ip_address {
        lines.push(format!("ip_address: {ip}"));
    }
    lines.push(match (info.last_error_date, &info.last_error_message) {
        (None, None) => "last error: none".to_owned(),
        (date, message) => format!(
            "last error: {}: {}",
            date.map_or_else(|| "unknown time".to_owned(), utc),
            one_line(message.as_deref().unwrap_or("no message"))
        ),
    });
    if let Some(date) = info.last_synchronization_error_date {
        lines.push(format!("last synchronization error: {}", utc(date)));
    }
    lines
}

fn utc(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .map_or_else(|| unix.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_shows_the_last_error_in_utc() {
        let info = WebhookInfo {
            url: Some("https://bot.example.com/telegram/webhook".into()),
            pending_update_count: Some(7),
            max_connections: Some(40),
            allowed_updates: Some(vec!["message".into(), "some_future_kind".into()]),
            ip_address: Some("<unknown>".into()),
            last_error_date: Some(1_700_000_000),
            last_error_message: Some("Wrong response from the webhook: 401 Unauthorized".into()),
            ..WebhookInfo::default()
        };
        assert_eq!(
            info_lines(&info),
            [
                "url: https://bot.example.com/telegram/webhook",
                "pending_update_count: 7",
                "max_connections: 40",
                "allowed_updates: message, some_future_kind",
                "ip_address: <unknown>",
                "last error: 2023-11-14 22:13:20 UTC: Wrong response from the webhook: 401 Unauthorized",
            ]
        );
    }

    #[test]
    fn info_without_a_webhook_says_so() {
        let lines = info_lines(&WebhookInfo { url: Some(String::new()), ..WebhookInfo::default() });
        assert_eq!(lines[0], "url: none (no webhook set)");
        assert_eq!(lines.last().map(String::as_str), Some("last error: none"));
    }
}
