//! The current setting of one cluster, for readers that have no state to compare with (the
//! data source and the list resource): the same reading rules as a refresh, and an error
//! wherever a refresh would keep a recorded setting, since there is none to keep.

use crate::provider_data::Ctx;
use qingcloud::{Client, Cluster, HistoryPolicy, MYSQL_PLUS_APP_IDS, Setting, SslService};
use tfplugin::framework::Diagnostic;
use tfplugin::path;

use super::apply::undetermined;
use super::model::Ssl;

/// What the job history says of a cluster now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Current {
    pub(crate) cluster: Cluster,
    pub(crate) enabled: bool,
    /// The successful configuring_SSL job that made the setting; None when never switched.
    pub(crate) job_id: Option<String>,
    /// A configuring_SSL job is pending or working now.
    pub(crate) switching: bool,
}

/// Reads the setting of `cluster_id`; of `listed`, a cluster just listed, from its job history
/// alone. A missing, deleted or non-MySQL Plus cluster, a history too long for `history`, an
/// unreadable answer or a stop are errors (at `cluster_id`, which the data source names so too).
pub(crate) async fn read_current(
    ctx: &Ctx,
    client: &Client,
    zone: &str,
    cluster_id: &str,
    listed: Option<Cluster>,
    history: HistoryPolicy,
) -> Result<Current, Diagnostic> {
    let at = path!(Ssl.cluster_id);
    let service = SslService::new(client);
    let read = async {
        match listed {
            Some(cluster) => service.read_listed(zone, cluster, history).await,
            None => service.read(zone, cluster_id, None, history).await,
        }
    };
    let ssl = tokio::select! {
        biased;
        _ = ctx.cancel.cancelled() => return Err(Diagnostic::error(
            "Reading interrupted",
            "Terraform asked the provider to stop before the reading finished.",
        )),
        r = read => r,
    };
    let ssl = ssl.map_err(|e| {
        Diagnostic::error(
            format!("Cannot read the SSL setting of cluster {cluster_id}"),
            e.to_string(),
        )
        .at(at.clone())
    })?;
    let cluster = match ssl.cluster.clone().filter(|c| !c.is_gone()) {
        Some(c) => c,
        None => {
            return Err(Diagnostic::error(
                format!("Cluster {cluster_id} not found"),
                format!(
                    "QingCloud has no cluster {cluster_id} in zone {zone} (or it is deleted). \
                     Check cluster_id and zone."
                ),
            )
            .at(at));
        }
    };
    if !cluster.is_mysql_plus() {
        return Err(Diagnostic::error(
            format!("Cluster {cluster_id} is not a MySQL Plus cluster"),
            format!(
                "Cluster {cluster_id} in zone {zone} belongs to app {}; only MySQL Plus \
                 clusters (app {}) have this SSL setting. Check cluster_id and zone.",
                cluster.app_id,
                MYSQL_PLUS_APP_IDS.join(", ")
            ),
        )
        .at(at));
    }
    let switching = ssl.in_flight.is_some();
    match ssl.setting {
        Setting::Seen { enabled, job } => Ok(Current {
            cluster,
            enabled,
            job_id: job.map(|j| j.job_id),
            switching,
        }),
        Setting::Unknown {
            jobs_read,
            total_count,
        } => Err(undetermined(
            cluster_id,
            jobs_read,
            total_count,
            "The provider does not guess.",
        )
        .at(at)),
        // Only a reading given a recorded setting answers this; none was given.
        Setting::PriorStands { .. } => Err(Diagnostic::error(
            format!("Cannot tell whether SSL is on for cluster {cluster_id}"),
            "The reading referred to a recorded setting that was not given. This is a bug in \
             the provider; please report it.",
        )
        .at(at)),
    }
}
