//! Documents submitted or cancelled since a point in time, for the events reconciler
//! ([`crate::events::reconcile`]): Payment Entries received from customers and contracts
//! (Sales Orders), read page by page in `modified` order. What is listed (doctype, fields,
//! `docstatus` and other filters) comes from the table of event kinds
//! ([`crate::events::kinds`]); this module pages through it.
//!
//! - Frappe compares `modified` with `>`/`>=`/`<`/`<=` as the string given (`cstr(f.value)`
//!   in `prepare_filter_condition`, `frappe/model/db_query.py`), which MariaDB reads as a
//!   datetime: the same naive `YYYY-MM-DD HH:MM:SS.ffffff` Frappe writes, in the site's time
//!   zone (`now_datetime()` in `frappe/utils/data.py` converts the server's UTC clock to
//!   System Settings `time_zone`).
//! - Pages are keyset pages on (`modified`, `name`), not `limit_start` offsets: a document
//!   modified while we page moves to the end, and an offset would then skip the one after it.
//!   One read takes `modified > m` in (`modified`, `name`) order; when a page ends inside a
//!   run of equal `modified` values, the rest of that run is read with `modified = m and
//!   name > n` before going on.
//! - `frappe.client.get_time_zone` (`frappe/client.py`, whitelisted with `allow_guest`)
//!   answers System Settings `time_zone` to any user; [`ErpClient::site_clock`] reads it, and
//!   the server's clock from the answer's `Date` header.

use chrono::NaiveDateTime;
use serde_json::{Map, Value};

use super::{ErpClient, ErpError, ListQuery};

/// The `modified`/`creation` format Frappe writes (microseconds, no zone).
pub const FRAPPE_DATETIME: &str = "%Y-%m-%d %H:%M:%S%.6f";

/// A submitted (`docstatus` 1) or cancelled (2) document, as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct Changed {
    pub name: String,
    pub docstatus: i64,
    /// On the site's clock, in its time zone.
    pub modified: NaiveDateTime,
    pub creation: Option<NaiveDateTime>,
    /// The listed fields (the webhook body's, without `event`).
    pub row: Map<String, Value>,
}

/// What the site says of its clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteClock {
    pub zone: Option<String>,
    /// How far the site's clock is ahead of ours (negative: behind).
    pub ahead: Option<chrono::Duration>,
}

/// Where a read goes on from: after (`modified`, `name`); an empty name: from `modified`
/// itself, inclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub modified: NaiveDateTime,
    pub name: String,
}

pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok())
}

pub fn format_datetime(t: NaiveDateTime) -> String {
    t.format(FRAPPE_DATETIME).to_string()
}

fn changed(row: Map<String, Value>) -> Option<Changed> {
    let name = row.get("name")?.as_str()?.to_owned();
    let docstatus = match row.get("docstatus")? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    let modified = parse_datetime(row.get("modified")?.as_str()?)?;
    let creation = row.get("creation").and_then(Value::as_str).and_then(parse_datetime);
    Some(Changed { name, docstatus, modified, creation, row })
}

impl ErpClient {
    /// The site's time zone (System Settings `time_zone`; `None` when none is set) and how far
    /// the site's clock is ahead of ours, from the answer's `Date` header (`None` without one).
    pub async fn site_clock(&self) -> Result<SiteClock, ErpError> {
        let sent = chrono::Utc::now();
        let (body, date) = self.method_dated("frappe.client.get_time_zone", &[]).await?;
        let received = chrono::Utc::now();
        let v: Value = serde_json::from_slice(&body).map_err(|e| ErpError::Decode(e.to_string()))?;
        let zone = v.pointer("/message/time_zone").and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
        // `Date` has whole seconds: the server's clock read somewhere in [date, date + 1 s)
        // while ours read somewhere in [sent, received]. When both clocks can agree, they are
        // taken to; else the earliest the site's clock can be, so that a first start begins
        // early rather than late.
        let ahead = date.map(|d| {
            let (low, high) = (d - received, d + chrono::Duration::seconds(1) - sent);
            if low <= chrono::Duration::zero() && high > chrono::Duration::zero() {
                chrono::Duration::zero()
            } else {
                low
            }
        });
        Ok(SiteClock { zone: zone.map(str::to_owned), ahead })
    }

    /// One page (at most `page` rows) of the documents `listing` finds (its doctype, fields and
    /// filters: [`crate::events::kinds::EventDoc::listing`]) after `cursor`, in (`modified`,
    /// `name`) order. A page shorter than `page` is the end.
    pub async fn changed_page(
        &self,
        listing: &ListQuery,
        cursor: &Cursor,
        page: usize,
    ) -> Result<Vec<Changed>, ErpError> {
        let at = format_datetime(cursor.modified);
        let mut rows: Vec<Changed> = Vec::new();
        if !cursor.name.is_empty() {
            // The rest of a run of equal `modified` values a previous page ended in.
            let same = listing
                .clone()
                .filter("modified", "=", at.as_str())
                .filter("name", ">", cursor.name.as_str())
                .order_by("name asc")
                .page_length(page)
                .limit(page);
            rows = self.list_with(&same, changed).await?;
            if rows.len() >= page {
                return Ok(rows);
            }
        }
        let op = if cursor.name.is_empty() { ">=" } else { ">" };
        let later = listing
            .clone()
            .filter("modified", op, at.as_str())
            .order_by("modified asc, name asc")
            .page_length(page - rows.len())
            .limit(page - rows.len());
        rows.extend(self.list_with(&later, changed).await?);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frappe_datetimes_are_read_with_or_without_microseconds() {
        let t = parse_datetime("2026-12-01 09:05:03.000120").expect("parses");
        assert_eq!(format_datetime(t), "2026-12-01 09:05:03.000120");
        assert_eq!(
            format_datetime(parse_datetime("2026-12-01 09:05:03").expect("parses")),
            "2026-12-01 09:05:03.000000"
        );
        assert!(parse_datetime("yesterday").is_none());
    }

    #[test]
    fn rows_without_a_readable_status_or_time_are_left_out() {
        let row = |v: Value| v.as_object().cloned().unwrap_or_default();
        let ok = row(serde_json::json!({"name": "PE-1", "docstatus": 1, "modified": "2026-12-01 09:05:03.5"}));
        assert_eq!(changed(ok).map(|c| c.docstatus), Some(1));
        assert!(changed(row(serde_json::json!({"name": "PE-1", "docstatus": 1}))).is_none());
        assert!(
            changed(row(serde_json::json!({"name": "PE-1", "docstatus": "x", "modified": "2026-12-01 09:05:03"})))
                .is_none()
        );
    }
}
