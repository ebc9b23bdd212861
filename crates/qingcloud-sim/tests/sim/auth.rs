//! Request verification: what QingCloud accepts and the ret_code it gives for what it refuses.

use qingcloud_sim::client::{SimClient, signed_query};
use qingcloud_sim::{SimOptions, SimServer};
use reqwest::Method;
use serde_json::json;

use crate::support::{Error, TestResult, ZONE, cluster, stamp_at_offset, start};

async fn started() -> Result<(SimServer, SimClient), Error> {
    let (server, api) = start(SimOptions::default()).await;
    api.add_cluster(&cluster("cl-auth0001", 0)).await?;
    Ok((server, api))
}

const DESCRIBE: &[(&str, &str)] = &[
    ("action", "DescribeClusters"),
    ("zone", ZONE),
    ("clusters.1", "cl-auth0001"),
    ("verbose", "1"),
];

#[tokio::test]
async fn signed_request_is_accepted_and_answered_in_shape() -> TestResult {
    let (_server, api) = started().await?;
    let v = api.call(DESCRIBE).await?;
    assert_eq!(v["ret_code"], 0, "{v}");
    assert_eq!(v["action"], "DescribeClustersResponse");
    assert_eq!(v["total_count"], 1);
    let c = &v["cluster_set"][0];
    assert_eq!(c["cluster_id"], "cl-auth0001");
    assert_eq!(c["status"], "active");
    assert_eq!(c["transition_status"], "");
    assert_eq!(c["zone_id"], ZONE);
    assert!(c["app_id"].as_str().is_some_and(|a| a.starts_with("app-")));
    assert!(
        c["create_time"]
            .as_str()
            .is_some_and(|t| t.len() == 20 && t.ends_with('Z'))
    );
    Ok(())
}

#[tokio::test]
async fn tampered_or_foreign_signatures_are_1200() -> TestResult {
    let (_server, api) = started().await?;
    let q = api.query(DESCRIBE);
    // Change a signed value after signing.
    let tampered = q.replace("verbose=1", "verbose=0");
    assert_ne!(q, tampered);
    assert_eq!(api.call_query(&tampered).await?["ret_code"], 1200);
    // Another secret, and an unknown key.
    let wrong_secret = signed_query(
        api.key(),
        "not-the-secret",
        "GET",
        "/iaas/",
        DESCRIBE,
        &stamp_at_offset(0),
    );
    assert_eq!(api.call_query(&wrong_secret).await?["ret_code"], 1200);
    let unknown_key = signed_query(
        "QYUNKNOWNKEY",
        api.secret(),
        "GET",
        "/iaas/",
        DESCRIBE,
        &stamp_at_offset(0),
    );
    assert_eq!(api.call_query(&unknown_key).await?["ret_code"], 1200);
    // Signed for another path.
    let other_path = signed_query(
        api.key(),
        api.secret(),
        "GET",
        "/iaas",
        DESCRIBE,
        &stamp_at_offset(0),
    );
    assert_eq!(api.call_query(&other_path).await?["ret_code"], 1200);
    // The untouched request still passes, so the failures above are the tampering's doing.
    assert_eq!(api.call_query(&q).await?["ret_code"], 0);
    Ok(())
}

#[tokio::test]
async fn path_without_slash_and_post_form_are_verified_as_received() -> TestResult {
    let (_server, api) = started().await?;
    let q = signed_query(
        api.key(),
        api.secret(),
        "GET",
        "/iaas",
        DESCRIBE,
        &stamp_at_offset(0),
    );
    let v: serde_json::Value = api
        .http()
        .get(format!("{}/iaas?{q}", api.base()))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(v["ret_code"], 0, "{v}");

    let body = signed_query(
        api.key(),
        api.secret(),
        "POST",
        "/iaas/",
        DESCRIBE,
        &stamp_at_offset(0),
    );
    let v: serde_json::Value = api
        .http()
        .post(format!("{}/iaas/", api.base()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(v["ret_code"], 0, "{v}");
    Ok(())
}

#[tokio::test]
async fn stale_or_future_time_stamp_is_1300_unless_expires_extends_it() -> TestResult {
    let (_server, api) = started().await?;
    for offset in [-120, 120] {
        let q = signed_query(
            api.key(),
            api.secret(),
            "GET",
            "/iaas/",
            DESCRIBE,
            &stamp_at_offset(offset),
        );
        let v = api.call_query(&q).await?;
        assert_eq!(v["ret_code"], 1300, "offset {offset}: {v}");
    }
    let recent = signed_query(
        api.key(),
        api.secret(),
        "GET",
        "/iaas/",
        DESCRIBE,
        &stamp_at_offset(-30),
    );
    assert_eq!(api.call_query(&recent).await?["ret_code"], 0);

    let expires = stamp_at_offset(300);
    let mut with_expires = DESCRIBE.to_vec();
    with_expires.push(("expires", &expires));
    let q = signed_query(
        api.key(),
        api.secret(),
        "GET",
        "/iaas/",
        &with_expires,
        &stamp_at_offset(-600),
    );
    assert_eq!(api.call_query(&q).await?["ret_code"], 0);
    let expired = stamp_at_offset(-5);
    let mut with_expired = DESCRIBE.to_vec();
    with_expired.push(("expires", &expired));
    let q = signed_query(
        api.key(),
        api.secret(),
        "GET",
        "/iaas/",
        &with_expired,
        &stamp_at_offset(-600),
    );
    assert_eq!(api.call_query(&q).await?["ret_code"], 1300);
    Ok(())
}

#[tokio::test]
async fn missing_parameters_are_1100() -> TestResult {
    let (_server, api) = started().await?;
    // No zone.
    let v = api.call(&[("action", "DescribeClusters")]).await?;
    assert_eq!(v["ret_code"], 1100, "{v}");
    assert!(
        v["message"].as_str().is_some_and(|m| m.contains("zone")),
        "{v}"
    );
    // No signature at all.
    let v = api.call_query("action=DescribeClusters&zone=pek3a").await?;
    assert_eq!(v["ret_code"], 1100);
    // Action parameters.
    let v = api
        .call(&[
            ("action", "RunClusterCustomService"),
            ("zone", ZONE),
            ("cluster", "cl-auth0001"),
        ])
        .await?;
    assert_eq!(v["ret_code"], 1100, "{v}");
    let v = api
        .call(&[("action", "DescribeClusterJobs"), ("zone", ZONE)])
        .await?;
    assert_eq!(v["ret_code"], 1100, "{v}");
    let v = api
        .call(&[("action", "DescribeJobs"), ("zone", ZONE), ("limit", "ten")])
        .await?;
    assert_eq!(v["ret_code"], 1100, "{v}");
    Ok(())
}

#[tokio::test]
async fn unknown_action_is_1101() -> TestResult {
    let (_server, api) = started().await?;
    let v = api
        .call(&[("action", "RunInstances"), ("zone", ZONE)])
        .await?;
    assert_eq!(v["ret_code"], 1101, "{v}");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("RunInstances"))
    );
    Ok(())
}

