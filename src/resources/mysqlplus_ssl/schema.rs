//! Schema, identity and offline validation of `qingcloud_mysqlplus_ssl`, and what its values
//! say (timeouts, the recorded setting, the target cluster).

use std::time::Duration;

use crate::provider_data::{Ctx, ProviderData};
use crate::zone::{zone_error, zone_is_valid};
use qingcloud::ids;
use qingcloud::{Prior, Setting};
use tfplugin::framework::duration::parse_duration;
use tfplugin::framework::{
    Attr, Attribute, AttributePath, Block, Diagnostic, Diagnostics, IdentityAttribute,
    IdentitySchema, NestedBlock, Nesting, Presence, Schema, Type,
};
use tfplugin::path;

use super::model::{Ssl, TIMEOUT_KINDS, Timeouts};

pub(crate) const TYPE_NAME: &str = "qingcloud_mysqlplus_ssl";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// A configuring_SSL job restarts MySQL, which takes longer than this in practice: a shorter
/// timeout submits the job (a restart) and reports a failure at once, which helps no one.
const MIN_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn schema() -> Schema {
    let timeouts = Block {
        description: "How long each operation may wait for the cluster and its job.".into(),
        attributes: TIMEOUT_KINDS
            .iter()
            .map(|kind| {
                Attribute::new(
                    kind,
                    Type::String,
                    Presence::Optional,
                    &format!(
                        "How long {kind} may wait, as a duration such as `30m` or `1h` \
                         (default `30m`). When it passes, the job goes on in QingCloud and the \
                         next refresh picks up its outcome."
                    ),
                )
            })
            .collect(),
        ..Block::default()
    };
    Schema {
        version: 0,
        block: Block {
            description: "Turns SSL transport encryption of a QingCloud MySQL Plus cluster on or \
                          off (the `configuring_SSL` custom service).\n\n\
                          **Every change restarts the cluster's database.** The plan shows a \
                          warning whenever applying it will switch SSL. Destroying this resource \
                          turns SSL off again, the cluster's default."
                .into(),
            attributes: vec![
                Attribute::new(
                    "id",
                    Type::String,
                    Presence::Computed,
                    "The cluster ID; the same as `cluster_id`.",
                ),
                Attribute::new(
                    "cluster_id",
                    Type::String,
                    Presence::Required,
                    "ID of the MySQL Plus cluster, e.g. `cl-ouhutv70`. Changing it replaces the \
                     resource: SSL is turned off on the old cluster and set on the new one.",
                ),
                Attribute::new(
                    "enabled",
                    Type::Bool,
                    Presence::Required,
                    "Whether SSL transport encryption is on. Changing it restarts the database.",
                ),
                Attribute::new(
                    "zone",
                    Type::String,
                    Presence::OptionalComputed,
                    "Zone of the cluster, e.g. `pek3a`. Defaults to the provider's `zone`. \
                     Changing it replaces the resource.",
                ),
                Attribute::new(
                    "job_id",
                    Type::String,
                    Presence::Computed,
                    "ID of the last `configuring_SSL` job this resource ran or adopted, e.g. \
                     `j-g5xds89dhis`; null when none was needed.",
                ),
            ],
            blocks: vec![NestedBlock {
                type_name: "timeouts".into(),
                block: timeouts,
                nesting: Nesting::Single,
                min_items: 0,
                max_items: 0,
            }],
            deprecated: false,
        },
    }
}

pub(super) fn identity_schema() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute {
                name: "cluster_id".into(),
                ty: Type::String,
                required_for_import: true,
                description: "ID of the MySQL Plus cluster.".into(),
            },
            IdentityAttribute {
                name: "zone".into(),
                ty: Type::String,
                required_for_import: false,
                description: "Zone of the cluster; the provider's zone when omitted.".into(),
            },
        ],
    }
}

/// Cluster IDs are `cl-` and lower-case letters and digits.
pub(super) fn cluster_id_is_valid(id: &str) -> bool {
    ids::is_cluster_id(id)
}

/// The value as a message may quote it: long ones are cut, so a pasted file does not fill the
/// screen.
fn quoted(id: &str) -> String {
    if id.chars().count() <= ids::CLUSTER_ID_MAX {
        return format!("{id:?}");
    }
    let head: String = id.chars().take(24).collect();
    format!("{head:?}... ({} characters)", id.chars().count())
}

