//! ERPNext failures, decoded from Frappe's error bodies.
//!
//! Frappe answers errors as JSON with `exc_type` and `_server_messages` (a JSON string holding
//! a list of JSON strings, each an object with `message`: decoded twice). A 429 from its rate
//! limiter is plain text and a 5xx from the proxy in front may be HTML.

use std::fmt;

use reqwest::StatusCode;

/// What a refused request did, so that its error says so: a refused list read is not a
/// refused change, and logs that call every 4xx "the change" send operators the wrong way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `GET`, and the `frappe.client.get_list` POST that only reads.
    Read,
    /// Inserts and updates.
    Write,
}

impl Access {
    /// A `GET`, or a POST to the list method, reads (the retry policy reads the path the same
    /// way); anything else writes.
    pub fn of(method: &reqwest::Method, url: &str) -> Access {
        let path = url.split('?').next().unwrap_or(url);
        if *method == reqwest::Method::GET || path.ends_with(super::stack::READ_METHOD_PATH) {
            Access::Read
        } else {
            Access::Write
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Read => "read",
            Access::Write => "change",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ErpError {
    #[error("ERPNext rejected the API credentials (401): {0}")]
    Unauthorized(String),
    #[error("the ERPNext API user lacks a permission (403): {0}")]
    Forbidden(String),
    #[error("not found in ERPNext (404): {0}")]
    NotFound(String),
    #[error("ERPNext refused the {access} ({status}, {exc_type}): {message}")]
    Rejected { access: Access, status: u16, exc_type: String, message: String },
    #[error("ERPNext is rate limiting us (429)")]
    RateLimited,
    #[error("ERPNext failed ({status}): {message}")]
    Server { status: u16, message: String },
    #[error("ERPNext unreachable: {0}")]
    Unreachable(String),
    #[error("ERPNext did not answer in time")]
    Timeout,
    #[error("unexpected answer from ERPNext: {0}")]
    Decode(String),
}

impl ErpError {
    /// Builds the error for a non-2xx answer to a request that did `access`, from its status
    /// and body.
    pub fn from_response(access: Access, status: StatusCode, body: &[u8]) -> ErpError {
        let decoded = FrappeError::parse(body);
        let message = decoded.message.clone();
        match status.as_u16() {
            401 => ErpError::Unauthorized(message),
            403 => ErpError::Forbidden(message),
            404 => ErpError::NotFound(message),
            429 => ErpError::RateLimited,
            s @ 400..=499 => ErpError::Rejected {
                access,
                status: s,
                exc_type: decoded.exc_type.unwrap_or_else(|| "unknown".into()),
                message,
            },
            s => ErpError::Server { status: s, message },
        }
    }

    /// A unique-field clash (417 `UniqueValidationError`, or MariaDB's duplicate entry).
    pub fn is_unique_clash(&self) -> bool {
        match self {
            ErpError::Rejected { exc_type, message, .. } => {
                exc_type.contains("UniqueValidation")
                    || exc_type.contains("DuplicateEntry")
                    || message.contains("Duplicate entry")
            }
            _ => false,
        }
    }
}

/// What could be read from an error body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FrappeError {
    pub exc_type: Option<String>,
    pub message: String,
}

impl FrappeError {
    pub fn parse(body: &[u8]) -> FrappeError {
        let text = String::from_utf8_lossy(body);
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
            return FrappeError { exc_type: None, message: plain_text_summary(&text) };
        };
        let exc_type = json.get("exc_type").and_then(|v| v.as_str()).map(str::to_owned);
        let server_messages =
            json.get("_server_messages").and_then(|v| v.as_str()).map(decode_server_messages).unwrap_or_default();
        let message = server_messages
            .into_iter()
            .next()
            .or_else(|| json.get("message").and_then(|v| v.as_str()).map(str::to_owned))
            .or_else(|| json.get("exception").and_then(|v| v.as_str()).map(str::to_owned))
            .or_else(|| exc_type.clone())
            .unwrap_or_else(|| "no details".into());
        FrappeError { exc_type, message: strip_tags(&message) }
    }
}

/// `_server_messages`: a JSON list of JSON-encoded objects (or plain strings).
fn decode_server_messages(raw: &str) -> Vec<String> {
    let Ok(items) = serde_json::from_str::<Vec<String>>(raw) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| match serde_json::from_str::<serde_json::Value>(item) {
            Ok(v) => v.get("message").and_then(|m| m.as_str()).map_or_else(|| item.clone(), str::to_owned),
            Err(_) => item.clone(),
        })
        .collect()
}

