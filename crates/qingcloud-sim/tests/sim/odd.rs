//! Odd answers (`odd_answers` in the faults) and raw job overrides: what a client sees, that the
//! request still acted and was logged, and that a held request blocks nothing else.

use qingcloud_sim::SimOptions;
use qingcloud_sim::client::{Faults, JobPatch, SeedRequest, SimClient};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use crate::support::{TestResult, ZONE, cluster, job_ids, start};

async fn set_odd(api: &SimClient, odd: Value) -> TestResult {
    let faults: Faults = serde_json::from_value(json!({ "odd_answers": odd })).expect("faults");
    api.set_faults(&faults).await?;
    Ok(())
}

/// A signed GET whatever comes back: (HTTP status, content type, body text).
async fn raw_call(api: &SimClient, params: &[(&str, &str)]) -> (u16, String, String) {
    let resp = api.raw(&api.query(params)).await.expect("request");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, resp.text().await.expect("body"))
}

fn cluster_jobs(cluster: &str) -> [(&str, &str); 3] {
    [
        ("action", "DescribeClusterJobs"),
        ("zone", ZONE),
        ("cluster", cluster),
    ]
}

#[tokio::test]
async fn set_kinds_and_a_missing_ret_code_reshape_json_answers() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-odd00001", 0)).await?;
    let three = SeedRequest {
        count: 3,
        service: None,
    };
    api.seed_jobs("cl-odd00001", &three).await?;
    set_odd(
        &api,
        json!({"DescribeClusterJobs": "no_set", "DescribeClusters": "duplicate_set", "DescribeJobs": "no_ret_code"}),
    )
    .await?;

    let v = api.call(&cluster_jobs("cl-odd00001")).await?;
    assert_eq!(v["ret_code"], 0, "{v}");
    assert_eq!(v["total_count"], 3);
    assert!(v.get("job_set").is_none(), "{v}");

    let v = api
        .call(&[("action", "DescribeClusters"), ("zone", ZONE)])
        .await?;
    assert_eq!(v["ret_code"], 0);
    assert_eq!(v["total_count"], 1);
    let set = v["cluster_set"].as_array().cloned().unwrap_or_default();
    assert_eq!(set.len(), 2);
    assert_eq!(set[0], set[1]);

    let v = api
        .call(&[("action", "DescribeJobs"), ("zone", ZONE)])
        .await?;
    assert!(v.is_object() && v.get("ret_code").is_none(), "{v}");
    assert_eq!(job_ids(&v).len(), 3);

    let odd: Vec<Value> = api
        .requests()
        .await?
        .into_iter()
        .filter(|r| r["outcome"] == "odd")
        .collect();
    let kinds: Vec<&str> = odd
        .iter()
        .filter_map(|r| r["odd_answer"].as_str())
        .collect();
    assert_eq!(kinds, ["no_set", "duplicate_set", "no_ret_code"]);
    assert!(
        odd.iter()
            .all(|r| r["fault"] == "odd_answer" && r["ret_code"] == 0 && r["http_status"] == 200)
    );
    Ok(())
}

#[tokio::test]
async fn html_and_empty_bodies_come_with_http_200_but_only_after_the_signature_check() -> TestResult
{
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-odd00002", 0)).await?;
    set_odd(&api, json!({"*": "html", "DescribeJobs": "empty"})).await?;

    let (s, ct, body) = raw_call(&api, &cluster_jobs("cl-odd00002")).await;
    assert_eq!((s, ct.as_str()), (200, "text/html"));
    assert!(body.contains("<html>"), "{body}");
    let (s, _, body) = raw_call(&api, &[("action", "DescribeJobs"), ("zone", ZONE)]).await;
    assert_eq!((s, body.as_str()), (200, ""));

    // A request that fails the signature check gets the ordinary JSON error.
    let query = api.query(&[("action", "DescribeJobs"), ("zone", ZONE)]);
    let tampered = query.replace("zone=pek3a", "zone=pek3b");
    let v = api.call_query(&tampered).await?;
    assert_eq!(v["ret_code"], 1200, "{v}");
    // So does an unknown action.
    let v = api
        .call(&[("action", "DescribeNothing"), ("zone", ZONE)])
        .await?;
    assert_eq!(v["ret_code"], 1101, "{v}");
    Ok(())
}

#[tokio::test]
async fn an_odd_answer_to_run_cluster_custom_service_still_starts_the_job() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-odd00003", 0)).await?;
    set_odd(&api, json!({"RunClusterCustomService": "empty"})).await?;
    let sp = r#"{"configssl":"YES"}"#;
    let (s, _, body) = raw_call(
        &api,
        &[
            ("action", "RunClusterCustomService"),
            ("zone", ZONE),
            ("cluster", "cl-odd00003"),
            ("role", "maininstance"),
            ("service", "configuring_SSL"),
            ("service_params", sp),
        ],
    )
    .await;
    assert_eq!((s, body.as_str()), (200, ""));
    let c = api.cluster("cl-odd00003").await?;
    assert_eq!(c["jobs"].as_array().map(Vec::len), Some(1), "{c}");
    let logged = api.requests().await?;
    assert_eq!(logged[0]["odd_answer"], "empty");
    assert_eq!(logged[0]["job_id"], c["jobs"][0]["job_id"]);
    Ok(())
}

