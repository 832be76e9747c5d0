use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn minimal() -> Vec<(&'static str, &'static str)> {
    vec![
        ("BOT_TOKEN", "123:abc"),
        ("TELEGRAM_WEBHOOK_SECRET", "0123-secret"),
        ("ERP_BASE_URL", "https://erp.example.com"),
        ("ERP_API_KEY", "key"),
        ("ERP_API_SECRET", "0123"),
        ("ERP_WEBHOOK_SECRET", "one, two"),
    ]
}

#[test]
fn defaults_follow_the_operator_contract() {
    let c = Config::from_sources(&env(&minimal()), Purpose::Serve).expect("valid");
    assert_eq!(c.telegram.api_url.as_str(), "https://api.telegram.org/");
    assert_eq!(c.redis.url.expose(), "redis://127.0.0.1:6379/0");
    assert_eq!(c.redis.key_prefix, "erpbot");
    assert_eq!(c.listen_addr.to_string(), "0.0.0.0:8080");
    assert_eq!(c.log_format, LogFormat::Text);
    assert!(c.auth.require_phone);
    assert_eq!(c.auth.max_attempts, 5);
    assert_eq!(c.reminders.time.to_string(), "10:00:00");
    assert_eq!(c.reminders.timezone, chrono_tz::Asia::Tashkent);
    assert_eq!(c.reminders.days_before, vec![1, 3, 5]);
    assert_eq!(c.reminders.days_after, vec![1, 3, 7]);
    assert_eq!(c.telegram.send_rate, 25);
    assert_eq!(c.erp.schema.passport_field, "custom_passport_series");
    assert_eq!(c.currency_decimals, crate::format::money::Decimals::default());
    // A stock site needs nothing more than `erp setup`: only stock fields by default.
    assert_eq!(c.erp.schema.phone_fields, vec!["mobile_no"]);
    assert_eq!(c.erp.schema.sales.total_field, None);
}

#[test]
fn numeric_looking_secrets_keep_their_leading_zeros() {
    let c = Config::from_sources(&env(&minimal()), Purpose::Serve).expect("valid");
    assert_eq!(c.erp.api_secret.expose(), "0123");
    let names: Vec<&str> = c.erp.webhook_secrets.iter().map(Secret::expose).collect();
    assert_eq!(names, vec!["one", "two"]);
}

#[test]
fn every_problem_is_reported_on_its_own_line() {
    let vars = env(&[
        ("LOG_FORMAT", "xml"),
        ("AUTH_REQUIRE_PHONE", "maybe"),
        ("REMINDER_TIMEZONE", "Mars/Olympus"),
        ("ERP_BASE_URL", "not a url"),
    ]);
    let err = Config::from_sources(&vars, Purpose::Serve).expect_err("invalid");
    let text = err.0.join("\n");
    for key in [
        "BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "ERP_BASE_URL",
        "ERP_API_KEY",
        "ERP_API_SECRET",
        "ERP_WEBHOOK_SECRET",
        "LOG_FORMAT",
        "AUTH_REQUIRE_PHONE",
        "REMINDER_TIMEZONE",
    ] {
        assert!(text.contains(key), "{key} missing from:\n{text}");
    }
    assert!(err.0.iter().all(|line| !line.contains('\n')));
}

#[test]
fn tooling_does_not_need_the_webhook_secrets() {
    let vars: Vec<_> = minimal().into_iter().filter(|(k, _)| !k.contains("WEBHOOK")).collect();
    assert!(Config::from_sources(&env(&vars), Purpose::Serve).is_err());
    assert!(Config::from_sources(&env(&vars), Purpose::Tooling).is_ok());
}

#[test]
fn a_toml_file_is_read_and_the_environment_wins() {
    let dir = std::env::temp_dir().join(format!("erpbot-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bot.toml");
    std::fs::write(&path, "redis_key_prefix = \"fromfile\"\nauth_max_attempts = 3\nlisten_addr = \"127.0.0.1:9000\"\n")
        .expect("write");
    let mut vars = minimal();
    let path_s = path.to_string_lossy().to_string();
    vars.push(("CONFIG_FILE", &path_s));
    vars.push(("LISTEN_ADDR", "127.0.0.1:9100"));
    let c = Config::from_sources(&env(&vars), Purpose::Serve).expect("valid");
    assert_eq!(c.redis.key_prefix, "fromfile");
    assert_eq!(c.auth.max_attempts, 3);
    assert_eq!(c.listen_addr.to_string(), "127.0.0.1:9100");
}

#[test]
fn secrets_are_not_in_debug_output() {
    let c = Config::from_sources(&env(&minimal()), Purpose::Serve).expect("valid");
    let dump = format!("{c:?}");
    assert!(!dump.contains("123:abc") && !dump.contains("0123-secret"));
}

#[test]
fn an_empty_value_counts_as_unset() {
    let mut vars = minimal();
    vars.push(("REDIS_KEY_PREFIX", ""));
    let c = Config::from_sources(&env(&vars), Purpose::Serve).expect("valid");
    assert_eq!(c.redis.key_prefix, "erpbot");
}

#[test]
fn currency_decimals_are_read_and_a_bad_entry_is_one_line() {
    let mut vars = minimal();
    vars.push(("CURRENCY_DECIMALS", "UZS=2,USD=0"));
    let c = Config::from_sources(&env(&vars), Purpose::Serve).expect("valid");
    assert_eq!((c.currency_decimals.of("UZS"), c.currency_decimals.of("USD")), (2, 0));
    vars.pop();
    vars.push(("CURRENCY_DECIMALS", "UZS=3"));
    let err = Config::from_sources(&env(&vars), Purpose::Serve).expect_err("invalid");
    assert_eq!(err.0, vec![r#"CURRENCY_DECIMALS: "UZS=3": the number of decimals must be 0, 1 or 2"#]);
}
