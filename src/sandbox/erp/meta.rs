//! Column lists (DocType meta) for the fake ERPNext's stock-site mode ([`super::FakeErp::stock_site`]):
//! Frappe's standard columns of the doctypes the bot reads, plus every `Custom Field` created
//! on them, and Frappe's answers to a list that names a column the doctype lacks.
//!
//! - `fields` and `filters` are checked before the query runs: `frappe.client.get_list` calls
//!   `frappe.desk.reportview.validate_args`, whose `validate_fields` and `validate_filters` call
//!   `raise_invalid_field(fieldname)` → `frappe.throw(_("Field not permitted in query") +
//!   f": {fieldname}", frappe.DataError)`: 417, `exc_type` DataError. The name quoted is the
//!   field as written without its alias (`extract_fieldname`), the first element of a 3-element
//!   filter, or the field alone of a 4-element one. Frappe's standard fields
//!   (`frappe/model/__init__.py`: `default_fields`, `child_table_fields`, `optional_fields`) pass
//!   (`is_standard`). Of an aggregate, the fake checks the column inside (`sum(x)` → `x`), the
//!   way `extract_fieldname` reads `count(`/`sum(`/`avg(`; how each release treats other
//!   functions is not imitated.
//! - `order_by` and `group_by` are not validated there; MariaDB refuses the statement
//!   (error 1054), pymysql raises `OperationalError` (pymysql/err.py `raise_mysql_exception`:
//!   an unmapped errno ≥ 1000), and Frappe answers 500 with `exc_type` OperationalError
//!   (`frappe/utils/response.py` `report_error`) and no `_server_messages`.
//!
//! The lists hold the data fields of ERPNext's doctype JSON (`field_order` without section,
//! column and tab breaks or tables): erpnext/selling/doctype/customer/customer.json,
//! sales_order/sales_order.json, sales_order_item/sales_order_item.json,
//! erpnext/accounts/doctype/payment_schedule/payment_schedule.json,
//! payment_entry/payment_entry.json, payment_entry_reference/payment_entry_reference.json,
//! sales_invoice/sales_invoice.json, sales_invoice_item/sales_invoice_item.json.

use super::query::{Column, ListArgs};
use super::{ErpError, err};
use std::collections::{HashMap, HashSet};

/// `default_fields`, `child_table_fields` and `optional_fields` of `frappe/model/__init__.py`.
const STANDARD: &str = "\
    doctype name owner creation modified modified_by docstatus idx parent parentfield parenttype \
    _user_tags _comments _assign _liked_by _seen";

const CUSTOMER: &str = "\
    naming_series salutation customer_name customer_type customer_group territory gender lead_name \
    opportunity_name account_manager image default_price_list default_bank_account default_currency \
    is_internal_customer represents_company market_segment industry customer_pos_id website language \
    customer_details customer_primary_contact mobile_no email_id customer_primary_address \
    primary_address tax_id tax_category tax_withholding_category bank_account_no iban payment_terms \
    loyalty_program loyalty_program_tier default_sales_partner default_commission_rate so_required \
    dn_required is_frozen disabled";

const SALES_ORDER: &str = "\
    title naming_series customer customer_name order_type skip_delivery_note amended_from company \
    transaction_date delivery_date po_no po_date tax_id customer_address address_display \
    contact_person contact_display contact_phone contact_mobile contact_email company_address \
    company_address_display shipping_address_name shipping_address dispatch_address_name \
    dispatch_address customer_group territory transporter transporter_name currency conversion_rate \
    selling_price_list price_list_currency plc_conversion_rate ignore_pricing_rule set_warehouse \
    scan_barcode total_qty base_total base_net_total total_net_weight total net_total tax_category \
    shipping_rule taxes_and_charges other_charges_calculation base_total_taxes_and_charges \
    total_taxes_and_charges loyalty_points loyalty_amount coupon_code apply_discount_on \
    base_discount_amount additional_discount_percentage discount_amount base_grand_total \
    base_rounding_adjustment base_rounded_total base_in_words grand_total rounding_adjustment \
    rounded_total in_words advance_paid disable_rounded_total payment_terms_template tc_name terms \
    is_internal_customer represents_company inter_company_order_reference project \
    party_account_currency source campaign language letter_head select_print_heading \
    group_same_items status delivery_status per_delivered per_billed billing_status sales_partner \
    commission_rate total_commission from_date to_date auto_repeat";

const SALES_ORDER_ITEM: &str = "\
    item_code customer_item_code item_name description image qty stock_uom uom conversion_factor \
    stock_qty price_list_rate base_price_list_rate discount_percentage discount_amount margin_type \
    margin_rate_or_amount rate_with_margin base_rate_with_margin rate amount base_rate base_amount \
    pricing_rule net_rate net_amount base_net_rate base_net_amount item_tax_template is_free_item \
    grant_commission warehouse prevdoc_docname brand item_group delivery_date delivered_qty \
    returned_qty billed_amt valuation_rate gross_profit transaction_date weight_per_unit \
    total_weight weight_uom blanket_order blanket_order_rate against_blanket_order projected_qty \
    actual_qty ordered_qty planned_qty work_order_qty page_break";

const PAYMENT_SCHEDULE: &str = "\
    payment_term description due_date mode_of_payment invoice_portion discount_type discount_date \
    discount payment_amount outstanding paid_amount discounted_amount base_payment_amount";

