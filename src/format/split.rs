//! Splitting long Telegram HTML messages into pieces Telegram accepts.
//!
//! Telegram counts the limit on the text *after* entity parsing: tags are free and `&amp;`
//! is one character. We split between lines, never inside a tag or an entity, and a tag
//! that is open at a split (a `<pre>` table, say) is closed at the end of one piece and
//! reopened, attributes and all, at the start of the next, so every piece parses alone.

/// The most characters Telegram accepts in one message's text.
pub const TELEGRAM_LIMIT: usize = 4096;

/// One lexical piece of Telegram HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token<'a> {
    /// `<name ...>`, kept whole so it can be reopened verbatim.
    Open { name: &'a str, raw: &'a str },
    /// `</name>`.
    Close { name: &'a str, raw: &'a str },
    /// One character or one entity, with its visible width.
    Text { raw: &'a str, width: usize },
}

impl Token<'_> {
    fn raw(&self) -> &str {
        match self {
            Token::Open { raw, .. } | Token::Close { raw, .. } | Token::Text { raw, .. } => raw,
        }
    }

    fn width(&self) -> usize {
        match self {
            Token::Text { width, .. } => *width,
            _ => 0,
        }
    }

    fn is(&self, text: &str) -> bool {
        matches!(self, Token::Text { raw, .. } if *raw == text)
    }
}

/// Visible length of Telegram HTML: tags count nothing, an entity counts as the character it
/// stands for.
///
/// Counted in UTF-16 code units, which equals the character count for all Latin and Cyrillic
/// text and counts an emoji outside the BMP as two. Reports disagree on whether Telegram's
/// limit counts characters or UTF-16 units; this count is within the limit either way.
pub fn visible_len(html: &str) -> usize {
    tokenize(html).iter().map(Token::width).sum()
}

fn tokenize(html: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let token = match c {
            '<' => rest.find('>').map(|end| tag(&rest[..=end])),
            '&' => entity(rest),
            _ => None,
        };
        let token = token.unwrap_or_else(|| Token::Text { raw: &rest[..c.len_utf8()], width: c.len_utf16() });
        rest = &rest[token.raw().len()..];
        tokens.push(token);
    }
    tokens
}

/// `raw` runs from `<` to the first `>`.
fn tag(raw: &str) -> Token<'_> {
    let inner = &raw[1..raw.len() - 1];
    fn name_of(s: &str) -> Option<&str> {
        s.split(|c: char| c.is_whitespace() || c == '/').next()
    }
    match inner.strip_prefix('/') {
        Some(closing) => Token::Close { name: name_of(closing.trim_start()).unwrap_or_default(), raw },
        None => Token::Open { name: name_of(inner).unwrap_or_default(), raw },
    }
}

/// `&name;`, `&#123;` or `&#x1F600;` at the start of `text`; `None` when `&` is a bare
/// ampersand.
fn entity(text: &str) -> Option<Token<'_>> {
    let end = text.char_indices().take(12).find(|(_, c)| *c == ';')?.0;
    let body = &text[1..end];
    if body.is_empty() || !body.chars().all(|c| c.is_ascii_alphanumeric() || c == '#') {
        return None;
    }
    let code_point = if let Some(hex) = body.strip_prefix("#x").or(body.strip_prefix("#X")) {
        u32::from_str_radix(hex, 16).ok()
    } else if let Some(dec) = body.strip_prefix('#') {
        dec.parse::<u32>().ok()
    } else {
        None // named: Telegram knows only lt, gt, amp and quot, all in the BMP
    };
    let width = code_point.and_then(char::from_u32).map_or(1, char::len_utf16);
    Some(Token::Text { raw: &text[..=end], width })
}

/// One message: tags reopened from the previous one, its own text, tags closed for it, and
/// what stood between its text and the previous message's in the original (`\n`, a space
/// at a word break, or nothing at a hard break).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Part {
    separator: &'static str,
    prefix: String,
    body: String,
    suffix: String,
}

