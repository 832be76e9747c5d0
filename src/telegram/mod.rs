//! Telegram: turning webhook updates into conversation input ([`intake`]), rendering
//! keyboards ([`keyboards`]) and the Bot API client ([`client`], teloxide-core underneath).

pub mod admin;
pub mod client;
pub mod intake;
pub mod keyboards;
mod payloads;

pub use client::{SendError, TelegramClient};
pub use intake::Incoming;
