//! The network side: an accept loop, one task per connection, and the periodic expiry sweep.
//!
//! A connection reads whatever the client sent, answers every complete request in order
//! (so pipelines work), and writes the answers in one go. All connections share one [`Db`]
//! behind a mutex that is never held across an `.await`; a blocked XREADGROUP waits outside
//! it, on a counter every XADD bumps, while watching its socket so a client that hangs up is
//! noticed.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

use super::command::{self, Outcome};
use super::db::{Db, Fail, Millis};
use super::resp::{self, Bytes, ProtocolError, Reply};

/// How often expired keys nobody reads are removed.
const SWEEP_EVERY: Duration = Duration::from_millis(250);

/// The data and the wake-up signal for blocked readers.
#[derive(Debug)]
pub(super) struct Shared {
    db: Mutex<Db>,
    added: watch::Sender<u64>,
}

/// The wall clock in Unix milliseconds: stream ids and expiry times are wall-clock times.
fn now() -> Millis {
    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since_epoch.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Shared {
    pub(super) fn new() -> Shared {
        Shared { db: Mutex::new(Db::default()), added: watch::Sender::new(0) }
    }

    /// The data; a panic in another connection does not make it unusable.
    fn lock(&self) -> MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self, args: &[Bytes]) -> Outcome {
        let mut db = self.lock();
        let outcome = command::execute(&mut db, args, now());
        self.wake(&mut db);
        outcome
    }

    /// EXEC: the queued commands in one hold of the lock.
    fn run_all(&self, queued: &[Vec<Bytes>]) -> Reply {
        let mut db = self.lock();
        let at = now();
        let replies = queued.iter().map(|args| command::call(&mut db, args, at)).collect();
        self.wake(&mut db);
        Reply::Array(replies)
    }

    fn wake(&self, db: &mut Db) {
        if db.take_stream_added() {
            self.added.send_modify(|n| *n = n.wrapping_add(1));
        }
    }
}

/// Accepts connections until `shutdown` turns true (or its sender is dropped).
pub(super) async fn accept(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let conn = Conn::new(stream, shared.clone(), shutdown.clone());
                    tokio::spawn(conn.run());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "in-memory redis: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// Removes expired keys now and then, so keys nobody reads again do not pile up.
pub(super) async fn sweep(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => shared.lock().sweep(now()),
            _ = shutdown.changed() => return,
        }
    }
}

/// A MULTI in progress.
#[derive(Default)]
struct Multi {
    queued: Vec<Vec<Bytes>>,
    /// A queued command was refused: EXEC will discard everything.
    refused: bool,
}

struct Conn {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    multi: Option<Multi>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
}

/// Whether to go on reading after a request.
enum Flow {
    Continue,
    Close,
}

fn error(text: &str) -> Reply {
    Reply::Error(format!("ERR {text}"))
}

impl Conn {
    fn new(stream: TcpStream, shared: Arc<Shared>, shutdown: watch::Receiver<bool>) -> Conn {
        Conn { stream, input: Vec::with_capacity(4096), output: Vec::new(), multi: None, shared, shutdown }
    }

    async fn run(mut self) {
        if let Err(e) = self.serve().await {
            tracing::debug!(error = %e, "in-memory redis: connection ended");
        }
    }

    async fn serve(&mut self) -> io::Result<()> {
        loop {
            let mut used = 0;
            loop {
                match resp::parse_request(&self.input[used..]) {
                    Ok(Some((args, n))) => {
                        used += n;
                        if !args.is_empty() && matches!(self.handle(args).await?, Flow::Close) {
                            return self.flush().await;
                        }
                    }
                    Ok(None) => break,
                    Err(ProtocolError(text)) => {
                        Reply::Error(text).encode(&mut self.output);
                        return self.flush().await;
                    }
                }
            }
            self.input.drain(..used);
            self.flush().await?;
            if *self.shutdown.borrow() {
                return Ok(());
            }
            tokio::select! {
                n = self.stream.read_buf(&mut self.input) => if n? == 0 { return Ok(()) },
                _ = self.shutdown.changed() => return Ok(()),
            }
        }
    }

    async fn flush(&mut self) -> io::Result<()> {
        if !self.output.is_empty() {
            self.stream.write_all(&self.output).await?;
            self.output.clear();
        }
        Ok(())
    }

    async fn handle(&mut self, args: Vec<Bytes>) -> io::Result<Flow> {
        let name = args[0].to_ascii_uppercase();
        let transaction = matches!(name.as_slice(), b"MULTI" | b"EXEC" | b"DISCARD");
        let reply = if transaction && args.len() != 1 {
            if let Some(multi) = &mut self.multi {
                multi.refused = true;
            }
            Fail::arity(&String::from_utf8_lossy(&args[0])).into()
        } else if name == b"QUIT" {
            Reply::ok().encode(&mut self.output);
            return Ok(Flow::Close);
        } else if transaction {
            self.transaction(&name)
        } else if let Some(multi) = &mut self.multi {
            match command::check(&args) {
                Ok(()) => {
                    multi.queued.push(args);
                    Reply::Status("QUEUED".into())
                }
                Err(fail) => {
                    multi.refused = true;
                    fail.into()
                }
            }
        } else {
            match self.shared.run(&args) {
                Outcome::Reply(reply) => reply,
                Outcome::Block(ms) => match self.block(&args, ms).await? {
                    Some(reply) => reply,
                    None => return Ok(Flow::Close),
                },
            }
        };
        reply.encode(&mut self.output);
        Ok(Flow::Continue)
    }

    /// MULTI, EXEC, DISCARD.
    fn transaction(&mut self, name: &[u8]) -> Reply {
        match (name, self.multi.take()) {
            (b"MULTI", None) => {
                self.multi = Some(Multi::default());
                Reply::ok()
            }
            (b"MULTI", Some(multi)) => {
                self.multi = Some(multi);
                error("MULTI calls can not be nested")
            }
            (b"EXEC", Some(multi)) if multi.refused => {
                Reply::Error("EXECABORT Transaction discarded because of previous errors.".into())
            }
            (b"EXEC", Some(multi)) => self.shared.run_all(&multi.queued),
            (b"DISCARD", Some(_)) => Reply::ok(),
            (b"EXEC", None) => error("EXEC without MULTI"),
            _ => error("DISCARD without MULTI"),
        }
    }

    /// Waits for an XADD or the timeout, looking again after each XADD; `None` when the client
    /// hung up or the server stops.
    async fn block(&mut self, args: &[Bytes], ms: u64) -> io::Result<Option<Reply>> {
        self.flush().await?;
        let deadline = (ms > 0).then(|| Instant::now() + Duration::from_millis(ms));
        let mut added = self.shared.added.subscribe();
        loop {
            added.borrow_and_update();
            if let Outcome::Reply(reply) = self.shared.run(args) {
                return Ok(Some(reply));
            }
            let timeout = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = added.changed() => if changed.is_err() { return Ok(None) },
                () = timeout => return Ok(Some(Reply::NilArray)),
                n = self.stream.read_buf(&mut self.input) => if n? == 0 { return Ok(None) },
                _ = self.shutdown.changed() => return Ok(None),
            }
        }
    }
}
