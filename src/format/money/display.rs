//! Amounts as customers read them: rounded to the currency's decimals (`CURRENCY_DECIMALS`;
//! whole so'm unless configured), thousands grouped with spaces, the language's decimal mark.
//!
//! Rounding is for the eye only: [`Money`] stays exact minor units and every sum is taken
//! before rounding. The lines that make up a total are rounded together ([`Decimals::fit`]):
//! each line but the last to its nearest shown unit, the last one takes what is left of the
//! rounded total, so the lines a customer adds up give the total printed under them. That is
//! how ERPNext itself splits a total into payment terms: the last row takes the remainder.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{LazyLock, OnceLock};

use super::{Money, clamp_i64};

/// How a language writes amounts: its decimal mark and its name of the so'm. `i18n::Lang`
/// implements it with each language's words, so that this module needs nothing of `i18n`: the
/// dependency goes one way, from the texts to the formatting.
pub trait Notation: Copy {
    /// Between the whole units and the fraction.
    fn decimal_mark(self) -> char;
    /// The so'm (UZS) written after the number.
    fn som(self) -> &'static str;
}

/// Money holds two decimals (minor units); no currency is shown with more.
pub const MAX_DECIMALS: u8 = 2;

/// How many decimals each currency is shown with: UZS in whole so'm, every other currency to
/// the cent, unless `CURRENCY_DECIMALS` says otherwise. A contract without a currency is in
/// so'm, as [`Decimals::format`] writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimals {
    by_code: BTreeMap<String, u8>,
    other: u8,
}

impl Default for Decimals {
    fn default() -> Self {
        Decimals { by_code: BTreeMap::from([("UZS".to_owned(), 0)]), other: MAX_DECIMALS }
    }
}

/// The decimals in force for this process, installed once at start-up from the configuration.
static INSTALLED: OnceLock<Decimals> = OnceLock::new();
static DEFAULT: LazyLock<Decimals> = LazyLock::new(Decimals::default);

