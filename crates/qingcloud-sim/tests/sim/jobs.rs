//! configuring_SSL jobs: lifecycle on the real clock, SSL changing only on success, the
//! describe actions, busy clusters, deleted clusters and the simulated console.

use qingcloud_sim::SimOptions;
use qingcloud_sim::client::{DeleteMode, NewCluster, SettingsPatch};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use crate::support::{TestResult, ZONE, cluster, job_id, start};

#[tokio::test]
async fn lifecycle_pending_working_successful_and_ssl_changes_only_on_success() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-life0001", 2400)).await?;
    let v = api.set_ssl("cl-life0001", "YES").await?;
    assert_eq!(v["action"], "RunClusterCustomServiceResponse");
    assert_eq!(v["service"], "configuring_SSL");
    assert_eq!(v["role"], "maininstance");
    assert_eq!(v["cluster_id"], "cl-life0001");
    let id = job_id(&v);
    assert!(id.starts_with("j-") && id.len() > 4);

    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Cluster first, job second: the clock only moves forward, so a cluster showing SSL on
        // must be followed by a successful job, and a job still running must have been
        // preceded by a cluster with SSL off.
        let cluster = api.cluster("cl-life0001").await?;
        let job = api.describe_job(&id).await?;
        let status = job["status"].as_str().unwrap_or_default().to_string();
        if cluster["ssl"] == true {
            assert_eq!(status, "successful", "SSL on before the job succeeded");
            assert_eq!(cluster["transition_status"], "");
        }
        if status != "successful" {
            assert_eq!(
                cluster["ssl"], false,
                "SSL changed before the job succeeded ({status})"
            );
            assert_eq!(cluster["transition_status"], "updating");
        }
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "successful" || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(seen, ["pending", "working", "successful"]);
    let cluster = api.cluster("cl-life0001").await?;
    assert_eq!(cluster["ssl"], true);
    assert_eq!(cluster["transition_status"], "");

    let job = api.describe_job(&id).await?;
    assert_eq!(job["job_action"], "RunClusterCustomService");
    assert_eq!(job["resource_ids"], "cl-life0001");
    assert_eq!(job["error_codes"], "");
    assert!(job["owner"].as_str().is_some_and(|o| o.starts_with("usr-")));
    assert!(job["status_time"].as_str() >= job["create_time"].as_str());
    let directive: Value =
        serde_json::from_str(job["directive"].as_str().unwrap_or_default()).unwrap_or(Value::Null);
    assert_eq!(
        directive,
        json!({"cluster":"cl-life0001","role":"maininstance","service":"configuring_SSL",
               "service_params":"{\"configssl\":\"YES\"}","app_ids":"app-00r26u27"})
    );
    Ok(())
}

#[tokio::test]
async fn zero_duration_job_is_successful_on_the_next_describe() -> TestResult {
    let (_server, api) = start(SimOptions {
        job_duration_ms: Some(0),
        ..SimOptions::default()
    })
    .await;
    api.add_cluster(&NewCluster::new("cl-zero0001", ZONE))
        .await?;
    let id = job_id(&api.set_ssl("cl-zero0001", "on").await?);
    assert_eq!(api.describe_job(&id).await?["status"], "successful");
    assert_eq!(api.cluster("cl-zero0001").await?["ssl"], true);
    let id = job_id(&api.set_ssl("cl-zero0001", "off").await?);
    assert_eq!(api.describe_job(&id).await?["status"], "successful");
    assert_eq!(api.cluster("cl-zero0001").await?["ssl"], false);
    Ok(())
}

