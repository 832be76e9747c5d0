//! The tower stack around `reqwest::Client`: concurrency limit → retry policy → per-attempt
//! timeout. The overall deadline is applied outside, by the client facade.
//!
//! One function, [`is_retryable`], decides what is retried (linkerd2-proxy style): idempotent
//! requests only, on connect errors, timeouts, 429 (honouring `Retry-After`) and 502/503/504,
//! with exponential backoff and full jitter.

use std::{future::Future, pin::Pin, time::Duration};

use reqwest::{Method, Request, Response, StatusCode};
use tower::{BoxError, ServiceBuilder, limit::GlobalConcurrencyLimitLayer, retry::Policy, util::BoxCloneSyncService};

/// The boxed HTTP service the facade calls; cheap to clone, shareable across tasks.
pub type HttpService = BoxCloneSyncService<Request, Response, BoxError>;

/// Settings of the stack.
#[derive(Clone, Copy, Debug)]
pub struct StackSettings {
    pub max_concurrency: usize,
    pub attempt_timeout: Duration,
    pub max_retries: u32,
    /// First backoff; doubles with each retry.
    pub base_backoff: Duration,
    /// The longest `Retry-After` we wait for; a longer one fails the request instead.
    pub max_retry_after: Duration,
}

pub fn build(client: reqwest::Client, s: StackSettings) -> HttpService {
    let svc = ServiceBuilder::new()
        .layer(GlobalConcurrencyLimitLayer::new(s.max_concurrency))
        .retry(RetryPolicy::new(s))
        .timeout(s.attempt_timeout)
        .service(client);
    BoxCloneSyncService::new(svc)
}

/// Retry policy; a fresh copy per request counts that request's retries.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    settings: StackSettings,
    retries_done: u32,
}

impl RetryPolicy {
    pub fn new(settings: StackSettings) -> Self {
        Self { settings, retries_done: 0 }
    }

    fn backoff(&self) -> Duration {
        let exp = self.settings.base_backoff.saturating_mul(1 << self.retries_done.min(10));
        // Full jitter between half and the whole of the exponential step.
        let ms = exp.as_millis() as u64;
        Duration::from_millis(rand::random_range(ms / 2..=ms.max(1)))
    }
}

/// What a failed attempt means for a retry.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Final,
    RetryAfterBackoff,
    RetryAfter(Duration),
}

/// The one place that decides whether an attempt may be retried. `read` marks a POST that
/// only reads (`frappe.client.get_list` with a JSON body).
pub fn is_retryable(method: &Method, read: bool, result: &Result<Response, BoxError>) -> Verdict {
    if !read && !is_idempotent(method) {
        return Verdict::Final;
    }
    match result {
        Ok(resp) => match resp.status() {
            StatusCode::TOO_MANY_REQUESTS => retry_after(resp).map_or(Verdict::RetryAfterBackoff, Verdict::RetryAfter),
            StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
                Verdict::RetryAfterBackoff
            }
            _ => Verdict::Final,
        },
        Err(e) if is_transport_retryable(e.as_ref()) => Verdict::RetryAfterBackoff,
        Err(_) => Verdict::Final,
    }
}

/// The whitelisted method that reads with a POST body (long `in` filters do not fit a URL).
pub const READ_METHOD_PATH: &str = "/api/method/frappe.client.get_list";

fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
}

fn is_transport_retryable(e: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    if e.is::<tower::timeout::error::Elapsed>() {
        return true;
    }
    e.downcast_ref::<reqwest::Error>().is_some_and(|e| e.is_connect() || e.is_timeout())
}

/// `Retry-After` in seconds (the HTTP-date form is not used by Frappe).
fn retry_after(resp: &Response) -> Option<Duration> {
    let secs: u64 = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

impl Policy<Request, Response, BoxError> for RetryPolicy {
    type Future = Pin<Box<dyn Future<Output = ()> + Send + Sync>>;

    fn retry(&mut self, req: &mut Request, result: &mut Result<Response, BoxError>) -> Option<Self::Future> {
        if self.retries_done >= self.settings.max_retries {
            return None;
        }
        let read = req.url().path().ends_with(READ_METHOD_PATH);
        let wait = match is_retryable(req.method(), read, result) {
            Verdict::Final => return None,
            Verdict::RetryAfterBackoff => self.backoff(),
            Verdict::RetryAfter(d) if d <= self.settings.max_retry_after => d,
            Verdict::RetryAfter(_) => return None,
        };
        self.retries_done += 1;
        tracing::debug!(retry = self.retries_done, wait_ms = wait.as_millis() as u64, "retrying ERPNext request");
        Some(Box::pin(tokio::time::sleep(wait)))
    }

    fn clone_request(&mut self, req: &Request) -> Option<Request> {
        req.try_clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<&str>) -> Result<Response, BoxError> {
        let mut b = axum::http::Response::builder().status(status);
        if let Some(r) = retry_after {
            b = b.header("retry-after", r);
        }
        Ok(Response::from(b.body(Vec::<u8>::new()).expect("response")))
    }

    #[test]
    fn only_idempotent_requests_on_transient_answers_are_retried() {
        use Verdict::*;
        let cases = [
            (Method::GET, 503, None, RetryAfterBackoff),
            (Method::GET, 502, None, RetryAfterBackoff),
            (Method::GET, 504, None, RetryAfterBackoff),
            (Method::PUT, 503, None, RetryAfterBackoff),
            (Method::GET, 429, Some("3"), RetryAfter(Duration::from_secs(3))),
            (Method::GET, 429, None, RetryAfterBackoff),
            (Method::POST, 503, None, Final),
            (Method::POST, 429, Some("1"), Final),
            (Method::GET, 500, None, Final),
            (Method::GET, 404, None, Final),
            (Method::GET, 417, None, Final),
            (Method::GET, 200, None, Final),
        ];
        for (method, status, retry_after, want) in cases {
            assert_eq!(is_retryable(&method, false, &answer(status, retry_after)), want, "{method} {status}");
        }
    }

    #[test]
    fn timeouts_are_retried_and_other_errors_are_not() {
        let elapsed: BoxError = Box::new(tower::timeout::error::Elapsed::new());
        assert_eq!(is_retryable(&Method::GET, false, &Err(elapsed)), Verdict::RetryAfterBackoff);
        let other: BoxError = "boom".into();
        assert_eq!(is_retryable(&Method::GET, false, &Err(other)), Verdict::Final);
        assert_eq!(is_retryable(&Method::POST, true, &answer(503, None)), Verdict::RetryAfterBackoff);
    }

    #[test]
    fn backoff_grows_and_stays_jittered_within_its_step() {
        let s = StackSettings {
            max_concurrency: 1,
            attempt_timeout: Duration::from_secs(1),
            max_retries: 5,
            base_backoff: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        };
        let mut p = RetryPolicy::new(s);
        for n in 0..4u32 {
            p.retries_done = n;
            let step = 100u64 << n;
            let b = p.backoff().as_millis() as u64;
            assert!((step / 2..=step).contains(&b), "retry {n}: {b} ms");
        }
    }
}
