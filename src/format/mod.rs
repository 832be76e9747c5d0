//! Presentation helpers shared by every message: HTML escaping for Telegram's `parse_mode`
//! HTML and masking of personal identifiers.

pub mod date;
pub mod mask;
pub mod money;
pub mod split;

/// Escapes a piece of dynamic text for Telegram HTML (`&`, `<`, `>` and `"` for attributes).
/// Every value that did not come from our own texts goes through this one function.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_characters_only() {
        assert_eq!(escape_html("A&B <C> \"d\" o'z"), "A&amp;B &lt;C&gt; &quot;d&quot; o'z");
    }
}
