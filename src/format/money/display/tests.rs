use super::*;

fn standard() -> Decimals {
    Decimals::default()
}

/// The notations of Russian and English, as `i18n::Lang` writes them: money needs no `i18n`
/// (each language's own is tested in `i18n`).
#[derive(Clone, Copy)]
struct Ru;
#[derive(Clone, Copy)]
struct En;

impl Notation for Ru {
    fn decimal_mark(self) -> char {
        ','
    }
    fn som(self) -> &'static str {
        "сум"
    }
}

impl Notation for En {
    fn decimal_mark(self) -> char {
        '.'
    }
    fn som(self) -> &'static str {
        "so'm"
    }
}

#[test]
fn uzs_is_whole_som_and_other_currencies_keep_cents_by_default() {
    let d = standard();
    assert_eq!((d.of("UZS"), d.of("uzs"), d.of(""), d.of("USD"), d.of("KZT")), (0, 0, 0, 2, 2));
}

#[test]
fn rounding_is_half_away_from_zero_to_the_shown_unit() {
    let d = standard();
    let cases = [
        (100_000_002, "UZS", 100_000_000),
        (99_999_990, "UZS", 100_000_000),
        (149, "UZS", 100),
        (150, "UZS", 200),
        (-150, "UZS", -200),
        (-149, "", -100),
        (12_345, "USD", 12_345),
        (i64::MIN, "UZS", -9_223_372_036_854_775_800),
    ];
    for (minor, currency, shown) in cases {
        assert_eq!(d.round(Money(minor), currency), Money(shown), "{minor} {currency}");
    }
    let one_decimal = Decimals::parse("USD=1").expect("valid");
    assert_eq!(one_decimal.round(Money(12_345), "USD"), Money(12_350));
}

#[test]
fn the_last_line_takes_the_remainder_of_the_rounded_total() {
    // ERPNext's split of 6 000 000: 1 000 000.02 × 5 + 999 999.90.
    let mut rows = vec![Money(100_000_002); 5];
    rows.push(Money(99_999_990));
    let total: Money = rows.iter().sum();
    assert_eq!(total, Money(600_000_000));
    let shown = standard().fit(&rows, total, "UZS");
    assert_eq!(shown, vec![Money(100_000_000); 6]);
    // 333 333.33 × 2 + 333 333.34: the last line says 333 334 so that 1 000 000 adds up.
    let thirds = [Money(33_333_333), Money(33_333_333), Money(33_333_334)];
    let shown = standard().fit(&thirds, Money(100_000_000), "UZS");
    assert_eq!(shown, vec![Money(33_333_300), Money(33_333_300), Money(33_333_400)]);
    assert_eq!(shown.iter().sum::<Money>(), Money(100_000_000));
    assert!(standard().fit(&[], Money(100), "UZS").is_empty());
}

#[test]
fn lines_fit_a_document_total_that_differs_from_their_sum_by_tiyin() {
    // A schedule ERPNext accepted (within its 0.1 tolerance) against a grand total of 3 000 000.
    let rows = [Money(100_000_002), Money(100_000_002), Money(100_000_002)];
    let shown = standard().fit(&rows, Money(300_000_000), "UZS");
    assert_eq!(shown.iter().sum::<Money>(), Money(300_000_000));
    assert_eq!(shown[2], Money(100_000_000));
}

#[test]
fn configured_decimals_change_the_listed_currencies_only() {
    let d = Decimals::parse(" usd=0, UZS = 2 ,*=1").expect("valid");
    assert_eq!((d.of("USD"), d.of("UZS"), d.of("EUR")), (0, 2, 1));
    assert_eq!(d.format(Money(100_000_002), "UZS", Ru), "1 000 000,02 сум");
    assert_eq!(d.format(Money(125_050), "USD", En), "$1 251");
    assert_eq!(d.format(Money(125_050), "EUR", En), "€1 250.5");
    assert_eq!(Decimals::parse("").expect("empty is the defaults"), standard());
    assert_eq!(Decimals::parse("EUR=0").expect("valid").of("UZS"), 0);
}

#[test]
fn malformed_decimals_are_refused_with_the_reason() {
    for (text, reason) in [
        ("UZS", "is not CODE=N"),
        ("UZS=3", "must be 0, 1 or 2"),
        ("UZS=-1", "must be 0, 1 or 2"),
        ("UZS=zero", "must be 0, 1 or 2"),
        ("SOM=0,SOM=1", "listed twice"),
        ("US=2", "is not a currency code"),
        ("U$D=2", "is not a currency code"),
    ] {
        let err = Decimals::parse(text).expect_err(text);
        assert!(err.contains(reason), "{text}: {err}");
    }
}
