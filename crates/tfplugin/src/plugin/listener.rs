//! The socket Terraform connects to. On Unix: a private unix socket (`unix_socket`), or
//! loopback TCP when a unix socket cannot be made (path too long, directory not writable).
//! On Windows: loopback TCP, as go-plugin does there.

use super::handshake::Address;
#[cfg(unix)]
use super::unix_socket::{SocketFile, bind_unix};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
#[cfg(unix)]
use std::os::unix::net::UnixListener;
use std::path::Path;

/// A bound, listening socket, still in std form: binding happens before the async runtime
/// starts, while the process has a single thread (see `bind_unix`).
pub(crate) enum Bound {
    #[cfg(unix)]
    Unix(UnixListener, SocketFile),
    Tcp(TcpListener),
}

impl Bound {
    pub(crate) fn address(&self) -> io::Result<Address> {
        match self {
            #[cfg(unix)]
            Bound::Unix(_, file) => Ok(Address::Unix(file.path().to_path_buf())),
            Bound::Tcp(l) => Ok(Address::Tcp(l.local_addr()?)),
        }
    }
}

/// Unix socket first (what go-plugin does on Unix); TCP only when that fails.
#[cfg(unix)]
pub(crate) fn bind(
    socket_dir: &Path,
    provider_name: &str,
    min_port: u16,
    max_port: u16,
) -> io::Result<Bound> {
    match bind_unix(socket_dir, provider_name) {
        Ok((listener, file)) => Ok(Bound::Unix(listener, file)),
        Err(unix_err) => {
            tracing::warn!(
                dir = %socket_dir.display(),
                error = %unix_err,
                "cannot create a unix socket; falling back to TCP on 127.0.0.1"
            );
            bind_tcp(min_port, max_port).map(Bound::Tcp)
        }
    }
}

/// Windows has no unix sockets for go-plugin's client, which connects over TCP there; the socket
/// directory and the provider's name only matter for unix sockets.
#[cfg(not(unix))]
pub(crate) fn bind(
    _socket_dir: &Path,
    _provider_name: &str,
    min_port: u16,
    max_port: u16,
) -> io::Result<Bound> {
    bind_tcp(min_port, max_port).map(Bound::Tcp)
}

/// Loopback only; starts at a random port of the range so parallel plugin starts rarely collide.
pub(crate) fn bind_tcp(min_port: u16, max_port: u16) -> io::Result<TcpListener> {
    let span = u32::from(max_port - min_port) + 1;
    let start = fastrand::u32(..span);
    let mut last_err = io::Error::other("empty port range");
    for i in 0..span {
        let port = min_port + ((start + i) % span) as u16;
        match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))) {
            Ok(listener) => {
                listener.set_nonblocking(true)?;
                return Ok(listener);
            }
            Err(e) => last_err = e,
        }
    }
    Err(io::Error::new(
        last_err.kind(),
        format!("no free port in {min_port}-{max_port} on 127.0.0.1: {last_err}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_tcp_when_unix_is_impossible() {
        let missing = Path::new("/nonexistent-dir-for-plugin-test");
        let bound = bind(missing, "qingcloud", 20000, 25000).unwrap();
        match bound.address().unwrap() {
            Address::Tcp(addr) => {
                assert!(addr.ip().is_loopback());
                assert!((20000..=25000).contains(&addr.port()));
            }
            other => panic!("expected TCP, got {other:?}"),
        }
    }
}
