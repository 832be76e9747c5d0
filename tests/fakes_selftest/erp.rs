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
    assert_eq!(get_list(&erp, body).await.1, json!({"message": [{"name": "PE-2"}]}));
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

/// POST `frappe.client.get_list` with `body`: (status, JSON answer).
async fn get_list(erp: &FakeErp, body: Value) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/method/frappe.client.get_list", erp.base_url()))
        .header("Authorization", AUTH)
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    (status, resp.json::<Value>().await.expect("json"))
}

/// Payment Entries with allocations to several contracts, a cancelled and a Pay-type entry,
/// another reference doctype, amounts whose float sum is inexact, and an entry without
/// references.
fn seed_payments(erp: &FakeErp) {
    let pe = |name: &str, docstatus: i64, kind: &str, party: &str, paid: f64, refs: Value| {
        json!({"name": name, "docstatus": docstatus, "payment_type": kind, "party": party, "paid_amount": paid,
               "posting_date": "2025-06-01", "references": refs})
    };
    let so = |name: &str, amount: f64| json!({"reference_doctype": "Sales Order", "reference_name": name, "allocated_amount": amount});
    let entries = [
        pe(
            "PE-1",
            1,
            "Receive",
            "C-1",
            350.0,
            json!([so("SO-1", 100.0), so("SO-1", 200.0), so("SO-2", 50.0),
            {"reference_doctype": "Sales Invoice", "reference_name": "SO-1", "allocated_amount": 999.0}]),
        ),
        pe("PE-2", 2, "Receive", "C-1", 70.0, json!([so("SO-1", 70.0)])),
        pe("PE-3", 1, "Pay", "C-2", 40.0, json!([so("SO-2", 40.0)])),
        pe("PE-4", 1, "Receive", "C-2", 5.0, json!([so("so-2", 5.0)])),
        pe("PE-5", 1, "Receive", "C-2", 0.3, json!([so("SO-3", 0.1), so("SO-3", 0.2)])),
        pe("PE-6", 1, "Receive", "C-3", 9.0, json!([])),
    ];
    for doc in entries {
        erp.insert("Payment Entry", doc);
    }
}

