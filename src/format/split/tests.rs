use super::*;

/// Tags in `chunk` open and close in order, with nothing left open.
fn balanced(chunk: &str) -> bool {
    let mut open = Vec::new();
    for token in tokenize(chunk) {
        match token {
            Token::Open { name, .. } => open.push(name),
            Token::Close { name, .. } => {
                if open.pop() != Some(name) {
                    return false;
                }
            }
            Token::Text { .. } => {}
        }
    }
    open.is_empty()
}

/// The original text back from the parts, without the tags the splitter added.
fn restore(parts: &[Part]) -> String {
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| if i == 0 { p.body.clone() } else { format!("{}{}", p.separator, p.body) })
        .collect()
}

/// Splits, then checks what every split must satisfy and returns the chunks.
fn checked_split(text: &str, limit: usize) -> Vec<String> {
    let chunks = split_message(text, limit);
    let parts = split_parts(text, limit);
    assert_eq!(restore(&parts), text, "lossless at limit {limit}");
    let whole: Vec<String> = parts
        .iter()
        .filter(|p| has_visible_text(&p.body))
        .map(|p| format!("{}{}{}", p.prefix, p.body, p.suffix))
        .collect();
    assert_eq!(chunks, whole, "chunks are the parts with text");
    for chunk in &chunks {
        assert!(visible_len(chunk) <= limit, "{chunk:?} over {limit}");
        assert!(balanced(chunk), "{chunk:?} unbalanced");
    }
    chunks
}

#[test]
fn visible_len_ignores_tags_and_counts_entities_once() {
    let cases = [
        ("", 0),
        ("abc", 3),
        ("Привет, dunyo", 13),
        ("<b>ab</b>", 2),
        ("<a href=\"https://x.uz/?a=1&amp;b=2\">link</a>", 4),
        ("a &amp; b", 5),
        ("&lt;&gt;&quot;", 3),
        ("&#65;&#x42;", 2),
        ("a & b", 5),
        ("&nosemicolon", 12),
        ("😀", 2),
        ("&#128512;", 2),
        ("<pre>1\n2</pre>", 3),
    ];
    for (html, len) in cases {
        assert_eq!(visible_len(html), len, "{html:?}");
    }
}

#[test]
fn empty_input_gives_no_messages_and_short_input_one() {
    assert!(split_message("", 10).is_empty());
    let text = "<b>Salom</b>\nHammasi &amp; joyida";
    assert_eq!(split_message(text, TELEGRAM_LIMIT), vec![text.to_string()]);
    assert_eq!(visible_len(text), 22);
    assert_eq!(checked_split(text, 22), vec![text.to_string()]);
    assert_eq!(checked_split(text, 21), ["<b>Salom</b>", "Hammasi &amp; joyida"]);
}

#[test]
fn table_in_pre_is_closed_and_reopened_at_every_split() {
    let rows: Vec<String> = (1..=25).map(|i| format!("{i:>2}. 01.{i:02}.2025  1 250 000 &amp; so'm")).collect();
    let text = format!("<b>Jadval</b>\n<pre>{}</pre>\nJami: <i>25</i>", rows.join("\n"));
    for limit in [40, 64, 100, 333] {
        let chunks = checked_split(&text, limit);
        assert!(chunks.len() > 1, "limit {limit}");
        for chunk in &chunks[1..chunks.len() - 1] {
            assert!(chunk.starts_with("<pre>") && chunk.ends_with("</pre>"), "{chunk:?}");
        }
    }
}

#[test]
fn reopened_tags_keep_their_attributes() {
    let text = "<pre><code class=\"language-text\">aaaa\nbbbb</code></pre>";
    let chunks = checked_split(text, 4);
    assert_eq!(
        chunks,
        [
            "<pre><code class=\"language-text\">aaaa</code></pre>",
            "<pre><code class=\"language-text\">bbbb</code></pre>",
        ]
    );
}

#[test]
fn long_line_breaks_at_the_last_space_that_fits() {
    let chunks = checked_split("one two three four", 9);
    assert_eq!(chunks, ["one two", "three", "four"]);
    let chunks = checked_split("<b>bir ikki uch</b>", 8);
    assert_eq!(chunks, ["<b>bir ikki</b>", "<b>uch</b>"]);
}

#[test]
fn long_word_breaks_hard_but_never_inside_a_tag_or_entity() {
    assert_eq!(checked_split("abcdefgh", 3), ["abc", "def", "gh"]);
    assert_eq!(checked_split("ab&amp;&lt;cd", 3), ["ab&amp;", "&lt;cd"]);
    assert_eq!(checked_split("abc<b>def</b>", 3), ["abc", "<b>def</b>"]);
    assert_eq!(checked_split("😀😀😀", 4), ["😀😀", "😀"]);
    // A character wider than the limit still goes out, alone, rather than looping forever.
    assert_eq!(split_message("😀a", 1), ["😀", "a"]);
}

#[test]
fn mixed_lines_pack_greedily_and_stay_lossless() {
    let text = "short\nthis line is clearly too long for one piece\n\nend";
    for limit in 1..=60 {
        checked_split(text, limit);
    }
}

#[test]
fn whitespace_only_pieces_are_dropped() {
    assert_eq!(split_message("abc\n\n\n\n\ndef", 3), ["abc", "def"]);
    assert!(split_message("\n \n", 1).is_empty());
}
