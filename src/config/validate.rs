//! Validation of the merged raw settings into a [`Config`]: every problem is collected, one
//! line each, instead of stopping at the first.

use std::{collections::BTreeMap, net::SocketAddr, time::Duration};

use chrono::NaiveTime;
use url::Url;

use super::*;
use crate::secret::Secret;

/// Collects problems instead of stopping at the first.
pub(super) struct Validator {
    pub(super) raw: BTreeMap<String, String>,
    pub(super) problems: Vec<String>,
}

impl Validator {
    fn get(&self, key: &str) -> Option<&str> {
        self.raw.get(key).map(String::as_str)
    }

    fn problem(&mut self, key: &str, what: impl std::fmt::Display) {
        self.problems.push(format!("{key}: {what}"));
    }

    fn required(&mut self, key: &str) -> Option<String> {
        let value = self.get(key).map(str::to_owned);
        if value.is_none() {
            self.problem(key, "is required but not set");
        }
        value
    }

    fn text(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or(default).to_owned()
    }

    fn parsed<T: std::str::FromStr>(&mut self, key: &str, default: T, what: &str) -> T {
        match self.get(key).map(str::parse::<T>) {
            None => default,
            Some(Ok(v)) => v,
            Some(Err(_)) => {
                let shown = self.get(key).unwrap_or_default().to_owned();
                self.problem(key, format!("{shown:?} is not {what}"));
                default
            }
        }
    }

    fn positive<T>(&mut self, key: &str, default: T, max: T) -> T
    where
        T: std::str::FromStr + PartialOrd + Default + Copy + std::fmt::Display,
    {
        let v = self.parsed(key, default, "a whole number");
        if v <= T::default() || v > max {
            self.problem(key, format!("must be between 1 and {max}"));
            return default;
        }
        v
    }

    fn bool(&mut self, key: &str, default: bool) -> bool {
        match self.get(key).map(str::to_ascii_lowercase).as_deref() {
            None => default,
            Some("true" | "1" | "yes" | "on") => true,
            Some("false" | "0" | "no" | "off") => false,
            Some(other) => {
                let other = other.to_owned();
                self.problem(key, format!("{other:?} is not true or false"));
                default
            }
        }
    }