/// The reminder planner's query: paid per contract, grouped on the joined reference rows.
fn paid_per_contract(extra: Value) -> Value {
    let mut body = json!({
        "doctype": "Payment Entry",
        "fields": [
            "`tabPayment Entry Reference`.`reference_name` as contract",
            "sum(`tabPayment Entry Reference`.`allocated_amount`) as paid",
            "count(*) as n",
            "count(distinct `tabPayment Entry Reference`.`reference_name`) as contracts",
        ],
        "filters": [
            ["Payment Entry Reference", "reference_doctype", "=", "Sales Order"],
            ["Payment Entry Reference", "reference_name", "in", ["SO-1", "SO-2", "SO-3", "SO-9"]],
            ["Payment Entry", "docstatus", "=", 1],
            ["Payment Entry", "payment_type", "=", "Receive"],
        ],
        "group_by": "`tabPayment Entry Reference`.`reference_name`",
        "order_by": "`tabPayment Entry Reference`.`reference_name` asc",
        "limit_page_length": 10,
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        body[k.as_str()] = v.clone();
    }
    body
}

#[tokio::test]
async fn erp_group_by_sums_the_joined_rows_left_by_the_filters() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    seed_payments(&erp);
    let (status, body) = get_list(&erp, paid_per_contract(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    // SO-1: 100 + 200 (not the cancelled 70, not the Sales Invoice's 999); SO-2: 50 + 5 ("so-2"
    // groups with it, as in a case-insensitive collation; not the Pay entry's 40); SO-3: an
    // exact decimal sum; SO-9: no payment, no group; PE-6: no reference, no row.
    let want = json!([
        {"contract": "SO-1", "paid": 300.0, "n": 2, "contracts": 1},
        {"contract": "SO-2", "paid": 55.0, "n": 2, "contracts": 1},
        {"contract": "SO-3", "paid": 0.3, "n": 2, "contracts": 1},
    ]);
    assert_eq!(body, json!({"message": want}));

    let (_, body) = get_list(&erp, paid_per_contract(json!({"limit_start": 1, "limit_page_length": 1}))).await;
    assert_eq!(body["message"], json!([want[1]]), "pages are pages of groups");
    let (_, body) = get_list(&erp, paid_per_contract(json!({"order_by": "paid desc"}))).await;
    let order: Vec<&str> =
        body["message"].as_array().into_iter().flatten().filter_map(|r| r["contract"].as_str()).collect();
    assert_eq!(order, ["SO-1", "SO-2", "SO-3"], "ordered by an aggregate's alias");

    // A field of the main table, grouped as a link field would be; `max` too.
    let by_party = json!({
        "doctype": "Payment Entry", "fields": ["party", "sum(paid_amount) as paid", "max(paid_amount) as largest"],
        "filters": [["docstatus", "=", 1], ["payment_type", "=", "Receive"]],
        "group_by": "`tabPayment Entry`.`party`", "order_by": "party desc", "limit_page_length": 0,
    });
    let (_, body) = get_list(&erp, by_party).await;
    assert_eq!(
        body["message"],
        json!([
            {"party": "C-3", "paid": 9.0, "largest": 9.0},
            {"party": "C-2", "paid": 5.3, "largest": 5.0},
            {"party": "C-1", "paid": 350.0, "largest": 350.0},
        ])
    );

    // Aggregates without group_by: one row over every matching row, even over none.
    let total = |filters: Value| json!({"doctype": "Payment Entry", "fields": ["sum(paid_amount) as total", "count(*)"], "filters": filters});
    let (_, body) = get_list(&erp, total(json!([["docstatus", "=", 1]]))).await;
    assert_eq!(body["message"], json!([{"total": 404.3, "count(*)": 5}]));
    let (_, body) = get_list(&erp, total(json!([["name", "=", "NOPE"]]))).await;
    assert_eq!(body["message"], json!([{"total": null, "count(*)": 0}]));

    // The same through GET /api/resource (query-string arguments).
    let params = [
        ("fields", json!(["party", "count(name) as n"]).to_string().into()),
        ("group_by", json!("party")),
        ("order_by", json!("party asc")),
    ];
    let (status, _, body) = get(&erp, "/api/resource/Payment Entry", &params).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json_of(&body)["data"],
        json!([{"party": "C-1", "n": 2}, {"party": "C-2", "n": 3}, {"party": "C-3", "n": 1}])
    );
}

#[tokio::test]
async fn erp_group_by_refuses_what_frappe_refuses() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    seed_payments(&erp);
    let list = |fields: Value, group_by: &str| json!({"doctype": "Payment Entry", "fields": fields, "filters": [["docstatus", "=", 1]], "group_by": group_by});
    let cases = [
        (
            list(json!(["ifnull(party, '') as p"]), ""),
            417,
            "DataError",
            "Use of function ifnull in field is restricted",
        ),
        (list(json!(["avg(paid_amount)"]), ""), 417, "DataError", "Field not permitted in query: avg(paid_amount)"),
        (list(json!(["sum(*)"]), ""), 417, "DataError", "Field not permitted in query: sum(*)"),
        (list(json!(["party"]), "party; drop table x"), 417, "DataError", "Illegal SQL Query"),
        (
            // Frappe joins no table for a field inside an aggregate.
            list(json!(["sum(`tabPayment Entry Reference`.`allocated_amount`) as paid"]), ""),
            403,
            "PermissionError",
            "Insufficient Permission for Payment Entry Reference",
        ),
        (
            // Frappe's `extract_tables` skips `count(`/`sum(`/`avg(` fields, not `min(`/`max(`:
            // it takes "min(`tabPayment Entry`" for a table of its own.
            list(json!(["min(`tabPayment Entry`.`posting_date`) as first"]), ""),
            417,
            "DataError",
            "DocType (`tabPayment Entry` not found",
        ),
        (
            list(json!(["count(*) as n"]), "`tabPayment Entry Reference`.`reference_name`"),
            417,
            "ValidationError",
            "Please select atleast 1 column from Payment Entry Reference to sort/group",
        ),
    ];
    for (body, status, exc_type, message) in cases {
        let (got, answer) = get_list(&erp, body.clone()).await;
        assert_eq!((got, answer["exc_type"].as_str()), (status, Some(exc_type)), "{body}: {answer}");
        assert_eq!(server_messages(&answer), [message], "{body}");
    }
}

