//! The ERPNext Webhooks that post document events to `PUBLIC_URL/erpnext/events`: one per
//! (doctype, event) of [`templates::WEBHOOKS`], JSON bodies from [`templates`], signed with the
//! first `ERP_WEBHOOK_SECRET` ("Enable Security").
//!
//! A Webhook is found by doctype, event and URL (or, when `PUBLIC_URL` moved, by our name) and
//! updated when a compared field differs: an older `erp setup`'s Webhook without the Condition,
//! or with an older body template, is brought up to date with one PUT of what differs. The secret is sent with every update but cannot be
//! compared: Frappe masks Password fields on read.

use serde_json::{Map, Value, json};

use super::item::{Action, Ctx, Line, Op, failure};
use super::templates::{self, webhook_template};
use super::{CommandError, one_line};
use crate::config::ErpSchema;
use crate::erpnext::{ErpError, ListQuery};

const WEBHOOK: &str = "Webhook";

/// The fields compared with what is stored; a difference means an update.
pub const COMPARED: [&str; 7] =
    ["request_structure", "enabled", "enable_security", "webhook_json", "timeout", "request_method", "condition"];

/// One Webhook the bot needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookSpec {
    pub doctype: String,
    pub event: &'static str,
    /// `erpnext-bot Payment Entry on_submit`.
    pub name: String,
    pub template: String,
    /// The Webhook's Condition ([`templates::webhook_condition`]); empty for none.
    pub condition: &'static str,
}

impl HookSpec {
    /// The compared fields with their wanted values.
    fn compared(&self) -> Map<String, Value> {
        let values = [
            json!("JSON"),
            json!(1),
            json!(1),
            json!(self.template),
            json!(5), // Frappe's default; the events endpoint answers well inside it
            json!("POST"),
            json!(self.condition),
        ];
        COMPARED.iter().map(|k| (*k).to_owned()).zip(values).collect()
    }

    /// The whole document for an insert.
    fn doc(&self, ctx: &Ctx<'_>) -> Value {
        let mut doc = self.compared();
        doc.extend([
            ("name".to_owned(), json!(self.name)),
            ("__newname".to_owned(), json!(self.name)),
            ("webhook_doctype".to_owned(), json!(self.doctype)),
            ("webhook_docevent".to_owned(), json!(self.event)),
            ("request_url".to_owned(), json!(ctx.events_url)),
            ("webhook_secret".to_owned(), json!(ctx.secret.expose())),
        ]);
        Value::Object(doc)
    }
}

/// The Webhooks of [`templates::WEBHOOKS`], with the configured doctype names.
pub fn wanted(schema: &ErpSchema) -> Vec<HookSpec> {
    templates::WEBHOOKS
        .iter()
        .map(|&(doc, event)| {
            let doctype = doc.doctype(schema).to_owned();
            HookSpec {
                name: format!("erpnext-bot {doctype} {event}"),
                doctype,
                event,
                template: webhook_template(doc, event),
                condition: templates::webhook_condition(doc),
            }
        })
        .collect()
}

/// Finds the Webhook and creates or updates it as needed (or says it would).
pub(super) async fn ensure(ctx: &Ctx<'_>, spec: &HookSpec) -> Result<Line, CommandError> {
    let item = format!("webhook {} {}", spec.doctype, spec.event);
    let Some(stored) = find(ctx, spec, &item).await? else {
        if !ctx.dry_run {
            ctx.erp.post_doc(WEBHOOK, &spec.doc(ctx)).await.map_err(|e| failure(e, Op::Create, WEBHOOK, &item))?;
        }
        return Ok(Line { action: ctx.create(), item });
    };
    let mut changes: Map<String, Value> =
        spec.compared().into_iter().filter(|(k, wanted)| !same(&stored[k.as_str()], wanted)).collect();
    if stored["request_url"].as_str() != Some(ctx.events_url.as_str()) {
        changes.insert("request_url".into(), json!(ctx.events_url));
    }
    if changes.is_empty() {
        return Ok(Line { action: Action::Found, item });
    }
    if !ctx.dry_run {
        changes.insert("webhook_secret".into(), json!(ctx.secret.expose()));
        let name = stored["name"].as_str().unwrap_or(&spec.name);
        ctx.erp
            .put_doc(WEBHOOK, name, &Value::Object(changes))
            .await
            .map_err(|e| failure(e, Op::Update, WEBHOOK, &item))?;
    }
    Ok(Line { action: ctx.update(), item })
}

/// Ours by doctype, event and URL; failing that, by name (a Webhook left by an older
/// `PUBLIC_URL`, whose URL is then updated).
async fn find(ctx: &Ctx<'_>, spec: &HookSpec, item: &str) -> Result<Option<Value>, CommandError> {
    let mut fields = vec!["name", "webhook_doctype", "webhook_docevent", "request_url"];
    fields.extend(COMPARED);
    let query = ListQuery::new(WEBHOOK, &fields)
        .filter("webhook_doctype", "=", spec.doctype.as_str())
        .filter("webhook_docevent", "=", spec.event)
        .filter("request_url", "=", ctx.events_url.as_str())
        .limit(1);
    let found: Vec<Value> = ctx.erp.list(&query).await.map_err(|e| failure(e, Op::Read, WEBHOOK, item))?;
    if let Some(doc) = found.into_iter().next() {
        return Ok(Some(doc));
    }
    match ctx.erp.get_doc::<Value>(WEBHOOK, &spec.name).await {
        Ok(doc) if doc["webhook_doctype"] == spec.doctype.as_str() && doc["webhook_docevent"] == spec.event => {
            Ok(Some(doc))
        }
        // Doctype and event are set once in Frappe: such a Webhook cannot be made ours.
        Ok(_) => Err(CommandError::Failed(one_line(&format!(
            "erp setup: a Webhook named {:?} exists for another doctype or event; rename or delete it in ERPNext",
            spec.name
        )))),
        Err(ErpError::NotFound(_)) => Ok(None),
        Err(e) => Err(failure(e, Op::Read, WEBHOOK, item)),
    }
}

/// Frappe answers checks and integers as numbers, but older sites may answer strings.
fn same(stored: &Value, wanted: &Value) -> bool {
    match (stored, wanted) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(s), Value::Number(n)) => s.trim().parse::<f64>().ok() == n.as_f64(),
        // Code fields may come back with other line endings or a trailing newline.
        (Value::String(a), Value::String(b)) => {
            a.replace("\r\n", "\n").trim_end() == b.replace("\r\n", "\n").trim_end()
        }
        // An empty Small Text (the Condition) is stored as NULL.
        (Value::Null, Value::String(b)) => b.trim().is_empty(),
        _ => stored == wanted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_compare_loosely_by_type_not_by_meaning() {
        assert!(same(&json!(1), &json!(1)));
        assert!(same(&json!("1"), &json!(1)));
        assert!(same(&json!(5.0), &json!(5)));
        assert!(same(&json!("{\r\n}\n"), &json!("{\n}")));
        assert!(!same(&json!(0), &json!(1)));
        assert!(!same(&Value::Null, &json!(1)));
        assert!(!same(&json!("Form URL-Encoded"), &json!("JSON")));
        assert!(same(&Value::Null, &json!("")), "no Condition is no Condition");
        assert!(!same(&Value::Null, &json!(templates::PAYMENT_CONDITION)));
    }
}
