//! Telegram: turning webhook updates into conversation input ([`intake`]), rendering
//! keyboards ([`keyboards`]), the Bot API client ([`client`], teloxide-core underneath, with
//! our own `sendMessage`/`editMessageText` payloads in `payloads`) and the webhook and command
//! registration the operator commands use ([`admin`]).

pub mod admin;
pub mod client;
pub mod intake;
pub mod keyboards;
mod payloads;

pub use client::{SendError, TelegramClient};
pub use intake::Incoming;
