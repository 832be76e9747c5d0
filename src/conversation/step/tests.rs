//! Table-driven tests of the pure conversation: (state, event) → (next state, effects).

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::conversation::passport::normalise;

const USER: i64 = 1001;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).single().expect("valid time")
}

fn policy() -> Policy {
    Policy { require_phone: true, max_attempts: 5, attempt_window_secs: 3600, support: Some("+998 71 200".into()) }
}

fn support() -> Option<String> {
    policy().support
}

fn record(telegram: Option<&str>) -> CustomerRecord {
    CustomerRecord {
        name: "CUST-1".into(),
        display_name: "Ali Valiyev".into(),
        passport: Some("AB1234567".into()),
        phones: vec!["+998 90 123-45-67".into()],
        telegram_id: telegram.map(str::to_owned),
        disabled: false,
    }
}

fn session() -> Session {
    record(None).session()
}

fn chat(state: State) -> Chat {
    Chat { user_id: USER, state, lang: Lang::En, failures: vec![], reminders_off: false }
}

fn input(i: Input) -> Event {
    Event::Input(i)
}

fn text(t: &str) -> Event {
    input(Input::Text(t.into()))
}

fn cmd(c: Command) -> Event {
    input(Input::Command(c))
}

fn reply(msg: Msg, keyboard: Keyboard) -> Effect {
    Effect::Reply { msg, keyboard }
}

fn linked() -> State {
    State::Linked(session())
}

fn contact_state() -> State {
    State::AwaitingContact { customer: "CUST-1".into() }
}

fn passport(p: &str) -> crate::conversation::passport::Passport {
    normalise(p).expect("valid passport")
}

fn welcome_back() -> Vec<Effect> {
    vec![Effect::Welcome { lead: Msg::WelcomeBack { profile: session().profile() }, customer: "CUST-1".into() }]
}

fn show(view: View, edit: bool) -> Effect {
    Effect::Show { customer: "CUST-1".into(), view, edit }
}

fn with_contracts(names: &[&str]) -> State {
    State::Linked(Session { contracts: names.iter().map(|n| (*n).to_owned()).collect(), ..session() })
}

fn profile_kb() -> Keyboard {
    Keyboard::Inline(vec![vec![(InlineLabel::Text(Label::Logout), Callback::LogoutAsk)]])
}

fn logout_kb() -> Keyboard {
    Keyboard::Inline(vec![vec![
        (InlineLabel::Text(Label::LogoutYes), Callback::LogoutYes),
        (InlineLabel::Text(Label::LogoutNo), Callback::LogoutNo),
    ]])
}

/// Runs a table of (name, state, event, expected state, expected effects).
fn check(cases: Vec<(&str, State, Event, State, Vec<Effect>)>) {
    for (name, state, event, want_state, want_effects) in cases {
        let (next, effects) = step(&policy(), chat(state), event, now());
        assert_eq!(next.state, want_state, "case `{name}`: state");
        assert_eq!(effects, want_effects, "case `{name}`: effects");
    }
}

#[test]
fn first_contact_and_passport_entry() {
    check(vec![
        (
            "any input without a session first asks ERPNext for a link",
            State::New,
            cmd(Command::Start),
            State::New,
            vec![Effect::FindLinkedCustomer { then: Input::Command(Command::Start) }],
        ),
        (
            "no link: greeting and passport question",
            State::New,
            Event::Outcome(Outcome::LinkLookup { result: Lookup::NotFound, then: Input::Command(Command::Start) }),
            State::AwaitingPassport,
            vec![reply(Msg::Greeting, Keyboard::Remove)],
        ),
        (
            "no link, and the first message already is a passport",
            State::New,
            Event::Outcome(Outcome::LinkLookup { result: Lookup::NotFound, then: Input::Text("ab 1234567".into()) }),
            State::AwaitingPassport,
            vec![Effect::LookupPassport { passport: passport("AB1234567") }],
        ),
        (
            "ERPNext down during the link lookup: apology, nothing stored",
            State::New,
            Event::Outcome(Outcome::LinkLookup { result: Lookup::Unavailable, then: Input::Command(Command::Start) }),
            State::New,
            vec![reply(Msg::ErpUnavailable, Keyboard::None)],
        ),
        (
            "a bad format is explained without an ERPNext call",
            State::AwaitingPassport,
            text("12345"),
            State::AwaitingPassport,
            vec![reply(Msg::PassportFormat, Keyboard::None)],
        ),
        (
            "a Cyrillic look-alike passport is normalised and looked up",
            State::AwaitingPassport,
            text(" ав 123 4567 "),
            State::AwaitingPassport,
            vec![Effect::LookupPassport { passport: passport("AB1234567") }],
        ),
        (
            "a photo where the passport was expected",
            State::AwaitingPassport,
            input(Input::Unsupported),
            State::AwaitingPassport,
            vec![reply(Msg::TextExpected, Keyboard::None)],
        ),
        (
            "/start again repeats the greeting",
            State::AwaitingPassport,
            cmd(Command::Start),
            State::AwaitingPassport,
            vec![reply(Msg::Greeting, Keyboard::Remove)],
        ),
        (
            "menu commands before linking ask for the passport",
            State::AwaitingPassport,
            cmd(Command::Menu),
            State::AwaitingPassport,
            vec![reply(Msg::AskPassport, Keyboard::Remove)],
        ),
    ]);
}

