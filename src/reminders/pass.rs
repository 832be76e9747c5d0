//! One reminder pass for a date: plan from ERPNext, drop what must not be sent (opted out,
//! unreachable, already sent today), send through the shared limiter, record each send.
//! `preview` goes through the same planning and filtering and sends and writes nothing.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use serde::Serialize;

use super::kinds::Offsets;
use super::limiter::Limiter;
use super::plan::{Reminder, plan};
use super::records::{LEASE_TTL, Records};
use crate::clients::Clients;
use crate::config::Config;
use crate::erpnext::{ErpClient, ErpError};
use crate::i18n::{self, Lang, Msg, ReminderNotice};
use crate::store::{Store, StoreError};
use crate::telegram::{SendError, TelegramClient};

/// Runs (or previews) a day's pass, with everything a pass talks to; cheap to clone.
#[derive(Clone)]
pub struct PassRunner {
    pub erp: ErpClient,
    pub telegram: TelegramClient,
    pub store: Store,
    pub records: Records,
    pub limiter: Limiter,
    pub offsets: Offsets,
}

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error("ERPNext: {0}")]
    Erp(#[from] ErpError),
    #[error("redis: {0}")]
    Store(#[from] StoreError),
    #[error("the pass lost its lease to another replica")]
    LeaseLost,
}

/// What a pass did (also what `reminders run` prints and the logs carry).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub date: String,
    pub rows: usize,
    pub planned: usize,
    pub sent: usize,
    pub skipped_paid: usize,
    pub skipped_unlinked: usize,
    pub skipped_opted_out: usize,
    pub skipped_unreachable: usize,
    pub skipped_already_sent: usize,
    pub failed: usize,
}

/// How a pass ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Done(Report),
    /// Another replica holds the day's lease.
    LeaseHeld,
    /// The day's pass already finished (its report).
    AlreadyDone(String),
}

/// A planned reminder and what a pass would do with it.
#[derive(Debug, PartialEq, Eq)]
pub enum Fate {
    Send(Lang),
    OptedOut,
    Unreachable,
    AlreadySent,
}

impl PassRunner {
    /// The runner the service's scheduler, `reminders run|preview` and the demo all use.
    pub fn new(config: &Config, clients: &Clients) -> Self {
        Self {
            erp: clients.erp.clone(),
            telegram: clients.telegram.clone(),
            store: clients.store.clone(),
            records: Records::new(clients.store.clone()),
            limiter: Limiter::new(clients.store.clone(), config.telegram.send_rate),
            offsets: Offsets {
                before: config.reminders.days_before.clone(),
                after: config.reminders.days_after.clone(),
            },
        }
    }

    /// The day's reminders and their fate, sending and writing nothing.
    pub async fn preview(&self, date: NaiveDate) -> Result<(Report, Vec<(Reminder, Fate)>), PassError> {
        let plan = plan(&self.erp, date, &self.offsets).await?;
        let (_, sent) = self.records.recorded(date).await?;
        let sent: HashSet<String> = sent.into_iter().collect();
        let flags = self.store.chat_flags(&chats(&plan.reminders)).await?;
        let mut report = Report {
            date: date.to_string(),
            rows: plan.rows,
            planned: plan.reminders.len(),
            skipped_paid: plan.skipped_paid,
            skipped_unlinked: plan.skipped_unlinked,
            ..Report::default()
        };
        let fates = plan
            .reminders
            .into_iter()
            .map(|r| {
                let f = flags.get(&r.chat_id).cloned().unwrap_or_default();
                let fate = if r.members().iter().all(|m| sent.contains(m)) {
                    report.skipped_already_sent += 1;
                    Fate::AlreadySent
                } else if f.reminders_off {
                    report.skipped_opted_out += 1;
                    Fate::OptedOut
                } else if f.unreachable {
                    report.skipped_unreachable += 1;
                    Fate::Unreachable
                } else {
                    Fate::Send(f.lang.unwrap_or(Lang::Uz))
                };
                (r, fate)
            })
            .collect();
        Ok((report, fates))
    }

