//! Reminders (PRODUCT.md F8): once a day, at `REMINDER_TIME` in `REMINDER_TIMEZONE`, every
//! linked customer with an outstanding instalment due in `REMINDER_DAYS_BEFORE` days, due
//! today, or overdue by `REMINDER_DAYS_AFTER` days (then weekly) hears about it once.
//!
//! - [`kinds`]: which dates are reminded of on a day, and as what: pure arithmetic, kept in
//!   [`crate::ledger::reminder_kinds`] (the messages in `i18n` name the kinds too, and `i18n`
//!   does not import the reminders' I/O) and re-exported here.
//! - [`plan`]: the reminders of a day, read from ERPNext in pages and batches — the number
//!   of requests grows with pages, not customers.
//! - [`records`]: the day's lease (one replica runs a pass) and the record of what was sent.
//! - [`limiter`]: the global send rate across replicas, one message per second per chat,
//!   and the pause after a 429.
//! - Their Redis commands and scripts are in [`crate::store::reminders`], next to the store's
//!   retry rule: the records of what was sent are written with it.
//! - [`pass`]: one pass: plan, filter, send through the limiter, record.
//! - [`scheduler`]: when passes run.
//! - [`command`]: `reminders preview|run`, the operator's view of a pass.

pub mod command;
pub use crate::ledger::reminder_kinds as kinds;
pub mod limiter;
pub mod pass;
pub mod plan;
pub mod records;
pub mod scheduler;

pub use kinds::{Kind, Offsets};
