//! The `qingcloud-sim` command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::config::{ConfigFile, SimOptions};
use super::faults::Faults;

const USAGE: &str = "usage: qingcloud-sim [--listen ADDR] [--state FILE] [--config FILE]
                     [--job-duration-ms N] [--honour-reverse]
                     [--access-key ID --secret-key SECRET]
                     [--faults JSON] [--error-rate R] [--error-codes C,C,...]
                     [--http-503-rate R] [--drop-rate R] [--slow-rate R] [--slow-ms N]
                     [--fault-seed N]

--honour-reverse   DescribeClusterJobs lists newest first when asked reverse=1. Without it
                   (the default) it lists oldest first whatever reverse/sort_key say, as the
                   documentation, which lists neither parameter, allows.
Faults JSON also takes \"odd_answers\": {\"ACTION or *\": \"no_set|duplicate_set|html|empty|
no_ret_code|hang\"}. Admin calls (seed-jobs, job and cluster patches): see src/sim/README.md.

Prints the bound address as the first line of stdout; logs go to stderr (RUST_LOG).
The QingCloud API is served at /iaas/, the admin API under /_sim/.";

#[derive(Debug, Default)]
pub struct Args {
    pub listen: String,
    pub state: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub job_duration_ms: Option<u64>,
    pub honour_reverse: Option<bool>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub faults_json: Option<String>,
    /// `(name, value)` of the single-fault flags, applied over the faults JSON in order.
    pub fault_flags: Vec<(String, String)>,
}

pub enum Parsed {
    Run(Args),
    Help,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut out = Args {
        listen: "127.0.0.1:0".into(),
        ..Args::default()
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Ok(Parsed::Help);
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--listen" => out.listen = value()?,
            "--state" => out.state = Some(PathBuf::from(value()?)),
            "--config" => out.config = Some(PathBuf::from(value()?)),
            "--job-duration-ms" => {
                let v = value()?;
                out.job_duration_ms = Some(
                    v.parse()
                        .map_err(|_| format!("--job-duration-ms: not a number: {v}"))?,
                );
            }
            "--honour-reverse" => {
                // A switch; `--honour-reverse=false` turns it off over a config file.
                out.honour_reverse = Some(match inline.as_deref() {
                    None | Some("true") => true,
                    Some("false") => false,
                    Some(v) => return Err(format!("--honour-reverse: true or false, not {v}")),
                });
            }
            "--access-key" => out.access_key = Some(value()?),
            "--secret-key" => out.secret_key = Some(value()?),
            "--faults" => out.faults_json = Some(value()?),
            "--error-rate" | "--error-codes" | "--http-503-rate" | "--drop-rate"
            | "--slow-rate" | "--slow-ms" | "--fault-seed" => {
                let v = value()?;
                out.fault_flags.push((flag.clone(), v));
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if out.access_key.is_some() != out.secret_key.is_some() {
        return Err("--access-key and --secret-key go together".into());
    }
    Ok(Parsed::Run(out))
}

fn apply_fault_flag(faults: &mut Faults, flag: &str, v: &str) -> Result<(), String> {
    let rate = || {
        v.parse::<f64>()
            .map_err(|_| format!("{flag}: not a number: {v}"))
    };
    let int = || {
        v.parse::<u64>()
            .map_err(|_| format!("{flag}: not a number: {v}"))
    };
    match flag {
        "--error-rate" => faults.error_rate = rate()?,
        "--http-503-rate" => faults.http_503_rate = rate()?,
        "--drop-rate" => faults.drop_rate = rate()?,
        "--slow-rate" => faults.slow_rate = rate()?,
        "--slow-ms" => faults.slow_ms = int()?,
        "--fault-seed" => faults.seed = Some(int()?),
        "--error-codes" => {
            faults.error_codes = v
                .split(',')
                .map(|c| {
                    c.trim()
                        .parse::<i64>()
                        .map_err(|_| format!("{flag}: bad code {c:?}"))
                })
                .collect::<Result<_, _>>()?;
        }
        _ => return Err(format!("unknown fault flag {flag}")),
    }
    Ok(())
}

/// Flags override the config file, which overrides the saved state.
pub fn options(args: &Args) -> Result<SimOptions, String> {
    let mut options = SimOptions {
        state_file: args.state.clone(),
        ..SimOptions::default()
    };
    if let Some(path) = &args.config {
        options.merge_config(ConfigFile::load(path)?);
    }
    if let (Some(id), Some(secret)) = (&args.access_key, &args.secret_key) {
        options.access_keys.insert(id.clone(), secret.clone());
    }
    if args.job_duration_ms.is_some() {
        options.job_duration_ms = args.job_duration_ms;
    }
    if args.honour_reverse.is_some() {
        options.honour_reverse = args.honour_reverse;
    }
    if let Some(json) = &args.faults_json {
        let faults: Faults = serde_json::from_str(json).map_err(|e| format!("--faults: {e}"))?;
        options.faults = Some(faults);
    }
    if !args.fault_flags.is_empty() {
        let mut faults = options.faults.clone().unwrap_or_default();
        for (flag, v) in &args.fault_flags {
            apply_fault_flag(&mut faults, flag, v)?;
        }
        options.faults = Some(faults);
    }
    if let Some(faults) = &options.faults {
        faults.validate()?;
    }
    Ok(options)
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The whole program: parse, bind, announce the address, serve until SIGTERM/SIGINT, save.
pub async fn run(argv: impl IntoIterator<Item = String>) -> ExitCode {
    let args = match parse(argv) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("qingcloud-sim: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let options = match options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("qingcloud-sim: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("qingcloud-sim: cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    let server = match super::serve(listener, options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("qingcloud-sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The one line a parent process waits for; flushed because stdout is a pipe there.
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", server.addr())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("qingcloud-sim: cannot write the address to stdout");
    }
    stop_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags() {
        let Ok(Parsed::Run(a)) = parse(argv(
            "--listen 127.0.0.1:0 --job-duration-ms=5 --access-key A --secret-key S --drop-rate 0.5 --error-codes 5000,5100",
        )) else {
            panic!("parse failed")
        };
        let o = options(&a).unwrap_or_default();
        assert_eq!(o.job_duration_ms, Some(5));
        assert_eq!(o.keys().get("A").map(String::as_str), Some("S"));
        let f = o.faults.unwrap_or_default();
        assert_eq!(f.drop_rate, 0.5);
        assert_eq!(f.error_codes, vec![5000, 5100]);
        assert_eq!(o.honour_reverse, None);
        assert!(parse(argv("--access-key A")).is_err());
        for (flag, want) in [
            ("--honour-reverse", true),
            ("--honour-reverse=false", false),
        ] {
            let Ok(Parsed::Run(a)) = parse(argv(flag)) else {
                panic!("{flag}")
            };
            assert_eq!(options(&a).map(|o| o.honour_reverse), Ok(Some(want)));
        }
        assert!(parse(argv("--honour-reverse=maybe")).is_err());
        assert!(parse(argv("--bogus")).is_err());
        assert!(matches!(parse(argv("--drop-rate 2")), Ok(Parsed::Run(a)) if options(&a).is_err()));
    }
}
