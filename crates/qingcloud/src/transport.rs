//! Sending one GET and getting its answer: the seam between the call path and the network.
//!
//! `Transport` is what tests replace (to count and script requests without a network);
//! `ReqwestTransport` is the real one. A transport sorts what went wrong into a
//! `TransportKind` (did the request certainly not reach the server?) and never lets the URL,
//! which carries the signature, into a message.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::error::{TlsFailure, TransportKind};

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
/// reads and parses the system's CA certificates, and Terraform configures a provider in
/// processes that never call the API, such as the plan half of an apply that only creates.
pub(crate) struct ReqwestTransport {
    connect_timeout: Duration,
    http: Arc<tokio::sync::OnceCell<Result<reqwest::Client, String>>>,
}

impl ReqwestTransport {
    pub(crate) fn new(connect_timeout: Duration) -> ReqwestTransport {
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
    // Only while connecting: the handshake is part of the connection, so nothing was sent. A
    // TLS error later (mid-answer) may follow a request the server already acted on, and stays
    // an ambiguous failure below.
    if err.is_connect()
        && let Some(tls) = rustls_error_in(&err)
    {
        // rustls's own text ("invalid peer certificate: UnknownIssuer") is the precise reason;
        // reqwest's wrapping around it adds nothing a person needs.
        return TransportFailure {
            kind: TransportKind::Tls(tls_failure_of(tls)),
            detail: scrub_query(&tls.to_string()),
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

/// Renders an error chain without the URL (which holds the signature) into one line.
pub(crate) fn describe_reqwest_error(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(inner) = source {
        let part = inner.to_string();
        if !part.is_empty() && !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    scrub_query(&text)
}

/// Belt and braces: drop anything after a `?` or a `signature=` in a message from a library, in
/// case some layer printed a URL of its own.
pub(crate) fn scrub_query(text: &str) -> String {
    let cut = [text.find('?'), text.find("signature=")]
        .into_iter()
        .flatten()
        .min();
    match cut {
        Some(i) => format!("{}[redacted]", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_removes_queries() {
        assert_eq!(
            scrub_query("error for http://h/iaas/?a=1&signature=abc"),
            "error for http://h/iaas/[redacted]"
        );
        assert_eq!(scrub_query("x signature=abc"), "x [redacted]");
        assert_eq!(scrub_query("plain"), "plain");
    }

    #[test]
    fn rustls_errors_are_found_inside_nested_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, tls.clone());
        let outer = std::io::Error::other(inner);
        // The shape hyper-util reports: `source()` alone would never reach the rustls error.
        assert!(std::error::Error::source(&outer).is_none());
        assert_eq!(rustls_error_in(&outer), Some(&tls));
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(rustls_error_in(&std::io::Error::other(plain)), None);
    }

    #[test]
    fn tls_errors_are_sorted_by_what_the_user_can_do() {
        use rustls::CertificateError as C;
        let cert = |c| tls_failure_of(&rustls::Error::InvalidCertificate(c));
        assert_eq!(cert(C::UnknownIssuer), TlsFailure::Untrusted);
        assert_eq!(cert(C::BadSignature), TlsFailure::Untrusted);
        // What webpki says of a CA certificate used as a server certificate (Terraform-style
        // self-made certificates).
        let ca_as_leaf = C::Other(rustls::OtherError(Arc::new(std::io::Error::other(
            "CaUsedAsEndEntity",
        ))));
        assert_eq!(cert(ca_as_leaf), TlsFailure::Untrusted);
        assert_eq!(cert(C::NotValidForName), TlsFailure::WrongHost);
        assert_eq!(cert(C::Expired), TlsFailure::NotValidNow);
        assert_eq!(cert(C::NotValidYet), TlsFailure::NotValidNow);
        assert_eq!(
            tls_failure_of(&rustls::Error::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType
            )),
            TlsFailure::NotTls
        );
        assert_eq!(
            tls_failure_of(&rustls::Error::AlertReceived(
                rustls::AlertDescription::HandshakeFailure
            )),
            TlsFailure::Handshake
        );
    }
}
