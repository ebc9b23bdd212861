//! The real `qingcloud-sim` binary: address line, credentials from flags and config, state
//! that survives a restart, clean exit on SIGTERM, and many concurrent clients.

use qingcloud_sim::client::{Faults, NewCluster, SimClient};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{TestResult, ZONE, cluster};

struct Running {
    child: Child,
    api: SimClient,
}

impl Running {
    fn start(args: &[&str], log: &Path) -> Self {
        let log = std::fs::File::create(log).expect("log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_qingcloud-sim"))
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn qingcloud-sim");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("address line");
        let addr: std::net::SocketAddr = line.trim_end().parse().unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("first stdout line is not an address: {line:?}")
        });
        Self {
            child,
            api: SimClient::new(format!("http://{addr}")),
        }
    }

    /// SIGTERM, then the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: signalling the child this test spawned and still owns.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("qingcloud-sim did not exit on SIGTERM");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[tokio::test]
async fn prints_address_serves_and_exits_cleanly_on_sigterm() -> TestResult {
    let dir = tempfile::tempdir().expect("tempdir");
    let sim = Running::start(&[], &dir.path().join("sim.log"));
    sim.api.health().await?;
    // The built-in key pair works when none is configured.
    let v = sim
        .api
        .call(&[("action", "DescribeClusters"), ("zone", ZONE)])
        .await?;
    assert_eq!(v["ret_code"], 0, "{v}");
    assert!(sim.stop().success());
    Ok(())
}

#[test]
fn bad_arguments_exit_with_2() {
    let status = Command::new(env!("CARGO_BIN_EXE_qingcloud-sim"))
        .args(["--no-such-flag"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run");
    assert_eq!(status.code(), Some(2));
}

#[test]
fn help_lists_every_flag_on_stdout_and_exits_0() {
    let out = Command::new(env!("CARGO_BIN_EXE_qingcloud-sim"))
        .arg("--help")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--state",
        "--config",
        "--job-duration-ms",
        "--honour-reverse",
        "--access-key",
        "--secret-key",
        "--faults",
        "--error-rate",
        "--error-codes",
        "--http-503-rate",
        "--drop-rate",
        "--slow-rate",
        "--slow-ms",
        "--fault-seed",
    ] {
        assert!(help.contains(flag), "{flag} missing from\n{help}");
    }
}

#[tokio::test]
async fn state_survives_a_restart_including_a_running_job() -> TestResult {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    let state_arg = state.to_string_lossy().to_string();
    let log = dir.path().join("sim.log");

    let sim = Running::start(&["--state", &state_arg, "--job-duration-ms", "0"], &log);
    sim.api.add_cluster(&cluster("cl-keep0001", 0)).await?;
    sim.api
        .add_cluster(&NewCluster {
            job_duration_ms: Some(1500),
            ..NewCluster::new("cl-keep0002", ZONE)
        })
        .await?;
    let done = sim.api.set_ssl("cl-keep0001", "YES").await?;
    let done_id = done["job_id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        sim.api.describe_job(&done_id).await?["status"],
        "successful"
    );
    let running = sim.api.set_ssl("cl-keep0002", "YES").await?;
    let running_id = running["job_id"].as_str().unwrap_or_default().to_string();
    sim.api
        .set_faults(&Faults {
            stuck_jobs: vec!["cl-other01".into()],
            ..Faults::default()
        })
        .await?;
    // Saved on every change, not only at exit.
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).expect("state file"))
        .expect("state JSON");
    assert!(saved["clusters"]["cl-keep0002"]["jobs"][0]["job_id"] == json!(running_id));
    assert!(sim.stop().success());

    let sim = Running::start(&["--state", &state_arg], &log);
    let c = sim.api.cluster("cl-keep0001").await?;
    assert_eq!(c["ssl"], true);
    assert_eq!(
        sim.api.describe_job(&done_id).await?["status"],
        "successful"
    );
    assert_eq!(sim.api.faults().await?.stuck_jobs, ["cl-other01"]);
    assert_eq!(sim.api.settings().await?.job_duration_ms, 0);
    // The job started before the restart carries on by the wall clock.
    let job = sim.api.wait_job(&running_id).await?;
    assert_eq!(job["status"], "successful");
    assert_eq!(sim.api.cluster("cl-keep0002").await?["ssl"], true);
    assert!(sim.stop().success());
    Ok(())
}

