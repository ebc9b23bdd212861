//! One signed GET per attempt, retried by `RetryPolicy`, paced by the shared rate limiter
//! (which slows down when the server answers 2500).
//!
//! The HTTP layer sits behind `Transport` so tests can count and script requests without a
//! network (the default is one pooled reqwest client per `Client`).
//!
//! Cancellation. Dropping a `Client::call` future at any await point is safe: the request's
//! connection is closed instead of pooled, a rate-limiter token already taken is simply spent,
//! and nothing else is left half-done (a shared cluster lookup runs in its own task and its
//! other waiters still get their answer). What dropping cannot tell the caller is whether a
//! non-idempotent request already reached the server. `Client::call_cancellable` and
//! `Client::stop` end a call promptly with an error that says so (`Error::is_cancelled`,
//! `Error::outcome_unknown`): they stop pacing waits and backoff sleeps at once and cut off an
//! idempotent request in flight, but let a non-idempotent request that is already on the wire
//! finish (bounded by the per-attempt timeout), because its answer (a job id) is what tells the
//! caller what the server is now doing.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::clock::{Clock, SystemClock, format_timestamp};
use super::cluster_batch::ClusterBatches;
use super::credentials::ClientConfig;
use super::error::{Error, TlsFailure, TransportKind, describe_reqwest_error};
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

/// The rustls error somewhere in `err`'s chain of causes, if any.
///
/// reqwest wraps hyper's error, which wraps an `io::Error`, which wraps another `io::Error`
/// carrying the `rustls::Error`. `io::Error::source()` skips its own payload (it returns the
/// payload's source), so an `io::Error` with a payload is opened with `get_ref()` instead.
pub(crate) fn rustls_error_in<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut next = Some(err);
    // Bounded, in case some layer ever reports itself as its own cause.
    for _ in 0..32 {
        let e = next?;
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(payload) => Some(payload as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// Sorts a TLS error into what the user can do about it. Every rustls error during the
/// handshake is deterministic for a given server and trust store; transient trouble (a reset
/// or a timeout mid-handshake) surfaces as an I/O error without a rustls error inside.
pub(crate) fn tls_failure_of(err: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::WrongHost,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsFailure::NotValidNow,
            _ => TlsFailure::Untrusted,
        },
        // The first bytes back were not a TLS record: a plain-HTTP server answering our
        // ClientHello with "HTTP/1.1 400", for instance.
        rustls::Error::InvalidMessage(_) => TlsFailure::NotTls,
        _ => TlsFailure::Handshake,
    }
}

