//! `sendMessage` and `editMessageText` as payloads of our own for teloxide-core's `Bot`: the
//! same JSON as teloxide's payloads, sent and checked the same way (its error decoding, so 429
//! and 403 are classified alike), but the answer's `result` — the sent message, which the bot
//! never reads — is skipped instead of decoded into teloxide's `Message` (every field, and each
//! media kind tried in turn, with an error built for each miss).

use serde::{Serialize, de::IgnoredAny};
use teloxide_core::{
    requests::Payload,
    types::{InlineKeyboardMarkup, ParseMode, ReplyMarkup},
};

/// `sendMessage` with HTML text.
#[derive(Clone, Debug, Serialize)]
pub struct SendHtml {
    pub chat_id: i64,
    pub text: String,
    pub parse_mode: ParseMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<ReplyMarkup>,
}

impl Payload for SendHtml {
    type Output = IgnoredAny;
    const NAME: &'static str = "sendMessage";
}

/// `editMessageText` of a message the bot sent, with HTML text.
#[derive(Clone, Debug, Serialize)]
pub struct EditHtml {
    pub chat_id: i64,
    pub message_id: i32,
    pub text: String,
    pub parse_mode: ParseMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
}

impl Payload for EditHtml {
    type Output = IgnoredAny;
    const NAME: &'static str = "editMessageText";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use teloxide_core::types::{ChatId, KeyboardRemove, MessageId};

    /// The JSON is teloxide's own for the same call.
    #[test]
    fn the_payloads_serialise_like_teloxides() {
        let markup = ReplyMarkup::KeyboardRemove(KeyboardRemove::new());
        let ours = SendHtml {
            chat_id: 42,
            text: "<b>hi</b>".into(),
            parse_mode: ParseMode::Html,
            reply_markup: Some(markup.clone()),
        };
        let mut theirs = teloxide_core::payloads::SendMessage::new(ChatId(42), "<b>hi</b>");
        theirs.parse_mode = Some(ParseMode::Html);
        theirs.reply_markup = Some(markup);
        assert_eq!(json!(ours), json!(theirs));

        let ours =
            EditHtml { chat_id: 42, message_id: 7, text: "x".into(), parse_mode: ParseMode::Html, reply_markup: None };
        let mut theirs = teloxide_core::payloads::EditMessageText::new(ChatId(42), MessageId(7), "x");
        theirs.parse_mode = Some(ParseMode::Html);
        assert_eq!(json!(ours), json!(theirs));
    }
}
