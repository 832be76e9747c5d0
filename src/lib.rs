//! erpnext-bot: a Telegram self-service bot for customers of instalment-sales businesses that
//! run ERPNext. One axum service: Telegram webhooks in, a conversation state machine kept in
//! Redis, an ERPNext REST client behind a tower stack.
//!
//! The module map, which modules are the pure core, the service and the stand-ins, and one
//! update's path from webhook to Bot API: `docs/ARCHITECTURE.md`. The stand-ins ([`sandbox`],
//! [`store::memory`], [`demo`]) are here for the tests and `erpnext-bot demo`, not the service.

pub mod check;
pub mod cli;
pub mod clients;
pub mod config;
pub mod conversation;
pub mod demo;
pub mod erpnext;
pub mod events;
pub mod format;
pub mod http;
pub mod i18n;
pub mod ledger;
pub mod lifecycle;
pub mod reminders;
pub mod sandbox;
pub mod secret;
pub mod setup;
pub mod startup;
pub mod store;
pub mod telegram;
pub mod telemetry;
pub mod views;
