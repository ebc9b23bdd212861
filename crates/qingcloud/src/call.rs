//! The one call path: every API call is signed (`signer`) with a fresh `time_stamp`, paced by
//! the shared rate limiter (which slows down when the server answers 2500), sent through the
//! `Transport`, and retried as `RetryPolicy::decide` says. Whatever the client does (lookups,
//! job polling, listings, the SSL service) goes through `CallPath::call`.
//!
//! Cancellation is dropping: a `call` future may be dropped at any await point. The request's
//! connection is closed instead of pooled, a rate-limiter token already taken is simply spent,
//! and nothing else is left half-done. Dropping cannot tell whether a non-idempotent request
//! already reached the server, so a caller that needs to know does not drop one: its answer (a
//! job id) says what the server is now doing.

use std::sync::Arc;

use serde_json::Value;

use super::clock::{Clock, format_timestamp};
use super::credentials::ClientConfig;
use super::error::{Error, TransportKind};
use super::gather::Gather;
use super::rate_limit::RateLimiter;
use super::retry::{Attempts, Decision, RetryClass, classify};
use super::signer;
use super::transport::Transport;

/// Signing, pacing, sending and retrying, shared by every clone of a `Client`.
pub(crate) struct CallPath {
    config: ClientConfig,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    limiter: RateLimiter,
    /// The measured round trip, which sets how long shared lookups gather.
    gather: Arc<Gather>,
}

