//! The client against a real local HTTP server: signing as the server checks it, status codes,
//! bad bodies, dropped connections, retries by ret_code, and the redaction of everything secret.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::actions::{describe_clusters, run_cluster_custom_service};
use super::client::Client;
use super::clock::{Clock, SystemClock};
use super::credentials::Endpoint;
use super::error::{Error, TlsFailure, TransportKind};
use super::signer;
use super::ssl::SslService;
use super::testing::{Params, decode_query, test_config};
use super::transport::ReqwestTransport;

const SECRET: &str = "SECRETACCESSKEY";

enum Answer {
    Json(Value),
    Status(u16),
    Body(&'static str),
    /// Answer only after this long (longer than the client's timeout = ambiguous).
    Late(Duration, Value),
}

type Script = dyn Fn(&str, &Params, usize) -> Answer + Send + Sync;

#[derive(Clone)]
struct Server {
    script: Arc<Script>,
    seen: Arc<Mutex<Vec<Params>>>,
}

impl Server {
    fn seen(&self) -> Vec<Params> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self, action: &str) -> usize {
        self.seen()
            .iter()
            .filter(|p| p.get("action").map(String::as_str) == Some(action))
            .count()
    }
}

/// Checks the request as QingCloud would: the sent query must be exactly the canonical query of
/// its own parameters, followed by the signature of `GET\n<path>\n<canonical>`.
fn verify(path: &str, raw_query: &str) -> Result<Params, String> {
    let (canonical, sig) = raw_query.rsplit_once("&signature=").ok_or("no signature")?;
    let params = decode_query(canonical);
    let pairs: Vec<(&String, &String)> = params.iter().collect();
    if signer::canonical_query(&pairs) != canonical {
        return Err("query is not canonical".into());
    }
    let received = decode_query(&format!("s={sig}"))
        .remove("s")
        .unwrap_or_default();
    let expected = signer::signature(SECRET, "GET", path, canonical);
    if !signer::signatures_match(&expected, &received) {
        return Err("bad signature".into());
    }
    for required in [
        "access_key_id",
        "signature_method",
        "signature_version",
        "time_stamp",
        "version",
        "zone",
        "action",
    ] {
        if !params.contains_key(required) {
            return Err(format!("missing {required}"));
        }
    }
    Ok(params)
}

async fn handle(State(server): State<Server>, uri: Uri) -> Response {
    let params = match verify(uri.path(), uri.query().unwrap_or("")) {
        Ok(p) => p,
        Err(why) => {
            return axum::Json(json!({"ret_code": 1200, "message": why})).into_response();
        }
    };
    let n = {
        let mut seen = server.seen.lock().unwrap();
        seen.push(params.clone());
        seen.len()
    };
    let action = params.get("action").cloned().unwrap_or_default();
    match (server.script)(&action, &params, n) {
        Answer::Json(v) => axum::Json(v).into_response(),
        Answer::Status(code) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Answer::Body(text) => (StatusCode::OK, text).into_response(),
        Answer::Late(delay, v) => {
            tokio::time::sleep(delay).await;
            axum::Json(v).into_response()
        }
    }
}