#[test]
fn passport_lookup_branches() {
    let found = |r| Event::Outcome(Outcome::PassportLookup(Lookup::Found(r)));
    check(vec![
        (
            "found and free: ask for the contact",
            State::AwaitingPassport,
            found(record(None)),
            contact_state(),
            vec![reply(Msg::AskContact, Keyboard::RequestContact)],
        ),
        (
            "linked to another Telegram account: refused with the support contact",
            State::AwaitingPassport,
            found(record(Some("999"))),
            State::AwaitingPassport,
            vec![reply(Msg::AlreadyLinked { support: support() }, Keyboard::None)],
        ),
        (
            "already linked to this very user: linked again without a write",
            State::AwaitingPassport,
            found(record(Some("1001"))),
            State::Linked(record(Some("1001")).session()),
            vec![reply(Msg::Linked { profile: session().profile() }, Keyboard::Menu)],
        ),
        (
            "not found",
            State::AwaitingPassport,
            Event::Outcome(Outcome::PassportLookup(Lookup::NotFound)),
            State::AwaitingPassport,
            vec![reply(Msg::PassportNotFound, Keyboard::None)],
        ),
        (
            "ERPNext down",
            State::AwaitingPassport,
            Event::Outcome(Outcome::PassportLookup(Lookup::Unavailable)),
            State::AwaitingPassport,
            vec![reply(Msg::ErpUnavailable, Keyboard::None)],
        ),
    ]);
}

#[test]
fn without_the_phone_step_a_found_passport_is_written_at_once() {
    let p = Policy { require_phone: false, ..policy() };
    let event = Event::Outcome(Outcome::PassportLookup(Lookup::Found(record(None))));
    let (next, effects) = step(&p, chat(State::AwaitingPassport), event, now());
    assert_eq!(next.state, State::AwaitingPassport);
    assert_eq!(effects, vec![Effect::WriteLink { record: record(None) }]);
}

