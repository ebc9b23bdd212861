//! When to send a failed request again, as data plus one decision function, so that the
//! classification table and the backoff schedule can be tested without any network.

use std::time::Duration;

use super::error::{Error, TransportKind};

/// How an error may be retried, before looking at idempotence or the attempt count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryClass {
    /// Transient (transport, 5000/5100/5300, HTTP 5xx): exponential backoff with jitter.
    Backoff,
    /// 2500, quota including the API call-rate limit: the same, but slower.
    SlowBackoff,
    /// 1300, expired `time_stamp`: once, at once, with a fresh timestamp.
    FreshTimestampOnce,
    /// 1400, busy: returned to the caller, who knows what to wait for.
    Busy,
    /// HTTP 200 that is not an API answer (HTML, empty, not JSON, no `ret_code`): a proxy's
    /// error page can go away, but a wrong `endpoint` never does, so only a few attempts
    /// (`RetryPolicy::odd_answer_max_attempts`).
    OddAnswer,
    /// Everything else (1100, 1101, 1200, 2100, 2400, HTTP 4xx, unknown codes), and what
    /// cannot heal by itself: TLS failures (an untrusted certificate, a plain-HTTP port), a
    /// client that cannot be set up.
    Never,
}

pub(crate) fn classify(err: &Error) -> RetryClass {
    match err {
        Error::Api { ret_code, .. } => match ret_code {
            5000 | 5100 | 5300 => RetryClass::Backoff,
            2500 => RetryClass::SlowBackoff,
            1300 => RetryClass::FreshTimestampOnce,
            1400 => RetryClass::Busy,
            _ => RetryClass::Never,
        },
        Error::Transport { kind, .. } => match kind {
            TransportKind::HttpStatus(429) => RetryClass::SlowBackoff,
            TransportKind::HttpStatus(code) if *code < 500 => RetryClass::Never,
            TransportKind::Setup | TransportKind::Tls(_) => RetryClass::Never,
            TransportKind::Connect
            | TransportKind::Timeout
            | TransportKind::Reset
            | TransportKind::HttpStatus(_)
            | TransportKind::BadBody
            | TransportKind::Other => RetryClass::Backoff,
        },
        // A body cut short shows up as `BadBody`; a complete 200 that is not the API's JSON
        // is most often the wrong server, so it is retried only a little.
        Error::BadResponse { .. } => RetryClass::OddAnswer,
        // Asking again gives the same answer.
        Error::UnusableAnswer { .. } => RetryClass::Never,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included (1 = never retry).
    pub(crate) max_attempts: u32,
    /// Delay before the first retry; doubles with each further retry.
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    /// Fraction (0..=1) of each delay that is randomised away, so clients that failed together
    /// do not retry together. 0 gives the exact schedule.
    pub(crate) jitter: f64,
    /// No retry starts once this much time has passed since the first attempt.
    pub(crate) total_budget: Duration,
    /// Base delay for ret_code 2500 (quota / call-rate limit).
    pub(crate) rate_limit_base_delay: Duration,
    pub(crate) rate_limit_max_delay: Duration,
    /// Attempts in total while the answers are not the API's (`RetryClass::OddAnswer`).
    pub(crate) odd_answer_max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // Many attempts, bounded by time rather than by count, so that a bad hour of the API
        // does not fail applies (why 25: docs/performance.md). The pacer already slows
        // everything after a 2500, so its own backoff can be moderate.
        RetryPolicy {
            max_attempts: 25,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            jitter: 0.5,
            total_budget: Duration::from_secs(120),
            rate_limit_base_delay: Duration::from_secs(2),
            rate_limit_max_delay: Duration::from_secs(20),
            // Enough to ride out one error page from a proxy in the middle of a reload (about
            // 1.5 s with the delays above), short enough that a wrong endpoint fails at once.
            odd_answer_max_attempts: 3,
        }
    }
}

/// What the client does after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    RetryAfter(Duration),
    GiveUp,
}

