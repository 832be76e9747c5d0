//! Fake ERPNext self-tests: paging, filters and joins, error bodies, faults, odd names.

use crate::common::fake_erp::{self, FakeErp, Fault};
use serde_json::{Value, json};

const AUTH: &str = "token test-key:test-secret";

/// GET `path` with `params` (JSON values are sent as JSON text, as Frappe expects).
pub async fn get(erp: &FakeErp, path: &str, params: &[(&str, Value)]) -> (u16, reqwest::header::HeaderMap, String) {
    let mut url = url::Url::parse(&format!("{}{path}", erp.base_url())).expect("url");
    for (k, v) in params {
        let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
        url.query_pairs_mut().append_pair(k, &v);
    }
    let resp = reqwest::Client::new().get(url).header("Authorization", AUTH).send().await.expect("request");
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    (status, headers, resp.text().await.expect("body"))
}

pub fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Decodes `_server_messages` twice: a JSON string -> list of JSON strings -> objects.
pub fn server_messages(body: &Value) -> Vec<String> {
    let outer: Vec<String> = serde_json::from_str(body["_server_messages"].as_str().expect("string")).expect("list");
    outer.iter().map(|s| json_of(s)["message"].as_str().expect("message").to_string()).collect()
}

pub fn names(data: &Value) -> Vec<String> {
    data.as_array().expect("array").iter().map(|d| d["name"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn erp_pages_default_to_20_rows() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    for i in 0..25 {
        erp.seed_customer(&format!("C-{i:02}"), &format!("Customer {i}"), &format!("AA{i:05}"), "998901234567");
    }
    let (status, _, body) = get(&erp, "/api/resource/Customer", &[]).await;
    assert_eq!(status, 200);
    let data = json_of(&body)["data"].clone();
    assert_eq!(names(&data).len(), 20);
    assert_eq!(names(&data)[0], "C-24", "default order is modified desc");
    assert_eq!(data[0].as_object().map(|o| o.len()), Some(1), "default fields are [name]");

    let page = [("order_by", json!("name asc")), ("limit_start", json!("20")), ("limit_page_length", json!("20"))];
    let (_, _, body) = get(&erp, "/api/resource/Customer", &page).await;
    assert_eq!(names(&json_of(&body)["data"]), ["C-20", "C-21", "C-22", "C-23", "C-24"]);
    let (_, _, body) = get(&erp, "/api/resource/Customer", &[("limit_page_length", json!("0"))]).await;
    assert_eq!(names(&json_of(&body)["data"]).len(), 25);
    let (_, _, body) = get(&erp, "/api/resource/Customer", &[("limit_page_lenght", json!("100"))]).await;
    assert_eq!(names(&json_of(&body)["data"]).len(), 20, "a misspelt parameter is ignored");
    assert_eq!(erp.requests()[1].query.get("limit_start").map(String::as_str), Some("20"));
}

#[tokio::test]
async fn erp_filters_and_child_joins() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    erp.insert(
        "Payment Entry",
        json!({"name": "PE-1", "docstatus": 1, "paid_amount": 300.0, "references": [
        {"reference_doctype": "Sales Order", "reference_name": "SO-1", "allocated_amount": 100.0},
        {"reference_doctype": "Sales Order", "reference_name": "SO-1", "allocated_amount": 200.0},
        {"reference_doctype": "Sales Order", "reference_name": "SO-2", "allocated_amount": 50.0}]}),
    );
    erp.insert(
        "Payment Entry",
        json!({"name": "PE-2", "docstatus": 2, "paid_amount": 70.0, "references": [
        {"reference_doctype": "Sales Order", "reference_name": "SO-1", "allocated_amount": 70.0}]}),
    );
    let params = [
        ("fields", json!(["name", "`tabPayment Entry Reference`.allocated_amount"]).to_string().into()),
        (
            "filters",
            json!([["Payment Entry Reference", "reference_name", "=", "SO-1"], ["docstatus", "=", 1]])
                .to_string()
                .into(),
        ),
    ];
    let (_, _, body) = get(&erp, "/api/resource/Payment Entry", &params).await;
    let data = json_of(&body)["data"].clone();
    assert_eq!(names(&data), ["PE-1", "PE-1"], "one row per matching child row");
    let mut amounts: Vec<f64> =
        data.as_array().into_iter().flatten().filter_map(|r| r["allocated_amount"].as_f64()).collect();
    amounts.sort_by(f64::total_cmp);
    assert_eq!(amounts, [100.0, 200.0]);

    let cases = [
        (json!([["paid_amount", ">", 100]]), vec!["PE-1"]),
        (json!([["name", "in", ["PE-2", "X"]]]), vec!["PE-2"]),
        (json!([["name", "like", "pe-%"]]), vec!["PE-1", "PE-2"]),
        (json!([["paid_amount", "between", [60, 80]]]), vec!["PE-2"]),
        (json!({"docstatus": 1}), vec!["PE-1"]),
        (json!([["name", "in", []]]), Vec::<&str>::new()),
    ];
    for (filters, expected) in cases {
        let params = [("filters", Value::String(filters.to_string())), ("order_by", json!("name asc"))];
        let (status, _, body) = get(&erp, "/api/resource/Payment Entry", &params).await;
        assert_eq!(status, 200, "{filters}: {body}");
        assert_eq!(names(&json_of(&body)["data"]), expected, "{filters}");
    }

    erp.insert(
        "Sales Order",
        json!({"name": "SO-1", "docstatus": 1, "payment_schedule": [
        {"due_date": "2025-01-10", "payment_amount": 100.0}, {"due_date": "2025-02-10", "payment_amount": 100.0}]}),
    );
    erp.insert("Sales Order", json!({"name": "SO-9", "docstatus": 0, "payment_schedule": [{"due_date": "2025-02-10", "payment_amount": 5.0}]}));
    let filters = json!([["due_date", "in", ["2025-02-10"]], ["docstatus", "=", 1]]).to_string();
    let params = [
        ("fields", json!(["parent", "idx", "payment_amount"])),
        ("filters", Value::String(filters.clone())),
        ("parent", json!("Sales Order")),
    ];
    let (_, _, body) = get(&erp, "/api/resource/Payment Schedule", &params).await;
    assert_eq!(json_of(&body)["data"], json!([{"parent": "SO-1", "idx": 2, "payment_amount": 100.0}]));
    let (status, _, _) = get(&erp, "/api/resource/Payment Schedule", &[("filters", Value::String(filters))]).await;
    assert_eq!(status, 403, "a child doctype without `parent` is a PermissionError");

    let body = json!({"doctype": "Payment Entry", "fields": ["name"], "filters": [["paid_amount", "<", 100]], "limit_page_length": 0});
    let resp = reqwest::Client::new()
        .post(format!("{}/api/method/frappe.client.get_list", erp.base_url()))
        .header("Authorization", AUTH)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(resp.json::<Value>().await.expect("json"), json!({"message": [{"name": "PE-2"}]}));
}

#[tokio::test]
async fn erp_error_bodies_look_like_frappe() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    erp.seed_customer("C-1", "Ali", "AA1", "1");
    erp.seed_customer("C-2", "Vali", "AA2", "2");
    let (status, _, body) = get(&erp, "/api/resource/Customer/NOPE", &[]).await;
    assert_eq!((status, json_of(&body)["exc_type"].as_str()), (404, Some("DoesNotExistError")));
    assert_eq!(server_messages(&json_of(&body)), ["Customer NOPE not found"]);
    let (status, _, body) = get(&erp, "/api/resource/Nonsense", &[]).await;
    assert_eq!((status, json_of(&body)["exc_type"].as_str()), (404, Some("DoesNotExistError")));

    let client = reqwest::Client::new();
    let url = format!("{}/api/method/frappe.auth.get_logged_user", erp.base_url());
    let resp = client.get(&url).header("Authorization", "token test-key:wrong").send().await.expect("send");
    assert_eq!(resp.status().as_u16(), 401);
    let body = resp.json::<Value>().await.expect("json");
    assert_eq!(
        (body["exc_type"].as_str(), body["exception"].as_str()),
        (Some("AuthenticationError"), Some("frappe.exceptions.AuthenticationError"))
    );
    let resp = client.get(&url).header("Authorization", AUTH).send().await.expect("send");
    assert_eq!(resp.json::<Value>().await.expect("json"), json!({"message": fake_erp::API_USER}));

    erp.deny("Sales Order");
    let (status, _, body) = get(&erp, "/api/resource/Sales Order", &[]).await;
    assert_eq!((status, json_of(&body)["exc_type"].as_str()), (403, Some("PermissionError")));

    let put = |name: &str, body: Value| {
        client
            .put(format!("{}/api/resource/Customer/{name}", erp.base_url()))
            .header("Authorization", AUTH)
            .json(&body)
            .send()
    };
    let resp = put("C-2", json!({"custom_passport_series": "aa1"})).await.expect("put");
    assert_eq!(resp.status().as_u16(), 417, "unique values compare case-insensitively, as in MariaDB");
    let body = resp.json::<Value>().await.expect("json");
    assert_eq!(body["exc_type"], "UniqueValidationError");
    assert_eq!(server_messages(&body), ["custom_passport_series must be unique"]);

    let resp =
        put("C-2", json!({"custom_telegram_id": "42", "modified": "2000-01-01 00:00:00.000000"})).await.expect("put");
    assert_eq!(resp.status().as_u16(), 417);
    assert_eq!(resp.json::<Value>().await.expect("json")["exc_type"], "TimestampMismatchError");
    let modified = erp.get("Customer", "C-2").expect("C-2")["modified"].clone();
    let resp = put("C-2", json!({"custom_telegram_id": "42", "modified": modified})).await.expect("put");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(erp.get("Customer", "C-2").expect("C-2")["custom_telegram_id"], "42");
    assert_ne!(erp.get("Customer", "C-2").expect("C-2")["modified"], modified);

    let resp = client
        .post(format!("{}/api/resource/Customer", erp.base_url()))
        .header("Authorization", AUTH)
        .json(&json!({"name": "C-1", "customer_name": "Dup"}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status().as_u16(), 409);
    assert_eq!(resp.json::<Value>().await.expect("json")["exc_type"], "DuplicateEntryError");
}

#[tokio::test]
async fn erp_faults_and_odd_names() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    erp.insert("Sales Order", json!({"name": "SO/2024 & #1", "docstatus": 1}));
    let (status, _, body) = get(&erp, "/api/resource/Sales%20Order/SO%2F2024%20%26%20%231", &[]).await;
    assert_eq!((status, json_of(&body)["data"]["name"].as_str()), (200, Some("SO/2024 & #1")));
    assert_eq!(erp.requests()[0].path, "/api/resource/Sales Order/SO/2024 & #1");

    erp.fail_next(1, Fault::TooManyRequests { retry_after_secs: 7 });
    erp.fail_next(1, Fault::Status502Html);
    let (status, headers, body) = get(&erp, "/api/resource/Sales Order", &[]).await;
    assert_eq!((status, body.as_str()), (429, "Too Many Requests"));
    assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("7"));
    assert!(headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|c| c.starts_with("text/plain")));
    let (status, _, body) = get(&erp, "/api/resource/Sales Order", &[]).await;
    assert!(status == 502 && body.contains("<html>"), "{status} {body}");
    erp.set_down(true);
    let (status, _, body) = get(&erp, "/api/resource/Sales Order", &[]).await;
    assert!(status == 503 && body.contains("nginx"));
    erp.set_down(false);
    let (status, _, body) = get(&erp, "/api/resource/Sales Order", &[("fields", json!("[\"*\"]"))]).await;
    assert_eq!((status, erp.request_count()), (200, 5));
    assert_eq!(json_of(&body)["data"][0]["docstatus"], 1, "`*` gives every column");

    erp.fail_next(1, Fault::Status500Json);
    erp.fail_next(1, Fault::Delay(std::time::Duration::from_millis(200)));
    let (status, _, body) = get(&erp, "/api/resource/Sales Order", &[]).await;
    assert_eq!((status, json_of(&body)["exc_type"].as_str()), (500, Some("OperationalError")));
    let started = std::time::Instant::now();
    let (status, _, _) = get(&erp, "/api/resource/Sales Order", &[]).await;
    assert!(status == 200 && started.elapsed() >= std::time::Duration::from_millis(200));
}