fn failure_of(err: reqwest::Error) -> TransportFailure {
    if let Some(tls) = rustls_error_in(&err) {
        // rustls's own text ("invalid peer certificate: UnknownIssuer") is the precise reason;
        // reqwest's wrapping around it adds nothing a person needs.
        return TransportFailure {
            kind: TransportKind::Tls(tls_failure_of(tls)),
            detail: super::error::scrub_query(&tls.to_string()),
        };
    }
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
    /// Fired by `Client::stop`: every call of every clone ends promptly.
    stop: CancellationToken,
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
                stop: CancellationToken::new(),
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

    /// Ends every call of this client and its clones promptly, now and from now on, including
    /// those made by background tasks (shared cluster lookups, job polling): meant for
    /// Terraform's StopProvider, after which the process is about to exit. See the module
    /// documentation for what "promptly" means for non-idempotent calls.
    pub fn stop(&self) {
        self.inner.stop.cancel();
    }

    pub fn is_stopped(&self) -> bool {
        self.inner.stop.is_cancelled()
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
        self.call_until(action, zone, params, idempotent, None)
            .await
    }

    /// `call`, ending early with an `is_cancelled()` error once `cancel` fires (or the client
    /// is stopped): pacing waits and backoff sleeps end at once, an idempotent request in
    /// flight is abandoned, a non-idempotent one already sent is allowed to finish. Cheap: no
    /// task is spawned, the token is only polled alongside the call.
    pub async fn call_cancellable(
        &self,
        action: &str,
        zone: &str,
        params: Vec<(String, String)>,
        idempotent: bool,
        cancel: &CancellationToken,
    ) -> Result<Value, Error> {
        self.call_until(action, zone, params, idempotent, Some(cancel))
            .await
    }

    /// Resolves once the client is stopped or `cancel` fires; never when neither can happen.
    async fn cancelled(&self, cancel: Option<&CancellationToken>) {
        match cancel {
            Some(token) => tokio::select! {
                _ = self.inner.stop.cancelled() => {}
                _ = token.cancelled() => {}
            },
            None => self.inner.stop.cancelled().await,
        }
    }

    fn is_cancelled(&self, cancel: Option<&CancellationToken>) -> bool {
        self.is_stopped() || cancel.is_some_and(CancellationToken::is_cancelled)
    }

    async fn call_until(
        &self,
        action: &str,
        zone: &str,
        params: Vec<(String, String)>,
        idempotent: bool,
        cancel: Option<&CancellationToken>,
    ) -> Result<Value, Error> {
        let policy = &self.inner.config.retry;
        let started = self.inner.clock.instant();
        let mut so_far = Attempts::default();
        let cancelled = || Error::Transport {
            kind: TransportKind::Cancelled,
            detail: String::new(),
            action: action.to_string(),
            zone: zone.to_string(),
        };
        loop {
            // `biased`: work that is already done wins over a cancellation that arrived with it.
            tokio::select! {
                biased;
                _ = self.inner.limiter.acquire() => {}
                _ = self.cancelled(cancel) => return Err(cancelled()),
            }
            // The pacing wait may have ended on its own just as the token fired.
            if self.is_cancelled(cancel) {
                return Err(cancelled());
            }
            so_far.made += 1;
            let attempt = so_far.made;
            tracing::debug!(action, zone, attempt, "qingcloud request");
            let sent_at = self.inner.clock.instant();
            let result = if idempotent {
                tokio::select! {
                    biased;
                    result = self.attempt(action, zone, &params) => result,
                    _ = self.cancelled(cancel) => return Err(cancelled()),
                }
            } else {
                // Its answer says what the server is now doing: worth the wait.
                self.attempt(action, zone, &params).await
            };
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
            if err.retryable_kind() == RetryClass::OddAnswer {
                so_far.odd_answers += 1;
            }
            let decision = policy.decide(&err, idempotent, so_far, fastrand::f64());
            // Recorded only for API errors.
            let ret_code = err.ret_code();
            match decision {
                Decision::GiveUp => {
                    tracing::debug!(action, zone, attempt, elapsed_ms, ret_code, error = %err, "qingcloud call failed");
                    return Err(self.explain(err, so_far));
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
                        // A retry only follows a failure where the server did not act (or
                        // the call is idempotent), so stopping here loses nothing.
                        tokio::select! {
                            biased;
                            _ = self.inner.clock.sleep(delay) => {}
                            _ = self.cancelled(cancel) => return Err(cancelled()),
                        }
                    }
                }
            }
        }
    }

    /// Adds to a final error what the user needs to act on it: where the refused credentials
    /// or the misbehaving endpoint were configured, and how long the retries took. Never a
    /// secret: origins are descriptions, the endpoint has no query.
    fn explain(&self, err: Error, so_far: Attempts) -> Error {
        let origins = &self.inner.config.origins;
        let endpoint = || {
            format!(
                "{}, from {}",
                self.inner.config.endpoint.base_url(),
                origins.endpoint
            )
        };
        let attempts = || {
            format!(
                "gave up after {} attempt{} over {:.1}s",
                so_far.made,
                if so_far.made == 1 { "" } else { "s" },
                so_far.elapsed.as_secs_f64()
            )
        };
        match err {
            Error::Api {
                ret_code,
                message,
                action,
                zone,
            } => {
                let hint = match ret_code {
                    1200 => Some(format!(
                        "QingCloud did not accept the credentials: the access key {} comes from \
                         {} and the secret key from {}; check that they belong together, are \
                         active, and are meant for {}",
                        self.inner.config.access_key,
                        origins.access_key,
                        origins.secret_key,
                        self.inner.config.endpoint.base_url(),
                    )),
                    1300 => Some(format!(
                        "check this machine's clock: QingCloud refuses requests whose \
                         time_stamp is more than about a minute off (this machine sent {})",
                        format_timestamp(self.inner.clock.now())
                    )),
                    _ => None,
                };
                let message = match hint {
                    Some(hint) if message.is_empty() => hint,
                    Some(hint) => format!("{message}; {hint}"),
                    None => message,
                };
                Error::Api {
                    ret_code,
                    message,
                    action,
                    zone,
                }
            }
            Error::Transport {
                kind,
                mut detail,
                action,
                zone,
            } => {
                let mut add = |part: String| {
                    if !detail.is_empty() {
                        detail.push_str("; ");
                    }
                    detail.push_str(&part);
                };
                if let TransportKind::Tls(_) = kind {
                    add(format!("endpoint {}", endpoint()));
                }
                if so_far.made > 1 {
                    add(attempts());
                }
                Error::Transport {
                    kind,
                    detail,
                    action,
                    zone,
                }
            }
            Error::BadResponse {
                detail,
                action,
                zone,
            } => Error::BadResponse {
                detail: format!(
                    "{detail}; {}; check that `endpoint` ({}) is the QingCloud API",
                    attempts(),
                    endpoint()
                ),
                action,
                zone,
            },
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
        // The body itself never goes into the error: an error page may echo the request URL,
        // and with it the signature.
        let body: Value = serde_json::from_slice(&response.body)
            .map_err(|_| bad(describe_odd_body(&response.body).into()))?;
        let ret_code = match body.get("ret_code") {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| bad("HTTP 200 with JSON that has no ret_code".into()))?;
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

/// Says what kind of body a 200 that is not JSON carried, without quoting it.
fn describe_odd_body(body: &[u8]) -> &'static str {
    let start = body.trim_ascii_start();
    if start.is_empty() {
        "HTTP 200 with an empty body"
    } else if start.first() == Some(&b'<') {
        "HTTP 200 with an HTML page"
    } else {
        "HTTP 200 with a body that is not JSON"
    }
}
