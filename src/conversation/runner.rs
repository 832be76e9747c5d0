//! The effect runner: the only conversation code that does I/O. Given a chat loaded under its
//! update's lease (by [`crate::lifecycle`], which owns the update's life), it feeds the input
//! to [`step`], performs the effects in order (feeding ERPNext results back as events) and
//! returns the chat to save.

use std::collections::VecDeque;

use chrono::Utc;

use super::Keyboard;
use super::effect::Effect;
use super::event::{Event, Input, Lookup, Outcome, Refresh, View, WriteResult};
use super::state::{Chat, CustomerRecord};
use super::step::{Policy, step};
use crate::erpnext::{ErpClient, ErpError, customer::LinkWrite};
use crate::format::split::{TELEGRAM_LIMIT, visible_len};
use crate::i18n::{self, Lang, Msg};
use crate::store::{Loaded, Store, StoreError};
use crate::telegram::{SendError, TelegramClient, keyboards};
use crate::views::{self, Screen, Shown};
use teloxide_core::types::ReplyMarkup;

/// A guard against effect loops: no input needs more rounds than this.
const MAX_ROUNDS: usize = 8;

/// Everything the runner talks to; cheap to clone.
#[derive(Clone)]
pub struct Runner {
    pub erp: ErpClient,
    pub telegram: TelegramClient,
    pub store: Store,
    pub policy: Policy,
    /// The business's time zone: "today" for due dates.
    pub timezone: chrono_tz::Tz,
}

/// One private-chat input, as taken from the update.
#[derive(Debug)]
pub struct Delivery {
    pub chat_id: i64,
    pub user_id: i64,
    pub language_code: Option<String>,
    pub input: Input,
    pub callback_id: Option<String>,
    pub message_id: Option<i32>,
}

/// Where one update's replies go and how sending them went: the chat, the message to edit, the
/// callback to answer, and whether the chat turned out unreachable (then nothing more is sent).
struct ReplyState {
    chat_id: i64,
    callback_id: Option<String>,
    message_id: Option<i32>,
    unreachable: bool,
    /// The summary of a customer, loaded while the customer was re-read for a welcome.
    prefetched: Option<(String, Result<Shown, ErpError>)>,
}

impl Runner {
    /// Runs the conversation; returns the chat record when it must be saved.
    pub async fn process(&self, d: Delivery, loaded: Loaded) -> Option<Chat> {
        let mut chat = loaded.chat;
        chat.user_id = d.user_id;
        let before = chat.clone();
        let mut reply = ReplyState {
            chat_id: d.chat_id,
            callback_id: d.callback_id,
            message_id: d.message_id,
            unreachable: false,
            prefetched: None,
        };
        if loaded.reset {
            tracing::warn!(chat.id = d.chat_id, "stored chat state could not be decoded; starting over");
            self.send(&mut reply, chat.lang, &Msg::SessionReset, &Keyboard::Remove).await;
        }
        let mut queue = VecDeque::from([Event::Input(d.input)]);
        let mut rounds = 0;
        while let Some(event) = queue.pop_front() {
            rounds += 1;
            if rounds > MAX_ROUNDS {
                tracing::error!(chat.id = d.chat_id, "conversation did not settle; dropping the rest");
                break;
            }
            let (next, effects) = step(&self.policy, chat, event, Utc::now());
            chat = next;
            for effect in effects {
                if let Some(outcome) = self.perform(&chat, effect, &mut reply).await {
                    queue.push_back(Event::Outcome(outcome));
                }
            }
        }
        (chat != before || loaded.fresh || loaded.reset).then_some(chat)
    }

