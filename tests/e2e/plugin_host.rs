//! Runs the real provider binary the way Terraform does (environment, stdout handshake,
//! AutoMTLS over a unix socket) and checks what a go-plugin client relies on.

use base64::Engine as _;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, aws_lc_rs};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-qingcloud");
const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Kills the provider if a test fails half-way, so no process outlives the test run.
struct Provider {
    child: Child,
    stderr: Arc<Mutex<String>>,
    handshake: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    fn fields(&self) -> Vec<&str> {
        self.handshake.split('|').collect()
    }

    fn socket(&self) -> PathBuf {
        PathBuf::from(self.fields()[3])
    }

    fn server_cert(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(self.fields()[5])
            .expect("6th field is unpadded base64")
    }

    /// Async so the test runtime keeps driving the client's connections meanwhile (a blocked
    /// runtime would leave HTTP/2 pings unanswered and slow the server's graceful stop).
    async fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    async fn wait_stderr_contains(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.stderr.lock().unwrap().contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
}

/// Starts the binary with Terraform's environment; returns once the handshake line arrived.
fn start(socket_dir: &Path, client_cert_pem: Option<&str>, args: &[&str]) -> Provider {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_UNIX_SOCKET_DIR", socket_dir)
        .env("TF_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(pem) = client_cert_pem {
        cmd.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = cmd.spawn().expect("spawn provider");
    let stdout = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut provider = Provider {
        child,
        stderr,
        handshake: String::new(),
    };
    // In debug mode the reattach line is not the first; skip to it.
    let wanted = |l: &str| {
        if args.is_empty() {
            true
        } else {
            l.starts_with("TF_REATTACH_PROVIDERS=")
        }
    };
    loop {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok(line)) if wanted(&line) => {
                provider.handshake = line;
                return provider;
            }
            Ok(Ok(_)) => continue,
            other => panic!(
                "no handshake line: {other:?}; stderr: {}",
                provider.stderr.lock().unwrap()
            ),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(aws_lc_rs::default_provider())
}

/// A self-signed CA certificate like Terraform's (Terraform uses P-521).
fn client_identity(
    alg: &'static rcgen::SignatureAlgorithm,
) -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (cert.pem(), cert.der().clone(), key_der)
}

/// Trusts exactly the certificate from the handshake line, as go-plugin's client does.
#[derive(Debug)]
struct PinnedServer {
    der: Vec<u8>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "server certificate is not the announced one".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn client_config(
    server_der: Vec<u8>,
    identity: Option<(CertificateDer<'static>, PrivateKeyDer<'static>)>,
) -> Arc<rustls::ClientConfig> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer {
            der: server_der,
            provider: provider(),
        }));
    let mut config = match identity {
        Some((cert, key)) => builder.with_client_auth_cert(vec![cert], key).unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Connects tonic to the unix socket, through TLS when a client config is given.
#[derive(Clone)]
struct UnixConnector {
    path: PathBuf,
    tls: Option<Arc<rustls::ClientConfig>>,
}

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> Stream for T {}

impl tonic::codegen::Service<Uri> for UnixConnector {
    type Response = TokioIo<Box<dyn Stream>>;
    type Error = std::io::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let stream = tokio::net::UnixStream::connect(&this.path).await?;
            let io: Box<dyn Stream> = match this.tls {
                None => Box::new(stream),
                Some(config) => {
                    let name = ServerName::try_from("localhost").unwrap();
                    let tls = tokio_rustls::TlsConnector::from(config)
                        .connect(name, stream)
                        .await?;
                    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
                    Box::new(tls)
                }
            };
            Ok(TokioIo::new(io))
        })
    }
}

async fn channel(
    path: &Path,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_static("http://localhost")
        .connect_with_connector(UnixConnector {
            path: path.to_path_buf(),
            tls,
        })
        .await
}

/// Health check of service "plugin", all errors flattened to a string.
async fn health(path: &Path, tls: Option<Arc<rustls::ClientConfig>>) -> Result<i32, String> {
    let attempt = async {
        let channel = channel(path, tls)
            .await
            .map_err(|e| format!("connect: {e:?}"))?;
        let reply = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: "plugin".into(),
            })
            .await
            .map_err(|e| format!("check: {e:?}"))?;
        Ok(reply.into_inner().status)
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

async fn shutdown(path: &Path, tls: Option<Arc<rustls::ClientConfig>>) {
    // go-plugin's GRPCController.Shutdown takes and returns an empty message, which prost's
    // `()` encodes, so a generic client needs no generated code.
    let channel = channel(path, tls).await.expect("connect for Shutdown");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("channel ready for Shutdown");
    let method = PathAndQuery::from_static("/plugin.GRPCController/Shutdown");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    grpc.unary(tonic::Request::new(()), method, codec)
        .await
        .expect("Shutdown RPC");
}

