//! What the simulator's tests share: an in-process simulator on an ephemeral port and the
//! crate's client of it.

use qingcloud_sim::client::{NewCluster, SimClient};
use qingcloud_sim::{self as sim, SimOptions, SimServer};

pub use qingcloud_sim::client::{DEFAULT_ZONE as ZONE, Error, job_ids, set_field};

/// What a test returns: a failed simulator call fails the test with the request and answer.
pub type TestResult = Result<(), Error>;

/// An in-process simulator on an ephemeral port, with no state file.
pub async fn start(options: SimOptions) -> (SimServer, SimClient) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = sim::serve(listener, options).await.expect("serve");
    let api = SimClient::new(server.url());
    (server, api)
}

/// A MySQL Plus cluster in [`ZONE`] with SSL off whose jobs take `job_duration_ms`.
pub fn cluster(id: &str, job_duration_ms: u64) -> NewCluster {
    NewCluster {
        job_duration_ms: Some(job_duration_ms),
        ..NewCluster::new(id, ZONE)
    }
}

/// The time stamp of a request signed `secs` from now.
pub fn stamp_at_offset(secs: i64) -> String {
    sim::clock::format_iso(sim::clock::now_ms() + secs * 1000)
}

/// The `job_id` of a `RunClusterCustomService` answer, which must have succeeded.
pub fn job_id(v: &serde_json::Value) -> String {
    assert_eq!(v["ret_code"], 0, "{v}");
    v["job_id"].as_str().unwrap_or_default().to_string()
}
