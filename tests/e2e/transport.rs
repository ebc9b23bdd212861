//! End-to-end: failures below the API level, with the real Terraform CLI and real HTTP. The
//! promise under test: what cannot heal by retrying fails at once (an untrusted certificate, an
//! https:// endpoint on a plain-HTTP port), what is probably the wrong server fails after a few
//! attempts (a 200 with HTML or nothing in it), each with a message that says what to check; and
//! a provider killed mid-run leaves no socket behind for long.
//!
//! The misbehaving servers are written here with tokio, each counting what reached it, so the
//! tests can prove that no RunClusterCustomService was ever sent.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{ACCESS_KEY, Sim, TfOutput, Workspace, hcl, signal_pid};

const RUN: &str = "RunClusterCustomService";
/// Far below the two minutes a retried failure used to take, with room for a slow machine
/// (Terraform itself takes up to a second per command here).
const PROMPTLY: Duration = Duration::from_secs(10);

fn one(cluster: &str, enabled: bool) -> String {
    hcl(&format!(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {{\n  cluster_id = \"{cluster}\"\n  enabled    = {enabled}\n}}\n"
    ))
}

/// Terraform's output as one line: diagnostics are drawn in a box and may be wrapped, so
/// border characters and line breaks are dropped before looking for a sentence.
fn flat(out: &TfOutput) -> String {
    out.combined()
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[track_caller]
fn assert_says(out: &TfOutput, sentence: &str) {
    assert!(
        flat(out).contains(sentence),
        "expected Terraform to say {sentence:?}\n{out}"
    );
}

/// What one of the test's own servers saw: connections accepted, and the `action` of every
/// HTTP request that got through.
#[derive(Clone, Default)]
struct Seen {
    connections: Arc<AtomicUsize>,
    actions: Arc<Mutex<Vec<String>>>,
}

impl Seen {
    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    fn actions(&self) -> Vec<String> {
        self.actions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn count(&self, action: &str) -> usize {
        self.actions().iter().filter(|a| *a == action).count()
    }
}

/// A server on 127.0.0.1 running on its own tokio runtime, stopped when dropped.
struct TestServer {
    addr: SocketAddr,
    seen: Seen,
    _runtime: tokio::runtime::Runtime,
}

impl TestServer {
    fn endpoint(&self, scheme: &str) -> String {
        format!("{scheme}://{}/iaas/", self.addr)
    }
}

/// Reads one HTTP request head and returns its `action` parameter ("" when there is none).
async fn read_action<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
        if head.len() > 1 << 20 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let target = text.lines().next()?.split(' ').nth(1)?.to_string();
    let query = target.split_once('?').map_or("", |(_, q)| q);
    Some(
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("action="))
            .unwrap_or("")
            .to_string(),
    )
}

/// Starts `serve(stream, seen)` for every accepted connection.
fn start_server<F, Fut>(serve: F) -> TestServer
where
    F: Fn(tokio::net::TcpStream, Seen) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("cannot start a tokio runtime for a test server: {e}"));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap_or_else(|e| panic!("cannot bind a test server: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("test server has no address: {e}"));
    let seen = Seen::default();
    let s = seen.clone();
    runtime.spawn(async move {
        let serve = Arc::new(serve);
        while let Ok((stream, _)) = listener.accept().await {
            s.connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream, s.clone()));
        }
    });
    TestServer {
        addr,
        seen,
        _runtime: runtime,
    }
}

/// Answers every request with HTTP 200 and `body` (closing the connection after each).
fn http_200_server(content_type: &'static str, body: &'static str) -> TestServer {
    start_server(move |mut stream, seen| async move {
        let Some(action) = read_action(&mut stream).await else {
            return;
        };
        seen.actions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(action);
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
}

/// A TLS server whose certificate is made here and signed by nobody this machine trusts.
fn self_signed_tls_server() -> TestServer {
    let key = rcgen::KeyPair::generate()
        .unwrap_or_else(|e| panic!("cannot make a key for the test certificate: {e}"));
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap_or_else(|e| panic!("bad certificate parameters: {e}"));
    let cert = params
        .self_signed(&key)
        .unwrap_or_else(|e| panic!("cannot sign the test certificate: {e}"));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth().with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
        })
        .unwrap_or_else(|e| panic!("cannot configure the test TLS server: {e}"));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    start_server(move |stream, seen| {
        let acceptor = acceptor.clone();
        async move {
            // The client refuses the certificate, so this never gets a request; if it did, the
            // request would be recorded like any other.
            if let Ok(mut tls) = acceptor.accept(stream).await
                && let Some(action) = read_action(&mut tls).await
            {
                seen.actions
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(action);
            }
        }
    })
}

