//! The conversation with one chat: states as data ([`state`]), what can happen ([`event`]),
//! what the bot decides to do ([`effect`]), the reply keyboards and what their buttons do
//! ([`menu`]), the pure transition function ([`step`]), passport input checks ([`passport`])
//! and the runner that performs effects and feeds their results back ([`runner`]). All but
//! the runner are pure.
//!
//! `step` does no I/O and takes the time as an argument, so every branch of PRODUCT.md's
//! flows is unit-tested as a table of (state, event) → (next state, effects).

pub mod effect;
pub mod event;
pub mod menu;
pub mod passport;
pub mod runner;
pub mod state;
pub mod step;

pub use effect::{Effect, Keyboard};
pub use event::{Callback, Command, ContractRef, Event, Input, Lookup, Outcome, Refresh, View, WriteResult};
pub use state::{Chat, CustomerRecord, Session, State};
pub use step::{Policy, step};
