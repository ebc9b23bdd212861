//! One signed GET per attempt, retried by `RetryPolicy`, paced by the shared rate limiter
//! (which slows down when the server answers 2500).
//!
//! The HTTP layer sits behind `Transport` so tests can count and script requests without a
//! network (the default is one pooled reqwest client per `Client`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::clock::{Clock, SystemClock, format_timestamp};
use super::cluster_batch::ClusterBatches;
use super::credentials::ClientConfig;
use super::error::{Error, TransportKind, describe_reqwest_error};
use super::jobs::ZonePoller;
use super::rate_limit::RateLimiter;
use super::retry::{Attempts, Decision, RetryClass};
use super::signer;

/// An HTTP answer, whatever its status.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why no HTTP answer arrived. `detail` must not contain the URL.
#[derive(Debug, Clone)]
pub struct TransportFailure {
    pub kind: TransportKind,
    pub detail: String,
}

pub type TransportFuture =
    Pin<Box<dyn Future<Output = Result<HttpResponse, TransportFailure>> + Send>>;

/// Sends one GET. The URL contains the signature: implementations must never log it or put it
/// in an error.
pub trait Transport: Send + Sync + 'static {
    fn get(&self, url: String, timeout: Duration) -> TransportFuture;
}

/// The real transport: one reqwest client, so connections are pooled across all calls.
///
/// The client is built on the first request, not when the provider is configured: building it
/// loads the system's CA certificates (a few milliseconds of file reads and parsing, ~300 files
/// on Debian), and Terraform configures a provider in processes that never call the API, such as
/// the plan half of an apply that only creates.
pub struct ReqwestTransport {
    connect_timeout: Duration,
    http: Arc<tokio::sync::OnceCell<Result<reqwest::Client, String>>>,
}

impl ReqwestTransport {
    pub fn new(connect_timeout: Duration) -> ReqwestTransport {
        ReqwestTransport {
            connect_timeout,
            http: Arc::default(),
        }
    }

    fn build(connect_timeout: Duration) -> Result<reqwest::Client, String> {
        reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect would resend the signed query elsewhere; QingCloud never redirects.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "terraform-provider-qingcloud/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| {
                format!(
                    "{}; CA certificates are read from SSL_CERT_FILE or SSL_CERT_DIR when set, \
                     else from the system's store (the ca-certificates package on Debian)",
                    describe_reqwest_error(e)
                )
            })
    }
}

fn failure_of(err: reqwest::Error) -> TransportFailure {
    // Order matters: a connect timeout is both "connect" and "timeout", and only the first means
    // nothing was sent.
    let kind = if err.is_connect() {
        TransportKind::Connect
    } else if err.is_timeout() {
        TransportKind::Timeout
    } else if err.is_body() || err.is_decode() {
        TransportKind::BadBody
    } else if err.is_request() {
        TransportKind::Reset
    } else {
        TransportKind::Other
    };
    TransportFailure {
        kind,
        detail: describe_reqwest_error(err),
    }
}

impl Transport for ReqwestTransport {
    fn get(&self, url: String, timeout: Duration) -> TransportFuture {
        let (cell, connect_timeout) = (self.http.clone(), self.connect_timeout);
        Box::pin(async move {
            // Built once; a failure (no CA certificates, say) is kept and reported by every call,
            // never retried, since nothing was sent.
            let http = cell
                .get_or_init(|| async move {
                    // File reads and parsing: off the runtime's only thread.
                    tokio::task::spawn_blocking(move || Self::build(connect_timeout))
                        .await
                        .unwrap_or_else(|e| Err(format!("setting up the HTTP client failed: {e}")))
                })
                .await
                .as_ref()
                .map_err(|reason| TransportFailure {
                    kind: TransportKind::Setup,
                    detail: reason.clone(),
                })?;
            let response = http
                .get(url)
                .timeout(timeout)
                .send()
                .await
                .map_err(failure_of)?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(|e| {
                let mut f = failure_of(e);
                if f.kind != TransportKind::Timeout {
                    f.kind = TransportKind::BadBody;
                }
                f
            })?;
            Ok(HttpResponse {
                status,
                body: body.to_vec(),
            })
        })
    }
}

pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) clock: Arc<dyn Clock>,
    limiter: RateLimiter,
    /// One job poller per zone, created on demand and removed when it has nothing to poll.
    pub(crate) pollers: Mutex<HashMap<String, Arc<ZonePoller>>>,
    pub(crate) cluster_batches: ClusterBatches,
}

