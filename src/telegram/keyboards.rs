//! Renders the conversation's [`Keyboard`] values into Bot API markup in a language.

use teloxide_core::types::{
    ButtonRequest, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup, KeyboardRemove,
    ReplyMarkup,
};

use crate::conversation::Keyboard;
use crate::conversation::effect::InlineLabel;
use crate::conversation::menu::{self, Button, Press};
use crate::i18n::{self, Lang};

pub fn markup(lang: Lang, keyboard: &Keyboard) -> Option<ReplyMarkup> {
    match keyboard {
        Keyboard::None => None,
        Keyboard::Menu => Some(ReplyMarkup::Keyboard(reply(lang, menu::MENU).resize_keyboard().persistent())),
        Keyboard::RequestContact => Some(ReplyMarkup::Keyboard(reply(lang, menu::CONTACT).resize_keyboard())),
        Keyboard::Remove => Some(ReplyMarkup::KeyboardRemove(KeyboardRemove::new())),
        Keyboard::Inline(rows) => {
            let rows = rows.iter().map(|row| {
                row.iter()
                    .map(|(label, cb)| {
                        let text = match label {
                            InlineLabel::Text(l) => i18n::label(lang, *l),
                            InlineLabel::Language(l) => i18n::language_name(*l),
                            InlineLabel::Raw(text) => text.as_str(),
                        };
                        InlineKeyboardButton::callback(text, cb.encode())
                    })
                    .collect::<Vec<_>>()
            });
            Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(rows)))
        }
    }
}

/// A reply keyboard of [`menu`], row by row, in a language.
fn reply(lang: Lang, rows: &[&[Button]]) -> KeyboardMarkup {
    let rows = rows.iter().map(|row| {
        row.iter()
            .map(|b| {
                let key = KeyboardButton::new(i18n::label(lang, b.label));
                if b.press == Press::ShareContact { key.request(ButtonRequest::Contact) } else { key }
            })
            .collect::<Vec<_>>()
    });
    KeyboardMarkup::new(rows)
}