    /// Runs the day's pass once across replicas; a crashed pass is resumed where it stopped.
    pub async fn run(&self, date: NaiveDate) -> Result<Outcome, PassError> {
        if let Some(report) = self.records.done(date).await? {
            return Ok(Outcome::AlreadyDone(report));
        }
        let Some(lease) = self.records.lease(date).await? else { return Ok(Outcome::LeaseHeld) };
        let lease = Arc::new(lease);
        let lost = Arc::new(AtomicBool::new(false));
        let keeper = tokio::spawn(keep(self.records.clone(), lease.clone(), lost.clone()));
        let result = self.send_all(date, &lost).await;
        keeper.abort();
        if let Err(e) = self.records.release(&lease).await {
            tracing::warn!(error = %e, "could not release the reminder lease; it expires by itself");
        }
        let report = result?;
        if report.failed == 0 {
            let json = serde_json::to_string(&report).unwrap_or_default();
            self.records.finish(date, &json).await?;
        } else {
            tracing::warn!(failed = report.failed, "some reminders failed; the pass will run again for them");
        }
        for (result, n) in [
            ("planned", report.planned),
            ("sent", report.sent),
            ("skipped_paid", report.skipped_paid),
            ("skipped_unlinked", report.skipped_unlinked),
            ("skipped_opted_out", report.skipped_opted_out),
            ("skipped_unreachable", report.skipped_unreachable),
            ("skipped_already_sent", report.skipped_already_sent),
            ("failed", report.failed),
        ] {
            crate::telemetry::metrics::reminders(result, n);
        }
        tracing::info!(
            date = %report.date, rows = report.rows, planned = report.planned, sent = report.sent,
            skipped_paid = report.skipped_paid, skipped_unlinked = report.skipped_unlinked,
            skipped_opted_out = report.skipped_opted_out, skipped_unreachable = report.skipped_unreachable,
            skipped_already_sent = report.skipped_already_sent, failed = report.failed,
            "reminder pass finished"
        );
        Ok(Outcome::Done(report))
    }

    async fn send_all(&self, date: NaiveDate, lost: &AtomicBool) -> Result<Report, PassError> {
        let (mut report, fates) = self.preview(date).await?;
        let (sending, _) = self.records.recorded(date).await?;
        let sending: HashSet<String> = sending.into_iter().collect();
        for (reminder, fate) in fates {
            let Fate::Send(lang) = fate else { continue };
            let members = reminder.members();
            if members.iter().any(|m| sending.contains(m)) {
                // A crashed pass may have sent it: count it sent rather than risk a duplicate.
                tracing::warn!(chat.id = reminder.chat_id, contract = %reminder.contract, "reminder possibly sent by a crashed pass; skipped");
                report.skipped_already_sent += 1;
                continue;
            }
            if lost.load(Ordering::Relaxed) {
                return Err(PassError::LeaseLost);
            }
            match self.send_one(date, &reminder, lang, &members).await? {
                SendOutcome::Delivered => report.sent += 1,
                SendOutcome::Unreachable => report.skipped_unreachable += 1,
                SendOutcome::Failed => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// Sends one reminder; a failure is left for the next pass to retry.
    async fn send_one(
        &self,
        date: NaiveDate,
        r: &Reminder,
        lang: Lang,
        members: &[String],
    ) -> Result<SendOutcome, PassError> {
        let msg = Msg::Reminder(ReminderNotice {
            kind: r.kind,
            contract: r.contract.clone(),
            currency: r.currency.clone(),
            lines: r.lines.iter().map(|(_, due, owed)| (*due, *owed)).collect(),
        });
        let text = i18n::render(lang, &msg);
        self.records.sending(date, members).await?;
        for _ in 0..5 {
            self.limiter.acquire(r.chat_id).await?;
            match self.telegram.send_html_once(r.chat_id, &text).await {
                Ok(()) => {
                    self.records.sent(date, members).await?;
                    return Ok(SendOutcome::Delivered);
                }
                Err(SendError::RetryAfter(wait)) => {
                    tracing::info!(wait_s = wait.as_secs(), "telegram 429: pausing all reminder sending");
                    self.limiter.pause(wait).await?;
                }
                Err(SendError::Unreachable) => {
                    self.store.mark_unreachable(r.chat_id).await?;
                    self.records.sent(date, members).await?;
                    tracing::info!(chat.id = r.chat_id, "chat unreachable; reminder dropped");
                    return Ok(SendOutcome::Unreachable);
                }
                Err(e) => {
                    tracing::warn!(chat.id = r.chat_id, error = %e, "reminder not sent");
                    self.records.unsend(date, members).await?;
                    return Ok(SendOutcome::Failed);
                }
            }
        }
        self.records.unsend(date, members).await?;
        Ok(SendOutcome::Failed)
    }
}

/// Renews the lease every third of its life while the pass runs (planning included); flags
/// its loss so the pass stops before sending anything more.
async fn keep(records: Records, lease: Arc<super::records::Lease>, lost: Arc<AtomicBool>) {
    loop {
        tokio::time::sleep(LEASE_TTL / 3).await;
        match records.renew(&lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::error!("reminder lease lost to another replica; stopping this pass");
                lost.store(true, Ordering::Relaxed);
                return;
            }
            Err(e) => tracing::warn!(error = %e, "could not renew the reminder lease; retrying"),
        }
    }
}

enum SendOutcome {
    Delivered,
    Unreachable,
    Failed,
}

fn chats(reminders: &[Reminder]) -> Vec<i64> {
    let mut ids: Vec<i64> = reminders.iter().map(|r| r.chat_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}
