use super::*;
use serde_json::json;

fn schema() -> ErpSchema {
    let vars = [
        ("BOT_TOKEN", "1:a"),
        ("ERP_BASE_URL", "http://erp"),
        ("ERP_API_KEY", "k"),
        ("ERP_API_SECRET", "s"),
        ("ERP_PHONE_FIELDS", "custom_phone_1,mobile_no"),
        ("ERP_CONTRACT_TOTAL_FIELD", "custom_total_with_markup"),
    ];
    let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    crate::config::Config::from_sources(&vars, crate::config::Purpose::Tooling).map(|c| c.erp.schema).expect("config")
}

fn refused(message: &str) -> ErpError {
    ErpError::Rejected {
        status: 417,
        exc_type: "DataError".into(),
        message: message.into(),
        access: crate::erpnext::error::Access::Read,
    }
}

fn names(columns: &Columns) -> Vec<String> {
    columns.optional().iter().map(|c| format!("{}.{}", c.doctype, c.field)).collect()
}

#[test]
fn the_optional_columns_are_the_configured_custom_ones_and_the_phones() {
    let want = [
        "Customer.custom_phone_1",
        "Customer.mobile_no",
        "Customer.disabled",
        "Sales Order.custom_total_with_markup",
        "Sales Order.custom_total_interest",
        "Sales Order.custom_downpayment_amount",
        "Sales Order Item.custom_imei",
        "Sales Order Item.custom_notes",
    ];
    assert_eq!(names(&Columns::new(&schema())), want);
    let mut stock = schema();
    stock.sales.total_field = None;
    assert!(!names(&Columns::new(&stock)).iter().any(|n| n.contains("custom_total_with_markup")), "unset: not asked");
}

#[test]
fn frappes_refusal_names_the_column_whatever_the_users_language() {
    let columns = Columns::new(&schema());
    let query = ListQuery::new("Customer", &["name", "custom_passport_series", "custom_phone_1", "mobile_no"]);
    assert!(columns.learn(&query, &refused("Поле не допускается в запросе: custom_phone_1")));
    assert!(columns.is_missing("Customer", "custom_phone_1"));
    assert!(!columns.is_missing("Customer", "mobile_no"));
    // A required column stays an error.
    assert!(!columns.learn(&query, &refused("Field not permitted in query: custom_passport_series")));
    assert!(!columns.is_missing("Customer", "custom_passport_series"));
    assert!(
        !columns.learn(&query, &refused("Field not permitted in query: min(due_date)")),
        "a function, not a column"
    );
}

#[test]
fn child_columns_and_four_element_filters_are_matched_to_their_doctype() {
    let columns = Columns::new(&schema());
    let mut query = ListQuery::new("Sales Order", &["name", "`tabSales Order Item`.`custom_imei` as imei"]);
    assert!(columns.learn(&query, &refused("Field not permitted in query: `tabSales Order Item`.`custom_imei`")));
    assert!(columns.is_missing("Sales Order Item", "custom_imei"));
    query.fields = vec!["name".into()];
    query.filters.push(json!(["Sales Order Item", "custom_notes", "like", "%x%"]));
    assert!(columns.learn(&query, &refused("Field not permitted in query: custom_notes")));
    assert!(columns.is_missing("Sales Order Item", "custom_notes"));
}

#[test]
fn mariadbs_unknown_column_is_understood_too() {
    let columns = Columns::new(&schema());
    let query = ListQuery::new("Sales Order", &["name"]).order_by("`tabSales Order`.`custom_total_interest` desc");
    let unknown = |m: &str| ErpError::Server { status: 500, message: m.into() };
    let e = unknown(
        "pymysql.err.OperationalError: (1054, \"Unknown column 'tabSales Order.custom_total_interest' in 'order clause'\")",
    );
    assert!(columns.learn(&query, &e));
    assert!(columns.is_missing("Sales Order", "custom_total_interest"));
    assert!(!columns.learn(&query, &unknown("Internal Server Error")), "nothing named: an error like any other");
}

#[test]
fn a_known_missing_column_is_left_out_of_fields_filters_and_order() {
    let columns = Columns::new(&schema());
    let c = columns.optional().iter().find(|c| c.field == "custom_total_with_markup").cloned().expect("configured");
    columns.record_missing(&c);
    let query = ListQuery::new("Sales Order", &["name", "grand_total", "custom_total_with_markup"])
        .filter("docstatus", "=", 1)
        .filter("custom_total_with_markup", "is", "not set")
        .order_by("custom_total_with_markup desc, name asc");
    let Prepared::Ask(sent) = columns.prepare(&query) else { panic!("the list is asked") };
    assert_eq!(sent.fields, vec!["name", "grand_total"]);
    assert_eq!(sent.filters, vec![json!(["docstatus", "=", 1])], "a filter holding on an empty value is dropped");
    assert_eq!(sent.order_by, "name asc");
    let impossible = query.filter("custom_total_with_markup", ">", 5);
    assert!(matches!(columns.prepare(&impossible), Prepared::Nothing), "no row can match: nothing is asked");
    let other = ListQuery::new("Customer", &["name"]);
    assert!(matches!(columns.prepare(&other), Prepared::Ask(Cow::Borrowed(_))), "other lists go as they are");
}

#[test]
fn filters_are_decided_as_frappe_compares_an_empty_value() {
    let cases = [
        ("=", json!(""), true),
        ("=", json!("x"), false),
        ("!=", json!("x"), true),
        ("in", json!(["a", ""]), true),
        ("in", json!(["a"]), false),
        ("not in", json!(["a"]), true),
        ("is", json!("set"), false),
        ("is", json!("not set"), true),
        ("like", json!("%"), true),
        ("like", json!("%a%"), false),
        ("not like", json!("%a%"), true),
        (">", json!(0), false),
        ("<", json!(5), true),
        (">=", json!(0), true),
    ];
    for (op, value, want) in cases {
        assert_eq!(holds_when_empty(op, &value), want, "{op} {value}");
    }
}