pub(super) fn cluster_id_error(id: &str, path: AttributePath) -> Diagnostic {
    Diagnostic::error(
        "Invalid cluster ID",
        format!(
            "{} is not a QingCloud cluster ID: it must be {}. Find it in the console or with \
             `qingcloud iaas describe-clusters`.",
            quoted(id),
            ids::CLUSTER_ID_RULE
        ),
    )
    .at(path)
}

/// Offline checks of `cluster_id` and `zone`, which the resource and the data source share
/// (both name them so).
pub(crate) fn validate_target(cluster_id: &Attr<String>, zone: &Attr<String>) -> Diagnostics {
    let mut diags = Diagnostics::default();
    if let Some(id) = cluster_id.as_str()
        && !cluster_id_is_valid(id)
    {
        diags.push(cluster_id_error(id, path!(Ssl.cluster_id)));
    }
    if let Some(zone) = zone.as_str()
        && !zone_is_valid(zone)
    {
        diags.push(zone_error(zone, path!(Ssl.zone)));
    }
    diags
}

pub(super) fn validate(config: &Ssl) -> Diagnostics {
    let mut diags = validate_target(&config.cluster_id, &config.zone);
    let Some(timeouts) = config.timeouts.known() else {
        return diags;
    };
    for (kind, text) in timeouts.each() {
        let Some(text) = text.as_str() else {
            continue;
        };
        let problem = match parse_duration(text) {
            Err(e) => e,
            Ok(d) if d < MIN_TIMEOUT => format!(
                "{text:?} is shorter than the minimum of {}s. Switching SSL restarts MySQL, \
                 which takes longer than that: the job would start (a restart) and the \
                 {kind} would fail at once. Use at least \"{}s\" (the default is 30m).",
                MIN_TIMEOUT.as_secs(),
                MIN_TIMEOUT.as_secs()
            ),
            Ok(_) => continue,
        };
        diags.push(
            Diagnostic::error(format!("Invalid timeouts.{kind}"), problem)
                .at(path!(Ssl.timeouts).attr(kind)),
        );
    }
    diags
}

/// The timeout that `kind` picks from an object's `timeouts` block; bad values were refused at
/// validation, so they fall back to the default here.
pub(super) fn timeout(object: &Ssl, kind: fn(&Timeouts) -> &Attr<String>) -> Duration {
    object
        .timeouts
        .known()
        .and_then(|t| kind(t).as_str())
        .and_then(|t| parse_duration(t).ok())
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// What a state records of the setting: the setting and the job that made it. None before the
/// first reading of an import, when `enabled` is still null.
pub(super) fn recorded(state: &Ssl) -> Option<Prior<'_>> {
    let enabled = state.enabled.as_bool()?;
    Some(Prior {
        job_id: state.job_id.as_str(),
        enabled,
    })
}

/// True when a whole history read without any successful configuring_SSL job ("off", the
/// default) meets a state that names the job behind its setting: that job is no longer listed
/// (QingCloud may drop old job records), so the history cannot speak for the setting, and the
/// recorded one stands.
pub(super) fn record_lost(setting: &Setting, recorded: Option<&Prior>) -> bool {
    matches!(setting, Setting::Seen { job: None, .. })
        && recorded.is_some_and(|p| p.job_id.is_some())
}

/// Where a known object of this resource lives.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Target {
    pub(super) cluster_id: String,
    pub(super) zone: String,
}

impl Target {
    /// From a state or plan whose `cluster_id` is known; `zone` falls back to `default_zone`.
    pub(super) fn of(object: &Ssl, default_zone: Option<&str>) -> Result<Target, Diagnostic> {
        let cluster_id = object
            .cluster_id
            .as_str()
            .ok_or_else(|| {
                Diagnostic::error(
                    "Cluster ID not known",
                    "cluster_id must be known when the change is applied.",
                )
                .at(path!(Ssl.cluster_id))
            })?
            .to_string();
        let zone = object
            .zone
            .as_str()
            .or(default_zone)
            .map(str::to_string)
            .ok_or_else(|| {
                Diagnostic::error(
                    "No zone",
                    "Set `zone` on the resource or the provider, or QINGCLOUD_ZONE.",
                )
                .at(path!(Ssl.zone))
            })?;
        Ok(Target { cluster_id, zone })
    }
}

