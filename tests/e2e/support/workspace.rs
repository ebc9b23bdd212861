//! A temporary Terraform working directory, and Terraform run in it: to completion
//! ([`Workspace::tf`]) or in the background ([`TfChild`]).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::files::{create_file, read_lossy, write_file};
use super::hcl::hcl_string;
use super::process::{
    TERM_GRACE, child_processes, program_name, send_signal, terminate, wait_for_exit,
};
use super::sim::{ACCESS_KEY, SECRET_KEY, Sim, ZONE};
use super::terminal::strip_ansi;
use super::terraform::{
    PROVIDER_ADDR, PROVIDER_MIRROR_VERSION, provider_dir, terraform_oldest_path, terraform_path,
};
use super::tf_output::TfOutput;

/// Default limit for one Terraform command (override with `E2E_TF_TIMEOUT_SECS`).
const DEFAULT_TF_TIMEOUT: Duration = Duration::from_secs(300);

/// CLI config text: `dev_overrides` pointing at the built provider's directory.
fn dev_overrides_cli_config() -> String {
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_ADDR}\" = {}\n  }}\n  direct {{}}\n}}\n",
        hcl_string(&provider_dir().to_string_lossy())
    )
}

/// Quotes a string for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

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

    /// Waits until stdout or stderr contains `needle`; panics with what it printed if it
    /// exits first or `timeout` passes.
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
                    "terraform did not print {needle:?} within {timeout:?}\n--- stdout so far \
                     ---\n{}\n--- stderr so far ---\n{}",
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
            self.done = Some(wait_for_exit(&mut self.child, Instant::now() + timeout)?);
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
