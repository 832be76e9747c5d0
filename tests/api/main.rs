//! End-to-end tests: the real service on 127.0.0.1:0 with a real redis-server, a fake
//! ERPNext and a fake Bot API, driven the way Telegram drives it.

#[path = "../common/mod.rs"]
mod common;

mod helpers;

mod account;
mod disabled;
mod events;
mod fixtures;
mod invoices;
mod leases;
mod linking;
mod money;
mod operator;
mod pdf;
mod reconcile;
mod reminders;
mod replicas;
mod resilience;
mod returning;
mod sentinel;
mod setup;
mod setup_webhooks;
mod stock_site;
mod views;
mod webhook;
