//! Typed wrappers over the few actions the provider needs.

use serde_json::Value;

use super::client::Client;
use super::error::Error;
use super::model::{Cluster, Job, parse_list, value_to_string};

/// DescribeJobs takes at most this many ids per call.
pub const MAX_IDS_PER_CALL: usize = 100;

fn p(k: impl Into<String>, v: impl Into<String>) -> (String, String) {
    (k.into(), v.into())
}

fn indexed(prefix: &str, ids: &[impl AsRef<str>]) -> Vec<(String, String)> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| p(format!("{prefix}.{}", i + 1), id.as_ref()))
        .collect()
}

impl Client {
    /// Starts a cluster custom service and returns its job id. Not idempotent: sent again only
    /// when the server certainly did not act (see `Error::outcome_unknown`).
    pub async fn run_cluster_custom_service(
        &self,
        zone: &str,
        cluster_id: &str,
        role: &str,
        service: &str,
        service_params: &Value,
    ) -> Result<String, Error> {
        let action = "RunClusterCustomService";
        let params = vec![
            p("cluster", cluster_id),
            p("role", role),
            p("service", service),
            // Compact JSON as a string value; the signer percent-encodes it once.
            p("service_params", service_params.to_string()),
        ];
        let response = self.call(action, zone, params, false).await?;
        match response.get("job_id").map(value_to_string) {
            Some(job_id) if !job_id.is_empty() => Ok(job_id),
            // The server accepted the request (ret_code 0) but we cannot tell which job: the
            // outcome is known to be "acted", yet unusable; report it as ambiguous so the caller
            // looks at the cluster's jobs rather than resending.
            _ => Err(Error::BadResponse {
                detail: "no job_id in the response".into(),
                action: action.into(),
                zone: zone.into(),
            }),
        }
    }

    /// The clusters with these ids (verbose); absent ids are simply missing from the result.
    pub async fn describe_clusters(
        &self,
        zone: &str,
        cluster_ids: &[impl AsRef<str>],
    ) -> Result<Vec<Cluster>, Error> {
        let mut params = indexed("clusters", cluster_ids);
        params.push(p("verbose", "1"));
        let response = self.call("DescribeClusters", zone, params, true).await?;
        Ok(parse_list(&response, "cluster_set"))
    }

    /// The cluster's newest `limit` jobs, newest first.
    pub async fn describe_cluster_jobs(
        &self,
        zone: &str,
        cluster_id: &str,
        limit: u32,
    ) -> Result<Vec<Job>, Error> {
        self.describe_cluster_jobs_page(zone, cluster_id, 0, limit)
            .await
    }

    /// One page of the cluster's jobs, newest first.
    pub async fn describe_cluster_jobs_page(
        &self,
        zone: &str,
        cluster_id: &str,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Job>, Error> {
        let params = vec![
            p("cluster", cluster_id),
            p("reverse", "1"),
            p("offset", offset.to_string()),
            p("limit", limit.clamp(1, 100).to_string()),
        ];
        let response = self.call("DescribeClusterJobs", zone, params, true).await?;
        Ok(parse_list(&response, "job_set"))
    }

    /// The jobs with these ids, in as many calls of up to 100 ids as needed.
    pub async fn describe_jobs(
        &self,
        zone: &str,
        job_ids: &[impl AsRef<str>],
    ) -> Result<Vec<Job>, Error> {
        let mut jobs = Vec::new();
        for chunk in job_ids.chunks(MAX_IDS_PER_CALL) {
            let mut params = indexed("jobs", chunk);
            params.push(p("limit", chunk.len().to_string()));
            let response = self.call("DescribeJobs", zone, params, true).await?;
            jobs.extend(parse_list::<Job>(&response, "job_set"));
        }
        Ok(jobs)
    }
}
