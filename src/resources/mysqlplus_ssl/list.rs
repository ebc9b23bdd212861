//! List resource `qingcloud_mysqlplus_ssl` (`terraform query`): the zone's MySQL Plus
//! clusters, one event each with the managed resource's identity and, when Terraform asks, its
//! full state with `enabled` read from the job history. Errors end the list as error events
//! naming what failed (the page, or the cluster): never a shorter list that looks complete.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::provider_data::{Ctx, ProviderData};
use crate::zone::{zone_error, zone_is_valid};
use qingcloud::{Client, Cluster, ClusterFilter, MYSQL_PLUS_APP_IDS};
use tfplugin::framework::{
    self as fw, Attr, Attribute, Block, Diagnostic, Diagnostics, Presence, Schema, Type,
};
use tfplugin::path;

use super::current::{Current, read_current};
use super::kind::MysqlPlusSsl;
use super::model::{Identity, Ssl};
use super::schema::TYPE_NAME;

type ListEvent = fw::ListEvent<MysqlPlusSsl>;
type ListSink = fw::ListSink<MysqlPlusSsl>;

/// Job-history readings in flight at once when states are asked for: enough to list hundreds
/// of clusters in seconds, few enough not to trip QingCloud's rate limit by themselves.
const READ_CONCURRENCY: usize = 10;

pub(crate) struct MysqlPlusSslList;

tfplugin::model! {
    /// The filters of `schema()`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct Filters {
        zone: Attr<String>,
        name: Attr<String>,
        status: Attr<Vec<Attr<String>>>,
    }
}

fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Lists the MySQL Plus clusters of a zone with their SSL setting, for \
                          `terraform query` and for importing them in bulk."
                .into(),
            attributes: vec![
                Attribute::new(
                    "zone",
                    Type::String,
                    Presence::Optional,
                    "Zone to list, e.g. `pek3a`. Defaults to the provider's `zone`.",
                ),
                Attribute::new(
                    "name",
                    Type::String,
                    Presence::Optional,
                    "Only clusters whose name contains this text (QingCloud's `cluster_name` \
                     filter).",
                ),
                Attribute::new(
                    "status",
                    Type::list(Type::String),
                    Presence::Optional,
                    "Only clusters in one of these statuses, e.g. `[\"active\"]`. Deleted and \
                     ceased clusters are never listed: they hold nothing to manage.",
                ),
            ],
            ..Block::default()
        },
    }
}

fn validate(config: &Filters) -> Diagnostics {
    let mut diags = Diagnostics::default();
    if let Some(zone) = config.zone.as_str()
        && !zone_is_valid(zone)
    {
        diags.push(zone_error(zone, path!(Filters.zone)));
    }
    if let Attr::Known(items) = &config.status {
        for s in items.iter().filter_map(Attr::as_str) {
            let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if !ok {
                diags.push(
                    Diagnostic::error(
                        "Invalid status",
                        format!(
                            "{s:?} is not a cluster status: statuses are lower-case words such \
                             as \"active\", \"stopped\" or \"suspended\"."
                        ),
                    )
                    .at(path!(Filters.status)),
                );
            }
        }
    }
    diags
}

