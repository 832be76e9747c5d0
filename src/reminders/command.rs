//! `reminders preview|run [--date D]`: the operator's view of a pass, through the same code.

use chrono::{NaiveDate, Utc};

use super::pass::{Fate, Outcome, PassRunner, Report as PassReport};
use super::scheduler::local_date;
use crate::clients::Clients;
use crate::config::Config;
use crate::setup::{CommandError, Report};

fn summary(r: &PassReport) -> String {
    format!(
        "{}: {} due rows, {} reminders planned, {} sent, {} failed; skipped: {} paid, {} unlinked, {} opted out, {} unreachable, {} already sent",
        r.date,
        r.rows,
        r.planned,
        r.sent,
        r.failed,
        r.skipped_paid,
        r.skipped_unlinked,
        r.skipped_opted_out,
        r.skipped_unreachable,
        r.skipped_already_sent
    )
}

/// Runs `preview` (sends and writes nothing) or `run` (one pass now) for `date` (default:
/// today in REMINDER_TIMEZONE).
pub async fn run(config: &Config, send: bool, date: Option<NaiveDate>) -> Report {
    let clients = match Clients::new(config) {
        Ok(c) => c,
        Err(e) => return Report::failed(CommandError::Failed(format!("reminders: {e:#}"))),
    };
    let passes = PassRunner::new(config, &clients);
    let date = date.unwrap_or_else(|| local_date(Utc::now(), config.reminders.timezone));
    let mut report = Report { lines: Vec::new(), error: None };
    if !send {
        match passes.preview(date).await {
            Ok((totals, fates)) => {
                for (r, fate) in fates {
                    let what = match fate {
                        Fate::Send(lang) => format!("send ({})", lang.code()),
                        Fate::OptedOut => "skip: opted out".into(),
                        Fate::Unreachable => "skip: unreachable".into(),
                        Fate::AlreadySent => "skip: already sent".into(),
                    };
                    let number = |m| crate::format::money::number(m, &r.currency, crate::i18n::Lang::En);
                    let dues: Vec<String> = r.lines.iter().map(|(_, d, m)| format!("{d} {}", number(*m))).collect();
                    report.lines.push(format!(
                        "{what:<20} chat {:<12} {} {} [{}]",
                        r.chat_id,
                        r.contract,
                        r.kind.code(),
                        dues.join(", ")
                    ));
                }
                report.lines.push(format!("preview {}", summary(&totals)));
            }
            Err(e) => report.error = Some(CommandError::Failed(format!("reminders preview: {e}"))),
        }
        return report;
    }
    match passes.run(date).await {
        Ok(Outcome::Done(r)) => report.lines.push(format!("done {}", summary(&r))),
        Ok(Outcome::AlreadyDone(json)) => report.lines.push(format!("{date}: the pass already ran: {json}")),
        Ok(Outcome::LeaseHeld) => report.lines.push(format!("{date}: another replica is running this pass now")),
        Err(e) => report.error = Some(CommandError::Failed(format!("reminders run: {e}"))),
    }
    report
}
