use super::*;
use crate::format::money::Decimals;

fn every_msg() -> Vec<Msg> {
    let p = ProfileView {
        name: "Ali <&> Valiyev".into(),
        passport_masked: "AB*****67".into(),
        phone_masked: Some("+998*****4567".into()),
    };
    let support = Some("+998 71 200-00-00".to_string());
    vec![
        Msg::Greeting,
        Msg::AskPassport,
        Msg::PassportFormat,
        Msg::PassportNotFound,
        Msg::AlreadyLinked { support: support.clone() },
        Msg::AskContact,
        Msg::ContactNotOwn,
        Msg::PhoneMismatch { support: support.clone() },
        Msg::ContactExpected,
        Msg::Linked { profile: p.clone() },
        Msg::WelcomeBack { profile: p.clone() },
        Msg::Profile { profile: p },
        Msg::Menu,
        Msg::Help { support: support.clone() },
        Msg::ChooseLanguage,
        Msg::LanguageChanged,
        Msg::ContactUs { support: support.clone() },
        Msg::ConfirmLogout,
        Msg::LoggedOut,
        Msg::LogoutCancelled,
        Msg::TooManyAttempts { minutes: 42 },
        Msg::ErpUnavailable,
        Msg::SessionReset,
        Msg::LinkGone,
        Msg::NotUnderstood,
        Msg::TextExpected,
        Msg::PrivateOnly,
        Msg::ButtonExpired,
        Msg::TryAgain,
        Msg::AccountDisabled { support: support.clone() },
        Msg::PdfNotSetUp { support: support.clone() },
        Msg::PdfCannotRender { support: support.clone() },
        Msg::PdfNotPermitted { support: support.clone() },
        Msg::PdfUnavailable,
    ]
}

#[test]
fn every_message_renders_in_every_language() {
    for lang in Lang::ALL {
        for msg in every_msg() {
            let text = render(lang, &msg);
            assert!(!text.trim().is_empty(), "{lang:?} {msg:?}");
            assert!(text.chars().count() < 4096);
        }
    }
}

#[test]
fn dynamic_values_are_escaped() {
    for lang in Lang::ALL {
        let text = render(lang, &every_msg()[10]);
        assert!(text.contains("Ali &lt;&amp;&gt; Valiyev"), "{lang:?}: {text}");
        assert!(!text.contains("<&>"));
    }
}

#[test]
fn languages_differ_where_they_should() {
    assert_ne!(render(Lang::En, &Msg::Greeting), render(Lang::Ru, &Msg::Greeting));
    assert_ne!(render(Lang::En, &Msg::Greeting), render(Lang::Uz, &Msg::Greeting));
    assert_ne!(render(Lang::Ru, &Msg::Greeting), render(Lang::Uz, &Msg::Greeting));
}

#[test]
fn language_comes_from_telegram_code() {
    assert_eq!(Lang::from_telegram(Some("ru")), Lang::Ru);
    assert_eq!(Lang::from_telegram(Some("en-GB")), Lang::En);
    assert_eq!(Lang::from_telegram(Some("uz")), Lang::Uz);
    assert_eq!(Lang::from_telegram(Some("de")), Lang::Uz);
    assert_eq!(Lang::from_telegram(None), Lang::Uz);
}

#[test]
fn commands_are_the_same_set_in_every_language() {
    let names = |l| commands(l).iter().map(|c| c.command).collect::<Vec<_>>();
    assert_eq!(names(Lang::En), names(Lang::Ru));
    assert_eq!(names(Lang::En), names(Lang::Uz));
}

#[test]
fn only_the_pdf_refusal_for_an_erpnext_down_asks_to_try_again_later() {
    let support = Some("+998 71 200-00-00".to_string());
    for lang in Lang::ALL {
        let later = render(lang, &Msg::PdfUnavailable);
        let later = later.rsplit(". ").next().expect("the last sentence").trim_end_matches('.').to_owned();
        for msg in [
            Msg::PdfNotSetUp { support: support.clone() },
            Msg::PdfCannotRender { support: support.clone() },
            Msg::PdfNotPermitted { support: support.clone() },
            Msg::AccountDisabled { support: support.clone() },
        ] {
            let text = render(lang, &msg);
            assert!(!text.contains(&later), "{lang:?} {msg:?} asks to retry: {text}");
            assert!(text.contains("+998 71 200-00-00"), "{lang:?} {msg:?} names the support phone: {text}");
        }
    }
}

