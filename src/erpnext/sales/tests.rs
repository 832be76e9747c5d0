use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::config::{Config, Purpose};

/// The schema of the default configuration.
fn schema() -> SalesSchema {
    let env: BTreeMap<String, String> = [
        ("BOT_TOKEN", "123:abc"),
        ("ERP_BASE_URL", "https://erp.example.com"),
        ("ERP_API_KEY", "key"),
        ("ERP_API_SECRET", "secret"),
        ("ERP_CONTRACT_TOTAL_FIELD", "custom_grand_total_with_interest"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    Config::from_sources(&env, Purpose::Tooling).expect("valid").erp.schema.sales
}

fn doc(value: Value) -> ContractDoc {
    contract_doc(&schema(), value.as_object().expect("an object"))
}

fn line(name: &str, qty: f64, rate: f64) -> Value {
    json!({"item_name": name, "qty": qty, "rate": rate, "amount": qty * rate})
}

#[test]
fn a_mark_up_booked_as_a_charge_row_is_what_the_total_holds_beyond_the_lines() {
    let d = doc(json!({
        "name": "SO-1", "grand_total": 16_250_000.0, "rounded_total": 16_250_000.0,
        "items": [line("Phone", 1.0, 10_000_000.0), line("Washer", 2.0, 1_250_000.0)],
        "taxes": [{"charge_type": "Actual", "tax_amount": 3_750_000.0, "total": 16_250_000.0}],
        "custom_grand_total_with_interest": 16_250_000.0, "custom_total_interest": 3_750_000.0,
    }));
    assert_eq!((d.row.total, d.markup), (Money(1_625_000_000), Money(375_000_000)));
}

#[test]
fn a_mark_up_in_the_rates_is_never_added_again_whatever_the_mark_up_field_says() {
    let d = doc(json!({
        "name": "SO-2", "grand_total": 5_040_000.0, "rounded_total": 5_040_000.0,
        "items": [line("Phone", 1.0, 5_040_000.0)], "custom_total_interest": 840_000.0,
    }));
    assert_eq!((d.row.total, d.markup), (Money(504_000_000), Money::ZERO));
}

#[test]
fn the_total_is_erpnexts_rounded_then_grand_total_and_a_custom_field_only_stands_in() {
    let total = |v: Value| contract_row(&schema(), v.as_object().expect("an object")).total;
    let custom = "custom_grand_total_with_interest";
    assert_eq!(
        total(json!({"rounded_total": 6_000_000.0, "grand_total": 5_999_999.6, custom: 9.0})),
        Money(600_000_000)
    );
    // Rounding disabled: `rounded_total` is 0.
    assert_eq!(total(json!({"rounded_total": 0.0, "grand_total": 5_999_999.6})), Money(599_999_960));
    assert_eq!(total(json!({custom: 7_000.0})), Money(700_000));
    assert_eq!(total(json!({})), Money::ZERO);
}

#[test]
fn a_contract_without_items_has_nothing_to_spread() {
    assert_eq!(doc(json!({"name": "SO-3", "grand_total": 999.0})).markup, Money::ZERO);
}
