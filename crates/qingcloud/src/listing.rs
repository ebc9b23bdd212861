//! Listing a zone's clusters by app, page by page (DescribeClusters with `apps.N`), for
//! `terraform query`. A listing either reaches `total_count` or ends with an error naming the
//! page it could not read: a shorter list that looks complete would hide clusters from the user.

use std::collections::HashSet;

use super::call::CallPath;
use super::error::Error;
use super::model::{Cluster, parse_set, parse_total_count, unusable};

/// The API's largest page.
pub(crate) const CLUSTERS_PAGE: u64 = 100;

const ACTION: &str = "DescribeClusters";

/// What to list: clusters of any of `apps`, optionally narrowed by the API's own filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterFilter {
    pub apps: Vec<String>,
    /// `cluster_name`: a substring of the name, as QingCloud matches it.
    pub name: Option<String>,
    /// `status.N`: e.g. `active`, `stopped`.
    pub status: Vec<String>,
}

impl ClusterFilter {
    fn params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        for (i, app) in self.apps.iter().enumerate() {
            params.push((format!("apps.{}", i + 1), app.clone()));
        }
        for (i, status) in self.status.iter().enumerate() {
            params.push((format!("status.{}", i + 1), status.clone()));
        }
        if let Some(name) = &self.name {
            params.push(("cluster_name".into(), name.clone()));
        }
        params
    }
}

/// A page that could not be read: which one, and why.
#[derive(Debug)]
pub struct PageError {
    /// 1-based.
    page: u64,
    offset: u64,
    error: Error,
}

impl PageError {
    /// Why the page could not be read.
    pub(crate) fn error(&self) -> &Error {
        &self.error
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "page {} of the cluster listing (offset {}, limit {CLUSTERS_PAGE}): {}",
            self.page, self.offset, self.error
        )
    }
}

/// Walks the pages of one listing. Each `next` is one DescribeClusters call (retried by the
/// client as usual); None once `total_count` clusters have been listed.
pub struct ClusterPages<'a> {
    api: &'a CallPath,
    zone: String,
    filter: ClusterFilter,
    offset: u64,
    page: u64,
    total: Option<u64>,
    /// Clusters listed so far: one listed twice means the listing shifted under us (a
    /// cluster created or deleted between pages), and its pages can no longer be trusted.
    seen: HashSet<String>,
}

impl<'a> ClusterPages<'a> {
    pub(crate) fn new(api: &'a CallPath, zone: &str, filter: ClusterFilter) -> ClusterPages<'a> {
        ClusterPages {
            api,
            zone: zone.to_string(),
            filter,
            offset: 0,
            page: 0,
            total: None,
            seen: HashSet::new(),
        }
    }

    /// A walk that starts at `offset`, for reading pages side by side (each walk checks only
    /// its own pages for clusters listed twice).
    pub(crate) fn starting_at(
        api: &'a CallPath,
        zone: &str,
        filter: ClusterFilter,
        offset: u64,
    ) -> ClusterPages<'a> {
        ClusterPages {
            offset,
            page: offset / CLUSTERS_PAGE,
            ..ClusterPages::new(api, zone, filter)
        }
    }

    /// The listing's `total_count`, once a page has been read.
    pub(crate) fn total(&self) -> Option<u64> {
        self.total
    }

    fn is_done(&self) -> bool {
        self.total.is_some_and(|t| self.offset >= t)
    }

    pub async fn next(&mut self) -> Option<Result<Vec<Cluster>, PageError>> {
        if self.is_done() {
            return None;
        }
        self.page += 1;
        let (page, offset) = (self.page, self.offset);
        Some(self.fetch().await.map_err(|error| PageError {
            page,
            offset,
            error,
        }))
    }

