//! A throw-away `redis-server` for tests: its own child process on a free port, no
//! persistence unless asked (`start_with`), killed on drop. It can be stopped and started again
//! on the same port to test how the service rides out a Redis outage. And `redis-sentinel`
//! processes watching such servers ([`TestSentinel`]).

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
    /// Arguments after the defaults (later ones win), e.g. `--appendonly yes`.
    extra: Vec<String>,
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read it, release it).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe port");
    listener.local_addr().expect("probe port address").port()
}

/// Sends one RESP command over a fresh connection and returns the first reply line.
pub async fn command(port: u16, args: &[&str]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut req = format!("*{}\r\n", args.len());
    for a in args {
        req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    stream.write_all(req.as_bytes()).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no reply from redis"))??;
    Ok(String::from_utf8_lossy(&buf[..n]).trim_end().to_string())
}

impl TestRedis {
    /// Starts `redis-server` on a free port and waits until it answers (it, not another server).
    pub async fn start() -> TestRedis {
        Self::start_with(&[]).await
    }

    /// Starts `redis-server` with more arguments, e.g. `["--appendonly", "yes"]` or
    /// `["--replicaof", "127.0.0.1", "6390"]`.
    pub async fn start_with(extra: &[&str]) -> TestRedis {
        let mut last_error = String::new();
        for _ in 0..5 {
            // A fresh directory per attempt: a failed attempt's drop removes its own.
            let dir = std::env::temp_dir().join(format!("test-redis-{}", uuid::Uuid::new_v4().simple()));
            let extra = extra.iter().map(|a| (*a).to_owned()).collect();
            let mut redis = TestRedis { port: free_port(), child: None, dir, extra };
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
            .args(&self.extra)
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

    /// A clean `SHUTDOWN` (with AOF on, the file is written out first); waits for the exit.
    pub async fn shutdown(&mut self) {
        let _ = command(self.port, &["SHUTDOWN"]).await; // the connection closes without a reply
        if let Some(mut child) = self.child.take() {
            match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
                Ok(_) => {}
                Err(_) => {
                    let _ = child.kill().await;
                }
            }
        }
    }

    /// Starts the server again on the same port, in the same directory: empty without
    /// persistence, with its data back when started with AOF.
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

/// A `redis-sentinel` on a free port watching one master as `mymaster`, with short timeouts
/// (the master counts as down after 500 ms; a failover may take 2 s), killed on drop.
pub struct TestSentinel {
    port: u16,
    child: Option<Child>,
    dir: PathBuf,
}

pub const SENTINEL_MASTER: &str = "mymaster";

impl TestSentinel {
    /// Starts a Sentinel for the master on `master_port`; `quorum` of them must agree that
    /// it is down. Waits until it names that master.
    pub async fn start(master_port: u16, quorum: usize) -> TestSentinel {
        let mut last_error = String::new();
        for _ in 0..5 {
            let dir = std::env::temp_dir().join(format!("test-sentinel-{}", uuid::Uuid::new_v4().simple()));
            let mut sentinel = TestSentinel { port: free_port(), child: None, dir };
            match sentinel.spawn(master_port, quorum).await {
                Ok(()) => return sentinel,
                Err(e) => last_error = e,
            }
        }
        panic!("could not start redis-sentinel: {last_error}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port`, as `REDIS_SENTINELS` lists it.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self, master_port: u16, quorum: usize) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("sentinel work dir: {e}"))?;
        let conf = self.dir.join("sentinel.conf");
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {dir}\n\
             sentinel monitor {m} 127.0.0.1 {master_port} {quorum}\n\
             sentinel down-after-milliseconds {m} 500\n\
             sentinel failover-timeout {m} 2000\n\
             sentinel parallel-syncs {m} 1\n",
            port = self.port,
            dir = self.dir.display(),
            m = SENTINEL_MASTER,
        );
        std::fs::write(&conf, text).map_err(|e| format!("sentinel.conf: {e}"))?;
        let log = std::fs::File::create(self.dir.join("sentinel.log")).map_err(|e| format!("sentinel log: {e}"))?;
        let log_err = log.try_clone().map_err(|e| format!("sentinel log: {e}"))?;
        let conf = conf.to_string_lossy().into_owned();
        // Debian ships `redis-sentinel` as a package of its own; `redis-server --sentinel` is the
        // same program.
        let mut cmd = if which("redis-sentinel") {
            let mut c = Command::new("redis-sentinel");
            c.arg(&conf);
            c
        } else {
            let mut c = Command::new("redis-server");
            c.args([conf.as_str(), "--sentinel"]);
            c
        };
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run redis-sentinel: {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        let wanted = master_port.to_string();
        loop {
            if let Ok(reply) = command(self.port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER]).await
                && reply.contains(&wanted)
            {
                return Ok(());
            }
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() >= deadline {
                if let Some(mut child) = self.child.take() {
                    let _ = child.kill().await;
                }
                let log = std::fs::read_to_string(self.dir.join("sentinel.log")).unwrap_or_default();
                return Err(format!("redis-sentinel on port {} did not come up; log:\n{log}", self.port));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The port of the master this Sentinel names now.
    pub async fn master_port(&self) -> Option<u16> {
        let reply = command(self.port, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", SENTINEL_MASTER]).await.ok()?;
        // *2 $9 127.0.0.1 $4 6390
        reply.lines().filter(|l| !l.starts_with('*') && !l.starts_with('$')).nth(1)?.trim().parse().ok()
    }

    /// Waits until this Sentinel knows `replicas` replicas of the master that are up, so a
    /// failover has somewhere to go.
    pub async fn wait_for_replicas(&self, replicas: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let reply = command(self.port, &["SENTINEL", "REPLICAS", SENTINEL_MASTER]).await.unwrap_or_default();
            let up = reply.lines().filter(|l| l.trim() == "slave").count();
            let down = reply.lines().filter(|l| l.contains("s_down") || l.contains("disconnected")).count();
            if up >= replicas && down == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "the sentinel does not see {replicas} replicas: {reply}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `SENTINEL FAILOVER`: promotes a replica without asking the others.
    pub async fn failover(&self) {
        let reply = command(self.port, &["SENTINEL", "FAILOVER", SENTINEL_MASTER]).await.expect("SENTINEL FAILOVER");
        assert!(reply.starts_with("+OK"), "SENTINEL FAILOVER answered {reply:?}");
    }
}

impl Drop for TestSentinel {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Waits until the server on `port` is a replica whose link to its master is up.
pub async fn wait_replica_synced(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = command(port, &["INFO", "replication"]).await.unwrap_or_default();
        if info.contains("master_link_status:up") {
            return;
        }
        assert!(Instant::now() < deadline, "replica on {port} did not sync: {info}");
        tokio::time::sleep(Duration::from_millis(20)).await;
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
