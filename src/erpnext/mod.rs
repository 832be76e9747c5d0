//! ERPNext over Frappe's REST API v1: a typed facade ([`ErpClient`]) over a tower stack
//! ([`stack`]), error decoding ([`error`]), list queries that page to the end ([`query`]) and
//! the customer operations the conversation needs ([`customer`]), the contract documents
//! ([`sales`]) and their PDF ([`print`]); [`columns`] keeps the optional columns a site lacks
//! out of the queries.

pub mod changes;
pub mod client;
pub mod columns;
pub mod customer;
pub mod error;
pub mod print;
pub mod query;
pub mod row;
pub mod sales;
pub mod stack;

pub use client::ErpClient;
pub use error::ErpError;
pub use query::ListQuery;
pub use row::{Fields, Row};
