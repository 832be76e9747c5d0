use super::*;

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
fn reply_labels_map_back_unambiguously_in_every_language() {
    for lang in Lang::ALL {
        for l in REPLY_LABELS {
            assert_eq!(label_for_text(label(lang, l)), Some(l), "{lang:?} {l:?}");
        }
    }
    assert_eq!(label_for_text("AA1234567"), None);
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
        kind: crate::reminders::Kind::DueToday,
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
