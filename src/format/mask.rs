//! Masking of passport and phone numbers: what the profile shows, what logs may carry.

/// `AB1234567` → `AB*****67`. Anything shorter than five characters is fully masked.
pub fn passport(passport: &str) -> String {
    let chars: Vec<char> = passport.chars().collect();
    if chars.len() < 5 {
        return "*".repeat(chars.len().max(1));
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 4))
}

/// `+998 90 123-45-67` → `+998*****4567`: the country code (when the number carries one) and
/// the last four digits stay, the rest is hidden.
pub fn phone(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        0 => String::new(),
        n if n < 7 => "*".repeat(n),
        n if n >= 12 => format!("+{}{}{}", &digits[..3], "*".repeat(n - 7), &digits[n - 4..]),
        n => format!("{}{}", "*".repeat(n - 4), &digits[n - 4..]),
    }
}

/// The last nine digits of a phone number: how Uzbek numbers are compared whatever their
/// format (`+998 90 123 45 67`, `90-123-45-67`, `8 90 1234567`). `None` when fewer than nine.
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 9).then(|| digits[digits.len() - 9..].iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passport_keeps_two_letters_and_two_digits() {
        assert_eq!(passport("AB1234567"), "AB*****67");
        assert_eq!(passport("AB1"), "***");
    }

    #[test]
    fn phone_keeps_country_code_and_last_four() {
        assert_eq!(phone("+998 90 123-45-67"), "+998*****4567");
        assert_eq!(phone("901234567"), "*****4567");
        assert_eq!(phone("12"), "**");
    }

    #[test]
    fn phone_key_ignores_formatting() {
        let a = phone_key("+998 (90) 123-45-67");
        assert_eq!(a.as_deref(), Some("901234567"));
        assert_eq!(a, phone_key("8 90 1234567"));
        assert_eq!(a, phone_key("998901234567"));
        assert_eq!(phone_key("12345"), None);
    }
}