#[test]
fn contact_step_branches() {
    let checked =
        |r, phone: &str| Event::Outcome(Outcome::ContactCustomer { result: Lookup::Found(r), phone: phone.into() });
    check(vec![
        (
            "own contact: re-read the customer",
            contact_state(),
            input(Input::Contact { phone: "998901234567".into(), own: true }),
            contact_state(),
            vec![Effect::FetchForContact { customer: "CUST-1".into(), phone: "998901234567".into() }],
        ),
        (
            "someone else's contact is refused",
            contact_state(),
            input(Input::Contact { phone: "998901234567".into(), own: false }),
            contact_state(),
            vec![reply(Msg::ContactNotOwn, Keyboard::RequestContact)],
        ),
        (
            "last nine digits match whatever the format: write the link",
            contact_state(),
            checked(record(None), "998901234567"),
            contact_state(),
            vec![Effect::WriteLink { record: record(None) }],
        ),
        (
            "a different number is refused",
            contact_state(),
            checked(record(None), "+998 91 000 00 00"),
            contact_state(),
            vec![reply(Msg::PhoneMismatch { support: support() }, Keyboard::RequestContact)],
        ),
        (
            "re-read shows another account took the passport meanwhile",
            contact_state(),
            checked(record(Some("555")), "998901234567"),
            State::AwaitingPassport,
            vec![reply(Msg::AlreadyLinked { support: support() }, Keyboard::Remove)],
        ),
        (
            "re-read shows this user is linked already (a redelivered update)",
            contact_state(),
            checked(record(Some("1001")), "998901234567"),
            State::Linked(record(Some("1001")).session()),
            vec![reply(Msg::Linked { profile: session().profile() }, Keyboard::Menu)],
        ),
        (
            "text instead of the contact button",
            contact_state(),
            text("hello"),
            contact_state(),
            vec![reply(Msg::ContactExpected, Keyboard::RequestContact)],
        ),
        (
            "cancel goes back to the passport",
            contact_state(),
            input(Input::Button(Label::Cancel)),
            State::AwaitingPassport,
            vec![reply(Msg::AskPassport, Keyboard::Remove)],
        ),
        (
            "the customer disappeared from ERPNext",
            contact_state(),
            Event::Outcome(Outcome::ContactCustomer { result: Lookup::NotFound, phone: "1".into() }),
            State::AwaitingPassport,
            vec![reply(Msg::PassportNotFound, Keyboard::Remove)],
        ),
    ]);
}

#[test]
fn link_write_outcomes() {
    let written = |result| Event::Outcome(Outcome::LinkWritten { record: record(None), result });
    check(vec![
        (
            "written: linked, profile and menu",
            contact_state(),
            written(WriteResult::Written),
            linked(),
            vec![reply(Msg::Linked { profile: session().profile() }, Keyboard::Menu)],
        ),
        (
            "ERPNext's unique check refused (417): reported as already linked",
            contact_state(),
            written(WriteResult::Clash),
            State::AwaitingPassport,
            vec![reply(Msg::AlreadyLinked { support: support() }, Keyboard::Remove)],
        ),
        (
            "ERPNext down while writing: apology, state kept",
            contact_state(),
            written(WriteResult::Unavailable),
            contact_state(),
            vec![reply(Msg::ErpUnavailable, Keyboard::RequestContact)],
        ),
    ]);
}

#[test]
fn failed_attempts_lock_out_for_the_rest_of_the_window() {
    let mut c = chat(State::AwaitingPassport);
    for _ in 0..5 {
        let (next, effects) = step(&policy(), c, Event::Outcome(Outcome::PassportLookup(Lookup::NotFound)), now());
        assert_eq!(effects, vec![reply(Msg::PassportNotFound, Keyboard::None)]);
        c = next;
    }
    assert_eq!(c.failures.len(), 5);
    let (c, effects) = step(&policy(), c, text("AB1234567"), now());
    assert_eq!(effects, vec![reply(Msg::TooManyAttempts { minutes: 60 }, Keyboard::None)]);
    // The phone step counts against the same limit.
    let locked = Chat { state: contact_state(), ..c.clone() };
    let (_, effects) = step(&policy(), locked, input(Input::Contact { phone: "1".into(), own: true }), now());
    assert_eq!(effects, vec![reply(Msg::TooManyAttempts { minutes: 60 }, Keyboard::RequestContact)]);
    // An hour later the window has moved on.
    let later = now() + chrono::Duration::seconds(3601);
    let (c, effects) = step(&policy(), c, text("AB1234567"), later);
    assert_eq!(effects, vec![Effect::LookupPassport { passport: passport("AB1234567") }]);
    assert!(c.failures.is_empty());
}

#[test]
fn cool_down_reports_the_minutes_left() {
    let start = now().timestamp();
    let c = Chat {
        failures: vec![start - 3000, start - 10, start - 9, start - 8, start - 7],
        ..chat(State::AwaitingPassport)
    };
    let (_, effects) = step(&policy(), c, text("AB1234567"), now());
    assert_eq!(effects, vec![reply(Msg::TooManyAttempts { minutes: 10 }, Keyboard::None)]);
}