/// A short, single-line description of a non-JSON body (an nginx HTML page, a plain 429).
fn plain_text_summary(text: &str) -> String {
    let title = text.split_once("<title>").and_then(|(_, rest)| rest.split_once("</title>")).map(|(t, _)| t.to_owned());
    let line = title.unwrap_or_else(|| strip_tags(text));
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    line.chars().take(200).collect()
}

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_are_decoded_twice() {
        let inner = serde_json::json!({"message": "Value <b>AB1</b> already exists", "indicator": "red"});
        let list = serde_json::to_string(&vec![inner.to_string()]).expect("json");
        let body = serde_json::json!({"exc_type": "UniqueValidationError", "_server_messages": list});
        let err = ErpError::from_response(Access::Write, StatusCode::EXPECTATION_FAILED, body.to_string().as_bytes());
        assert!(err.is_unique_clash());
        match err {
            ErpError::Rejected { message, .. } => assert_eq!(message, "Value AB1 already exists"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn plain_text_and_html_bodies_are_summarised() {
        assert!(matches!(
            ErpError::from_response(Access::Read, StatusCode::TOO_MANY_REQUESTS, b"Too Many Requests"),
            ErpError::RateLimited
        ));
        let html = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
        match ErpError::from_response(Access::Read, StatusCode::BAD_GATEWAY, html) {
            ErpError::Server { status: 502, message } => assert_eq!(message, "502 Bad Gateway"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_refused_read_says_read_and_a_refused_write_says_change() {
        let body = br#"{"exc_type":"DataError","exception":"frappe.exceptions.DataError: Field not permitted in query: custom_phone_1"}"#;
        let read = ErpError::from_response(Access::Read, StatusCode::EXPECTATION_FAILED, body).to_string();
        assert!(read.starts_with("ERPNext refused the read (417, DataError): "), "{read}");
        assert!(!read.contains("change"), "{read}");
        let write = ErpError::from_response(Access::Write, StatusCode::EXPECTATION_FAILED, body).to_string();
        assert!(write.starts_with("ERPNext refused the change (417, DataError): "), "{write}");
    }

    #[test]
    fn lists_and_gets_read_while_inserts_and_updates_write() {
        use reqwest::Method;
        let base = "http://erp:8000";
        let cases = [
            (Method::GET, format!("{base}/api/resource/Customer/C-1"), Access::Read),
            (Method::GET, format!("{base}/api/method/frappe.utils.print_format.download_pdf?name=x"), Access::Read),
            (Method::POST, format!("{base}/api/method/frappe.client.get_list"), Access::Read),
            (Method::PUT, format!("{base}/api/resource/Customer/C-1"), Access::Write),
            (Method::POST, format!("{base}/api/resource/Webhook"), Access::Write),
        ];
        for (method, url, want) in cases {
            assert_eq!(Access::of(&method, &url), want, "{method} {url}");
        }
    }

    #[test]
    fn status_codes_map_to_kinds() {
        let body = br#"{"exc_type":"DoesNotExistError","exception":"Customer X not found"}"#;
        assert!(
            matches!(ErpError::from_response(Access::Read, StatusCode::NOT_FOUND, body), ErpError::NotFound(m) if m == "Customer X not found")
        );
        assert!(matches!(
            ErpError::from_response(Access::Read, StatusCode::UNAUTHORIZED, b"{}"),
            ErpError::Unauthorized(_)
        ));
        assert!(matches!(ErpError::from_response(Access::Read, StatusCode::FORBIDDEN, b"{}"), ErpError::Forbidden(_)));
    }
}