const PAYMENT_ENTRY: &str = "\
    title naming_series payment_type payment_order_status posting_date company mode_of_payment \
    party_type party party_name book_advance_payments_in_separate_party_account bank_account \
    party_bank_account contact_person contact_email paid_from paid_from_account_type \
    paid_from_account_currency paid_from_account_balance paid_to paid_to_account_type \
    paid_to_account_currency paid_to_account_balance paid_amount paid_amount_after_tax \
    source_exchange_rate base_paid_amount base_paid_amount_after_tax received_amount \
    received_amount_after_tax target_exchange_rate base_received_amount \
    base_received_amount_after_tax total_allocated_amount base_total_allocated_amount \
    unallocated_amount difference_amount purchase_taxes_and_charges_template \
    sales_taxes_and_charges_template apply_tax_withholding_amount tax_withholding_category \
    total_taxes_and_charges base_total_taxes_and_charges reference_no reference_date clearance_date \
    project cost_center status custom_remarks remarks base_in_words letter_head print_heading bank \
    bank_account_no payment_order in_words auto_repeat amended_from";

const PAYMENT_ENTRY_REFERENCE: &str = "\
    reference_doctype reference_name due_date bill_no payment_term payment_term_outstanding \
    account_type payment_type reconcile_effect_on total_amount outstanding_amount allocated_amount \
    exchange_rate exchange_gain_loss account payment_request advance_voucher_type advance_voucher_no";

const SALES_INVOICE: &str = "\
    title naming_series customer customer_name tax_id company posting_date posting_time \
    set_posting_time due_date is_pos pos_profile is_consolidated is_return return_against \
    update_outstanding_for_self update_billed_amount_in_sales_order \
    update_billed_amount_in_delivery_note is_debit_note amended_from currency conversion_rate \
    selling_price_list price_list_currency plc_conversion_rate total_qty base_total base_net_total \
    total net_total base_total_taxes_and_charges total_taxes_and_charges discount_amount \
    base_grand_total base_rounding_adjustment base_rounded_total grand_total rounding_adjustment \
    rounded_total in_words total_advance outstanding_amount disable_rounded_total \
    allocate_advances_automatically write_off_amount paid_amount status debit_to \
    party_account_currency against_income_account remarks customer_group territory project \
    cost_center payment_terms_template";

const SALES_INVOICE_ITEM: &str = "\
    item_code item_name description item_group brand qty stock_uom uom conversion_factor stock_qty \
    price_list_rate discount_percentage discount_amount rate amount base_rate base_amount net_rate \
    net_amount income_account cost_center warehouse sales_order so_detail sales_invoice_item \
    delivery_note dn_detail delivered_qty serial_no batch_no";

/// The standard columns of each doctype of a stock site (the lists above are space-separated).
pub(super) fn stock_columns() -> HashMap<String, HashSet<String>> {
    [
        ("Customer", CUSTOMER),
        ("Sales Order", SALES_ORDER),
        ("Sales Order Item", SALES_ORDER_ITEM),
        ("Payment Schedule", PAYMENT_SCHEDULE),
        ("Payment Entry", PAYMENT_ENTRY),
        ("Payment Entry Reference", PAYMENT_ENTRY_REFERENCE),
        ("Sales Invoice", SALES_INVOICE),
        ("Sales Invoice Item", SALES_INVOICE_ITEM),
    ]
    .into_iter()
    .map(|(dt, fields)| (dt.to_string(), fields.split_whitespace().map(str::to_string).collect()))
    .collect()
}

/// Refuses a list naming a column its doctype lacks, as Frappe does (see the module
/// documentation). Doctypes without a column list (the rich fixture's) accept any column.
pub(super) fn check(meta: &HashMap<String, HashSet<String>>, doctype: &str, args: &ListArgs) -> Result<(), ErpError> {
    let lacks = |dt: Option<&str>, field: &str| {
        let dt = dt.unwrap_or(doctype);
        !STANDARD.split_whitespace().any(|s| s == field) && meta.get(dt).is_some_and(|columns| !columns.contains(field))
    };
    let refused = |name: &str| err(417, "DataError", format!("Field not permitted in query: {name}"));
    let plain = |c: &&Column| c.field != "*";
    if let Some(c) = args.columns.iter().filter(plain).find(|c| lacks(c.doctype.as_deref(), &c.field)) {
        return Err(refused(&c.text));
    }
    for f in args.filters.iter().chain(&args.or_filters) {
        if lacks(f.doctype.as_deref(), &f.field) {
            return Err(refused(&f.field));
        }
    }
    let order = args.order_by.iter().map(|(c, _)| (c, "order clause"));
    let group = args.group_by.iter().map(|c| (c, "group statement"));
    if let Some((c, clause)) = order.chain(group).find(|(c, _)| lacks(c.doctype.as_deref(), &c.field)) {
        let name = match &c.doctype {
            Some(dt) => format!("tab{dt}.{}", c.field),
            None => c.field.clone(),
        };
        let mut e = err(500, "OperationalError", "");
        e.exception = Some(format!("pymysql.err.OperationalError: (1054, \"Unknown column '{name}' in '{clause}'\")"));
        return Err(e);
    }
    Ok(())
}
