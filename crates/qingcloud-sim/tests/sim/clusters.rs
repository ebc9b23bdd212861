//! Clusters: their app, the DescribeClusters filters, and the states in which custom services
//! are refused (stopped, busy) while the console can still race the provider.

use qingcloud_sim::SimOptions;
use qingcloud_sim::client::{ClusterPatch, NewCluster, SimClient};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Error, TestResult, ZONE, cluster, set_field, start};

async fn describe_clusters(api: &SimClient, extra: &[(&str, &str)]) -> Result<Value, Error> {
    let mut params = vec![("action", "DescribeClusters"), ("zone", ZONE)];
    params.extend_from_slice(extra);
    let v = api.call(&params).await?;
    assert_eq!(v["ret_code"], 0, "{v}");
    Ok(v)
}

fn ids(v: &Value) -> Vec<String> {
    set_field(v, "cluster_set", "cluster_id")
}

#[tokio::test]
async fn clusters_carry_their_app_and_filter_by_app_status_and_name() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&NewCluster::new("cl-mp000001", ZONE))
        .await?;
    api.add_cluster(&NewCluster {
        name: Some("Orders-DB".into()),
        status: Some("stopped".into()),
        ..NewCluster::new("cl-mp000002", ZONE)
    })
    .await?;
    api.add_cluster(&NewCluster {
        name: Some("orders cache".into()),
        app_id: Some("app-xxxxxxxx".into()),
        ..NewCluster::new("cl-ot000001", ZONE)
    })
    .await?;

    let v = describe_clusters(&api, &[]).await?;
    assert_eq!(v["total_count"], 3);
    assert_eq!(
        set_field(&v, "cluster_set", "app_id"),
        ["app-00r26u27", "app-00r26u27", "app-xxxxxxxx"]
    );
    let v = describe_clusters(&api, &[("apps.1", "app-00r26u27")]).await?;
    assert_eq!(ids(&v), ["cl-mp000001", "cl-mp000002"]);
    let v = describe_clusters(
        &api,
        &[("apps.1", "app-xxxxxxxx"), ("apps.2", "app-00r26u27")],
    )
    .await?;
    assert_eq!(v["total_count"], 3);
    let v = describe_clusters(&api, &[("status.1", "stopped")]).await?;
    assert_eq!(ids(&v), ["cl-mp000002"]);
    let v = describe_clusters(&api, &[("status.1", "stopped"), ("status.2", "active")]).await?;
    assert_eq!(v["total_count"], 3);
    let v = describe_clusters(&api, &[("cluster_name", "orders")]).await?;
    assert_eq!(ids(&v), ["cl-mp000002", "cl-ot000001"]);
    let v = describe_clusters(
        &api,
        &[("cluster_name", "orders"), ("apps.1", "app-00r26u27")],
    )
    .await?;
    assert_eq!(ids(&v), ["cl-mp000002"]);
    let v = describe_clusters(&api, &[("offset", "1"), ("limit", "1")]).await?;
    assert_eq!(
        (ids(&v), v["total_count"].as_u64()),
        (vec!["cl-mp000002".to_string()], Some(3))
    );
    let v = describe_clusters(&api, &[("reverse", "1")]).await?;
    assert_eq!(ids(&v), ["cl-ot000001", "cl-mp000002", "cl-mp000001"]);
    assert_eq!(api.cluster("cl-ot000001").await?["app_id"], "app-xxxxxxxx");

    for bad in [
        json!({"cluster_id": "cl-bad00001", "zone": ZONE, "app_id": "mysql"}),
        json!({"cluster_id": "cl-bad00002", "zone": ZONE, "app_id": "app-xxxxxxxx", "ssl": true}),
    ] {
        let (s, v) = api
            .admin_request(Method::POST, "/_sim/clusters", Some(&bad))
            .await?;
        assert_eq!(s, 400, "{bad}: {v}");
    }
    Ok(())
}

#[tokio::test]
async fn configuring_ssl_on_another_app_is_1100_and_starts_nothing() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&NewCluster {
        app_id: Some("app-xxxxxxxx".into()),
        ..cluster("cl-other001", 0)
    })
    .await?;
    let v = api.set_ssl("cl-other001", "YES").await?;
    assert_eq!(v["ret_code"], 1100, "{v}");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("app-xxxxxxxx")),
        "{v}"
    );
    assert_eq!(api.cluster("cl-other001").await?["jobs"], json!([]));
    let refused = api.console_ssl("cl-other001", true).await;
    assert_eq!(refused.err().and_then(|e| e.status()), Some(409));
    Ok(())
}

#[tokio::test]
async fn stopped_or_busy_clusters_refuse_custom_services_with_1400() -> TestResult {
    let (_server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-state001", 0)).await?;
    let patch = |body: Value| {
        let api = api.clone();
        async move {
            api.admin_request(Method::PATCH, "/_sim/clusters/cl-state001", Some(&body))
                .await
        }
    };

    let (s, v) = patch(json!({"status": "stopped"})).await?;
    assert_eq!((s, v["status"].as_str()), (200, Some("stopped")), "{v}");
    let v = api.set_ssl("cl-state001", "YES").await?;
    assert_eq!(v["ret_code"], 1400, "{v}");
    assert_eq!(
        describe_clusters(&api, &[]).await?["cluster_set"][0]["status"],
        "stopped"
    );
    api.patch_cluster(
        "cl-state001",
        &ClusterPatch {
            status: Some("active".into()),
            ..ClusterPatch::default()
        },
    )
    .await?;

    let (s, v) = patch(json!({"transition_status": "updating"})).await?;
    assert_eq!(
        (s, v["transition_status"].as_str()),
        (200, Some("updating")),
        "{v}"
    );
    let c = &describe_clusters(&api, &[]).await?["cluster_set"][0];
    assert_eq!(
        (c["status"].as_str(), c["transition_status"].as_str()),
        (Some("active"), Some("updating"))
    );
    let v = api.set_ssl("cl-state001", "YES").await?;
    assert_eq!(v["ret_code"], 1400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("updating")),
        "{v}"
    );

    // The console races the provider: its job runs and lands while the cluster stays busy.
    let id = api.console_ssl("cl-state001", true).await?;
    let job = api.wait_job(&id).await?;
    assert_eq!(job["status"], "successful");
    let c = api.cluster("cl-state001").await?;
    assert_eq!(
        (c["ssl"].as_bool(), c["transition_status"].as_str()),
        (Some(true), Some("updating"))
    );
    assert_eq!(api.set_ssl("cl-state001", "NO").await?["ret_code"], 1400);

    let (s, _) = patch(json!({"transition_status": "Not A Status"})).await?;
    assert_eq!(s, 400);
    let (s, v) = patch(json!({"transition_status": null})).await?;
    assert_eq!((s, v["transition_status"].as_str()), (200, Some("")), "{v}");
    assert_eq!(api.set_ssl("cl-state001", "NO").await?["ret_code"], 0);

    patch(json!({"transition_status": "stopping"})).await?;
    assert_eq!(api.set_ssl("cl-state001", "YES").await?["ret_code"], 1400);
    let (_, v) = patch(json!({"transition_status": ""})).await?;
    assert_eq!(v["transition_status"], "");
    Ok(())
}