#[test]
fn returning_customer() {
    let refreshed = |r, then| Event::Outcome(Outcome::Refreshed { result: r, then });
    check(vec![
        (
            "a link found in ERPNext restores the session (F2 auto-login)",
            State::New,
            Event::Outcome(Outcome::LinkLookup {
                result: Lookup::Found(record(Some("1001"))),
                then: Input::Command(Command::Start),
            }),
            State::Linked(record(Some("1001")).session()),
            welcome_back(),
        ),
        (
            "restored for a Profile press shows the profile straight away",
            State::New,
            Event::Outcome(Outcome::LinkLookup {
                result: Lookup::Found(record(Some("1001"))),
                then: Input::Button(Label::Profile),
            }),
            State::Linked(record(Some("1001")).session()),
            vec![reply(Msg::Profile { profile: session().profile() }, profile_kb())],
        ),
        (
            "/start when linked re-reads the customer",
            linked(),
            cmd(Command::Start),
            linked(),
            vec![Effect::RefreshCustomer { customer: "CUST-1".into(), then: Refresh::WelcomeBack }],
        ),
        (
            "still linked: welcome back",
            linked(),
            refreshed(Lookup::Found(record(Some("1001"))), Refresh::WelcomeBack),
            State::Linked(record(Some("1001")).session()),
            welcome_back(),
        ),
        (
            "link cleared in ERPNext: session dropped, F1 starts",
            linked(),
            refreshed(Lookup::Found(record(None)), Refresh::WelcomeBack),
            State::AwaitingPassport,
            vec![reply(Msg::LinkGone, Keyboard::Remove), reply(Msg::AskPassport, Keyboard::None)],
        ),
        (
            "customer deleted in ERPNext: the same",
            linked(),
            refreshed(Lookup::NotFound, Refresh::Profile),
            State::AwaitingPassport,
            vec![reply(Msg::LinkGone, Keyboard::Remove), reply(Msg::AskPassport, Keyboard::None)],
        ),
        (
            "ERPNext down: apology, session kept",
            linked(),
            refreshed(Lookup::Unavailable, Refresh::Profile),
            linked(),
            vec![reply(Msg::ErpUnavailable, Keyboard::Menu)],
        ),
    ]);
}

#[test]
fn menu_and_account() {
    check(vec![
        ("menu", linked(), cmd(Command::Menu), linked(), vec![reply(Msg::Menu, Keyboard::Menu)]),
        (
            "profile button re-reads the customer",
            linked(),
            input(Input::Button(Label::Profile)),
            linked(),
            vec![Effect::RefreshCustomer { customer: "CUST-1".into(), then: Refresh::Profile }],
        ),
        (
            "contact us in any state",
            State::AwaitingPassport,
            input(Input::Button(Label::ContactUs)),
            State::AwaitingPassport,
            vec![reply(Msg::ContactUs { support: support() }, Keyboard::None)],
        ),
        (
            "help needs no ERPNext, even without a session",
            State::New,
            cmd(Command::Help),
            State::New,
            vec![reply(Msg::Help { support: support() }, Keyboard::None)],
        ),
        (
            "free text from a linked user shows the menu",
            linked(),
            text("how much do I owe?"),
            linked(),
            vec![reply(Msg::NotUnderstood, Keyboard::Menu)],
        ),
        (
            "a sticker from a linked user shows the menu",
            linked(),
            input(Input::Unsupported),
            linked(),
            vec![reply(Msg::NotUnderstood, Keyboard::Menu)],
        ),
    ]);
}

#[test]
fn language_choice() {
    let lang_kb = Keyboard::Inline(vec![
        Lang::ALL.into_iter().map(|l| (InlineLabel::Language(l), Callback::SetLang(l))).collect(),
    ]);
    check(vec![(
        "/lang offers the languages",
        linked(),
        cmd(Command::Lang),
        linked(),
        vec![reply(Msg::ChooseLanguage, lang_kb)],
    )]);
    let (next, effects) = step(&policy(), chat(linked()), input(Input::Callback(Callback::SetLang(Lang::Ru))), now());
    assert_eq!(next.lang, Lang::Ru);
    assert_eq!(effects, vec![Effect::AnswerCallback { alert: None }, reply(Msg::LanguageChanged, Keyboard::Menu)]);
}

