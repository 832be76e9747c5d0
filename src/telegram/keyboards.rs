//! Renders the conversation's [`Keyboard`] values into Bot API markup in a language.

use teloxide_core::types::{
    ButtonRequest, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup, KeyboardRemove,
    ReplyMarkup,
};

use crate::conversation::Keyboard;
use crate::conversation::effect::InlineLabel;
use crate::i18n::{self, Label, Lang};

/// The main menu rows. Views join this list when they exist (PRODUCT.md F3).
const MENU: &[&[Label]] = &[
    &[Label::MyContracts, Label::Upcoming],
    &[Label::PaymentHistory, Label::Profile],
    &[Label::Reminders, Label::Language],
    &[Label::ContactUs],
];

pub fn markup(lang: Lang, keyboard: &Keyboard) -> Option<ReplyMarkup> {
    match keyboard {
        Keyboard::None => None,
        Keyboard::Menu => {
            let rows = MENU
                .iter()
                .map(|row| row.iter().map(|l| KeyboardButton::new(i18n::label(lang, *l))).collect::<Vec<_>>());
            Some(ReplyMarkup::Keyboard(KeyboardMarkup::new(rows).resize_keyboard().persistent()))
        }
        Keyboard::RequestContact => {
            let share = KeyboardButton::new(i18n::label(lang, Label::SharePhone)).request(ButtonRequest::Contact);
            let cancel = KeyboardButton::new(i18n::label(lang, Label::Cancel));
            Some(ReplyMarkup::Keyboard(KeyboardMarkup::new(vec![vec![share], vec![cancel]]).resize_keyboard()))
        }
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
