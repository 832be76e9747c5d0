//! `erpnext-bot demo` from outside: the binary started as a newcomer starts it, its page and
//! API driven over HTTP, and the page itself driven in headless Chromium.

#[path = "../common/mod.rs"]
mod common;

mod api;
mod browser;
mod process;
