//! Job histories as QingCloud documents them: oldest first whatever `reverse` says (unless the
//! simulator is told to honour it), pages of 20 up to 100 with `total_count`, distinct ordered
//! `create_time`s, and long made-up histories that bury the jobs that matter.

use qingcloud_sim::SimOptions;
use qingcloud_sim::client::{NewCluster, SeedRequest, SettingsPatch, SimClient};
use qingcloud_sim::clock::parse_iso;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Instant;

use crate::support::{Error, TestResult, ZONE, cluster, job_id, job_ids, set_field, start};

/// Epoch seconds of every `create_time` in a `job_set`; panics on another format.
fn create_secs(v: &Value) -> Vec<i64> {
    set_field(v, "job_set", "create_time")
        .iter()
        .map(|t| {
            parse_iso(t)
                .unwrap_or_else(|| panic!("create_time {t:?} not like 2026-12-02T05:41:57Z"))
        })
        .collect()
}

fn strictly_increasing(secs: &[i64]) -> bool {
    secs.windows(2).all(|p| p[0] < p[1])
}

/// Three quick zero-duration SSL jobs on a fresh cluster; their ids in creation order.
async fn three_jobs(api: &SimClient, id: &str) -> Result<Vec<String>, Error> {
    api.add_cluster(&cluster(id, 0)).await?;
    let mut ids = Vec::new();
    for value in ["YES", "NO", "YES"] {
        ids.push(job_id(&api.set_ssl(id, value).await?));
    }
    Ok(ids)
}

#[tokio::test]
async fn cluster_jobs_are_oldest_first_with_distinct_times_whatever_reverse_says() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    // Created within one real second: the job clock still gives each its own second.
    let ids = three_jobs(&api, "cl-ord00001").await?;
    for extra in [
        vec![],
        vec![("reverse", "1")],
        vec![("reverse", "0")],
        vec![("reverse", "1"), ("sort_key", "create_time")],
    ] {
        let v = api.cluster_jobs("cl-ord00001", &extra).await?;
        assert_eq!(job_ids(&v), ids, "{extra:?}");
        assert!(strictly_increasing(&create_secs(&v)), "{v}");
        assert_eq!(v["total_count"], 3);
    }
    // The same order in DescribeJobs' own (newest first) listing agrees on the times.
    let v = api
        .call(&[("action", "DescribeJobs"), ("zone", ZONE)])
        .await?;
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(job_ids(&v), newest_first);
    Ok(())
}

#[tokio::test]
async fn honour_reverse_lists_newest_first_only_when_asked() -> TestResult {
    let (_server, api) = start(SimOptions {
        honour_reverse: Some(true),
        ..SimOptions::default()
    })
    .await;
    let ids = three_jobs(&api, "cl-rev00001").await?;
    let mut newest_first = ids.clone();
    newest_first.reverse();
    let v = api.cluster_jobs("cl-rev00001", &[("reverse", "1")]).await?;
    assert_eq!(job_ids(&v), newest_first);
    let v = api
        .cluster_jobs(
            "cl-rev00001",
            &[("reverse", "1"), ("offset", "1"), ("limit", "1")],
        )
        .await?;
    assert_eq!(job_ids(&v), [ids[1].clone()]);
    assert_eq!(job_ids(&api.cluster_jobs("cl-rev00001", &[]).await?), ids);

    // The setting can be switched at run time, both ways.
    let honour = |honour_reverse: bool| SettingsPatch {
        honour_reverse: Some(honour_reverse),
        ..SettingsPatch::default()
    };
    let settings = api.set_settings(&honour(false)).await?;
    assert!(!settings.honour_reverse, "{settings:?}");
    let v = api.cluster_jobs("cl-rev00001", &[("reverse", "1")]).await?;
    assert_eq!(job_ids(&v), ids);
    api.set_settings(&honour(true)).await?;
    let v = api.cluster_jobs("cl-rev00001", &[("reverse", "1")]).await?;
    assert_eq!(job_ids(&v), newest_first);
    assert!(api.settings().await?.honour_reverse);
    Ok(())
}