#[tokio::test]
async fn credentials_and_clusters_from_config_and_flags() -> TestResult {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("sim.json");
    std::fs::write(
        &config,
        json!({
            "access_keys": {"QYCONFIGKEY": "config-secret"},
            "clusters": [{"cluster_id": "cl-conf0001", "zone": ZONE, "ssl": true}],
            "job_duration_ms": 0,
            "faults": {"fail_jobs": {"cl-conf0001": "failed"}}
        })
        .to_string(),
    )
    .expect("write config");
    let config_arg = config.to_string_lossy().to_string();
    let sim = Running::start(
        &[
            "--config",
            &config_arg,
            "--access-key",
            "QYFLAGKEY",
            "--secret-key",
            "flag-secret",
        ],
        &dir.path().join("sim.log"),
    );
    let mut api = sim.api.clone();
    let describe = [("action", "DescribeClusters"), ("zone", ZONE)];
    assert_eq!(
        api.call(&describe).await?["ret_code"],
        1200,
        "default key must be off"
    );
    for (key, secret) in [
        ("QYCONFIGKEY", "config-secret"),
        ("QYFLAGKEY", "flag-secret"),
    ] {
        api = api.with_key(key, secret);
        let v = api.call(&describe).await?;
        assert_eq!(v["ret_code"], 0, "{key}: {v}");
        assert_eq!(v["cluster_set"][0]["cluster_id"], "cl-conf0001");
    }
    assert_eq!(api.cluster("cl-conf0001").await?["ssl"], true);
    let v = api.set_ssl("cl-conf0001", "NO").await?;
    let job = api
        .wait_job(v["job_id"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(job["status"], "failed");
    assert_eq!(api.cluster("cl-conf0001").await?["ssl"], true);
    assert!(sim.stop().success());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_signed_clients_are_all_answered_correctly() -> TestResult {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    let state_arg = state.to_string_lossy().to_string();
    let sim = Running::start(
        &["--state", &state_arg, "--job-duration-ms", "0"],
        &dir.path().join("sim.log"),
    );
    for i in 0..50 {
        sim.api
            .add_cluster(&cluster(&format!("cl-para{i:04}"), 0))
            .await?;
    }
    let mut tasks = Vec::new();
    for i in 0..50 {
        // A client each, so each has its own connections.
        let api = SimClient::new(sim.api.base());
        tasks.push(tokio::spawn(async move {
            let cluster = format!("cl-para{i:04}");
            let v = api
                .set_ssl(&cluster, "YES")
                .await
                .expect("RunClusterCustomService");
            assert_eq!(v["ret_code"], 0, "{cluster}: {v}");
            assert_eq!(v["cluster_id"], json!(cluster));
            let d = api
                .call(&[
                    ("action", "DescribeClusters"),
                    ("zone", ZONE),
                    ("clusters.1", &cluster),
                ])
                .await
                .expect("DescribeClusters");
            assert_eq!(d["cluster_set"][0]["cluster_id"], json!(cluster));
            v["job_id"].as_str().unwrap_or_default().to_string()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("client task"));
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50, "job ids must be distinct");
    let log = sim.api.requests().await?;
    assert_eq!(log.len(), 100);
    assert!(log.iter().all(|e| e["ret_code"] == 0));
    for i in 0..50 {
        assert_eq!(
            sim.api.cluster(&format!("cl-para{i:04}")).await?["ssl"],
            true
        );
    }
    assert!(sim.stop().success());
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&state).expect("state")).expect("state JSON");
    assert_eq!(saved["clusters"].as_object().map(|m| m.len()), Some(50));
    Ok(())
}
