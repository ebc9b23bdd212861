//! Harness for end-to-end tests that drive the REAL Terraform CLI against this provider and the
//! `qingcloud-sim` QingCloud API simulator.
//!
//! Each e2e test file includes it with `mod support;` and uses, for example:
//!
//! ```ignore
//! let sim = Sim::start();
//! sim.add_cluster("cl-demo0001", "pek3a", false);
//! let ws = Workspace::new(Some(&sim));
//! ws.write_config(&hcl(r#"resource "qingcloud_mysqlplus_ssl" "db" { ... }"#));
//! ws.tf_ok(&["apply", "-auto-approve"]);
//! let state = ws.state_json();
//! ```
//!
//! Failures are panics whose messages carry the full Terraform output (and, while a test is
//! panicking, the simulator's log): tests fail, they never skip. Terraform itself comes from
//! `TF_ACC_TERRAFORM_PATH` / `TF_ACC_TERRAFORM_PATH_OLDEST`, else from `scripts/install-terraform`.
#![allow(dead_code)]

pub mod unzip;

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/// The newest Terraform the provider supports and the tests run by default.
pub const TERRAFORM_VERSION: &str = "1.15.5";
/// The oldest Terraform the provider supports.
pub const TERRAFORM_OLDEST_VERSION: &str = "1.6.6";

/// Credentials the simulator accepts.
pub const ACCESS_KEY: &str = "QYSIMACCESSKEY0000001";
pub const SECRET_KEY: &str = "sim-secret-key-do-not-use";
pub const ZONE: &str = "pek3a";

/// Provider address used in test configurations.
pub const PROVIDER_SOURCE: &str = "qingcloud/qingcloud";
const PROVIDER_ADDR: &str = "registry.terraform.io/qingcloud/qingcloud";

/// The `terraform { required_providers { ... } }` block every test configuration needs.
pub const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    qingcloud = {
      source = "qingcloud/qingcloud"
    }
  }
}
"#;

/// Default limit for one Terraform command (override with `E2E_TF_TIMEOUT_SECS` or
/// [`Workspace::set_timeout`]).
const DEFAULT_TF_TIMEOUT: Duration = Duration::from_secs(300);
/// After SIGTERM, how long Terraform gets to stop its providers before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(10);
/// How long the simulator gets to print its address.
const SIM_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Prepends [`REQUIRED_PROVIDERS`] to a configuration body.
pub fn hcl(body: &str) -> String {
    format!("{REQUIRED_PROVIDERS}\n{body}")
}

// ---------------------------------------------------------------------------------------------
// Finding Terraform
// ---------------------------------------------------------------------------------------------

/// Path of the Terraform 1.15.5 CLI: `$TF_ACC_TERRAFORM_PATH`, else installed by
/// `scripts/install-terraform`. Panics (fails the test) when there is none.
pub fn terraform_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| find_terraform("TF_ACC_TERRAFORM_PATH", TERRAFORM_VERSION))
        .clone()
}

/// Path of the Terraform 1.6.6 CLI: `$TF_ACC_TERRAFORM_PATH_OLDEST`, else installed by
/// `scripts/install-terraform 1.6.6`. Panics (fails the test) when there is none.
pub fn terraform_oldest_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| find_terraform("TF_ACC_TERRAFORM_PATH_OLDEST", TERRAFORM_OLDEST_VERSION))
        .clone()
}

fn find_terraform(env_var: &str, version: &str) -> PathBuf {
    if let Some(value) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(&value);
        if is_executable_file(&path) {
            return path;
        }
        panic!(
            "${env_var} is set to {} but that is not an executable file.\n\
             Unset it to let scripts/install-terraform install Terraform {version}, or point it \
             at a Terraform {version} binary.",
            path.display()
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-terraform");
    let output = Command::new("bash")
        .arg(&script)
        .arg(version)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim);
    match last {
        Some(line) if output.status.success() && is_executable_file(Path::new(line)) => {
            PathBuf::from(line)
        }
        _ => panic!(
            "Terraform {version} is required by the end-to-end tests and could not be installed.\n\
             `{} {version}` exited with {}.\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n\
             Set ${env_var} to a Terraform {version} binary, or fix the install (it needs \
             python3 with venv and pip, and PyPI).",
            script.display(),
            output.status
        ),
    }
}

fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The version under which [`Workspace::use_provider_mirror`] publishes the built provider.
pub const PROVIDER_MIRROR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// CLI config text: `dev_overrides` pointing at the built provider's directory.
fn dev_overrides_cli_config() -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_ADDR}\" = {}\n  }}\n  direct {{}}\n}}\n",
        hcl_string(&provider_dir().to_string_lossy())
    )
}

/// Directory holding the provider binary built by cargo for this test run.
pub fn provider_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_terraform-provider-qingcloud"));
    match bin.parent() {
        Some(dir) => dir.to_path_buf(),
        None => panic!("provider binary path {} has no parent", bin.display()),
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform output
// ---------------------------------------------------------------------------------------------

/// What one Terraform command did. `stdout`/`stderr` have ANSI colour codes removed.
#[derive(Debug, Clone)]
pub struct TfOutput {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Exit code; `None` when killed by a signal.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// stdout followed by stderr.
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Whether stdout or stderr contains `needle`, also when Terraform wrapped it across the
    /// lines of a diagnostic box (it wraps details at 78 columns and prefixes lines with "│").
    pub fn contains(&self, needle: &str) -> bool {
        self.stdout.contains(needle)
            || self.stderr.contains(needle)
            || unwrapped(&self.combined()).contains(&unwrapped(needle))
    }

    /// Panics (with the whole output) unless stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.contains(needle),
            "expected Terraform output to contain {needle:?}\n{self}"
        );
        self
    }

    /// Panics (with the whole output) if stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_not_contains(&self, needle: &str) -> &Self {
        assert!(
            !self.contains(needle),
            "expected Terraform output NOT to contain {needle:?}\n{self}"
        );
        self
    }

    /// Parses stdout as JSON (for `-json` commands); panics with the output if it is not.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout of Terraform is not JSON ({e})\n{self}"))
    }

    /// Parses stdout as JSON lines (the machine-readable UI of `plan -json`, `apply -json`);
    /// panics with the output on a line that is not JSON.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l:?}\n{self}"))
            })
            .collect()
    }
}

/// Text with Terraform's diagnostic box prefixes removed and every run of whitespace made one
/// space.
fn unwrapped(text: &str) -> String {
    text.lines()
        .map(|line| line.trim_start().trim_start_matches('│'))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "=== terraform {} -> {} (after {:.1?})",
            self.args.join(" "),
            self.status,
            self.elapsed
        )?;
        writeln!(f, "--- stdout ---\n{}", self.stdout.trim_end())?;
        writeln!(f, "--- stderr ---\n{}", self.stderr.trim_end())?;
        write!(
            f,
            "=== end of terraform {}",
            self.args.first().map_or("", String::as_str)
        )
    }
}

/// Removes ANSI escape sequences (CSI `ESC [ ... final`) from Terraform output.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // Parameter and intermediate bytes, then one final byte in 0x40..=0x7e.
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Running processes with a deadline
// ---------------------------------------------------------------------------------------------

