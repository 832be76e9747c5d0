//! Configuration: defaults → optional TOML file (`CONFIG_FILE`) → environment, read once at
//! start-up, validated into a typed [`Config`] with one clear line per problem.
//!
//! Variable names are the operator contract of PRODUCT.md; README.md and `.env.example` list
//! the same set as [`KEYS`]. TOML files use the same names in lower case.

use std::{collections::BTreeMap, net::SocketAddr, time::Duration};

use chrono::NaiveTime;
use chrono_tz::Tz;
use figment::{
    Figment,
    providers::{Format, Serialized, Toml},
};
use url::Url;

use crate::format::money::Decimals;
use crate::secret::Secret;

/// Every variable the service reads. Kept in step with README.md and `.env.example`.
pub const KEYS: &[&str] = &[
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "PUBLIC_URL",
    "ERP_BASE_URL",
    "ERP_API_KEY",
    "ERP_API_SECRET",
    "ERP_WEBHOOK_SECRET",
    "ERP_TIMEOUT_SECS",
    "ERP_DEADLINE_SECS",
    "ERP_MAX_CONCURRENCY",
    "ERP_MAX_RETRIES",
    "ERP_CUSTOMER_DOCTYPE",
    "ERP_CUSTOMER_NAME_FIELD",
    "ERP_PASSPORT_FIELD",
    "ERP_TELEGRAM_FIELD",
    "ERP_PHONE_FIELDS",
    "ERP_CONTRACT_DOCTYPE",
    "ERP_CONTRACT_TOTAL_FIELD",
    "ERP_CONTRACT_MARKUP_FIELD",
    "ERP_CONTRACT_DOWNPAYMENT_FIELD",
    "ERP_ITEM_IMEI_FIELD",
    "ERP_ITEM_NOTES_FIELD",
    "ERP_PAYMENT_LINK_FIELD",
    "ERP_PRINT_FORMAT",
    "REDIS_URL",
    "REDIS_KEY_PREFIX",
    "REDIS_SENTINELS",
    "REDIS_SENTINEL_MASTER",
    "REDIS_RETRY_SECS",
    "LISTEN_ADDR",
    "LOG_FORMAT",
    "AUTH_REQUIRE_PHONE",
    "AUTH_MAX_ATTEMPTS",
    "AUTH_ATTEMPT_WINDOW_SECS",
    "SUPPORT_PHONE",
    "CURRENCY_DECIMALS",
    "REMINDERS_ENABLED",
    "REMINDER_TIME",
    "REMINDER_TIMEZONE",
    "REMINDER_DAYS_BEFORE",
    "REMINDER_DAYS_AFTER",
    "TELEGRAM_SEND_RATE",
    "TELEGRAM_MAX_CONNECTIONS",
    "EVENT_WORKERS",
    "EVENT_CLAIM_IDLE_SECS",
    "EVENT_MAX_ATTEMPTS",
    "EVENT_RECONCILE_SECS",
    "EVENT_RECONCILE_LOOKBACK_SECS",
    "REPLICA_ID",
];

/// The variable naming the optional TOML file; it is not itself read from the file.
pub const CONFIG_FILE_VAR: &str = "CONFIG_FILE";

/// What the configuration is loaded for: `serve` needs the webhook secrets, `check` does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Serve,
    Tooling,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated configuration, passed down as a whole; nothing reads the environment later.
#[derive(Clone, Debug)]
pub struct Config {
    pub telegram: TelegramConfig,
    pub erp: ErpConfig,
    pub redis: RedisConfig,
    pub listen_addr: SocketAddr,
    pub log_format: LogFormat,
    pub public_url: Option<Url>,
    pub auth: AuthConfig,
    pub support_phone: Option<String>,
    /// How many decimals each currency is shown with; installed for the process at start-up.
    pub currency_decimals: Decimals,
    pub reminders: ReminderConfig,
    pub events: EventsConfig,
}

