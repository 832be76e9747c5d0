//! `frappe.utils.print_format.download_pdf` of the fake ERPNext, failures included, as Frappe
//! answers them (see `erpnext::print` for the Frappe code each one follows):
//!
//! - the document missing: 404 `DoesNotExistError` (`frappe.get_doc`);
//! - no Print permission (`FakeErp::deny_print`): 403 `PermissionError` "No print permission"
//!   (`validate_print_permission` of Frappe v14, which asks for Read and Print);
//! - the print format: a name without a Print Format document prints as Standard (printview's
//!   `get_print_format_doc`); a disabled one is a 404 `DoesNotExistError` (`get_print_format`);
//!   the name `Broken` fails the way a template that does not compile does (a 500);
//! - the site ([`PdfSite`]): wkhtmltopdf missing (a 500 `OSError`), `/assets` not reachable (a
//!   417 "broken image links"), or a proxy's own page instead of the PDF.
//!
//! The PDF names the print format and the language it was printed in, so tests can read them.

use std::collections::HashMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{FakeErp, err};

/// Whether the site can turn HTML into PDF.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PdfSite {
    #[default]
    Prints,
    /// wkhtmltopdf is not installed: pdfkit's `OSError`, re-raised by `get_pdf`.
    NoWkhtmltopdf,
    /// wkhtmltopdf cannot load the page's `/assets` (not built, or no web server serves them).
    AssetsUnreachable,
    /// Something in front of Frappe answers 200 with an HTML page of its own.
    HtmlPage,
}

pub(super) fn download_pdf(erp: &FakeErp, query: &HashMap<String, String>) -> Response {
    let arg = |k: &str| query.get(k).cloned().unwrap_or_default();
    let (doctype, name, format) = (arg("doctype"), arg("name"), arg("format"));
    let (site, print_format) = {
        let st = erp.st_read();
        if st.find(&doctype, &name).is_none() {
            return err(404, "DoesNotExistError", format!("{doctype} {name} not found")).into_response();
        }
        if st.denied.contains(&doctype) || st.print_denied.contains(&doctype) {
            return err(403, "PermissionError", "No print permission").into_response();
        }
        (st.pdf_site, st.find("Print Format", &format).cloned())
    };
    if format == "Broken" {
        return uncaught("TemplateSyntaxError", "jinja2.exceptions.TemplateSyntaxError: unexpected end of template");
    }
    let used = match print_format {
        Some(pf) if pf["disabled"].as_i64() == Some(1) => {
            return err(404, "DoesNotExistError", format!("Print Format {format} is disabled")).into_response();
        }
        Some(_) => format.as_str(),
        None => "Standard",
    };
    match site {
        PdfSite::Prints => pdf(&doctype, &name, used, &arg("language")),
        PdfSite::NoWkhtmltopdf => uncaught(
            "OSError",
            "If this file exists please check that this process can read it. Otherwise please install \
             wkhtmltopdf - https://github.com/JazzCore/python-pdfkit/wiki/Installing-wkhtmltopdf",
        ),
        PdfSite::AssetsUnreachable => {
            err(417, "ValidationError", "PDF generation failed because of broken image links").into_response()
        }
        PdfSite::HtmlPage => {
            let page = "<!DOCTYPE html><html><head><title>Login</title></head><body>Login to continue</body></html>";
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
        }
    }
}

/// A small PDF as Frappe sends it (`application/pdf`, inline).
fn pdf(doctype: &str, name: &str, format: &str, language: &str) -> Response {
    let language = if language.is_empty() { "the site's default" } else { language };
    let body = format!("%PDF-1.4\n% {doctype} {name}\n% format: {format}\n% language: {language}\n%%EOF\n");
    let headers = [
        (header::CONTENT_TYPE, "application/pdf".to_string()),
        (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.pdf\"")),
    ];
    (StatusCode::OK, headers, body.into_bytes()).into_response()
}

/// An exception Frappe did not raise itself: `handle_exception` → `report_error` answers 500
/// with `exc_type` and the traceback's last line, and no `_server_messages`.
fn uncaught(exc_type: &str, last_line: &str) -> Response {
    let body: Value = json!({"exc_type": exc_type, "exception": last_line});
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}