/// What the retry loop knows about the call so far.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Attempts {
    /// Attempts made so far (1 after the first).
    pub(crate) made: u32,
    /// Time since the first attempt started.
    pub(crate) elapsed: Duration,
    /// Whether a 1300 has already been retried once.
    pub(crate) fresh_timestamp_used: bool,
    /// How many of the attempts got an answer that was not the API's (`RetryClass::OddAnswer`).
    pub(crate) odd_answers: u32,
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1-based), `rand01` in [0, 1) supplies the jitter.
    pub(crate) fn backoff(&self, retry: u32, slow: bool, rand01: f64) -> Duration {
        let (base, cap) = if slow {
            (self.rate_limit_base_delay, self.rate_limit_max_delay)
        } else {
            (self.base_delay, self.max_delay)
        };
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let full = base.saturating_mul(factor).min(cap);
        let jitter = self.jitter.clamp(0.0, 1.0) * rand01.clamp(0.0, 1.0);
        full.mul_f64(1.0 - jitter)
    }

    /// Decides whether to send again. `idempotent == false` means the server must certainly not
    /// have acted on the failed attempt: only a connect error or an answer with a ret_code qualify.
    pub(crate) fn decide(
        &self,
        err: &Error,
        idempotent: bool,
        so_far: Attempts,
        rand01: f64,
    ) -> Decision {
        if !idempotent && err.outcome_unknown() {
            return Decision::GiveUp;
        }
        let slow = match classify(err) {
            RetryClass::Never | RetryClass::Busy => return Decision::GiveUp,
            RetryClass::OddAnswer => {
                if so_far.odd_answers >= self.odd_answer_max_attempts {
                    return Decision::GiveUp;
                }
                false
            }
            RetryClass::FreshTimestampOnce => {
                // Independent of the attempt budget: it fixes our side, not the server's.
                return if so_far.fresh_timestamp_used {
                    Decision::GiveUp
                } else {
                    Decision::RetryAfter(Duration::ZERO)
                };
            }
            RetryClass::Backoff => false,
            RetryClass::SlowBackoff => true,
        };
        if so_far.made >= self.max_attempts {
            return Decision::GiveUp;
        }
        let delay = self.backoff(so_far.made, slow, rand01);
        if so_far.elapsed.saturating_add(delay) > self.total_budget {
            return Decision::GiveUp;
        }
        Decision::RetryAfter(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TlsFailure;

    fn api(code: i64) -> Error {
        Error::Api {
            ret_code: code,
            message: String::new(),
            action: "A".into(),
            zone: "z".into(),
        }
    }

    fn transport(kind: TransportKind) -> Error {
        Error::Transport {
            kind,
            detail: String::new(),
            action: "A".into(),
            zone: "z".into(),
        }
    }

    fn odd() -> Error {
        Error::BadResponse {
            detail: String::new(),
            action: "A".into(),
            zone: "z".into(),
        }
    }

    fn first() -> Attempts {
        Attempts {
            made: 1,
            ..Attempts::default()
        }
    }

    #[test]
    fn classification_table() {
        for code in [5000, 5100, 5300] {
            assert_eq!(classify(&api(code)), RetryClass::Backoff, "{code}");
        }
        assert_eq!(classify(&api(2500)), RetryClass::SlowBackoff);
        assert_eq!(classify(&api(1300)), RetryClass::FreshTimestampOnce);
        assert_eq!(classify(&api(1400)), RetryClass::Busy);
        for code in [1100, 1101, 1200, 2100, 2400, 9999] {
            assert_eq!(classify(&api(code)), RetryClass::Never, "{code}");
        }
        for kind in [
            TransportKind::Connect,
            TransportKind::Timeout,
            TransportKind::Reset,
            TransportKind::BadBody,
            TransportKind::Other,
            TransportKind::HttpStatus(502),
            TransportKind::HttpStatus(503),
        ] {
            assert_eq!(classify(&transport(kind)), RetryClass::Backoff, "{kind}");
        }
        for kind in [
            TransportKind::Setup,
            TransportKind::Tls(TlsFailure::Untrusted),
            TransportKind::Tls(TlsFailure::WrongHost),
            TransportKind::Tls(TlsFailure::NotValidNow),
            TransportKind::Tls(TlsFailure::NotTls),
            TransportKind::Tls(TlsFailure::Handshake),
        ] {
            assert_eq!(classify(&transport(kind)), RetryClass::Never, "{kind}");
        }
        assert_eq!(classify(&odd()), RetryClass::OddAnswer);
        assert_eq!(
            classify(&transport(TransportKind::HttpStatus(429))),
            RetryClass::SlowBackoff
        );
        assert_eq!(
            classify(&transport(TransportKind::HttpStatus(403))),
            RetryClass::Never
        );
    }

    #[test]
    fn backoff_schedule_doubles_up_to_the_cap() {
        let p = RetryPolicy {
            jitter: 0.0,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(3),
            ..RetryPolicy::default()
        };
        let schedule: Vec<_> = (1..=6).map(|n| p.backoff(n, false, 0.7)).collect();
        assert_eq!(
            schedule,
            [500, 1000, 2000, 3000, 3000, 3000].map(Duration::from_millis)
        );
        let slow: Vec<_> = (1..=5).map(|n| p.backoff(n, true, 0.0)).collect();
        assert_eq!(slow, [2, 4, 8, 16, 20].map(Duration::from_secs));
        // Huge retry numbers saturate instead of overflowing.
        assert_eq!(p.backoff(u32::MAX, false, 0.0), Duration::from_secs(3));
    }

    #[test]
    fn jitter_only_shortens_within_its_fraction() {
        let p = RetryPolicy {
            jitter: 0.5,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(2, false, 0.0), Duration::from_secs(1));
        assert_eq!(p.backoff(2, false, 0.5), Duration::from_millis(750));
        assert!(p.backoff(2, false, 0.999_999) >= Duration::from_millis(500));
    }

    #[test]
    fn idempotent_decisions() {
        let p = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(
            p.decide(&api(5100), true, first(), 0.0),
            Decision::RetryAfter(Duration::from_millis(500))
        );
        assert_eq!(
            p.decide(&transport(TransportKind::Timeout), true, first(), 0.0),
            Decision::RetryAfter(Duration::from_millis(500))
        );
        assert_eq!(
            p.decide(&api(2500), true, first(), 0.0),
            Decision::RetryAfter(Duration::from_secs(2))
        );
        for code in [1100, 1101, 1200, 1400, 2100, 2400] {
            assert_eq!(p.decide(&api(code), true, first(), 0.0), Decision::GiveUp);
        }
        // The attempt budget.
        let last = Attempts {
            made: 25,
            ..Attempts::default()
        };
        assert_eq!(p.decide(&api(5000), true, last, 0.0), Decision::GiveUp);
        // The time budget.
        let late = Attempts {
            made: 1,
            elapsed: Duration::from_secs(120),
            ..Attempts::default()
        };
        assert_eq!(p.decide(&api(5000), true, late, 0.0), Decision::GiveUp);
    }

    #[test]
    fn expired_timestamp_is_retried_once_at_once() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(&api(1300), false, first(), 0.0),
            Decision::RetryAfter(Duration::ZERO)
        );
        let used = Attempts {
            made: 2,
            fresh_timestamp_used: true,
            ..Attempts::default()
        };
        assert_eq!(p.decide(&api(1300), true, used, 0.0), Decision::GiveUp);
    }

    #[test]
    fn non_idempotent_only_when_the_server_certainly_did_not_act() {
        let p = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        let retried = Decision::RetryAfter(Duration::from_millis(500));
        assert_eq!(
            p.decide(&transport(TransportKind::Connect), false, first(), 0.0),
            retried
        );
        assert_eq!(p.decide(&api(5100), false, first(), 0.0), retried);
        for kind in [
            TransportKind::Timeout,
            TransportKind::Reset,
            TransportKind::BadBody,
            TransportKind::Other,
            TransportKind::HttpStatus(503),
        ] {
            assert_eq!(
                p.decide(&transport(kind), false, first(), 0.0),
                Decision::GiveUp,
                "{kind}"
            );
        }
        let bad = odd();
        let one_odd = Attempts {
            odd_answers: 1,
            ..first()
        };
        assert_eq!(p.decide(&bad, false, one_odd, 0.0), Decision::GiveUp);
        assert_eq!(p.decide(&bad, true, one_odd, 0.0), retried);
        // TLS failures happen before anything is sent, but resending cannot fix them either.
        let tls = transport(TransportKind::Tls(TlsFailure::Untrusted));
        assert!(!tls.outcome_unknown());
        assert_eq!(p.decide(&tls, false, first(), 0.0), Decision::GiveUp);
    }

    #[test]
    fn unhealable_failures_are_not_retried_at_all() {
        let p = RetryPolicy::default();
        for kind in [
            TransportKind::Tls(TlsFailure::Untrusted),
            TransportKind::Tls(TlsFailure::NotTls),
            TransportKind::Setup,
        ] {
            assert_eq!(
                p.decide(&transport(kind), true, first(), 0.0),
                Decision::GiveUp,
                "{kind}"
            );
        }
    }

    #[test]
    fn answers_that_are_not_the_apis_get_three_attempts_whatever_else_failed() {
        let p = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.odd_answer_max_attempts, 3);
        let after = |made, odd_answers| Attempts {
            made,
            odd_answers,
            ..Attempts::default()
        };
        assert_eq!(
            p.decide(&odd(), true, after(1, 1), 0.0),
            Decision::RetryAfter(Duration::from_millis(500))
        );
        assert_eq!(
            p.decide(&odd(), true, after(2, 2), 0.0),
            Decision::RetryAfter(Duration::from_secs(1))
        );
        assert_eq!(p.decide(&odd(), true, after(3, 3), 0.0), Decision::GiveUp);
        // Earlier timeouts do not use up the odd-answer budget; the overall one still holds.
        assert_eq!(
            p.decide(&odd(), true, after(10, 1), 0.0),
            Decision::RetryAfter(Duration::from_secs(8))
        );
        assert_eq!(p.decide(&odd(), true, after(25, 1), 0.0), Decision::GiveUp);
    }

    #[test]
    fn never_retry_policy() {
        // One attempt in total: never retry.
        let p = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        assert_eq!(p.decide(&api(5100), true, first(), 0.0), Decision::GiveUp);
    }
}
