//! The QingCloud API simulator binary (see this crate's README.md).

use std::process::ExitCode;

fn main() -> ExitCode {
    // Logs go to stderr: stdout is reserved for the address line a parent process reads.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("qingcloud-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(qingcloud_sim::cli::run(std::env::args_os().skip(1)))
}
