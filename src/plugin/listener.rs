//! The socket Terraform connects to: a private unix socket, or loopback TCP when a unix socket
//! cannot be made (path too long, directory not writable).

use super::handshake::Address;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

/// A bound, listening socket, still in std form: binding happens before the async runtime
/// starts, while the process has a single thread (see `bind_unix`).
pub enum Bound {
    Unix(UnixListener, SocketFile),
    Tcp(TcpListener),
}

impl Bound {
    pub fn address(&self) -> io::Result<Address> {
        match self {
            Bound::Unix(_, file) => Ok(Address::Unix(file.path.clone())),
            Bound::Tcp(l) => Ok(Address::Tcp(l.local_addr()?)),
        }
    }
}

/// Removes the socket file when dropped, so a clean exit leaves nothing in $TMPDIR.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Unix socket first (what go-plugin does on Unix); TCP only when that fails.
pub fn bind(socket_dir: &Path, min_port: u16, max_port: u16) -> io::Result<Bound> {
    match bind_unix(socket_dir) {
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

/// Binds a fresh, randomly named socket that only our user can connect to.
///
/// connect(2) on a unix socket needs write permission on the file, so mode 0600 keeps other
/// users out. The mode comes from the umask at bind time; setting it afterwards would leave a
/// window in which the socket is already listening with the default mode. The umask is
/// process-wide, so this must run before other threads exist.
pub fn bind_unix(dir: &Path) -> io::Result<(UnixListener, SocketFile)> {
    let mut last_err = io::Error::other("no socket name tried");
    for _ in 0..8 {
        let path = dir.join(format!(
            "tf-provider-qingcloud-{:016x}.sock",
            fastrand::u64(..)
        ));
        // SAFETY: umask(2) only swaps a process attribute and cannot fail.
        let old = unsafe { libc::umask(0o177) };
        let result = UnixListener::bind(&path);
        unsafe { libc::umask(old) };
        match result {
            Ok(listener) => {
                let file = SocketFile { path };
                // Belt and braces, e.g. on filesystems that ignore the umask for sockets.
                std::fs::set_permissions(&file.path, std::fs::Permissions::from_mode(0o600))?;
                listener.set_nonblocking(true)?;
                return Ok((listener, file));
            }
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => last_err = e,
            Err(e) => return Err(e),
        }
    }
    Err(last_err)
}

/// Loopback only; starts at a random port of the range so parallel plugin starts rarely collide.
pub fn bind_tcp(min_port: u16, max_port: u16) -> io::Result<TcpListener> {
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
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn unix_socket_is_private_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let (_listener, file) = bind_unix(dir.path()).unwrap();
        let path = file.path.clone();
        let meta = std::fs::metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(
            meta.permissions().mode() & 0o077,
            0,
            "socket open to others"
        );
        drop(file);
        assert!(!path.exists());
    }

    #[test]
    fn falls_back_to_tcp_when_unix_is_impossible() {
        let missing = Path::new("/nonexistent-dir-for-plugin-test");
        let bound = bind(missing, 20000, 25000).unwrap();
        match bound.address().unwrap() {
            Address::Tcp(addr) => {
                assert!(addr.ip().is_loopback());
                assert!((20000..=25000).contains(&addr.port()));
            }
            other => panic!("expected TCP, got {other:?}"),
        }
    }
}