    async fn fetch(&mut self) -> Result<Vec<Cluster>, Error> {
        let zone = self.zone.clone();
        let mut params = self.filter.params();
        params.push(("offset".into(), self.offset.to_string()));
        params.push(("limit".into(), CLUSTERS_PAGE.to_string()));
        let response = self.api.call(ACTION, &zone, params, true).await?;
        let clusters: Vec<Cluster> = parse_set(&response, "cluster_set", ACTION, &zone)?;
        // Without a total there is no telling a last page from a short one.
        let total = parse_total_count(&response, ACTION, &zone)?
            .ok_or_else(|| unusable(ACTION, &zone, "no total_count"))?;
        let remaining = total.saturating_sub(self.offset);
        if clusters.is_empty() && remaining > 0 {
            return Err(unusable(
                ACTION,
                &zone,
                format!(
                    "an empty page at offset {} of total_count {total}",
                    self.offset
                ),
            ));
        }
        if clusters.len() as u64 > CLUSTERS_PAGE {
            return Err(unusable(
                ACTION,
                &zone,
                format!("{} clusters on a page of {CLUSTERS_PAGE}", clusters.len()),
            ));
        }
        for c in &clusters {
            if !self.seen.insert(c.cluster_id.clone()) {
                return Err(unusable(
                    ACTION,
                    &zone,
                    format!(
                        "cluster {} listed twice (clusters changed during the listing; run it again)",
                        c.cluster_id
                    ),
                ));
            }
        }
        self.total = Some(total);
        self.offset += clusters.len() as u64;
        Ok(clusters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{FakeApi, api_error, fake_call_path, ok};
    use serde_json::json;

    /// `n` clusters served in pages as the API does; `fail_offset` answers 5000 there.
    fn api(n: u64, fail_offset: Option<u64>) -> std::sync::Arc<FakeApi> {
        FakeApi::new(move |action, p| {
            assert_eq!(action, "DescribeClusters");
            let offset: u64 = p["offset"].parse().unwrap();
            if Some(offset) == fail_offset {
                return api_error(5000);
            }
            let limit: u64 = p["limit"].parse().unwrap();
            let set: Vec<_> = (offset..n.min(offset + limit))
                .map(|i| json!({"cluster_id": format!("cl-{i:05}"), "app_id": p["apps.1"]}))
                .collect();
            ok(json!({"cluster_set": set, "total_count": n}))
        })
    }

    fn filter() -> ClusterFilter {
        ClusterFilter {
            apps: vec!["app-00r26u27".into()],
            name: Some("orders".into()),
            status: vec!["active".into()],
        }
    }

    async fn all(api: &CallPath) -> Result<Vec<Cluster>, PageError> {
        let mut pages = ClusterPages::new(api, "pek3a", filter());
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            out.extend(page?);
        }
        Ok(out)
    }

    #[tokio::test(start_paused = true)]
    async fn pages_by_100_until_total_count_with_the_filters() {
        let api = api(250, None);
        let clusters = all(&fake_call_path(&api)).await.unwrap();
        assert_eq!(clusters.len(), 250);
        let calls = api.calls();
        let offsets: Vec<_> = calls.iter().map(|(_, p)| p["offset"].clone()).collect();
        assert_eq!(offsets, ["0", "100", "200"]);
        let p = &calls[0].1;
        assert_eq!(p["limit"], "100");
        assert_eq!(p["apps.1"], "app-00r26u27");
        assert_eq!(p["cluster_name"], "orders");
        assert_eq!(p["status.1"], "active");
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_listing_is_one_call() {
        let api = api(0, None);
        assert!(all(&fake_call_path(&api)).await.unwrap().is_empty());
        assert_eq!(api.count("DescribeClusters"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_page_is_an_error_naming_it_never_a_short_list() {
        let api = api(250, Some(100));
        let err = all(&fake_call_path(&api)).await.unwrap_err();
        assert_eq!((err.page, err.offset), (2, 100));
        assert!(err.to_string().contains("page 2"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn answers_that_would_shorten_the_list_are_errors() {
        for broken in [
            json!({"cluster_set": [], "total_count": 5}),
            json!({"cluster_set": [{"cluster_id": "cl-a"}]}),
            json!({"cluster_set": [{"cluster_id": "cl-a"}, {"cluster_id": "cl-a"}], "total_count": 2}),
        ] {
            let api = FakeApi::new(move |_, _| ok(broken.clone()));
            assert!(all(&fake_call_path(&api)).await.is_err());
        }
    }
}
