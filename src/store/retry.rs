//! The one retry rule for Redis: a transient failure ([`StoreError::is_transient`]) is tried
//! again with exponential backoff (25 ms doubling to 1 s, with jitter) until the window
//! (`REDIS_RETRY_SECS`, 30 s by default) is spent; anything else fails at once. A Redis
//! restart, a `kill -9` with AOF or a Sentinel failover takes a few seconds, well inside it;
//! the window stays inside Telegram's 60 s webhook timeout.
//!
//! Built on `backon` (DEPENDENCIES.md: the crate already pulled in by redis' connection
//! manager), the retry crate of the design for everything that is not HTTP.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use super::StoreError;
use crate::telemetry::metrics;

/// The first pause after a failure; it doubles up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(25);
/// The longest pause between two tries: a Redis back after an outage is used within 1 s.
const MAX_DELAY: Duration = Duration::from_secs(1);

/// Runs `op` until it succeeds, fails for good, or `window` has passed since the first try.
pub async fn retrying<T, F, Fut>(what: &'static str, window: Duration, op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let started = tokio::time::Instant::now();
    let policy = ExponentialBuilder::default()
        .with_min_delay(FIRST_DELAY)
        .with_max_delay(MAX_DELAY)
        .with_jitter()
        .without_max_times();
    let result = op
        .retry(policy)
        .sleep(tokio::time::sleep)
        .when(|e: &StoreError| e.is_transient() && started.elapsed() < window)
        .notify(|e: &StoreError, pause: Duration| {
            metrics::redis_retry(what);
            tracing::debug!(op = what, error = %e, pause_ms = pause.as_millis() as u64, "redis unavailable; trying again");
        })
        .await;
    if let Err(e) = &result
        && e.is_transient()
    {
        metrics::redis_gave_up(what);
        tracing::warn!(op = what, error = %e, waited_ms = started.elapsed().as_millis() as u64, "redis stayed unavailable for the whole retry window");
    }
    result
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_transient_failure_is_retried_until_redis_answers() {
        let tries = AtomicU32::new(0);
        let got = retrying("test", Duration::from_secs(30), || async {
            if tries.fetch_add(1, Ordering::SeqCst) < 5 {
                Err(StoreError::Unavailable("connection refused".into()))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(got.ok(), Some(7));
        assert_eq!(tries.load(Ordering::SeqCst), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_not_retried() {
        let tries = AtomicU32::new(0);
        let got: Result<(), _> = retrying("test", Duration::from_secs(30), || async {
            tries.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Refused("WRONGTYPE".into()))
        })
        .await;
        assert!(matches!(got, Err(StoreError::Refused(_))));
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_bounds_the_wait() {
        let started = tokio::time::Instant::now();
        let got: Result<(), _> =
            retrying("test", Duration::from_secs(3), || async { Err(StoreError::Timeout(Duration::from_secs(3))) })
                .await;
        assert!(got.is_err());
        let waited = started.elapsed();
        assert!(waited >= Duration::from_secs(3) && waited < Duration::from_secs(5), "{waited:?}");
    }
}
