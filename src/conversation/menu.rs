//! The reply keyboards as one table: each button's label, its place (keyboard, row, column)
//! and what pressing it does. The Bot API markup (`telegram::keyboards`), the recognition of a
//! press from its text ([`label_for_text`]) and the routing in [`super::step`] are read from
//! here. The words of each label are in the language files (`i18n::{uz,ru,en}`, `label()`),
//! one place per language; the tests below go through this table in every language.
//!
//! Adding a menu entry: a [`Label`] with its words in each language, a row here, and, for a new
//! kind of press, its arm in `step`.

use super::event::{Input, View};
use crate::i18n::{self, Label, Lang};

/// What pressing a reply-keyboard button does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Press {
    /// In every state: offers the language buttons, as `/lang` does.
    ChooseLanguage,
    /// In every state: the support contact.
    ContactUs,
    /// Linked: a view of the customer's data, in a new message.
    Show(View),
    /// Linked: the customer's profile, re-read from ERPNext.
    Profile,
    /// Linked: switches reminders off, or on again.
    ToggleReminders,
    /// The contact keyboard's `request_contact` button: Telegram sends the contact itself. Its
    /// text alone (typed, or from a client without the button) does nothing of its own.
    ShareContact,
    /// Waiting for the contact: back to the passport question.
    CancelContact,
}

/// A button of a reply keyboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub label: Label,
    pub press: Press,
}

const fn button(label: Label, press: Press) -> Button {
    Button { label, press }
}

/// The main menu of a linked customer, row by row (PRODUCT.md F3).
pub const MENU: &[&[Button]] = &[
    &[
        button(Label::MyContracts, Press::Show(View::Contracts { page: 0 })),
        button(Label::Upcoming, Press::Show(View::Upcoming)),
    ],
    &[button(Label::PaymentHistory, Press::Show(View::History)), button(Label::Profile, Press::Profile)],
    &[button(Label::Reminders, Press::ToggleReminders), button(Label::Language, Press::ChooseLanguage)],
    &[button(Label::ContactUs, Press::ContactUs)],
];

/// The keyboard that asks for the user's own phone number (F1 second factor), row by row.
pub const CONTACT: &[&[Button]] =
    &[&[button(Label::SharePhone, Press::ShareContact)], &[button(Label::Cancel, Press::CancelContact)]];

/// Every reply keyboard. A press arrives as the text of its button.
const KEYBOARDS: [&[&[Button]]; 2] = [MENU, CONTACT];

/// Every reply-keyboard button: keyboard by keyboard, row by row.
pub fn buttons() -> impl Iterator<Item = &'static Button> {
    KEYBOARDS.into_iter().flatten().flat_map(|row| row.iter())
}

/// What the button with this label does; `None` for a label on no reply keyboard.
pub fn press(label: Label) -> Option<&'static Press> {
    buttons().find(|b| b.label == label).map(|b| &b.press)
}

/// What an input presses, if it is a reply-keyboard button.
pub fn pressed(input: &Input) -> Option<&'static Press> {
    match input {
        Input::Button(label) => press(*label),
        _ => None,
    }
}

/// Maps the text of a reply-keyboard press back to its label, whatever language it was in, so
/// routing never depends on the chat's current language.
pub fn label_for_text(text: &str) -> Option<Label> {
    let text = text.trim();
    buttons().map(|b| b.label).find(|l| Lang::ALL.into_iter().any(|lang| i18n::label(lang, *l) == text))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn reply_labels_map_back_unambiguously_in_every_language() {
        for lang in Lang::ALL {
            for l in buttons().map(|b| b.label) {
                assert_eq!(label_for_text(i18n::label(lang, l)), Some(l), "{lang:?} {l:?}");
            }
        }
        assert_eq!(label_for_text("AA1234567"), None);
    }

    #[test]
    fn every_button_has_its_own_words_in_every_language() {
        for lang in Lang::ALL {
            let mut seen = HashSet::new();
            for b in buttons() {
                let text = i18n::label(lang, b.label);
                assert!(!text.trim().is_empty(), "{lang:?} {:?} has no words", b.label);
                assert_eq!(text, text.trim(), "{lang:?} {:?}: a press arrives trimmed", b.label);
                assert!(seen.insert(text), "{lang:?}: {text:?} is on two buttons");
            }
        }
    }

    #[test]
    fn every_label_is_on_one_button_only() {
        let mut labels = HashSet::new();
        for b in buttons() {
            assert!(labels.insert(b.label), "{:?} is on two buttons", b.label);
        }
    }
}
