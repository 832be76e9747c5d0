//! A throw-away `redis-server` for tests: its own child process on a free port, no
//! persistence, killed on drop. It can be stopped and started again on the same port to test
//! how the service rides out a Redis outage.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const MISSING: &str = "redis-server not found: run .ci/run or apt-get install redis-server";

pub struct TestRedis {
    port: u16,
    child: Option<Child>,
    dir: PathBuf,
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read it, release it).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    listener.local_addr().expect("probe port address").port()
}

/// Sends one RESP command over a fresh connection and returns the first reply line.
async fn command(port: u16, args: &[&str]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    stream.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no reply from redis"))??;
    Ok(String::from_utf8_lossy(&buf[..n]).trim_end().to_string())
}

impl TestRedis {
    /// Starts `redis-server` on a free port and waits until it answers (it, not another server).
    pub async fn start() -> TestRedis {
        let mut last_error = String::new();
        for _ in 0..5 {
            // A fresh directory per attempt: a failed attempt's drop removes its own.
            let dir = std::env::temp_dir().join(format!("test-redis-{}", uuid::Uuid::new_v4().simple()));
            let mut redis = TestRedis { port: free_port(), child: None, dir };
            match redis.spawn().await {
                Ok(()) => return redis,
                Err(e) => last_error = e, // most likely the port was taken meanwhile
            }
        }
        panic!("could not start redis-server: {last_error}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join(format!("redis-{}.log", self.port))
    }

    async fn spawn(&mut self) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("redis work dir: {e}"))?;
        let log = std::fs::File::create(self.log_path()).map_err(|e| format!("redis log file: {e}"))?;
        let log_err = log.try_clone().map_err(|e| format!("redis log file: {e}"))?;
        let port = self.port.to_string();
        let dir = self.dir.to_string_lossy().into_owned();
        let unique = self.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let spawned = Command::new("redis-server")
            .args(["--port", &port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--dir", &dir])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true)
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!("{MISSING}"),
            Err(e) => panic!("cannot run redis-server: {e}"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            // Ours, not another test's server that got the same port: it works in our dir
            // (compared by the unique last component; redis reports the resolved path).
            if let Ok(reply) = command(self.port, &["CONFIG", "GET", "dir"]).await
                && reply.contains(unique.as_str())
            {
                return Ok(());
            }
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() >= deadline {
                self.kill().await;
                let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                return Err(format!("redis-server on port {} did not answer PING; log:\n{log}", self.port));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await; // kill + wait
        }
    }

    /// Kills the server (connections drop, the port closes). Data is lost.
    pub async fn stop(&mut self) {
        self.kill().await;
    }

    /// Starts a fresh, empty server on the same port.
    pub async fn start_again(&mut self) {
        self.kill().await;
        if let Err(e) = self.spawn().await {
            panic!("could not restart redis-server: {e}");
        }
    }

    /// Empties every database.
    pub async fn flushall(&self) {
        let reply = command(self.port, &["FLUSHALL"]).await.expect("FLUSHALL");
        assert!(reply.starts_with("+OK"), "FLUSHALL answered {reply:?}");
    }

    /// Runs any command (e.g. `["GET", "key"]`) and returns the raw first reply.
    pub async fn raw(&self, args: &[&str]) -> String {
        command(self.port, args).await.expect("redis command")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
