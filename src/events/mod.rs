//! ERPNext → customer events (PRODUCT.md F9): the signed intake (`POST /erpnext/events`, in
//! [`crate::http`]), parsing ([`model`]), signatures ([`signature`]), the durable queue in a
//! Redis stream ([`queue`], its Redis side in [`crate::store::events`]), the replicas'
//! identities and heartbeats ([`replicas`]), the worker that delivers ([`worker`]), what it
//! says ([`deliver`]) and the reconciler that queues what the webhooks never brought
//! ([`reconcile`]).
//!
//! An accepted event is in Redis before the 200 goes back; each replica's worker takes
//! events through a consumer group under the replica's stable name, so an event goes to one
//! replica. A replica restarted under its name takes back what it held; one that died has its
//! events taken over by the others within seconds of its heartbeat stopping (and after
//! `EVENT_CLAIM_IDLE_SECS` in any case). Frappe's repeated deliveries are recognised by
//! (doctype, name, event) and accepted once.

pub mod deliver;
pub mod model;
pub mod queue;
pub mod reconcile;
pub mod replicas;
pub mod signature;
pub mod worker;

pub use model::{ErpEvent, EventKind, Handled};
