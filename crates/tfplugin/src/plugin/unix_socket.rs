//! The private unix socket Terraform connects to on Unix, and the clean-up of the ones killed
//! providers left behind.
//!
//! A clean exit removes the socket file, but a provider killed with SIGKILL (Terraform killed
//! itself, or gave up on a hung provider) cannot, and the files pile up in the temporary
//! directory. So socket names carry the process id, and each start removes the stale sockets
//! of earlier runs (`remove_stale_sockets`), touching nothing that is not certainly one.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const SOCKET_SUFFIX: &str = ".sock";
/// A socket without a pid in its name is taken as stale only when at least this old, so one
/// that an older provider has bound but not yet made listen (microseconds) is never removed.
const UNNAMED_MIN_AGE: Duration = Duration::from_secs(60);

/// Removes the socket file when dropped, so a clean exit leaves nothing in $TMPDIR.
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
}

impl SocketFile {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds a fresh, randomly named socket that only our user can connect to.
///
/// connect(2) on a unix socket needs write permission on the file, so mode 0600 keeps other
/// users out. The mode comes from the umask at bind time; setting it afterwards would leave a
/// window in which the socket is already listening with the default mode. The umask is
/// process-wide, so this must run before other threads exist.
pub(crate) fn bind_unix(dir: &Path, provider_name: &str) -> io::Result<(UnixListener, SocketFile)> {
    let prefix = socket_prefix(provider_name);
    let mut last_err = io::Error::other("no socket name tried");
    for _ in 0..8 {
        let path = dir.join(format!(
            "{prefix}{}-{:016x}{SOCKET_SUFFIX}",
            std::process::id(),
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

/// What a socket file name says about its maker.
#[derive(Debug, PartialEq, Eq)]
enum SocketName {
    /// `PREFIX<pid>-<hex>SUFFIX`.
    WithPid(u32),
    /// `PREFIX<hex>SUFFIX`, from a provider before pids were in the names.
    WithoutPid,
}

/// `tf-provider-NAME-`: one provider never touches another's sockets.
fn socket_prefix(provider_name: &str) -> String {
    format!("tf-provider-{provider_name}-")
}

fn parse_socket_name(prefix: &str, name: &str) -> Option<SocketName> {
    let middle = name.strip_prefix(prefix)?.strip_suffix(SOCKET_SUFFIX)?;
    let is_hex16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit());
    match middle.split_once('-') {
        Some((pid, random)) if is_hex16(random) && pid.bytes().all(|b| b.is_ascii_digit()) => {
            pid.parse().ok().filter(|p| *p > 0).map(SocketName::WithPid)
        }
        None if is_hex16(middle) => Some(SocketName::WithoutPid),
        _ => None,
    }
}

/// Whether a process with this id exists (whoever owns it).
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    // EPERM: it exists but belongs to someone else.
    io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes, from `dir`, socket files left behind by providers of this user that are gone, and
/// returns how many. A file is removed only when all of these hold: its name is one this
/// provider makes; it is a socket (not a symlink or anything else); it belongs to this user;
/// the process named in it no longer exists (for old names without a pid: it is over a
/// minute old); and connecting to it is refused, i.e. nobody listens on it.
pub(crate) fn remove_stale_sockets(dir: &Path, provider_name: &str) -> usize {
    let prefix = socket_prefix(provider_name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    // SAFETY: geteuid(2) cannot fail.
    let me = unsafe { libc::geteuid() };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(kind) = name.to_str().and_then(|n| parse_socket_name(&prefix, n)) else {
            continue;
        };
        let path = entry.path();
        // lstat: a symlink is judged as itself, never by what it points to.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.file_type().is_socket() || meta.uid() != me {
            continue;
        }
        let maybe_alive = match kind {
            SocketName::WithPid(pid) => process_exists(pid),
            SocketName::WithoutPid => meta
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .is_none_or(|age| age < UNNAMED_MIN_AGE),
        };
        if maybe_alive {
            continue;
        }
        match UnixStream::connect(&path) {
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
            // Someone listens after all, or we cannot tell: leave it.
            _ => continue,
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                removed += 1;
                tracing::debug!(path = %path.display(), "removed a stale plugin socket");
            }
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "cannot remove a stale plugin socket")
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "tf-provider-qingcloud-";
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn unix_socket_is_private_and_removed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let (_listener, file) = bind_unix(dir.path(), "qingcloud").unwrap();
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
    fn socket_names_carry_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let (_listener, file) = bind_unix(dir.path(), "qingcloud").unwrap();
        let name = file.path.file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(
            parse_socket_name(PREFIX, &name),
            Some(SocketName::WithPid(std::process::id())),
            "{name}"
        );
        assert_eq!(
            parse_socket_name(PREFIX, "tf-provider-qingcloud-0123456789abcdef.sock"),
            Some(SocketName::WithoutPid)
        );
        for other in [
            "tf-provider-qingcloud-12-0123456789abcdef.sock.bak",
            "tf-provider-qingcloud-12-0123.sock",
            "tf-provider-qingcloud-x1-0123456789abcdef.sock",
            "tf-provider-qingcloud-0-0123456789abcdef.sock",
            "tf-provider-qingcloud--0123456789abcdef.sock",
            "plugin123456",
        ] {
            assert_eq!(parse_socket_name(PREFIX, other), None, "{other}");
        }
    }

    /// A pid that certainly belonged to a process that is gone now.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    /// A socket file nobody listens on, as a SIGKILLed provider leaves behind.
    fn abandoned_socket(path: &Path) {
        drop(UnixListener::bind(path).unwrap());
        assert!(path.exists());
    }

    fn set_old(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        let old = libc::timespec {
            tv_sec: 1_000_000_000,
            tv_nsec: 0,
        };
        // SAFETY: a valid C string and two timespecs, as utimensat(2) expects.
        let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [old, old].as_ptr(), 0) };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    }

