//! Fault injection: each kind shows up as a client would see it, and the request log tells
//! whether the request acted.

use qingcloud_sim::client::{Faults, SimClient};
use qingcloud_sim::{SimOptions, SimServer};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use crate::support::{Error, TestResult, ZONE, cluster, start};

async fn with_cluster(id: &str, duration_ms: u64) -> Result<(SimServer, SimClient), Error> {
    let (server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster(id, duration_ms)).await?;
    Ok((server, api))
}

/// Faults as JSON, as a test writes them (the rest default).
async fn set_faults(api: &SimClient, faults: Value) -> TestResult {
    let faults: Faults = serde_json::from_value(faults).expect("faults");
    api.set_faults(&faults).await?;
    Ok(())
}

async fn job_count(api: &SimClient, cluster: &str) -> Result<usize, Error> {
    let c = api.cluster(cluster).await?;
    Ok(c["jobs"].as_array().map(Vec::len).unwrap_or(0))
}

#[tokio::test]
async fn injected_error_codes_answer_before_acting() -> TestResult {
    let (_server, api) = with_cluster("cl-ferr0001", 0).await?;
    set_faults(&api, json!({"error_rate": 1.0, "error_codes": [5100]})).await?;
    for _ in 0..5 {
        let v = api.set_ssl("cl-ferr0001", "YES").await?;
        assert_eq!(v["ret_code"], 5100, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(
        job_count(&api, "cl-ferr0001").await?,
        0,
        "an injected error must not act"
    );
    let log = api.requests().await?;
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
    .await?;
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..30 {
        codes.insert(
            api.set_ssl("cl-ferr0001", "YES").await?["ret_code"]
                .as_i64()
                .unwrap_or(0),
        );
    }
    assert_eq!(codes.into_iter().collect::<Vec<_>>(), [2500, 5000]);
    set_faults(&api, json!({})).await?;
    assert_eq!(api.set_ssl("cl-ferr0001", "YES").await?["ret_code"], 0);
    assert_eq!(job_count(&api, "cl-ferr0001").await?, 1);
    Ok(())
}

#[tokio::test]
async fn http_503_is_a_transport_error_before_acting() -> TestResult {
    let (_server, api) = with_cluster("cl-f5030001", 0).await?;
    set_faults(&api, json!({"http_503_rate": 1.0})).await?;
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
    assert_eq!(job_count(&api, "cl-f5030001").await?, 0);
    let log = api.requests().await?;
    assert_eq!(log[0]["outcome"], "http_503");
    assert_eq!(log[0]["http_status"], 503);
    // The admin API is never subject to faults.
    api.health().await?;
    Ok(())
}

#[tokio::test]
async fn drops_close_the_connection_and_half_of_them_have_acted() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    set_faults(&api, json!({"drop_rate": 1.0, "seed": 42})).await?;
    let mut acted = 0;
    let mut not_acted = 0;
    for i in 0..16 {
        let cluster = format!("cl-fdrop{i:03}");
        api.add_cluster(&crate::support::cluster(&cluster, 0))
            .await?;
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
        match job_count(&api, &cluster).await? {
            0 => not_acted += 1,
            1 => acted += 1,
            n => panic!("{n} jobs from one request"),
        }
    }
    assert!(
        acted > 0 && not_acted > 0,
        "acted {acted}, not acted {not_acted}"
    );
    let log = api.requests().await?;
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
    Ok(())
}

#[tokio::test]
async fn slow_answers_arrive_late_and_client_timeouts_do_not_cancel_them() -> TestResult {
    let (_server, api) = with_cluster("cl-fslow001", 0).await?;
    set_faults(&api, json!({"slow_rate": 1.0, "slow_ms": 400})).await?;
    let started = Instant::now();
    let v = api
        .call(&[("action", "DescribeClusters"), ("zone", ZONE)])
        .await?;
    assert_eq!(v["ret_code"], 0);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(api.requests().await?[0]["outcome"], "slow");

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
        .http()
        .get(format!("{}/iaas/?{q}", api.base()))
        .timeout(Duration::from_millis(100))
        .send()
        .await
        .expect_err("timeout");
    assert!(err.is_timeout(), "{err}");
    assert_eq!(job_count(&api, "cl-fslow001").await?, 0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(job_count(&api, "cl-fslow001").await?, 1);
    Ok(())
}

#[tokio::test]
async fn failed_jobs_end_in_failure_and_leave_ssl_alone() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-ffail001", 100)).await?;
    api.add_cluster(&cluster("cl-ffail002", 100)).await?;
    set_faults(
        &api,
        json!({"fail_jobs": {"cl-ffail001": "failed", "cl-ffail002": "done with failure"}}),
    )
    .await?;
    for (cluster, status) in [
        ("cl-ffail001", "failed"),
        ("cl-ffail002", "done with failure"),
    ] {
        let v = api.set_ssl(cluster, "YES").await?;
        assert_eq!(v["ret_code"], 0, "{v}");
        let job = api
            .wait_job(v["job_id"].as_str().unwrap_or_default())
            .await?;
        assert_eq!(job["status"], status);
        assert_eq!(job["error_codes"], "5100");
        let c = api.cluster(cluster).await?;
        assert_eq!(c["ssl"], false);
        assert_eq!(c["transition_status"], "");
    }
    Ok(())
}

#[tokio::test]
async fn stuck_jobs_never_finish_until_the_admin_finishes_them() -> TestResult {
    let (_server, api) = with_cluster("cl-fstuck01", 50).await?;
    set_faults(&api, json!({"stuck_jobs": ["cl-fstuck01"]})).await?;
    let v = api.set_ssl("cl-fstuck01", "YES").await?;
    let id = v["job_id"].as_str().unwrap_or_default().to_string();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(api.describe_job(&id).await?["status"], "working");
    assert_eq!(api.set_ssl("cl-fstuck01", "NO").await?["ret_code"], 1400);
    assert_eq!(api.cluster("cl-fstuck01").await?["ssl"], false);

    api.finish_job(&id).await?;
    assert_eq!(api.describe_job(&id).await?["status"], "successful");
    let c = api.cluster("cl-fstuck01").await?;
    assert_eq!(c["ssl"], true);
    assert_eq!(c["transition_status"], "");
    let finish = |path: String| {
        let api = api.clone();
        async move {
            api.admin_request(Method::POST, &path, Some(&json!({})))
                .await
        }
    };
    let (status, _) = finish(format!("/_sim/jobs/{id}/finish")).await?;
    assert_eq!(status, 409);
    let (status, _) = finish("/_sim/jobs/j-nosuchjob/finish".into()).await?;
    assert_eq!(status, 404);
    Ok(())
}

#[tokio::test]
async fn faults_from_options_apply_at_start() -> TestResult {
    let faults = serde_json::from_value(json!({"error_rate": 1.0, "error_codes": [5000]})).ok();
    let (_server, api) = start(SimOptions {
        faults,
        ..SimOptions::default()
    })
    .await;
    let v = api
        .call(&[("action", "DescribeJobs"), ("zone", ZONE)])
        .await?;
    assert_eq!(v["ret_code"], 5000);
    assert_eq!(api.faults().await?.error_codes, [5000]);
    Ok(())
}
