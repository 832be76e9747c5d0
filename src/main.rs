//! The `erpnext-bot` binary: parse the sub-command, load configuration, run.

use std::process::ExitCode;

use erpnext_bot::{
    check, cli,
    config::{Config, Purpose},
    startup::{Application, shutdown_signal},
    telemetry,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let purpose = match command {
        cli::Command::Help => return print(cli::USAGE),
        cli::Command::Version => return print(concat!("erpnext-bot ", env!("CARGO_PKG_VERSION"))),
        cli::Command::Serve => Purpose::Serve,
        cli::Command::Check => Purpose::Tooling,
    };
    let config = match Config::load(purpose) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("erpnext-bot: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("erpnext-bot: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command {
            cli::Command::Check => run_check(&config).await,
            _ => serve(&config).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "erpnext-bot stopped");
            eprintln!("erpnext-bot: {e:#}");
            ExitCode::FAILURE
        }
    }
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

fn print(text: &str) -> ExitCode {
    println!("{text}");
    ExitCode::SUCCESS
}