/// The QingCloud API client. Cheap to clone; clones share connections, the rate limiter and the
/// job pollers.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Client {
        let connect_timeout = config.timeout.min(Duration::from_secs(10));
        let transport = Arc::new(ReqwestTransport::new(connect_timeout));
        Client::with_parts(config, transport, Arc::new(SystemClock))
    }

    /// A client over any transport and clock: for tests and the simulator.
    pub fn with_parts(
        config: ClientConfig,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> Client {
        let limiter = RateLimiter::new(config.rate_limit, clock.clone());
        Client {
            inner: Arc::new(Inner {
                config,
                transport,
                clock,
                limiter,
                pollers: Mutex::new(HashMap::new()),
                cluster_batches: ClusterBatches::default(),
            }),
        }
    }

    pub fn default_zone(&self) -> &str {
        &self.inner.config.zone
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Calls `action` in `zone`. `idempotent == false` restricts retries to failures where the
    /// server certainly did not act; an ambiguous failure comes back with `outcome_unknown()`.
    pub async fn call(
        &self,
        action: &str,
        zone: &str,
        params: Vec<(String, String)>,
        idempotent: bool,
    ) -> Result<Value, Error> {
        let policy = &self.inner.config.retry;
        let started = self.inner.clock.instant();
        let mut so_far = Attempts::default();
        loop {
            so_far.made += 1;
            let attempt = so_far.made;
            self.inner.limiter.acquire().await;
            tracing::debug!(action, zone, attempt, "qingcloud request");
            let sent_at = self.inner.clock.instant();
            let result = self.attempt(action, zone, &params).await;
            let elapsed_ms = self
                .inner
                .clock
                .instant()
                .saturating_duration_since(sent_at)
                .as_millis() as u64;
            match &result {
                Err(e) if e.ret_code() == Some(2500) => self.inner.limiter.throttled(),
                _ => self.inner.limiter.answered(),
            }
            let err = match result {
                Ok(v) => {
                    tracing::debug!(action, zone, attempt, elapsed_ms, "qingcloud response ok");
                    return Ok(v);
                }
                Err(e) => e,
            };
            so_far.elapsed = self
                .inner
                .clock
                .instant()
                .saturating_duration_since(started);
            let decision = policy.decide(&err, idempotent, so_far, fastrand::f64());
            // Recorded only for API errors.
            let ret_code = err.ret_code();
            match decision {
                Decision::GiveUp => {
                    tracing::debug!(action, zone, attempt, elapsed_ms, ret_code, error = %err, "qingcloud call failed");
                    return Err(err);
                }
                Decision::RetryAfter(delay) => {
                    if err.retryable_kind() == RetryClass::FreshTimestampOnce {
                        so_far.fresh_timestamp_used = true;
                    }
                    tracing::debug!(
                        action,
                        zone,
                        attempt,
                        elapsed_ms,
                        ret_code,
                        delay_ms = delay.as_millis() as u64,
                        error = %err,
                        "qingcloud call will be retried"
                    );
                    if !delay.is_zero() {
                        self.inner.clock.sleep(delay).await;
                    }
                }
            }
        }
    }

    /// One signed request with a fresh `time_stamp`.
    async fn attempt(
        &self,
        action: &str,
        zone: &str,
        params: &[(String, String)],
    ) -> Result<Value, Error> {
        let config = &self.inner.config;
        let mut all: Vec<(&str, &str)> = params
            .iter()
            // The client owns these; a caller's copy would be sent twice and break the signature.
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "signature"
                        | "action"
                        | "zone"
                        | "access_key_id"
                        | "signature_method"
                        | "signature_version"
                        | "version"
                        | "time_stamp"
                )
            })
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let time_stamp = format_timestamp(self.inner.clock.now());
        all.extend([
            ("action", action),
            ("zone", zone),
            ("access_key_id", config.access_key.as_str()),
            ("signature_method", signer::SIGNATURE_METHOD),
            ("signature_version", signer::SIGNATURE_VERSION),
            ("version", "1"),
            ("time_stamp", time_stamp.as_str()),
        ]);
        let canonical = signer::canonical_query(&all);
        let query = signer::signed_query(
            config.secret_key.expose(),
            "GET",
            &config.endpoint.path,
            &canonical,
        );
        let url = format!("{}?{}", config.endpoint.base_url(), query);

        let err = |kind, detail: String| Error::Transport {
            kind,
            detail,
            action: action.to_string(),
            zone: zone.to_string(),
        };
        let response = self
            .inner
            .transport
            .get(url, config.timeout)
            .await
            .map_err(|f| err(f.kind, f.detail))?;
        if response.status != 200 {
            return Err(err(
                TransportKind::HttpStatus(response.status),
                String::new(),
            ));
        }
        let bad = |detail: String| Error::BadResponse {
            detail,
            action: action.to_string(),
            zone: zone.to_string(),
        };
        let body: Value = serde_json::from_slice(&response.body)
            .map_err(|e| bad(format!("body is not JSON: {e}")))?;
        let ret_code = match body.get("ret_code") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| bad("no ret_code in the response".into()))?;
        if ret_code != 0 {
            let message = body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            return Err(Error::Api {
                ret_code,
                message,
                action: action.to_string(),
                zone: zone.to_string(),
            });
        }
        Ok(body)
    }
}