fn send_signal(child: &Child, signal: libc::c_int) {
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
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
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
fn terminate(child: &mut Child) -> ExitStatus {
    if let Ok(Some(status)) = child.try_wait() {
        return status;
    }
    send_signal(child, libc::SIGTERM);
    if let Some(status) = wait_until(child, Instant::now() + TERM_GRACE) {
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

fn read_lossy(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Workspace
// ---------------------------------------------------------------------------------------------

static SPAWN_SEQ: AtomicUsize = AtomicUsize::new(0);

/// A temporary Terraform working directory with its own CLI config (dev_overrides pointing at
/// the freshly built provider) and a controlled environment.
pub struct Workspace {
    root: TempDir,
    work: PathBuf,
    logs: PathBuf,
    terraform: PathBuf,
    envs: BTreeMap<String, String>,
    timeout: Duration,
}

impl Workspace {
    /// A workspace using Terraform 1.15.5, talking to `sim` when given.
    pub fn new(sim: Option<&Sim>) -> Self {
        Self::with_terraform(terraform_path(), sim)
    }

    /// A workspace using the oldest supported Terraform (1.6.6).
    pub fn new_oldest(sim: Option<&Sim>) -> Self {
        Self::with_terraform(terraform_oldest_path(), sim)
    }

    /// A workspace using the given Terraform binary.
    pub fn with_terraform(terraform: PathBuf, sim: Option<&Sim>) -> Self {
        let root = tempfile::Builder::new()
            .prefix("tf-e2e-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for the workspace: {e}"));
        let work = root.path().join("work");
        let logs = root.path().join("logs");
        for dir in [&work, &logs] {
            fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        }

        let cli_config = root.path().join("terraform.tfrc");
        write_file(&cli_config, &dev_overrides_cli_config());

        let mut envs = BTreeMap::new();
        let mut set = |k: &str, v: &str| {
            envs.insert(k.to_string(), v.to_string());
        };
        set("TF_CLI_CONFIG_FILE", &cli_config.to_string_lossy());
        set("CHECKPOINT_DISABLE", "1");
        set("TF_IN_AUTOMATION", "1");
        set("TF_INPUT", "0");
        set("QINGCLOUD_ACCESS_KEY", ACCESS_KEY);
        set("QINGCLOUD_SECRET_KEY", SECRET_KEY);
        set("QINGCLOUD_ZONE", ZONE);
        if let Some(sim) = sim {
            set("QINGCLOUD_ENDPOINT", &sim.endpoint());
        }

        let timeout = std::env::var("E2E_TF_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map_or(DEFAULT_TF_TIMEOUT, Duration::from_secs);

        Workspace {
            root,
            work,
            logs,
            terraform,
            envs,
            timeout,
        }
    }

    /// The Terraform working directory (where `main.tf` lives and commands run).
    pub fn path(&self) -> &Path {
        &self.work
    }

    /// The Terraform binary this workspace runs.
    pub fn terraform(&self) -> &Path {
        &self.terraform
    }

    /// Writes `main.tf` (verbatim; see [`hcl`] to prepend the required_providers block).
    pub fn write_config(&self, config: &str) {
        self.write_file("main.tf", config);
    }

    /// Writes any file relative to the working directory.
    pub fn write_file(&self, name: &str, contents: &str) {
        write_file(&self.work.join(name), contents);
    }

    /// Reads a file relative to the working directory; panics if missing.
    pub fn read_file(&self, name: &str) -> String {
        let path = self.work.join(name);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    /// Sets an environment variable for Terraform (and so for the provider), e.g. `TF_LOG`.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.envs.insert(key.to_string(), value.to_string());
        self
    }

    /// Removes one of the harness's environment variables (e.g. `QINGCLOUD_ZONE`).
    pub fn remove_env(&mut self, key: &str) -> &mut Self {
        self.envs.remove(key);
        self
    }

    /// Changes the per-command time limit.
    pub fn set_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// Switches from `dev_overrides` to a local `filesystem_mirror` holding a copy of the built
    /// provider as version [`PROVIDER_MIRROR_VERSION`], so that `terraform init` works offline
    /// and writes `.terraform.lock.hcl` as with a released provider. Needed for tests that run
    /// `init` (with dev_overrides, Terraform 1.6.6's `init` tries the registry and fails; plan,
    /// apply, import etc. need no `init` with dev_overrides). Configurations may pin
    /// `version = "0.1.0"`.
    pub fn use_provider_mirror(&mut self) -> &mut Self {
        let mirror = self.root.path().join("mirror");
        let target = mirror
            .join(PROVIDER_ADDR)
            .join(PROVIDER_MIRROR_VERSION)
            .join("linux_amd64");
        fs::create_dir_all(&target)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", target.display()));
        let src = Path::new(env!("CARGO_BIN_EXE_terraform-provider-qingcloud"));
        let dst = target.join(format!(
            "terraform-provider-qingcloud_v{PROVIDER_MIRROR_VERSION}"
        ));
        fs::copy(src, &dst)
            .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", src.display(), dst.display()));
        let config = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {}\n    include = [\"{PROVIDER_ADDR}\"]\n  }}\n  direct {{\n    exclude = [\"{PROVIDER_ADDR}\"]\n  }}\n}}\n",
            hcl_string(&mirror.to_string_lossy())
        );
        write_file(&self.root.path().join("terraform.tfrc"), &config);
        self
    }

    /// Points `dev_overrides` at a wrapper that runs the built provider with its stderr copied
    /// to `stderr_log` (appended, one file for every provider process Terraform starts), and
    /// still passed on to Terraform. Returns the log's path. Needs `bash`.
    pub fn capture_provider_stderr(&mut self) -> PathBuf {
        let dir = self.root.path().join("provider-wrapper");
        let log = self.logs.join("provider.stderr");
        let real = Path::new(env!("CARGO_BIN_EXE_terraform-provider-qingcloud"));
        let script = dir.join("terraform-provider-qingcloud");
        write_file(
            &script,
            &format!(
                "#!/usr/bin/env bash\nexec {} \"$@\" 2> >(tee -a {} >&2)\n",
                shell_quote(&real.to_string_lossy()),
                shell_quote(&log.to_string_lossy())
            ),
        );
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&script, fs::Permissions::from_mode(0o755))
                .unwrap_or_else(|e| panic!("cannot make {} executable: {e}", script.display()));
        }
        let config = format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_ADDR}\" = {}\n  }}\n  direct {{}}\n}}\n",
            hcl_string(&dir.to_string_lossy())
        );
        write_file(&self.root.path().join("terraform.tfrc"), &config);
        log
    }

    /// A `Command` for Terraform with the workspace's directory and environment. The inherited
    /// environment is kept except for `TF_*`, `QINGCLOUD_*` and `CHECKPOINT_*` variables, so a
    /// developer's TF_LOG or credentials never leak into a test.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.terraform);
        cmd.args(args).current_dir(&self.work).stdin(Stdio::null());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("TF_")
                || key.starts_with("QINGCLOUD_")
                || key.starts_with("CHECKPOINT_")
            {
                cmd.env_remove(key.as_ref());
            }
        }
        cmd.envs(&self.envs);
        cmd
    }

    /// Runs Terraform and returns what it did, whatever the exit status. On timeout it sends
    /// SIGTERM, then SIGKILL after 10 s, and panics with the output so far.
    pub fn tf(&self, args: &[&str]) -> TfOutput {
        let mut child = self.spawn_tf(args);
        let status = child.wait_timeout(self.timeout);
        match status {
            Some(output) => output,
            None => {
                let output = child.finish();
                panic!(
                    "terraform {} did not finish within {:?}; it was stopped (SIGTERM, then \
                     SIGKILL after {:?}).\n{output}",
                    args.join(" "),
                    self.timeout,
                    TERM_GRACE
                );
            }
        }
    }

    /// Runs Terraform and panics, with its full output, unless it exits 0.
    #[track_caller]
    pub fn tf_ok(&self, args: &[&str]) -> TfOutput {
        let output = self.tf(args);
        if !output.success() {
            panic!("terraform {} failed\n{output}", args.join(" "));
        }
        output
    }

    /// Runs Terraform and panics, with its full output, if it exits 0.
    #[track_caller]
    pub fn tf_err(&self, args: &[&str]) -> TfOutput {
        let output = self.tf(args);
        if output.success() {
            panic!(
                "terraform {} succeeded but was expected to fail\n{output}",
                args.join(" ")
            );
        }
        output
    }

    /// Starts Terraform in the background (for interrupt tests). Its stdout and stderr go to
    /// files; [`TfChild::wait`] collects them.
    pub fn spawn_tf(&self, args: &[&str]) -> TfChild {
        let n = SPAWN_SEQ.fetch_add(1, Ordering::Relaxed);
        let stdout_path = self.logs.join(format!("tf-{n}.stdout"));
        let stderr_path = self.logs.join(format!("tf-{n}.stderr"));
        let stdout = create_file(&stdout_path);
        let stderr = create_file(&stderr_path);
        let child = self
            .command(args)
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} {}: {e}",
                    self.terraform.display(),
                    args.join(" ")
                )
            });
        TfChild {
            child,
            args: args.iter().map(|s| s.to_string()).collect(),
            stdout_path,
            stderr_path,
            started: Instant::now(),
            done: None,
        }
    }

    /// `terraform show -json` parsed (the state as Terraform presents it).
    pub fn state_json(&self) -> Value {
        self.tf_ok(&["show", "-json"]).json()
    }

    /// The raw `terraform.tfstate` file parsed, or `None` if there is none.
    pub fn state_file(&self) -> Option<Value> {
        let path = self.work.join("terraform.tfstate");
        let text = fs::read_to_string(&path).ok()?;
        Some(
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON ({e}):\n{text}", path.display())),
        )
    }

    /// The `values` of one resource (e.g. `"qingcloud_mysqlplus_ssl.db"`) from `show -json`,
    /// or `None` if the state has no such resource.
    pub fn resource(&self, address: &str) -> Option<Value> {
        let state = self.state_json();
        find_resource(&state, address).cloned()
    }

    /// Like [`Workspace::resource`] but panics, showing the state, if it is absent.
    #[track_caller]
    pub fn resource_values(&self, address: &str) -> Value {
        let state = self.state_json();
        match find_resource(&state, address) {
            Some(values) => values.clone(),
            None => panic!(
                "resource {address} is not in the state:\n{}",
                serde_json::to_string_pretty(&state).unwrap_or_default()
            ),
        }
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if thread::panicking() && std::env::var_os("E2E_KEEP_WORKSPACE").is_some() {
            let kept = std::mem::replace(
                &mut self.root,
                match tempfile::tempdir() {
                    Ok(d) => d,
                    Err(_) => return,
                },
            );
            let path = kept.keep();
            eprintln!("E2E_KEEP_WORKSPACE: kept workspace {}", path.display());
        }
    }
}

