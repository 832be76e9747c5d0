//! The `erpnext-bot` binary, and all of its wiring: parse the sub-command ([`cli`]), prepare
//! what it runs with (its configuration, or the demo's environment) and its logs, start the one
//! Tokio runtime, run the command, report how it ended (0 fine, 1 a dependency failed, 2 usage
//! or configuration).

use std::collections::BTreeMap;
use std::process::ExitCode;

use erpnext_bot::{
    check,
    cli::{self, Command},
    config::{Config, LogFormat, Purpose},
    demo::{self, DemoError},
    reminders,
    setup::{self, Report},
    startup::{Application, shutdown_signal},
    telemetry,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A command ready to run, with what it runs with.
enum Prepared {
    /// `demo`: its own configuration (the sandboxes), from these variables.
    Demo(BTreeMap<String, String>),
    /// Every other command that runs: its configuration, loaded for its purpose.
    Configured(Command, Box<Config>),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let prepared = match prepare(command) {
        Ok(p) => p,
        Err(ended) => return ended,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("erpnext-bot: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(prepared))
}

/// Loads what `command` runs with and starts its logs; `Err` when it ends here: help and
/// version (printed), refused variables or a bad configuration (exit 2).
fn prepare(command: Command) -> Result<Prepared, ExitCode> {
    if command == Command::Demo {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        if let Err(e) = demo::refuse_real_services(&env) {
            eprintln!("erpnext-bot: {e}");
            return Err(ExitCode::from(2));
        }
        let json = env.get("LOG_FORMAT").is_some_and(|f| f.trim().eq_ignore_ascii_case("json"));
        telemetry::init(if json { LogFormat::Json } else { LogFormat::Text });
        return Ok(Prepared::Demo(env));
    }
    let Some(purpose) = command.purpose() else {
        let text =
            if command == Command::Help { cli::USAGE } else { concat!("erpnext-bot ", env!("CARGO_PKG_VERSION")) };
        println!("{text}");
        return Err(ExitCode::SUCCESS);
    };
    let config = match Config::load(purpose) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("erpnext-bot: {e}");
            return Err(ExitCode::from(2));
        }
    };
    let sink = if purpose == Purpose::Serve { telemetry::Sink::Stdout } else { telemetry::Sink::Stderr };
    telemetry::init_to(config.log_format, sink);
    // Every command that writes amounts (serve, `reminders run`) writes them with these.
    config.currency_decimals.clone().install().ok();
    Ok(Prepared::Configured(command, Box::new(config)))
}

/// Runs the prepared command on the runtime.
async fn run(prepared: Prepared) -> ExitCode {
    let (command, config) = match prepared {
        Prepared::Demo(env) => return run_demo(env).await,
        Prepared::Configured(command, config) => (command, config),
    };
    let result = match command {
        Command::Check => run_check(&config).await,
        Command::Webhook(action) => Ok(print(setup::telegram_webhook::run(&config, action).await)),
        Command::ErpSetup { dry_run } => Ok(print(setup::erp::run(&config, dry_run).await)),
        Command::Reminders { send, date } => Ok(print(reminders::command::run(&config, send, date).await)),
        Command::Serve => serve(&config).await,
        // Prepared above, with a configuration of their own or none.
        Command::Demo | Command::Help | Command::Version => Ok(ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = format!("{e:#}"), "erpnext-bot stopped");
        eprintln!("erpnext-bot: {e:#}");
        ExitCode::FAILURE
    })
}

async fn serve(config: &Config) -> anyhow::Result<ExitCode> {
    let app = Application::build(config).await?;
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

async fn run_check(config: &Config) -> anyhow::Result<ExitCode> {
    let lines = check::run(config).await?;
    for line in &lines {
        println!("{} {}", if line.ok { "ok  " } else { "FAIL" }, line.text);
    }
    Ok(if lines.iter().all(|l| l.ok) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `demo`: the service on its sandboxes until a shutdown signal.
async fn run_demo(env: BTreeMap<String, String>) -> ExitCode {
    match demo::run(env, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erpnext-bot: {e}");
            match e {
                DemoError::RealServices(..) | DemoError::Config(_) => ExitCode::from(2),
                DemoError::Failed(_) => ExitCode::FAILURE,
            }
        }
    }
}

/// Lines to stdout, the failure (if any) to stderr.
fn print(report: Report) -> ExitCode {
    for line in &report.lines {
        println!("{line}");
    }
    if let Some(e) = &report.error {
        eprintln!("{e}");
    }
    ExitCode::from(report.exit_code())
}
