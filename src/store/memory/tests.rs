//! Unit tests of the in-memory server's parts: the parser, and command and script semantics
//! run against a [`Db`] with the time given explicitly.

mod resp;
mod scripts;
mod streams;
mod strings;

use super::command::{Outcome, execute};
use super::db::{Db, Millis};
use super::resp::Reply;

/// A fixed "now": 2023-11-14T22:13:20Z.
const T0: Millis = 1_700_000_000_000;

/// Runs a command given as one line of space-separated words.
fn run(db: &mut Db, now: Millis, line: &str) -> Reply {
    let args: Vec<Vec<u8>> = line.split_whitespace().map(|w| w.as_bytes().to_vec()).collect();
    run_args(db, now, &args)
}

fn run_args(db: &mut Db, now: Millis, args: &[Vec<u8>]) -> Reply {
    match execute(db, args, now) {
        Outcome::Reply(reply) => reply,
        Outcome::Block(ms) => Reply::Status(format!("(would block {ms} ms)")),
    }
}

fn bulk(text: &str) -> Reply {
    Reply::bulk(text)
}

fn int(n: i64) -> Reply {
    Reply::Int(n)
}

fn ok() -> Reply {
    Reply::ok()
}

fn array(items: Vec<Reply>) -> Reply {
    Reply::Array(items)
}

fn bulks(items: &[&str]) -> Reply {
    Reply::Array(items.iter().map(|i| bulk(i)).collect())
}

fn error(text: &str) -> Reply {
    Reply::Error(text.into())
}