/// Finds `values` of a resource by address in `terraform show -json` output (root module and
/// child modules).
pub fn find_resource<'a>(state: &'a Value, address: &str) -> Option<&'a Value> {
    fn search<'a>(module: &'a Value, address: &str) -> Option<&'a Value> {
        if let Some(resources) = module.get("resources").and_then(Value::as_array) {
            for r in resources {
                if r.get("address").and_then(Value::as_str) == Some(address) {
                    return r.get("values");
                }
            }
        }
        module
            .get("child_modules")
            .and_then(Value::as_array)
            .and_then(|children| children.iter().find_map(|c| search(c, address)))
    }
    search(state.get("values")?.get("root_module")?, address)
}

/// A Terraform process started with [`Workspace::spawn_tf`]. Dropping it while it still runs
/// stops it (SIGTERM, then SIGKILL).
pub struct TfChild {
    pub child: Child,
    args: Vec<String>,
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    started: Instant,
    done: Option<ExitStatus>,
}

impl TfChild {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Pids of the provider processes Terraform has started and not yet reaped: children of
    /// this Terraform whose program is `terraform-provider-qingcloud` (read from /proc).
    pub fn provider_pids(&self) -> Vec<u32> {
        child_processes(self.pid())
            .into_iter()
            .filter(|&pid| {
                program_name(pid)
                    .is_some_and(|name| name.starts_with("terraform-provider-qingcloud"))
            })
            .collect()
    }

