//! What the plugin does when the terminal interrupts it. Terraform delivers Ctrl-C to its
//! providers too (the process group on Unix, the console on Windows), but stops them through
//! the StopProvider and Shutdown RPCs, so a plugin must outlive the interrupt; go-plugin's
//! `Serve` ignores it. In --debug mode nobody else stops the server, so Ctrl-C does.

use std::io;
use tokio_util::sync::CancellationToken;

/// SIGTERM always stops gracefully (so the socket file is removed); SIGINT only in debug mode,
/// because Terraform forwards Ctrl-C to the whole process group and stops providers with the
/// StopProvider RPC instead. (`super::main` sets SIGINT to SIG_IGN before anything runs.)
#[cfg(unix)]
pub(crate) fn spawn_signal_watch(stop: CancellationToken, debug: bool) -> io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = if debug {
        Some(signal(SignalKind::interrupt())?)
    } else {
        None
    };
    tokio::spawn(async move {
        let interrupted = async {
            match int.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received; shutting down"),
            _ = interrupted => tracing::info!("interrupted; shutting down"),
            _ = stop.cancelled() => return,
        }
        stop.cancel();
    });
    Ok(())
}

/// Windows has no SIG_IGN for the console: a process without a console handler dies on Ctrl-C
/// or Ctrl-Break. Tokio's handler tells Windows an event was handled only while a listener for
/// it exists, so the listeners live in a task that keeps them as long as the runtime can deliver
/// events, whether or not the server is stopping. Closing the console (Windows' SIGTERM, as Go maps it) stops gracefully.
#[cfg(windows)]
pub(crate) fn spawn_signal_watch(stop: CancellationToken, debug: bool) -> io::Result<()> {
    use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
    let mut int = ctrl_c()?;
    let mut brk = ctrl_break()?;
    let mut close = ctrl_close()?;
    tokio::spawn(async move {
        let mut ignored: u64 = 0;
        loop {
            // None: the runtime is going away and no event can arrive any more.
            let interrupted = tokio::select! {
                got = int.recv() => got,
                got = brk.recv() => got,
                got = close.recv() => {
                    if got.is_none() {
                        break;
                    }
                    tracing::info!("console closed; shutting down");
                    stop.cancel();
                    continue;
                }
            };
            if interrupted.is_none() {
                break;
            }
            if debug {
                tracing::info!("interrupted; shutting down");
                stop.cancel();
            } else {
                ignored += 1;
                tracing::trace!(
                    count = ignored,
                    "interrupt received; ignored (Terraform stops providers through RPCs)"
                );
            }
        }
    });
    Ok(())
}
