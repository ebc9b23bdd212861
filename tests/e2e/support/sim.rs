//! `qingcloud-sim` as a child process, and its admin API through the simulator crate's client
//! ([`SimClient`]), made blocking for the tests.

use std::fs::File;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use qingcloud_sim::client::{
    self, ClusterPatch, DeleteMode, Faults, JobPatch, NewCluster, OddAnswer, SeedRequest, SimClient,
};
use serde_json::Value;
use tempfile::TempDir;

use super::files::{create_file, read_lossy};
use super::wait::wait_until;

/// The zone of the tests' clusters and of the provider's configuration.
pub use qingcloud_sim::client::DEFAULT_ZONE as ZONE;
/// The key pair the simulator accepts when none is configured.
pub use qingcloud_sim::{DEFAULT_ACCESS_KEY as ACCESS_KEY, DEFAULT_SECRET_KEY as SECRET_KEY};

/// How long the simulator gets to print its address.
const SIM_START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `qingcloud-sim`, killed on drop. Its admin helpers panic, with the simulator's
/// answer and log, when it does not answer as expected.
pub struct Sim {
    child: Child,
    addr: String,
    /// Holds the simulator's log; deleted on drop.
    _dir: TempDir,
    stderr_path: PathBuf,
    client: SimClient,
    /// Runs the client's calls; `None` once dropped.
    runtime: Option<tokio::runtime::Runtime>,
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
        let rest_path = dir.path().join("sim.stdout");
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

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("sim-client")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start a runtime for the simulator client: {e}"));
        let sim = Sim {
            child,
            client: SimClient::new(format!("http://{addr}")),
            addr,
            _dir: dir,
            stderr_path,
            runtime: Some(runtime),
        };
        sim.wait_healthy();
        sim
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + SIM_START_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.try_call(|c| async move { c.health().await }) {
                Ok(()) => return,
                Err(e) => last = e.to_string(),
            }
            thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "simulator at {} never became healthy: {last}\n{}",
            self.addr,
            self.log()
        );
    }

    /// The API endpoint for the provider: `http://127.0.0.1:PORT/iaas/`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/iaas/", self.addr)
    }

    /// The simulator's stderr so far.
    pub fn log(&self) -> String {
        sim_log(&self.stderr_path)
    }

    /// A client for calls the helpers below do not make (signed API calls); async, for a
    /// `#[tokio::test]`. A new one, not the helpers': a connection belongs to the runtime that
    /// opened it, and a pooled one used from another runtime can stall or fail.
    pub fn client(&self) -> SimClient {
        SimClient::new(format!("http://{}", self.addr))
    }

    /// Runs one call of the client to completion on the simulator's own runtime. The tests
    /// block; some run inside a runtime of their own, where `block_on` would panic.
    fn try_call<T, F>(&self, call: impl FnOnce(SimClient) -> F) -> Result<T, client::Error>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, client::Error>> + Send + 'static,
    {
        let Some(runtime) = &self.runtime else {
            panic!("the simulator's client runtime is gone");
        };
        let (tx, rx) = mpsc::channel();
        let future = call(self.client.clone());
        runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        match rx.recv() {
            Ok(answer) => answer,
            Err(_) => panic!("a call of the simulator client ended without an answer"),
        }
    }

    /// [`Sim::try_call`], failing the test with the simulator's answer and log.
    #[track_caller]
    fn call<T, F>(&self, call: impl FnOnce(SimClient) -> F) -> T
    where
        T: Send + 'static,
        F: Future<Output = Result<T, client::Error>> + Send + 'static,
    {
        match self.try_call(call) {
            Ok(value) => value,
            Err(e) => panic!("{e}\n{}", self.log()),
        }
    }

    /// Creates a cluster (in the simulator only; the provider never creates clusters).
    #[track_caller]
    pub fn add_cluster(&self, id: &str, zone: &str, ssl: bool) {
        let cluster = NewCluster {
            ssl,
            ..NewCluster::new(id, zone)
        };
        self.call(|c| async move { c.add_cluster(&cluster).await });
    }

    /// Creates a cluster from a full admin body (e.g. with `job_duration_ms`).
    #[track_caller]
    pub fn add_cluster_with(&self, body: Value) {
        let cluster: NewCluster = from_json("cluster", body);
        self.call(|c| async move { c.add_cluster(&cluster).await });
    }

    /// Deletes a cluster.
    #[track_caller]
    pub fn delete_cluster(&self, id: &str, mode: DeleteMode) {
        let id = id.to_string();
        self.call(|c| async move { c.delete_cluster(&id, mode).await });
    }

    /// `{"cluster_id","zone","status","transition_status","ssl","jobs":[...]}`.
    #[track_caller]
    pub fn cluster(&self, id: &str) -> Value {
        let id = id.to_string();
        self.call(|c| async move { c.cluster(&id).await })
    }

    /// Every cluster (admin shape, with its jobs).
    #[track_caller]
    pub fn clusters(&self) -> Vec<Value> {
        self.call(|c| async move { c.clusters().await })
    }

    /// A cluster's jobs (admin shape), oldest first.
    #[track_caller]
    pub fn jobs(&self, cluster: &str) -> Vec<Value> {
        self.cluster(cluster)["jobs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
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
        let id = id.to_string();
        self.call(|c| async move { c.console_ssl(&id, enabled).await })
    }

    /// [`Sim::console_ssl`], then waits (20 s at most) for the job to land.
    #[track_caller]
    pub fn console_ssl_and_wait(&self, id: &str, enabled: bool) {
        self.console_ssl(id, enabled);
        wait_until("the console's job", Duration::from_secs(20), || {
            self.cluster_ssl(id) == enabled
        });
    }

    /// Replaces the fault injection, e.g. `json!({"error_rate": 0.3, "error_codes": [5000]})`
    /// (fields left out take their defaults; a misspelt one fails the test).
    #[track_caller]
    pub fn set_faults(&self, faults: Value) {
        self.put_faults(from_json("faults", faults));
    }

    #[track_caller]
    fn put_faults(&self, faults: Faults) {
        self.call(|c| async move { c.set_faults(&faults).await });
    }

    /// Turns all fault injection off.
    #[track_caller]
    pub fn clear_faults(&self) {
        self.put_faults(Faults {
            error_codes: Vec::new(),
            ..Faults::default()
        });
    }

    #[track_caller]
    fn faults_now(&self) -> Faults {
        self.call(|c| async move { c.faults().await })
    }

    /// The faults in effect, as JSON.
    #[track_caller]
    pub fn faults(&self) -> Value {
        serde_json::to_value(self.faults_now()).unwrap_or_default()
    }

    /// Finishes a (e.g. stuck) job now.
    #[track_caller]
    pub fn finish_job(&self, job_id: &str) {
        let id = job_id.to_string();
        self.call(|c| async move { c.finish_job(&id).await });
    }

    /// One job in the admin shape (the API's fields plus `origin`, `enable_ssl`, `stuck`,
    /// `lifecycle_status`).
    #[track_caller]
    pub fn job(&self, job_id: &str) -> Value {
        let id = job_id.to_string();
        self.call(|c| async move { c.job(&id).await })
    }

    /// Appends `count` made-up successful non-SSL jobs (backups and custom services such as
    /// `add_user`) to a cluster's history, newer than its existing jobs and older than any job
    /// created afterwards. Returns `{"seeded","total_jobs","first_job_id","last_job_id",...}`.
    #[track_caller]
    pub fn seed_jobs(&self, id: &str, count: usize) -> Value {
        let id = id.to_string();
        let request = SeedRequest {
            count,
            service: None,
        };
        let seeded = self.call(|c| async move { c.seed_jobs(&id, &request).await });
        serde_json::to_value(seeded).unwrap_or_default()
    }

    /// Makes every signed request of `action` (or `"*"` for all) answer oddly; `kind` is one
    /// of `no_set`, `duplicate_set`, `html`, `empty`, `no_ret_code`, `hang`. Other faults stay.
    #[track_caller]
    pub fn set_odd_answer(&self, action: &str, kind: &str) {
        let kind: OddAnswer = from_json("odd answer", Value::from(kind));
        let mut faults = self.faults_now();
        faults.odd_answers.insert(action.to_string(), kind);
        self.put_faults(faults);
    }

    /// Answers `action` normally again (other odd answers stay).
    #[track_caller]
    pub fn clear_odd_answer(&self, action: &str) {
        let mut faults = self.faults_now();
        faults.odd_answers.remove(action);
        self.put_faults(faults);
    }

    /// Overwrites what the API serves for a job: `{"directive": "<raw>"}` and/or
    /// `{"status": "<any>"}`; `null` restores the real value. Returns the job (admin shape).
    #[track_caller]
    pub fn patch_job(&self, id: &str, patch: Value) -> Value {
        let id = id.to_string();
        let patch: JobPatch = from_json("job patch", patch);
        self.call(|c| async move { c.patch_job(&id, &patch).await })
    }

    /// Changes a cluster: `{"status": "stopped"}`, `{"transition_status": "updating"}` (busy
    /// until `""` or `null`), `{"job_duration_ms": N}`. Returns the cluster (admin shape).
    #[track_caller]
    pub fn patch_cluster(&self, id: &str, patch: Value) -> Value {
        let id = id.to_string();
        let patch: ClusterPatch = from_json("cluster patch", patch);
        self.call(|c| async move { c.patch_cluster(&id, &patch).await })
    }

    /// The API requests the simulator has seen:
    /// `[{"seq","action","params","ret_code","http_status","outcome","job_id"?}]`.
    #[track_caller]
    pub fn requests(&self) -> Vec<Value> {
        self.call(|c| async move { c.requests().await })
    }

    #[track_caller]
    pub fn clear_requests(&self) {
        self.call(|c| async move { c.clear_requests().await });
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

/// An admin body written as JSON in a test, as the client's type; a body the simulator would
/// refuse fails the test here, naming the field.
#[track_caller]
fn from_json<T: serde::de::DeserializeOwned>(what: &str, body: Value) -> T {
    match serde_json::from_value(body.clone()) {
        Ok(value) => value,
        Err(e) => panic!("not a {what} the simulator takes ({e}): {body}"),
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // Not dropped in place: a test may itself run inside a runtime, where that panics.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
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
