//! Request parsing and validation for the fake Telegram Bot API: JSON, urlencoded and
//! multipart bodies turned into one JSON object of parameters, and the checks Telegram makes
//! on message text (HTML entities, the 4096-character limit) and inline keyboards.

use serde_json::{Map, Value};

/// Parameters whose values stay strings even when they look like numbers.
const TEXT_KEYS: &[&str] = &[
    "text",
    "caption",
    "callback_query_id",
    "secret_token",
    "url",
    "description",
    "short_description",
    "inline_message_id",
];

/// A form value as Telegram reads it: JSON for objects, numbers and booleans, else text.
fn coerce(key: &str, value: &str) -> Value {
    if TEXT_KEYS.contains(&key) {
        return Value::String(value.to_string());
    }
    match serde_json::from_str::<Value>(value) {
        Ok(v) if !v.is_string() => v,
        _ => Value::String(value.to_string()),
    }
}

/// Parses a request body by content type; `Err` is a Telegram "Bad Request" description.
pub fn parse_params(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("application/json") {
        return match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err("Bad Request: JSON object expected".into()),
            Err(e) => Err(format!("Bad Request: can't parse JSON object: {e}")),
        };
    }
    if ct.starts_with("application/x-www-form-urlencoded") {
        return Ok(url::form_urlencoded::parse(body).map(|(k, v)| (k.to_string(), coerce(&k, &v))).collect());
    }
    if ct.starts_with("multipart/form-data") {
        let boundary = content_type
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("boundary="))
            .next()
            .map(|b| b.trim_matches('"').to_string())
            .ok_or("Bad Request: multipart boundary is missing")?;
        return parse_multipart(body, &boundary);
    }
    let mut m = Map::new();
    m.insert("__content_type".into(), Value::String(content_type.to_string()));
    m.insert("__body_len".into(), Value::from(body.len()));
    Ok(m)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// Text parts become parameters; a file part becomes `{"file_name", "size", "data"}` (`data`
/// in base64, taken out again before the call is recorded).
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Map<String, Value>, String> {
    let delim = format!("--{boundary}");
    let mut out = Map::new();
    let mut pos = find(body, delim.as_bytes(), 0).ok_or("Bad Request: malformed multipart body")?;
    loop {
        pos += delim.len();
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(resolve_attachments(out));
        }
        let head_end = find(body, b"\r\n\r\n", pos).ok_or("Bad Request: malformed multipart part")?;
        let next =
            find(body, format!("\r\n{delim}").as_bytes(), head_end).ok_or("Bad Request: unterminated multipart")?;
        let head = String::from_utf8_lossy(&body[pos..head_end]).to_string();
        let content = &body[head_end + 4..next];
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            head.find(&key).and_then(|i| {
                let rest = &head[i + key.len()..];
                rest.find('"').map(|j| rest[..j].to_string())
            })
        };
        let name = attr(" name").or_else(|| attr(";name")).unwrap_or_default();
        let value = match attr("filename") {
            Some(file_name) => {
                use base64::Engine as _;
                let data = base64::engine::general_purpose::STANDARD.encode(content);
                serde_json::json!({"file_name": file_name, "size": content.len(), "data": data})
            }
            None => coerce(&name, &String::from_utf8_lossy(content)),
        };
        out.insert(name, value);
        pos = next + 2;
    }
}

/// Replaces `"attach://<part>"` values (as teloxide-core sends files) by that file part.
fn resolve_attachments(mut params: Map<String, Value>) -> Map<String, Value> {
    let refs: Vec<(String, String)> = params
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.strip_prefix("attach://")?.to_string())))
        .collect();
    for (key, part) in refs {
        if let Some(file) = params.remove(&part) {
            params.insert(key, file);
        }
    }
    params
}

const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

/// Checks `parse_mode=HTML` text like Telegram does; returns the visible length in chars.
pub fn html_visible_len(text: &str) -> Result<usize, String> {
    let bad = |m: String| format!("Bad Request: can't parse entities: {m}");
    let mut stack: Vec<String> = Vec::new();
    let mut visible = 0;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if c == '<' {
            let end =
                rest.find('>').ok_or_else(|| bad(format!("Can't find end of the tag starting at byte offset {i}")))?;
            let tag = &rest[1..end];
            if let Some(name) = tag.strip_prefix('/') {
                let name = name.trim().to_ascii_lowercase();
                match stack.pop() {
                    Some(open) if open == name => {}
                    Some(open) => {
                        return Err(bad(format!(
                            "Unmatched end tag at byte offset {i}, expected \"</{open}>\", found \"</{name}>\""
                        )));
                    }
                    None => return Err(bad(format!("Unexpected end tag at byte offset {i}"))),
                }
            } else {
                let name: String = tag.chars().take_while(|c| !c.is_whitespace() && *c != '/').collect();
                let name = name.to_ascii_lowercase();
                if !TAGS.contains(&name.as_str()) {
                    return Err(bad(format!("Unsupported start tag \"{name}\" at byte offset {i}")));
                }
                stack.push(name);
            }
            i += end + 1;
        } else if c == '&' {
            let word: String = rest[1..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '#').collect();
            let named = ["lt", "gt", "amp", "quot"].contains(&word.as_str());
            let numeric = word.starts_with('#') && word.len() > 1;
            if !word.is_empty() && rest[1 + word.len()..].starts_with(';') {
                if !named && !numeric {
                    return Err(bad(format!("Unsupported HTML entity \"&{word};\" at byte offset {i}")));
                }
                i += word.len() + 2;
            } else {
                i += 1;
            }
            visible += 1;
        } else {
            visible += 1;
            i += c.len_utf8();
        }
    }
    match stack.pop() {
        Some(open) => Err(bad(format!("Can't find end tag corresponding to start tag \"{open}\""))),
        None => Ok(visible),
    }
}

