//! `erpnext-bot check`: one line per dependency, non-zero exit when any fails; for ERPNext also
//! one line per optional column, present or missing ([`crate::erpnext::columns`]).

use crate::clients::Clients;
use crate::config::Config;
use crate::erpnext::{ErpClient, ErpError, ListQuery};

/// One checked dependency.
pub struct CheckLine {
    pub ok: bool,
    pub text: String,
}

pub async fn run(config: &Config) -> anyhow::Result<Vec<CheckLine>> {
    let clients = Clients::new(config)?;
    let redis = match (clients.store.sentinel_master().await, clients.store.ping().await) {
        (Some(Err(e)), _) => CheckLine { ok: false, text: format!("redis: the sentinels named no master: {e}") },
        (Some(Ok(master)), Ok(())) => CheckLine {
            ok: true,
            text: format!("redis: reachable; the sentinels name {master} as master {:?}", config.redis.sentinel_master),
        },
        (Some(Ok(master)), Err(e)) => {
            CheckLine { ok: false, text: format!("redis: the sentinels name {master} as master, but: {e}") }
        }
        (None, Ok(())) => CheckLine { ok: true, text: "redis: reachable".into() },
        (None, Err(e)) => CheckLine { ok: false, text: format!("redis: {e}") },
    };
    let mut lines = vec![redis];
    let erp = check_erp(&clients).await;
    let reachable = erp.ok;
    lines.push(erp);
    if reachable {
        lines.extend(check_optional(&clients.erp, config.auth.require_phone).await);
    }
    lines.push(match clients.telegram.username().await {
        Ok(name) => CheckLine { ok: true, text: format!("telegram: token valid (@{name})") },
        Err(e) => CheckLine { ok: false, text: format!("telegram: {e}") },
    });
    Ok(lines)
}

/// One line per optional column; missing ones are fine (the bot does without them), except that
/// the phone check needs at least one phone field.
async fn check_optional(erp: &ErpClient, require_phone: bool) -> Vec<CheckLine> {
    let mut lines = Vec::new();
    let mut phones = (0, 0);
    for c in erp.columns().optional() {
        let name = format!("{}.{} ({})", c.doctype, c.field, c.key);
        let found = erp.has_column(c).await;
        if c.key == "ERP_PHONE_FIELDS" {
            phones = (phones.0 + 1, phones.1 + usize::from(matches!(found, Ok(false))));
        }
        lines.push(optional_line(&name, found));
    }
    if require_phone && phones.0 > 0 && phones.0 == phones.1 {
        let fields = erp.schema().phone_fields.join(", ");
        let text = format!(
            "erpnext: none of the phone fields ({fields}) exists on {}: no customer can pass the phone check; fix ERP_PHONE_FIELDS",
            erp.schema().customer_doctype
        );
        lines.push(CheckLine { ok: false, text });
    }
    lines
}

fn optional_line(name: &str, found: Result<bool, ErpError>) -> CheckLine {
    match found {
        Ok(true) => CheckLine { ok: true, text: format!("erpnext: optional {name}: present") },
        Ok(false) => {
            CheckLine { ok: true, text: format!("erpnext: optional {name}: missing, the bot does without it") }
        }
        Err(e) => CheckLine { ok: false, text: format!("erpnext: optional {name}: could not be checked: {e}") },
    }
}

/// The columns every site must have: stock ones, and those `erp setup` creates.
fn required_fields(erp: &ErpClient) -> [(&str, Vec<&str>); 3] {
    let s = erp.schema();
    let customer = vec!["name", s.customer_name_field.as_str(), s.passport_field.as_str(), s.telegram_field.as_str()];
    let mut payment = vec!["name", "posting_date", "paid_amount"];
    payment.extend(s.sales.payment_link_field.as_deref());
    [
        (s.customer_doctype.as_str(), customer),
        (s.sales.contract_doctype.as_str(), vec!["name", "customer", "transaction_date", "currency", "grand_total"]),
        (s.sales.payment_doctype.as_str(), payment),
    ]
}

async fn check_erp(clients: &Clients) -> CheckLine {
    let user = match clients.erp.logged_user().await {
        Ok(user) => user,
        Err(e) => return CheckLine { ok: false, text: format!("erpnext: {e}") },
    };
    let s = clients.erp.schema();
    let sales = &s.sales;
    for (doctype, fields) in required_fields(&clients.erp) {
        let query = ListQuery::new(doctype, &fields).limit(1);
        match clients.erp.list::<serde_json::Value>(&query).await {
            Ok(_) => {}
            Err(ErpError::Forbidden(m)) => {
                return CheckLine { ok: false, text: format!("erpnext: user {user} may not read {doctype}: {m}") };
            }
            Err(e) => {
                let fields = fields.join(", ");
                return CheckLine {
                    ok: false,
                    text: format!("erpnext: reading {doctype} with the configured fields ({fields}) failed: {e}"),
                };
            }
        }
    }
    CheckLine {
        ok: true,
        text: format!(
            "erpnext: reachable as {user}; {}, {} and {} readable with the required fields",
            s.customer_doctype, sales.contract_doctype, sales.payment_doctype
        ),
    }
}
