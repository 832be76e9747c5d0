//! What an event tells the customer, with figures read from ERPNext at delivery time through
//! the same code as the views (contract, payments, schedule → [`crate::views::model`]).

use std::time::Duration;

use chrono::Utc;

use super::{Handled, queue::Entry};
use crate::erpnext::{ErpClient, ErpError};
use crate::format::money::Money;
use crate::format::split::{TELEGRAM_LIMIT, split_message};
use crate::i18n::{self, ContractNotice, Lang, Msg, PaymentNotice};
use crate::ledger;
use crate::store::{Store, StoreError};
use crate::telegram::{SendError, TelegramClient};
use crate::views::model::Account;

/// What became of an event.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivered {
    Sent {
        chat_id: i64,
    },
    /// Nothing to say: no linked customer, a document gone, a party that is not a customer.
    Dropped(&'static str),
    /// The customer blocked the bot.
    Unreachable {
        chat_id: i64,
    },
}

/// A failure worth trying again.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("ERPNext: {0}")]
    Erp(#[from] ErpError),
    #[error("redis: {0}")]
    Store(#[from] StoreError),
    #[error("telegram asks to wait {0:?}")]
    RetryAfter(Duration),
    #[error("telegram: {0}")]
    Telegram(String),
}

/// The customer to tell and what to tell them, or why nothing is said.
type Composed = Result<(String, Vec<Msg>), &'static str>;

#[derive(Clone)]
pub struct Deliverer {
    pub erp: ErpClient,
    pub telegram: TelegramClient,
    pub store: Store,
    pub timezone: chrono_tz::Tz,
}

impl Deliverer {
    pub async fn deliver(&self, entry: &Entry) -> Result<Delivered, Failure> {
        let name = entry.event.name.as_str();
        let composed = match entry.handled {
            Handled::PaymentReceived | Handled::PaymentCancelled => self.payment(name, entry.handled).await?,
            Handled::NewContract => self.contract(name).await?,
            // lead: what a cancelled contract tells the customer (issue 14 point 5).
            Handled::ContractCancelled => Err("a cancelled contract is not told yet"),
        };
        let (customer, msgs) = match composed {
            Ok(c) => c,
            Err(reason) => return Ok(Delivered::Dropped(reason)),
        };
        let Some(chat_id) = self.linked_chat(&customer).await? else {
            return Ok(Delivered::Dropped("customer has no Telegram link"));
        };
        if self.store.is_unreachable(chat_id).await? {
            return Ok(Delivered::Unreachable { chat_id });
        }
        let lang = self.store.chat_lang(chat_id).await?.unwrap_or(Lang::Uz);
        let text = msgs.iter().map(|m| i18n::render(lang, m)).collect::<Vec<_>>().join("\n\n");
        // One message; a payment spread over very many contracts is cut between notices.
        let mut sent = Ok(());
        for chunk in split_message(&text, TELEGRAM_LIMIT) {
            sent = self.telegram.send_html(chat_id, &chunk, None).await;
            if sent.is_err() {
                break;
            }
        }
        match sent {
            Ok(()) => Ok(Delivered::Sent { chat_id }),
            Err(SendError::Unreachable) => {
                self.store.mark_unreachable(chat_id).await?;
                Ok(Delivered::Unreachable { chat_id })
            }
            Err(SendError::RetryAfter(wait)) => Err(Failure::RetryAfter(wait)),
            Err(e) => Err(Failure::Telegram(e.to_string())),
        }
    }

    fn today(&self) -> chrono::NaiveDate {
        Utc::now().with_timezone(&self.timezone).date_naive()
    }

    async fn linked_chat(&self, customer: &str) -> Result<Option<i64>, Failure> {
        let record = self.erp.customer(customer).await?;
        Ok(record.and_then(|r| r.telegram_id).and_then(|t| t.trim().parse().ok()))
    }

    /// The contract's account as the views compute it.
    async fn account(&self, contract: &str) -> Result<Option<(Account, String)>, Failure> {
        let one = [contract.to_owned()];
        let (doc, payments) = tokio::try_join!(self.erp.contract(contract), self.erp.payments_for(&one))?;
        Ok(doc.map(|d| {
            let customer = d.row.customer.clone();
            (Account::new(d.row, &payments, &d.schedule, self.today()), customer)
        }))
    }

    /// One notice per contract the payment is allocated to (a payment may settle several),
    /// each with that contract's allocation and figures; contracts of another customer than
    /// the payment's party are never shown.
    async fn payment(&self, name: &str, handled: Handled) -> Result<Composed, Failure> {
        let Some(pe) = self.erp.payment_entry(name).await? else { return Ok(Err("payment entry not found")) };
        if pe.party_type != "Customer" {
            return Ok(Err("party is not a customer"));
        }
        let mut allocations: Vec<(String, Money)> = Vec::new();
        for (contract, allocated) in &pe.contracts {
            match allocations.iter_mut().find(|(c, _)| c == contract) {
                Some((_, sum)) => *sum += *allocated,
                None => allocations.push((contract.clone(), *allocated)),
            }
        }
        if allocations.is_empty() {
            return Ok(Err("payment is not allocated to a contract"));
        }
        let single = allocations.len() == 1;
        let mut msgs = Vec::new();
        // One after the other: a payment rarely names more than one or two contracts.
        for (contract, allocated) in allocations {
            let Some((account, customer)) = self.account(&contract).await? else { continue };
            if customer != pe.party {
                tracing::warn!(erp.contract = %contract, "payment allocated to another customer's contract; not shown");
                continue;
            }
            let notice = PaymentNotice {
                // The whole payment when it names one contract without an allocated amount.
                amount: if allocated.is_positive() || !single { allocated } else { pe.amount },
                currency: account.row.currency.clone(),
                contract,
                date: pe.date,
                remaining: account.remaining(),
                next_due: ledger::next_due(&account.lines).map(|l| (l.instalment.due_date, l.remaining)),
            };
            msgs.push(match handled {
                Handled::PaymentCancelled => Msg::PaymentCancelled(notice),
                _ => Msg::PaymentReceived(notice),
            });
        }
        if msgs.is_empty() {
            return Ok(Err("contract not found"));
        }
        Ok(Ok((pe.party, msgs)))
    }

    async fn contract(&self, name: &str) -> Result<Composed, Failure> {
        let Some((account, customer)) = self.account(name).await? else { return Ok(Err("contract not found")) };
        let notice = ContractNotice {
            contract: account.row.name.clone(),
            currency: account.row.currency.clone(),
            total: account.row.total,
            first_due: ledger::next_due(&account.lines).map(|l| (l.instalment.due_date, l.remaining)),
        };
        Ok(Ok((customer, vec![Msg::NewContract(notice)])))
    }
}