#[test]
fn without_cookie_prints_a_message_and_exits_1() {
    let out = Command::new(BIN)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "stdout must stay empty");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Terraform") && err.contains("terraform init"),
        "{err}"
    );

    let out = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", "wrong")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn without_protocol_6_exits_1() {
    let out = Command::new(BIN)
        .env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[tokio::test]
async fn mtls_right_certificate_is_served_and_shutdown_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (pem, cert, key) = client_identity(&rcgen::PKCS_ECDSA_P521_SHA512);
    let mut p = start(dir.path(), Some(&pem), &[]);

    let fields = p.fields();
    assert_eq!(fields.len(), 6, "{}", p.handshake);
    assert_eq!(&fields[..3], ["1", "6", "unix"]);
    assert_eq!(fields[4], "grpc");
    assert!(!fields[5].contains('='), "cert must be unpadded base64");
    let socket = p.socket();
    assert!(socket.starts_with(dir.path()));
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o077,
        0,
        "socket mode {mode:o} lets other users connect"
    );

    let tls = client_config(p.server_cert(), Some((cert, key)));
    assert_eq!(
        health(&socket, Some(tls.clone())).await,
        Ok(ServingStatus::Serving as i32)
    );

    shutdown(&socket, Some(tls)).await;
    let status = p
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("exit after Shutdown");
    assert_eq!(
        status.code(),
        Some(0),
        "stderr: {}",
        p.stderr.lock().unwrap()
    );
    assert!(!socket.exists(), "socket file left behind");
}

#[tokio::test]
async fn mtls_refuses_a_different_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (pem, _, _) = client_identity(&rcgen::PKCS_ECDSA_P384_SHA384);
    let (_, other_cert, other_key) = client_identity(&rcgen::PKCS_ECDSA_P384_SHA384);
    let p = start(dir.path(), Some(&pem), &[]);
    let tls = client_config(p.server_cert(), Some((other_cert, other_key)));
    let result = health(&p.socket(), Some(tls)).await;
    assert!(
        result.is_err(),
        "a foreign certificate was served: {result:?}"
    );
    assert!(
        p.wait_stderr_contains(
            "TLS handshake with the client failed",
            Duration::from_secs(5)
        )
        .await,
        "reason not logged: {}",
        p.stderr.lock().unwrap()
    );
}

#[tokio::test]
async fn mtls_refuses_a_client_without_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (pem, _, _) = client_identity(&rcgen::PKCS_ECDSA_P256_SHA256);
    let p = start(dir.path(), Some(&pem), &[]);
    let tls = client_config(p.server_cert(), None);
    let result = health(&p.socket(), Some(tls)).await;
    assert!(
        result.is_err(),
        "a client without certificate was served: {result:?}"
    );
    // Plaintext on a TLS socket is refused too.
    assert!(health(&p.socket(), None).await.is_err());
}

#[tokio::test]
async fn without_client_cert_serves_plaintext_with_empty_cert_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(dir.path(), None, &[]);
    assert!(p.handshake.ends_with("|grpc|"), "{}", p.handshake);
    let socket = p.socket();
    assert_eq!(
        health(&socket, None).await,
        Ok(ServingStatus::Serving as i32)
    );
    shutdown(&socket, None).await;
    let status = p
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("exit after Shutdown");
    assert_eq!(status.code(), Some(0));
    assert!(!socket.exists());
}

#[tokio::test]
async fn debug_mode_prints_reattach_and_stops_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    // A client certificate is ignored: Terraform's reattach never uses TLS.
    let (pem, _, _) = client_identity(&rcgen::PKCS_ECDSA_P256_SHA256);
    let mut p = start(dir.path(), Some(&pem), &["--debug"]);
    let json = p
        .handshake
        .strip_prefix("TF_REATTACH_PROVIDERS='")
        .and_then(|s| s.strip_suffix('\''))
        .expect("quoted JSON");
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let entry = &v["registry.terraform.io/qingcloud/qingcloud"];
    assert_eq!(entry["Pid"], p.child.id());
    assert_eq!(entry["Addr"]["Network"], "unix");
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().unwrap());
    assert_eq!(
        health(&socket, None).await,
        Ok(ServingStatus::Serving as i32)
    );

    // Shutdown is ignored in debug mode: the server outlives Terraform runs.
    shutdown(&socket, None).await;
    assert!(p.wait_exit(Duration::from_millis(500)).await.is_none());

    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGINT) };
    let status = p
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("exit after SIGINT");
    assert_eq!(status.code(), Some(0));
    assert!(!socket.exists());
}

#[tokio::test]
async fn sigint_is_ignored_in_plugin_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(dir.path(), None, &[]);
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(p.child.id() as i32, libc::SIGINT) };
    assert!(
        p.wait_exit(Duration::from_millis(500)).await.is_none(),
        "SIGINT killed the plugin"
    );
    assert_eq!(
        health(&p.socket(), None).await,
        Ok(ServingStatus::Serving as i32)
    );
}