/// Delivery of ERPNext events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsConfig {
    /// Events delivered at once by this replica; 0 makes it accept events without delivering.
    pub workers: usize,
    /// The fallback: an event held this long without being worked on is taken over by another
    /// replica (a dead replica's events are taken sooner, through its heartbeat).
    pub claim_idle: Duration,
    /// Attempts before an event is parked for an operator.
    pub max_attempts: u32,
    /// How often the catch-up reconciler reads ERPNext for events the webhooks never
    /// delivered; `None` (0): never.
    pub reconcile_every: Option<Duration>,
    /// On the very first start (no checkpoint in Redis), how far back the reconciler begins:
    /// zero means "now", so no history is flooded onto customers.
    pub reconcile_lookback: Duration,
    /// This replica's stable name (consumer in the event group, heartbeat); `None`: the host
    /// name, which compose keeps across restarts.
    pub replica_id: Option<String>,
}

#[derive(Clone, Debug)]
pub struct TelegramConfig {
    pub token: Secret,
    pub api_url: Url,
    /// `None` only outside `serve`.
    pub webhook_secret: Option<Secret>,
    /// Bulk messages per second across all replicas.
    pub send_rate: u32,
    /// `max_connections` given to `setWebhook`.
    pub max_connections: u32,
}

#[derive(Clone, Debug)]
pub struct ErpConfig {
    pub base_url: Url,
    pub api_key: Secret,
    pub api_secret: Secret,
    /// Secrets accepted on `X-Frappe-Webhook-Signature`; empty only outside `serve`.
    pub webhook_secrets: Vec<Secret>,
    pub attempt_timeout: Duration,
    pub deadline: Duration,
    pub max_concurrency: usize,
    pub max_retries: u32,
    pub schema: ErpSchema,
}

/// Doctype and field names on the ERPNext site (defaults from ERPNEXT.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErpSchema {
    pub customer_doctype: String,
    pub customer_name_field: String,
    pub passport_field: String,
    pub telegram_field: String,
    pub phone_fields: Vec<String>,
    pub sales: SalesSchema,
}

/// Contract, payment and schedule names (stock ERPNext doctypes; custom fields configurable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesSchema {
    pub contract_doctype: String,
    /// A custom total, read only where a document has neither `rounded_total` nor
    /// `grand_total` (ERPNext's own come first: the schedule must add up to them); `None` (the
    /// default: stock ERPNext has none). Where set, an optional column
    /// ([`crate::erpnext::columns`]).
    pub total_field: Option<String>,
    /// Not read for any figure: the mark-up is inside ERPNext's grand total (ERPNEXT.md,
    /// "Product prices with the mark-up"). Kept so that existing configurations load.
    pub markup_field: String,
    pub down_payment_field: String,
    pub imei_field: String,
    pub notes_field: String,
    pub payment_doctype: String,
    pub payment_reference_doctype: String,
    pub schedule_doctype: String,
    /// The invoices made from contracts, and their item rows (which name the contract in
    /// `sales_order`).
    pub invoice_doctype: String,
    pub invoice_item_doctype: String,
    /// A Payment Entry field naming the contract, for sites that link payments that way;
    /// `None`: payments are found through Payment Entry References.
    pub payment_link_field: Option<String>,
    /// The print format of the contract PDF.
    pub print_format: String,
}

#[derive(Clone, Debug)]
pub struct RedisConfig {
    /// With Sentinels, only the database, user and password are taken from it.
    pub url: Secret,
    pub key_prefix: String,
    /// `host:port` of each Sentinel; empty: connect to `url` directly.
    pub sentinels: Vec<String>,
    /// The master's name the Sentinels know.
    pub sentinel_master: String,
    /// How long the update path keeps retrying an unavailable Redis (bounded backoff) before
    /// it gives up and lets Telegram redeliver: inside Telegram's 60 s webhook timeout.
    pub retry_for: Duration,
}

