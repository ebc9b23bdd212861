//! A client of a running simulator, for tests and tools (feature `client`): the `/_sim/` admin
//! API, typed, and signed QingCloud API calls made the way a real client makes them (the
//! project's signer, a fresh `time_stamp`).
//!
//! Async, on reqwest. Every call returns a [`Result`]; an [`Error`] names the request and
//! carries the simulator's answer, so a failing test shows what the simulator said.

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::time::Duration;

use qingcloud::signer;

pub use crate::admin_types::{
    ClusterPatch, DeleteMode, JobPatch, NewCluster, SeedRequest, SeededJobs, SettingsPatch,
};
pub use crate::{Faults, OddAnswer, Settings, TargetedError};

use crate::admin_types::{ConsoleSsl, StartedJob};
use crate::config::{DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

/// The zone of the signed helpers ([`SimClient::set_ssl`], ...) unless [`SimClient::in_zone`].
pub const DEFAULT_ZONE: &str = "pek3a";

impl NewCluster {
    /// An active MySQL Plus cluster with SSL off.
    pub fn new(cluster_id: &str, zone: &str) -> Self {
        Self {
            cluster_id: cluster_id.to_string(),
            zone: zone.to_string(),
            ..Self::default()
        }
    }
}

/// A request that did not get the answer it needed.
#[derive(Debug)]
pub struct Error {
    /// `GET /_sim/clusters/cl-x`, or `GET /iaas/ DescribeJobs`.
    request: String,
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    /// No HTTP answer (connection refused, closed, timed out).
    Transport(reqwest::Error),
    /// An HTTP status other than the expected one.
    Status { status: u16, body: String },
    /// The expected status, with a body that is not what was expected.
    Unexpected { body: String, detail: String },
}

impl Error {
    fn new(request: &str, kind: ErrorKind) -> Self {
        Self {
            request: request.to_string(),
            kind,
        }
    }

    fn unexpected(request: &str, body: String, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self::new(request, ErrorKind::Unexpected { body, detail })
    }

    /// The HTTP status of the answer, if one came.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::Transport(e) => e.status().map(|s| s.as_u16()),
            ErrorKind::Status { status, .. } => Some(*status),
            ErrorKind::Unexpected { .. } => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = &self.request;
        match &self.kind {
            ErrorKind::Transport(e) => write!(f, "simulator {request}: {e}"),
            ErrorKind::Status { status, body } => {
                write!(f, "simulator {request} answered HTTP {status}: {body}")
            }
            ErrorKind::Unexpected { body, detail } => {
                write!(f, "simulator {request} answered {detail}: {body}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Adds the common parameters (`access_key_id`, `signature_method`, `signature_version`,
/// `time_stamp`) to `params` and signs them: the query string to send.
pub fn signed_query(
    key: &str,
    secret: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    time_stamp: &str,
) -> String {
    let mut all = params.to_vec();
    all.extend([
        ("access_key_id", key),
        ("signature_method", signer::SIGNATURE_METHOD),
        ("signature_version", signer::SIGNATURE_VERSION),
        ("time_stamp", time_stamp),
    ]);
    signer::signed_query(secret, method, path, &signer::canonical_query(&all))
}

/// A simulator at `http://HOST:PORT`: its admin API and its QingCloud API. Cheap to clone
/// (clones share connections).
#[derive(Clone)]
pub struct SimClient {
    base: String,
    http: reqwest::Client,
    key: String,
    secret: String,
    zone: String,
}

impl SimClient {
    /// Signs with the built-in key pair, in [`DEFAULT_ZONE`]; never uses a proxy.
    pub fn new(base_url: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .build()
            // Only fails when the TLS backend cannot start; this client speaks plain HTTP.
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            base: base_url.into().trim_end_matches('/').to_string(),
            http,
            key: DEFAULT_ACCESS_KEY.to_string(),
            secret: DEFAULT_SECRET_KEY.to_string(),
            zone: DEFAULT_ZONE.to_string(),
        }
    }

    /// Signs with another key pair.
    pub fn with_key(mut self, key: &str, secret: &str) -> Self {
        self.key = key.to_string();
        self.secret = secret.to_string();
        self
    }

    /// The zone the signed helpers name.
    pub fn in_zone(mut self, zone: &str) -> Self {
        self.zone = zone.to_string();
        self
    }

    /// `http://HOST:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The HTTP client, for requests the helpers do not make (other timeouts, POST forms).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }

    // -----------------------------------------------------------------------------------------
    // The admin API
    // -----------------------------------------------------------------------------------------

    /// Any admin request, whatever the answer: (HTTP status, body as JSON or `Null`). For tests
    /// of the admin API's own refusals; the typed calls below are for everything else.
    pub async fn admin_request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), Error> {
        let (status, text) = self.send(method, path, body).await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// `GET /_sim/health`: Ok when the simulator answers `{"status": "ok"}`.
    pub async fn health(&self) -> Result<(), Error> {
        let v: Value = self
            .admin(Method::GET, "/_sim/health", None::<&()>, 200)
            .await?;
        if v["status"] != "ok" {
            return Err(Error::unexpected(
                "GET /_sim/health",
                v.to_string(),
                "another status",
            ));
        }
        Ok(())
    }

    /// Creates a cluster (in the simulator only; the provider never creates clusters) and
    /// returns it in the admin shape.
    pub async fn add_cluster(&self, cluster: &NewCluster) -> Result<Value, Error> {
        self.admin(Method::POST, "/_sim/clusters", Some(cluster), 201)
            .await
    }

    /// Every cluster, with its jobs:
    /// `{"cluster_id","name","zone","app_id","status","transition_status","ssl","job_duration_ms","jobs"}`.
    pub async fn clusters(&self) -> Result<Vec<Value>, Error> {
        self.admin(Method::GET, "/_sim/clusters", None::<&()>, 200)
            .await
    }

    /// One cluster, with its jobs (see [`SimClient::clusters`]).
    pub async fn cluster(&self, id: &str) -> Result<Value, Error> {
        let path = format!("/_sim/clusters/{id}");
        self.admin(Method::GET, &path, None::<&()>, 200).await
    }

    /// Changes a cluster; returns it.
    pub async fn patch_cluster(&self, id: &str, patch: &ClusterPatch) -> Result<Value, Error> {
        let path = format!("/_sim/clusters/{id}");
        self.admin(Method::PATCH, &path, Some(patch), 200).await
    }

    /// Deletes a cluster; returns what is left of it.
    pub async fn delete_cluster(&self, id: &str, mode: DeleteMode) -> Result<Value, Error> {
        let path = format!("/_sim/clusters/{id}?mode={}", mode.as_str());
        self.admin(Method::DELETE, &path, None::<&()>, 200).await
    }

    /// Changes SSL as someone using the web console would; returns the job id.
    pub async fn console_ssl(&self, id: &str, enabled: bool) -> Result<String, Error> {
        let path = format!("/_sim/clusters/{id}/console-ssl");
        let started: StartedJob = self
            .admin(Method::POST, &path, Some(&ConsoleSsl { enabled }), 200)
            .await?;
        Ok(started.job_id)
    }

    /// Appends made-up successful non-SSL jobs to a cluster's history, newer than its jobs and
    /// older than any job created afterwards.
    pub async fn seed_jobs(&self, id: &str, request: &SeedRequest) -> Result<SeededJobs, Error> {
        let path = format!("/_sim/clusters/{id}/seed-jobs");
        self.admin(Method::POST, &path, Some(request), 200).await
    }

    pub async fn faults(&self) -> Result<Faults, Error> {
        self.admin(Method::GET, "/_sim/faults", None::<&()>, 200)
            .await
    }

    /// Replaces the faults as a whole; returns them.
    pub async fn set_faults(&self, faults: &Faults) -> Result<Faults, Error> {
        self.admin(Method::PUT, "/_sim/faults", Some(faults), 200)
            .await
    }

    pub async fn settings(&self) -> Result<Settings, Error> {
        self.admin(Method::GET, "/_sim/settings", None::<&()>, 200)
            .await
    }

    /// Changes the settings given; returns them all.
    pub async fn set_settings(&self, patch: &SettingsPatch) -> Result<Settings, Error> {
        self.admin(Method::PUT, "/_sim/settings", Some(patch), 200)
            .await
    }

    /// One job in the admin shape: the API's fields plus `origin`, `enable_ssl`, `stuck`,
    /// `lifecycle_status`.
    pub async fn job(&self, id: &str) -> Result<Value, Error> {
        let path = format!("/_sim/jobs/{id}");
        self.admin(Method::GET, &path, None::<&()>, 200).await
    }

    /// Overrides what the API serves for a job; returns the job.
    pub async fn patch_job(&self, id: &str, patch: &JobPatch) -> Result<Value, Error> {
        let path = format!("/_sim/jobs/{id}");
        self.admin(Method::PATCH, &path, Some(patch), 200).await
    }

    /// Finishes a running (e.g. stuck) job successfully now; returns the job.
    pub async fn finish_job(&self, id: &str) -> Result<Value, Error> {
        let path = format!("/_sim/jobs/{id}/finish");
        self.admin(Method::POST, &path, None::<&()>, 200).await
    }

    /// The API requests the simulator has seen:
    /// `[{"seq","action","params","ret_code","http_status","outcome","fault"?,"job_id"?,...}]`.
    pub async fn requests(&self) -> Result<Vec<Value>, Error> {
        self.admin(Method::GET, "/_sim/requests", None::<&()>, 200)
            .await
    }

    pub async fn clear_requests(&self) -> Result<(), Error> {
        let answer = self.send(Method::DELETE, "/_sim/requests", None).await?;
        expect("DELETE /_sim/requests", answer, 204).map(|_| ())
    }

    /// An admin request that must answer `expected`, with a JSON body of type `T`.
    async fn admin<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        expected: u16,
    ) -> Result<T, Error> {
        let request = format!("{method} {path}");
        // The bodies are plain structs with string keys: they always serialize.
        let body = body.and_then(|b| serde_json::to_value(b).ok());
        let answer = self.send(method, path, body.as_ref()).await?;
        json(&request, expect(&request, answer, expected)?)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, String), Error> {
        let request = format!("{method} {path}");
        self.send_as(&request, method, path, body).await
    }

    /// Sends a request named `request` in errors; returns (HTTP status, body).
    async fn send_as(
        &self,
        request: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, String), Error> {
        let transport = |e| Error::new(request, ErrorKind::Transport(e));
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(transport)?;
        Ok((status, text))
    }

    // -----------------------------------------------------------------------------------------
    // The QingCloud API, signed
    // -----------------------------------------------------------------------------------------

    /// The signed query for a GET of `/iaas/` with these parameters, stamped now.
    pub fn query(&self, params: &[(&str, &str)]) -> String {
        let now = crate::clock::format_iso(crate::clock::now_ms());
        signed_query(&self.key, &self.secret, "GET", "/iaas/", params, &now)
    }

    /// `GET /iaas/?{query}`, whatever the answer.
    pub async fn raw(&self, query: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .get(format!("{}/iaas/?{query}", self.base))
            .send()
            .await
    }

    /// A signed GET; the answer must be HTTP 200 JSON (any `ret_code`).
    pub async fn call(&self, params: &[(&str, &str)]) -> Result<Value, Error> {
        self.call_query(&self.query(params)).await
    }

    /// `GET /iaas/?{query}`; the answer must be HTTP 200 JSON (any `ret_code`).
    pub async fn call_query(&self, query: &str) -> Result<Value, Error> {
        let action = query
            .split('&')
            .find_map(|p| p.strip_prefix("action="))
            .unwrap_or("?");
        // Named by its action: the query itself is long and carries the signature.
        let request = format!("GET /iaas/ {action}");
        let path = format!("/iaas/?{query}");
        let answer = self.send_as(&request, Method::GET, &path, None).await?;
        json(&request, expect(&request, answer, 200)?)
    }

    /// `RunClusterCustomService` configuring_SSL with `{"configssl": value}` (any ret_code).
    pub async fn set_ssl(&self, cluster: &str, value: &str) -> Result<Value, Error> {
        let service_params = serde_json::json!({ "configssl": value }).to_string();
        self.call(&[
            ("action", "RunClusterCustomService"),
            ("zone", &self.zone),
            ("cluster", cluster),
            ("role", "maininstance"),
            ("service", "configuring_SSL"),
            ("service_params", &service_params),
        ])
        .await
    }

    /// `DescribeClusterJobs` for one cluster with extra parameters (paging, reverse, ...); the
    /// answer must have ret_code 0.
    pub async fn cluster_jobs(
        &self,
        cluster: &str,
        extra: &[(&str, &str)],
    ) -> Result<Value, Error> {
        let mut params = vec![
            ("action", "DescribeClusterJobs"),
            ("zone", self.zone.as_str()),
            ("cluster", cluster),
        ];
        params.extend_from_slice(extra);
        self.call_ok(&params).await
    }

    /// One job as `DescribeJobs` shows it; the answer must have ret_code 0.
    pub async fn describe_job(&self, job_id: &str) -> Result<Value, Error> {
        let v = self
            .call_ok(&[
                ("action", "DescribeJobs"),
                ("zone", &self.zone),
                ("jobs.1", job_id),
            ])
            .await?;
        Ok(v["job_set"][0].clone())
    }

    /// Polls [`SimClient::describe_job`] until the job is no longer pending or working (ten
    /// seconds at most).
    pub async fn wait_job(&self, job_id: &str) -> Result<Value, Error> {
        let mut job = Value::Null;
        for _ in 0..500 {
            job = self.describe_job(job_id).await?;
            if !matches!(job["status"].as_str(), Some("pending" | "working")) {
                return Ok(job);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(Error::unexpected(
            &format!("GET /iaas/ DescribeJobs {job_id}"),
            job.to_string(),
            "a job that did not finish within 10 s",
        ))
    }

    async fn call_ok(&self, params: &[(&str, &str)]) -> Result<Value, Error> {
        let v = self.call(params).await?;
        if v["ret_code"] != 0 {
            let action = params.iter().find(|(k, _)| *k == "action");
            return Err(Error::unexpected(
                &format!("GET /iaas/ {}", action.map_or("?", |(_, a)| a)),
                v.to_string(),
                "a non-zero ret_code",
            ));
        }
        Ok(v)
    }
}

/// The body of an answer with the `expected` HTTP status.
fn expect(request: &str, (status, body): (u16, String), expected: u16) -> Result<String, Error> {
    if status == expected {
        Ok(body)
    } else {
        Err(Error::new(request, ErrorKind::Status { status, body }))
    }
}

/// A JSON body read as `T`.
fn json<T: DeserializeOwned>(request: &str, body: String) -> Result<T, Error> {
    serde_json::from_str(&body).map_err(|e| {
        Error::unexpected(
            request,
            body,
            format!("a body that is not the expected JSON ({e})"),
        )
    })
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