impl CallPath {
    pub(crate) fn new(
        config: ClientConfig,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> CallPath {
        let limiter = RateLimiter::new(config.rate_limit, clock.clone());
        CallPath {
            config,
            transport,
            clock,
            limiter,
            gather: Arc::default(),
        }
    }

    pub(crate) fn gather(&self) -> &Arc<Gather> {
        &self.gather
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Calls `action` in `zone`. `idempotent == false` restricts retries to failures where the
    /// server certainly did not act; an ambiguous failure comes back with `outcome_unknown()`.
    pub(crate) async fn call(
        &self,
        action: &str,
        zone: &str,
        params: Vec<(String, String)>,
        idempotent: bool,
    ) -> Result<Value, Error> {
        let policy = &self.config.retry;
        let started = self.clock.instant();
        let mut so_far = Attempts::default();
        loop {
            self.limiter.acquire().await;
            so_far.made += 1;
            let attempt = so_far.made;
            tracing::debug!(action, zone, attempt, "qingcloud request");
            let sent_at = self.clock.instant();
            let result = self.attempt(action, zone, &params).await;
            let elapsed = self.clock.instant().saturating_duration_since(sent_at);
            let elapsed_ms = elapsed.as_millis() as u64;
            // Only an answer of the server measures the round trip, not a failure to reach it.
            if result
                .as_ref()
                .map_or_else(|e| e.ret_code().is_some(), |_| true)
            {
                self.gather.observe(elapsed);
            }
            match &result {
                Err(e) if e.ret_code() == Some(2500) => self.limiter.throttled(),
                _ => self.limiter.answered(),
            }
            let err = match result {
                Ok(v) => {
                    tracing::debug!(action, zone, attempt, elapsed_ms, "qingcloud response ok");
                    return Ok(v);
                }
                Err(e) => e,
            };
            so_far.elapsed = self.clock.instant().saturating_duration_since(started);
            let class = classify(&err);
            if class == RetryClass::OddAnswer {
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
                    if class == RetryClass::FreshTimestampOnce {
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
                        self.clock.sleep(delay).await;
                    }
                }
            }
        }
    }

    /// Adds to a final error what the user needs to act on it: where the refused credentials
    /// or the misbehaving endpoint were configured, and how long the retries took. Never a
    /// secret: origins are descriptions, the endpoint has no query.
    fn explain(&self, err: Error, so_far: Attempts) -> Error {
        let origins = &self.config.origins;
        let endpoint = || {
            format!(
                "{}, from {}",
                self.config.endpoint.base_url(),
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
                        self.config.access_key,
                        origins.access_key,
                        origins.secret_key,
                        self.config.endpoint.base_url(),
                    )),
                    1300 => Some(format!(
                        "check this machine's clock: QingCloud refuses requests whose \
                         time_stamp is more than about a minute off (this machine sent {})",
                        format_timestamp(self.clock.now())
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
            // Raised by the action's reader after the call; nothing to add here.
            e @ Error::UnusableAnswer { .. } => e,
        }
    }

    /// One signed request with a fresh `time_stamp`.
    async fn attempt(
        &self,
        action: &str,
        zone: &str,
        params: &[(String, String)],
    ) -> Result<Value, Error> {
        let config = &self.config;
        let mut all: Vec<(&str, &str)> = params
            .iter()
            // The call path owns these; a caller's copy would be sent twice and break the signature.
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
        let time_stamp = format_timestamp(self.clock.now());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{Endpoint, Origins};
    use crate::error::TlsFailure;
    use crate::retry::RetryPolicy;
    use crate::testing::{TestClock, test_config};
    use crate::transport::{HttpResponse, TransportFailure, TransportFuture};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

    type Answer = Result<HttpResponse, TransportFailure>;

    /// Answers request number n (1-based) with `answer(n)` after `delay(n)` on tokio's clock,
    /// counting the requests sent and the answers delivered.
    struct Scripted {
        answer: Box<dyn Fn(usize) -> Answer + Send + Sync>,
        delay: Box<dyn Fn(usize) -> Duration + Send + Sync>,
        sent: Arc<AtomicUsize>,
        delivered: Arc<AtomicUsize>,
    }

    impl Transport for Scripted {
        fn get(&self, _url: String, _timeout: Duration) -> TransportFuture {
            let n = self.sent.fetch_add(1, Ordering::SeqCst) + 1;
            let (answer, delay) = ((self.answer)(n), (self.delay)(n));
            let delivered = self.delivered.clone();
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                delivered.fetch_add(1, Ordering::SeqCst);
                answer
            })
        }
    }

    struct Fixture {
        api: CallPath,
        sent: Arc<AtomicUsize>,
        delivered: Arc<AtomicUsize>,
    }

    impl Fixture {
        fn sent(&self) -> usize {
            self.sent.load(Ordering::SeqCst)
        }
        fn delivered(&self) -> usize {
            self.delivered.load(Ordering::SeqCst)
        }
    }

    /// A call path with the production retry policy over a scripted transport and tokio's clock.
    fn fixture(
        answer: impl Fn(usize) -> Answer + Send + Sync + 'static,
        delay: impl Fn(usize) -> Duration + Send + Sync + 'static,
    ) -> Fixture {
        let mut config = test_config(Endpoint::parse("https://qc.example.com/iaas/").unwrap());
        config.retry = RetryPolicy::default();
        config.origins = Origins {
            access_key: "the environment variable QINGCLOUD_ACCESS_KEY".into(),
            secret_key: "`qy_secret_access_key` in /home/me/.qingcloud/config.yaml".into(),
            endpoint: "the provider argument `endpoint`".into(),
        };
        let (sent, delivered) = (Arc::default(), Arc::default());
        let transport = Arc::new(Scripted {
            answer: Box::new(answer),
            delay: Box::new(delay),
            sent: Arc::clone(&sent),
            delivered: Arc::clone(&delivered),
        });
        Fixture {
            api: CallPath::new(config, transport, TestClock::new()),
            sent,
            delivered,
        }
    }

    fn body(text: &str) -> Answer {
        Ok(HttpResponse {
            status: 200,
            body: text.as_bytes().to_vec(),
        })
    }

    fn no_delay(_: usize) -> Duration {
        Duration::ZERO
    }

    async fn read(api: &CallPath) -> Result<Value, Error> {
        let params = vec![("clusters.1".to_string(), "cl-1".to_string())];
        api.call("DescribeClusters", "pek3a", params, true).await
    }

    #[test]
    fn odd_bodies_are_described_not_quoted() {
        assert_eq!(describe_odd_body(b""), "HTTP 200 with an empty body");
        assert_eq!(describe_odd_body(b" \n"), "HTTP 200 with an empty body");
        assert_eq!(
            describe_odd_body(b"\n<!DOCTYPE html><p>/iaas/?signature=x"),
            "HTTP 200 with an HTML page"
        );
        assert_eq!(
            describe_odd_body(b"Service Unavailable"),
            "HTTP 200 with a body that is not JSON"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn html_answers_give_up_after_three_attempts_within_seconds() {
        let f = fixture(|_| body("<html>maintenance</html>"), no_delay);
        let started = Instant::now();
        let err = read(&f.api).await.unwrap_err();
        let took = started.elapsed();
        assert_eq!(f.sent(), 3);
        // Two backoffs of 0.5 s and 1 s, each shortened by up to half (jitter).
        assert!(
            took >= Duration::from_millis(750) && took <= Duration::from_millis(1500),
            "{took:?}"
        );
        let text = err.to_string();
        assert!(text.contains("HTTP 200 with an HTML page"), "{text}");
        assert!(
            text.contains(&format!(
                "gave up after 3 attempts over {:.1}s",
                took.as_secs_f64()
            )),
            "{text}"
        );
        assert!(
            text.contains(
                "check that `endpoint` (https://qc.example.com:443/iaas/, from the provider \
                 argument `endpoint`) is the QingCloud API"
            ),
            "{text}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tls_failures_are_not_retried() {
        let f = fixture(
            |_| {
                Err(TransportFailure {
                    kind: TransportKind::Tls(TlsFailure::Untrusted),
                    detail: "invalid peer certificate: UnknownIssuer".into(),
                })
            },
            no_delay,
        );
        let started = Instant::now();
        let err = read(&f.api).await.unwrap_err();
        assert_eq!((f.sent(), started.elapsed()), (1, Duration::ZERO));
        assert_eq!(
            err.to_string(),
            "QingCloud DescribeClusters in zone pek3a: the server's TLS certificate is not \
             trusted (invalid peer certificate: UnknownIssuer; endpoint \
             https://qc.example.com:443/iaas/, from the provider argument `endpoint`): check \
             `endpoint`, or install its CA / set SSL_CERT_FILE"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn refused_credentials_say_where_they_came_from() {
        let f = fixture(
            |_| body(r#"{"ret_code":1200,"message":"AuthFailure, signature not matched"}"#),
            no_delay,
        );
        let err = read(&f.api).await.unwrap_err();
        assert_eq!((err.ret_code(), f.sent()), (Some(1200), 1));
        assert_eq!(
            err.to_string(),
            "QingCloud DescribeClusters in zone pek3a failed with ret_code 1200: AuthFailure, \
             signature not matched; QingCloud did not accept the credentials: the access key \
             QYACCESSKEYIDEXAMPLE comes from the environment variable QINGCLOUD_ACCESS_KEY and \
             the secret key from `qy_secret_access_key` in /home/me/.qingcloud/config.yaml; \
             check that they belong together, are active, and are meant for \
             https://qc.example.com:443/iaas/"
        );
        assert!(!format!("{err} {err:?}").contains("SECRETACCESSKEY"));
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_time_stamp_points_at_the_clock() {
        let f = fixture(
            |_| body(r#"{"ret_code":1300,"message":"RequestExpired"}"#),
            no_delay,
        );
        let err = read(&f.api).await.unwrap_err();
        // Once more with a fresh time_stamp, then the hint.
        assert_eq!((err.ret_code(), f.sent()), (Some(1300), 2));
        let text = err.to_string();
        assert!(
            text.starts_with(
                "QingCloud DescribeClusters in zone pek3a failed with ret_code 1300: \
                 RequestExpired; check this machine's clock: QingCloud refuses requests whose \
                 time_stamp is more than about a minute off (this machine sent 2024-01-01T00:00:"
            ),
            "{text}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_a_call_mid_flight_leaves_the_client_usable() {
        // The first request hangs; later ones answer at once.
        let f = fixture(
            |_| body(r#"{"ret_code":0}"#),
            |n| {
                if n == 1 {
                    Duration::from_secs(3600)
                } else {
                    Duration::ZERO
                }
            },
        );
        let dropped = tokio::time::timeout(Duration::from_secs(1), read(&f.api)).await;
        assert!(dropped.is_err(), "the first call should still be waiting");
        read(&f.api).await.unwrap();
        assert_eq!((f.sent(), f.delivered()), (2, 1));
    }
}