impl RedisConfig {
    /// One Redis at `url`, no Sentinels, the default retry window (tools, tests, the demo).
    pub fn direct(url: Secret, key_prefix: &str) -> RedisConfig {
        RedisConfig {
            url,
            key_prefix: key_prefix.to_owned(),
            sentinels: Vec::new(),
            sentinel_master: "mymaster".into(),
            retry_for: Duration::from_secs(30),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthConfig {
    pub require_phone: bool,
    pub max_attempts: u32,
    pub attempt_window: Duration,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderConfig {
    /// Whether this replica runs the daily pass (`reminders run` works either way).
    pub enabled: bool,
    pub time: NaiveTime,
    pub timezone: Tz,
    pub days_before: Vec<u32>,
    pub days_after: Vec<u32>,
}

/// All problems found, one line each, in variable order.
#[derive(Debug, thiserror::Error)]
#[error("{} configuration problem(s):\n{}", .0.len(), .0.join("\n"))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads `CONFIG_FILE` (if set) and the process environment.
    pub fn load(purpose: Purpose) -> Result<Self, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Self::from_sources(&env, purpose)
    }

    /// Builds the configuration from a given environment (tests pass their own map).
    pub fn from_sources(env: &BTreeMap<String, String>, purpose: Purpose) -> Result<Self, ConfigError> {
        let raw = merge_sources(env)?;
        let mut v = Validator { raw, problems: Vec::new() };
        let config = v.build(purpose);
        match config {
            Some(config) if v.problems.is_empty() => Ok(config),
            _ => Err(ConfigError(v.problems)),
        }
    }
}

/// Layers: TOML file, then the environment (environment wins). Values stay strings so that a
/// secret like `0123` is not read as the number 123; empty values count as unset.
fn merge_sources(env: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ConfigError> {
    let from_env: BTreeMap<String, String> = KEYS
        .iter()
        .filter_map(|k| {
            let v = env.get(*k)?.trim();
            (!v.is_empty()).then(|| (k.to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    let mut figment = Figment::new();
    if let Some(path) = env.get(CONFIG_FILE_VAR).filter(|p| !p.trim().is_empty()) {
        if !std::path::Path::new(path).is_file() {
            return Err(ConfigError(vec![format!("{CONFIG_FILE_VAR}: file {path:?} does not exist")]));
        }
        figment = figment.merge(Toml::file(path));
    }
    figment = figment.merge(Serialized::defaults(from_env));
    let values: BTreeMap<String, figment::value::Value> =
        figment.extract().map_err(|e| ConfigError(vec![format!("{CONFIG_FILE_VAR}: {e}")]))?;
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (key, value) in values {
        let upper = key.to_ascii_uppercase();
        if !KEYS.contains(&upper.as_str()) {
            problems.push(format!("{CONFIG_FILE_VAR}: unknown setting `{key}`"));
            continue;
        }
        match scalar_to_string(&value) {
            Some(s) if s.trim().is_empty() => {}
            Some(s) => {
                out.insert(upper, s.trim().to_owned());
            }
            None => problems.push(format!("{upper}: must be a single value")),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(ConfigError(problems)) }
}

fn scalar_to_string(value: &figment::value::Value) -> Option<String> {
    use figment::value::Value;
    match value {
        Value::String(_, s) => Some(s.clone()),
        Value::Char(_, c) => Some(c.to_string()),
        Value::Bool(_, b) => Some(b.to_string()),
        Value::Num(_, n) => n.to_i128().map(|i| i.to_string()).or_else(|| n.to_f64().map(|f| f.to_string())),
        Value::Array(_, items) => {
            items.iter().map(scalar_to_string).collect::<Option<Vec<_>>>().map(|parts| parts.join(","))
        }
        Value::Empty(..) | Value::Dict(..) => None,
    }
}

mod validate;

use validate::Validator;

/// The sales schema of a configuration with only the required variables: the defaults, for
/// unit tests.
#[cfg(test)]
pub(crate) fn default_sales_schema() -> SalesSchema {
    let env: BTreeMap<String, String> =
        [("BOT_TOKEN", "1:a"), ("ERP_BASE_URL", "http://erp"), ("ERP_API_KEY", "k"), ("ERP_API_SECRET", "s")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    match Config::from_sources(&env, Purpose::Tooling) {
        Ok(config) => config.erp.schema.sales,
        Err(e) => panic!("the default configuration is valid: {e}"),
    }
}

#[cfg(test)]
mod tests;
