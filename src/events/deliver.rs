//! What an event tells the customer, with figures read from ERPNext at delivery time through
//! the same code as the views (contract, payments, schedule → [`crate::views::model`]).

use std::time::Duration;

use chrono::Utc;

use super::{Handled, queue::Entry};
use crate::erpnext::{ErpClient, ErpError};
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
        };
        let (customer, msg) = match composed {
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
        match self.telegram.send_html(chat_id, &i18n::render(lang, &msg), None).await {
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

    async fn payment(&self, name: &str, handled: Handled) -> Result<Result<(String, Msg), &'static str>, Failure> {
        let Some(pe) = self.erp.payment_entry(name).await? else { return Ok(Err("payment entry not found")) };
        if pe.party_type != "Customer" {
            return Ok(Err("party is not a customer"));
        }
        let Some((contract, allocated)) = pe.contracts.first().cloned() else {
            return Ok(Err("payment is not allocated to a contract"));
        };
        let Some((account, _)) = self.account(&contract).await? else { return Ok(Err("contract not found")) };
        let notice = PaymentNotice {
            amount: if allocated.is_positive() { allocated } else { pe.amount },
            currency: account.row.currency.clone(),
            contract,
            date: pe.date,
            remaining: account.remaining(),
            next_due: ledger::next_due(&account.lines).map(|l| (l.instalment.due_date, l.remaining)),
        };
        let msg = match handled {
            Handled::PaymentCancelled => Msg::PaymentCancelled(notice),
            _ => Msg::PaymentReceived(notice),
        };
        Ok(Ok((pe.party, msg)))
    }

    async fn contract(&self, name: &str) -> Result<Result<(String, Msg), &'static str>, Failure> {
        let Some((account, customer)) = self.account(name).await? else { return Ok(Err("contract not found")) };
        let notice = ContractNotice {
            contract: account.row.name.clone(),
            currency: account.row.currency.clone(),
            total: account.row.total,
            first_due: ledger::next_due(&account.lines).map(|l| (l.instalment.due_date, l.remaining)),
        };
        Ok(Ok((customer, Msg::NewContract(notice))))
    }
}