/// The API client and where `object` lives (its zone, else the provider's).
pub(super) fn client_and_target<'a>(
    ctx: &'a Ctx,
    object: &Ssl,
) -> Result<(&'a qingcloud::Client, Target), Diagnostic> {
    let client = &ProviderData::of(ctx)?.client;
    let target = Target::of(object, Some(client.default_zone()))?;
    Ok((client, target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::{Model, Value};

    fn config(cluster: &str, zone: Option<&str>, create: Option<&str>) -> Ssl {
        let config = Value::object([
            ("id", Value::Null),
            ("cluster_id", Value::string(cluster)),
            ("enabled", Value::Bool(true)),
            ("zone", zone.map(Value::string).unwrap_or(Value::Null)),
            ("job_id", Value::Null),
            (
                "timeouts",
                Value::object([
                    ("create", create.map(Value::string).unwrap_or(Value::Null)),
                    ("update", Value::Null),
                    ("delete", Value::Null),
                ]),
            ),
        ]);
        Ssl::from_value(&config).unwrap()
    }

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect()
    }

    #[test]
    fn cluster_ids_follow_the_pattern() {
        assert!(cluster_id_is_valid("cl-ouhutv70"));
        assert!(cluster_id_is_valid("cl-a1"));
        for bad in [
            "cl-", "CL-abc", "cl-ABC", "abc", "cl-ab_c", "cl-ab c", " cl-abc",
        ] {
            assert!(!cluster_id_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn bad_inputs_are_reported_at_their_attribute() {
        let d = validate(&config("db1", Some("PEK3A"), Some("ten minutes")));
        assert_eq!(paths(&d), ["cluster_id", "zone", "timeouts.create"]);
        assert!(validate(&config("cl-abc123", Some("pek3a"), Some("10m"))).is_empty());
    }

    #[test]
    fn timeouts_below_the_minimum_are_refused_at_their_attribute() {
        for short in ["0s", "2s", "29s"] {
            let d = validate(&config("cl-abc", None, Some(short)));
            assert_eq!(paths(&d), ["timeouts.create"], "{short}");
            assert!(d.iter().next().unwrap().detail.contains("minimum"));
        }
        assert!(validate(&config("cl-abc", None, Some("30s"))).is_empty());
    }

    #[test]
    fn a_huge_cluster_id_is_refused_and_not_echoed_whole() {
        let huge = format!("cl-{}", "a".repeat(20_000));
        assert!(!cluster_id_is_valid(&huge));
        let d = validate(&config(&huge, None, None));
        let detail = &d.iter().next().unwrap().detail;
        assert!(detail.len() < 600, "{} characters", detail.len());
        assert!(detail.contains("20003 characters"));
    }

    #[test]
    fn a_whole_history_without_the_states_job_does_not_speak_for_the_setting() {
        let off = Setting::Seen {
            enabled: false,
            job: None,
        };
        let with_job = Prior {
            job_id: Some("j-1"),
            enabled: true,
        };
        let never_switched = Prior {
            job_id: None,
            enabled: false,
        };
        assert!(record_lost(&off, Some(&with_job)));
        assert!(!record_lost(&off, Some(&never_switched)));
        assert!(!record_lost(&off, None));
        let stands = Setting::PriorStands { enabled: true };
        assert!(!record_lost(&stands, Some(&with_job)));
    }

    #[test]
    fn unknown_values_pass_validation() {
        let mut c = config("cl-abc", None, None);
        c.cluster_id = Attr::Unknown;
        c.timeouts = Attr::Unknown;
        assert!(validate(&c).is_empty());
    }

    #[test]
    fn timeouts_default_to_thirty_minutes() {
        let c = config("cl-abc", None, Some("45s"));
        assert_eq!(timeout(&c, |t| &t.create), Duration::from_secs(45));
        assert!(validate(&c).is_empty());
        assert_eq!(timeout(&c, |t| &t.delete), DEFAULT_TIMEOUT);
        assert_eq!(timeout(&Ssl::default(), |t| &t.update), DEFAULT_TIMEOUT);
    }
}
