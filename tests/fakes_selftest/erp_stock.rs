//! The fake ERPNext as a bare stock site: a list naming a column the doctype lacks is refused
//! exactly as Frappe refuses it, and a `Custom Field` makes its column exist.

use crate::common::fake_erp::FakeErp;
use crate::erp::server_messages;
use serde_json::{Value, json};

/// POST `frappe.client.get_list` with `body`: (status, JSON answer).
async fn get_list(erp: &FakeErp, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/method/frappe.client.get_list", erp.base_url()))
        .header("Authorization", "token test-key:test-secret")
        .json(&body)
        .send()
        .await
        .expect("post");
    (resp.status().as_u16(), resp.json::<Value>().await.expect("json"))
}

async fn stock() -> FakeErp {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    erp.stock_site();
    erp.insert("Customer", json!({"name": "C-1", "customer_name": "Ali", "mobile_no": "998901234567"}));
    erp.insert(
        "Sales Order",
        json!({"name": "SO-1", "customer": "C-1", "docstatus": 1, "grand_total": 10.0,
                                      "items": [{"item_name": "Phone", "qty": 1.0}]}),
    );
    erp
}

#[tokio::test]
async fn a_stock_site_refuses_a_field_or_filter_it_lacks_with_frappes_data_error() {
    let erp = stock().await;
    let (status, body) =
        get_list(&erp, json!({"doctype": "Customer", "fields": ["name", "mobile_no", "custom_phone_1 as phone"]}))
            .await;
    assert_eq!((status, body["exc_type"].as_str()), (417, Some("DataError")));
    assert_eq!(server_messages(&body), ["Field not permitted in query: custom_phone_1"]);
    let child = json!({"doctype": "Sales Order", "fields": ["name", "`tabSales Order Item`.custom_imei"]});
    assert_eq!(
        server_messages(&get_list(&erp, child).await.1),
        ["Field not permitted in query: `tabSales Order Item`.custom_imei"]
    );
    let filter = json!({"doctype": "Sales Order", "filters": [["Sales Order Item", "custom_notes", "=", "x"]]});
    assert_eq!(server_messages(&get_list(&erp, filter).await.1), ["Field not permitted in query: custom_notes"]);
    let sum = json!({"doctype": "Sales Order", "fields": ["sum(custom_total_interest) as markup"]});
    assert_eq!(server_messages(&get_list(&erp, sum).await.1), ["Field not permitted in query: custom_total_interest"]);
    let standard = json!({"doctype": "Sales Order", "fields": ["name", "grand_total", "modified", "_user_tags"],
                          "filters": [["docstatus", "=", 1], ["Sales Order Item", "parent", "is", "set"]]});
    assert_eq!(get_list(&erp, standard).await.0, 200, "standard and stock columns pass");
}

#[tokio::test]
async fn an_unknown_order_column_fails_in_the_database_as_on_mariadb() {
    let erp = stock().await;
    let (status, body) =
        get_list(&erp, json!({"doctype": "Sales Order", "order_by": "`tabSales Order`.custom_x desc"})).await;
    assert_eq!((status, body["exc_type"].as_str()), (500, Some("OperationalError")));
    assert_eq!(
        body["exception"],
        "pymysql.err.OperationalError: (1054, \"Unknown column 'tabSales Order.custom_x' in 'order clause'\")"
    );
    assert!(body.get("_server_messages").is_none(), "a database error carries no message: {body}");
}

#[tokio::test]
async fn a_custom_field_makes_its_column_and_the_rich_fixture_takes_any_column() {
    let erp = stock().await;
    assert_eq!(erp.has_column("Customer", "custom_passport_series"), Some(false));
    erp.insert("Custom Field", json!({"dt": "Customer", "fieldname": "custom_passport_series", "fieldtype": "Data"}));
    assert_eq!(erp.has_column("Customer", "custom_passport_series"), Some(true));
    let body = json!({"doctype": "Customer", "fields": ["name", "custom_passport_series"]});
    assert_eq!(
        get_list(&erp, body.clone()).await.1,
        json!({"message": [{"name": "C-1", "custom_passport_series": null}]})
    );
    let rich = FakeErp::start().await.expect("start the fake ERPNext");
    assert_eq!(rich.has_column("Customer", "custom_passport_series"), None);
    let any = json!({"doctype": "Customer", "fields": ["name", "custom_anything"]});
    assert_eq!(get_list(&rich, any).await.0, 200);
}
