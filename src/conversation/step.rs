//! The pure transition function of the conversation: no I/O, time as an argument.

use chrono::{DateTime, Utc};

use super::effect::{Effect, InlineLabel, Keyboard};
use super::event::{Callback, Command, ContractRef, Event, Input, Lookup, Outcome, Refresh, View, WriteResult};
use super::menu::{self, Press, pressed};
use super::passport;
use super::state::{Chat, CustomerRecord, Session, State};
use crate::format::mask::phone_key;
use crate::i18n::{Label, Lang, Msg};

/// The configured rules the conversation follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Ask for the user's own contact after the passport (F1 second factor).
    pub require_phone: bool,
    /// Failed passport or phone attempts allowed inside `attempt_window_secs`.
    pub max_attempts: u32,
    pub attempt_window_secs: i64,
    /// Shown in refusals and "Contact us".
    pub support: Option<String>,
}

/// Applies one event to a chat: returns the chat's next value and what to do, in order.
pub fn step(policy: &Policy, mut chat: Chat, event: Event, now: DateTime<Utc>) -> (Chat, Vec<Effect>) {
    let now = now.timestamp();
    chat.failures.retain(|t| *t > now - policy.attempt_window_secs);
    let mut m = Machine { policy, chat, now, out: Vec::new() };
    match event {
        Event::Input(Input::Callback(cb)) => m.callback(cb),
        Event::Input(input) => m.input(input),
        Event::Outcome(outcome) => m.outcome(outcome),
    }
    (m.chat, m.out)
}

struct Machine<'a> {
    policy: &'a Policy,
    chat: Chat,
    now: i64,
    out: Vec<Effect>,
}

