//! The `qingcloud-sim` command line.

use clap::Parser;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::config::{ConfigFile, SimOptions};
use super::faults::Faults;

const AFTER_HELP: &str = "\
Precedence: flags > config file > saved state; the fault flags apply over --faults.
--latency-ms is a fixed round trip for every API answer (half of it before the request acts,
half after), like a real API that far away; --slow-rate/--slow-ms delay a random share of
requests and are logged as faults.
Without --honour-reverse, DescribeClusterJobs lists oldest first whatever reverse/sort_key say,
as the documentation, which lists neither parameter, allows.
--faults also takes \"odd_answers\": {\"ACTION or *\": \"no_set|duplicate_set|html|empty|no_ret_code|hang\"}.
The config file and the admin API: crates/qingcloud-sim/README.md.

Prints the bound address as the first line of stdout; logs go to stderr (RUST_LOG).
The QingCloud API is served at /iaas/, the admin API under /_sim/.
SIGTERM or SIGINT: stop, save the state, exit 0. Bad arguments: exit 2.";

/// A local QingCloud API over real HTTP, for the demo and the end-to-end tests.
#[derive(Debug, Parser)]
#[command(name = "qingcloud-sim", version, after_help = AFTER_HELP)]
// A flag given twice takes its last value.
#[command(args_override_self = true)]
struct Args {
    /// Address to listen on (port 0: a free port)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: String,
    /// JSON world: loaded at start, rewritten on every change
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// JSON config file: access keys, clusters, settings, faults
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Job duration; 0: jobs finish at once [default: 2000, or the saved setting]
    #[arg(long, value_name = "N")]
    job_duration_ms: Option<u64>,
    /// DescribeClusterJobs obeys reverse=1 (newest first); =false: not, over a config file
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        hide_possible_values = true
    )]
    honour_reverse: Option<bool>,
    /// Every API answer N ms after its request, half before it acts; not a fault (see --slow-ms)
    /// [default: 0, or the saved setting]
    #[arg(long, value_name = "N")]
    latency_ms: Option<u64>,
    /// An access key the API accepts, instead of the built-in pair
    #[arg(long, value_name = "ID", requires = "secret_key")]
    access_key: Option<String>,
    /// The secret of --access-key
    #[arg(long, value_name = "SECRET", requires = "access_key")]
    secret_key: Option<String>,
    /// Fault injection, as `PUT /_sim/faults` takes it
    #[arg(long = "faults", value_name = "JSON", value_parser = faults_json)]
    faults: Option<Faults>,
    /// Share of API requests answered with an error code
    #[arg(long, value_name = "R", help_heading = "Faults")]
    error_rate: Option<f64>,
    /// The ret_codes --error-rate draws from [default: 5000,5100,2500]
    #[arg(long, value_name = "C,C,...", value_parser = error_codes, help_heading = "Faults")]
    error_codes: Option<ErrorCodes>,
    /// Share of API requests answered with HTTP 503
    #[arg(long = "http-503-rate", value_name = "R", help_heading = "Faults")]
    http_503_rate: Option<f64>,
    /// Share of API requests whose connection closes without an answer
    #[arg(long, value_name = "R", help_heading = "Faults")]
    drop_rate: Option<f64>,
    /// Share of API requests answered after --slow-ms
    #[arg(long, value_name = "R", help_heading = "Faults")]
    slow_rate: Option<f64>,
    /// How late a slow answer comes
    #[arg(long, value_name = "N", help_heading = "Faults")]
    slow_ms: Option<u64>,
    /// Seed of the fault draws, so a run repeats
    #[arg(long, value_name = "N", help_heading = "Faults")]
    fault_seed: Option<u64>,
}

/// `--error-codes`: comma-separated ret_codes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ErrorCodes(Vec<i64>);

fn error_codes(v: &str) -> Result<ErrorCodes, String> {
    v.split(',')
        .map(|c| {
            c.trim()
                .parse::<i64>()
                .map_err(|_| format!("bad code {c:?}"))
        })
        .collect::<Result<_, _>>()
        .map(ErrorCodes)
}

fn faults_json(v: &str) -> Result<Faults, String> {
    serde_json::from_str(v).map_err(|e| e.to_string())
}

/// Parses the arguments after the program name.
fn parse<I, T>(args: I) -> Result<Args, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    Args::try_parse_from(
        std::iter::once(OsString::from("qingcloud-sim")).chain(args.into_iter().map(Into::into)),
    )
}