#[tokio::test]
async fn listings_page_by_20_up_to_100_and_count_every_match() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-page0001", 0)).await?;
    let mix = |count| SeedRequest {
        count,
        service: None,
    };
    api.seed_jobs("cl-page0001", &mix(250)).await?;

    let v = api.cluster_jobs("cl-page0001", &[]).await?;
    assert_eq!(job_ids(&v).len(), 20);
    assert_eq!(v["total_count"], 250);
    let v = api
        .cluster_jobs("cl-page0001", &[("limit", "1000")])
        .await?;
    assert_eq!(job_ids(&v).len(), 100, "a limit above 100 is cut to 100");
    let v = api
        .cluster_jobs("cl-page0001", &[("offset", "240")])
        .await?;
    assert_eq!(
        (job_ids(&v).len(), v["total_count"].as_u64()),
        (10, Some(250))
    );
    let v = api
        .cluster_jobs("cl-page0001", &[("offset", "300")])
        .await?;
    assert_eq!(
        (job_ids(&v).len(), v["total_count"].as_u64()),
        (0, Some(250))
    );

    // Paging by 100 until total_count yields every job once, oldest first.
    let mut all = Vec::new();
    let mut secs = Vec::new();
    while all.len() < 250 {
        let offset = all.len().to_string();
        let v = api
            .cluster_jobs("cl-page0001", &[("offset", &offset), ("limit", "100")])
            .await?;
        assert!(!job_ids(&v).is_empty());
        all.extend(job_ids(&v));
        secs.extend(create_secs(&v));
    }
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 250);
    assert!(strictly_increasing(&secs));

    let jobs = |extra: &'static [(&'static str, &'static str)]| {
        let mut p = vec![("action", "DescribeJobs"), ("zone", ZONE)];
        p.extend_from_slice(extra);
        let api = api.clone();
        async move { api.call(&p).await }
    };
    let v = jobs(&[]).await?;
    assert_eq!(
        (job_ids(&v).len(), v["total_count"].as_u64()),
        (20, Some(250))
    );
    let v = jobs(&[("limit", "500")]).await?;
    assert_eq!(
        (job_ids(&v).len(), v["total_count"].as_u64()),
        (100, Some(250))
    );
    let v = jobs(&[("offset", "200"), ("limit", "100")]).await?;
    assert_eq!(job_ids(&v).len(), 50);
    let v = jobs(&[("job_action", "CreateSnapshots"), ("limit", "100")]).await?;
    assert!(
        set_field(&v, "job_set", "job_action")
            .iter()
            .all(|a| a == "CreateSnapshots")
    );
    assert_eq!(
        v["total_count"], 100,
        "two in five jobs of a mixed seed are backups: {v}"
    );

    for i in 0..105 {
        api.add_cluster(&NewCluster::new(&format!("cl-pg{i:05}"), ZONE))
            .await?;
    }
    let clusters = |limit: &'static str| {
        let api = api.clone();
        async move {
            let mut p = vec![("action", "DescribeClusters"), ("zone", ZONE)];
            if !limit.is_empty() {
                p.push(("limit", limit));
            }
            api.call(&p).await
        }
    };
    let v = clusters("").await?;
    let n = |v: &Value| v["cluster_set"].as_array().map(Vec::len);
    assert_eq!((n(&v), v["total_count"].as_u64()), (Some(20), Some(106)));
    let v = clusters("1000").await?;
    assert_eq!((n(&v), v["total_count"].as_u64()), (Some(100), Some(106)));
    Ok(())
}

