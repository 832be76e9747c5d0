//! From a Telegram `Update` to what the service acts on. Kinds we never act on become
//! [`Incoming::Ignored`] and are acknowledged with a 2xx, so Telegram does not retry them.

use teloxide_core::types::{ChatMemberKind, Message, Update, UpdateKind};

use crate::conversation::menu::label_for_text;
use crate::conversation::{Callback, Command, Input};

#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Input from a private chat, for the conversation.
    Private {
        chat_id: i64,
        user_id: i64,
        language_code: Option<String>,
        input: Input,
        /// Set for button presses: every one is answered.
        callback_id: Option<String>,
        /// The message a pressed button belongs to (edited in place by views).
        message_id: Option<i32>,
    },
    /// A message in a group or supergroup.
    Group { chat_id: i64, language_code: Option<String> },
    /// The user blocked (`false`) or unblocked (`true`) the bot.
    Membership { chat_id: i64, reachable: bool },
    /// Nothing to act on; the reason goes to the log.
    Ignored(&'static str),
}

impl Incoming {
    /// The metric label of the update's kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Incoming::Private { callback_id: Some(_), .. } => "callback",
            Incoming::Private { .. } => "message",
            Incoming::Group { .. } => "group",
            Incoming::Membership { .. } => "membership",
            Incoming::Ignored(_) => "ignored",
        }
    }

    pub fn chat_id(&self) -> Option<i64> {
        match self {
            Incoming::Private { chat_id, .. }
            | Incoming::Group { chat_id, .. }
            | Incoming::Membership { chat_id, .. } => Some(*chat_id),
            Incoming::Ignored(_) => None,
        }
    }
}

pub fn classify(update: &Update) -> Incoming {
    match &update.kind {
        UpdateKind::Message(msg) => message(msg),
        UpdateKind::CallbackQuery(q) => {
            let Some(chat) = q.message.as_ref().map(|m| m.chat()) else {
                return Incoming::Ignored("callback without a message");
            };
            if !chat.is_private() {
                return Incoming::Ignored("callback in a group");
            }
            let data = q.data.as_deref().unwrap_or_default();
            Incoming::Private {
                chat_id: chat.id.0,
                user_id: q.from.id.0 as i64,
                language_code: q.from.language_code.clone(),
                input: Input::Callback(Callback::decode(data)),
                callback_id: Some(q.id.0.clone()),
                message_id: q.message.as_ref().map(|m| m.id().0),
            }
        }
        UpdateKind::MyChatMember(m) if m.chat.is_private() => {
            let reachable = !matches!(m.new_chat_member.kind, ChatMemberKind::Banned(_) | ChatMemberKind::Left);
            Incoming::Membership { chat_id: m.chat.id.0, reachable }
        }
        UpdateKind::MyChatMember(_) => Incoming::Ignored("membership change in a group"),
        UpdateKind::EditedMessage(_) => Incoming::Ignored("edited message"),
        UpdateKind::Error(_) => Incoming::Ignored("unknown update kind"),
        _ => Incoming::Ignored("update kind not handled"),
    }
}

fn message(msg: &Message) -> Incoming {
    if !msg.chat.is_private() {
        if msg.chat.is_channel() {
            return Incoming::Ignored("channel post");
        }
        let language_code = msg.from.as_ref().and_then(|u| u.language_code.clone());
        return Incoming::Group { chat_id: msg.chat.id.0, language_code };
    }
    let Some(from) = msg.from.as_ref() else {
        return Incoming::Ignored("message without sender");
    };
    let user_id = from.id.0 as i64;
    let input = if let Some(contact) = msg.contact() {
        Input::Contact { phone: contact.phone_number.clone(), own: contact.user_id.is_some_and(|id| id == from.id) }
    } else if let Some(text) = msg.text() {
        text_input(text)
    } else {
        Input::Unsupported
    };
    Incoming::Private {
        chat_id: msg.chat.id.0,
        user_id,
        language_code: from.language_code.clone(),
        input,
        callback_id: None,
        message_id: None,
    }
}

/// A command, a reply-keyboard button (recognised in any language), or free text.
pub fn text_input(text: &str) -> Input {
    if let Some(cmd) = Command::parse(text) {
        return Input::Command(cmd);
    }
    if text.trim_start().starts_with('/') {
        // An unknown command is free text the bot does not understand.
        return Input::Text(text.to_owned());
    }
    label_for_text(text).map_or_else(|| Input::Text(text.to_owned()), Input::Button)
}
