//! The e2e harness's `Sim` helpers for seeded histories, odd answers and patches, driving the
//! real binary started with `--honour-reverse`.

use qingcloud_sim::client::job_ids;
use serde_json::json;

use crate::support::{Sim, ZONE};

#[tokio::test]
async fn helpers_drive_the_new_admin_calls_on_the_binary() {
    let sim = Sim::start_with(&["--honour-reverse", "--job-duration-ms", "0"]);
    let api = sim.client();
    sim.add_cluster("cl-help0001", ZONE, false);
    let v = api.set_ssl("cl-help0001", "YES").await.expect("set_ssl");
    let ssl_job = v["job_id"].as_str().unwrap_or_default().to_string();

    let seeded = sim.seed_jobs("cl-help0001", 50);
    assert_eq!(seeded["total_jobs"], 51, "{seeded}");
    let newest = seeded["last_job_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let v = api
        .cluster_jobs("cl-help0001", &[("reverse", "1")])
        .await
        .expect("call");
    assert_eq!(job_ids(&v)[0], newest, "--honour-reverse: newest first");
    let v = api.cluster_jobs("cl-help0001", &[]).await.expect("call");
    assert_eq!(job_ids(&v)[0], ssl_job, "oldest first without reverse");

    let job = sim.patch_job(
        &ssl_job,
        json!({"status": "paused", "directive": "garbage"}),
    );
    assert_eq!(
        (job["status"].as_str(), job["directive"].as_str()),
        (Some("paused"), Some("garbage"))
    );

    sim.set_odd_answer("DescribeClusterJobs", "no_set");
    sim.set_odd_answer("DescribeJobs", "no_ret_code");
    assert_eq!(
        sim.faults()["odd_answers"],
        json!({"DescribeClusterJobs": "no_set", "DescribeJobs": "no_ret_code"})
    );
    let v = api.cluster_jobs("cl-help0001", &[]).await.expect("call");
    assert!(v.get("job_set").is_none(), "{v}");
    sim.clear_odd_answer("DescribeClusterJobs");
    let v = api.cluster_jobs("cl-help0001", &[]).await.expect("call");
    assert_eq!(job_ids(&v).len(), 20);
    assert_eq!(
        sim.faults()["odd_answers"],
        json!({"DescribeJobs": "no_ret_code"})
    );
    sim.clear_faults();
    assert_eq!(sim.faults()["odd_answers"], json!({}));

    let c = sim.patch_cluster("cl-help0001", json!({"transition_status": "updating"}));
    assert_eq!(c["transition_status"], "updating");
    assert_eq!(
        api.set_ssl("cl-help0001", "NO").await.expect("set_ssl")["ret_code"],
        1400
    );
    let c = sim.patch_cluster(
        "cl-help0001",
        json!({"transition_status": null, "status": "stopped"}),
    );
    assert_eq!(
        (c["transition_status"].as_str(), c["status"].as_str()),
        (Some(""), Some("stopped"))
    );
}