#[tokio::test]
async fn hang_holds_one_request_without_blocking_others_or_shutdown() -> TestResult {
    let (server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-odd00004", 0)).await?;
    set_odd(&api, json!({"DescribeJobs": "hang"})).await?;
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let url = |q: String| format!("{}/iaas/?{q}", api.base());
    let query = api.query(&[("action", "DescribeJobs"), ("zone", ZONE)]);
    let started = Instant::now();
    let err = impatient.get(url(query)).send().await;
    assert!(err.is_err_and(|e| e.is_timeout()));
    assert!(started.elapsed() < Duration::from_secs(2));

    // Meanwhile everything else answers.
    let v = api
        .call(&[("action", "DescribeClusters"), ("zone", ZONE)])
        .await?;
    assert_eq!(v["total_count"], 1);
    let hung: Vec<Value> = api
        .requests()
        .await?
        .into_iter()
        .filter(|r| r["odd_answer"] == "hang")
        .collect();
    assert_eq!(hung.len(), 1);
    assert!(hung[0]["http_status"].is_null());

    // A patient client is still held when the simulator stops; shutdown does not wait for it.
    let patient = api.clone();
    let held = tokio::spawn(async move {
        patient
            .raw(&patient.query(&[("action", "DescribeJobs"), ("zone", ZONE)]))
            .await
            .map(|r| r.status().as_u16())
    });
    let mut held_now = 0;
    for _ in 0..200 {
        held_now = api
            .requests()
            .await?
            .iter()
            .filter(|r| r["odd_answer"] == "hang")
            .count();
        if held_now == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(held_now, 2, "the patient request never arrived");
    let stopping = Instant::now();
    server.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "{:?}",
        stopping.elapsed()
    );
    let outcome = tokio::time::timeout(Duration::from_secs(5), held)
        .await
        .expect("held request ends at shutdown")
        .expect("task");
    assert!(
        outcome.is_err(),
        "a held request gets no answer: {outcome:?}"
    );
    Ok(())
}

#[tokio::test]
async fn patched_jobs_serve_a_raw_directive_and_status() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-odd00005", 0)).await?;
    let v = api.set_ssl("cl-odd00005", "YES").await?;
    let id = v["job_id"].as_str().unwrap_or_default().to_string();
    api.patch_job(
        &id,
        &JobPatch {
            directive: Some(Some("{not json".into())),
            status: Some(Some("paused".into())),
        },
    )
    .await?;
    let job = api.describe_job(&id).await?;
    assert_eq!(
        (job["directive"].as_str(), job["status"].as_str()),
        (Some("{not json"), Some("paused"))
    );
    let v = api.call(&cluster_jobs("cl-odd00005")).await?;
    assert_eq!(v["job_set"][0]["status"], "paused");
    let v = api
        .call(&[
            ("action", "DescribeJobs"),
            ("zone", ZONE),
            ("status.1", "paused"),
        ])
        .await?;
    assert_eq!(job_ids(&v), [id.as_str()]);
    // Underneath, the job ran its course.
    assert_eq!(api.cluster("cl-odd00005").await?["ssl"], true);

    let restore_status = JobPatch {
        status: Some(None),
        ..JobPatch::default()
    };
    api.patch_job(&id, &restore_status).await?;
    let job = api.describe_job(&id).await?;
    assert_eq!(
        (job["directive"].as_str(), job["status"].as_str()),
        (Some("{not json"), Some("successful"))
    );
    let restore_directive = JobPatch {
        directive: Some(None),
        ..JobPatch::default()
    };
    api.patch_job(&id, &restore_directive).await?;
    let job = api.describe_job(&id).await?;
    let directive: Value =
        serde_json::from_str(job["directive"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(directive["service"], "configuring_SSL");

    let status_x = JobPatch {
        status: Some(Some("x".into())),
        ..JobPatch::default()
    };
    let unknown = api.patch_job("j-nosuchjob", &status_x).await;
    assert_eq!(unknown.err().and_then(|e| e.status()), Some(404));
    let path = format!("/_sim/jobs/{id}");
    let misspelt = json!({"stauts": "x"});
    let (s, _) = api
        .admin_request(Method::PATCH, &path, Some(&misspelt))
        .await?;
    assert_eq!(s, 400);
    Ok(())
}

#[tokio::test]
async fn odd_answers_are_validated() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    for bad in [
        json!({"DescribeJob": "empty"}),
        json!({"*": "garbled"}),
        json!({"DescribeJobs": 1}),
    ] {
        let body = json!({ "odd_answers": bad });
        let (s, v) = api
            .admin_request(Method::PUT, "/_sim/faults", Some(&body))
            .await?;
        assert_eq!(s, 400, "{bad}: {v}");
    }
    set_odd(&api, json!({"DescribeJobs": "hang", "*": "no_set"})).await?;
    let odd = |faults: Faults| serde_json::to_value(faults.odd_answers).unwrap_or_default();
    assert_eq!(
        odd(api.faults().await?),
        json!({"*": "no_set", "DescribeJobs": "hang"})
    );
    // Replacing the faults without odd_answers clears them.
    let (s, _) = api
        .admin_request(Method::PUT, "/_sim/faults", Some(&json!({})))
        .await?;
    assert_eq!(s, 200);
    assert_eq!(odd(api.faults().await?), json!({}));
    Ok(())
}
