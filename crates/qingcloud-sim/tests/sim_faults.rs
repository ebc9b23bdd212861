//! Fault injection: each kind shows up as a client would see it, and the request log tells
//! whether the request acted.

#[path = "sim_support.rs"]
mod support;

use qingcloud_sim::SimOptions;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{Api, ZONE, start};

async fn with_cluster(id: &str, duration_ms: u64) -> (qingcloud_sim::SimServer, Api) {
    let (server, api) = start(SimOptions::default()).await;
    api.add_cluster(id, duration_ms).await;
    (server, api)
}

async fn set_faults(api: &Api, faults: Value) {
    let (status, v) = api.put("/_sim/faults", faults).await;
    assert_eq!(status, 200, "{v}");
}

async fn job_count(api: &Api, cluster: &str) -> usize {
    api.cluster(cluster).await["jobs"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0)
}

#[tokio::test]
async fn injected_error_codes_answer_before_acting() {
    let (_server, api) = with_cluster("cl-ferr0001", 0).await;
    set_faults(&api, json!({"error_rate": 1.0, "error_codes": [5100]})).await;
    for _ in 0..5 {
        let v = api.set_ssl("cl-ferr0001", "YES").await;
        assert_eq!(v["ret_code"], 5100, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(
        job_count(&api, "cl-ferr0001").await,
        0,
        "an injected error must not act"
    );
    let log = api.requests().await;
    assert!(
        log.iter().all(|e| e["outcome"] == "error"
            && e["fault"] == "error_code"
            && e["ret_code"] == 5100)
    );

    // A mix of codes, all from the configured list; a retry after clearing acts once.
    set_faults(
        &api,
        json!({"error_rate": 1.0, "error_codes": [5000, 2500], "seed": 1}),
    )
    .await;
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..30 {
        codes.insert(
            api.set_ssl("cl-ferr0001", "YES").await["ret_code"]
                .as_i64()
                .unwrap_or(0),
        );
    }
    assert_eq!(codes.into_iter().collect::<Vec<_>>(), [2500, 5000]);
    set_faults(&api, json!({})).await;
    assert_eq!(api.set_ssl("cl-ferr0001", "YES").await["ret_code"], 0);
    assert_eq!(job_count(&api, "cl-ferr0001").await, 1);
}

#[tokio::test]
async fn http_503_is_a_transport_error_before_acting() {
    let (_server, api) = with_cluster("cl-f5030001", 0).await;
    set_faults(&api, json!({"http_503_rate": 1.0})).await;
    let q = api.query(&[
        ("action", "RunClusterCustomService"),
        ("zone", ZONE),
        ("cluster", "cl-f5030001"),
        ("role", "maininstance"),
        ("service", "configuring_SSL"),
        ("service_params", r#"{"configssl":"YES"}"#),
    ]);
    let resp = api.raw(&q).await.expect("an answer");
    assert_eq!(resp.status(), 503);
    assert_eq!(job_count(&api, "cl-f5030001").await, 0);
    let log = api.requests().await;
    assert_eq!(log[0]["outcome"], "http_503");
    assert_eq!(log[0]["http_status"], 503);
    // The admin API is never subject to faults.
    assert_eq!(api.get("/_sim/health").await["status"], "ok");
}

#[tokio::test]
async fn drops_close_the_connection_and_half_of_them_have_acted() {
    let (_server, api) = start(SimOptions::default()).await;
    set_faults(&api, json!({"drop_rate": 1.0, "seed": 42})).await;
    let mut acted = 0;
    let mut not_acted = 0;
    for i in 0..16 {
        let cluster = format!("cl-fdrop{i:03}");
        api.add_cluster(&cluster, 0).await;
        let q = api.query(&[
            ("action", "RunClusterCustomService"),
            ("zone", ZONE),
            ("cluster", &cluster),
            ("role", "maininstance"),
            ("service", "configuring_SSL"),
            ("service_params", r#"{"configssl":"YES"}"#),
        ]);
        let err = api
            .raw(&q)
            .await
            .expect_err("the connection must close without an answer");
        assert!(!err.is_status(), "{err}");
        match job_count(&api, &cluster).await {
            0 => not_acted += 1,
            1 => acted += 1,
            n => panic!("{n} jobs from one request"),
        }
    }
    assert!(
        acted > 0 && not_acted > 0,
        "acted {acted}, not acted {not_acted}"
    );
    let log = api.requests().await;
    assert_eq!(log.len(), 16);
    assert!(
        log.iter()
            .all(|e| e["outcome"] == "dropped" && e["http_status"].is_null())
    );
    let after: Vec<&Value> = log.iter().filter(|e| e["fault"] == "drop_after").collect();
    assert_eq!(after.len(), acted);
    assert!(
        after
            .iter()
            .all(|e| e["ret_code"] == 0 && e["job_id"].is_string())
    );
}

#[tokio::test]
async fn slow_answers_arrive_late_and_client_timeouts_do_not_cancel_them() {
    let (_server, api) = with_cluster("cl-fslow001", 0).await;
    set_faults(&api, json!({"slow_rate": 1.0, "slow_ms": 400})).await;
    let started = Instant::now();
    let v = api
        .call(&[("action", "DescribeClusters"), ("zone", ZONE)])
        .await;
    assert_eq!(v["ret_code"], 0);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(api.requests().await[0]["outcome"], "slow");

    // The client gives up at 100 ms; the request still acts, as a real server would.
    let q = api.query(&[
        ("action", "RunClusterCustomService"),
        ("zone", ZONE),
        ("cluster", "cl-fslow001"),
        ("role", "maininstance"),
        ("service", "configuring_SSL"),
        ("service_params", r#"{"configssl":"YES"}"#),
    ]);
    let err = api
        .http
        .get(format!("{}/iaas/?{q}", api.base))
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .expect_err("timeout");
    assert!(err.is_timeout(), "{err}");
    assert_eq!(job_count(&api, "cl-fslow001").await, 0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(job_count(&api, "cl-fslow001").await, 1);
}

#[tokio::test]
async fn failed_jobs_end_in_failure_and_leave_ssl_alone() {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster("cl-ffail001", 100).await;
    api.add_cluster("cl-ffail002", 100).await;
    set_faults(
        &api,
        json!({"fail_jobs": {"cl-ffail001": "failed", "cl-ffail002": "done with failure"}}),
    )
    .await;
    for (cluster, status) in [
        ("cl-ffail001", "failed"),
        ("cl-ffail002", "done with failure"),
    ] {
        let v = api.set_ssl(cluster, "YES").await;
        assert_eq!(v["ret_code"], 0, "{v}");
        let job = api.wait_job(v["job_id"].as_str().unwrap_or_default()).await;
        assert_eq!(job["status"], status);
        assert_eq!(job["error_codes"], "5100");
        let c = api.cluster(cluster).await;
        assert_eq!(c["ssl"], false);
        assert_eq!(c["transition_status"], "");
    }
}

#[tokio::test]
async fn stuck_jobs_never_finish_until_the_admin_finishes_them() {
    let (_server, api) = with_cluster("cl-fstuck01", 50).await;
    set_faults(&api, json!({"stuck_jobs": ["cl-fstuck01"]})).await;
    let v = api.set_ssl("cl-fstuck01", "YES").await;
    let id = v["job_id"].as_str().unwrap_or_default().to_string();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(api.job(&id).await["status"], "working");
    assert_eq!(api.set_ssl("cl-fstuck01", "NO").await["ret_code"], 1400);
    assert_eq!(api.cluster("cl-fstuck01").await["ssl"], false);

    let (status, v) = api
        .post(&format!("/_sim/jobs/{id}/finish"), json!({}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(api.job(&id).await["status"], "successful");
    let c = api.cluster("cl-fstuck01").await;
    assert_eq!(c["ssl"], true);
    assert_eq!(c["transition_status"], "");
    let (status, _) = api
        .post(&format!("/_sim/jobs/{id}/finish"), json!({}))
        .await;
    assert_eq!(status, 409);
    let (status, _) = api.post("/_sim/jobs/j-nosuchjob/finish", json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn faults_from_options_apply_at_start() {
    let faults = serde_json::from_value(json!({"error_rate": 1.0, "error_codes": [5000]})).ok();
    let (_server, api) = start(SimOptions {
        faults,
        ..SimOptions::default()
    })
    .await;
    let v = api
        .call(&[("action", "DescribeJobs"), ("zone", ZONE)])
        .await;
    assert_eq!(v["ret_code"], 5000);
    assert_eq!(api.get("/_sim/faults").await["error_codes"], json!([5000]));
}
