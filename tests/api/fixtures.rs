//! Contracts and payments for the views: one with a mark-up, one with a down-payment row and
//! 25+ payments (and a `/` in its name), a cancelled one, another customer's one; and, apart,
//! contracts as a stock site stores them ([`seed_real_shapes`]). Every Sales Order is one a
//! real site accepts ([`assert_accepted`]).

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};

use crate::common::fake_erp::FakeErp;
use crate::helpers::CUSTOMER;

pub const MARKUP: &str = "SO-2026-00001";
pub const LONG: &str = "SO/2026/00002";
pub const CANCELLED: &str = "SO-2026-00003";
pub const OTHERS: &str = "SO-2026-00099";
/// Payments on the long contract: more than ERPNext's default page of 20.
pub const LONG_PAYMENTS: usize = 25;

/// "Today" as the service sees it (business time zone).
pub fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&chrono_tz::Asia::Tashkent).date_naive()
}

/// A date `offset` days from today, as ERPNext writes it.
pub fn day(offset: i64) -> String {
    (today() + Duration::days(offset)).format("%Y-%m-%d").to_string()
}

pub fn dmy(offset: i64) -> String {
    (today() + Duration::days(offset)).format("%d.%m.%Y").to_string()
}

fn schedule(rows: &[(i64, f64)]) -> Value {
    Value::Array(
        rows.iter()
            .enumerate()
            .map(|(i, (offset, amount))| json!({"idx": i + 1, "due_date": day(*offset), "payment_amount": amount}))
            .collect(),
    )
}

fn sales_order(name: &str, customer: &str, docstatus: i64, extra: Value) -> Value {
    let mut doc = json!({
        "name": name, "customer": customer, "docstatus": docstatus, "currency": "UZS",
        "transaction_date": day(-120), "status": "To Deliver and Bill",
    });
    if let (Some(d), Value::Object(e)) = (doc.as_object_mut(), extra) {
        d.extend(e);
    }
    assert_accepted(&doc);
    doc
}

fn sum(doc: &Value, table: &str, field: &str) -> f64 {
    doc[table].as_array().into_iter().flatten().filter_map(|r| r[field].as_f64()).sum()
}

/// Panics on a Sales Order no real site holds. ERPNext computes the grand total as the items'
/// amounts plus the charge rows (erpnext/controllers/taxes_and_totals.py, `calculate_totals`),
/// and refuses a payment schedule more than 0.1 away from `rounded_total or grand_total`
/// (erpnext/controllers/accounts_controller.py, `validate_payment_schedule_amount`).
fn assert_accepted(doc: &Value) {
    let name = &doc["name"];
    let grand = doc["grand_total"].as_f64().unwrap_or_default();
    if doc.get("items").is_some() {
        let built = sum(doc, "items", "amount") + sum(doc, "taxes", "tax_amount");
        assert!((built - grand).abs() < 0.005, "{name}: items and charges {built} are not the grand total {grand}");
    }
    if doc.get("payment_schedule").is_some_and(|s| s.as_array().is_some_and(|rows| !rows.is_empty())) {
        let payable = doc["rounded_total"].as_f64().filter(|t| *t > 0.0).unwrap_or(grand);
        let scheduled = sum(doc, "payment_schedule", "payment_amount");
        assert!((scheduled - payable).abs() <= 0.1, "{name}: schedule {scheduled} against {payable}");
    }
}

fn payment(erp: &FakeErp, name: &str, contract: &str, offset: i64, amount: f64) {
    erp.insert(
        "Payment Entry",
        json!({
            "name": name, "docstatus": 1, "payment_type": "Receive", "party_type": "Customer", "party": CUSTOMER,
            "posting_date": day(offset), "mode_of_payment": "Cash", "paid_amount": amount, "reference_no": null,
            "references": [{"reference_doctype": "Sales Order", "reference_name": contract, "allocated_amount": amount}],
        }),
    );
}

