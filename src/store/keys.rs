//! The key layout. Every key is `{prefix}:{kind}:{id}` with numeric Telegram ids only: no
//! passport or phone number ever becomes part of a key.

#[derive(Clone, Debug)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self { prefix: prefix.to_owned() }
    }

    /// Hash with the chat's conversation record.
    pub fn chat(&self, chat_id: i64) -> String {
        format!("{}:chat:{chat_id}", self.prefix)
    }

    /// Claim of a Telegram `update_id`.
    pub fn update(&self, update_id: i64) -> String {
        format!("{}:update:{update_id}", self.prefix)
    }

    /// Per-chat processing lock.
    pub fn chat_lock(&self, chat_id: i64) -> String {
        format!("{}:lock:chat:{chat_id}", self.prefix)
    }

    pub fn group_notice(&self, chat_id: i64) -> String {
        format!("{}:groupnotice:{chat_id}", self.prefix)
    }

    pub fn unreachable(&self, chat_id: i64) -> String {
        format!("{}:unreachable:{chat_id}", self.prefix)
    }

    /// The stream of accepted ERPNext events.
    pub fn events(&self) -> String {
        format!("{}:events", self.prefix)
    }

    /// Events given up on, for operators.
    pub fn events_parked(&self) -> String {
        format!("{}:events:parked", self.prefix)
    }

    /// An accepted event's identity (hashed), so a repeated delivery is accepted once.
    pub fn event_seen(&self, hash: &str) -> String {
        format!("{}:event:seen:{hash}", self.prefix)
    }

    /// The event's message went out.
    pub fn event_sent(&self, hash: &str) -> String {
        format!("{}:event:sent:{hash}", self.prefix)
    }

    /// A replica's heartbeat (its process token, a few seconds' TTL); `id` is the replica's
    /// configured or host name (letters, digits, `.`, `_`, `-`).
    pub fn replica(&self, id: &str) -> String {
        format!("{}:replica:{id}", self.prefix)
    }

    /// Reminder records of a day (`lease`, `sending`, `sent`, `done`).
    pub fn reminders(&self, what: &str, date: &str) -> String {
        format!("{}:reminders:{what}:{date}", self.prefix)
    }

    /// Send-rate counters and the 429 pause.
    pub fn rate(&self, what: &str) -> String {
        format!("{}:rate:{what}", self.prefix)
    }
}