fn filter(config: &Filters) -> ClusterFilter {
    let status = match &config.status {
        Attr::Known(items) => items
            .iter()
            .filter_map(Attr::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    ClusterFilter {
        apps: MYSQL_PLUS_APP_IDS.iter().map(|a| a.to_string()).collect(),
        name: config
            .name
            .as_str()
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        status,
    }
}

/// `orders-db (cl-ouhutv70)`, or the id alone for a cluster without a name.
fn display_name(cluster: &Cluster) -> String {
    match cluster.name.trim() {
        "" => cluster.cluster_id.clone(),
        name => format!("{name} ({})", cluster.cluster_id),
    }
}

/// The managed resource's state for a reading, as a refresh after import would leave it.
fn state(zone: &str, current: &Current) -> Ssl {
    let id = &current.cluster.cluster_id;
    Ssl {
        id: Attr::Known(id.clone()),
        cluster_id: Attr::Known(id.clone()),
        enabled: Attr::Known(current.enabled),
        zone: Attr::Known(zone.to_string()),
        job_id: current.job_id.clone().into(),
        timeouts: Attr::Null,
    }
}

fn event(zone: &str, cluster: &Cluster, object: Option<Ssl>) -> ListEvent {
    ListEvent {
        identity: Some(Identity::of(&cluster.cluster_id, zone)),
        display_name: display_name(cluster),
        resource_object: object,
        diagnostics: Diagnostics::default(),
    }
}

/// Readings in flight, in listing order; dropping it (the list stopped) aborts them, so no
/// API call is made for a result nobody reads.
struct Readings(VecDeque<JoinHandle<Result<Current, Diagnostic>>>);

impl Drop for Readings {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

impl MysqlPlusSslList {
    /// Sends one page's clusters; false when the list must end (stopped or failed).
    async fn send_page(
        &self,
        ctx: &Ctx,
        client: &Client,
        zone: &str,
        clusters: Vec<Cluster>,
        with_state: bool,
        sink: &ListSink,
    ) -> bool {
        if !with_state {
            for c in &clusters {
                if !sink.send(event(zone, c, None)).await {
                    return false;
                }
            }
            return true;
        }
        let permits = Arc::new(Semaphore::new(READ_CONCURRENCY));
        let history = ProviderData::history(ctx);
        let mut readings = Readings(
            clusters
                .iter()
                .map(|c| {
                    let (ctx, client, zone, listed) =
                        (ctx.clone(), client.clone(), zone.to_string(), c.clone());
                    let permits = permits.clone();
                    tokio::spawn(async move {
                        let _permit = permits.acquire_owned().await;
                        let id = listed.cluster_id.clone();
                        read_current(&ctx, &client, &zone, &id, Some(listed), history).await
                    })
                })
                .collect(),
        );
        for c in &clusters {
            let Some(handle) = readings.0.pop_front() else {
                return false;
            };
            let reading = tokio::select! {
                _ = sink.closed() => return false,
                r = handle => r,
            };
            let ev = match reading {
                Ok(Ok(current)) => event(zone, c, Some(state(zone, &current))),
                Ok(Err(d)) => {
                    // The path points into a resource configuration, which a list block does
                    // not have; the summary names the cluster.
                    let d = Diagnostic { path: None, ..d };
                    sink.send(ListEvent::diagnostic(d)).await;
                    return false;
                }
                Err(e) => {
                    let d = Diagnostic::error(
                        format!("Reading cluster {} failed", c.cluster_id),
                        format!(
                            "The reading {}. This is a bug in the provider; please report it.",
                            if e.is_panic() {
                                "crashed"
                            } else {
                                "was cancelled"
                            }
                        ),
                    );
                    sink.send(ListEvent::diagnostic(d)).await;
                    return false;
                }
            };
            if !sink.send(ev).await {
                return false;
            }
        }
        true
    }
}

#[async_trait]
impl fw::ListResource for MysqlPlusSslList {
    type Config = Filters;
    type Resource = MysqlPlusSsl;
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Filters) -> Diagnostics {
        validate(config)
    }

    async fn list(&self, ctx: &Ctx, req: fw::ListRequest<Self>, sink: ListSink) {
        let diags = validate(&req.config);
        if diags.has_errors() {
            sink.send(ListEvent::diagnostic(diags)).await;
            return;
        }
        let client = match ProviderData::of(ctx) {
            Ok(data) => &data.client,
            Err(d) => {
                sink.send(ListEvent::diagnostic(d)).await;
                return;
            }
        };
        let zone = req
            .config
            .zone
            .as_str()
            .unwrap_or(client.default_zone())
            .to_string();
        let mut left = usize::try_from(req.limit).unwrap_or(0);
        let mut pages = client.list_clusters(&zone, filter(&req.config));
        while left > 0 {
            let page = tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => {
                    sink.send(ListEvent::diagnostic(Diagnostic::error(
                        "Listing interrupted",
                        "Terraform asked the provider to stop; the list is incomplete.",
                    ))).await;
                    return;
                }
                _ = sink.closed() => return,
                p = pages.next() => p,
            };
            let clusters = match page {
                None => return,
                Some(Ok(clusters)) => clusters,
                Some(Err(e)) => {
                    sink.send(ListEvent::diagnostic(Diagnostic::error(
                        format!("Cannot list the MySQL Plus clusters of zone {zone}"),
                        format!(
                            "Reading {e}. The list is incomplete, so it is not shown as complete."
                        ),
                    )))
                    .await;
                    return;
                }
            };
            // Deleted and ceased clusters are listed for a while but hold nothing to manage.
            let clusters: Vec<Cluster> = clusters
                .into_iter()
                .filter(|c| c.is_mysql_plus() && !c.is_gone())
                .take(left)
                .collect();
            left -= clusters.len();
            let go_on = self
                .send_page(
                    ctx,
                    client,
                    &zone,
                    clusters,
                    req.include_resource_object,
                    &sink,
                )
                .await;
            if !go_on {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::{Model, Value};

    fn filters(config: Value) -> Filters {
        Filters::from_value(&config).unwrap()
    }

    #[test]
    fn the_filters_match_the_schema() {
        assert_eq!(Filters::value_type(), schema().value_type());
    }

    #[test]
    fn display_names_show_the_name_and_the_id() {
        let c = Cluster {
            cluster_id: "cl-ouhutv70".into(),
            name: "orders-db".into(),
            ..Cluster::default()
        };
        assert_eq!(display_name(&c), "orders-db (cl-ouhutv70)");
        let unnamed = Cluster {
            name: " ".into(),
            ..c
        };
        assert_eq!(display_name(&unnamed), "cl-ouhutv70");
    }

    #[test]
    fn filters_become_api_parameters_and_bad_ones_are_refused() {
        let config = filters(Value::object([
            ("zone", Value::Null),
            ("name", Value::string("orders")),
            ("status", Value::List(vec![Value::string("active")])),
        ]));
        let f = filter(&config);
        assert_eq!(f.apps, ["app-00r26u27"]);
        assert_eq!(f.name.as_deref(), Some("orders"));
        assert_eq!(f.status, ["active"]);
        assert!(validate(&config).is_empty());
        let bad = filters(Value::object([
            ("zone", Value::string("PEK3A")),
            ("status", Value::List(vec![Value::string("Active!")])),
        ]));
        assert_eq!(validate(&bad).0.len(), 2);
        assert!(validate(&filters(Value::object([("status", Value::Unknown)]))).is_empty());
    }
}
