//! The Bot API fake lives in the library (`erpnext_bot::sandbox::telegram`) so the demo can use it.
pub use erpnext_bot::sandbox::telegram::*;
