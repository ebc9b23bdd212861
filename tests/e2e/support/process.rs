//! Processes the tests start or watch: signals, waits with a deadline, and /proc lookups.

use std::fs;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

/// After SIGTERM, how long a process gets to stop (Terraform: its providers) before SIGKILL.
pub(super) const TERM_GRACE: Duration = Duration::from_secs(10);

pub(super) fn send_signal(child: &Child, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(child.id()) else {
        return;
    };
    // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child, not yet
    // reaped (callers only signal children they have not waited for successfully).
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Waits for `child` until `deadline`; returns `None` on timeout.
pub(super) fn wait_for_exit(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(e) => panic!("waiting for child process {} failed: {e}", child.id()),
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        thread::sleep((deadline - now).min(Duration::from_millis(20)));
    }
}

/// SIGTERM, then SIGKILL after [`TERM_GRACE`]; returns the final status.
pub(super) fn terminate(child: &mut Child) -> ExitStatus {
    if let Ok(Some(status)) = child.try_wait() {
        return status;
    }
    send_signal(child, libc::SIGTERM);
    if let Some(status) = wait_for_exit(child, Instant::now() + TERM_GRACE) {
        return status;
    }
    let _ = child.kill();
    child.wait().unwrap_or_else(|e| {
        panic!(
            "waiting for killed child process {} failed: {e}",
            child.id()
        )
    })
}

/// Sends `signal` to any process (e.g. a provider found with [`TfChild::provider_pids`]).
/// Returns false if there is no such process any more.
pub fn signal_pid(pid: u32, signal: libc::c_int) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe { libc::kill(pid, signal) == 0 }
}

/// Pids whose parent is `parent`, from /proc/PID/stat (unreaped zombies included).
pub fn child_processes(parent: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        panic!("cannot list /proc: finding processes needs Linux procfs");
    };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the
        // last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(parent) {
            out.push(pid);
        }
    }
    out.sort_unstable();
    out
}

/// The file name of a process's program (argv[0] from /proc/PID/cmdline, else /proc/PID/comm,
/// which the kernel cuts to 15 bytes).
pub fn program_name(pid: u32) -> Option<String> {
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    if !argv0.is_empty() {
        let argv0 = String::from_utf8_lossy(argv0);
        return Some(
            Path::new(argv0.as_ref())
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| argv0.into_owned()),
        );
    }
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_string())
}
