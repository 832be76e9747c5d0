//! The contract PDF: printed by ERPNext in the customer's language, sent so the customer can
//! keep it, and refused in words that fit the cause (only an ERPNext that does not answer is
//! worth another try).

use erpnext_bot::conversation::{Callback, ContractRef};
use erpnext_bot::i18n::{self, Label, Lang, Msg};
use serde_json::{Value, json};

use crate::common::{fake_erp::PdfSite, updates};
use crate::fixtures::{self, LONG, MARKUP};
use crate::helpers::*;

const USER: i64 = 5_650_001;
const DOWNLOAD_PDF: &str = "/api/method/frappe.utils.print_format.download_pdf";

async fn linked_env(overrides: &[(&str, &str)]) -> (TestEnv, TestApp) {
    let env = TestEnv::new().await;
    fixtures::seed(&env.erp);
    let app = env.start_app_with(overrides).await;
    link(&env, &app, USER).await;
    app.post(&updates::text(env.uid(), USER, i18n::label(Lang::Ru, Label::MyContracts))).await;
    (env, app)
}

/// Presses the PDF button of a contract; returns what `download_pdf` was asked, if it was.
async fn press_pdf(env: &TestEnv, app: &TestApp, contract: &str) -> Option<Value> {
    env.erp.clear_requests();
    app.post(&updates::callback(env.uid(), USER, &Callback::Pdf(ContractRef::of(contract)).encode(), 5)).await;
    let asked = env.erp.requests().into_iter().filter(|r| r.path == DOWNLOAD_PDF).collect::<Vec<_>>();
    asked.last().map(|r| json!(r.query))
}

/// The bytes of the last document sent, and its parameters.
fn last_document(env: &TestEnv) -> (String, Value) {
    let doc = env.tg.calls_to("sendDocument").pop().expect("a document was sent");
    let file_id = doc.result["document"]["file_id"].as_str().expect("a file id");
    let (_, bytes) = env.tg.file(file_id).expect("the file");
    (String::from_utf8_lossy(&bytes).into_owned(), doc.params)
}

#[tokio::test]
async fn the_contract_pdf_comes_in_the_customers_language_and_can_be_kept() {
    let (env, app) = linked_env(&[]).await;
    let asked = press_pdf(&env, &app, LONG).await.expect("download_pdf was asked");
    assert_eq!(
        (&asked["language"], &asked["name"], &asked["format"]),
        (&json!("ru"), &json!(LONG), &json!("Standard"))
    );
    let (pdf, params) = last_document(&env);
    assert!(pdf.starts_with("%PDF") && pdf.contains("% language: ru"), "{pdf}");
    assert!(params.get("protect_content").is_none_or(|p| p == &json!(false)), "the customer may keep it: {params}");
    assert!(params.to_string().contains("SO-2026-00002.pdf"), "{params}");

    app.post(&updates::callback(env.uid(), USER, &Callback::SetLang(Lang::En).encode(), 6)).await;
    assert_eq!(press_pdf(&env, &app, MARKUP).await.expect("asked")["language"], "en");
    assert!(last_document(&env).0.contains("% language: en"));
}

#[tokio::test]
async fn a_print_format_name_the_site_does_not_have_prints_as_standard_as_frappe_does() {
    let (env, app) = linked_env(&[("ERP_PRINT_FORMAT", "Instalment Contract")]).await;
    assert_eq!(press_pdf(&env, &app, MARKUP).await.expect("asked")["format"], "Instalment Contract");
    assert!(last_document(&env).0.contains("% format: Standard"));
    env.erp.insert("Print Format", json!({"name": "Instalment Contract", "doc_type": "Sales Order", "disabled": 0}));
    press_pdf(&env, &app, MARKUP).await;
    assert!(last_document(&env).0.contains("% format: Instalment Contract"));
}

/// Breaks (`on`) or mends the site in one of the ways `download_pdf` fails.
fn trouble(env: &TestEnv, cause: &str, on: bool) {
    let site = |broken| env.erp.set_pdf_site(if on { broken } else { PdfSite::Prints });
    match cause {
        "no wkhtmltopdf" => site(PdfSite::NoWkhtmltopdf),
        "assets not served" => site(PdfSite::AssetsUnreachable),
        "an HTML page" => site(PdfSite::HtmlPage),
        "no Print permission" if on => env.erp.deny_print("Sales Order"),
        "no Print permission" => env.erp.allow("Sales Order"),
        "ERPNext down" => env.erp.set_down(on),
        "disabled format" => env.erp.insert(
            "Print Format",
            json!({"name": "Instalment Contract", "doc_type": "Sales Order", "disabled": i64::from(on)}),
        ),
        other => panic!("no such trouble: {other}"),
    }
}

#[tokio::test]
async fn pdf_failures_are_worded_by_cause_and_only_a_silent_erpnext_asks_to_try_later() {
    let (env, app) = linked_env(&[("ERP_PRINT_FORMAT", "Instalment Contract")]).await;
    let support = || Some(SUPPORT.to_owned());
    let cases = [
        ("no wkhtmltopdf", Msg::PdfCannotRender { support: support() }),
        ("assets not served", Msg::PdfCannotRender { support: support() }),
        ("an HTML page", Msg::PdfCannotRender { support: support() }),
        ("no Print permission", Msg::PdfNotPermitted { support: support() }),
        ("ERPNext down", Msg::PdfUnavailable),
        ("disabled format", Msg::PdfNotSetUp { support: support() }),
    ];
    for (cause, msg) in cases {
        let documents = env.tg.calls_to("sendDocument").len();
        trouble(&env, cause, true);
        press_pdf(&env, &app, MARKUP).await;
        trouble(&env, cause, false);
        assert_eq!(env.tg.calls_to("sendDocument").len(), documents, "{cause}: nothing sent");
        assert_eq!(env.last_text(USER), say(msg), "{cause}");
    }
    let later = say(Msg::PdfUnavailable);
    let later = later.rsplit(". ").next().expect("a sentence");
    let refusals: Vec<String> = env.texts(USER).into_iter().filter(|t| t.contains(SUPPORT)).collect();
    assert_eq!(refusals.len(), 5, "{refusals:#?}");
    assert!(refusals.iter().all(|t| !t.contains(later)), "{refusals:#?}");
}

#[tokio::test]
async fn a_print_format_whose_template_fails_is_not_set_up_and_not_retried() {
    let (env, app) = linked_env(&[("ERP_PRINT_FORMAT", "Broken")]).await;
    press_pdf(&env, &app, MARKUP).await;
    assert!(env.tg.calls_to("sendDocument").is_empty());
    assert_eq!(env.last_text(USER), say(Msg::PdfNotSetUp { support: Some(SUPPORT.to_owned()) }));
    let asked = env.erp.requests().into_iter().filter(|r| r.path == DOWNLOAD_PDF).count();
    assert_eq!(asked, 1, "a 500 from a template is final");
}
