//! Accepting connections (with the AutoMTLS handshake) and running the gRPC server until
//! Shutdown or a signal (`signals`).

use super::conn::{Conn, Io};
use super::controller::Controller;
use super::listener::Bound;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tonic::transport::Server;

/// A client that connects but never finishes TLS must not hold a task forever.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After Shutdown, in-flight calls get this long to finish before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

enum Listener {
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
    Tcp(tokio::net::TcpListener),
}

impl Listener {
    /// Must run inside the runtime (tokio registers the socket with its reactor).
    fn from_bound(bound: &Bound) -> io::Result<Self> {
        Ok(match bound {
            #[cfg(unix)]
            Bound::Unix(l, _) => {
                Listener::Unix(tokio::net::UnixListener::from_std(l.try_clone()?)?)
            }
            Bound::Tcp(l) => Listener::Tcp(tokio::net::TcpListener::from_std(l.try_clone()?)?),
        })
    }

    async fn accept(&self) -> io::Result<Box<dyn Io>> {
        match self {
            #[cfg(unix)]
            Listener::Unix(l) => Ok(Box::new(l.accept().await?.0)),
            Listener::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                // Without this every small gRPC reply waits for Nagle + delayed ACK (40+ ms).
                stream.set_nodelay(true)?;
                Ok(Box::new(stream))
            }
        }
    }
}

/// Accepts until `stop`, handing finished (TLS-)connections to the server through a channel.
/// TLS handshakes run in their own tasks so one slow client cannot block the next.
fn spawn_acceptor(
    listener: Listener,
    tls: Option<TlsAcceptor>,
    stop: CancellationToken,
) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel::<io::Result<Conn>>(16);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = stop.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let io = match accepted {
                Ok(io) => io,
                Err(e) => {
                    // E.g. EMFILE: back off instead of spinning, keep the server alive.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            match &tls {
                None => {
                    if tx.send(Ok(Conn(io))).await.is_err() {
                        break;
                    }
                }
                Some(acceptor) => {
                    let (acceptor, tx) = (acceptor.clone(), tx.clone());
                    tokio::spawn(async move {
                        match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(io)).await
                        {
                            Ok(Ok(stream)) => {
                                let _ = tx.send(Ok(Conn(Box::new(stream)))).await;
                            }
                            // Terraform itself only says "Plugin did not respond": say why here.
                            Ok(Err(e)) => tracing::warn!(
                                error = %e,
                                "TLS handshake with the client failed (AutoMTLS: only the \
                                 certificate from PLUGIN_CLIENT_CERT is accepted)"
                            ),
                            Err(_) => tracing::warn!(
                                "TLS handshake with the client timed out after {}s",
                                TLS_HANDSHAKE_TIMEOUT.as_secs()
                            ),
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Serves `routes` plus the go-plugin services (health, GRPCController) until `stop` fires.
/// `on_ready` runs once everything is set up and before the first connection is served: that is
/// where the handshake line is printed.
pub(crate) async fn serve(
    bound: &Bound,
    tls: Option<Arc<rustls::ServerConfig>>,
    routes: Routes,
    stop: CancellationToken,
    debug: bool,
    on_ready: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    let listener = Listener::from_bound(bound)?;

    let (health, health_service) = tonic_health::server::health_reporter();
    // go-plugin's client checks the service named "plugin".
    health
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let routes = routes
        .add_service(health_service)
        .add_service(Controller::service(stop.clone(), debug));

    // Message size limits (256 MiB) are per service (set on the generated *Server types), not
    // here. The adaptive window lets big schemas and states use the bandwidth of a local socket.
    let mut server = Server::builder().http2_adaptive_window(Some(true));
    let incoming = spawn_acceptor(listener, tls.map(TlsAcceptor::from), stop.clone());

    on_ready()?;

    let serving = server
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, stop.clone().cancelled_owned());
    let grace = async {
        stop.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        result = serving => result.map_err(io::Error::other),
        _ = grace => {
            tracing::warn!("connections still open {}s after shutdown; exiting anyway",
                SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    }
}
