//! The event body Frappe posts: one flat JSON object with `event`, `doctype`, `name`,
//! `docstatus` and the document's fields. The body is a hint: what the customer is told is
//! read from ERPNext at delivery time.

use serde_json::{Map, Value};

use super::kinds::{DocEvent, EVENT_KINDS, Handled};
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

/// What happened to the document: one of the [`DocEvent`]s the bot listens to, or another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// [`DocEvent::Submit`].
    Submitted,
    /// [`DocEvent::Cancel`].
    Cancelled,
    /// Any other document event (`on_update`, …): acknowledged and dropped.
    Other(String),
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
            Some(event) => DocEvent::ALL
                .into_iter()
                .find(|e| e.frappe() == event)
                .map_or_else(|| EventKind::Other(event.to_owned()), EventKind::from),
            // Without `event`, the document status decides.
            None => {
                let docstatus = body.get("docstatus").and_then(Value::as_i64);
                DocEvent::ALL
                    .into_iter()
                    .find(|e| Some(e.docstatus()) == docstatus)
                    .map_or_else(|| EventKind::Other("unknown".into()), EventKind::from)
            }
        };
        Ok(ErpEvent { doctype, name, kind, body })
    }

    /// What the bot does with this event, if anything: the kind of [`EVENT_KINDS`] for its
    /// doctype and event (the first, should one doctype be configured for both documents).
    pub fn handled(&self, sales: &SalesSchema) -> Option<Handled> {
        let event = self.kind.doc_event()?;
        EVENT_KINDS.iter().find(|k| k.event == event && k.doc.doctype_in(sales) == self.doctype).map(|k| k.handled)
    }

    /// The identity of the event: Frappe's retries of it carry the same one.
    pub fn key(&self) -> String {
        let kind = match &self.kind {
            EventKind::Submitted => DocEvent::Submit.frappe(),
            EventKind::Cancelled => DocEvent::Cancel.frappe(),
            EventKind::Other(o) => o.as_str(),
        };
        format!("{}\u{1f}{}\u{1f}{kind}", self.doctype, self.name)
    }
}

impl EventKind {
    /// The document event of the table, unless another.
    pub fn doc_event(&self) -> Option<DocEvent> {
        match self {
            EventKind::Submitted => Some(DocEvent::Submit),
            EventKind::Cancelled => Some(DocEvent::Cancel),
            EventKind::Other(_) => None,
        }
    }
}

impl From<DocEvent> for EventKind {
    fn from(event: DocEvent) -> Self {
        match event {
            DocEvent::Submit => EventKind::Submitted,
            DocEvent::Cancel => EventKind::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sales() -> SalesSchema {
        crate::config::default_sales_schema()
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
        for h in EVENT_KINDS.map(|k| k.handled) {
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