pub fn seed(erp: &FakeErp) {
    // Items before the mark-up: 10 000 000 + 2 × 1 250 000; the mark-up of 3 750 000 is a
    // charge row, inside the grand total (the custom fields say the same).
    erp.insert(
        "Sales Order",
        sales_order(
            MARKUP,
            CUSTOMER,
            1,
            json!({
                "total": 12_500_000.0, "net_total": 12_500_000.0, "total_taxes_and_charges": 3_750_000.0,
                "grand_total": 16_250_000.0, "rounded_total": 16_250_000.0,
                "taxes": [markup_charge(3_750_000.0, 16_250_000.0)],
                "custom_grand_total_with_interest": 16_250_000.0, "custom_total_interest": 3_750_000.0,
                "custom_downpayment_amount": 2_000_000.0,
                "items": [
                    {"idx": 1, "item_name": "Samsung <Galaxy> S24 & case", "qty": 1.0, "rate": 10_000_000.0, "amount": 10_000_000.0, "custom_imei": "356789012345678"},
                    {"idx": 2, "item_name": "Washing machine", "qty": 2.0, "rate": 1_250_000.0, "amount": 2_500_000.0, "custom_notes": "white"},
                ],
                "payment_schedule": schedule(&[(-40, 2_000_000.0), (-10, 7_125_000.0), (20, 7_125_000.0)]),
            }),
        ),
    );
    payment(erp, "ACC-PAY-2026-00001", MARKUP, -45, 2_000_000.0);
    payment(erp, "ACC-PAY-2026-00002", MARKUP, -12, 3_000_000.0);
    // A down-payment row first, then monthly rows; paid in 25 small payments.
    let rows: Vec<(i64, f64)> =
        std::iter::once((-100, 1_000_000.0)).chain((0..10).map(|m| (-70 + 30 * m, 500_000.0))).collect();
    erp.insert(
        "Sales Order",
        sales_order(
            LONG,
            CUSTOMER,
            1,
            json!({
                "grand_total": 6_000_000.0, "rounded_total": 6_000_000.0, "custom_downpayment_amount": 1_000_000.0,
                "transaction_date": day(-150),
                "items": [{"idx": 1, "item_name": "Fridge", "qty": 1.0, "rate": 6_000_000.0, "amount": 6_000_000.0}],
                "payment_schedule": schedule(&rows),
            }),
        ),
    );
    for i in 0..LONG_PAYMENTS {
        payment(erp, &format!("ACC-PAY-2026-1{i:04}"), LONG, -100 + i as i64, 80_000.0);
    }
    erp.insert("Sales Order", sales_order(CANCELLED, CUSTOMER, 2, json!({"grand_total": 999.0})));
    erp.insert(
        "Sales Order",
        sales_order(
            OTHERS,
            "CUST-0777",
            1,
            json!({
                "grand_total": 5_000.0, "payment_schedule": [],
                "items": [{"idx": 1, "item_name": "Cable", "qty": 1.0, "rate": 5_000.0, "amount": 5_000.0}],
            }),
        ),
    );
    payment(erp, "ACC-PAY-2026-09999", OTHERS, -3, 5_000.0);
}

/// A mark-up booked as ERPNext books a charge: an "Actual" row of `Sales Taxes and Charges`,
/// with its amount and the running total after it.
fn markup_charge(amount: f64, total: f64) -> Value {
    json!({
        "idx": 1, "doctype": "Sales Taxes and Charges", "charge_type": "Actual",
        "account_head": "Instalment mark-up - ISL", "description": "Instalment mark-up",
        "tax_amount": amount, "tax_amount_after_discount_amount": amount, "total": total,
        "included_in_print_rate": 0,
    })
}

/// ERPNext's split of 6 000 000 into six payment terms, mark-up as a charge row, on a stock
/// site (no custom fields): two products sharing the mark-up to the tiyin.
pub const TIYIN: &str = "SO-2026-00006";
/// The mark-up built into the item rates, with the shop's own mark-up field saying 840 000.
pub const IN_RATES: &str = "SO-2026-00007";

/// The two contracts of [`TIYIN`] and [`IN_RATES`], each the customer's, as a real site
/// stores them.
pub fn seed_real_shapes(erp: &FakeErp) {
    // 6 terms of 16.666667%: 1 000 000.02 each, the last one 999 999.90.
    let terms: Vec<(i64, f64)> =
        [-75, -45, -15, 15, 45].into_iter().map(|d| (d, 1_000_000.02)).chain([(75, 999_999.90)]).collect();
    erp.insert(
        "Sales Order",
        sales_order(
            TIYIN,
            CUSTOMER,
            1,
            json!({
                "transaction_date": day(-90), "payment_terms_template": "6 months",
                "total": 5_000_000.0, "net_total": 5_000_000.0, "total_taxes_and_charges": 1_000_000.0,
                "grand_total": 6_000_000.0, "rounded_total": 6_000_000.0,
                "taxes": [markup_charge(1_000_000.0, 6_000_000.0)],
                "items": [
                    {"idx": 1, "item_name": "Artel fridge", "qty": 1.0, "rate": 3_333_333.0, "amount": 3_333_333.0},
                    {"idx": 2, "item_name": "Artel washer", "qty": 1.0, "rate": 1_666_667.0, "amount": 1_666_667.0},
                ],
                "payment_schedule": schedule(&terms),
            }),
        ),
    );
    // The cashier took the first two terms as ERPNext shows them, to the tiyin.
    payment(erp, "ACC-PAY-2026-06001", TIYIN, -75, 1_000_000.02);
    payment(erp, "ACC-PAY-2026-06002", TIYIN, -45, 1_000_000.02);
    erp.insert(
        "Sales Order",
        sales_order(
            IN_RATES,
            CUSTOMER,
            1,
            json!({
                "transaction_date": day(-30),
                "total": 5_100_000.0, "net_total": 5_100_000.0, "grand_total": 5_100_000.0, "rounded_total": 5_100_000.0,
                "custom_grand_total_with_interest": 5_100_000.0, "custom_total_interest": 840_000.0,
                "custom_downpayment_amount": 1_275_000.0,
                "items": [
                    {"idx": 1, "item_name": "Samsung Galaxy S24", "qty": 1.0, "rate": 5_040_000.0, "amount": 5_040_000.0},
                    {"idx": 2, "item_name": "Case", "qty": 2.0, "rate": 30_000.0, "amount": 60_000.0},
                ],
                "payment_schedule": schedule(&[(-30, 1_275_000.0), (0, 1_275_000.0), (30, 1_275_000.0), (60, 1_275_000.0)]),
            }),
        ),
    );
    payment(erp, "ACC-PAY-2026-07001", IN_RATES, -30, 1_275_000.0);
}