#[tokio::test]
async fn seeded_history_sits_between_the_old_jobs_and_the_new_ones() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    let v = api
        .add_cluster(&NewCluster {
            ssl: true,
            ..cluster("cl-seed0001", 0)
        })
        .await?;
    let initial = v["jobs"][0]["job_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let old = job_id(&api.set_ssl("cl-seed0001", "NO").await?);

    let started = Instant::now();
    let seeded = api
        .seed_jobs(
            "cl-seed0001",
            &SeedRequest {
                count: 2000,
                service: None,
            },
        )
        .await?;
    assert!(
        started.elapsed().as_millis() < 1000,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(seeded.seeded, 2000);
    assert_eq!(seeded.total_jobs, 2002);
    let new = job_id(&api.set_ssl("cl-seed0001", "YES").await?);

    let mut all = Vec::new();
    let mut secs = Vec::new();
    let mut records = Vec::new();
    loop {
        let offset = all.len().to_string();
        let v = api
            .cluster_jobs("cl-seed0001", &[("offset", &offset), ("limit", "100")])
            .await?;
        assert_eq!(v["total_count"], 2003);
        if job_ids(&v).is_empty() {
            break;
        }
        all.extend(job_ids(&v));
        secs.extend(create_secs(&v));
        records.extend(v["job_set"].as_array().cloned().unwrap_or_default());
    }
    assert_eq!(all.len(), 2003);
    assert!(strictly_increasing(&secs));
    assert_eq!(all[0], initial);
    assert_eq!(all[1], old);
    assert_eq!(all[2002], new);
    assert_eq!(seeded.first_job_id, all[2]);
    assert_eq!(seeded.last_job_id, all[2001]);

    // The seeded middle: successful, not SSL, custom services among backups.
    let mut services = HashSet::new();
    for job in &records[2..2002] {
        assert_eq!(job["status"], "successful", "{job}");
        assert_eq!(job["resource_ids"], "cl-seed0001");
        let directive: Value =
            serde_json::from_str(job["directive"].as_str().unwrap_or_default()).unwrap_or_default();
        if job["job_action"] == "RunClusterCustomService" {
            let service = directive["service"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            assert_ne!(service, "configuring_SSL");
            assert_eq!(directive["app_ids"], "app-00r26u27");
            let params: Value =
                serde_json::from_str(directive["service_params"].as_str().unwrap_or_default())
                    .unwrap_or_default();
            assert!(params.is_object(), "{job}");
            services.insert(service);
        } else {
            assert_eq!(job["job_action"], "CreateSnapshots", "{job}");
            services.insert("backup".into());
        }
    }
    assert!(
        services.contains("backup") && services.contains("add_user"),
        "{services:?}"
    );
    // The newest job is what decides SSL, and it came last.
    assert_eq!(api.wait_job(&new).await?["status"], "successful");
    assert_eq!(api.cluster("cl-seed0001").await?["ssl"], true);
    Ok(())
}

#[tokio::test]
async fn seed_jobs_refuses_what_it_cannot_do() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-seedbad1", 60_000)).await?;
    let seed_at = |path: &'static str, body: Value| {
        let api = api.clone();
        async move { api.admin_request(Method::POST, path, Some(&body)).await }
    };
    let seed = |body: Value| seed_at("/_sim/clusters/cl-seedbad1/seed-jobs", body);
    assert_eq!(seed(json!({"count": 0})).await?.0, 400);
    assert_eq!(
        seed(json!({"count": 5, "service": "configuring_SSL"}))
            .await?
            .0,
        400
    );
    assert_eq!(seed(json!({"count": 5, "servcie": "backup"})).await?.0, 400);
    let (s, v) = seed(json!({"count": 4, "service": "backup"})).await?;
    assert_eq!(s, 200, "{v}");
    let v = api.cluster_jobs("cl-seedbad1", &[]).await?;
    assert!(
        set_field(&v, "job_set", "job_action")
            .iter()
            .all(|a| a == "CreateSnapshots")
    );
    let (s, _) = seed_at("/_sim/clusters/cl-nosuch01/seed-jobs", json!({"count": 1})).await?;
    assert_eq!(s, 404);
    // A running job cannot be followed by finished history.
    job_id(&api.set_ssl("cl-seedbad1", "YES").await?);
    assert_eq!(seed(json!({"count": 1})).await?.0, 409);
    Ok(())
}