impl Machine<'_> {
    fn reply(&mut self, msg: Msg, keyboard: Keyboard) {
        self.out.push(Effect::Reply { msg, keyboard });
    }

    fn support(&self) -> Option<String> {
        self.policy.support.clone()
    }

    /// The keyboard that fits the current state, for replies that do not change it.
    fn state_keyboard(&self) -> Keyboard {
        match self.chat.state {
            State::Linked(_) | State::ConfirmingLogout(_) => Keyboard::Menu,
            State::AwaitingContact { .. } => Keyboard::RequestContact,
            State::New | State::AwaitingPassport => Keyboard::None,
        }
    }

    fn fail_attempt(&mut self) {
        self.chat.failures.push(self.now);
    }

    /// Minutes until the oldest failure leaves the window, when the user is locked out.
    fn locked_out_for(&self) -> Option<u64> {
        if self.chat.failures.len() < self.policy.max_attempts as usize {
            return None;
        }
        let oldest = self.chat.failures.iter().min().copied().unwrap_or(self.now);
        let secs = (oldest + self.policy.attempt_window_secs - self.now).max(1);
        Some((secs as u64).div_ceil(60))
    }

    fn input(&mut self, input: Input) {
        // Inputs that mean the same in every state and need no ERPNext.
        match (&input, pressed(&input)) {
            (Input::Command(Command::Help), _) => {
                let kb = self.state_keyboard();
                return self.reply(Msg::Help { support: self.support() }, kb);
            }
            (Input::Command(Command::Lang), _) | (_, Some(Press::ChooseLanguage)) => {
                return self.reply(Msg::ChooseLanguage, language_keyboard());
            }
            (_, Some(Press::ContactUs)) => {
                let kb = self.state_keyboard();
                return self.reply(Msg::ContactUs { support: self.support() }, kb);
            }
            _ => {}
        }
        match self.chat.state.clone() {
            State::New => self.out.push(Effect::FindLinkedCustomer { then: input }),
            State::AwaitingPassport => self.awaiting_passport(input),
            State::AwaitingContact { customer } => self.awaiting_contact(customer, input),
            State::Linked(session) => self.linked(session, input),
            State::ConfirmingLogout(session) => {
                // Anything but the confirmation buttons drops the question.
                self.chat.state = State::Linked(session.clone());
                self.linked(session, input);
            }
        }
    }

    fn awaiting_passport(&mut self, input: Input) {
        match input {
            Input::Command(Command::Start) => self.reply(Msg::Greeting, Keyboard::Remove),
            Input::Text(text) => self.passport(&text),
            Input::Unsupported => self.reply(Msg::TextExpected, Keyboard::None),
            _ => self.reply(Msg::AskPassport, Keyboard::Remove),
        }
    }

    fn passport(&mut self, text: &str) {
        let Some(passport) = passport::normalise(text) else {
            return self.reply(Msg::PassportFormat, Keyboard::None);
        };
        if let Some(minutes) = self.locked_out_for() {
            return self.reply(Msg::TooManyAttempts { minutes }, Keyboard::None);
        }
        self.out.push(Effect::LookupPassport { passport });
    }

    fn awaiting_contact(&mut self, customer: String, input: Input) {
        let cancel = pressed(&input) == Some(&Press::CancelContact);
        match input {
            Input::Command(Command::Start) => self.cancel_contact(),
            _ if cancel => self.cancel_contact(),
            Input::Contact { phone, own } => {
                if let Some(minutes) = self.locked_out_for() {
                    return self.reply(Msg::TooManyAttempts { minutes }, Keyboard::RequestContact);
                }
                if !own {
                    self.fail_attempt();
                    return self.reply(Msg::ContactNotOwn, Keyboard::RequestContact);
                }
                self.out.push(Effect::FetchForContact { customer, phone });
            }
            _ => self.reply(Msg::ContactExpected, Keyboard::RequestContact),
        }
    }

    /// /start or Cancel while the contact is awaited: the passport question again.
    fn cancel_contact(&mut self) {
        self.chat.state = State::AwaitingPassport;
        self.reply(Msg::AskPassport, Keyboard::Remove);
    }

    fn linked(&mut self, session: Session, input: Input) {
        match input {
            Input::Command(Command::Start) => self.refresh(session, Refresh::WelcomeBack),
            Input::Command(Command::Menu) => self.reply(Msg::Menu, Keyboard::Menu),
            Input::Command(Command::Logout) => self.ask_logout(session),
            Input::Button(label) => self.menu_press(session, menu::press(label)),
            _ => self.reply(Msg::NotUnderstood, Keyboard::Menu),
        }
    }

    /// A reply-keyboard button of a linked customer ([`menu::MENU`]).
    fn menu_press(&mut self, session: Session, press: Option<&Press>) {
        match press {
            Some(Press::Show(view)) => self.show(&session, view.clone(), false),
            Some(Press::Profile) => self.refresh(session, Refresh::Profile),
            Some(Press::ToggleReminders) => {
                self.chat.reminders_off = !self.chat.reminders_off;
                let msg = if self.chat.reminders_off { Msg::RemindersOff } else { Msg::RemindersOn };
                self.reply(msg, Keyboard::Menu);
            }
            // Language and Contact us are answered in every state before this; the contact
            // keyboard's buttons mean nothing to a linked customer.
            Some(Press::ChooseLanguage | Press::ContactUs | Press::ShareContact | Press::CancelContact) | None => {
                self.reply(Msg::NotUnderstood, Keyboard::Menu)
            }
        }
    }

    fn show(&mut self, session: &Session, view: View, edit: bool) {
        self.out.push(Effect::Show { customer: session.customer.clone(), view, edit });
    }

    /// A contract button: shown only when the token names one of the customer's contracts.
    fn contract_button(&mut self, session: Session, token: &ContractRef, view: fn(String) -> View, edit: bool) {
        match token.resolve(&session.contracts).cloned() {
            Some(name) => {
                self.out.push(Effect::AnswerCallback { alert: None });
                self.chat.state = State::Linked(session.clone());
                self.show(&session, view(name), edit);
            }
            None => self.out.push(Effect::AnswerCallback { alert: Some(Msg::ButtonExpired) }),
        }
    }

    fn refresh(&mut self, session: Session, then: Refresh) {
        self.out.push(Effect::RefreshCustomer { customer: session.customer, then });
    }

    fn ask_logout(&mut self, session: Session) {
        self.chat.state = State::ConfirmingLogout(session);
        let buttons = vec![vec![
            (InlineLabel::Text(Label::LogoutYes), Callback::LogoutYes),
            (InlineLabel::Text(Label::LogoutNo), Callback::LogoutNo),
        ]];
        self.reply(Msg::ConfirmLogout, Keyboard::Inline(buttons));
    }

    fn callback(&mut self, cb: Callback) {
        let answer = |m: &mut Self, alert| m.out.push(Effect::AnswerCallback { alert });
        match (cb, self.chat.state.clone()) {
            (Callback::SetLang(lang), _) => {
                answer(self, None);
                self.chat.lang = lang;
                let kb = self.state_keyboard();
                self.reply(Msg::LanguageChanged, kb);
            }
            (Callback::Contracts { page }, State::Linked(session) | State::ConfirmingLogout(session)) => {
                answer(self, None);
                self.chat.state = State::Linked(session.clone());
                self.show(&session, View::Contracts { page }, true);
            }
            (Callback::Contract(r), State::Linked(s) | State::ConfirmingLogout(s)) => {
                self.contract_button(s, &r, View::Contract, true)
            }
            (Callback::Schedule(r), State::Linked(s) | State::ConfirmingLogout(s)) => {
                self.contract_button(s, &r, View::Schedule, true)
            }
            (Callback::Payments(r), State::Linked(s) | State::ConfirmingLogout(s)) => {
                self.contract_button(s, &r, View::Payments, true)
            }
            (Callback::Pdf(r), State::Linked(s) | State::ConfirmingLogout(s)) => {
                self.contract_button(s, &r, View::Pdf, false)
            }
            (Callback::LogoutAsk, State::Linked(session) | State::ConfirmingLogout(session)) => {
                answer(self, None);
                self.ask_logout(session);
            }
            (Callback::LogoutYes, State::ConfirmingLogout(session)) => {
                answer(self, None);
                self.out.push(Effect::ClearLink { session });
            }
            (Callback::LogoutNo, State::ConfirmingLogout(session)) => {
                answer(self, None);
                self.chat.state = State::Linked(session);
                self.reply(Msg::LogoutCancelled, Keyboard::Menu);
            }
            _ => answer(self, Some(Msg::ButtonExpired)),
        }
    }

    fn outcome(&mut self, outcome: Outcome) {
        let state = self.chat.state.clone();
        match (outcome, state) {
            (Outcome::LinkLookup { result, then }, State::New) => self.restored(result, then),
            (Outcome::PassportLookup(result), State::AwaitingPassport) => self.passport_found(result),
            (Outcome::ContactCustomer { result, phone }, State::AwaitingContact { .. }) => {
                self.contact_checked(result, &phone)
            }
            (Outcome::LinkWritten { record, result }, _) => self.link_written(record, result),
            (Outcome::Refreshed { result, then }, State::Linked(session)) => self.refreshed(session, result, then),
            (Outcome::AccountDisabled, State::Linked(_) | State::ConfirmingLogout(_)) => self.disabled(),
            (Outcome::ContractsSeen(names), State::Linked(session)) => {
                self.chat.state = State::Linked(Session { contracts: names, ..session });
            }
            (Outcome::LinkCleared { ok }, State::ConfirmingLogout(session)) => {
                if ok {
                    self.chat.state = State::New;
                    self.reply(Msg::LoggedOut, Keyboard::Remove);
                } else {
                    self.chat.state = State::Linked(session);
                    self.reply(Msg::ErpUnavailable, Keyboard::Menu);
                }
            }
            // An outcome that no longer fits the state changes nothing.
            _ => {}
        }
    }

    /// F2: the link lookup for a chat without a session.
    fn restored(&mut self, result: Lookup, then: Input) {
        match result {
            Lookup::Found(record) if record.is_linked_to(self.chat.user_id) && record.disabled => self.disabled(),
            Lookup::Found(record) if record.is_linked_to(self.chat.user_id) => {
                let session = record.session();
                self.chat.state = State::Linked(session.clone());
                match then {
                    // Just read from ERPNext: the profile needs no second read.
                    Input::Button(label) if menu::press(label) == Some(&Press::Profile) => self.profile(&session),
                    Input::Command(Command::Start | Command::Menu)
                    | Input::Text(_)
                    | Input::Unsupported
                    | Input::Contact { .. } => self.welcome_back(&session),
                    other => self.linked(session, other),
                }
            }
            Lookup::Found(_) | Lookup::NotFound => {
                self.chat.state = State::AwaitingPassport;
                match then {
                    Input::Text(text) if passport::normalise(&text).is_some() => self.passport(&text),
                    _ => self.reply(Msg::Greeting, Keyboard::Remove),
                }
            }
            Lookup::Unavailable => self.reply(Msg::ErpUnavailable, Keyboard::None),
        }
    }

    fn passport_found(&mut self, result: Lookup) {
        let user = self.chat.user_id;
        match result {
            Lookup::NotFound => {
                self.fail_attempt();
                self.reply(Msg::PassportNotFound, Keyboard::None);
            }
            Lookup::Found(record) if record.is_linked_elsewhere(user) => {
                self.fail_attempt();
                self.reply(Msg::AlreadyLinked { support: self.support() }, Keyboard::None);
            }
            Lookup::Found(record) if self.policy.require_phone && !record.is_linked_to(user) => {
                self.chat.state = State::AwaitingContact { customer: record.name };
                self.reply(Msg::AskContact, Keyboard::RequestContact);
            }
            Lookup::Found(record) => self.verified(record),
            Lookup::Unavailable => self.reply(Msg::ErpUnavailable, Keyboard::None),
        }
    }

    /// Both factors passed (or the only one, or the record already holds this user's id):
    /// link, unless the shop disabled the customer. A disabled customer is told so only now,
    /// so the refusal never tells a stranger more than a wrong passport or phone would.
    fn verified(&mut self, record: CustomerRecord) {
        if record.disabled {
            self.disabled();
        } else if record.is_linked_to(self.chat.user_id) {
            self.now_linked(&record);
        } else {
            self.out.push(Effect::WriteLink { record });
        }
    }

    /// The customer is disabled in ERPNext: the session ends here, the link in ERPNext stays
    /// (so access comes back by itself when the shop enables the customer), and every later
    /// input asks ERPNext again (state `New`).
    fn disabled(&mut self) {
        self.chat.state = State::New;
        self.reply(Msg::AccountDisabled { support: self.support() }, Keyboard::Remove);
    }

    fn contact_checked(&mut self, result: Lookup, phone: &str) {
        let user = self.chat.user_id;
        match result {
            Lookup::Found(record) if record.is_linked_elsewhere(user) => {
                self.chat.state = State::AwaitingPassport;
                self.reply(Msg::AlreadyLinked { support: self.support() }, Keyboard::Remove);
            }
            Lookup::Found(record) if phone_matches(&record, phone) => self.verified(record),
            Lookup::Found(_) => {
                self.fail_attempt();
                self.reply(Msg::PhoneMismatch { support: self.support() }, Keyboard::RequestContact);
            }
            Lookup::NotFound => {
                self.chat.state = State::AwaitingPassport;
                self.reply(Msg::PassportNotFound, Keyboard::Remove);
            }
            Lookup::Unavailable => self.reply(Msg::ErpUnavailable, Keyboard::RequestContact),
        }
    }

    fn link_written(&mut self, record: CustomerRecord, result: WriteResult) {
        match result {
            WriteResult::Written => self.now_linked(&record),
            WriteResult::Clash => {
                self.chat.state = State::AwaitingPassport;
                self.reply(Msg::AlreadyLinked { support: self.support() }, Keyboard::Remove);
            }
            WriteResult::Unavailable => {
                let kb = self.state_keyboard();
                self.reply(Msg::ErpUnavailable, kb);
            }
        }
    }

    fn now_linked(&mut self, record: &CustomerRecord) {
        let session = record.session();
        self.reply(Msg::Linked { profile: session.profile() }, Keyboard::Menu);
        self.chat.state = State::Linked(session);
    }

    fn welcome_back(&mut self, session: &Session) {
        let lead = Msg::WelcomeBack { profile: session.profile() };
        self.out.push(Effect::Welcome { lead, customer: session.customer.clone() });
    }

    fn refreshed(&mut self, old: Session, result: Lookup, then: Refresh) {
        match result {
            Lookup::Found(record) if record.is_linked_to(self.chat.user_id) && record.disabled => self.disabled(),
            Lookup::Found(record) if record.is_linked_to(self.chat.user_id) => {
                let session = old.refreshed(record.session());
                self.chat.state = State::Linked(session.clone());
                match then {
                    Refresh::WelcomeBack => self.welcome_back(&session),
                    Refresh::Profile => self.profile(&session),
                }
            }
            Lookup::Found(_) | Lookup::NotFound => {
                // The link was cleared or moved in ERPNext: the session is gone (F2).
                self.chat.state = State::AwaitingPassport;
                self.reply(Msg::LinkGone, Keyboard::Remove);
                self.reply(Msg::AskPassport, Keyboard::None);
            }
            Lookup::Unavailable => self.reply(Msg::ErpUnavailable, Keyboard::Menu),
        }
    }

    fn profile(&mut self, session: &Session) {
        let logout = vec![vec![(InlineLabel::Text(Label::Logout), Callback::LogoutAsk)]];
        self.reply(Msg::Profile { profile: session.profile() }, Keyboard::Inline(logout));
    }
}

fn language_keyboard() -> Keyboard {
    let row = Lang::ALL.into_iter().map(|l| (InlineLabel::Language(l), Callback::SetLang(l))).collect();
    Keyboard::Inline(vec![row])
}

/// The shared phone matches when its last nine digits equal those of any phone on file.
fn phone_matches(record: &CustomerRecord, shared: &str) -> bool {
    let Some(key) = phone_key(shared) else {
        return false;
    };
    record.phones.iter().filter_map(|p| phone_key(p)).any(|p| p == key)
}

#[cfg(test)]
mod tests;
