//! The Frappe-like ERPNext lives in the library (`erpnext_bot::sandbox::erp`) so the demo can use it.
pub use erpnext_bot::sandbox::erp::*;