#[tokio::test]
async fn erp_can_refuse_sql_functions_in_fields_as_frappe_v16_does() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    seed_payments(&erp);
    erp.refuse_sql_functions(true);
    let (status, body) = get_list(&erp, paid_per_contract(json!({}))).await;
    assert_eq!((status, body["exc_type"].as_str()), (417, Some("ValidationError")), "{body}");
    assert_eq!(server_messages(&body), ["SQL functions are not allowed as strings in SELECT: paid"]);
    // Plain fields, child columns included, are still served.
    let plain = json!({"doctype": "Payment Entry", "fields": ["name", "`tabPayment Entry Reference`.`allocated_amount`"],
                       "filters": [["docstatus", "=", 1]]});
    let (status, body) = get_list(&erp, plain.clone()).await;
    assert_eq!(status, 200, "{body}");
    erp.refuse_sql_functions(false);
    let (status, _) = get_list(&erp, paid_per_contract(json!({}))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn erp_can_ignore_group_by_as_frappe_did_before_it_took_it() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    seed_payments(&erp);
    erp.drop_group_by(true);
    let (status, body) = get_list(&erp, paid_per_contract(json!({}))).await;
    assert_eq!(status, 200, "{body}");
    // One row over every matching allocation, its plain field from the first of them.
    assert_eq!(body["message"], json!([{"contract": "SO-1", "paid": 355.3, "n": 6, "contracts": 3}]));
    erp.drop_group_by(false);
    let (_, body) = get_list(&erp, paid_per_contract(json!({}))).await;
    assert_eq!(body["message"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn erp_writes_modified_in_the_sites_zone_and_lists_by_it_page_by_page() {
    let erp = FakeErp::start().await.expect("start the fake ERPNext");
    erp.set_time_zone(chrono_tz::America::New_York);
    for i in 0..7 {
        erp.submit("Payment Entry", json!({"name": format!("PE-{i}"), "party_type": "Customer"}));
    }
    erp.cancel("Payment Entry", "PE-2");
    let ny_now = chrono::Utc::now().with_timezone(&chrono_tz::America::New_York).naive_local();
    let modified =
        |name: &str| erp.get("Payment Entry", name).expect("stored")["modified"].as_str().unwrap_or("").to_owned();
    let pe2 =
        chrono::NaiveDateTime::parse_from_str(&modified("PE-2"), "%Y-%m-%d %H:%M:%S%.6f").expect("Frappe's format");
    assert!((ny_now - pe2).num_seconds().abs() < 5, "modified is New York wall time: {pe2} vs {ny_now}");
    assert_eq!(erp.get("Payment Entry", "PE-2").expect("stored")["docstatus"], 2);
    let (status, answer) = get_list(&erp, json!({"doctype": "Payment Entry", "fields": ["name"]})).await;
    assert_eq!(status, 200, "{answer}");
    // After PE-3's `modified`, oldest first, two at a time: PE-4, PE-5 | PE-6, PE-2 (cancelled last).
    let page = |start: usize| {
        json!({
            "doctype": "Payment Entry", "fields": ["name", "modified"],
            "filters": [["modified", ">", modified("PE-3")], ["docstatus", "in", [1, 2]]],
            "order_by": "modified asc, name asc", "limit_start": start, "limit_page_length": 2,
        })
    };
    let (_, first) = get_list(&erp, page(0)).await;
    let (_, second) = get_list(&erp, page(2)).await;
    assert_eq!(names(&first["message"]), ["PE-4", "PE-5"]);
    assert_eq!(names(&second["message"]), ["PE-6", "PE-2"]);
    let whole_day = json!({
        "doctype": "Payment Entry", "fields": ["name"], "limit_page_length": 0,
        "filters": [["modified", "between", [ny_now.date().to_string(), ny_now.date().to_string()]]],
    });
    assert_eq!(names(&get_list(&erp, whole_day).await.1["message"]).len(), 7, "a date bound spans its day");
    let (_, _, zone) = get(&erp, "/api/method/frappe.client.get_time_zone", &[]).await;
    assert_eq!(json_of(&zone)["message"]["time_zone"], "America/New_York");
}