    async fn perform(&self, chat: &Chat, effect: Effect, reply: &mut ReplyState) -> Option<Outcome> {
        let user = chat.user_id;
        match effect {
            Effect::Reply { msg, keyboard } => {
                self.send(reply, chat.lang, &msg, &keyboard).await;
                None
            }
            Effect::AnswerCallback { alert } => {
                if let Some(id) = reply.callback_id.take() {
                    let alert = alert.map(|m| i18n::render(chat.lang, &m));
                    if let Err(e) = self.telegram.answer_callback(&id, alert).await {
                        tracing::debug!(error = %e, "answerCallbackQuery failed");
                    }
                }
                None
            }
            Effect::FindLinkedCustomer { then } => {
                let result = lookup(self.erp.customer_by_telegram(user).await, "find linked customer");
                Some(Outcome::LinkLookup { result, then })
            }
            Effect::LookupPassport { passport } => {
                let result = lookup(self.erp.customer_by_passport(&passport).await, "passport lookup");
                Some(Outcome::PassportLookup(result))
            }
            Effect::FetchForContact { customer, phone } => {
                let result = lookup(self.erp.customer(&customer).await, "customer for contact check");
                Some(Outcome::ContactCustomer { result, phone })
            }
            Effect::WriteLink { record } => Some(self.write_link(record, user).await),
            Effect::RefreshCustomer { customer, then: Refresh::WelcomeBack } => {
                // The welcome shows the summary: read it while the link is re-checked. It is
                // shown only if the re-read customer is still this user's (then the same name).
                let summary = views::load::load(&self.erp, &customer, &View::Summary, chat.lang, self.today());
                let (record, summary) = tokio::join!(self.erp.customer(&customer), summary);
                reply.prefetched = Some((customer, summary));
                let result = lookup(record, "refresh customer");
                Some(Outcome::Refreshed { result, then: Refresh::WelcomeBack })
            }
            Effect::RefreshCustomer { customer, then } => {
                let result = lookup(self.erp.customer(&customer).await, "refresh customer");
                Some(Outcome::Refreshed { result, then })
            }
            Effect::ClearLink { session } => {
                let ok = match self.erp.unlink_telegram(&session.customer, user).await {
                    Ok(()) => {
                        tracing::info!(chat.id = reply.chat_id, erp.customer = %session.customer, "customer logged out");
                        true
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "clearing the Telegram link failed");
                        false
                    }
                };
                Some(Outcome::LinkCleared { ok })
            }
            Effect::Show { customer, view, edit } => {
                // The customer is re-read beside the view, concurrently (no extra wait): a
                // customer disabled in ERPNext loses access at their next update. A failed
                // re-read does not hold back a view that loaded.
                let loaded = views::load::load(&self.erp, &customer, &view, chat.lang, self.today());
                let (record, loaded) = tokio::join!(self.erp.customer(&customer), loaded);
                if record.is_ok_and(|r| r.is_some_and(|r| r.disabled)) {
                    tracing::info!(chat.id = reply.chat_id, erp.customer = %customer, "customer is disabled in ERPNext; session ended");
                    return Some(Outcome::AccountDisabled);
                }
                self.show(chat.lang, &view, edit, loaded, reply).await
            }
            Effect::Welcome { lead, customer } => {
                let loaded = match reply.prefetched.take() {
                    Some((prefetched, loaded)) if prefetched == customer => loaded,
                    _ => views::load::load(&self.erp, &customer, &View::Summary, chat.lang, self.today()).await,
                };
                self.welcome(chat.lang, &lead, loaded, reply).await
            }
        }
    }

    /// The welcome and the summary in one message with the main menu; when they do not fit
    /// one message, or the summary could not be loaded, the welcome goes first on its own.
    async fn welcome(
        &self,
        lang: Lang,
        lead: &Msg,
        loaded: Result<Shown, ErpError>,
        reply: &mut ReplyState,
    ) -> Option<Outcome> {
        let text = i18n::render(lang, lead);
        match loaded {
            Ok(Shown::Screen { mut screen, contracts })
                if screen.chunks.len() == 1
                    && screen
                        .chunks
                        .first()
                        .is_some_and(|c| visible_len(&text) + 2 + visible_len(c) <= TELEGRAM_LIMIT) =>
            {
                let summary = screen.chunks.remove(0);
                screen.chunks = vec![format!("{text}\n\n{summary}")];
                screen.keyboard = Keyboard::Menu;
                self.present(reply, lang, screen, false).await;
                contracts.map(Outcome::ContractsSeen)
            }
            other => {
                self.send(reply, lang, lead, &Keyboard::Menu).await;
                self.show(lang, &View::Summary, false, other, reply).await
            }
        }
    }

    fn today(&self) -> chrono::NaiveDate {
        Utc::now().with_timezone(&self.timezone).date_naive()
    }

    /// Presents a loaded view; returns the contract names it listed, if any.
    async fn show(
        &self,
        lang: Lang,
        view: &View,
        edit: bool,
        loaded: Result<Shown, ErpError>,
        reply: &mut ReplyState,
    ) -> Option<Outcome> {
        match loaded {
            Ok(Shown::Screen { screen, contracts }) => {
                self.present(reply, lang, screen, edit).await;
                contracts.map(Outcome::ContractsSeen)
            }
            Ok(Shown::Document { file_name, bytes, caption }) => {
                if reply.unreachable {
                    return None;
                }
                if let Err(e) = self.telegram.send_document(reply.chat_id, &file_name, bytes, &caption).await {
                    tracing::warn!(error = %e, "sending the contract PDF failed");
                    self.send(reply, lang, &Msg::PdfUnavailable, &Keyboard::None).await;
                }
                None
            }
            Ok(Shown::NotOwned) => {
                tracing::warn!(chat.id = reply.chat_id, "a button named a contract that is not the customer's");
                let screen =
                    Screen { chunks: vec![i18n::render(lang, &Msg::ContractUnavailable)], keyboard: Keyboard::None };
                self.present(reply, lang, screen, edit).await;
                None
            }
            Err(e) => {
                let msg = if matches!(view, View::Pdf(_)) {
                    views::pdf_refusal(&e, self.policy.support.clone())
                } else {
                    tracing::warn!(error = %e, "loading a view from ERPNext failed");
                    Msg::ErpUnavailable
                };
                self.send(reply, lang, &msg, &Keyboard::None).await;
                None
            }
        }
    }

    /// Edits the button's message in place when asked and possible, else sends new messages
    /// (the keyboard goes with the last chunk).
    async fn present(&self, reply: &mut ReplyState, lang: Lang, screen: Screen, edit: bool) {
        if reply.unreachable {
            return;
        }
        let markup = keyboards::markup(lang, &screen.keyboard);
        if let (true, Some(message_id), [text]) = (edit, reply.message_id, screen.chunks.as_slice()) {
            let inline = match &markup {
                Some(ReplyMarkup::InlineKeyboard(k)) => Some(k.clone()),
                _ => None,
            };
            match self.telegram.edit_html(reply.chat_id, message_id, text, inline).await {
                Ok(()) | Err(SendError::Benign(_)) => return,
                Err(e) => tracing::debug!(error = %e, "editing failed; sending instead"),
            }
        }
        let last = screen.chunks.len().saturating_sub(1);
        for (i, chunk) in screen.chunks.iter().enumerate() {
            let markup = if i == last { markup.clone() } else { None };
            if let Err(e) = self.telegram.send_html(reply.chat_id, chunk, markup).await {
                self.failed_send(reply, e).await;
                return;
            }
        }
    }

    async fn write_link(&self, record: CustomerRecord, user: i64) -> Outcome {
        let result = match self.erp.link_telegram(&record.name, user).await {
            Ok(LinkWrite::Written) => {
                tracing::info!(chat.id = user, erp.customer = %record.name, "customer linked");
                WriteResult::Written
            }
            Ok(LinkWrite::Clash) => {
                tracing::warn!(chat.id = user, erp.customer = %record.name, "link refused: already linked to another account");
                WriteResult::Clash
            }
            Err(e) => {
                tracing::warn!(error = %e, "writing the Telegram link failed");
                WriteResult::Unavailable
            }
        };
        Outcome::LinkWritten { record, result }
    }

    /// Sends one reply; a 403 marks the chat unreachable and silences the rest of the update.
    async fn send(&self, reply: &mut ReplyState, lang: Lang, msg: &Msg, keyboard: &Keyboard) {
        if reply.unreachable {
            return;
        }
        count_login(msg);
        let text = i18n::render(lang, msg);
        let markup = keyboards::markup(lang, keyboard);
        if let Err(e) = self.telegram.send_html(reply.chat_id, &text, markup).await {
            self.failed_send(reply, e).await;
        }
    }

    async fn failed_send(&self, reply: &mut ReplyState, e: SendError) {
        match e {
            SendError::Unreachable => {
                reply.unreachable = true;
                tracing::info!(chat.id = reply.chat_id, "chat unreachable (403); marking it");
                if let Err(e) = self.store.mark_unreachable(reply.chat_id).await {
                    tracing::warn!(error = %e, "could not mark the chat unreachable");
                }
            }
            e => tracing::warn!(chat.id = reply.chat_id, error = %e, "sending a reply failed"),
        }
    }

    /// Tells a group, once, that the bot works in private chats only.
    pub async fn handle_group(&self, chat_id: i64, language_code: Option<&str>) -> Result<(), StoreError> {
        if self.store.first_group_notice(chat_id).await? {
            let lang = Lang::from_telegram(language_code);
            let mut reply =
                ReplyState { chat_id, callback_id: None, message_id: None, unreachable: false, prefetched: None };
            self.send(&mut reply, lang, &Msg::PrivateOnly, &Keyboard::None).await;
        }
        Ok(())
    }

    /// `my_chat_member`: the user blocked or unblocked the bot.
    pub async fn handle_membership(&self, chat_id: i64, reachable: bool) -> Result<(), StoreError> {
        if reachable { self.store.clear_unreachable(chat_id).await } else { self.store.mark_unreachable(chat_id).await }
    }
}

/// Linking outcomes, read off what the conversation says.
fn count_login(msg: &Msg) {
    let result = match msg {
        Msg::Linked { .. } => "linked",
        Msg::PassportNotFound => "passport_not_found",
        Msg::PhoneMismatch { .. } | Msg::ContactNotOwn => "phone_rejected",
        Msg::AlreadyLinked { .. } => "refused",
        Msg::TooManyAttempts { .. } => "locked_out",
        _ => return,
    };
    crate::telemetry::metrics::login(result);
}

fn lookup(result: Result<Option<CustomerRecord>, ErpError>, what: &str) -> Lookup {
    match result {
        Ok(Some(record)) => Lookup::Found(record),
        Ok(None) => Lookup::NotFound,
        Err(e) => {
            tracing::warn!(error = %e, what, "ERPNext request failed");
            Lookup::Unavailable
        }
    }
}