    #[test]
    fn stale_sockets_of_dead_providers_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: String| dir.path().join(name);
        let dead = dead_pid();
        let stale = at(format!(
            "tf-provider-qingcloud-{dead}-00000000000000aa.sock"
        ));
        abandoned_socket(&stale);
        let stale_old_name = at("tf-provider-qingcloud-00000000000000bb.sock".into());
        abandoned_socket(&stale_old_name);
        set_old(&stale_old_name);

        // Kept: a live provider's socket (this process), even one nobody listens on yet.
        let (_live, live_file) = bind_unix(dir.path(), "qingcloud").unwrap();
        let me = std::process::id();
        let not_listening = at(format!("tf-provider-qingcloud-{me}-00000000000000cc.sock"));
        abandoned_socket(&not_listening);
        // Kept: a fresh old-style name (it may be an older provider starting up).
        let fresh_old_name = at("tf-provider-qingcloud-00000000000000dd.sock".into());
        abandoned_socket(&fresh_old_name);
        // Kept: an old-style name someone still listens on.
        let listening_old_name = at("tf-provider-qingcloud-00000000000000ee.sock".into());
        let _listening = UnixListener::bind(&listening_old_name).unwrap();
        set_old(&listening_old_name);
        // Kept: what is not a socket, or not named like ours.
        let regular = at(format!(
            "tf-provider-qingcloud-{dead}-00000000000000ff.sock"
        ));
        std::fs::write(&regular, "not a socket").unwrap();
        let link = at(format!(
            "tf-provider-qingcloud-{dead}-0000000000000011.sock"
        ));
        let target = at("elsewhere.sock".into());
        abandoned_socket(&target);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let foreign = at(format!("plugin-{dead}.sock"));
        abandoned_socket(&foreign);

        assert_eq!(remove_stale_sockets(dir.path(), "qingcloud"), 2);
        assert!(!stale.exists() && !stale_old_name.exists());
        for kept in [
            &live_file.path,
            &not_listening,
            &fresh_old_name,
            &listening_old_name,
            &regular,
            &link,
            &target,
            &foreign,
        ] {
            assert!(
                std::fs::symlink_metadata(kept).is_ok(),
                "{} was removed",
                kept.display()
            );
        }
        // A missing directory is nothing to clean.
        assert_eq!(
            remove_stale_sockets(&dir.path().join("missing"), "qingcloud"),
            0
        );
    }
}