    /// Sends SIGINT (what Ctrl-C does).
    pub fn interrupt(&self) {
        self.signal(libc::SIGINT);
    }

    /// Sends any signal, e.g. `libc::SIGTERM`.
    pub fn signal(&self, signal: libc::c_int) {
        if self.done.is_none() {
            send_signal(&self.child, signal);
        }
    }

    /// What it has printed so far (ANSI codes removed).
    pub fn stdout_so_far(&self) -> String {
        strip_ansi(&read_lossy(&self.stdout_path))
    }

    pub fn stderr_so_far(&self) -> String {
        strip_ansi(&read_lossy(&self.stderr_path))
    }

    /// Polls until stdout or stderr contains `needle`; panics with the output after `timeout`
    /// or if Terraform exits first.
    #[track_caller]
    pub fn wait_for_output(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.stdout_so_far().contains(needle) || self.stderr_so_far().contains(needle) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.done = Some(status);
                panic!(
                    "terraform exited before printing {needle:?}\n{}",
                    self.output()
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "terraform did not print {needle:?} within {timeout:?}\n--- stdout so far ---\n{}\n--- stderr so far ---\n{}",
                    self.stdout_so_far(),
                    self.stderr_so_far()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits up to `timeout`; `None` if it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<TfOutput> {
        if self.done.is_none() {
            self.done = Some(wait_until(&mut self.child, Instant::now() + timeout)?);
        }
        Some(self.output())
    }

    /// Waits (up to the default limit, then stops it and panics) and returns its output.
    #[track_caller]
    pub fn wait(&mut self) -> TfOutput {
        match self.wait_timeout(DEFAULT_TF_TIMEOUT) {
            Some(output) => output,
            None => {
                let output = self.finish();
                panic!("terraform did not finish within {DEFAULT_TF_TIMEOUT:?}\n{output}");
            }
        }
    }

    /// Stops it if it still runs (SIGTERM, then SIGKILL after 10 s) and returns its output.
    pub fn finish(&mut self) -> TfOutput {
        if self.done.is_none() {
            self.done = Some(terminate(&mut self.child));
        }
        self.output()
    }

    fn output(&self) -> TfOutput {
        let status = match self.done {
            Some(status) => status,
            None => panic!("TfChild::output called before the process finished"),
        };
        TfOutput {
            args: self.args.clone(),
            status,
            stdout: self.stdout_so_far(),
            stderr: self.stderr_so_far(),
            elapsed: self.started.elapsed(),
        }
    }
}

impl Drop for TfChild {
    fn drop(&mut self) {
        if self.done.is_none() {
            self.done = Some(terminate(&mut self.child));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Simulator
// ---------------------------------------------------------------------------------------------

/// A running `qingcloud-sim`, killed on drop. Admin helpers panic with the response on any
/// unexpected status.
pub struct Sim {
    child: Child,
    addr: String,
    dir: TempDir,
    stderr_path: PathBuf,
    stdout_path: PathBuf,
}

/// The simulator binary of the `qingcloud-sim` crate. Cargo only tells a test where its own
/// package's binaries are; the workspace builds both into the same directory.
pub fn sim_binary() -> PathBuf {
    let provider = Path::new(env!("CARGO_BIN_EXE_terraform-provider-qingcloud"));
    let sim = provider.with_file_name("qingcloud-sim");
    assert!(
        sim.is_file(),
        "{} is missing: build the workspace first (`cargo build --workspace`; scripts/test does)",
        sim.display()
    );
    sim
}

impl Sim {
    /// Starts the simulator on a free loopback port.
    pub fn start() -> Sim {
        Self::start_with(&[])
    }

    /// Starts the simulator with extra arguments (e.g. `["--job-duration-ms", "50"]`).
    pub fn start_with(args: &[&str]) -> Sim {
        Self::start_binary(&sim_binary(), args)
    }

    /// Starts a given simulator binary (`--listen 127.0.0.1:0` is added first).
    pub fn start_binary(binary: &Path, args: &[&str]) -> Sim {
        let dir = tempfile::Builder::new()
            .prefix("qingcloud-sim-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for the simulator: {e}"));
        let stderr_path = dir.path().join("sim.stderr");
        let stdout_path = dir.path().join("sim.stdout");
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(create_file(&stderr_path))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start simulator {}: {e}", binary.display()));

        let Some(stdout) = child.stdout.take() else {
            panic!("simulator stdout was not captured");
        };
        let (tx, rx) = mpsc::channel();
        let rest_path = stdout_path.clone();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let read = reader.read_line(&mut first);
            let _ = tx.send(read.map(|_| first));
            // Keep draining so the simulator never blocks on a full pipe.
            if let Ok(mut file) = File::create(&rest_path) {
                let _ = std::io::copy(&mut reader, &mut file);
            }
        });

        let first_line = match rx.recv_timeout(SIM_START_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => {
                let _ = child.kill();
                panic!(
                    "reading the simulator's address failed: {e}\n{}",
                    sim_log(&stderr_path)
                );
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the simulator printed no address within {SIM_START_TIMEOUT:?}\n{}",
                    sim_log(&stderr_path)
                );
            }
        };
        let addr = first_line.trim().to_string();
        if addr.is_empty() || addr.to_socket_addrs().is_err() {
            let _ = child.kill();
            let status = child.wait().ok();
            panic!(
                "the simulator's first stdout line should be its address (127.0.0.1:PORT), got \
                 {first_line:?} (exit status {status:?})\n{}",
                sim_log(&stderr_path)
            );
        }

        let sim = Sim {
            child,
            addr,
            dir,
            stderr_path,
            stdout_path,
        };
        sim.wait_healthy();
        sim
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + SIM_START_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            match http_request(&self.addr, "GET", "/_sim/health", None) {
                Ok((200, _)) => return,
                Ok((status, body)) => last = format!("HTTP {status}: {body}"),
                Err(e) => last = e,
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "simulator at {} never became healthy: {last}\n{}",
            self.addr,
            self.log()
        );
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The API endpoint for the provider: `http://127.0.0.1:PORT/iaas/`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/iaas/", self.addr)
    }

    /// A directory that lives as long as the simulator (for `--state` / `--config` files).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The simulator's stderr so far.
    pub fn log(&self) -> String {
        sim_log(&self.stderr_path)
    }

    /// Any admin request; returns (HTTP status, body). Panics only on connection errors.
    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
        let body_text = body.map(Value::to_string);
        match http_request(&self.addr, method, path, body_text.as_deref()) {
            Ok(res) => res,
            Err(e) => panic!(
                "simulator admin {method} {path} failed: {e}\n{}",
                self.log()
            ),
        }
    }

