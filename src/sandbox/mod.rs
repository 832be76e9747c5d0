//! Stand-ins for the outside world, served over real HTTP on loopback: a Frappe-like ERPNext
//! and a Bot API. The integration tests drive the service against them, and `erpnext-bot demo`
//! runs the whole product on them (seeded with [`seed`]'s demo customers) for people who have
//! neither a bot token nor an ERPNext to point at.

pub mod erp;
pub mod seed;
pub mod telegram;
