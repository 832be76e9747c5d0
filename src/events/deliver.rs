//! What an event tells the customer, with figures read from ERPNext at delivery time through
//! the same code as the views (contract, payments, schedule → [`crate::views::model`]); a
//! payment notice counts the payments up to its own in posting order, so that two payments a
//! second apart each report the balance after themselves.

use std::time::Duration;

use chrono::Utc;

use super::{Handled, queue::Entry};
use chrono::NaiveDate;

use crate::erpnext::sales::{ContractDoc, PaymentDoc};
use crate::erpnext::{ErpClient, ErpError};
use crate::format::money::Money;
use crate::format::split::{TELEGRAM_LIMIT, split_message};
use crate::i18n::{self, ContractNotice, Lang, Msg, OnAccountNotice, PaymentNotice, ReplacedNotice};
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
            Handled::ContractCancelled => self.cancelled_contract(name).await?,
        };
        let (customer, msgs) = match composed {
            Ok(c) => c,
            Err(reason) => return Ok(Delivered::Dropped(reason)),
        };
        let chat_id = match self.linked_chat(&customer).await? {
            Ok(chat_id) => chat_id,
            Err(reason) => return Ok(Delivered::Dropped(reason)),
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

    /// The customer's chat, or why there is none to tell: a disabled customer has lost
    /// access and hears nothing until the shop enables them again.
    async fn linked_chat(&self, customer: &str) -> Result<Result<i64, &'static str>, Failure> {
        let record = self.erp.customer(customer).await?;
        Ok(match record {
            Some(r) if r.disabled => Err("customer is disabled in ERPNext"),
            Some(r) => r.telegram_id.and_then(|t| t.trim().parse().ok()).ok_or("customer has no Telegram link"),
            None => Err("customer has no Telegram link"),
        })
    }

    /// The contract's account as the views compute it, counting only the payments and credits
    /// posted up to `upto` (date, name) when given: a notice tells the balance as of its own
    /// payment, whatever was booked after it by the time it is delivered.
    async fn account(
        &self,
        contract: &str,
        upto: Option<&(Option<NaiveDate>, String)>,
    ) -> Result<Option<(Account, String, ContractDoc)>, Failure> {
        let one = [contract.to_owned()];
        let (doc, mut payments) = tokio::try_join!(self.erp.contract(contract), self.erp.payments_for(&one))?;
        if let Some(upto) = upto {
            payments.retain(|p| posted_by(p.date, &p.name, upto));
        }
        Ok(doc.map(|d| {
            let customer = d.row.customer.clone();
            (Account::new(d.row.clone(), &payments, &d.schedule, self.today()), customer, d)
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
        // A refund to the customer (`Pay`) is no payment received; the Webhook's condition
        // lets it through (it tests the party only), the views do not count it either.
        if pe.payment_type != "Receive" {
            return Ok(Err("not an incoming payment"));
        }
        let mut allocations: Vec<(String, Money)> = Vec::new();
        for (contract, allocated) in &pe.contracts {
            match allocations.iter_mut().find(|(c, _)| c == contract) {
                Some((_, sum)) => *sum += *allocated,
                None => allocations.push((contract.clone(), *allocated)),
            }
        }
        // ERPNext keeps what a payment does not allocate as `unallocated_amount`; a payment
        // with no reference at all is wholly on account.
        let on_account =
            if allocations.is_empty() && !pe.unallocated.is_positive() { pe.amount } else { pe.unallocated };
        let upto = (pe.date, pe.name.clone());
        let upto = (handled == Handled::PaymentReceived).then_some(&upto);
        let single = allocations.len() == 1;
        let mut msgs = Vec::new();
        // One after the other: a payment rarely names more than one or two contracts.
        for (contract, allocated) in allocations {
            let Some((account, customer, _)) = self.account(&contract, upto).await? else { continue };
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
        if on_account.is_positive() {
            msgs.push(self.on_account_notice(&pe, on_account, upto, handled).await?);
        }
        if msgs.is_empty() {
            return Ok(Err("contract not found"));
        }
        Ok(Ok((pe.party, msgs)))
    }

    /// What of a payment is kept on account, with the customer's credit as of the payment.
    async fn on_account_notice(
        &self,
        pe: &PaymentDoc,
        amount: Money,
        upto: Option<&(Option<NaiveDate>, String)>,
        handled: Handled,
    ) -> Result<Msg, Failure> {
        let entries = self.erp.on_account(&pe.party).await?;
        let credit = entries
            .iter()
            .map(|e| &e.payment)
            .filter(|p| upto.is_none_or(|u| posted_by(p.date, &p.name, u)))
            .map(|p| p.amount)
            .sum();
        let notice =
            OnAccountNotice { amount, currency: pe.currency.clone().unwrap_or_default(), date: pe.date, credit };
        Ok(match handled {
            Handled::PaymentCancelled => Msg::PaymentOnAccountCancelled(notice),
            _ => Msg::PaymentOnAccount(notice),
        })
    }

    /// A new contract, or, when it amends a cancelled one (`amended_from`), the replacement
    /// with its whole new schedule: an updated schedule sent without being asked.
    async fn contract(&self, name: &str) -> Result<Composed, Failure> {
        let Some((account, customer, doc)) = self.account(name, None).await? else {
            return Ok(Err("contract not found"));
        };
        let notice = ContractNotice {
            contract: account.row.name.clone(),
            currency: account.row.currency.clone(),
            total: account.row.total,
            first_due: ledger::next_due(&account.lines).map(|l| (l.instalment.due_date, l.remaining)),
        };
        let msg = match doc.amended_from {
            Some(replaced) => {
                let schedule = account.lines.iter().map(|l| (l.instalment.due_date, l.instalment.amount)).collect();
                Msg::ContractReplaced(ReplacedNotice { replaced, contract: notice, schedule })
            }
            None => Msg::NewContract(notice),
        };
        Ok(Ok((customer, vec![msg])))
    }

    /// A cancelled contract (its document stays readable, with `docstatus = 2`).
    async fn cancelled_contract(&self, name: &str) -> Result<Composed, Failure> {
        let Some(doc) = self.erp.contract(name).await? else { return Ok(Err("contract not found")) };
        if doc.docstatus != 2 {
            return Ok(Err("contract is not cancelled"));
        }
        Ok(Ok((doc.row.customer.clone(), vec![Msg::ContractCancelled { contract: doc.row.name }])))
    }
}

/// Whether a payment posted on `date` as `name` comes no later than `upto` in posting order:
/// by posting date, then by name (ERPNext's naming series number entries as they are made).
fn posted_by(date: Option<NaiveDate>, name: &str, upto: &(Option<NaiveDate>, String)) -> bool {
    (date, name) <= (upto.0, upto.1.as_str())
}
