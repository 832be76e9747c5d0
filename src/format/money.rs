//! Money as customers see it: integer minor units (tiyin, cents) from ERPNext's float JSON,
//! and the one way an amount is rounded and written in a message ([`display`]).
//!
//! ERPNext sends money as JSON floats. Each value is turned into minor units once, at the
//! edge, and all arithmetic after that is on integers, so sums agree with ERPNext to the last
//! so'm however many rows are added.

use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

mod display;

pub use display::{Decimals, MAX_DECIMALS, Notation, fit, format, number, round};

/// An amount in minor units (1/100 of the currency unit). Arithmetic saturates instead of
/// overflowing: no real contract comes near `i64::MAX` tiyin, and a wrong figure is better
/// caught by a reader than by a panic in a webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);

    /// Converts an ERPNext float to minor units, rounding half away from zero.
    ///
    /// The float is read through its shortest decimal form (what ERPNext itself printed into
    /// the JSON), so binary noise cannot tip a rounding: `0.1 + 0.2` is 0.30 and `1.005` is
    /// 1.01, where `(x * 100.0).round()` would give 1.00. Non-finite values are zero;
    /// values beyond the `i64` range saturate.
    pub fn from_erp(value: f64) -> Money {
        if !value.is_finite() {
            return Money::ZERO;
        }
        parse_decimal(&value.to_string()).unwrap_or(Money::ZERO)
    }

    /// Reads a money field from ERPNext JSON: a number or a numeric string (`"1250.5"`,
    /// `" -3 "`, `"1e3"`). Anything else (null, empty, text, objects) is zero.
    pub fn from_json(value: &serde_json::Value) -> Money {
        match value {
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Money(i.saturating_mul(100))
                } else if n.is_u64() {
                    Money(i64::MAX)
                } else {
                    n.as_f64().map_or(Money::ZERO, Money::from_erp)
                }
            }
            serde_json::Value::String(s) => {
                let s = s.trim();
                parse_decimal(s).or_else(|| s.parse::<f64>().ok().map(Money::from_erp)).unwrap_or(Money::ZERO)
            }
            _ => Money::ZERO,
        }
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

/// Parses a plain decimal (`-12.345`, `7`, `.5`) exactly, rounding to two places half away
/// from zero. `None` for anything else, exponents included.
fn parse_decimal(text: &str) -> Option<Money> {
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (int_part, frac_part) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() && frac_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
        return None;
    }
    let mut minor: i128 = 0;
    for b in int_part.bytes() {
        // Saturates far above i64 so the clamp below still sees an out-of-range value.
        minor = (minor * 10 + i128::from(b - b'0')).min(i128::from(i64::MAX) * 1000);
    }
    let mut frac = frac_part.bytes().map(|b| i128::from(b - b'0'));
    minor = minor * 100 + frac.next().unwrap_or(0) * 10 + frac.next().unwrap_or(0);
    // Only the third decimal decides: >= 5 means at least half a minor unit.
    if frac.next().unwrap_or(0) >= 5 {
        minor += 1;
    }
    let minor = if negative { -minor } else { minor };
    Some(Money(clamp_i64(minor)))
}

/// Narrows an `i128` to `i64`, saturating at the bounds.
pub(crate) fn clamp_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(self.0.saturating_neg())
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn from_erp_rounds_half_away_from_zero_without_float_noise() {
        let cases = [
            (0.1 + 0.2, 30),
            (1.005, 101),
            (2.675, 268),
            (-1.005, -101),
            (1.004, 100),
            (15_000_000.0, 1_500_000_000),
            (1250.5, 125_050),
            (0.0049, 0),
            (-0.0, 0),
            (f64::NAN, 0),
            (f64::INFINITY, 0),
            (1e300, i64::MAX),
            (-1e300, i64::MIN),
        ];
        for (value, minor) in cases {
            assert_eq!(Money::from_erp(value), Money(minor), "{value}");
        }
    }

    #[test]
    fn from_json_accepts_numbers_and_numeric_strings_only() {
        let cases = [
            (json!(1250.5), 125_050),
            (json!(7), 700),
            (json!(-3), -300),
            (json!("1250.50"), 125_050),
            (json!(" 0.125 "), 13),
            (json!("1e3"), 100_000),
            (json!("+.5"), 50),
            (json!(""), 0),
            (json!("."), 0),
            (json!("12 000"), 0),
            (json!("abc"), 0),
            (json!("NaN"), 0),
            (json!(null), 0),
            (json!(true), 0),
            (json!([1]), 0),
        ];
        for (value, minor) in cases {
            assert_eq!(Money::from_json(&value), Money(minor), "{value}");
        }
    }

    #[test]
    fn arithmetic_is_exact_and_saturating() {
        let a = Money(150);
        let mut b = a + Money(50) - Money(25);
        b += Money(1);
        b -= Money(2);
        assert_eq!(b, Money(174));
        assert_eq!(-a, Money(-150));
        assert_eq!([a, a, a].iter().sum::<Money>(), Money(450));
        assert_eq!(Money(i64::MAX) + Money(1), Money(i64::MAX));
        assert_eq!(-Money(i64::MIN), Money(i64::MAX));
        assert_eq!(a.max(Money::ZERO), a);
        assert!(Money::ZERO.is_zero() && a.is_positive() && (-a).is_negative());
    }
}
