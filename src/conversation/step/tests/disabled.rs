//! A customer disabled in ERPNext: refused only after the factors pass, session ended at the
//! next update that reaches ERPNext, the link left in place for when the shop enables them.

use super::*;

fn disabled(telegram: Option<&str>) -> CustomerRecord {
    CustomerRecord { disabled: true, ..record(telegram) }
}

fn refused() -> Vec<Effect> {
    vec![reply(Msg::AccountDisabled { support: support() }, Keyboard::Remove)]
}

#[test]
fn a_disabled_customer_loses_access() {
    let me = USER.to_string();
    check(vec![
        (
            "auto-login finds the link, but the customer is disabled",
            State::New,
            Event::Outcome(Outcome::LinkLookup {
                result: Lookup::Found(disabled(Some(&me))),
                then: Input::Command(Command::Start),
            }),
            State::New,
            refused(),
        ),
        (
            "the passport of a disabled customer still asks for the phone: nothing is told early",
            State::AwaitingPassport,
            Event::Outcome(Outcome::PassportLookup(Lookup::Found(disabled(None)))),
            contact_state(),
            vec![reply(Msg::AskContact, Keyboard::RequestContact)],
        ),
        (
            "the right phone of a disabled customer: refused, nothing written",
            contact_state(),
            Event::Outcome(Outcome::ContactCustomer {
                result: Lookup::Found(disabled(None)),
                phone: "998901234567".into(),
            }),
            State::New,
            refused(),
        ),
        (
            "a wrong phone of a disabled customer is a wrong phone",
            contact_state(),
            Event::Outcome(Outcome::ContactCustomer {
                result: Lookup::Found(disabled(None)),
                phone: "998911111111".into(),
            }),
            contact_state(),
            vec![reply(Msg::PhoneMismatch { support: support() }, Keyboard::RequestContact)],
        ),
        (
            "/start of a linked customer disabled since: the session ends",
            linked(),
            Event::Outcome(Outcome::Refreshed {
                result: Lookup::Found(disabled(Some(&me))),
                then: Refresh::WelcomeBack,
            }),
            State::New,
            refused(),
        ),
        (
            "the profile of a disabled customer is not shown",
            linked(),
            Event::Outcome(Outcome::Refreshed { result: Lookup::Found(disabled(Some(&me))), then: Refresh::Profile }),
            State::New,
            refused(),
        ),
        (
            "a view found the customer disabled",
            with_contracts(&["SO-1"]),
            Event::Outcome(Outcome::AccountDisabled),
            State::New,
            refused(),
        ),
        (
            "also while logout was being confirmed",
            State::ConfirmingLogout(session()),
            Event::Outcome(Outcome::AccountDisabled),
            State::New,
            refused(),
        ),
        (
            "a late disabled outcome in another state changes nothing",
            State::AwaitingPassport,
            Event::Outcome(Outcome::AccountDisabled),
            State::AwaitingPassport,
            vec![],
        ),
    ]);
}

#[test]
fn without_the_phone_step_the_passport_alone_decides() {
    let policy = Policy { require_phone: false, ..policy() };
    let (next, effects) = step(
        &policy,
        chat(State::AwaitingPassport),
        Event::Outcome(Outcome::PassportLookup(Lookup::Found(disabled(None)))),
        now(),
    );
    assert_eq!(next.state, State::New);
    assert_eq!(effects, refused());
}

#[test]
fn a_refused_disabled_customer_is_not_counted_as_a_failed_attempt() {
    let (next, _) = step(
        &policy(),
        chat(contact_state()),
        Event::Outcome(Outcome::ContactCustomer {
            result: Lookup::Found(disabled(None)),
            phone: "998901234567".into(),
        }),
        now(),
    );
    assert!(next.failures.is_empty());
}