/// Flags override the config file, which overrides the saved state.
fn options(args: &Args) -> Result<SimOptions, String> {
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
    if args.latency_ms.is_some() {
        options.latency_ms = args.latency_ms;
    }
    // The single-fault flags apply over the faults JSON (or the defaults).
    let mut faults = args.faults.clone().or(options.faults.take());
    if let Some(rate) = args.error_rate {
        faults.get_or_insert_default().error_rate = rate;
    }
    if let Some(ErrorCodes(codes)) = &args.error_codes {
        faults.get_or_insert_default().error_codes = codes.clone();
    }
    if let Some(rate) = args.http_503_rate {
        faults.get_or_insert_default().http_503_rate = rate;
    }
    if let Some(rate) = args.drop_rate {
        faults.get_or_insert_default().drop_rate = rate;
    }
    if let Some(rate) = args.slow_rate {
        faults.get_or_insert_default().slow_rate = rate;
    }
    if let Some(ms) = args.slow_ms {
        faults.get_or_insert_default().slow_ms = ms;
    }
    if let Some(seed) = args.fault_seed {
        faults.get_or_insert_default().seed = Some(seed);
    }
    options.faults = faults;
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
pub async fn run<I, T>(argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match parse(argv) {
        Ok(args) => args,
        // --help and --version (exit 0) print to stdout, errors (exit 2) to stderr.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
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
    use clap::CommandFactory;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags() {
        let Ok(a) = parse(argv(
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
        assert_eq!(o.latency_ms, None);
        let Ok(a) = parse(argv("--latency-ms 50")) else {
            panic!("--latency-ms")
        };
        let o = options(&a).unwrap_or_default();
        // A setting, not a fault: it leaves the faults alone.
        assert_eq!((o.latency_ms, o.faults), (Some(50), None));
        assert!(parse(argv("--access-key A")).is_err());
        for (flag, want) in [
            ("--honour-reverse", true),
            ("--honour-reverse=false", false),
        ] {
            let Ok(a) = parse(argv(flag)) else {
                panic!("{flag}")
            };
            assert_eq!(options(&a).map(|o| o.honour_reverse), Ok(Some(want)));
        }
        assert!(parse(argv("--honour-reverse=maybe")).is_err());
        assert!(parse(argv("--bogus")).is_err());
        assert!(matches!(parse(argv("--drop-rate 2")), Ok(a) if options(&a).is_err()));
    }

    #[test]
    fn help_names_every_flag_and_bad_values_are_usage_errors() {
        Args::command().debug_assert();
        let help = Args::command().render_help().to_string();
        for flag in [
            "--listen <ADDR>",
            "--state <FILE>",
            "--config <FILE>",
            "--job-duration-ms <N>",
            "--honour-reverse[=<BOOL>]",
            "--latency-ms <N>",
            "--access-key <ID>",
            "--secret-key <SECRET>",
            "--faults <JSON>",
            "--error-rate <R>",
            "--error-codes <C,C,...>",
            "--http-503-rate <R>",
            "--drop-rate <R>",
            "--slow-rate <R>",
            "--slow-ms <N>",
            "--fault-seed <N>",
        ] {
            assert!(help.contains(flag), "{flag} missing from\n{help}");
        }
        let Err(e) = parse(argv("--help")) else {
            panic!("--help must not run")
        };
        assert_eq!(e.exit_code(), 0);
        for bad in [
            "--job-duration-ms ten",
            "--job-duration-ms=-1",
            "--error-rate x",
            "--error-codes 5000,x",
            "--slow-ms 1.5",
            "--latency-ms fast",
            "--latency-ms=-50",
            "--fault-seed -3",
            "--faults {",
            "--faults {\"eror_rate\":1}",
            "--honour-reverse false",
            "--secret-key S",
            "--listen",
            "stray",
        ] {
            let Err(e) = parse(argv(bad)) else {
                panic!("{bad} parsed")
            };
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
        }
    }

    #[test]
    fn single_fault_flags_apply_over_the_faults_json_and_the_last_of_a_repeated_flag_wins() {
        let a = parse(argv(
            r#"--faults {"drop_rate":0.1,"error_rate":0.2} --drop-rate 0.3 --error-codes 2500,_5000 --slow-ms 7 --slow-ms 8 --fault-seed 9"#,
        ));
        assert!(a.is_err(), "a bad code is refused");
        let a = parse(argv(
            r#"--faults {"drop_rate":0.1,"error_rate":0.2} --drop-rate 0.3 --error-codes 2500,5000 --slow-ms 7 --slow-ms 8 --fault-seed 9"#,
        ))
        .expect("parse");
        let f = options(&a).expect("options").faults.unwrap_or_default();
        assert_eq!(
            (f.drop_rate, f.error_rate, f.error_codes, f.slow_ms, f.seed),
            (0.3, 0.2, vec![2500, 5000], 8, Some(9))
        );
        let a = parse(argv("--listen 127.0.0.1:1 --listen 127.0.0.1:2")).expect("parse");
        assert_eq!(a.listen, "127.0.0.1:2");
        assert_eq!(
            parse(argv("")).map(|a| a.listen).ok().as_deref(),
            Some("127.0.0.1:0")
        );
    }
}
