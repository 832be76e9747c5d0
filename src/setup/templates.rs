//! The bodies ERPNext's Webhooks post to `POST /erpnext/events`: Jinja templates (the
//! Webhook's "JSON Request Body") that render one flat JSON object per document event.
//!
//! Every value goes through `| tojson`, so names holding quotes or backslashes stay valid JSON
//! and missing fields become `null`. The event name is written into the template, because
//! Frappe does not tell the receiver which event fired. README.md quotes these templates.
//!
//! A Webhook may also carry a Condition (the `condition` field of Frappe's Webhook doctype,
//! `frappe/integrations/doctype/webhook/webhook.json`): `run_webhooks` in
//! `frappe/integrations/doctype/webhook/__init__.py` sends nothing unless
//! `frappe.safe_eval(webhook.condition, eval_locals=get_context(doc))` is true, where
//! `get_context` gives the document as `doc`. [`webhook_condition`] keeps supplier payments
//! on the ERPNext side.

use crate::config::ErpSchema;

/// The document a Webhook sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventDoc {
    /// A Payment Entry (`schema.sales.payment_doctype`).
    Payment,
    /// A contract, i.e. a Sales Order (`schema.sales.contract_doctype`).
    Contract,
}

/// The Webhooks `erp setup` maintains, one per (document, event).
pub const WEBHOOKS: [(EventDoc, &str); 4] = [
    (EventDoc::Payment, "on_submit"),
    (EventDoc::Payment, "on_cancel"),
    (EventDoc::Contract, "on_submit"),
    (EventDoc::Contract, "on_cancel"),
];

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

impl EventDoc {
    /// The configured doctype name.
    pub fn doctype(self, schema: &ErpSchema) -> &str {
        match self {
            EventDoc::Payment => &schema.sales.payment_doctype,
            EventDoc::Contract => &schema.sales.contract_doctype,
        }
    }
}

/// The Webhook's Condition for a document (empty: every such event is sent).
pub fn webhook_condition(doc: EventDoc) -> &'static str {
    match doc {
        EventDoc::Payment => PAYMENT_CONDITION,
        EventDoc::Contract => "",
    }
}

/// The Webhook's JSON body template for a document and event (`on_submit`, `on_cancel`).
pub fn webhook_template(doc: EventDoc, event: &str) -> String {
    let event = serde_json::Value::from(event).to_string();
    let mut lines = vec![format!("  \"event\": {event}")];
    let fields: &[&str] = match doc {
        EventDoc::Payment => &PAYMENT_FIELDS,
        EventDoc::Contract => &CONTRACT_FIELDS,
    };
    lines.extend(COMMON_FIELDS.iter().chain(fields).map(|f| format!("  \"{f}\": {}", value("doc", f))));
    if doc == EventDoc::Payment {
        let row: Vec<String> = REFERENCE_FIELDS.iter().map(|f| format!("\"{f}\": {}", value("r", f))).collect();
        // The space before `}` keeps Jinja from reading `}}}`; `loop.first` places the commas.
        lines.push(format!(
            "  \"references\": [{{% for r in doc.references %}}{{% if not loop.first %}}, {{% endif %}}{{ {} }}{{% endfor %}}]",
            row.join(", ")
        ));
    }
    format!("{{\n{}\n}}", lines.join(",\n"))
}

fn value(object: &str, field: &str) -> String {
    format!("{{{{ {object}.{field} | tojson }}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crude stand-in for Jinja: every `{{ ... }}` becomes `value`, the references loop
    /// runs over `rows` rows. Enough to prove the JSON around the tags is well formed.
    fn render(template: &str, value: &str, rows: usize) -> serde_json::Value {
        let (head, rest) = template.split_once("{% for r in doc.references %}").unwrap_or((template, ""));
        let (body, tail) = rest.split_once("{% endfor %}").unwrap_or(("", ""));
        let first = body.replace("{% if not loop.first %}, {% endif %}", "");
        let other = body.replace("{% if not loop.first %}", "").replace("{% endif %}", "");
        let looped: Vec<&str> = (0..rows).map(|i| if i == 0 { first.as_str() } else { other.as_str() }).collect();
        let mut text = format!("{head}{}{tail}", looped.concat());
        while let Some(start) = text.find("{{") {
            let end = text[start..].find("}}").map(|e| start + e + 2).expect("closed tag");
            text.replace_range(start..end, value);
        }
        assert!(!text.contains("{%"), "unhandled tag in {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }

    #[test]
    fn payment_template_renders_one_flat_object_with_references() {
        let template = webhook_template(EventDoc::Payment, "on_cancel");
        for rows in [0, 1, 3] {
            let body = render(&template, "\"x\"", rows);
            assert_eq!(body["event"], "on_cancel");
            for f in COMMON_FIELDS.iter().chain(&PAYMENT_FIELDS) {
                assert_eq!(body[*f], "x", "{f}");
            }
            let refs = body["references"].as_array().expect("a list");
            assert_eq!(refs.len(), rows);
            for r in refs {
                for f in REFERENCE_FIELDS {
                    assert_eq!(r[f], "x");
                }
            }
        }
        assert!(render(&template, "null", 1)["paid_amount"].is_null());
    }

    #[test]
    fn contract_template_carries_the_totals() {
        let template = webhook_template(EventDoc::Contract, "on_submit");
        let body = render(&template, "1", 0);
        assert_eq!(body["event"], "on_submit");
        for f in COMMON_FIELDS.iter().chain(&CONTRACT_FIELDS) {
            assert_eq!(body[*f], 1, "{f}");
        }
        assert!(body.get("references").is_none());
        assert!(template.contains("{{ doc.customer | tojson }}"), "{template}");
    }

    #[test]
    fn only_payment_webhooks_carry_the_customer_condition() {
        assert_eq!(webhook_condition(EventDoc::Payment), "doc.party_type == \"Customer\"");
        assert_eq!(webhook_condition(EventDoc::Contract), "");
        assert!(WEBHOOKS.contains(&(EventDoc::Contract, "on_cancel")), "a cancelled contract is told");
    }

    #[test]
    fn every_value_is_json_escaped_by_jinja() {
        for (doc, event) in WEBHOOKS {
            let template = webhook_template(doc, event);
            let tags = template.matches("{{").count();
            assert_eq!(tags, template.matches("| tojson }}").count(), "{template}");
            assert!(!template.contains("}}}"), "{template}");
        }
    }
}
