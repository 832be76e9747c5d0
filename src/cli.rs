//! Sub-commands of the binary. Parsed by hand: the surface is small and fixed.

pub const USAGE: &str = "\
erpnext-bot — Telegram self-service bot for ERPNext instalment customers

USAGE:
    erpnext-bot [COMMAND]

COMMANDS:
    serve      Run the webhook server (default)
    check      Check Redis, ERPNext (credentials, fields) and the Telegram token
    help       Show this help
    version    Show the version

Configuration comes from the environment (see .env.example) and an optional TOML file
named by CONFIG_FILE.";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Check,
    Help,
    Version,
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] | ["serve"] => Ok(Command::Serve),
        ["check"] => Ok(Command::Check),
        ["help" | "-h" | "--help"] => Ok(Command::Help),
        ["version" | "-V" | "--version"] => Ok(Command::Version),
        other => Err(format!("unknown command: {}", other.join(" "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn serve_is_the_default() {
        assert_eq!(parse(&args(&[])), Ok(Command::Serve));
        assert_eq!(parse(&args(&["serve"])), Ok(Command::Serve));
        assert_eq!(parse(&args(&["check"])), Ok(Command::Check));
        assert!(parse(&args(&["webhook", "sett"])).is_err());
    }
}
