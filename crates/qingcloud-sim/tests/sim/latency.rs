//! `--latency-ms`: every answer comes the latency after its request and the request acts half
//! way through, like a real API that far away; it is no fault. Only lower bounds on time are
//! asserted, so a loaded machine cannot fail these tests.

use qingcloud_sim::SimOptions;
use qingcloud_sim::client::{SettingsPatch, SimClient};
use std::time::{Duration, Instant};

use crate::support::{Error, TestResult, ZONE, cluster, start};

async fn job_count(api: &SimClient, cluster: &str) -> Result<usize, Error> {
    let c = api.cluster(cluster).await?;
    Ok(c["jobs"].as_array().map(Vec::len).unwrap_or(0))
}

#[tokio::test]
async fn every_answer_comes_the_latency_after_its_request_and_is_no_fault() -> TestResult {
    let (_server, api) = start(SimOptions {
        latency_ms: Some(200),
        ..SimOptions::default()
    })
    .await;
    assert_eq!(api.settings().await?.latency_ms, 200);
    api.add_cluster(&cluster("cl-lat00001", 0)).await?;

    let sent_ms = qingcloud_sim::clock::now_ms();
    let started = Instant::now();
    let v = api
        .call(&[("action", "DescribeClusters"), ("zone", ZONE)])
        .await?;
    let took = started.elapsed();
    let answered_ms = qingcloud_sim::clock::now_ms();
    assert!(
        took >= Duration::from_millis(200),
        "answered after {took:?}"
    );
    assert_eq!(v["ret_code"], 0, "{v}");
    assert_eq!(v["cluster_set"][0]["cluster_id"], "cl-lat00001", "{v}");

    // A submit is just as late, and has acted by the time its answer comes.
    let started = Instant::now();
    let v = api.set_ssl("cl-lat00001", "YES").await?;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(200),
        "answered after {took:?}"
    );
    assert_eq!(v["ret_code"], 0, "{v}");
    assert_eq!(job_count(&api, "cl-lat00001").await?, 1);

    let log = api.requests().await?;
    assert_eq!(log.len(), 2, "{log:?}");
    for e in &log {
        assert_eq!(e["outcome"], "ok", "{e}");
        assert!(e["fault"].is_null() && e["slow_ms"].is_null(), "{e}");
    }
    // The arrival time in ms, between sending and the answer (one clock, no timing bound).
    let received = log[0]["received_ms"].as_i64().unwrap_or(0);
    assert!(
        (sent_ms..=answered_ms).contains(&received),
        "{sent_ms} <= {received} <= {answered_ms}"
    );
    assert!(log[1]["received_ms"].as_i64().unwrap_or(0) >= answered_ms);
    Ok(())
}

#[tokio::test]
async fn a_request_acts_half_way_through_its_latency_even_if_its_client_left() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-lat00002", 0)).await?;
    // Through the admin API this time; 2 s so that the check below has a second to spare.
    let patch = SettingsPatch {
        latency_ms: Some(2000),
        ..SettingsPatch::default()
    };
    assert_eq!(api.set_settings(&patch).await?.latency_ms, 2000);

    let q = api.query(&[
        ("action", "RunClusterCustomService"),
        ("zone", ZONE),
        ("cluster", "cl-lat00002"),
        ("role", "maininstance"),
        ("service", "configuring_SSL"),
        ("service_params", r#"{"configssl":"YES"}"#),
    ]);
    let sent = Instant::now();
    let err = api
        .http()
        .get(format!("{}/iaas/?{q}", api.base()))
        .timeout(Duration::from_millis(50))
        .send()
        .await
        .expect_err("the answer is 2 s away");
    assert!(err.is_timeout(), "{err}");
    // Not yet acted: it does so 1 s after arriving (this check would need a 1 s stall to fail).
    assert_eq!(job_count(&api, "cl-lat00002").await?, 0);
    // It acts although its client has gone, and not before half the latency.
    while job_count(&api, "cl-lat00002").await? == 0 {
        assert!(sent.elapsed() < Duration::from_secs(10), "never acted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acted_after = sent.elapsed();
    assert!(
        acted_after >= Duration::from_millis(1000),
        "acted after {acted_after:?}"
    );

    // 0 turns it off: with 5 s set and then 0, an answer within 2.5 s shows the 0 took
    // effect (a bound with seconds to spare, not a measurement).
    for ms in [5000, 0] {
        let patch = SettingsPatch {
            latency_ms: Some(ms),
            ..SettingsPatch::default()
        };
        api.set_settings(&patch).await?;
    }
    let q = api.query(&[("action", "DescribeClusters"), ("zone", ZONE)]);
    let answer = api
        .http()
        .get(format!("{}/iaas/?{q}", api.base()))
        .timeout(Duration::from_millis(2500))
        .send()
        .await;
    assert!(
        answer.as_ref().is_ok_and(|r| r.status() == 200),
        "{answer:?}"
    );
    Ok(())
}
