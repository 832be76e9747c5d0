//! Renders the conversation's [`Keyboard`] values into Bot API markup in a language; the reply
//! keyboards' buttons and rows are those of [`menu`].

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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn json_of(keyboard: &Keyboard) -> Value {
        serde_json::to_value(markup(Lang::En, keyboard)).expect("markup serialises")
    }

    #[test]
    fn reply_keyboards_are_laid_out_row_by_row_from_the_menu_table() {
        let menu = json_of(&Keyboard::Menu);
        let texts: Vec<Vec<&str>> = menu["keyboard"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| row.as_array().expect("a row").iter().map(|b| b["text"].as_str().unwrap_or_default()).collect())
            .collect();
        assert_eq!(
            texts,
            [
                vec!["📄 My contracts", "📅 Upcoming payments"],
                vec!["💳 Payment history", "👤 Profile"],
                vec!["🔔 Reminders", "🌐 Language"],
                vec!["☎️ Contact us"],
            ]
        );
        assert_eq!((menu["resize_keyboard"].clone(), menu["is_persistent"].clone()), (json!(true), json!(true)));
        let contact = json_of(&Keyboard::RequestContact);
        assert_eq!(
            contact["keyboard"],
            json!([[{"text": "📱 Share my phone number", "request_contact": true}], [{"text": "✖️ Cancel"}]])
        );
        assert_eq!(contact["resize_keyboard"], json!(true));
        assert!(contact.get("is_persistent").is_none_or(|p| p == &json!(false)), "{contact}");
    }
}
