//! The go-plugin host: everything between "Terraform execs the binary" and "gRPC requests
//! reach the tfplugin6.Provider service". See DESIGN.md for this layer's place.
//!
//! Start-up order matters: cookie and protocol checks first (a human running the binary gets a
//! message, nothing else), the socket is bound before any thread exists (umask, see
//! `listener`), and the handshake line is the first thing on stdout.

mod conn;
mod controller;
pub mod env;
pub mod handshake;
mod identity;
mod listener;
pub mod logging;
mod serve;
mod signals;
pub mod tls;
#[cfg(unix)]
mod unix_socket;

pub use identity::Identity;
pub use logging::init_logging;

use env::{EnvError, PluginEnv};
use handshake::Address;
use std::io::Write;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

/// Runs as a Terraform plugin: checks the environment Terraform set, prints the handshake and
/// serves until Terraform calls GRPCController.Shutdown. Exit code 1 on any start-up error.
pub fn main(identity: &Identity, make_routes: fn() -> Routes) -> ExitCode {
    // Ctrl-C reaches the whole process group; Terraform stops providers through RPCs instead.
    // (Windows has no SIG_IGN for the console's Ctrl-C: `signals` swallows it there.)
    // SAFETY: installing SIG_IGN has no handler code to be unsafe about.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN)
    };
    run(identity, Mode::Plugin, make_routes)
}

/// `--debug`: serves without TLS and without the cookie, prints TF_REATTACH_PROVIDERS for a
/// developer to paste, and keeps serving across Terraform runs until Ctrl-C.
pub fn main_debug(identity: &Identity, make_routes: fn() -> Routes) -> ExitCode {
    run(identity, Mode::Debug, make_routes)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plugin,
    Debug,
}

fn run(identity: &Identity, mode: Mode, make_routes: fn() -> Routes) -> ExitCode {
    if mode == Mode::Plugin {
        // Before logging: a person who runs the binary by hand gets one readable message.
        if let Err(e) = env::check_cookie(std::env::var(env::MAGIC_COOKIE_KEY).ok().as_deref()) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    init_logging(identity);
    match start(identity, mode, make_routes) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("{}: {message}", identity.binary);
            ExitCode::FAILURE
        }
    }
}

fn start(identity: &Identity, mode: Mode, make_routes: fn() -> Routes) -> Result<(), String> {
    let version = match mode {
        Mode::Plugin => {
            env::negotiate_version(std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref())
                .map_err(|e: EnvError| e.to_string())?
        }
        Mode::Debug => env::PROTOCOL_VERSION,
    };
    let plugin_env = PluginEnv::parse(|k| std::env::var_os(k)).map_err(|e| e.to_string())?;

    // Debug mode is for Terraform's reattach, which always connects without TLS.
    let tls = match (&plugin_env.client_cert_pem, mode) {
        (Some(pem), Mode::Plugin) => Some(tls::server_tls(pem).map_err(|e| e.to_string())?),
        _ => None,
    };
    if tls.is_none() && mode == Mode::Plugin {
        tracing::warn!("PLUGIN_CLIENT_CERT is not set: serving without TLS");
    }

    // Still single-threaded here, which `unix_socket::bind_unix` relies on.
    let bound = listener::bind(
        &plugin_env.socket_dir,
        identity.name,
        plugin_env.min_port,
        plugin_env.max_port,
    )
    .map_err(|e| format!("cannot listen for Terraform: {e}"))?;
    let address = bound
        .address()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;

    // One thread: the provider's own work per call is small, and Terraform, which shares the
    // machine, is the busy one. A second worker mostly added thread hand-offs: one thread uses
    // about a quarter less CPU per plan of 100 (docs/performance.md). Blocking work (building
    // the HTTP client) goes to tokio's blocking pool.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;

    let cert_der = tls.as_ref().map(|t| t.cert_der.clone());
    let routes = make_routes();
    let stop = CancellationToken::new();
    let result = runtime.block_on(async {
        signals::spawn_signal_watch(stop.clone(), mode == Mode::Debug)?;
        // Sockets of providers that were killed before they could remove theirs. On a thread of
        // its own, so a big temporary directory never delays the handshake Terraform waits for.
        #[cfg(unix)]
        {
            let socket_dir = plugin_env.socket_dir.clone();
            let name = identity.name;
            tokio::task::spawn_blocking(move || {
                let removed = unix_socket::remove_stale_sockets(&socket_dir, name);
                if removed > 0 {
                    tracing::debug!(removed, dir = %socket_dir.display(), "removed stale plugin sockets");
                }
            });
        }
        let announce = || match mode {
            Mode::Plugin => print_handshake(version, &address, cert_der.as_deref()),
            Mode::Debug => print_reattach(identity.address, version, &address),
        };
        serve::serve(
            &bound,
            tls.map(|t| t.config),
            routes,
            stop,
            mode == Mode::Debug,
            announce,
        )
        .await
    });
    // Do not wait on tasks still parked on a dead connection.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    tracing::debug!("plugin server stopped");
    drop(bound); // removes the socket file
    result.map_err(|e| format!("serving failed: {e}"))
}

/// The first and only line on stdout while serving for Terraform.
fn print_handshake(version: u32, address: &Address, cert: Option<&[u8]>) -> std::io::Result<()> {
    let line = handshake::handshake_line(version, address, cert);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    tracing::debug!(network = address.network(), address = %address.address(), "handshake sent");
    Ok(())
}

fn print_reattach(provider_address: &str, version: u32, address: &Address) -> std::io::Result<()> {
    let line = handshake::reattach_line(provider_address, version, std::process::id(), address);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Provider {} started in debug mode (no TLS), listening on {}:{}.\n\
         To make Terraform use it, set this in the shell where you run Terraform:\n\n\
         {line}\n\n\
         Press Ctrl-C to stop the provider.",
        provider_address,
        address.network(),
        address.address(),
    )?;
    out.flush()
}