/// Accepts requests and never answers them.
fn silent_server() -> TestServer {
    start_server(|mut stream, seen| async move {
        if let Some(action) = read_action(&mut stream).await {
            seen.actions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(action);
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(stream);
    })
}

fn workspace_for(endpoint: &str) -> Workspace {
    let mut ws = Workspace::new(None);
    ws.env("QINGCLOUD_ENDPOINT", endpoint);
    ws
}

#[test]
fn an_untrusted_certificate_fails_at_once_and_says_what_to_check() {
    let server = self_signed_tls_server();
    let endpoint = server.endpoint("https");
    let expect = [
        "the server's TLS certificate is not trusted (invalid peer certificate:",
        &format!("endpoint {endpoint}, from the environment variable QINGCLOUD_ENDPOINT"),
        "check `endpoint`, or install its CA / set SSL_CERT_FILE",
    ];

    // A create: apply reads the cluster first.
    let ws = workspace_for(&endpoint);
    ws.write_config(&one("cl-tls00001", true));
    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    eprintln!(
        "apply against an untrusted certificate took {:?}",
        out.elapsed
    );
    assert!(out.elapsed < PROMPTLY, "took {:?}\n{out}", out.elapsed);
    for sentence in expect {
        assert_says(&out, sentence);
    }
    // Reading the SSL setting makes two calls at once (the cluster and its jobs): one
    // handshake each, no retry loop; and no request ever got through.
    let after_apply = server.seen.connections();
    assert!((1..=2).contains(&after_apply), "{after_apply}\n{out}");
    assert_eq!(server.seen.count(RUN), 0);
    assert!(
        server.seen.actions().is_empty(),
        "{:?}",
        server.seen.actions()
    );

    // A refresh of existing state (made against the simulator) fails the same way.
    let sim = Sim::start();
    sim.add_cluster("cl-tls00002", "pek3a", false);
    let mut ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-tls00002", false));
    ws.tf_ok(&["apply", "-auto-approve"]);
    ws.env("QINGCLOUD_ENDPOINT", &endpoint);
    let out = ws.tf_err(&["plan", "-no-color"]);
    eprintln!(
        "plan against an untrusted certificate took {:?}",
        out.elapsed
    );
    assert!(out.elapsed < PROMPTLY, "took {:?}\n{out}", out.elapsed);
    for sentence in expect {
        assert_says(&out, sentence);
    }
    let for_plan = server.seen.connections() - after_apply;
    assert!((1..=2).contains(&for_plan), "{for_plan}\n{out}");
    assert_eq!(server.seen.count(RUN), 0);
    assert_eq!(sim.count(RUN), 0);
}

#[test]
fn https_to_a_plain_http_port_fails_at_once_and_says_so() {
    let sim = Sim::start();
    sim.add_cluster("cl-http0001", "pek3a", false);
    let endpoint = sim.endpoint().replacen("http://", "https://", 1);
    let ws = workspace_for(&endpoint);
    ws.write_config(&one("cl-http0001", true));
    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    eprintln!(
        "apply with https:// to a plain-HTTP port took {:?}",
        out.elapsed
    );
    assert!(out.elapsed < PROMPTLY, "took {:?}\n{out}", out.elapsed);
    assert_says(
        &out,
        "the endpoint does not speak TLS: is it an http:// endpoint?",
    );
    assert_says(
        &out,
        &format!("endpoint {endpoint}, from the environment variable QINGCLOUD_ENDPOINT"),
    );
    // The simulator saw TLS handshakes, never an API request.
    assert_eq!(sim.count(RUN), 0);
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    assert!(!sim.cluster_ssl("cl-http0001"));
}

/// Runs a create against a server that answers 200 with `body`, and checks the failure.
fn a_200_that_is_not_the_api_fails_after_a_few_attempts(
    content_type: &'static str,
    body: &'static str,
    described: &str,
) {
    let server = http_200_server(content_type, body);
    let endpoint = server.endpoint("http");
    let ws = workspace_for(&endpoint);
    ws.write_config(&one("cl-odd00001", true));
    let started = Instant::now();
    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    eprintln!("apply against {described} took {:?}", started.elapsed());
    assert!(out.elapsed < PROMPTLY, "took {:?}\n{out}", out.elapsed);
    assert_says(
        &out,
        &format!("unexpected response (HTTP 200 with {described};"),
    );
    assert_says(&out, "gave up after 3 attempts over ");
    assert_says(
        &out,
        &format!(
            "check that `endpoint` ({endpoint}, from the environment variable QINGCLOUD_ENDPOINT) \
             is the QingCloud API"
        ),
    );
    // The reported duration is the retries' own, a second or two.
    let text = flat(&out);
    let over = text
        .split("gave up after 3 attempts over ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|secs| secs.parse::<f64>().ok());
    assert!(
        over.is_some_and(|s| (0.5..5.0).contains(&s)),
        "{over:?}\n{out}"
    );
    // Reading the SSL setting makes two calls at once, three attempts each.
    let actions = server.seen.actions();
    assert_eq!(server.seen.count("DescribeClusters"), 3, "{actions:?}");
    assert_eq!(server.seen.count("DescribeClusterJobs"), 3, "{actions:?}");
    assert_eq!(actions.len(), 6, "{actions:?}");
    assert_eq!(server.seen.count(RUN), 0);
}

#[test]
fn an_html_page_fails_after_three_attempts_with_their_count_and_duration() {
    a_200_that_is_not_the_api_fails_after_a_few_attempts(
        "text/html",
        "<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>",
        "an HTML page",
    );
}

#[test]
fn an_empty_200_fails_after_three_attempts_with_their_count_and_duration() {
    a_200_that_is_not_the_api_fails_after_a_few_attempts("application/json", "", "an empty body");
}

#[test]
fn a_refused_secret_key_says_where_the_keys_came_from() {
    let sim = Sim::start();
    sim.add_cluster("cl-auth0001", "pek3a", false);
    let mut ws = Workspace::new(Some(&sim));
    ws.env("QINGCLOUD_SECRET_KEY", "not-the-secret-key-the-sim-knows");
    ws.write_config(&one("cl-auth0001", true));
    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    assert!(out.elapsed < PROMPTLY, "took {:?}\n{out}", out.elapsed);
    assert_says(&out, "failed with ret_code 1200");
    assert_says(
        &out,
        &format!(
            "the access key {} comes from the environment variable QINGCLOUD_ACCESS_KEY and the \
             secret key from the environment variable QINGCLOUD_SECRET_KEY",
            ACCESS_KEY
        ),
    );
    out.assert_not_contains("not-the-secret-key-the-sim-knows");
    assert_eq!(sim.count(RUN), 0);
}

/// The socket files of this provider in `dir`.
fn provider_sockets(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("tf-provider-qingcloud-") && n.ends_with(".sock"))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn sockets_of_killed_providers_are_removed_by_the_next_start() {
    use std::os::unix::net::UnixListener;

    // A private temporary directory, so that only this test's sockets are in it.
    let tmp = tempfile::Builder::new()
        .prefix("e2e-sockets-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    let server = silent_server();
    let mut ws = workspace_for(&server.endpoint("http"));
    ws.env("TMPDIR", &tmp.path().to_string_lossy());
    ws.write_config(&one("cl-sock0001", true));

    // Kill the provider in the middle of an apply, as an OOM killer or `kill -9` would.
    let mut child = ws.spawn_tf(&["apply", "-auto-approve", "-no-color"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.seen.actions().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the provider never called the API\n{}{}",
            child.stdout_so_far(),
            child.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pids = child.provider_pids();
    assert!(!pids.is_empty(), "no provider process found");
    for pid in &pids {
        assert!(signal_pid(*pid, libc::SIGKILL), "cannot kill {pid}");
    }
    let out = child
        .wait_timeout(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("terraform did not end after its provider was killed"));
    assert!(!out.success(), "{out}");
    let left = provider_sockets(tmp.path());
    assert_eq!(
        left.len(),
        pids.len(),
        "a killed provider leaves its socket behind: {left:?}"
    );

    // Things that look alike but are not stale sockets of ours stay.
    let decoy_file = tmp
        .path()
        .join("tf-provider-qingcloud-1-00000000000000aa.sock");
    std::fs::write(&decoy_file, "a regular file")
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", decoy_file.display()));
    let other_socket = tmp.path().join("plugin-someone-else.sock");
    drop(
        UnixListener::bind(&other_socket)
            .unwrap_or_else(|e| panic!("cannot bind {}: {e}", other_socket.display())),
    );

    // The next Terraform command starts the provider again, which sweeps up.
    let started = Instant::now();
    ws.tf_ok(&["validate", "-no-color"]);
    eprintln!("validate (one provider start) took {:?}", started.elapsed());
    // The sweep runs beside the handshake; give it a moment on a slow machine.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !provider_sockets(tmp.path())
        .iter()
        .all(|p| p == &decoy_file)
    {
        assert!(
            Instant::now() < deadline,
            "stale sockets left: {:?}",
            provider_sockets(tmp.path())
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(decoy_file.exists(), "a regular file was removed");
    assert!(other_socket.exists(), "someone else's socket was removed");
    assert_eq!(server.seen.count(RUN), 0);
}