/// Telegram's checks on message text: non-empty, valid entities, at most 4096 chars.
pub fn check_text(params: &Map<String, Value>) -> Result<String, String> {
    let text = match params.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    if text.trim().is_empty() {
        return Err("Bad Request: message text is empty".into());
    }
    let len = match params.get("parse_mode").and_then(Value::as_str) {
        None | Some("") => text.chars().count(),
        Some(m) if m.eq_ignore_ascii_case("html") => html_visible_len(&text)?,
        Some(m) if m.eq_ignore_ascii_case("markdownv2") || m.eq_ignore_ascii_case("markdown") => text.chars().count(),
        Some(m) => return Err(format!("Bad Request: unsupported parse_mode \"{m}\"")),
    };
    if len == 0 {
        return Err("Bad Request: text must be non-empty".into());
    }
    if len > 4096 {
        return Err("Bad Request: message is too long".into());
    }
    Ok(text)
}

/// Validates `reply_markup`; returns it when it is an inline keyboard (echoed in messages).
pub fn check_markup(params: &Map<String, Value>) -> Result<Option<Value>, String> {
    let markup = match params.get("reply_markup") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .map_err(|_| "Bad Request: can't parse reply keyboard markup JSON object")?,
        Some(v) => v.clone(),
    };
    let Some(rows) = markup.get("inline_keyboard") else {
        return Ok(None);
    };
    let Some(rows) = rows.as_array() else {
        return Err("Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array".into());
    };
    for button in rows.iter().flat_map(|r| r.as_array().cloned().unwrap_or_default()) {
        if button.get("text").and_then(Value::as_str).unwrap_or_default().is_empty() {
            return Err("Bad Request: text buttons are unallowed in the inline keyboard".into());
        }
        if let Some(data) = button.get("callback_data") {
            let len = data.as_str().map_or(0, str::len);
            if !(1..=64).contains(&len) {
                return Err("Bad Request: BUTTON_DATA_INVALID".into());
            }
        }
    }
    Ok(Some(markup))
}

/// `setMyCommands`: 1-32 chars of a-z, 0-9, `_`; descriptions 1-256 chars.
pub fn check_commands(params: &Map<String, Value>) -> Result<(), String> {
    let Some(commands) = params.get("commands").and_then(Value::as_array) else {
        return Err("Bad Request: parameter \"commands\" is required".into());
    };
    for c in commands {
        let cmd = c.get("command").and_then(Value::as_str).unwrap_or_default();
        let ok = (1..=32).contains(&cmd.len())
            && cmd.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_');
        if !ok {
            return Err("Bad Request: BOT_COMMAND_INVALID".into());
        }
        let desc = c.get("description").and_then(Value::as_str).unwrap_or_default();
        if !(1..=256).contains(&desc.chars().count()) {
            return Err("Bad Request: command description must be non-empty".into());
        }
    }
    Ok(())
}

/// `setWebhook` URL, port and secret checks; an empty URL removes the webhook.
pub fn check_webhook(params: &Map<String, Value>) -> Result<(), String> {
    let url = params.get("url").and_then(Value::as_str).unwrap_or_default();
    if !url.is_empty() {
        let parsed = url::Url::parse(url).map_err(|_| "Bad Request: bad webhook: Failed to parse URL")?;
        if parsed.scheme() != "https" {
            return Err("Bad Request: bad webhook: An HTTPS URL must be provided for webhook".into());
        }
        if !matches!(parsed.port_or_known_default(), Some(443 | 80 | 88 | 8443)) {
            return Err("Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443".into());
        }
    }
    if let Some(secret) = params.get("secret_token").and_then(Value::as_str) {
        let ok = (1..=256).contains(&secret.len())
            && secret.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return Err("Bad Request: secret token contains unallowed characters".into());
        }
    }
    Ok(())
}
