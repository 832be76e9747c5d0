//! Operator commands that prepare the world around the service: `erp setup` ([`erp`], which
//! runs its two halves: the Customer fields, [`custom_fields`], and the ERPNext Webhooks,
//! [`erp_webhooks`] with their bodies from [`templates`]; what both halves share is in
//! `item`) and `webhook set|delete|info` (the Telegram webhook, [`telegram_webhook`]). Each
//! returns a [`Report`]; `main` prints it and picks the exit code.

pub mod custom_fields;
pub mod erp;
pub mod erp_webhooks;
mod item;
pub mod telegram_webhook;
pub mod templates;

use url::Url;

/// What an operator command has to say, and how it ended.
#[derive(Debug, Default)]
pub struct Report {
    /// Lines for stdout, in order; those printed before a failure are kept.
    pub lines: Vec<String>,
    /// Why the command stopped, if it did: one line for stderr.
    pub error: Option<CommandError>,
}

impl Report {
    pub fn failed(error: CommandError) -> Self {
        Self { lines: Vec::new(), error: Some(error) }
    }

    /// 0 on success, 2 when the configuration lacks something, 1 when a service refused.
    pub fn exit_code(&self) -> u8 {
        match &self.error {
            None => 0,
            Some(CommandError::Config(_)) => 2,
            Some(CommandError::Failed(_)) => 1,
        }
    }
}

/// One line each, already prefixed with the command (`erp setup: ...`); never a secret.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A variable this command needs is missing or unusable; nothing was called.
    #[error("{0}")]
    Config(String),
    /// ERPNext or Telegram refused or failed.
    #[error("{0}")]
    Failed(String),
}

/// `PUBLIC_URL` with `path` appended to its own path (a proxy may serve the bot under a
/// prefix); query and fragment dropped.
pub fn endpoint(public_url: &Url, path: &str) -> Url {
    let mut url = public_url.clone();
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}{path}"));
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// Error texts from servers may span lines; a report line must not.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_a_path_prefix_and_drop_queries() {
        let url = |s: &str| Url::parse(s).expect("url");
        assert_eq!(
            endpoint(&url("https://bot.example.com"), "/erpnext/events").as_str(),
            "https://bot.example.com/erpnext/events"
        );
        assert_eq!(
            endpoint(&url("https://example.com:8443/bot/?x=1#f"), "/telegram/webhook").as_str(),
            "https://example.com:8443/bot/telegram/webhook"
        );
    }
}
