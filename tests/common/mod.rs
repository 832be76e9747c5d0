//! Shared test support: fake ERPNext and Telegram servers, a throw-away Redis, and
//! builders of Telegram updates. Each test binary uses a subset, hence `dead_code`.
#![allow(dead_code, unused_imports)]

pub mod fake_erp;
pub mod fake_telegram;
pub mod redis;
pub mod updates;
pub mod webdriver;
