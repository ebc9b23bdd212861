//! Errors of one API call.
//!
//! Two families matter to callers: the server answered with a `ret_code` (`Api`), or we never got
//! a usable answer (`Transport`, `BadResponse`). For a non-idempotent action the second family
//! splits again: did the request certainly not reach the server (safe to resend), or might it have
//! acted (`outcome_unknown`, look before resending)? No variant ever carries a URL, query string,
//! signature or secret: the request URL contains the signature, so reqwest's messages are stripped
//! of it before they get here.

use std::fmt;

/// What went wrong below the API level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Could not connect (refused, DNS, TLS handshake, connect timeout): nothing was sent.
    Connect,
    /// No complete answer in time, after the request may have been sent.
    Timeout,
    /// The connection was reset or closed before a complete answer.
    Reset,
    /// The server answered with an HTTP status other than 200.
    HttpStatus(u16),
    /// Reading the response body failed half-way.
    BadBody,
    /// Anything else the HTTP stack reports; treated as ambiguous.
    Other,
    /// The HTTP client could not be set up (no usable CA certificates, say): nothing was sent,
    /// and trying again cannot help.
    Setup,
    /// The TLS handshake failed: nothing was sent, and (unlike a dropped connection) the same
    /// server will fail the same way next time.
    Tls(TlsFailure),
}

/// Why a TLS handshake failed, in the terms a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The certificate does not lead to a CA this machine trusts (self-signed, a private CA,
    /// a CA certificate used as a server certificate, a bad signature).
    Untrusted,
    /// The certificate is trusted but names another host.
    WrongHost,
    /// The certificate has expired or is not valid yet (or this machine's clock is off).
    NotValidNow,
    /// The server answered the handshake with something that is not TLS at all: most likely a
    /// plain-HTTP port behind an https:// endpoint.
    NotTls,
    /// Any other handshake failure (no common protocol version or cipher, an alert).
    Handshake,
}

impl TlsFailure {
    /// What to do about it; empty when there is nothing more specific than the message.
    pub(crate) fn advice(self) -> &'static str {
        match self {
            TlsFailure::Untrusted => "check `endpoint`, or install its CA / set SSL_CERT_FILE",
            TlsFailure::WrongHost => "check the host name in `endpoint`",
            TlsFailure::NotValidNow => "check `endpoint` and this machine's clock",
            TlsFailure::NotTls => "",
            TlsFailure::Handshake => "check `endpoint`",
        }
    }
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsFailure::Untrusted => "the server's TLS certificate is not trusted",
            TlsFailure::WrongHost => "the server's TLS certificate is for another host",
            TlsFailure::NotValidNow => {
                "the server's TLS certificate has expired or is not valid yet"
            }
            TlsFailure::NotTls => "the endpoint does not speak TLS: is it an http:// endpoint?",
            TlsFailure::Handshake => "the TLS handshake with the server failed",
        })
    }
}

impl TransportKind {
    /// True when the request may have reached the server and been acted on.
    pub(crate) fn maybe_sent(self) -> bool {
        match self {
            TransportKind::Connect | TransportKind::Setup | TransportKind::Tls(_) => false,
            // A 4xx comes from a front end that refused the request; a 5xx may come from a proxy
            // after the backend already started the work, so only 5xx is ambiguous.
            TransportKind::HttpStatus(code) => code >= 500,
            TransportKind::Timeout
            | TransportKind::Reset
            | TransportKind::BadBody
            | TransportKind::Other => true,
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportKind::Connect => f.write_str("connection failed"),
            TransportKind::Timeout => f.write_str("timed out"),
            TransportKind::Reset => f.write_str("connection reset or closed"),
            TransportKind::HttpStatus(code) => write!(f, "HTTP status {code}"),
            TransportKind::BadBody => f.write_str("response body could not be read"),
            TransportKind::Other => f.write_str("request failed"),
            TransportKind::Setup => f.write_str("the HTTP client could not be set up"),
            TransportKind::Tls(failure) => failure.fmt(f),
        }
    }
}

