//! `erpnext-bot erp setup [--dry-run]`: makes the ERPNext site ready for the bot through the
//! REST API, idempotently — the Customer custom fields ([`super::custom_fields`]) and the four
//! Webhooks that post events to `PUBLIC_URL/erpnext/events` ([`super::erp_webhooks`]).
//!
//! Every item is looked up first and only created or updated when it is missing or differs,
//! so a second run changes nothing. One line per item; the first failure ends the run.

use super::item::{Action, Ctx, Line};
use super::{CommandError, Report, custom_fields, endpoint, erp_webhooks, one_line};
use crate::config::Config;
use crate::erpnext::ErpClient;
use crate::secret::Secret;

pub async fn run(config: &Config, dry_run: bool) -> Report {
    let (events_url, secret) = match target(config) {
        Ok(t) => t,
        Err(e) => return Report::failed(e),
    };
    let erp = match ErpClient::new(&config.erp) {
        Ok(erp) => erp,
        Err(e) => return Report::failed(CommandError::Failed(one_line(&format!("erp setup: {e}")))),
    };
    let ctx = Ctx { erp: &erp, dry_run, events_url, secret };
    let mut lines: Vec<Line> = Vec::new();
    let error = apply(&ctx, config, &mut lines).await.err();
    let mut report = Report { lines: lines.iter().map(Line::to_string).collect(), error };
    if report.error.is_none() {
        if lines.iter().all(|l| l.action == Action::Found) {
            report.lines.push("nothing to change".into());
        } else if dry_run {
            report.lines.push("dry run: nothing was written".into());
        }
    }
    report
}

async fn apply(ctx: &Ctx<'_>, config: &Config, lines: &mut Vec<Line>) -> Result<(), CommandError> {
    for field in custom_fields::wanted(&config.erp.schema) {
        lines.push(custom_fields::ensure(ctx, &field).await?);
    }
    for hook in erp_webhooks::wanted(&config.erp.schema) {
        lines.push(erp_webhooks::ensure(ctx, &hook).await?);
    }
    Ok(())
}

/// `PUBLIC_URL/erpnext/events` and the signing secret, or the line saying what is missing.
fn target(config: &Config) -> Result<(String, &Secret), CommandError> {
    let secret = config.erp.webhook_secrets.first();
    let missing: Vec<&str> = [
        config.public_url.is_none().then_some("PUBLIC_URL (the bot's public base URL, e.g. https://bot.example.com)"),
        secret.is_none().then_some("ERP_WEBHOOK_SECRET (the secret ERPNext signs its Webhooks with)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    match (&config.public_url, secret) {
        (Some(url), Some(secret)) => Ok((endpoint(url, "/erpnext/events").to_string(), secret)),
        _ => Err(CommandError::Config(format!("erp setup: set {}", missing.join(" and ")))),
    }
}
