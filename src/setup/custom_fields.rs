//! The Customer fields the bot matches and links on: the passport and the Telegram id, both
//! unique Data fields. `erp setup` creates them as Custom Fields when their configured names
//! start with `custom_`; any other name is the site's own field, which is only checked.

use serde_json::{Value, json};

use super::CommandError;
use super::item::{Action, Ctx, Line, Op, failure};
use crate::config::ErpSchema;
use crate::erpnext::ListQuery;

const CUSTOM_FIELD: &str = "Custom Field";

/// A field the bot needs on the customer doctype.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// The variable naming the field, for messages.
    pub key: &'static str,
    pub doctype: String,
    pub fieldname: String,
    pub label: &'static str,
    /// The Telegram link is written by the bot only; staff should not edit it.
    pub read_only: bool,
    pub insert_after: String,
}

impl FieldSpec {
    /// The `Custom Field` document that creates the field.
    pub fn custom_field_doc(&self) -> Value {
        let mut doc = json!({
            "dt": self.doctype,
            "fieldname": self.fieldname,
            "label": self.label,
            "fieldtype": "Data",
            "unique": 1,
            "insert_after": self.insert_after,
            "no_copy": 1,
        });
        if self.read_only {
            doc["read_only"] = json!(1);
        }
        doc
    }
}

/// The passport and Telegram fields, named as configured.
pub fn wanted(schema: &ErpSchema) -> [FieldSpec; 2] {
    let spec = |key, fieldname: &str, label, read_only| FieldSpec {
        key,
        doctype: schema.customer_doctype.clone(),
        fieldname: fieldname.to_owned(),
        label,
        read_only,
        insert_after: schema.customer_name_field.clone(),
    };
    [
        spec("ERP_PASSPORT_FIELD", &schema.passport_field, "Passport series and number", false),
        spec("ERP_TELEGRAM_FIELD", &schema.telegram_field, "Telegram ID", true),
    ]
}

/// Finds the field or creates it (or says it would).
pub(super) async fn ensure(ctx: &Ctx<'_>, spec: &FieldSpec) -> Result<Line, CommandError> {
    let item = format!("custom field {}.{}", spec.doctype, spec.fieldname);
    let query = ListQuery::new(CUSTOM_FIELD, &["name", "dt", "fieldname"])
        .filter("dt", "=", spec.doctype.as_str())
        .filter("fieldname", "=", spec.fieldname.as_str())
        .limit(1);
    let found: Vec<Value> = ctx.erp.list(&query).await.map_err(|e| failure(e, Op::Read, CUSTOM_FIELD, &item))?;
    if !found.is_empty() {
        return Ok(Line { action: Action::Found, item });
    }
    if !spec.fieldname.starts_with("custom_") {
        return site_field(ctx, spec).await;
    }
    if !ctx.dry_run {
        ctx.erp
            .post_doc(CUSTOM_FIELD, &spec.custom_field_doc())
            .await
            .map_err(|e| failure(e, Op::Create, CUSTOM_FIELD, &item))?;
    }
    Ok(Line { action: ctx.create(), item })
}

/// A field without the `custom_` prefix belongs to the site: it is never created, only read
/// once to prove it exists (Frappe refuses a list naming an unknown column).
async fn site_field(ctx: &Ctx<'_>, spec: &FieldSpec) -> Result<Line, CommandError> {
    let item = format!("field {}.{}", spec.doctype, spec.fieldname);
    let query = ListQuery::new(&spec.doctype, &["name", spec.fieldname.as_str()]).limit(1);
    match ctx.erp.list::<Value>(&query).await {
        Ok(_) => Ok(Line { action: Action::Found, item: format!("{item} (the site's own field, not created)") }),
        Err(e @ crate::erpnext::ErpError::Forbidden(_)) => Err(failure(e, Op::Read, &spec.doctype, &item)),
        Err(e) => Err(CommandError::Failed(super::one_line(&format!(
            "erp setup: {} has no readable field {} ({e}); {} must name an existing field, or a custom_ one for erp setup to create",
            spec.doctype, spec.fieldname, spec.key
        )))),
    }
}