#[test]
fn logout_with_confirmation() {
    let cb = |c| input(Input::Callback(c));
    check(vec![
        (
            "/logout asks first",
            linked(),
            cmd(Command::Logout),
            State::ConfirmingLogout(session()),
            vec![reply(Msg::ConfirmLogout, logout_kb())],
        ),
        (
            "the profile's logout button asks too",
            linked(),
            cb(Callback::LogoutAsk),
            State::ConfirmingLogout(session()),
            vec![Effect::AnswerCallback { alert: None }, reply(Msg::ConfirmLogout, logout_kb())],
        ),
        (
            "yes clears the link in ERPNext",
            State::ConfirmingLogout(session()),
            cb(Callback::LogoutYes),
            State::ConfirmingLogout(session()),
            vec![Effect::AnswerCallback { alert: None }, Effect::ClearLink { session: session() }],
        ),
        (
            "cleared: logged out",
            State::ConfirmingLogout(session()),
            Event::Outcome(Outcome::LinkCleared { ok: true }),
            State::New,
            vec![reply(Msg::LoggedOut, Keyboard::Remove)],
        ),
        (
            "ERPNext failed: still linked, apology",
            State::ConfirmingLogout(session()),
            Event::Outcome(Outcome::LinkCleared { ok: false }),
            linked(),
            vec![reply(Msg::ErpUnavailable, Keyboard::Menu)],
        ),
        (
            "no keeps the session",
            State::ConfirmingLogout(session()),
            cb(Callback::LogoutNo),
            linked(),
            vec![Effect::AnswerCallback { alert: None }, reply(Msg::LogoutCancelled, Keyboard::Menu)],
        ),
        (
            "anything else drops the question",
            State::ConfirmingLogout(session()),
            cmd(Command::Menu),
            linked(),
            vec![reply(Msg::Menu, Keyboard::Menu)],
        ),
        (
            "a stale confirmation button gets an alert and does nothing",
            linked(),
            cb(Callback::LogoutYes),
            linked(),
            vec![Effect::AnswerCallback { alert: Some(Msg::ButtonExpired) }],
        ),
        (
            "a forged button gets an alert",
            State::AwaitingPassport,
            cb(Callback::Unknown),
            State::AwaitingPassport,
            vec![Effect::AnswerCallback { alert: Some(Msg::ButtonExpired) }],
        ),
    ]);
}

#[test]
fn outcomes_that_no_longer_fit_change_nothing() {
    check(vec![(
        "a passport result arriving for a linked chat",
        linked(),
        Event::Outcome(Outcome::PassportLookup(Lookup::NotFound)),
        linked(),
        vec![],
    )]);
}

#[test]
fn callback_payloads_round_trip_and_stay_short() {
    for cb in [
        Callback::SetLang(Lang::Uz),
        Callback::SetLang(Lang::Ru),
        Callback::LogoutAsk,
        Callback::LogoutYes,
        Callback::LogoutNo,
    ] {
        assert_eq!(Callback::decode(&cb.encode()), cb);
        assert!(cb.encode().len() <= 64);
    }
    assert_eq!(Callback::decode("lang:xx"), Callback::Unknown);
    assert_eq!(Callback::decode("c:../../etc"), Callback::Unknown);
}

#[test]
fn commands_parse_with_payloads_and_bot_names() {
    assert_eq!(Command::parse("/start"), Some(Command::Start));
    assert_eq!(Command::parse("/start ref123"), Some(Command::Start));
    assert_eq!(Command::parse("/MENU@erp_bot"), Some(Command::Menu));
    assert_eq!(Command::parse("/unknown"), None);
    assert_eq!(Command::parse("start"), None);
}