/// The error of one `CallPath::call` (after its retries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The server answered with `ret_code != 0`.
    Api {
        ret_code: i64,
        message: String,
        action: String,
        zone: String,
    },
    /// No usable HTTP answer. `detail` never contains the URL.
    Transport {
        kind: TransportKind,
        detail: String,
        action: String,
        zone: String,
    },
    /// HTTP 200 but the body is not the JSON we expect.
    BadResponse {
        detail: String,
        action: String,
        zone: String,
    },
    /// A well-formed answer (ret_code 0) that cannot be used: a list key missing, an entry that
    /// is not an object, a record we cannot place or classify. Reading it again gives the same
    /// answer, so it is not retried; and no conclusion (a setting, "gone") is drawn from it.
    /// `detail` never holds a job's directive (directives can hold passwords).
    UnusableAnswer {
        detail: String,
        action: String,
        zone: String,
    },
}

impl Error {
    /// The `ret_code` when the server answered with one.
    pub(crate) fn ret_code(&self) -> Option<i64> {
        match self {
            Error::Api { ret_code, .. } => Some(*ret_code),
            _ => None,
        }
    }

    /// True when the server may have acted on the request although we got no answer: a
    /// non-idempotent action must not be resent without first looking at what happened.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Api { .. } => false,
            Error::Transport { kind, .. } => kind.maybe_sent(),
            // A 200 whose body we cannot parse: the server probably acted.
            Error::BadResponse { .. } => true,
            // The server answered, so it handled the request; whether an action acted is for
            // the caller to find out before sending again.
            Error::UnusableAnswer { .. } => true,
        }
    }

    /// ret_code 1400: the resource is busy or in a state that cannot change now.
    pub fn is_busy(&self) -> bool {
        self.ret_code() == Some(1400)
    }

    /// ret_code 2100: the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.ret_code() == Some(2100)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api {
                ret_code,
                message,
                action,
                zone,
            } => write!(
                f,
                "QingCloud {action} in zone {zone} failed with ret_code {ret_code}: {message}"
            ),
            Error::Transport {
                kind,
                detail,
                action,
                zone,
            } => {
                write!(f, "QingCloud {action} in zone {zone}: {kind}")?;
                if !detail.is_empty() {
                    write!(f, " ({detail})")?;
                }
                if let TransportKind::Tls(failure) = kind
                    && !failure.advice().is_empty()
                {
                    write!(f, ": {}", failure.advice())?;
                }
                if kind.maybe_sent() {
                    f.write_str("; the request may have reached the server")?;
                }
                Ok(())
            }
            Error::BadResponse {
                detail,
                action,
                zone,
            } => write!(
                f,
                "QingCloud {action} in zone {zone}: unexpected response ({detail})"
            ),
            Error::UnusableAnswer {
                detail,
                action,
                zone,
            } => write!(
                f,
                "QingCloud {action} in zone {zone}: unusable answer: {detail}"
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_unknown_by_kind() {
        let t = |kind| Error::Transport {
            kind,
            detail: String::new(),
            action: "A".into(),
            zone: "z".into(),
        };
        assert!(!t(TransportKind::Connect).outcome_unknown());
        assert!(t(TransportKind::Timeout).outcome_unknown());
        assert!(t(TransportKind::Reset).outcome_unknown());
        assert!(t(TransportKind::HttpStatus(503)).outcome_unknown());
        assert!(!t(TransportKind::HttpStatus(403)).outcome_unknown());
        assert!(t(TransportKind::BadBody).outcome_unknown());
        assert!(!t(TransportKind::Setup).outcome_unknown());
        let api = Error::Api {
            ret_code: 5100,
            message: "busy".into(),
            action: "A".into(),
            zone: "z".into(),
        };
        assert!(!api.outcome_unknown());
        assert_eq!(
            api.to_string(),
            "QingCloud A in zone z failed with ret_code 5100: busy"
        );
    }
}