async fn serve(
    script: impl Fn(&str, &Params, usize) -> Answer + Send + Sync + 'static,
) -> (Server, Endpoint) {
    let server = Server {
        script: Arc::new(script),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let endpoint = Endpoint::parse(&format!("http://{addr}")).unwrap();
    (server, endpoint)
}

fn client_for(endpoint: Endpoint) -> Client {
    client_with_clock(endpoint, Arc::new(SystemClock))
}

fn client_with_clock(endpoint: Endpoint, clock: Arc<dyn Clock>) -> Client {
    let mut config = test_config(endpoint);
    config.timeout = Duration::from_millis(500);
    let transport = Arc::new(ReqwestTransport::new(config.timeout));
    Client::with_parts(config, transport, clock)
}

fn ok(mut v: Value) -> Answer {
    v["ret_code"] = json!(0);
    Answer::Json(v)
}

fn code(ret_code: i64) -> Answer {
    Answer::Json(json!({"ret_code": ret_code, "message": format!("error {ret_code}")}))
}

async fn describe(client: &Client) -> Result<Value, Error> {
    client
        .api()
        .call(
            "DescribeClusters",
            "pek3a",
            vec![("clusters.1".into(), "cl-1".into())],
            true,
        )
        .await
}

async fn run_service(client: &Client) -> Result<String, Error> {
    run_cluster_custom_service(
        client.api(),
        "pek3a",
        "cl-1",
        "maininstance",
        "configuring_SSL",
        &json!({"configssl": "YES"}),
    )
    .await
}

#[tokio::test]
async fn signed_requests_pass_the_servers_check() {
    let (server, endpoint) = serve(|action, p, _| match action {
        "DescribeClusters" => ok(json!({"cluster_set": [
            {"cluster_id": p["clusters.1"], "status": "active", "transition_status": ""}
        ]})),
        "RunClusterCustomService" => ok(json!({"job_id": "j-abc"})),
        _ => code(1100),
    })
    .await;
    let client = client_for(endpoint);
    let clusters = describe_clusters(client.api(), "pek3a", &["cl-1"])
        .await
        .unwrap();
    assert_eq!(clusters[0].cluster_id, "cl-1");
    assert_eq!(run_service(&client).await.unwrap(), "j-abc");

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let p = &seen[1];
    assert_eq!(p["service_params"], r#"{"configssl":"YES"}"#);
    assert_eq!(p["access_key_id"], "QYACCESSKEYIDEXAMPLE");
    assert_eq!(p["signature_method"], "HmacSHA256");
    assert_eq!(p["signature_version"], "1");
    assert_eq!(p["version"], "1");
    assert_eq!(p["zone"], "pek3a");
    let ts = &p["time_stamp"];
    assert!(
        ts.len() == 20 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T',
        "{ts}"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_not_retried() {
    let (server, endpoint) = serve(|_, _, _| ok(json!({}))).await;
    let mut config = test_config(endpoint);
    config.secret_key = super::credentials::Secret::new("WRONG");
    let client = Client::new(config);
    let err = describe(&client).await.unwrap_err();
    assert_eq!(err.ret_code(), Some(1200));
    // Refused by the signature check (which records nothing) and not retried.
    assert_eq!(server.seen().len(), 0);
}

#[tokio::test]
async fn retcode_5100_is_retried_and_1200_is_not() {
    let (server, endpoint) = serve(|_, _, n| if n < 3 { code(5100) } else { ok(json!({})) }).await;
    describe(&client_for(endpoint)).await.unwrap();
    assert_eq!(server.seen().len(), 3);

    let (server, endpoint) = serve(|_, _, _| code(1200)).await;
    let err = describe(&client_for(endpoint)).await.unwrap_err();
    assert!(matches!(err, Error::Api { ret_code: 1200, .. }), "{err:?}");
    assert_eq!(server.seen().len(), 1);
    assert!(!err.outcome_unknown());
}

/// A wall clock that moves one second per reading.
struct Ticking(AtomicU64);

impl Clock for Ticking {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_704_067_200 + self.0.fetch_add(1, Ordering::SeqCst))
    }
}

#[tokio::test]
async fn expired_timestamp_is_retried_once_with_a_fresh_one() {
    let (server, endpoint) = serve(|_, _, _| code(1300)).await;
    let client = client_with_clock(endpoint, Arc::new(Ticking(AtomicU64::new(0))));
    let err = describe(&client).await.unwrap_err();
    assert_eq!(err.ret_code(), Some(1300));
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["time_stamp"], "2024-01-01T00:00:00Z");
    assert_eq!(seen[1]["time_stamp"], "2024-01-01T00:00:01Z");

    // And a 1300 followed by success succeeds.
    let (server, endpoint) = serve(|_, _, n| if n == 1 { code(1300) } else { ok(json!({})) }).await;
    let client = client_with_clock(endpoint, Arc::new(Ticking(AtomicU64::new(0))));
    describe(&client).await.unwrap();
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn http_503_is_retried_for_reads_but_not_resent_for_custom_services() {
    let (server, endpoint) = serve(|_, _, n| {
        if n == 1 {
            Answer::Status(503)
        } else {
            ok(json!({"job_id": "j-1"}))
        }
    })
    .await;
    describe(&client_for(endpoint)).await.unwrap();
    assert_eq!(server.seen().len(), 2);

    let (server, endpoint) = serve(|_, _, _| Answer::Status(503)).await;
    let err = run_service(&client_for(endpoint)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::HttpStatus(503),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    assert_eq!(server.count("RunClusterCustomService"), 1);
}

#[tokio::test]
async fn bad_json_is_its_own_error() {
    let (server, endpoint) = serve(|_, _, _| Answer::Body("<html>oops</html>")).await;
    let client = client_for(endpoint);
    let err = describe(&client).await.unwrap_err();
    assert!(matches!(err, Error::BadResponse { .. }), "{err:?}");
    // Reads are retried, but only a few times: an HTML page is most likely the wrong server.
    assert_eq!(server.seen().len(), 3);
    let text = err.to_string();
    for part in [
        "HTTP 200 with an HTML page",
        "gave up after 3 attempts over ",
        "check that `endpoint` (http://127.0.0.1:",
        "from the client configuration) is the QingCloud API",
    ] {
        assert!(text.contains(part), "{part:?} missing: {text}");
    }
    // Never the body: an error page may echo the signed URL.
    assert!(!text.contains("oops"), "{text}");

    let before = server.seen().len();
    let err = run_service(&client).await.unwrap_err();
    assert!(matches!(err, Error::BadResponse { .. }) && err.outcome_unknown());
    assert_eq!(server.seen().len(), before + 1);

    // Valid JSON without ret_code, or a custom service answer without job_id.
    let (server, endpoint) = serve(|_, _, _| Answer::Json(json!({"action": "X"}))).await;
    let err = describe(&client_for(endpoint)).await.unwrap_err();
    assert!(matches!(err, Error::BadResponse { .. }));
    assert!(
        err.to_string().contains("JSON that has no ret_code"),
        "{err}"
    );
    assert_eq!(server.seen().len(), 3);
    let (server, endpoint) = serve(|_, _, _| Answer::Body("")).await;
    let err = describe(&client_for(endpoint)).await.unwrap_err();
    assert!(err.to_string().contains("an empty body"), "{err}");
    assert_eq!(server.seen().len(), 3);
    let (_, endpoint) = serve(|_, _, _| ok(json!({}))).await;
    let err = run_service(&client_for(endpoint)).await.unwrap_err();
    assert!(err.outcome_unknown(), "{err:?}");
}

/// A raw TCP server that reads each request and closes the connection without answering for
/// the first `drops` connections, then answers 200 with `body`.
async fn dropping_server(drops: usize, body: &'static str) -> (Arc<AtomicUsize>, Endpoint) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => buf.extend_from_slice(&chunk[..k]),
                    }
                }
                if n <= drops {
                    // Reset rather than close gracefully.
                    let _ = sock.set_zero_linger();
                    drop(sock);
                    return;
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(response.as_bytes()).await;
            });
        }
    });
    (count, Endpoint::parse(&format!("http://{addr}")).unwrap())
}