#[test]
fn views_from_the_menu_and_from_buttons() {
    let cb = |c| input(Input::Callback(c));
    let known = with_contracts(&["SO-1", "SO/2"]);
    let answered = Effect::AnswerCallback { alert: None };
    check(vec![
        (
            "my contracts",
            linked(),
            input(Input::Button(Label::MyContracts)),
            linked(),
            vec![show(View::Contracts { page: 0 }, false)],
        ),
        ("upcoming", linked(), input(Input::Button(Label::Upcoming)), linked(), vec![show(View::Upcoming, false)]),
        ("history", linked(), input(Input::Button(Label::PaymentHistory)), linked(), vec![show(View::History, false)]),
        (
            "a page of the list edits the message",
            known.clone(),
            cb(Callback::Contracts { page: 2 }),
            known.clone(),
            vec![answered.clone(), show(View::Contracts { page: 2 }, true)],
        ),
        (
            "a known contract's card",
            known.clone(),
            cb(Callback::Contract(ContractRef::of("SO/2"))),
            known.clone(),
            vec![answered.clone(), show(View::Contract("SO/2".into()), true)],
        ),
        (
            "its schedule",
            known.clone(),
            cb(Callback::Schedule(ContractRef::of("SO-1"))),
            known.clone(),
            vec![answered.clone(), show(View::Schedule("SO-1".into()), true)],
        ),
        (
            "its payments",
            known.clone(),
            cb(Callback::Payments(ContractRef::of("SO-1"))),
            known.clone(),
            vec![answered.clone(), show(View::Payments("SO-1".into()), true)],
        ),
        (
            "its PDF comes as a new message",
            known.clone(),
            cb(Callback::Pdf(ContractRef::of("SO-1"))),
            known.clone(),
            vec![answered, show(View::Pdf("SO-1".into()), false)],
        ),
        (
            "a contract the customer was never shown: alert, no data",
            known.clone(),
            cb(Callback::Contract(ContractRef::of("SO-OTHER"))),
            known.clone(),
            vec![Effect::AnswerCallback { alert: Some(Msg::ButtonExpired) }],
        ),
        (
            "a contract button without a session",
            State::AwaitingPassport,
            cb(Callback::Contract(ContractRef::of("SO-1"))),
            State::AwaitingPassport,
            vec![Effect::AnswerCallback { alert: Some(Msg::ButtonExpired) }],
        ),
        (
            "views before linking ask for the passport",
            State::AwaitingPassport,
            input(Input::Button(Label::MyContracts)),
            State::AwaitingPassport,
            vec![reply(Msg::AskPassport, Keyboard::Remove)],
        ),
        (
            "listed contracts are remembered for the buttons",
            linked(),
            Event::Outcome(Outcome::ContractsSeen(vec!["SO-1".into(), "SO/2".into()])),
            known.clone(),
            vec![],
        ),
        (
            "a refresh keeps what the chat learnt",
            known.clone(),
            Event::Outcome(Outcome::Refreshed { result: Lookup::Found(record(Some("1001"))), then: Refresh::Profile }),
            known,
            vec![reply(Msg::Profile { profile: session().profile() }, profile_kb())],
        ),
    ]);
}

#[test]
fn a_restored_session_answers_the_button_that_prompted_it() {
    let event = Event::Outcome(Outcome::LinkLookup {
        result: Lookup::Found(record(Some("1001"))),
        then: Input::Button(Label::Upcoming),
    });
    let (next, effects) = step(&policy(), chat(State::New), event, now());
    assert_eq!(next.state, State::Linked(record(Some("1001")).session()));
    assert_eq!(effects, vec![show(View::Upcoming, false)]);
}

#[test]
fn reminders_are_switched_off_and_on_from_the_menu() {
    let button = || input(Input::Button(Label::Reminders));
    let (off, effects) = step(&policy(), chat(linked()), button(), now());
    assert!(off.reminders_off);
    assert_eq!(effects, vec![reply(Msg::RemindersOff, Keyboard::Menu)]);
    let (on, effects) = step(&policy(), off, button(), now());
    assert!(!on.reminders_off);
    assert_eq!(effects, vec![reply(Msg::RemindersOn, Keyboard::Menu)]);
    let (before_linking, effects) = step(&policy(), chat(State::AwaitingPassport), button(), now());
    assert!(!before_linking.reminders_off);
    assert_eq!(effects, vec![reply(Msg::AskPassport, Keyboard::Remove)]);
}

mod disabled;

#[test]
fn every_menu_button_does_something_for_a_linked_customer() {
    for b in menu::MENU.iter().flat_map(|row| row.iter()) {
        let (_, effects) = step(&policy(), chat(linked()), input(Input::Button(b.label)), now());
        assert!(!effects.is_empty(), "{:?}", b.label);
        assert_ne!(effects, vec![reply(Msg::NotUnderstood, Keyboard::Menu)], "{:?}", b.label);
    }
}