    /// An admin request that must answer 2xx; returns the body parsed as JSON (`Null` if empty).
    #[track_caller]
    pub fn admin_ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let (status, text) = self.admin(method, path, body);
        if !(200..300).contains(&status) {
            panic!(
                "simulator admin {method} {path} answered HTTP {status}: {text}\nrequest body: {}",
                body.map(Value::to_string).unwrap_or_default()
            );
        }
        if text.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("simulator admin {method} {path} answered non-JSON ({e}): {text}")
        })
    }

    /// Creates a cluster (in the simulator only; the provider never creates clusters).
    #[track_caller]
    pub fn add_cluster(&self, id: &str, zone: &str, ssl: bool) {
        self.add_cluster_with(json!({ "cluster_id": id, "zone": zone, "ssl": ssl }));
    }

    /// Creates a cluster from a full admin body (e.g. with `job_duration_ms`).
    #[track_caller]
    pub fn add_cluster_with(&self, body: Value) {
        self.admin_ok("POST", "/_sim/clusters", Some(&body));
    }

    /// Deletes a cluster; `mode` is `deleted`, `ceased` or `absent`.
    #[track_caller]
    pub fn delete_cluster(&self, id: &str, mode: &str) {
        self.admin_ok("DELETE", &format!("/_sim/clusters/{id}?mode={mode}"), None);
    }

    /// `{"cluster_id","zone","status","transition_status","ssl","jobs":[...]}`.
    #[track_caller]
    pub fn cluster(&self, id: &str) -> Value {
        self.admin_ok("GET", &format!("/_sim/clusters/{id}"), None)
    }

    /// Every cluster (admin shape, with its jobs).
    #[track_caller]
    pub fn clusters(&self) -> Vec<Value> {
        match self.admin_ok("GET", "/_sim/clusters", None) {
            Value::Array(items) => items,
            other => panic!("simulator /_sim/clusters is not an array: {other}"),
        }
    }

    /// Whether the simulator says SSL is on for the cluster.
    #[track_caller]
    pub fn cluster_ssl(&self, id: &str) -> bool {
        let cluster = self.cluster(id);
        match cluster.get("ssl").and_then(Value::as_bool) {
            Some(ssl) => ssl,
            None => panic!("simulator cluster {id} has no boolean \"ssl\": {cluster}"),
        }
    }

    /// Changes SSL as someone using the web console would; returns the job id.
    #[track_caller]
    pub fn console_ssl(&self, id: &str, enabled: bool) -> String {
        let res = self.admin_ok(
            "POST",
            &format!("/_sim/clusters/{id}/console-ssl"),
            Some(&json!({ "enabled": enabled })),
        );
        match res.get("job_id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => panic!("simulator console-ssl answer has no job_id: {res}"),
        }
    }

    /// Sets fault injection, e.g. `json!({"error_rate": 0.3, "error_codes": [5000]})`.
    #[track_caller]
    pub fn set_faults(&self, faults: Value) {
        self.admin_ok("PUT", "/_sim/faults", Some(&faults));
    }

    /// Turns all fault injection off.
    #[track_caller]
    pub fn clear_faults(&self) {
        self.set_faults(json!({
            "error_rate": 0.0,
            "error_codes": [],
            "http_503_rate": 0.0,
            "drop_rate": 0.0,
            "slow_rate": 0.0,
            "slow_ms": 0,
            "fail_jobs": {},
            "stuck_jobs": []
        }));
    }

    #[track_caller]
    pub fn faults(&self) -> Value {
        self.admin_ok("GET", "/_sim/faults", None)
    }

    /// How long new jobs take.
    #[track_caller]
    pub fn set_job_duration_ms(&self, ms: u64) {
        self.admin_ok(
            "PUT",
            "/_sim/settings",
            Some(&json!({ "job_duration_ms": ms })),
        );
    }

    /// Finishes a (e.g. stuck) job now.
    #[track_caller]
    pub fn finish_job(&self, job_id: &str) {
        self.admin_ok("POST", &format!("/_sim/jobs/{job_id}/finish"), None);
    }

    /// Appends `count` made-up successful non-SSL jobs (backups and custom services such as
    /// `add_user`) to a cluster's history, newer than its existing jobs and older than any job
    /// created afterwards. Returns `{"seeded","total_jobs","first_job_id","last_job_id",...}`.
    #[track_caller]
    pub fn seed_jobs(&self, id: &str, count: usize) -> Value {
        self.admin_ok(
            "POST",
            &format!("/_sim/clusters/{id}/seed-jobs"),
            Some(&json!({ "count": count })),
        )
    }

    /// Makes every signed request of `action` (or `"*"` for all) answer oddly; `kind` is one
    /// of `no_set`, `duplicate_set`, `html`, `empty`, `no_ret_code`, `hang`. Other faults stay.
    #[track_caller]
    pub fn set_odd_answer(&self, action: &str, kind: &str) {
        let mut faults = self.faults();
        match faults.get_mut("odd_answers").and_then(Value::as_object_mut) {
            Some(map) => {
                map.insert(action.to_string(), json!(kind));
            }
            None => faults["odd_answers"] = json!({ action: kind }),
        }
        self.set_faults(faults);
    }

    /// Answers `action` normally again (other odd answers stay).
    #[track_caller]
    pub fn clear_odd_answer(&self, action: &str) {
        let mut faults = self.faults();
        if let Some(map) = faults.get_mut("odd_answers").and_then(Value::as_object_mut) {
            map.remove(action);
        }
        self.set_faults(faults);
    }

    /// Overwrites what the API serves for a job: `{"directive": "<raw>"}` and/or
    /// `{"status": "<any>"}`; `null` restores the real value. Returns the job (admin shape).
    #[track_caller]
    pub fn patch_job(&self, id: &str, body: Value) -> Value {
        self.admin_ok("PATCH", &format!("/_sim/jobs/{id}"), Some(&body))
    }

    /// Changes a cluster: `{"status": "stopped"}`, `{"transition_status": "updating"}` (busy
    /// until `""` or `null`), `{"job_duration_ms": N}`. Returns the cluster (admin shape).
    #[track_caller]
    pub fn patch_cluster(&self, id: &str, body: Value) -> Value {
        self.admin_ok("PATCH", &format!("/_sim/clusters/{id}"), Some(&body))
    }

    /// The API requests the simulator has seen:
    /// `[{"seq","action","params","ret_code","http_status","outcome","job_id"?}]`.
    #[track_caller]
    pub fn requests(&self) -> Vec<Value> {
        match self.admin_ok("GET", "/_sim/requests", None) {
            Value::Array(items) => items,
            other => panic!("simulator /_sim/requests is not an array: {other}"),
        }
    }

    #[track_caller]
    pub fn clear_requests(&self) {
        self.admin_ok("DELETE", "/_sim/requests", None);
    }

    /// How many requests with this action (e.g. `"DescribeClusters"`) the simulator has seen.
    #[track_caller]
    pub fn count(&self, action: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.get("action").and_then(Value::as_str) == Some(action))
            .count()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!(
                "--- qingcloud-sim at {} (log tail) ---\n{}",
                self.addr,
                self.log()
            );
        }
    }
}