impl Decimals {
    /// Reads `CURRENCY_DECIMALS`: comma-separated `CODE=N`, where CODE is a three-letter ISO
    /// 4217 code or `*` (every currency not listed) and N is 0, 1 or 2. Entries change the
    /// defaults (`UZS=0,*=2`); what is not listed keeps them. The error is one line for the
    /// operator.
    pub fn parse(text: &str) -> Result<Decimals, String> {
        let mut decimals = Decimals::default();
        let mut seen = BTreeSet::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((code, n)) = entry.split_once('=') else {
                return Err(format!("{entry:?} is not CODE=N (e.g. UZS=0,USD=2)"));
            };
            let code = code.trim().to_ascii_uppercase();
            let n = match n.trim().parse::<u8>() {
                Ok(n) if n <= MAX_DECIMALS => n,
                _ => return Err(format!("{entry:?}: the number of decimals must be 0, 1 or 2")),
            };
            if !seen.insert(code.clone()) {
                return Err(format!("{code} is listed twice"));
            }
            if code == "*" {
                decimals.other = n;
            } else if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
                decimals.by_code.insert(code, n);
            } else {
                return Err(format!("{code:?} is not a currency code such as UZS (or * for the others)"));
            }
        }
        Ok(decimals)
    }

    /// Makes these the decimals of the process. The first installation wins: a different set
    /// installed later is refused and the one in force is returned.
    pub fn install(self) -> Result<(), &'static Decimals> {
        let installed = INSTALLED.get_or_init(|| self.clone());
        if *installed == self { Ok(()) } else { Err(installed) }
    }

    /// The decimals in force: the installed ones, or the defaults before any installation.
    pub fn current() -> &'static Decimals {
        INSTALLED.get().unwrap_or(&DEFAULT)
    }

    /// The decimals `currency` is shown with.
    pub fn of(&self, currency: &str) -> u8 {
        let code = currency.trim().to_ascii_uppercase();
        let code = if code.is_empty() { "UZS" } else { code.as_str() };
        self.by_code.get(code).copied().unwrap_or(self.other)
    }

    /// `amount` to the nearest shown unit of `currency`, half away from zero.
    pub fn round(&self, amount: Money, currency: &str) -> Money {
        let step = 10_i128.pow(u32::from(MAX_DECIMALS.saturating_sub(self.of(currency))));
        let minor = i128::from(amount.0);
        let units = (2 * minor.abs() + step) / (2 * step);
        Money(clamp_i64(units * step * minor.signum()))
    }

    /// The shown figures of `lines` that add up to `total` rounded: every line rounded but the
    /// last, which takes the rest. `total` is normally the lines' exact sum; it may be the
    /// document's own total when the lines are meant to make it up.
    pub fn fit(&self, lines: &[Money], total: Money, currency: &str) -> Vec<Money> {
        let Some((_, first)) = lines.split_last() else { return Vec::new() };
        let mut shown: Vec<Money> = first.iter().map(|line| self.round(*line, currency)).collect();
        let so_far: Money = shown.iter().sum();
        shown.push(self.round(total, currency) - so_far);
        shown
    }

    /// Writes an amount for a message: `15 000 000 so'm`, `$1 250.50`, `-500 ₽`, `1 000 KZT`.
    ///
    /// The amount is rounded to the currency's decimals; thousands are grouped with spaces and
    /// the fraction, in the language's decimal mark, appears only when it is not zero. The
    /// currency is the ISO code from the contract: `UZS` (or none) is the so'm in the language's
    /// word, `USD` `$`, `EUR` `€`, `RUB` `₽`; any other code is written after the number. The
    /// result is plain text: escape it like any other dynamic value before it goes into HTML.
    pub fn format(&self, amount: Money, currency: &str, lang: impl Notation) -> String {
        let rounded = self.round(amount, currency);
        let number = digits(rounded.0.unsigned_abs(), self.of(currency), lang);
        let sign = if rounded.is_negative() { "-" } else { "" };
        let code = currency.trim().to_ascii_uppercase();
        match code.as_str() {
            "" | "UZS" => format!("{sign}{number} {}", lang.som()),
            "USD" => format!("{sign}${number}"),
            "EUR" => format!("{sign}€{number}"),
            "RUB" => format!("{sign}{number} ₽"),
            other => format!("{sign}{number} {other}"),
        }
    }

    /// The number alone, as in [`Decimals::format`] but without the currency, for table
    /// columns: `1 250,50` (ru, USD), `-500`.
    pub fn number(&self, amount: Money, currency: &str, lang: impl Notation) -> String {
        let rounded = self.round(amount, currency);
        let sign = if rounded.is_negative() { "-" } else { "" };
        format!("{sign}{}", digits(rounded.0.unsigned_abs(), self.of(currency), lang))
    }
}

/// [`Decimals::format`] with the decimals in force.
pub fn format(amount: Money, currency: &str, lang: impl Notation) -> String {
    Decimals::current().format(amount, currency, lang)
}

/// [`Decimals::number`] with the decimals in force.
pub fn number(amount: Money, currency: &str, lang: impl Notation) -> String {
    Decimals::current().number(amount, currency, lang)
}

/// [`Decimals::round`] with the decimals in force.
pub fn round(amount: Money, currency: &str) -> Money {
    Decimals::current().round(amount, currency)
}

/// [`Decimals::fit`] with the decimals in force.
pub fn fit(lines: &[Money], total: Money, currency: &str) -> Vec<Money> {
    Decimals::current().fit(lines, total, currency)
}

/// `125050` → `1 250.50` (en, two decimals); `1500000000` → `15 000 000`. `minor` is already
/// rounded to `decimals`, so the digits left out are zeros.
fn digits(minor: u64, decimals: u8, lang: impl Notation) -> String {
    let whole = (minor / 100).to_string();
    let mut out = String::with_capacity(whole.len() + whole.len() / 3 + 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            // A plain ASCII space, not U+00A0 or U+202F: messages are HTML, where a no-break
            // space survives as an invisible character that breaks copy-paste and search.
            out.push(' ');
        }
        out.push(c);
    }
    let fraction = minor % 100;
    if fraction != 0 && decimals > 0 {
        out.push(lang.decimal_mark());
        out.push_str(&format!("{fraction:02}")[..usize::from(decimals.min(MAX_DECIMALS))]);
    }
    out
}

#[cfg(test)]
mod tests;
