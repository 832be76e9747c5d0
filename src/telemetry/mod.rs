//! Logging: human-readable text or one JSON object per line (`LOG_FORMAT`), level from
//! `RUST_LOG` (default `info`).

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let colours = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let result = match format {
        LogFormat::Text => registry.with(fmt::layer().with_target(false).with_ansi(colours)).try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true).with_current_span(true).with_span_list(true))
            .try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    drop(result);
}

pub mod metrics;