fn sim_log(path: &Path) -> String {
    const TAIL: usize = 16 * 1024;
    let text = read_lossy(path);
    if text.len() <= TAIL {
        return format!("--- simulator stderr ---\n{text}");
    }
    let mut start = text.len() - TAIL;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!(
        "--- simulator stderr (last {TAIL} bytes) ---\n{}",
        &text[start..]
    )
}

// ---------------------------------------------------------------------------------------------
// Minimal blocking HTTP/1.1 client (admin API only; loopback, JSON bodies)
// ---------------------------------------------------------------------------------------------

/// One request with `Connection: close`; returns (status, body).
pub fn http_request(
    addr: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<(u16, String), String> {
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| format!("bad address {addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("address {addr} resolves to nothing"))?;
    let mut stream = TcpStream::connect_timeout(&sock, Duration::from_secs(5))
        .map_err(|e| format!("connect to {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .and_then(|_| stream.set_write_timeout(Some(Duration::from_secs(60))))
        .map_err(|e| format!("socket options: {e}"))?;

    let body = body.unwrap_or("");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send {method} {path}: {e}"))?;

    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read response to {method} {path}: {e}"))?;
    parse_http_response(&raw).map_err(|e| format!("response to {method} {path}: {e}"))
}

pub fn parse_http_response(raw: &[u8]) -> Result<(u16, String), String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            if name == "content-length" {
                content_length = value.parse::<usize>().ok();
            } else if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
        }
    }
    let body = if chunked {
        decode_chunked(rest)?
    } else if let Some(len) = content_length {
        rest.get(..len)
            .ok_or_else(|| format!("body shorter than Content-Length {len}"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn decode_chunked(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size line")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|e| format!("bad chunk size {size_hex:?}: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("truncated chunk terminator")?;
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

fn write_file(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    }
    fs::write(path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn create_file(path: &Path) -> File {
    File::create(path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()))
}

/// Quotes a string for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Quotes a string for HCL.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    // Template sequences would be interpolated.
    out.replace("${", "$${").replace("%{", "%%{")
}