/// Builds the parts, keeping the stack of tags open at the current position.
struct Splitter<'a> {
    limit: usize,
    parts: Vec<Part>,
    current: Part,
    width: usize,
    open: Vec<Token<'a>>,
}

impl<'a> Splitter<'a> {
    fn push(&mut self, tokens: &[Token<'a>]) {
        for token in tokens {
            self.current.body.push_str(token.raw());
            self.width += token.width();
            match token {
                Token::Open { .. } => self.open.push(*token),
                Token::Close { name, .. } => {
                    let matching = |t: &Token<'_>| matches!(t, Token::Open { name: n, .. } if n == name);
                    if let Some(at) = self.open.iter().rposition(matching) {
                        self.open.remove(at);
                    }
                }
                Token::Text { .. } => {}
            }
        }
    }

    /// Ends the current message and starts the next, which follows `separator`.
    fn flush(&mut self, separator: &'static str) {
        for token in self.open.iter().rev() {
            if let Token::Open { name, .. } = token {
                self.current.suffix.push_str(&format!("</{name}>"));
            }
        }
        let prefix: String = self.open.iter().map(Token::raw).collect();
        let next = Part { separator, prefix, ..Part::default() };
        self.parts.push(std::mem::replace(&mut self.current, next));
        self.width = 0;
    }

    /// A line wider than the limit, starting on a fresh message: cut at the last space that
    /// fits, else hard before the token that does not fit.
    fn push_long_line(&mut self, mut line: &[Token<'a>]) {
        loop {
            let (mut width, mut space, mut cut) = (0, None, None);
            for (i, token) in line.iter().enumerate() {
                if token.is(" ") && width > 0 {
                    space = Some(i);
                }
                if width > 0 && width + token.width() > self.limit {
                    cut = Some(i);
                    break;
                }
                width += token.width();
            }
            let Some(mut cut) = cut else {
                self.push(line);
                return;
            };
            let separator = if let Some(space) = space {
                self.push(&line[..space]);
                line = &line[space + 1..];
                " "
            } else {
                // Leave opening tags that end the piece to the next one, where their text is.
                while cut > 1 && matches!(line[cut - 1], Token::Open { .. }) {
                    cut -= 1;
                }
                self.push(&line[..cut]);
                line = &line[cut..];
                ""
            };
            self.flush(separator);
        }
    }
}

/// Splits a Telegram HTML message into messages of at most `limit` visible characters (see
/// [`visible_len`]), preferring line breaks, then the last space, then a hard break between
/// characters. Tags open at a break are closed and reopened. Pieces with nothing but
/// whitespace are dropped (Telegram refuses empty messages). Empty input gives no messages.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    split_parts(text, limit)
        .into_iter()
        .filter(|part| has_visible_text(&part.body))
        .map(|part| format!("{}{}{}", part.prefix, part.body, part.suffix))
        .collect()
}

/// Whether Telegram would see anything but whitespace in `html`.
fn has_visible_text(html: &str) -> bool {
    tokenize(html).iter().any(|t| t.width() > 0 && !t.raw().trim().is_empty())
}

fn split_parts(text: &str, limit: usize) -> Vec<Part> {
    if text.is_empty() {
        return Vec::new();
    }
    let tokens = tokenize(text);
    let mut splitter =
        Splitter { limit: limit.max(1), parts: Vec::new(), current: Part::default(), width: 0, open: Vec::new() };
    for (i, line) in tokens.split(|t| t.is("\n")).enumerate() {
        let width: usize = line.iter().map(Token::width).sum();
        if i > 0 {
            if splitter.width + 1 + width <= splitter.limit {
                splitter.push(&[Token::Text { raw: "\n", width: 1 }]);
                splitter.push(line);
                continue;
            }
            splitter.flush("\n");
        }
        if width <= splitter.limit {
            splitter.push(line);
        } else {
            splitter.push_long_line(line);
        }
    }
    splitter.flush("");
    splitter.parts
}

#[cfg(test)]
mod tests;
