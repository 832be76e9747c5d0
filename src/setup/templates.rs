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
//!
//! Which Webhooks there are, and each document's fields and Condition, come from the table of
//! event kinds, [`crate::events::kinds`].

/// The payments' Condition, which `erp setup` compares with a stored Webhook's.
pub use crate::events::kinds::PAYMENT_CONDITION;
use crate::events::kinds::{COMMON_FIELDS, EVENT_KINDS, EventDoc};

/// The Webhooks `erp setup` maintains, one per (document, event) of [`EVENT_KINDS`], in its
/// order.
pub const WEBHOOKS: [(EventDoc, &str); EVENT_KINDS.len()] = {
    let mut hooks = [(EventDoc::Payment, ""); EVENT_KINDS.len()];
    let mut i = 0;
    while i < EVENT_KINDS.len() {
        hooks[i] = (EVENT_KINDS[i].doc, EVENT_KINDS[i].event.frappe());
        i += 1;
    }
    hooks
};

/// The Webhook's Condition for a document (empty: every such event is sent).
pub fn webhook_condition(doc: EventDoc) -> &'static str {
    doc.spec().condition
}

/// The Webhook's JSON body template for a document and event (`on_submit`, `on_cancel`).
pub fn webhook_template(doc: EventDoc, event: &str) -> String {
    let event = serde_json::Value::from(event).to_string();
    let mut lines = vec![format!("  \"event\": {event}")];
    let spec = doc.spec();
    lines.extend(COMMON_FIELDS.iter().chain(spec.fields).map(|f| format!("  \"{f}\": {}", value("doc", f))));
    if let Some((table, fields)) = spec.rows {
        let row: Vec<String> = fields.iter().map(|f| format!("\"{f}\": {}", value("r", f))).collect();
        // The space before `}` keeps Jinja from reading `}}}`; `loop.first` places the commas.
        lines.push(format!(
            "  \"{table}\": [{{% for r in doc.{table} %}}{{% if not loop.first %}}, {{% endif %}}{{ {} }}{{% endfor %}}]",
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
    use crate::events::kinds::{CONTRACT_FIELDS, PAYMENT_FIELDS, REFERENCE_FIELDS};

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

    #[test]
    fn every_kind_has_a_webhook_whose_body_is_classified_as_that_kind() {
        let config = crate::config::Config::from_sources(
            &[("BOT_TOKEN", "1:a"), ("ERP_BASE_URL", "http://erp"), ("ERP_API_KEY", "k"), ("ERP_API_SECRET", "s")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            crate::config::Purpose::Tooling,
        )
        .expect("config");
        let schema = &config.erp.schema;
        for kind in EVENT_KINDS {
            let event = kind.event.frappe();
            assert_eq!(WEBHOOKS.iter().filter(|w| **w == (kind.doc, event)).count(), 1, "{kind:?}");
            let mut body = render(&webhook_template(kind.doc, event), "\"x\"", 1);
            body["doctype"] = kind.doc.doctype(schema).into();
            let parsed = crate::events::ErpEvent::parse(body.to_string().as_bytes()).expect("an event");
            assert_eq!(parsed.handled(&schema.sales), Some(kind.handled), "{kind:?}: {body}");
        }
        assert_eq!(WEBHOOKS.len(), EVENT_KINDS.len());
    }
}
