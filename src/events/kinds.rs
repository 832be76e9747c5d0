//! The event kinds the bot tells (PRODUCT.md F9), as one table: [`EVENT_KINDS`] gives each
//! kind its document, its Frappe document event and its handler ([`Handled`]); the document
//! ([`EventDoc::spec`]) gives the fields of the Webhook's body, its Condition and the filters
//! the reconciler lists it with. Derived from here: the Webhooks `erp setup` makes and their
//! bodies ([`crate::setup::templates`]), what a posted event is ([`super::ErpEvent::handled`]),
//! the kinds' names in the queue, and what the reconciler reads ([`EventDoc::listing`],
//! [`super::reconcile`]).
//!
//! Adding an event kind: a [`Handled`] variant and its row here, what it tells (a `Msg` with
//! its texts in each language) and its arm in [`super::deliver`].

use serde_json::json;

use crate::config::{ErpSchema, SalesSchema};
use crate::erpnext::ListQuery;

/// The events the bot acts on: one row each in [`EVENT_KINDS`], in this order. A value is only
/// ever made from the table ([`super::ErpEvent::handled`], [`Handled::parse`]), so that a
/// variant without its row can never be queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    PaymentReceived,
    PaymentCancelled,
    NewContract,
    /// A submitted contract was cancelled (before an amendment replaces it, or for good).
    ContractCancelled,
}

/// An event kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventSpec {
    /// What the bot does with it ([`super::deliver`]).
    pub handled: Handled,
    /// Its name in the queue (a Redis stream field) and in logs.
    pub name: &'static str,
    /// The document it is about.
    pub doc: EventDoc,
    /// What happened to the document.
    pub event: DocEvent,
}

/// Every event kind, in the order of [`Handled`]'s variants.
pub const EVENT_KINDS: [EventSpec; 4] = [
    EventSpec {
        handled: Handled::PaymentReceived,
        name: "payment_received",
        doc: EventDoc::Payment,
        event: DocEvent::Submit,
    },
    EventSpec {
        handled: Handled::PaymentCancelled,
        name: "payment_cancelled",
        doc: EventDoc::Payment,
        event: DocEvent::Cancel,
    },
    EventSpec { handled: Handled::NewContract, name: "new_contract", doc: EventDoc::Contract, event: DocEvent::Submit },
    EventSpec {
        handled: Handled::ContractCancelled,
        name: "contract_cancelled",
        doc: EventDoc::Contract,
        event: DocEvent::Cancel,
    },
];

// `Handled::spec` finds a kind's row by the variant's position: checked when compiling.
const _: () = {
    let mut i = 0;
    while i < EVENT_KINDS.len() {
        assert!(EVENT_KINDS[i].handled as usize == i, "EVENT_KINDS must follow the order of Handled");
        i += 1;
    }
};

impl Handled {
    /// This kind's row of [`EVENT_KINDS`].
    pub fn spec(self) -> &'static EventSpec {
        &EVENT_KINDS[self as usize]
    }

    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    pub fn parse(s: &str) -> Option<Handled> {
        EVENT_KINDS.iter().find(|k| k.name == s).map(|k| k.handled)
    }
}

/// A Frappe document event the bot listens to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocEvent {
    /// `on_submit`: the document's `docstatus` becomes 1.
    Submit,
    /// `on_cancel`: the document's `docstatus` becomes 2 (it was submitted before).
    Cancel,
}

impl DocEvent {
    pub const ALL: [DocEvent; 2] = [DocEvent::Submit, DocEvent::Cancel];

    /// The event's name in Frappe (a Webhook's `webhook_docevent`, the body's `event`).
    pub const fn frappe(self) -> &'static str {
        match self {
            DocEvent::Submit => "on_submit",
            DocEvent::Cancel => "on_cancel",
        }
    }

    /// The document's `docstatus` after the event.
    pub const fn docstatus(self) -> i64 {
        match self {
            DocEvent::Submit => 1,
            DocEvent::Cancel => 2,
        }
    }
}

/// The document a Webhook sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventDoc {
    /// A Payment Entry (`schema.sales.payment_doctype`).
    Payment,
    /// A contract, i.e. a Sales Order (`schema.sales.contract_doctype`).
    Contract,
}

