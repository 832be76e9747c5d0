//! The three clients every command builds from configuration: ERPNext, the Bot API and Redis.
//! The service ([`crate::startup`]), the operator commands ([`crate::check`],
//! [`crate::reminders::command`]) and the demo all start from these.

use anyhow::Context;

use crate::config::Config;
use crate::erpnext::ErpClient;
use crate::store::Store;
use crate::telegram::TelegramClient;

/// The clients every command needs, built from configuration.
#[derive(Clone)]
pub struct Clients {
    pub erp: ErpClient,
    pub telegram: TelegramClient,
    pub store: Store,
}

impl Clients {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            erp: ErpClient::new(&config.erp).context("building the ERPNext client")?,
            telegram: TelegramClient::new(&config.telegram).context("building the Telegram client")?,
            store: Store::new(&config.redis).context("building the Redis pool")?,
        })
    }
}
