//! Passport input: normalisation and validation, before anything is asked of ERPNext.

/// A valid, normalised passport series and number. Its `Debug` is masked, so it can sit in
/// effects and events without ever reaching a log in full.
#[derive(Clone, PartialEq, Eq)]
pub struct Passport(String);

impl Passport {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The forms this passport may have been typed in ERPNext, the normalised one first: with a
    /// space or a dash after the series, and with the series in Cyrillic look-alike letters
    /// where both letters have one. (Case is left to the database, whose collation ignores it.)
    pub fn spellings(&self) -> Vec<String> {
        let (series, number) = self.0.split_at(2);
        let mut series_forms = vec![series.to_owned()];
        let cyrillic: Option<String> = series.chars().map(cyrillic_look_alike).collect();
        series_forms.extend(cyrillic);
        let mut all = Vec::new();
        for series in &series_forms {
            for sep in ["", " ", "-"] {
                all.push(format!("{series}{sep}{number}"));
            }
        }
        all
    }
}

impl std::fmt::Debug for Passport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Passport({})", crate::format::mask::passport(&self.0))
    }
}

/// Trims, removes inner spaces, upper-cases and maps Cyrillic look-alike letters to Latin
/// (users on Russian keyboards type `АВ 1234567`). Returns `None` unless the result matches
/// `^[A-Z]{2}\d{7}$`.
pub fn normalise(input: &str) -> Option<Passport> {
    let cleaned: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(latin_look_alike)
        .flat_map(char::to_uppercase)
        .collect();
    is_valid(&cleaned).then_some(Passport(cleaned))
}

/// `^[A-Z]{2}\d{7}$`.
pub fn is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 9 && b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit)
}

/// Cyrillic letters that look like Latin ones on a passport (upper and lower case).
fn latin_look_alike(c: char) -> char {
    match c {
        'А' | 'а' => 'A',
        'В' | 'в' => 'B',
        'С' | 'с' => 'C',
        'Е' | 'е' => 'E',
        'Н' | 'н' => 'H',
        'К' | 'к' => 'K',
        'М' | 'м' => 'M',
        'О' | 'о' => 'O',
        'Р' | 'р' => 'P',
        'Т' | 'т' => 'T',
        'Х' | 'х' => 'X',
        'У' | 'у' => 'Y',
        'І' | 'і' => 'I',
        c => c,
    }
}

/// The Cyrillic capital that looks like this Latin capital, if any (the inverse of
/// [`latin_look_alike`] on capitals).
fn cyrillic_look_alike(c: char) -> Option<char> {
    Some(match c {
        'A' => 'А',
        'B' => 'В',
        'C' => 'С',
        'E' => 'Е',
        'H' => 'Н',
        'K' => 'К',
        'M' => 'М',
        'O' => 'О',
        'P' => 'Р',
        'T' => 'Т',
        'X' => 'Х',
        'Y' => 'У',
        'I' => 'І',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_cover_separators_and_cyrillic_series_normalised_first() {
        let p = normalise("AC1234567").map(|p| p.spellings()).unwrap_or_default();
        let want = ["AC1234567", "AC 1234567", "AC-1234567", "АС1234567", "АС 1234567", "АС-1234567"];
        assert_eq!(p, want);
        for s in &p {
            assert_eq!(normalise(s).as_ref().map(Passport::as_str), Some("AC1234567"), "{s} normalises back");
        }
        // No Cyrillic look-alike for G: only the Latin forms.
        assert_eq!(normalise("AG1234567").map(|p| p.spellings().len()), Some(3));
    }

    #[test]
    fn normalisation_table() {
        let cases = [
            ("AA1234567", Some("AA1234567")),
            ("  aa 123 45 67 ", Some("AA1234567")),
            ("ав1234567", Some("AB1234567")),
            ("АС 1234567", Some("AC1234567")),
            ("AA-1234567", Some("AA1234567")),
            ("AA123456", None),
            ("AA12345678", None),
            ("A11234567", None),
            ("ББ1234567", None),
            ("AA12345б7", None),
            ("", None),
            ("１２AA34567", None),
        ];
        for (input, want) in cases {
            assert_eq!(normalise(input).as_ref().map(Passport::as_str), want, "{input:?}");
        }
    }

    #[test]
    fn debug_output_is_masked() {
        let p = normalise("AB1234567").expect("valid");
        assert_eq!(format!("{p:?}"), "Passport(AB*****67)");
    }
}