    fn url(&mut self, key: &str, value: Option<String>) -> Option<Url> {
        let value = value?;
        match Url::parse(&value) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            _ => {
                self.problem(key, "must be an http(s) URL such as https://erp.example.com");
                None
            }
        }
    }

    fn day_list(&mut self, key: &str, default: &[u32]) -> Vec<u32> {
        let Some(raw) = self.get(key).map(str::to_owned) else {
            let mut days = default.to_vec();
            days.sort_unstable();
            return days;
        };
        let parsed: Result<Vec<u32>, _> =
            raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse::<u32>).collect();
        match parsed {
            Ok(mut days) if days.iter().all(|d| (1..=365).contains(d)) => {
                days.sort_unstable();
                days.dedup();
                days
            }
            _ => {
                self.problem(key, "must be a comma-separated list of days (1-365), e.g. 5,3,1");
                default.to_vec()
            }
        }
    }

    fn secret_list(&mut self, key: &str, required: bool) -> Vec<Secret> {
        let raw = if required { self.required(key) } else { self.get(key).map(str::to_owned) };
        let secrets: Vec<Secret> =
            raw.unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(Secret::new).collect();
        if required && secrets.is_empty() && self.get(key).is_some() {
            self.problem(key, "holds no secret");
        }
        secrets
    }

    fn webhook_secret(&mut self, purpose: Purpose) -> Option<Secret> {
        const KEY: &str = "TELEGRAM_WEBHOOK_SECRET";
        let value = if purpose == Purpose::Serve { self.required(KEY) } else { self.get(KEY).map(str::to_owned) }?;
        let valid = (1..=256).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            self.problem(KEY, "must be 1-256 characters of A-Z, a-z, 0-9, _ and -");
        }
        Some(Secret::new(value))
    }

    pub(super) fn build(&mut self, purpose: Purpose) -> Option<Config> {
        let token = self.required("BOT_TOKEN");
        if token.as_deref().is_some_and(|t| !t.contains(':')) {
            self.problem("BOT_TOKEN", "does not look like a bot token (expected 123456:ABC...)");
        }
        let api_url = self.text("TELEGRAM_API_URL", "https://api.telegram.org");
        let api_url = self.url("TELEGRAM_API_URL", Some(api_url));
        let webhook_secret = self.webhook_secret(purpose);
        let send_rate = self.positive("TELEGRAM_SEND_RATE", 25u32, 1000);
        let max_connections = self.positive("TELEGRAM_MAX_CONNECTIONS", 40u32, 100);
        let public_url = self.get("PUBLIC_URL").map(str::to_owned);
        let public_url = self.url("PUBLIC_URL", public_url);

        let erp = self.erp(purpose);
        let redis = RedisConfig {
            url: Secret::new(self.text("REDIS_URL", "redis://127.0.0.1:6379/0")),
            key_prefix: self.text("REDIS_KEY_PREFIX", "erpbot"),
            sentinels: self
                .text("REDIS_SENTINELS", "")
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            sentinel_master: self.text("REDIS_SENTINEL_MASTER", "mymaster"),
            retry_for: Duration::from_secs(self.positive("REDIS_RETRY_SECS", 30u64, 50)),
        };
        if let Some(bad) = redis.sentinels.iter().find(|s| !is_host_port(s)) {
            let bad = bad.clone();
            self.problem(
                "REDIS_SENTINELS",
                format!("{bad:?} is not host:port (e.g. sentinel-1:26379,sentinel-2:26379)"),
            );
        }
        if redis.sentinel_master.trim().is_empty() || redis.sentinel_master.contains(char::is_whitespace) {
            self.problem("REDIS_SENTINEL_MASTER", "must be a name without spaces");
        }
        if !redis.url.expose().starts_with("redis://") && !redis.url.expose().starts_with("rediss://") {
            self.problem("REDIS_URL", "must start with redis:// (e.g. redis://127.0.0.1:6379/0)");
        }
        if redis.key_prefix.contains(char::is_whitespace) {
            self.problem("REDIS_KEY_PREFIX", "must not contain spaces");
        }
        let listen_addr =
            self.parsed("LISTEN_ADDR", SocketAddr::from(([0, 0, 0, 0], 8080)), "an address like 0.0.0.0:8080");
        let log_format = match self.text("LOG_FORMAT", "text").to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => {
                self.problem("LOG_FORMAT", "must be text or json");
                LogFormat::Text
            }
        };
        let auth = AuthConfig {
            require_phone: self.bool("AUTH_REQUIRE_PHONE", true),
            max_attempts: self.positive("AUTH_MAX_ATTEMPTS", 5u32, 1000),
            attempt_window: Duration::from_secs(self.positive("AUTH_ATTEMPT_WINDOW_SECS", 3600u64, 7 * 86_400)),
        };
        let support_phone = self.get("SUPPORT_PHONE").map(str::to_owned);
        let currency_decimals = self.currency_decimals();
        let reminders = self.reminders();
        let events = EventsConfig {
            workers: {
                let w = self.parsed("EVENT_WORKERS", 16usize, "a whole number");
                if w > 64 {
                    self.problem("EVENT_WORKERS", "must be between 0 and 64");
                }
                w
            },
            claim_idle: Duration::from_secs(self.positive("EVENT_CLAIM_IDLE_SECS", 60u64, 3600)),
            max_attempts: self.positive("EVENT_MAX_ATTEMPTS", 5u32, 100),
            reconcile_every: {
                let secs = self.parsed("EVENT_RECONCILE_SECS", 60u64, "a whole number");
                if secs > 86_400 {
                    self.problem("EVENT_RECONCILE_SECS", "must be between 0 and 86400");
                }
                (secs > 0).then(|| Duration::from_secs(secs))
            },
            reconcile_lookback: {
                let secs = self.parsed("EVENT_RECONCILE_LOOKBACK_SECS", 0u64, "a whole number");
                if secs > 30 * 86_400 {
                    self.problem("EVENT_RECONCILE_LOOKBACK_SECS", "must be between 0 and 2592000 (30 days)");
                }
                Duration::from_secs(secs)
            },
            replica_id: self.get("REPLICA_ID").map(str::to_owned),
        };
        if let Some(id) = &events.replica_id
            && (id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        {
            self.problem("REPLICA_ID", "must be at most 64 letters, digits, '-', '_' or '.'");
        }

        Some(Config {
            telegram: TelegramConfig {
                token: Secret::new(token?),
                api_url: api_url?,
                webhook_secret,
                send_rate,
                max_connections,
            },
            erp: erp?,
            redis,
            listen_addr,
            log_format,
            public_url,
            auth,
            support_phone,
            currency_decimals,
            reminders,
            events,
        })
    }

    fn erp(&mut self, purpose: Purpose) -> Option<ErpConfig> {
        let base_url = self.required("ERP_BASE_URL");
        let base_url = self.url("ERP_BASE_URL", base_url);
        let api_key = self.required("ERP_API_KEY");
        let api_secret = self.required("ERP_API_SECRET");
        let webhook_secrets = self.secret_list("ERP_WEBHOOK_SECRET", purpose == Purpose::Serve);
        let attempt_timeout = Duration::from_secs(self.positive("ERP_TIMEOUT_SECS", 5u64, 120));
        let deadline = Duration::from_secs(self.positive("ERP_DEADLINE_SECS", 15u64, 300));
        if deadline < attempt_timeout {
            self.problem("ERP_DEADLINE_SECS", "must not be shorter than ERP_TIMEOUT_SECS");
        }
        let max_concurrency = self.positive("ERP_MAX_CONCURRENCY", 16usize, 1024);
        let max_retries = self.parsed("ERP_MAX_RETRIES", 2u32, "a whole number");
        if max_retries > 10 {
            self.problem("ERP_MAX_RETRIES", "must be between 0 and 10");
        }
        let phone_fields: Vec<String> = self
            .text("ERP_PHONE_FIELDS", "mobile_no")
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        let schema = ErpSchema {
            customer_doctype: self.text("ERP_CUSTOMER_DOCTYPE", "Customer"),
            customer_name_field: self.text("ERP_CUSTOMER_NAME_FIELD", "customer_name"),
            passport_field: self.text("ERP_PASSPORT_FIELD", "custom_passport_series"),
            telegram_field: self.text("ERP_TELEGRAM_FIELD", "custom_telegram_id"),
            phone_fields,
            sales: self.sales_schema(),
        };
        if schema.phone_fields.is_empty() {
            self.problem("ERP_PHONE_FIELDS", "must name at least one field");
        }
        for (key, field) in [
            ("ERP_CUSTOMER_NAME_FIELD", &schema.customer_name_field),
            ("ERP_PASSPORT_FIELD", &schema.passport_field),
            ("ERP_TELEGRAM_FIELD", &schema.telegram_field),
        ] {
            if !is_field_name(field) {
                self.problem(key, "must be a field name of letters, digits and _");
            }
        }
        if !schema.phone_fields.iter().all(|f| is_field_name(f)) {
            self.problem("ERP_PHONE_FIELDS", "must be field names of letters, digits and _");
        }
        Some(ErpConfig {
            base_url: base_url?,
            api_key: Secret::new(api_key?),
            api_secret: Secret::new(api_secret?),
            webhook_secrets,
            attempt_timeout,
            deadline,
            max_concurrency,
            max_retries,
            schema,
        })
    }

    fn sales_schema(&mut self) -> SalesSchema {
        let sales = SalesSchema {
            contract_doctype: self.text("ERP_CONTRACT_DOCTYPE", "Sales Order"),
            total_field: self.get("ERP_CONTRACT_TOTAL_FIELD").map(str::to_owned),
            markup_field: self.text("ERP_CONTRACT_MARKUP_FIELD", "custom_total_interest"),
            down_payment_field: self.text("ERP_CONTRACT_DOWNPAYMENT_FIELD", "custom_downpayment_amount"),
            imei_field: self.text("ERP_ITEM_IMEI_FIELD", "custom_imei"),
            notes_field: self.text("ERP_ITEM_NOTES_FIELD", "custom_notes"),
            payment_doctype: "Payment Entry".into(),
            payment_reference_doctype: "Payment Entry Reference".into(),
            schedule_doctype: "Payment Schedule".into(),
            invoice_doctype: "Sales Invoice".into(),
            invoice_item_doctype: "Sales Invoice Item".into(),
            payment_link_field: self.get("ERP_PAYMENT_LINK_FIELD").map(str::to_owned),
            print_format: self.text("ERP_PRINT_FORMAT", "Standard"),
        };
        for (key, field) in [
            ("ERP_CONTRACT_TOTAL_FIELD", sales.total_field.as_ref()),
            ("ERP_CONTRACT_MARKUP_FIELD", Some(&sales.markup_field)),
            ("ERP_CONTRACT_DOWNPAYMENT_FIELD", Some(&sales.down_payment_field)),
            ("ERP_ITEM_IMEI_FIELD", Some(&sales.imei_field)),
            ("ERP_ITEM_NOTES_FIELD", Some(&sales.notes_field)),
            ("ERP_PAYMENT_LINK_FIELD", sales.payment_link_field.as_ref()),
        ] {
            if field.is_some_and(|f| !is_field_name(f)) {
                self.problem(key, "must be a field name of letters, digits and _");
            }
        }
        sales
    }

    fn currency_decimals(&mut self) -> Decimals {
        match self.get("CURRENCY_DECIMALS").map(Decimals::parse) {
            None => Decimals::default(),
            Some(Ok(decimals)) => decimals,
            Some(Err(why)) => {
                self.problem("CURRENCY_DECIMALS", why);
                Decimals::default()
            }
        }
    }

    fn reminders(&mut self) -> ReminderConfig {
        let default_time = NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default();
        let time = match self.get("REMINDER_TIME").map(|t| NaiveTime::parse_from_str(t, "%H:%M")) {
            None => default_time,
            Some(Ok(t)) => t,
            Some(Err(_)) => {
                self.problem("REMINDER_TIME", "must be a time of day as HH:MM, e.g. 10:00");
                default_time
            }
        };
        let timezone =
            self.parsed("REMINDER_TIMEZONE", chrono_tz::Asia::Tashkent, "a time zone name such as Asia/Tashkent");
        ReminderConfig {
            enabled: self.bool("REMINDERS_ENABLED", true),
            time,
            timezone,
            days_before: self.day_list("REMINDER_DAYS_BEFORE", &[5, 3, 1]),
            days_after: self.day_list("REMINDER_DAYS_AFTER", &[1, 3, 7]),
        }
    }
}

fn is_field_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `host:port` with a non-empty host and a port number.
fn is_host_port(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((host, port)) => !host.trim().is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}
