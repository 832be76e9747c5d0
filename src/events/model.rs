//! The event body Frappe posts: one flat JSON object with `event`, `doctype`, `name`,
//! `docstatus` and the document's fields. The body is a hint: what the customer is told is
//! read from ERPNext at delivery time.

use serde_json::{Map, Value};

use crate::config::SalesSchema;

/// A parsed event.
#[derive(Clone, Debug, PartialEq)]
pub struct ErpEvent {
    pub doctype: String,
    pub name: String,
    pub kind: EventKind,
    /// The whole body, for the queue.
    pub body: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    Submitted,
    Cancelled,
    /// Any other document event (`on_update`, …): acknowledged and dropped.
    Other(String),
}

/// The events the bot acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    PaymentReceived,
    PaymentCancelled,
    NewContract,
    /// A submitted contract was cancelled (before an amendment replaces it, or for good).
    ContractCancelled,
}

/// Why a body is not an event we can read (answered 4xx with this reason).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadEvent {
    #[error("the body is not JSON")]
    NotJson,
    #[error("the body is not a JSON object")]
    NotObject,
    #[error("`{0}` is missing or not a string")]
    Missing(&'static str),
}

impl ErpEvent {
    pub fn parse(body: &[u8]) -> Result<ErpEvent, BadEvent> {
        let value: Value = serde_json::from_slice(body).map_err(|_| BadEvent::NotJson)?;
        let Value::Object(body) = value else { return Err(BadEvent::NotObject) };
        let text = |field: &'static str| -> Result<String, BadEvent> {
            body.get(field)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .ok_or(BadEvent::Missing(field))
        };
        let doctype = text("doctype")?;
        let name = text("name")?;
        let kind = match body.get("event").and_then(Value::as_str) {
            Some("on_submit") => EventKind::Submitted,
            Some("on_cancel") => EventKind::Cancelled,
            Some(other) => EventKind::Other(other.to_owned()),
            // Without `event`, the document status decides.
            None => match body.get("docstatus").and_then(Value::as_i64) {
                Some(1) => EventKind::Submitted,
                Some(2) => EventKind::Cancelled,
                _ => EventKind::Other("unknown".into()),
            },
        };
        Ok(ErpEvent { doctype, name, kind, body })
    }

    /// What the bot does with this event, if anything.
    pub fn handled(&self, sales: &SalesSchema) -> Option<Handled> {
        match (&self.kind, self.doctype.as_str()) {
            (EventKind::Submitted, d) if d == sales.payment_doctype => Some(Handled::PaymentReceived),
            (EventKind::Cancelled, d) if d == sales.payment_doctype => Some(Handled::PaymentCancelled),
            (EventKind::Submitted, d) if d == sales.contract_doctype => Some(Handled::NewContract),
            (EventKind::Cancelled, d) if d == sales.contract_doctype => Some(Handled::ContractCancelled),
            _ => None,
        }
    }

    /// The identity of the event: Frappe's retries of it carry the same one.
    pub fn key(&self) -> String {
        let kind = match &self.kind {
            EventKind::Submitted => "on_submit",
            EventKind::Cancelled => "on_cancel",
            EventKind::Other(o) => o.as_str(),
        };
        format!("{}\u{1f}{}\u{1f}{kind}", self.doctype, self.name)
    }
}

impl Handled {
    pub fn as_str(self) -> &'static str {
        match self {
            Handled::PaymentReceived => "payment_received",
            Handled::PaymentCancelled => "payment_cancelled",
            Handled::NewContract => "new_contract",
            Handled::ContractCancelled => "contract_cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Handled> {
        [Handled::PaymentReceived, Handled::PaymentCancelled, Handled::NewContract, Handled::ContractCancelled]
            .into_iter()
            .find(|h| h.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sales() -> SalesSchema {
        crate::config::Config::from_sources(
            &[("BOT_TOKEN", "1:a"), ("ERP_BASE_URL", "http://erp"), ("ERP_API_KEY", "k"), ("ERP_API_SECRET", "s")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            crate::config::Purpose::Tooling,
        )
        .map(|c| c.erp.schema.sales)
        .expect("config")
    }

    #[test]
    fn events_are_classified_by_doctype_and_event() {
        let cases = [
            (r#"{"event":"on_submit","doctype":"Payment Entry","name":"PE-1"}"#, Some(Handled::PaymentReceived)),
            (r#"{"event":"on_cancel","doctype":"Payment Entry","name":"PE-1"}"#, Some(Handled::PaymentCancelled)),
            (r#"{"event":"on_submit","doctype":"Sales Order","name":"SO-1"}"#, Some(Handled::NewContract)),
            (r#"{"doctype":"Payment Entry","name":"PE-1","docstatus":1}"#, Some(Handled::PaymentReceived)),
            (r#"{"doctype":"Payment Entry","name":"PE-1","docstatus":2}"#, Some(Handled::PaymentCancelled)),
            (r#"{"event":"on_cancel","doctype":"Sales Order","name":"SO-1"}"#, Some(Handled::ContractCancelled)),
            (r#"{"doctype":"Sales Order","name":"SO-1","docstatus":2}"#, Some(Handled::ContractCancelled)),
            (r#"{"event":"on_update","doctype":"Payment Entry","name":"PE-1"}"#, None),
            (r#"{"event":"on_submit","doctype":"Journal Entry","name":"JV-1"}"#, None),
            (r#"{"doctype":"Payment Entry","name":"PE-1","docstatus":0}"#, None),
        ];
        for (body, want) in cases {
            let ev = ErpEvent::parse(body.as_bytes()).expect(body);
            assert_eq!(ev.handled(&sales()), want, "{body}");
        }
    }

    #[test]
    fn every_handled_kind_survives_the_queue_by_name() {
        for h in [Handled::PaymentReceived, Handled::PaymentCancelled, Handled::NewContract, Handled::ContractCancelled]
        {
            assert_eq!(Handled::parse(h.as_str()), Some(h));
        }
        assert_eq!(Handled::ContractCancelled.as_str(), "contract_cancelled");
    }

    #[test]
    fn bodies_we_cannot_read_say_why() {
        assert_eq!(ErpEvent::parse(b"<html>"), Err(BadEvent::NotJson));
        assert_eq!(ErpEvent::parse(b"[1]"), Err(BadEvent::NotObject));
        assert_eq!(ErpEvent::parse(br#"{"name":"x"}"#), Err(BadEvent::Missing("doctype")));
        assert_eq!(ErpEvent::parse(br#"{"doctype":"x","name":5}"#), Err(BadEvent::Missing("name")));
    }

    #[test]
    fn a_retry_has_the_same_key_and_another_event_another() {
        let a = ErpEvent::parse(br#"{"event":"on_submit","doctype":"Payment Entry","name":"PE-1","modified":"1"}"#);
        let b = ErpEvent::parse(br#"{"event":"on_submit","doctype":"Payment Entry","name":"PE-1","modified":"2"}"#);
        let c = ErpEvent::parse(br#"{"event":"on_cancel","doctype":"Payment Entry","name":"PE-1"}"#);
        let key = |e: Result<ErpEvent, BadEvent>| e.expect("event").key();
        let (a, b, c) = (key(a), key(b), key(c));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
