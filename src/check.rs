//! `erpnext-bot check`: one line per dependency, non-zero exit when any fails.

use crate::config::Config;
use crate::erpnext::{ErpError, ListQuery};
use crate::startup::Clients;

/// One checked dependency.
pub struct CheckLine {
    pub ok: bool,
    pub text: String,
}

pub async fn run(config: &Config) -> anyhow::Result<Vec<CheckLine>> {
    let clients = Clients::new(config)?;
    let redis = match clients.store.ping().await {
        Ok(()) => CheckLine {
            ok: true,
            text: "redis: reachable".into(),
        },
        Err(e) => CheckLine {
            ok: false,
            text: format!("redis: {e}"),
        },
    };
    let erp = check_erp(&clients).await;
    let telegram = match clients.telegram.username().await {
        Ok(name) => CheckLine {
            ok: true,
            text: format!("telegram: token valid (@{name})"),
        },
        Err(e) => CheckLine {
            ok: false,
            text: format!("telegram: {e}"),
        },
    };
    Ok(vec![redis, erp, telegram])
}

async fn check_erp(clients: &Clients) -> CheckLine {
    let user = match clients.erp.logged_user().await {
        Ok(user) => user,
        Err(e) => {
            return CheckLine {
                ok: false,
                text: format!("erpnext: {e}"),
            };
        }
    };
    let s = clients.erp.schema();
    let mut fields = vec![
        "name",
        s.customer_name_field.as_str(),
        s.passport_field.as_str(),
        s.telegram_field.as_str(),
    ];
    fields.extend(s.phone_fields.iter().map(String::as_str));
    let query = ListQuery::new(&s.customer_doctype, &fields).limit(1);
    match clients.erp.list::<serde_json::Value>(&query).await {
        Ok(_) => CheckLine {
            ok: true,
            text: format!(
                "erpnext: reachable as {user}; {} fields present",
                s.customer_doctype
            ),
        },
        Err(ErpError::Forbidden(m)) => CheckLine {
            ok: false,
            text: format!(
                "erpnext: user {user} may not read {}: {m}",
                s.customer_doctype
            ),
        },
        Err(e) => CheckLine {
            ok: false,
            text: format!(
                "erpnext: reading {} with the configured fields ({}) failed: {e}",
                s.customer_doctype,
                fields.join(", ")
            ),
        },
    }
}