#[tokio::test]
async fn dropped_connections() {
    let (count, endpoint) = dropping_server(2, r#"{"ret_code":0,"job_id":"j-1"}"#).await;
    describe(&client_for(endpoint)).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 3);

    let (count, endpoint) = dropping_server(1, r#"{"ret_code":0,"job_id":"j-1"}"#).await;
    let err = run_service(&client_for(endpoint)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Reset,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn refused_connections_are_certain_failures() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = client_for(Endpoint::parse(&format!("http://{addr}")).unwrap());
    let err = run_service(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.outcome_unknown());
}

#[tokio::test]
async fn a_timeout_after_sending_is_ambiguous() {
    let (server, endpoint) = serve(|_, _, _| {
        Answer::Late(
            Duration::from_secs(2),
            json!({"ret_code": 0, "job_id": "j-1"}),
        )
    })
    .await;
    let err = run_service(&client_for(endpoint)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    assert_eq!(server.count("RunClusterCustomService"), 1);
}

#[tokio::test]
async fn ssl_submit_adopts_the_job_after_a_timeout_without_resending() {
    let jobs: Arc<Mutex<Vec<Value>>> = Arc::new(Mutex::new(vec![json!({
        "job_id": "j-old", "job_action": "RunClusterCustomService", "status": "successful",
        "directive": json!({"service": "configuring_SSL",
                            "service_params": "{\"configssl\":\"YES\"}"}).to_string()
    })]));
    let j = jobs.clone();
    let (server, endpoint) = serve(move |action, p, _| match action {
        "DescribeClusterJobs" => ok(json!({"job_set": j.lock().unwrap().clone()})),
        "RunClusterCustomService" => {
            // The server acts, then answers too late for the client.
            j.lock().unwrap().insert(
                0,
                json!({
                    "job_id": "j-new", "job_action": "RunClusterCustomService",
                    "status": "pending",
                    "directive": json!({"cluster": p["cluster"], "service": p["service"],
                                        "service_params": p["service_params"]}).to_string()
                }),
            );
            Answer::Late(
                Duration::from_secs(2),
                json!({"ret_code": 0, "job_id": "j-new"}),
            )
        }
        _ => code(1100),
    })
    .await;
    let client = client_for(endpoint);
    // The jobs a reading would have listed before the submission.
    let before = std::collections::HashSet::from(["j-old".to_string()]);
    let job_id = SslService::new(&client)
        .submit("pek3a", "cl-1", true, &before)
        .await
        .unwrap();
    assert_eq!(job_id, "j-new");
    assert_eq!(server.count("RunClusterCustomService"), 1);
    let sent = server
        .seen()
        .into_iter()
        .find(|p| p["action"] == "RunClusterCustomService")
        .unwrap();
    assert_eq!(sent["role"], "maininstance");
    assert_eq!(sent["service_params"], r#"{"configssl":"YES"}"#);
}

#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn nothing_secret_reaches_logs_or_errors() {
    let buf = Captured(Arc::new(Mutex::new(Vec::new())));
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut errors = Vec::new();
    let (_, endpoint) = serve(|_, _, n| match n % 3 {
        0 => Answer::Status(503),
        1 => Answer::Late(Duration::from_secs(2), json!({})),
        _ => Answer::Body("not json"),
    })
    .await;
    let client = client_for(endpoint);
    errors.push(describe(&client).await.unwrap_err());
    errors.push(run_service(&client).await.unwrap_err());
    let (_, endpoint) = dropping_server(100, "").await;
    errors.push(describe(&client_for(endpoint)).await.unwrap_err());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let refused = client_for(Endpoint::parse(&format!("http://{addr}")).unwrap());
    errors.push(describe(&refused).await.unwrap_err());

    let mut text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    for e in &errors {
        text.push_str(&format!("{e} {e:?}\n"));
    }
    // The client's Debug shows its configuration.
    text.push_str(&format!("{client:?}\n"));
    assert!(
        text.contains("DescribeClusters"),
        "logs were captured: {text}"
    );
    // Everything captured, hyper's own trace lines included.
    for secret in [
        SECRET,
        "signature=",
        "access_key_id=",
        "time_stamp=",
        "&zone=",
        "iaas/?",
        "QYACCESSKEYIDEXAMPLE&",
    ] {
        assert!(!text.contains(secret), "{secret:?} leaked: {text}");
    }
    // Our own lines and errors carry no query at all.
    for line in text.lines().filter(|l| !l.contains("hyper")) {
        assert!(!line.contains('?'), "a query leaked: {line}");
    }
}

#[tokio::test]
async fn a_failed_tls_handshake_is_a_certain_failure() {
    // A plain-text server behind an https endpoint: the handshake fails before any request.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let a = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let client = client_for(Endpoint::parse(&format!("https://{addr}")).unwrap());
    let err = run_service(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Tls(TlsFailure::NotTls),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.outcome_unknown());
    // Certain, but resending cannot make the port speak TLS: one attempt, for reads too.
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let err = describe(&client).await.unwrap_err();
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    let text = err.to_string();
    assert!(
        text.contains("the endpoint does not speak TLS: is it an http:// endpoint?"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "endpoint https://{addr}/iaas/, from the client configuration"
        )),
        "{text}"
    );
}

/// A TLS server on 127.0.0.1 with a certificate made here, which no CA vouches for. Counts
/// the connections it accepts and the HTTP requests that get through (none should).
async fn self_signed_server() -> (Arc<AtomicUsize>, Arc<AtomicUsize>, Endpoint) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (connections, requests) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, r) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let (acceptor, r) = (acceptor.clone(), r.clone());
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(sock).await {
                    let mut buf = [0u8; 1024];
                    if matches!(tls.read(&mut buf).await, Ok(n) if n > 0) {
                        r.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let endpoint = Endpoint::parse(&format!("https://{addr}")).unwrap();
    (connections, requests, endpoint)
}

#[tokio::test]
async fn an_untrusted_certificate_fails_at_once_and_says_what_to_do() {
    let (connections, requests, endpoint) = self_signed_server().await;
    let client = client_for(endpoint.clone());
    let started = std::time::Instant::now();
    let err = describe(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Tls(TlsFailure::Untrusted),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.outcome_unknown());
    assert_eq!(connections.load(Ordering::SeqCst), 1, "retried: {err}");
    assert_eq!(requests.load(Ordering::SeqCst), 0);
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = err.to_string();
    for part in [
        "the server's TLS certificate is not trusted (invalid peer certificate: ",
        &format!(
            "endpoint {}, from the client configuration",
            endpoint.base_url()
        ),
        "): check `endpoint`, or install its CA / set SSL_CERT_FILE",
    ] {
        assert!(text.contains(part), "{part:?} missing: {text}");
    }
    // Nothing reached the server, so even a custom service fails the same way, once.
    let err = run_service(&client).await.unwrap_err();
    assert!(!err.outcome_unknown(), "{err}");
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}
