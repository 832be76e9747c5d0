//! Sub-commands of the binary. Parsed by hand: the surface is small and fixed. `src/main.rs`
//! runs what is parsed here.

use crate::config::Purpose;

pub const USAGE: &str = "\
erpnext-bot — Telegram self-service bot for ERPNext instalment customers

USAGE:
    erpnext-bot [COMMAND]

COMMANDS:
    serve                  Run the webhook server (default)
    demo                   Try the bot with no token and no ERPNext: the real service on a
                           built-in ERPNext and Bot API sandbox, with a web chat at
                           http://127.0.0.1:8080/demo (uses Redis if REDIS_URL answers,
                           else an in-memory store; refuses to run with BOT_TOKEN,
                           ERP_BASE_URL or other real-service variables set)
    check                  Check Redis, ERPNext (credentials, fields) and the Telegram token
    webhook set            Point Telegram at PUBLIC_URL/telegram/webhook (keeps pending updates)
    webhook delete         Remove the Telegram webhook (keeps pending updates)
    webhook info           Show Telegram's view of the webhook: URL, queue, last error
    erp setup [--dry-run]  Create the Customer custom fields and the ERPNext Webhooks the bot
                           needs, idempotently; --dry-run only says what it would change
    reminders preview [--date YYYY-MM-DD]
                           What a reminder pass would send (sends and records nothing)
    reminders run [--date YYYY-MM-DD]
                           Run one reminder pass now, through the same ledger as the daily run
    help                   Show this help
    version                Show the version

Configuration comes from the environment (see .env.example) and an optional TOML file
named by CONFIG_FILE.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    /// `demo`: the service on its built-in sandboxes, with the web chat.
    Demo,
    Check,
    /// `webhook set|delete|info`: the Telegram webhook registration.
    Webhook(WebhookAction),
    /// `erp setup`: custom fields and ERPNext Webhooks; `dry_run` writes nothing.
    ErpSetup {
        dry_run: bool,
    },
    /// `reminders preview|run [--date D]`: `send` is false for preview.
    Reminders {
        send: bool,
        date: Option<chrono::NaiveDate>,
    },
    Help,
    Version,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookAction {
    Set,
    Delete,
    Info,
}

impl Command {
    /// What the configuration is loaded for; `None` for commands that need none.
    pub fn purpose(self) -> Option<Purpose> {
        match self {
            Command::Serve => Some(Purpose::Serve),
            Command::Check | Command::Webhook(_) | Command::ErpSetup { .. } | Command::Reminders { .. } => {
                Some(Purpose::Tooling)
            }
            Command::Demo | Command::Help | Command::Version => None,
        }
    }
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["serve"] => Ok(Command::Serve),
        ["check"] => Ok(Command::Check),
        ["demo"] => Ok(Command::Demo),
        ["webhook", "set"] => Ok(Command::Webhook(WebhookAction::Set)),
        ["webhook", "delete"] => Ok(Command::Webhook(WebhookAction::Delete)),
        ["webhook", "info"] => Ok(Command::Webhook(WebhookAction::Info)),
        ["webhook"] => Err("webhook needs an action: set, delete or info".into()),
        ["webhook", other, ..] => Err(format!("unknown webhook action: {other} (expected set, delete or info)")),
        ["erp", "setup"] => Ok(Command::ErpSetup { dry_run: false }),
        ["erp", "setup", "--dry-run"] => Ok(Command::ErpSetup { dry_run: true }),
        ["erp", "setup", rest @ ..] => Err(format!("unknown option for erp setup: {}", rest.join(" "))),
        ["erp", ..] => Err("erp needs an action: setup".into()),
        ["reminders", action, rest @ ..] => {
            let send = match *action {
                "preview" => false,
                "run" => true,
                other => return Err(format!("unknown reminders action: {other} (expected preview or run)")),
            };
            let date = match rest {
                [] => None,
                ["--date", d] => Some(
                    chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map_err(|_| format!("--date {d}: expected YYYY-MM-DD"))?,
                ),
                other => return Err(format!("unknown option for reminders: {}", other.join(" "))),
            };
            Ok(Command::Reminders { send, date })
        }
        ["reminders"] => Err("reminders needs an action: preview or run".into()),
        ["help" | "-h" | "--help"] => Ok(Command::Help),
        ["version" | "-V" | "--version"] => Ok(Command::Version),
        other => Err(format!("unknown command: {}", other.join(" "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Command, String> {
        let args: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
        parse(&args)
    }

    #[test]
    fn serve_is_the_default() {
        assert_eq!(parse_str(""), Ok(Command::Serve));
        assert_eq!(parse_str("serve"), Ok(Command::Serve));
        assert_eq!(parse_str("check"), Ok(Command::Check));
        assert_eq!(parse_str("demo"), Ok(Command::Demo));
        assert!(parse_str("demo --now").is_err());
    }

    #[test]
    fn webhook_takes_exactly_one_known_action() {
        assert_eq!(parse_str("webhook set"), Ok(Command::Webhook(WebhookAction::Set)));
        assert_eq!(parse_str("webhook delete"), Ok(Command::Webhook(WebhookAction::Delete)));
        assert_eq!(parse_str("webhook info"), Ok(Command::Webhook(WebhookAction::Info)));
        for bad in ["webhook", "webhook sett", "webhook set now", "webhook --drop-pending-updates"] {
            assert!(parse_str(bad).is_err(), "{bad}");
        }
        assert!(parse_str("webhook sett").is_err_and(|e| e.contains("set, delete or info")));
    }

    #[test]
    fn erp_setup_knows_only_dry_run() {
        assert_eq!(parse_str("erp setup"), Ok(Command::ErpSetup { dry_run: false }));
        assert_eq!(parse_str("erp setup --dry-run"), Ok(Command::ErpSetup { dry_run: true }));
        for bad in ["erp", "erp set-up", "erp setup --dryrun", "erp setup --dry-run --dry-run", "setup"] {
            assert!(parse_str(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reminders_preview_and_run_take_an_optional_date() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 1);
        assert_eq!(parse_str("reminders preview"), Ok(Command::Reminders { send: false, date: None }));
        assert_eq!(parse_str("reminders run --date 2026-12-01"), Ok(Command::Reminders { send: true, date }));
        for bad in ["reminders", "reminders send", "reminders run --date 01.12.2026", "reminders run --date"] {
            assert!(parse_str(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn help_and_version_have_their_usual_spellings() {
        for help in ["help", "-h", "--help"] {
            assert_eq!(parse_str(help), Ok(Command::Help));
        }
        for version in ["version", "-V", "--version"] {
            assert_eq!(parse_str(version), Ok(Command::Version));
        }
        assert!(parse_str("frobnicate").is_err_and(|e| e == "unknown command: frobnicate"));
        assert!(parse_str("check extra").is_err());
    }

    #[test]
    fn only_serve_loads_the_serving_configuration() {
        assert_eq!(Command::Serve.purpose(), Some(Purpose::Serve));
        assert_eq!(Command::Check.purpose(), Some(Purpose::Tooling));
        assert_eq!(Command::Webhook(WebhookAction::Set).purpose(), Some(Purpose::Tooling));
        assert_eq!(Command::ErpSetup { dry_run: true }.purpose(), Some(Purpose::Tooling));
        assert_eq!(Command::Help.purpose(), None);
    }
}
