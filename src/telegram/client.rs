//! The Bot API client: teloxide-core's `Bot` pointed at `TELEGRAM_API_URL`, with our own
//! error classification (429 waits, 403 means the chat is unreachable).

use std::time::Duration;

use teloxide_core::{
    ApiError, Bot, RequestError,
    payloads::{AnswerCallbackQuerySetters, SendDocumentSetters, SendMessageSetters, SetMyCommandsSetters},
    requests::{JsonRequest, Requester},
    types::{BotCommand, CallbackQueryId, ChatId, InlineKeyboardMarkup, InputFile, ParseMode, ReplyMarkup},
};

use super::payloads::{EditHtml, SendHtml};
use crate::config::TelegramConfig;
use crate::i18n::{self, Lang};

/// The longest `retry_after` a conversation reply waits for; longer ones fail the send.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// 403: blocked by the user, user deactivated, cannot initiate conversation.
    #[error("chat is unreachable (blocked or deactivated)")]
    Unreachable,
    /// 429 whose wait is longer than we hold an update for.
    #[error("rate limited by Telegram for {0:?}")]
    RetryAfter(Duration),
    /// Benign: the message is already as requested, or the button press is too old.
    #[error("ignored by Telegram: {0}")]
    Benign(String),
    #[error("Telegram request failed: {0}")]
    Failed(String),
}

#[derive(Clone)]
pub struct TelegramClient {
    bot: Bot,
}

impl TelegramClient {
    pub fn new(config: &TelegramConfig) -> Result<Self, SendError> {
        let (bot, _) = bot(config)?;
        Ok(Self { bot })
    }

    /// Sends an HTML message; waits out a short 429 and tries again.
    pub async fn send_html(&self, chat_id: i64, text: &str, markup: Option<ReplyMarkup>) -> Result<(), SendError> {
        self.with_retry("sendMessage", || {
            let payload =
                SendHtml { chat_id, text: text.to_owned(), parse_mode: ParseMode::Html, reply_markup: markup.clone() };
            let req = JsonRequest::new(self.bot.clone(), payload);
            async move { req.await.map(drop) }
        })
        .await
    }

    /// Sends an HTML message once, without waiting out a 429: bulk senders pause globally.
    pub async fn send_html_once(&self, chat_id: i64, text: &str) -> Result<(), SendError> {
        let result = self.bot.send_message(ChatId(chat_id), text).parse_mode(ParseMode::Html).await;
        record("sendMessage", result.map(drop).map_err(classify))
    }

    /// Edits a message the bot sent (text and inline keyboard) in place.
    pub async fn edit_html(
        &self,
        chat_id: i64,
        message_id: i32,
        text: &str,
        markup: Option<InlineKeyboardMarkup>,
    ) -> Result<(), SendError> {
        self.with_retry("editMessageText", || {
            let payload = EditHtml {
                chat_id,
                message_id,
                text: text.to_owned(),
                parse_mode: ParseMode::Html,
                reply_markup: markup.clone(),
            };
            let req = JsonRequest::new(self.bot.clone(), payload);
            async move { req.await.map(drop) }
        })
        .await
    }

    /// Sends a file the customer may keep and forward: their own contract is theirs to keep,
    /// so no `protect_content`.
    pub async fn send_document(
        &self,
        chat_id: i64,
        file_name: &str,
        bytes: Vec<u8>,
        caption: &str,
    ) -> Result<(), SendError> {
        self.with_retry("sendDocument", || {
            let file = InputFile::memory(bytes.clone()).file_name(file_name.to_owned());
            let req = self.bot.send_document(ChatId(chat_id), file).caption(caption).parse_mode(ParseMode::Html);
            async move { req.await.map(drop) }
        })
        .await
    }

    /// Answers a button press, with an alert text when given.
    pub async fn answer_callback(&self, id: &str, alert: Option<String>) -> Result<(), SendError> {
        self.with_retry("answerCallbackQuery", || {
            let mut req = self.bot.answer_callback_query(CallbackQueryId(id.to_owned()));
            if let Some(text) = alert.clone() {
                req = req.text(text).show_alert(true);
            }
            async move { req.await.map(drop) }
        })
        .await
    }

    /// `getMe`: proves the token; returns the bot's username.
    pub async fn username(&self) -> Result<String, SendError> {
        let me = self.bot.get_me().await.map_err(classify)?;
        Ok(me.username.clone().unwrap_or_default())
    }

    /// Registers the command menu for every language (Uzbek also as the default).
    pub async fn set_commands(&self) -> Result<(), SendError> {
        for lang in Lang::ALL {
            let commands: Vec<BotCommand> =
                i18n::commands(lang).iter().map(|c| BotCommand::new(c.command, c.description)).collect();
            self.bot.set_my_commands(commands.clone()).language_code(lang.code()).await.map_err(classify)?;
            if lang == Lang::Uz {
                self.bot.set_my_commands(commands).await.map_err(classify)?;
            }
        }
        Ok(())
    }

    async fn with_retry<F, Fut>(&self, method: &'static str, mut call: F) -> Result<(), SendError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), RequestError>>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match record(method, call().await.map_err(classify)) {
                Err(SendError::RetryAfter(wait)) if wait <= MAX_INLINE_WAIT && attempts < 3 => {
                    tracing::info!(wait_s = wait.as_secs(), "telegram 429, waiting");
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }
}

/// The Bot API client pointed at `TELEGRAM_API_URL`, and its HTTP client (bounded timeouts).
pub fn bot(config: &TelegramConfig) -> Result<(Bot, reqwest::Client), SendError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| SendError::Failed(format!("HTTP client: {e}")))?;
    let bot = Bot::with_client(config.token.expose(), http.clone()).set_api_url(config.api_url.clone());
    Ok((bot, http))
}

/// What went wrong on the network, in words that never include the URL (Bot API URLs carry
/// the token).
pub(crate) fn network_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    }
}

/// Counts a Bot API call by method and result.
fn record(method: &'static str, result: Result<(), SendError>) -> Result<(), SendError> {
    let label = match &result {
        Ok(()) => "ok",
        Err(SendError::RetryAfter(_)) => "429",
        Err(SendError::Unreachable) => "403",
        Err(SendError::Benign(_)) => "benign",
        Err(SendError::Failed(_)) => "error",
    };
    crate::telemetry::metrics::telegram(method, label);
    result
}

/// Maps teloxide-core's errors onto ours; several current server texts land in
/// `ApiError::Unknown`, so 403s are also recognised by prefix.
pub fn classify(e: RequestError) -> SendError {
    match e {
        RequestError::RetryAfter(secs) => SendError::RetryAfter(secs.duration()),
        RequestError::Api(api) => match api {
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::BotKicked => SendError::Unreachable,
            ApiError::MessageNotModified | ApiError::InvalidQueryId => SendError::Benign(api.to_string()),
            ApiError::Unknown(text) if text.starts_with("Forbidden") => SendError::Unreachable,
            ApiError::Unknown(text)
                if text.contains("query is too old") || text.contains("message is not modified") =>
            {
                SendError::Benign(text)
            }
            other => SendError::Failed(other.to_string()),
        },
        RequestError::Network(e) => SendError::Failed(format!("network: {}", network_kind(&e))),
        other => SendError::Failed(other.to_string()),
    }
}
