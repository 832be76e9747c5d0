//! One item of `erp setup` (a custom field or a Webhook) as both halves handle it: the context
//! they work in ([`Ctx`]: the client, the mode, where the Webhooks point), what happened to the
//! item ([`Action`], reported as one [`Line`]) and the line an ERPNext refusal becomes
//! ([`failure`]). [`super::custom_fields`] and [`super::erp_webhooks`] use it;
//! [`super::erp`] runs them in order.

use std::fmt;

use super::{CommandError, one_line};
use crate::erpnext::{ErpClient, ErpError};
use crate::secret::Secret;

/// What happened to one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Created,
    /// Present and as wanted.
    Found,
    Updated,
    WouldCreate,
    WouldUpdate,
}

impl Action {
    fn word(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Found => "found",
            Action::Updated => "updated",
            Action::WouldCreate => "would create",
            Action::WouldUpdate => "would update",
        }
    }
}

/// One report line: `created  custom field Customer.custom_telegram_id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub action: Action,
    pub item: String,
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<8} {}", self.action.word(), self.item)
    }
}

/// What the run works with: the client, the mode, and where the Webhooks point.
pub(super) struct Ctx<'a> {
    pub erp: &'a ErpClient,
    pub dry_run: bool,
    /// `PUBLIC_URL/erpnext/events`.
    pub events_url: String,
    /// The first `ERP_WEBHOOK_SECRET`: the one ERPNext signs with.
    pub secret: &'a Secret,
}

impl Ctx<'_> {
    /// The action for a missing item, by mode.
    pub fn create(&self) -> Action {
        if self.dry_run { Action::WouldCreate } else { Action::Created }
    }

    pub fn update(&self) -> Action {
        if self.dry_run { Action::WouldUpdate } else { Action::Updated }
    }
}

/// An ERPNext operation, for naming what was refused.
#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Read,
    Create,
    Update,
}

/// Turns an ERPNext error into the one line the operator sees.
pub(super) fn failure(e: ErpError, op: Op, doctype: &str, item: &str) -> CommandError {
    let (verb, doing) = match op {
        Op::Read => ("read", "reading"),
        Op::Create => ("create", "creating"),
        Op::Update => ("update", "updating"),
    };
    let text = match e {
        ErpError::Forbidden(_) => {
            let hint = match doctype {
                "Custom Field" | "Webhook" => "ask for the System Manager role".to_owned(),
                _ => format!("give it {verb} permission on {doctype}"),
            };
            format!("erp setup: the API user may not {verb} {doctype} (403): {hint}")
        }
        ErpError::Unauthorized(_) => format!("erp setup: {e}"),
        e => format!("erp setup: {doing} {item} failed: {e}"),
    };
    CommandError::Failed(one_line(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_align_the_item_after_the_action() {
        let line = |action, item: &str| Line { action, item: item.into() }.to_string();
        assert_eq!(
            line(Action::Created, "custom field Customer.custom_telegram_id"),
            "created  custom field Customer.custom_telegram_id"
        );
        assert_eq!(line(Action::Found, "webhook Payment Entry on_submit"), "found    webhook Payment Entry on_submit");
        assert_eq!(
            line(Action::WouldUpdate, "webhook Sales Order on_submit"),
            "would update webhook Sales Order on_submit"
        );
    }

    #[test]
    fn a_403_names_the_doctype_and_the_role() {
        let e = failure(ErpError::Forbidden("Insufficient Permission".into()), Op::Create, "Custom Field", "x");
        assert_eq!(
            e.to_string(),
            "erp setup: the API user may not create Custom Field (403): ask for the System Manager role"
        );
        let e = failure(ErpError::Timeout, Op::Update, "Webhook", "webhook Sales Order on_submit");
        assert_eq!(
            e.to_string(),
            "erp setup: updating webhook Sales Order on_submit failed: ERPNext did not answer in time"
        );
    }
}