#[test]
fn notices_write_whole_som_and_each_languages_decimal_mark() {
    let due = chrono::NaiveDate::from_ymd_opt(2026, 3, 15).expect("date");
    let paid = |currency: &str| {
        Msg::PaymentReceived(PaymentNotice {
            amount: Money(100_000_002),
            currency: currency.into(),
            contract: "SO-1".into(),
            date: Some(due),
            remaining: Money(220_000_004),
            next_due: Some((due, Money(99_999_990))),
        })
    };
    let reminder = Msg::Reminder(ReminderNotice {
        kind: crate::ledger::reminder_kinds::Kind::DueToday,
        contract: "SO-1".into(),
        currency: "UZS".into(),
        lines: vec![(due, Money(100_000_002))],
    });
    for lang in Lang::ALL {
        let som = number_style(lang).som;
        for msg in [paid("UZS"), reminder.clone()] {
            let text = render(lang, &msg);
            assert!(text.contains(&format!("1 000 000 {som}")), "{lang:?}: {text}");
            assert!(!text.contains("000.0") && !text.contains("000,0") && !text.contains("999"), "{lang:?}: {text}");
        }
        let usd = render(lang, &paid("USD"));
        let mark = number_style(lang).decimal_mark;
        assert!(usd.contains(&format!("$1 000 000{mark}02")), "{lang:?}: {usd}");
    }
    assert_eq!((number_style(Lang::En).decimal_mark, number_style(Lang::Ru).decimal_mark), ('.', ','));
    assert_eq!(number_style(Lang::Uz).decimal_mark, ',');
}

#[test]
fn each_language_writes_its_own_decimal_mark_and_so_m() {
    let d = Decimals::default();
    let cases = [
        (1_500_000_000, "UZS", Lang::Uz, "15 000 000 so'm"),
        (1_500_000_000, "UZS", Lang::En, "15 000 000 so'm"),
        (1_500_000_000, "uzs", Lang::Ru, "15 000 000 сум"),
        (100_000_002, "UZS", Lang::En, "1 000 000 so'm"),
        (220_000_004, "UZS", Lang::Ru, "2 200 000 сум"),
        (50_000, "", Lang::Uz, "500 so'm"),
        (125_050, "USD", Lang::En, "$1 250.50"),
        (125_050, "USD", Lang::Ru, "$1 250,50"),
        (125_050, "USD", Lang::Uz, "$1 250,50"),
        (-125_050, "USD", Lang::En, "-$1 250.50"),
        (100_001, "EUR", Lang::Ru, "€1 000,01"),
        (-50_000, "RUB", Lang::Ru, "-500 ₽"),
        (100_000, "KZT", Lang::Uz, "1 000 KZT"),
        (0, "UZS", Lang::Uz, "0 so'm"),
        (-40, "UZS", Lang::Uz, "0 so'm"),
        (5, "USD", Lang::En, "$0.05"),
        (99_999_999, "USD", Lang::En, "$999 999.99"),
        (10_000_000, "USD", Lang::En, "$100 000"),
        (i64::MIN, "USD", Lang::En, "-$92 233 720 368 547 758.08"),
    ];
    for (minor, currency, lang, expected) in cases {
        assert_eq!(d.format(Money(minor), currency, lang), expected);
    }
}

#[test]
fn number_is_the_rounded_amount_without_currency() {
    let d = Decimals::default();
    assert_eq!(d.number(Money(125_050), "USD", Lang::En), "1 250.50");
    assert_eq!(d.number(Money(125_050), "USD", Lang::Ru), "1 250,50");
    assert_eq!(d.number(Money(125_050), "UZS", Lang::Ru), "1 251");
    assert_eq!(d.number(Money(-50_000), "UZS", Lang::En), "-500");
    assert_eq!(d.number(Money::ZERO, "UZS", Lang::En), "0");
}
