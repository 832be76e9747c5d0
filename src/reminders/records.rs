//! The day's lease and the record of reminders. Their Redis side is in
//! [`crate::store::reminders`]; this is what the pass relies on:
//!
//! - the lease: one replica runs the day's pass; it expires if its holder dies, and is
//!   renewed while the pass runs ([`super::pass`]).
//! - "sending" then "sent": a reminder's members are recorded as sending just before the
//!   message goes out and as sent after. A pass that crashed half-way is resumed by the next
//!   one: what is sent is skipped (no duplicates), what was never started is sent (no misses).
//!   The one message a crash can catch between the two steps is counted as sent and logged —
//!   a duplicate is worse than a late reminder.
//! - "done": the pass finished; its report.

pub use crate::store::reminders::{LEASE_TTL, Lease, Records};