/// What a document's events carry and how the reconciler lists the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocSpec {
    /// A bounded name: metric labels, and the key of the reconciler's checkpoint in Redis.
    pub label: &'static str,
    /// The document's fields in a Webhook body, after [`COMMON_FIELDS`].
    pub fields: &'static [&'static str],
    /// A child table sent as a list of rows: its field in the document and the rows' fields.
    pub rows: Option<(&'static str, &'static [&'static str])>,
    /// The Webhook's Condition (empty: every such event is sent).
    pub condition: &'static str,
    /// What the reconciler lists besides `docstatus` and `modified`: `[field, "=", value]`.
    pub filters: &'static [(&'static str, &'static str)],
}

/// Only payments from and to customers concern the bot: a supplier payment is never sent.
pub const PAYMENT_CONDITION: &str = r#"doc.party_type == "Customer""#;

/// Fields every body carries after `event`.
pub const COMMON_FIELDS: [&str; 4] = ["doctype", "name", "docstatus", "modified"];

/// Payment Entry fields in the body (plus `references`, see [`REFERENCE_FIELDS`]).
pub const PAYMENT_FIELDS: [&str; 6] =
    ["payment_type", "party_type", "party", "paid_amount", "posting_date", "mode_of_payment"];

/// Fields of each Payment Entry Reference row, sent as the list `references`.
pub const REFERENCE_FIELDS: [&str; 3] = ["reference_doctype", "reference_name", "allocated_amount"];

/// Sales Order fields in the body.
pub const CONTRACT_FIELDS: [&str; 4] = ["customer", "transaction_date", "grand_total", "rounded_total"];

const PAYMENT: DocSpec = DocSpec {
    label: "payment",
    fields: &PAYMENT_FIELDS,
    rows: Some(("references", &REFERENCE_FIELDS)),
    condition: PAYMENT_CONDITION,
    // Received from a customer: what a customer is told of.
    filters: &[("payment_type", "Receive"), ("party_type", "Customer")],
};

const CONTRACT: DocSpec =
    DocSpec { label: "contract", fields: &CONTRACT_FIELDS, rows: None, condition: "", filters: &[] };

impl EventDoc {
    /// What its events carry and how it is listed.
    pub fn spec(self) -> &'static DocSpec {
        match self {
            EventDoc::Payment => &PAYMENT,
            EventDoc::Contract => &CONTRACT,
        }
    }

    /// The configured doctype name.
    pub fn doctype(self, schema: &ErpSchema) -> &str {
        self.doctype_in(&schema.sales)
    }

    /// The configured doctype name, from the sales part of the schema.
    pub fn doctype_in(self, sales: &SalesSchema) -> &str {
        match self {
            EventDoc::Payment => &sales.payment_doctype,
            EventDoc::Contract => &sales.contract_doctype,
        }
    }

    /// The documents of [`EVENT_KINDS`], each once, in the table's order: what the reconciler
    /// reads.
    pub fn watched() -> Vec<EventDoc> {
        let mut docs: Vec<EventDoc> = Vec::new();
        for kind in &EVENT_KINDS {
            if !docs.contains(&kind.doc) {
                docs.push(kind.doc);
            }
        }
        docs
    }

    /// The events of this document in [`EVENT_KINDS`].
    pub fn events(self) -> impl Iterator<Item = DocEvent> {
        EVENT_KINDS.iter().filter(move |k| k.doc == self).map(|k| k.event)
    }

    /// The reconciler's query: the documents in a `docstatus` one of this document's events
    /// leaves, with its filters, and the fields of its Webhook body plus `creation` (`doctype`
    /// is the query's own). The reconciler adds `modified` and the order.
    pub fn listing(self, sales: &SalesSchema) -> ListQuery {
        let spec = self.spec();
        let mut fields: Vec<&str> = COMMON_FIELDS.iter().filter(|f| **f != "doctype").copied().collect();
        fields.extend(spec.fields);
        fields.push("creation");
        let docstatus: Vec<i64> = self.events().map(DocEvent::docstatus).collect();
        let query = ListQuery::new(self.doctype_in(sales), &fields).filter("docstatus", "in", json!(docstatus));
        spec.filters.iter().fold(query, |q, (field, value)| q.filter(field, "=", *value))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::NaiveDate;

    use super::*;
    use crate::format::money::Money;
    use crate::i18n::{self, ContractNotice, Lang, Msg, OnAccountNotice, PaymentNotice, ReplacedNotice};

    fn sales() -> SalesSchema {
        crate::config::default_sales_schema()
    }

    /// What each kind can tell. An exhaustive match: a new kind does not compile until its
    /// notices are here, and the test below then renders them in every language.
    fn notices(handled: Handled) -> Vec<Msg> {
        let day = NaiveDate::from_ymd_opt(2026, 3, 15).expect("date");
        let payment = PaymentNotice {
            amount: Money(100_000),
            currency: "UZS".into(),
            contract: "SO-1".into(),
            date: Some(day),
            remaining: Money(200_000),
            next_due: Some((day, Money(100_000))),
        };
        let on_account =
            OnAccountNotice { amount: Money(100_000), currency: "UZS".into(), date: Some(day), credit: Money(100_000) };
        let contract = ContractNotice {
            contract: "SO-2".into(),
            currency: "UZS".into(),
            total: Money(300_000),
            first_due: Some((day, Money(100_000))),
        };
        match handled {
            Handled::PaymentReceived => vec![Msg::PaymentReceived(payment), Msg::PaymentOnAccount(on_account)],
            Handled::PaymentCancelled => {
                vec![Msg::PaymentCancelled(payment), Msg::PaymentOnAccountCancelled(on_account)]
            }
            Handled::NewContract => vec![
                Msg::NewContract(contract.clone()),
                Msg::ContractReplaced(ReplacedNotice {
                    replaced: "SO-1".into(),
                    contract,
                    schedule: vec![(day, Money(300_000))],
                }),
            ],
            Handled::ContractCancelled => vec![Msg::ContractCancelled { contract: "SO-1".into() }],
        }
    }

    // Each kind's Webhook and body: `setup::templates` tests; each kind as the reconciler finds
    // it: `events::reconcile` tests.
    #[test]
    fn every_kind_has_its_row_a_name_a_query_and_texts_in_every_language() {
        let mut names = HashSet::new();
        let mut pairs = HashSet::new();
        let sales = sales();
        for kind in &EVENT_KINDS {
            let h = kind.handled;
            assert_eq!(h.spec(), kind, "{h:?}");
            assert_eq!(Handled::parse(h.as_str()), Some(h), "{h:?}");
            assert!(names.insert(kind.name), "{h:?}: the name {} is taken", kind.name);
            assert!(pairs.insert((kind.doc, kind.event)), "{h:?}: two kinds for one document event");
            assert!(EventDoc::watched().contains(&kind.doc), "{h:?}: its document is not read");
            let query = kind.doc.listing(&sales);
            assert_eq!(query.doctype, kind.doc.doctype_in(&sales));
            let docstatus =
                serde_json::json!(["docstatus", "in", kind.doc.events().map(DocEvent::docstatus).collect::<Vec<_>>()]);
            assert!(query.filters.contains(&docstatus), "{h:?}: {:?}", query.filters);
            assert!(docstatus[2].as_array().is_some_and(|d| d.contains(&kind.event.docstatus().into())));
            let said = notices(h);
            assert!(!said.is_empty(), "{h:?} tells nothing");
            for msg in said {
                let texts: Vec<String> = Lang::ALL.into_iter().map(|lang| i18n::render(lang, &msg)).collect();
                assert!(texts.iter().all(|t| !t.trim().is_empty()), "{h:?} {msg:?}");
                assert_eq!(texts.iter().collect::<HashSet<_>>().len(), texts.len(), "{h:?} {msg:?}: untranslated");
            }
        }
    }

    #[test]
    fn the_reconciler_lists_the_webhook_fields_of_submitted_and_cancelled_documents() {
        let sales = sales();
        let payment = EventDoc::Payment.listing(&sales);
        assert_eq!(payment.doctype, "Payment Entry");
        assert_eq!(
            payment.fields,
            [
                "name",
                "docstatus",
                "modified",
                "payment_type",
                "party_type",
                "party",
                "paid_amount",
                "posting_date",
                "mode_of_payment",
                "creation"
            ]
        );
        assert_eq!(
            serde_json::Value::from(payment.filters),
            serde_json::json!([
                ["docstatus", "in", [1, 2]],
                ["payment_type", "=", "Receive"],
                ["party_type", "=", "Customer"]
            ])
        );
        let contract = EventDoc::Contract.listing(&sales);
        assert_eq!(contract.doctype, "Sales Order");
        assert_eq!(serde_json::Value::from(contract.filters), serde_json::json!([["docstatus", "in", [1, 2]]]));
        assert_eq!(EventDoc::watched(), [EventDoc::Payment, EventDoc::Contract]);
        assert_eq!(EventDoc::watched().iter().map(|d| d.spec().label).collect::<Vec<_>>(), ["payment", "contract"]);
    }
}
