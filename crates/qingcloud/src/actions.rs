//! Typed wrappers over the few actions the client needs, each a call (or one per 100 ids) on the
//! call path.

use std::collections::HashSet;

use serde_json::Value;

use super::call::CallPath;
use super::error::Error;
use super::model::{Cluster, Job, Listed, parse_set, parse_total_count, unusable, value_to_string};

/// DescribeJobs and DescribeClusters take at most this many ids per call.
pub(crate) const MAX_IDS_PER_CALL: usize = 100;

fn p(k: impl Into<String>, v: impl Into<String>) -> (String, String) {
    (k.into(), v.into())
}

fn indexed(prefix: &str, ids: &[impl AsRef<str>]) -> Vec<(String, String)> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| p(format!("{prefix}.{}", i + 1), id.as_ref()))
        .collect()
}

/// Starts a cluster custom service and returns its job id. Not idempotent: sent again only
/// when the server certainly did not act (see `Error::outcome_unknown`).
pub(crate) async fn run_cluster_custom_service(
    api: &CallPath,
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
    let response = api.call(action, zone, params, false).await?;
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

/// A Describe action over a list of ids (`PREFIX.N`) plus `extra` parameters.
struct ByIds {
    action: &'static str,
    prefix: &'static str,
    extra: &'static [(&'static str, &'static str)],
    set_key: &'static str,
    /// Whether a `total_count` above the records listed is an error.
    whole_set: bool,
}

const CLUSTERS: ByIds = ByIds {
    action: "DescribeClusters",
    prefix: "clusters",
    extra: &[("verbose", "1")],
    set_key: "cluster_set",
    whole_set: true,
};

/// A job missing from the answer ends a wait with "not found" (an error) only after a grace
/// period, so `total_count` is not held against the list.
const JOBS: ByIds = ByIds {
    action: "DescribeJobs",
    prefix: "jobs",
    extra: &[],
    set_key: "job_set",
    whole_set: false,
};

/// The clusters with these ids (verbose); absent ids are simply missing from the result.
/// Callers take a missing cluster for deleted, so an answer that does not say so plainly is
/// an error (`Error::UnusableAnswer`): no `cluster_set`, an entry we cannot read or without
/// an id (it may be the one asked about), a cluster listed twice (which one is true?), or a
/// `total_count` above what was listed (the missing one may be on another page).
pub(crate) async fn describe_clusters(
    api: &CallPath,
    zone: &str,
    cluster_ids: &[impl AsRef<str>],
) -> Result<Vec<Cluster>, Error> {
    describe_by_ids(api, &CLUSTERS, zone, cluster_ids).await
}

/// The jobs with these ids, in as many calls of up to 100 ids as needed.
pub(crate) async fn describe_jobs(
    api: &CallPath,
    zone: &str,
    job_ids: &[impl AsRef<str>],
) -> Result<Vec<Job>, Error> {
    describe_by_ids(api, &JOBS, zone, job_ids).await
}

/// One page of the cluster's jobs as the server lists them. `reverse=1` and
/// `sort_key=create_time` are what QingCloud's Python SDK sends; the documentation names
/// neither and states no order, so callers must not trust the order (see `ssl::History`).
pub(crate) async fn describe_cluster_jobs_page(
    api: &CallPath,
    zone: &str,
    cluster_id: &str,
    offset: u64,
    limit: u32,
) -> Result<JobsPage, Error> {
    let action = "DescribeClusterJobs";
    let limit = limit.clamp(1, 100);
    let params = vec![
        p("cluster", cluster_id),
        p("reverse", "1"),
        p("sort_key", "create_time"),
        p("offset", offset.to_string()),
        p("limit", limit.to_string()),
    ];
    let response = api.call(action, zone, params, true).await?;
    Ok(JobsPage {
        jobs: parse_set(&response, "job_set", action, zone)?,
        total_count: parse_total_count(&response, action, zone)?,
        offset,
        limit,
    })
}

/// `what` for these ids, in calls of up to 100 ids, each asking for a page as large as its ids
/// (the default page is smaller). Every answer must be usable (see `describe_clusters`): an
/// absent record must mean absent.
async fn describe_by_ids<T: serde::de::DeserializeOwned + Listed>(
    api: &CallPath,
    what: &ByIds,
    zone: &str,
    ids: &[impl AsRef<str>],
) -> Result<Vec<T>, Error> {
    let (action, set_key) = (what.action, what.set_key);
    let mut items: Vec<T> = Vec::new();
    let mut listed = HashSet::new();
    for chunk in ids.chunks(MAX_IDS_PER_CALL) {
        let mut params = indexed(what.prefix, chunk);
        params.extend(what.extra.iter().map(|(k, v)| p(*k, *v)));
        params.push(p("limit", chunk.len().to_string()));
        let response = api.call(action, zone, params, true).await?;
        let page: Vec<T> = parse_set(&response, set_key, action, zone)?;
        if what.whole_set
            && let Some(total) = parse_total_count(&response, action, zone)?
            && total > page.len() as u64
        {
            return Err(unusable(
                action,
                zone,
                format!(
                    "{} of total_count {total} in {set_key}: an absent {} may be on another page",
                    page.len(),
                    T::KIND
                ),
            ));
        }
        for item in page {
            if !listed.insert(item.id().to_string()) {
                return Err(unusable(
                    action,
                    zone,
                    format!("{} {} listed twice in {set_key}", T::KIND, item.id()),
                ));
            }
            items.push(item);
        }
    }
    Ok(items)
}

/// One DescribeClusterJobs answer: the jobs as listed, the `total_count` (None when the answer
/// had none), and the range asked for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobsPage {
    pub(crate) jobs: Vec<Job>,
    pub(crate) total_count: Option<u64>,
    pub(crate) offset: u64,
    pub(crate) limit: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeApi, fake_call_path, ok};
    use serde_json::json;

    #[tokio::test(start_paused = true)]
    async fn describe_jobs_splits_into_calls_of_a_hundred() {
        let api = FakeApi::new(|_, p| {
            let set: Vec<_> = p
                .iter()
                .filter(|(k, _)| k.starts_with("jobs."))
                .map(|(_, v)| json!({"job_id": v, "status": "working"}))
                .collect();
            ok(json!({"job_set": set}))
        });
        let path = fake_call_path(&api);
        let ids: Vec<String> = (1..=250).map(|i| format!("j-{i}")).collect();
        let jobs = describe_jobs(&path, "pek3a", &ids).await.unwrap();
        assert_eq!(jobs.len(), 250);
        let calls = api.calls();
        let sizes: Vec<_> = calls
            .iter()
            .map(|(_, p)| p.keys().filter(|k| k.starts_with("jobs.")).count())
            .collect();
        assert_eq!(sizes, vec![100, 100, 50]);
        assert_eq!(calls[2].1["limit"], "50");
        assert_eq!(calls[1].1["jobs.1"], "j-101");
        assert_eq!(calls[1].1["jobs.100"], "j-200");
        // No ids, no call.
        let none: [&str; 0] = [];
        assert!(
            describe_jobs(&path, "pek3a", &none)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(api.calls().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn request_parameters() {
        let api = FakeApi::new(|action, _| match action {
            "RunClusterCustomService" => ok(json!({"job_id": "j-1"})),
            _ => ok(json!({"job_set": [], "cluster_set": []})),
        });
        let path = fake_call_path(&api);
        describe_cluster_jobs_page(&path, "gd2a", "cl-1", 50, 500)
            .await
            .unwrap();
        describe_clusters(&path, "pek3a", &["cl-1", "cl-2"])
            .await
            .unwrap();
        let id = run_cluster_custom_service(
            &path,
            "pek3a",
            "cl-1",
            "maininstance",
            "configuring_SSL",
            &json!({"configssl": "NO"}),
        )
        .await
        .unwrap();
        assert_eq!(id, "j-1");
        let calls = api.calls();
        let jobs = &calls[0].1;
        assert_eq!(
            (
                jobs["action"].as_str(),
                jobs["zone"].as_str(),
                jobs["cluster"].as_str()
            ),
            ("DescribeClusterJobs", "gd2a", "cl-1")
        );
        assert_eq!(
            (
                jobs["reverse"].as_str(),
                jobs["offset"].as_str(),
                jobs["limit"].as_str()
            ),
            ("1", "50", "100")
        );
        assert_eq!(jobs["sort_key"], "create_time");
        let clusters = &calls[1].1;
        assert_eq!(
            (
                clusters["clusters.1"].as_str(),
                clusters["clusters.2"].as_str()
            ),
            ("cl-1", "cl-2")
        );
        assert_eq!(clusters["verbose"], "1");
        let run = &calls[2].1;
        assert_eq!(run["service_params"], r#"{"configssl":"NO"}"#);
        assert_eq!(
            (run["cluster"].as_str(), run["role"].as_str()),
            ("cl-1", "maininstance")
        );
    }
}