#[tokio::test]
async fn busy_cluster_is_1400_until_its_job_ends() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-busy0001", 1500)).await?;
    let id = job_id(&api.set_ssl("cl-busy0001", "YES").await?);
    let v = api.set_ssl("cl-busy0001", "NO").await?;
    assert_eq!(v["ret_code"], 1400, "{v}");
    let v = api
        .call(&[
            ("action", "DescribeClusters"),
            ("zone", ZONE),
            ("clusters.1", "cl-busy0001"),
        ])
        .await?;
    assert_eq!(v["cluster_set"][0]["transition_status"], "updating");
    api.wait_job(&id).await?;
    let v = api.set_ssl("cl-busy0001", "NO").await?;
    assert_eq!(v["ret_code"], 0, "{v}");
    assert_eq!(
        api.cluster("cl-busy0001").await?["jobs"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    Ok(())
}

#[tokio::test]
async fn bad_service_role_or_value_is_1100_and_creates_nothing() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-badv0001", 0)).await?;
    for (role, service, sp) in [
        (
            "maininstance",
            "configuring_SSL",
            r#"{"configssl":"MAYBE"}"#,
        ),
        ("maininstance", "configuring_SSL", "configssl=YES"),
        ("maininstance", "add_user", r#"{"configssl":"YES"}"#),
        ("replica", "configuring_SSL", r#"{"configssl":"YES"}"#),
    ] {
        let v = api
            .call(&[
                ("action", "RunClusterCustomService"),
                ("zone", ZONE),
                ("cluster", "cl-badv0001"),
                ("role", role),
                ("service", service),
                ("service_params", sp),
            ])
            .await?;
        assert_eq!(v["ret_code"], 1100, "{role} {service} {sp}: {v}");
    }
    assert_eq!(api.cluster("cl-badv0001").await?["jobs"], json!([]));
    Ok(())
}

#[tokio::test]
async fn deleted_and_ceased_clusters_are_listed_but_refuse_jobs() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    for id in ["cl-del00001", "cl-del00002", "cl-del00003"] {
        api.add_cluster(&cluster(id, 0)).await?;
    }
    let del = |path: &'static str| api.admin_request(Method::DELETE, path, None);
    assert_eq!(del("/_sim/clusters/cl-del00001").await?.0, 200);
    api.delete_cluster("cl-del00002", DeleteMode::Ceased)
        .await?;
    api.delete_cluster("cl-del00003", DeleteMode::Absent)
        .await?;
    let again = api.delete_cluster("cl-del00003", DeleteMode::Absent).await;
    assert_eq!(again.err().and_then(|e| e.status()), Some(404));
    let v = api
        .call(&[
            ("action", "DescribeClusters"),
            ("zone", ZONE),
            ("clusters.1", "cl-del00001"),
            ("clusters.2", "cl-del00002"),
            ("clusters.3", "cl-del00003"),
        ])
        .await?;
    assert_eq!(v["total_count"], 2, "{v}");
    let statuses: Vec<&str> = v["cluster_set"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["status"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(statuses, ["deleted", "ceased"]);
    for id in ["cl-del00001", "cl-del00002", "cl-del00003"] {
        assert_eq!(api.set_ssl(id, "YES").await?["ret_code"], 2100, "{id}");
    }
    Ok(())
}

#[tokio::test]
async fn describe_jobs_answers_many_at_once_and_cluster_jobs_pages_oldest_first() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let cluster = format!("cl-many{i:04}");
        api.add_cluster(&crate::support::cluster(&cluster, 0))
            .await?;
        ids.push(job_id(&api.set_ssl(&cluster, "YES").await?));
    }
    let names: Vec<String> = (1..=ids.len()).map(|i| format!("jobs.{i}")).collect();
    let mut params: Vec<(&str, &str)> =
        vec![("action", "DescribeJobs"), ("zone", ZONE), ("limit", "100")];
    params.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(ids.iter().map(String::as_str)),
    );
    let v = api.call(&params).await?;
    assert_eq!(v["action"], "DescribeJobsResponse");
    assert_eq!(v["total_count"], 12, "{v}");
    let mut got: Vec<String> = v["job_set"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|j| j["job_id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want);
    // A smaller page; total_count still says 12.
    params.retain(|(k, _)| *k != "limit");
    params.push(("limit", "5"));
    let v = api.call(&params).await?;
    assert_eq!(v["job_set"].as_array().map(Vec::len), Some(5));
    assert_eq!(v["total_count"], 12);

    // Three jobs on one cluster: oldest first even with reverse=1 (not documented for this
    // action), status filter, offset/limit.
    api.add_cluster(&cluster("cl-hist0001", 0)).await?;
    let mut hist = Vec::new();
    for value in ["YES", "NO", "YES"] {
        hist.push(job_id(&api.set_ssl("cl-hist0001", value).await?));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let base = [
        ("action", "DescribeClusterJobs"),
        ("zone", ZONE),
        ("cluster", "cl-hist0001"),
    ];
    let list = |v: &Value| -> Vec<String> {
        v["job_set"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|j| j["job_id"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut with_reverse: Vec<(&str, &str)> = base.to_vec();
    with_reverse.push(("reverse", "1"));
    let v = api.call(&with_reverse).await?;
    assert_eq!(v["action"], "DescribeClusterJobsResponse");
    assert_eq!(list(&v), hist);
    assert!(
        v["job_set"][0]["directive"]
            .as_str()
            .is_some_and(|d| d.contains("configuring_SSL"))
    );
    let v = api.call(&base).await?;
    assert_eq!(list(&v), hist);
    with_reverse.extend([("offset", "2"), ("limit", "1")]);
    let v = api.call(&with_reverse).await?;
    assert_eq!(list(&v), [hist[2].clone()]);
    assert_eq!(v["total_count"], 3);
    let v = api
        .call(&[base[0], base[1], base[2], ("status.1", "failed")])
        .await?;
    assert_eq!(v["total_count"], 0);
    Ok(())
}

#[tokio::test]
async fn console_toggle_goes_through_the_lifecycle_and_shows_in_the_api() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-cons0001", 1500)).await?;
    let id = api.console_ssl("cl-cons0001", true).await?;
    assert!(id.starts_with("j-"));
    assert_eq!(api.cluster("cl-cons0001").await?["ssl"], false);
    // The console's job makes the cluster busy for the API too.
    assert_eq!(api.set_ssl("cl-cons0001", "NO").await?["ret_code"], 1400);
    let busy = api.console_ssl("cl-cons0001", false).await;
    assert_eq!(busy.err().and_then(|e| e.status()), Some(409));
    assert_eq!(api.wait_job(&id).await?["status"], "successful");
    assert_eq!(api.cluster("cl-cons0001").await?["ssl"], true);
    let v = api
        .call(&[
            ("action", "DescribeClusterJobs"),
            ("zone", ZONE),
            ("cluster", "cl-cons0001"),
            ("reverse", "1"),
        ])
        .await?;
    let directive: Value =
        serde_json::from_str(v["job_set"][0]["directive"].as_str().unwrap_or_default())
            .unwrap_or(Value::Null);
    assert_eq!(directive["service_params"], r#"{"configssl":"YES"}"#);
    let unknown = api.console_ssl("cl-nosuch01", true).await;
    assert_eq!(unknown.err().and_then(|e| e.status()), Some(404));
    Ok(())
}

#[tokio::test]
async fn admin_api_validates_its_input() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.health().await?;
    let request = |method: Method, path: &'static str, body: Value| {
        let api = api.clone();
        async move { api.admin_request(method, path, Some(&body)).await }
    };
    let (s, _) = request(
        Method::POST,
        "/_sim/clusters",
        json!({"cluster_id": "bad", "zone": ZONE}),
    )
    .await?;
    assert_eq!(s, 400);
    let (s, _) = request(
        Method::POST,
        "/_sim/clusters",
        json!({"cluster_id": "cl-adm00001"}),
    )
    .await?;
    assert_eq!(s, 400);
    api.add_cluster(&cluster("cl-adm00001", 0)).await?;
    let twice = api.add_cluster(&NewCluster::new("cl-adm00001", ZONE)).await;
    assert_eq!(twice.err().and_then(|e| e.status()), Some(409));
    let settings = api
        .set_settings(&SettingsPatch {
            job_duration_ms: Some(123),
            ..SettingsPatch::default()
        })
        .await?;
    assert_eq!(settings.job_duration_ms, 123);
    let (s, _) = request(Method::PUT, "/_sim/faults", json!({"drop_rate": 2.0})).await?;
    assert_eq!(s, 400);
    let (s, _) = request(Method::PUT, "/_sim/faults", json!({"dorp_rate": 0.5})).await?;
    assert_eq!(s, 400);
    assert_eq!(api.faults().await?.drop_rate, 0.0);
    let unknown = api.cluster("cl-nosuch01").await;
    assert_eq!(unknown.err().and_then(|e| e.status()), Some(404));

    // A per-cluster job duration overrides the global one; null removes the override.
    let patch = |body: Value| request(Method::PATCH, "/_sim/clusters/cl-adm00001", body);
    let (s, v) = patch(json!({"job_duration_ms": 60_000})).await?;
    assert_eq!((s, v["job_duration_ms"].as_u64()), (200, Some(60_000)));
    let id = job_id(&api.set_ssl("cl-adm00001", "YES").await?);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.describe_job(&id).await?["status"], "pending");
    api.finish_job(&id).await?;
    assert_eq!(api.cluster("cl-adm00001").await?["ssl"], true);
    let (s, v) = patch(json!({"job_duration_ms": null})).await?;
    assert_eq!((s, v["job_duration_ms"].is_null()), (200, true));
    let (s, v) = patch(json!({})).await?;
    assert_eq!((s, v["job_duration_ms"].is_null()), (200, true));
    // The global setting (123 ms) applies again.
    let id = job_id(&api.set_ssl("cl-adm00001", "NO").await?);
    let job = api.wait_job(&id).await?;
    assert_eq!(job["status"], "successful");
    let took = sim_ms(&job["status_time"]) - sim_ms(&job["create_time"]);
    assert!(took <= 1, "{job}");
    let (s, _) = patch(json!({"status": "exploded"})).await?;
    assert_eq!(s, 400);
    let (s, _) = patch(json!({"status": "stopped"})).await?;
    assert_eq!(s, 200);
    assert_eq!(api.set_ssl("cl-adm00001", "YES").await?["ret_code"], 1400);
    Ok(())
}

fn sim_ms(v: &Value) -> i64 {
    qingcloud_sim::clock::parse_iso(v.as_str().unwrap_or_default()).unwrap_or(-100)
}
