//! Logging: human-readable text or one JSON object per line (`LOG_FORMAT`), level from
//! `RUST_LOG` (default `info`). The service logs to standard output (what container runtimes
//! collect); the operator commands to standard error, so that their standard output holds only
//! their report (`reminders preview > plan.txt`).

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::LogFormat;

/// Where log lines go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    Stdout,
    Stderr,
}

pub fn init(format: LogFormat) {
    init_to(format, Sink::Stdout);
}

pub fn init_to(format: LogFormat, sink: Sink) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let colours = match sink {
        Sink::Stdout => std::io::IsTerminal::is_terminal(&std::io::stdout()),
        Sink::Stderr => std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let writer = fmt::writer::BoxMakeWriter::new(move || -> Box<dyn std::io::Write> {
        match sink {
            Sink::Stdout => Box::new(std::io::stdout()),
            Sink::Stderr => Box::new(std::io::stderr()),
        }
    });
    let result = match format {
        LogFormat::Text => {
            registry.with(fmt::layer().with_target(false).with_ansi(colours).with_writer(writer)).try_init()
        }
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(writer),
            )
            .try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    drop(result);
}

pub mod metrics;
