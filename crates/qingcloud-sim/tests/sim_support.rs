//! Shared helpers for the simulator tests, included by each `tests/sim_*.rs` with `#[path]`.
//! Each test binary uses a different subset, hence the allowance below.
#![allow(dead_code)]

use qingcloud::signer;
use qingcloud_sim::{self as sim, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SimOptions, SimServer};
use serde_json::Value;
use std::time::Duration;

pub const ZONE: &str = "pek3a";

pub fn now_stamp() -> String {
    sim::clock::format_iso(sim::clock::now_ms())
}

pub fn stamp_at_offset(secs: i64) -> String {
    sim::clock::format_iso(sim::clock::now_ms() + secs * 1000)
}

/// Adds the common parameters and signs, with the project's signer, exactly as a client would.
pub fn sign(
    key: &str,
    secret: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    time_stamp: &str,
) -> String {
    let mut all: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    all.push(("access_key_id".into(), key.into()));
    all.push(("signature_method".into(), "HmacSHA256".into()));
    all.push(("signature_version".into(), "1".into()));
    all.push(("time_stamp".into(), time_stamp.into()));
    let canonical = signer::canonical_query(&all);
    signer::signed_query(secret, method, path, &canonical)
}

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub key: String,
    pub secret: String,
}

impl Api {
    pub fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            key: DEFAULT_ACCESS_KEY.into(),
            secret: DEFAULT_SECRET_KEY.into(),
        }
    }

    pub fn query(&self, params: &[(&str, &str)]) -> String {
        sign(
            &self.key,
            &self.secret,
            "GET",
            "/iaas/",
            params,
            &now_stamp(),
        )
    }

    pub async fn raw(&self, query: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .get(format!("{}/iaas/?{query}", self.base))
            .send()
            .await
    }

    /// A signed GET; panics unless the answer is HTTP 200 JSON.
    pub async fn call(&self, params: &[(&str, &str)]) -> Value {
        self.call_query(&self.query(params)).await
    }

    pub async fn call_query(&self, query: &str) -> Value {
        let resp = self.raw(query).await.expect("request");
        assert_eq!(resp.status(), 200);
        resp.json().await.expect("json body")
    }

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("admin request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("admin body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let (status, v) = self.admin(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.admin(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.admin(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.admin(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// Appends `count` made-up successful jobs to a cluster's history.
    pub async fn seed_jobs(&self, cluster: &str, count: usize) -> Value {
        let (status, v) = self
            .post(
                &format!("/_sim/clusters/{cluster}/seed-jobs"),
                serde_json::json!({ "count": count }),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// `DescribeClusterJobs` for one cluster with extra parameters (paging, reverse, ...).
    pub async fn cluster_jobs(&self, cluster: &str, extra: &[(&str, &str)]) -> Value {
        let mut params = vec![
            ("action", "DescribeClusterJobs"),
            ("zone", ZONE),
            ("cluster", cluster),
        ];
        params.extend_from_slice(extra);
        let v = self.call(&params).await;
        assert_eq!(v["ret_code"], 0, "{v}");
        v
    }

    pub async fn add_cluster(&self, id: &str, job_duration_ms: u64) {
        let (status, v) = self
            .post(
                "/_sim/clusters",
                serde_json::json!({"cluster_id": id, "zone": ZONE, "ssl": false, "job_duration_ms": job_duration_ms}),
            )
            .await;
        assert_eq!(status, 201, "{v}");
    }

    pub async fn set_ssl(&self, cluster: &str, value: &str) -> Value {
        let sp = format!("{{\"configssl\":\"{value}\"}}");
        self.call(&[
            ("action", "RunClusterCustomService"),
            ("zone", ZONE),
            ("cluster", cluster),
            ("role", "maininstance"),
            ("service", "configuring_SSL"),
            ("service_params", &sp),
        ])
        .await
    }

    pub async fn job(&self, job_id: &str) -> Value {
        let v = self
            .call(&[
                ("action", "DescribeJobs"),
                ("zone", ZONE),
                ("jobs.1", job_id),
            ])
            .await;
        assert_eq!(v["ret_code"], 0, "{v}");
        v["job_set"][0].clone()
    }

    pub async fn cluster(&self, id: &str) -> Value {
        self.get(&format!("/_sim/clusters/{id}")).await
    }

    /// Polls until the job is no longer pending or working.
    pub async fn wait_job(&self, job_id: &str) -> Value {
        for _ in 0..500 {
            let job = self.job(job_id).await;
            let status = job["status"].as_str().unwrap_or_default().to_string();
            if status != "pending" && status != "working" {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("job {job_id} did not finish");
    }

    pub async fn requests(&self) -> Vec<Value> {
        self.get("/_sim/requests")
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

/// The `job_id`s of a `job_set` answer, in order.
pub fn job_ids(v: &Value) -> Vec<String> {
    set_field(v, "job_set", "job_id")
}

/// One field of every entry of a `*_set` list, in order.
pub fn set_field(v: &Value, set: &str, field: &str) -> Vec<String> {
    v[set]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|j| j[field].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// An in-process simulator on an ephemeral port, with no state file.
pub async fn start(options: SimOptions) -> (SimServer, Api) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let server = sim::serve(listener, options).await.expect("serve");
    let api = Api::new(server.url());
    (server, api)
}