#[tokio::test]
async fn another_zone_does_not_see_the_cluster() -> TestResult {
    let (_server, api) = started().await?;
    let v = api.set_ssl("cl-auth0001", "YES").await?;
    assert_eq!(v["ret_code"], 0, "{v}");
    let job_id = v["job_id"].as_str().unwrap_or_default().to_string();
    api.wait_job(&job_id).await?;

    let sp = r#"{"configssl":"NO"}"#;
    let v = api
        .call(&[
            ("action", "RunClusterCustomService"),
            ("zone", "sh1a"),
            ("cluster", "cl-auth0001"),
            ("role", "maininstance"),
            ("service", "configuring_SSL"),
            ("service_params", sp),
        ])
        .await?;
    assert_eq!(v["ret_code"], 2100, "{v}");
    let v = api
        .call(&[
            ("action", "DescribeClusterJobs"),
            ("zone", "sh1a"),
            ("cluster", "cl-auth0001"),
        ])
        .await?;
    assert_eq!(v["ret_code"], 2100, "{v}");
    let v = api
        .call(&[
            ("action", "DescribeClusters"),
            ("zone", "sh1a"),
            ("clusters.1", "cl-auth0001"),
        ])
        .await?;
    assert_eq!(v["total_count"], 0, "{v}");
    let v = api
        .call(&[
            ("action", "DescribeJobs"),
            ("zone", "sh1a"),
            ("jobs.1", &job_id),
        ])
        .await?;
    assert_eq!(v["total_count"], 0, "{v}");
    let v = api.set_ssl("cl-nosuch01", "YES").await?;
    assert_eq!(v["ret_code"], 2100, "{v}");
    Ok(())
}

#[tokio::test]
async fn request_log_never_holds_the_signature() -> TestResult {
    let (_server, api) = started().await?;
    api.call(DESCRIBE).await?;
    let (status, _) = api
        .admin_request(Method::DELETE, "/_sim/requests", None)
        .await?;
    assert_eq!(status, 204);
    api.call(DESCRIBE).await?;
    let tampered = api.query(DESCRIBE).replace("verbose=1", "verbose=2");
    api.call_query(&tampered).await?;
    let log = api.requests().await?;
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["action"], "DescribeClusters");
    assert_eq!(log[0]["ret_code"], 0);
    assert_eq!(log[0]["outcome"], "ok");
    assert_eq!(log[0]["http_status"], 200);
    assert_eq!(log[1]["ret_code"], 1200);
    assert_eq!(log[1]["outcome"], "error");
    assert!(log[1]["seq"].as_u64() > log[0]["seq"].as_u64());
    let text = serde_json::to_string(&log).unwrap_or_default();
    assert!(!text.contains("signature\""), "{text}");
    assert!(log.iter().all(|e| e["params"].get("signature").is_none()));
    assert!(
        log.iter()
            .all(|e| e["params"]["access_key_id"] == json!(api.key()))
    );
    Ok(())
}

/// The documentation's own request, signature hard-coded: the simulator must get past the
/// signature check (so it computes what QingCloud computed) and stop at the 2013 timestamp.
#[tokio::test]
async fn official_documentation_request_passes_the_signature_check() -> TestResult {
    let options = SimOptions {
        access_keys: [(
            "QYACCESSKEYIDEXAMPLE".to_string(),
            "SECRETACCESSKEY".to_string(),
        )]
        .into(),
        ..SimOptions::default()
    };
    let (_server, api) = start(options).await;
    let query = "access_key_id=QYACCESSKEYIDEXAMPLE&action=RunInstances&count=1&image_id=centos64x86a&instance_name=demo&instance_type=small_b&login_mode=passwd&login_passwd=QingCloud20130712&signature_method=HmacSHA256&signature_version=1&time_stamp=2013-08-27T14%3A30%3A10Z&version=1&vxnets.1=vxnet-0&zone=pek3a";
    let good = format!("{query}&signature=byjccvWIvAftaq%2BoublemagH3bYAlDWxxLFAzAsyslw%3D");
    assert_eq!(api.call_query(&good).await?["ret_code"], 1300);
    let bad = format!("{query}&signature=cyjccvWIvAftaq%2BoublemagH3bYAlDWxxLFAzAsyslw%3D");
    assert_eq!(api.call_query(&bad).await?["ret_code"], 1200);
    // The default key pair is not configured when explicit keys are given.
    assert_eq!(api.call(DESCRIBE).await?["ret_code"], 1200);
    Ok(())
}
