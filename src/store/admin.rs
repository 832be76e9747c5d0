//! Redis outside a running service, for the demo: whether a URL answers, and removing what an
//! earlier demo left under a key prefix. (A one-off connection each, not the [`super::Store`].)

use std::time::Duration;

use deadpool_redis::redis;

/// Whether a Redis answers `PING` at `url` within 1 s; why not, if it does not.
pub async fn ping_url(url: &str) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let attempt = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(1), attempt).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 1 s".into()),
    }
}

/// Deletes every key under `prefix:` (SCAN, then DEL in batches); how many there were.
pub async fn forget_prefix(url: &str, prefix: &str) -> anyhow::Result<usize> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let mut cursor: u64 = 0;
    let mut removed = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}:*"))
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            removed += keys.len();
            redis::cmd("DEL").arg(&keys).query_async::<()>(&mut conn).await?;
        }
        if next == 0 {
            return Ok(removed);
        }
        cursor = next;
    }
}
