//! `qingcloud_mysqlplus_custom_service`: runs one documented MySQL Plus custom service
//! (`services.rs`) as a Terraform action, with live progress.
//!
//! Validation is offline and names the attribute (`params["user"]`); plan warns about restarts
//! and calls nothing; invoke adopts a running job of the same request, else waits for the
//! cluster to be idle, submits once (`qingcloud::CustomService`, the SSL switch's rule after an
//! ambiguous failure), and waits for the job, streaming a line per change. Secret values
//! (`sensitive_params`) are never quoted: every line and message is also scrubbed of them.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use qingcloud::{Client, CustomService, JobStatus, ServiceRequest, WaitError};
use tfplugin::framework::duration::parse_duration;
use tfplugin::framework::{
    self as fw, Attr, Attribute, AttributePath, Block, Diagnostic, Diagnostics, Presence, Schema,
    Type,
};
use tfplugin::path;

use super::services::{self, Check, Needed, SSL_SERVICE, Service};
use crate::provider_data::{Ctx, ProviderData};
use crate::resources::mysqlplus_ssl;

pub(crate) const TYPE_NAME: &str = "qingcloud_mysqlplus_custom_service";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
const MIN_TIMEOUT: Duration = Duration::from_secs(30);

type Strings = BTreeMap<String, Attr<String>>;

tfplugin::model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct CustomServiceConfig {
        pub(crate) cluster_id: Attr<String>,
        pub(crate) zone: Attr<String>,
        pub(crate) service: Attr<String>,
        pub(crate) role: Attr<String>,
        pub(crate) params: Attr<Strings>,
        pub(crate) sensitive_params: Attr<Strings>,
        pub(crate) timeout: Attr<String>,
    }
}

pub(crate) fn schema() -> Schema {
    let strings = || Type::Map(Box::new(Type::String));
    Schema {
        version: 0,
        block: Block {
            description: format!(
                "Runs one MySQL Plus custom service on a cluster, as QingCloud's console does, \
                 and waits for its job, printing a line per change.\n\nThe services \
                 (`configuring_SSL` is the `qingcloud_mysqlplus_ssl` resource's):\n\n{}",
                services::markdown()
            ),
            attributes: vec![
                Attribute::new(
                    "cluster_id",
                    Type::String,
                    Presence::Required,
                    "The MySQL Plus cluster, such as `cl-ouhutv70`.",
                ),
                Attribute::new(
                    "zone",
                    Type::String,
                    Presence::Optional,
                    "The cluster's zone; the provider's when not set.",
                ),
                Attribute::new(
                    "service",
                    Type::String,
                    Presence::Required,
                    "The custom service, such as `restart_node` or `add_user`.",
                ),
                Attribute::new(
                    "role",
                    Type::String,
                    Presence::Optional,
                    "The node role the service runs on (`maininstance`, `readinstance`, \
                     `proxy`, `analysis`); may be left out when the service has one.",
                ),
                Attribute::new(
                    "params",
                    strings(),
                    Presence::Optional,
                    "The service's parameters, as strings (numbers such as `port` are sent as \
                     numbers). Passwords belong in `sensitive_params`.",
                ),
                Attribute::new(
                    "sensitive_params",
                    strings(),
                    Presence::Optional,
                    "Parameters that are secrets (`passwd`, `http_password`): never shown in \
                     plans, progress, logs or messages, and never stored (write-only: it \
                     accepts ephemeral values, and plan files do not keep it).",
                )
                .sensitive()
                .write_only(),
                Attribute::new(
                    "timeout",
                    Type::String,
                    Presence::Optional,
                    "How long to wait for the cluster to be idle and for the job, such as \
                     `30m` (the default) or `1h`; at least `30s`. When it passes, or the apply \
                     is interrupted, the job goes on in QingCloud; invoking the action again \
                     with the same service and parameters waits for it instead of submitting \
                     another.",
                ),
            ],
            ..Block::default()
        },
    }
}

fn param_path(secret_map: bool, name: &str) -> AttributePath {
    let root = if secret_map {
        path!(CustomServiceConfig.sensitive_params)
    } else {
        path!(CustomServiceConfig.params)
    };
    root.key(name)
}

/// The documented service and role of a configuration, when known and valid.
fn service_and_role(config: &CustomServiceConfig) -> Option<(&'static Service, Option<&str>)> {
    let service = services::find(config.service.as_str()?)?;
    Some((service, config.role.as_str()))
}

/// Offline checks; unknown values pass.
pub(crate) fn validate(config: &CustomServiceConfig) -> Diagnostics {
    let mut d = mysqlplus_ssl::validate_target(&config.cluster_id, &config.zone);
    if let Some(text) = config.timeout.as_str() {
        let problem = match parse_duration(text) {
            Ok(t) if t < MIN_TIMEOUT => Some(format!(
                "{text:?} is too short to wait for a job: use at least \"30s\" (the default \
                 is 30m)."
            )),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        if let Some(problem) = problem {
            d.push(
                Diagnostic::error("Invalid timeout", problem)
                    .at(path!(CustomServiceConfig.timeout)),
            );
        }
    }
    let Some(name) = config.service.as_str() else {
        return d;
    };
    let service_path = path!(CustomServiceConfig.service);
    if name == SSL_SERVICE {
        d.push(
            Diagnostic::error(
                "configuring_SSL is a resource, not an action",
                "Switching SSL restarts the database and decides whether SSL-only accounts can \
                 log in, so Terraform keeps it in state: use the `qingcloud_mysqlplus_ssl` \
                 resource (`enabled = true`), which switches once and reads the setting back.",
            )
            .at(service_path),
        );
        return d;
    }
    let Some(service) = services::find(name) else {
        d.push(
            Diagnostic::error(
                "Unknown custom service",
                format!(
                    "{name:?} is not a documented MySQL Plus custom service. Use one of: {}.",
                    services::names()
                ),
            )
            .at(service_path),
        );
        return d;
    };
    let role_path = path!(CustomServiceConfig.role);
    match config.role.as_str() {
        Some(role) if !service.roles.contains(&role) => d.push(
            Diagnostic::error(
                "Wrong role for this service",
                format!(
                    "{name} runs on the role{} {}, not {role:?}.",
                    if service.roles.len() > 1 { "s" } else { "" },
                    quoted_list(service.roles)
                ),
            )
            .at(role_path),
        ),
        None if config.role.is_null() && service.roles.len() > 1 => d.push(
            Diagnostic::error(
                "Missing role",
                format!(
                    "{name} runs on several roles: set `role` to one of {}.",
                    quoted_list(service.roles)
                ),
            )
            .at(role_path),
        ),
        _ => {}
    }
    d.extend(validate_params(service, config));
    d
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn validate_params(service: &Service, config: &CustomServiceConfig) -> Diagnostics {
    let mut d = Diagnostics::default();
    let (params, secrets) = (&config.params, &config.sensitive_params);
    for (secret_map, map) in [(false, params), (true, secrets)] {
        let Some(map) = map.known() else { continue };
        for (key, value) in map {
            let at = param_path(secret_map, key);
            let Some(param) = service.param(key) else {
                d.push(
                    Diagnostic::error(
                        "Unknown parameter",
                        format!(
                            "{} takes {}; not {key:?}.",
                            service.name,
                            if service.params.is_empty() {
                                "no parameters".to_string()
                            } else {
                                quoted_list(
                                    &service.params.iter().map(|p| p.name).collect::<Vec<_>>(),
                                )
                            }
                        ),
                    )
                    .at(at),
                );
                continue;
            };
            if param.secret && !secret_map {
                d.push(
                    Diagnostic::error(
                        "Password in params",
                        format!(
                            "`{key}` is a secret: set it in `sensitive_params`, which Terraform \
                             never shows, not in `params`, which plans and logs show."
                        ),
                    )
                    .at(at),
                );
                continue;
            }
            if secret_map && let Some(Some(_)) = params.known().map(|p| p.get(key)) {
                d.push(
                    Diagnostic::error(
                        "Parameter given twice",
                        format!("`{key}` is in both `params` and `sensitive_params`."),
                    )
                    .at(at.clone()),
                );
            }
            if let Some(value) = value.as_str()
                && let Some(problem) = check(param.check, value, param.secret || secret_map)
            {
                d.push(
                    Diagnostic::error("Invalid parameter value", format!("`{key}`: {problem}"))
                        .at(at),
                );
            }
        }
    }
    // Missing parameters can only be told when both maps are known.
    if params.is_unknown() || secrets.is_unknown() {
        return d;
    }
    let lookup = |name: &str| -> Option<&Attr<String>> {
        [params, secrets]
            .into_iter()
            .filter_map(Attr::known)
            .find_map(|m| m.get(name))
    };
    for param in service.params {
        let needed = match param.needed {
            Needed::Always => true,
            Needed::Optional => false,
            Needed::When(other, value) => match lookup(other) {
                Some(Attr::Known(v)) => v == value,
                _ => false,
            },
        };
        if needed && lookup(param.name).is_none_or(Attr::is_null) {
            let map = if param.secret {
                path!(CustomServiceConfig.sensitive_params)
            } else {
                path!(CustomServiceConfig.params)
            };
            d.push(
                Diagnostic::error(
                    "Missing parameter",
                    format!(
                        "{} needs `{}` in `{}`.",
                        service.name,
                        param.name,
                        if param.secret {
                            "sensitive_params"
                        } else {
                            "params"
                        }
                    ),
                )
                .at(map),
            );
        }
    }
    d
}

/// Why `value` does not pass `check`; secrets are never quoted.
fn check(check: Check, value: &str, secret: bool) -> Option<String> {
    let shown = if secret {
        "The value".to_string()
    } else {
        format!("{value:?}")
    };
    match check {
        Check::Text { min, max } => {
            let n = value.chars().count();
            (n < min || n > max).then(|| format!("{shown} must be {min} to {max} characters long."))
        }
        Check::Rule(ok, rule) => (!ok(value)).then(|| format!("{shown} must be {rule}.")),
        Check::OneOf(values) => (!values.contains(&value))
            .then(|| format!("{shown} must be one of {}.", quoted_list(values))),
        Check::Int { min, max } => match value.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => None,
            _ => Some(format!(
                "{shown} must be a whole number from {min} to {max}."
            )),
        },
    }
}

/// The request's `service_params`: every parameter given, numbers as numbers.
fn service_params(service: &Service, config: &CustomServiceConfig) -> Json {
    let mut out = Map::new();
    for map in [&config.params, &config.sensitive_params] {
        for (k, v) in map.known().into_iter().flatten() {
            let Some(v) = v.as_str() else { continue };
            let value = match service.param(k).map(|p| p.check) {
                Some(Check::Int { .. }) => v
                    .trim()
                    .parse::<i64>()
                    .map_or_else(|_| Json::from(v), Json::from),
                _ => Json::from(v),
            };
            out.insert(k.clone(), value);
        }
    }
    Json::Object(out)
}

/// The secret values of a configuration, to scrub from anything shown.
fn secrets(config: &CustomServiceConfig) -> Vec<String> {
    let mut s: Vec<String> = config
        .sensitive_params
        .known()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    // Longest first, so a secret inside another is not left half-shown.
    s.sort_by_key(|v| std::cmp::Reverse(v.len()));
    s
}

fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_string(), |t, s| {
        t.replace(s.as_str(), "(sensitive value)")
    })
}

/// The plan's warning for services that restart something.
pub(crate) fn plan(config: &CustomServiceConfig) -> Diagnostics {
    let mut d = validate(config);
    if let Some((service, _)) = service_and_role(config)
        && service.name != SSL_SERVICE
        && let Some(restarts) = service.restarts
    {
        let cluster = config.cluster_id.as_str().unwrap_or("the cluster");
        // Name the node when it is known.
        let node = config
            .params
            .known()
            .and_then(|p| p.get("node_id"))
            .and_then(|n| n.as_str());
        let restarts = match node {
            Some(node) => restarts.replace("`node_id`", node),
            None => restarts.to_string(),
        };
        d.push(Diagnostic::warning(
            format!("{} {restarts}", service.name),
            format!(
                "Invoking this action runs {} on {cluster}, which {restarts}. Applications \
                 connected to it see errors until it is back.",
                service.name
            ),
        ));
    }
    d
}

/// A progress sink that scrubs secrets from each line.
struct Lines<'a> {
    progress: &'a fw::Progress,
    secrets: &'a [String],
}

impl Lines<'_> {
    async fn send(&self, line: String) {
        self.progress.send(scrub(&line, self.secrets)).await;
    }
}

pub(crate) async fn invoke(
    ctx: &Ctx,
    config: CustomServiceConfig,
    progress: fw::Progress,
) -> Diagnostics {
    match ProviderData::of(ctx) {
        Ok(data) => invoke_with(&data.client, &ctx.cancel, config, progress).await,
        Err(d) => d.into(),
    }
}

/// The invoke over `client`: checks again, runs, and scrubs the secrets from every message.
async fn invoke_with(
    client: &Client,
    cancel: &CancellationToken,
    config: CustomServiceConfig,
    progress: fw::Progress,
) -> Diagnostics {
    let problems = validate(&config);
    if problems.has_errors() {
        return problems;
    }
    let secrets = secrets(&config);
    let lines = Lines {
        progress: &progress,
        secrets: &secrets,
    };
    let diagnostics = run(client, cancel, &config, &lines).await;
    Diagnostics(
        diagnostics
            .0
            .into_iter()
            .map(|d| Diagnostic {
                summary: scrub(&d.summary, &secrets),
                detail: scrub(&d.detail, &secrets),
                ..d
            })
            .collect(),
    )
}

/// The invoke of a valid configuration, over `client`.
async fn run(
    client: &Client,
    cancel: &CancellationToken,
    config: &CustomServiceConfig,
    lines: &Lines<'_>,
) -> Diagnostics {
    let (Some((service, role)), Some(cluster_id)) =
        (service_and_role(config), config.cluster_id.as_str())
    else {
        return Diagnostic::error(
            "Incomplete configuration",
            "service and cluster_id are needed.",
        )
        .into();
    };
    let role = role.unwrap_or(service.roles[0]);
    let zone = config
        .zone
        .as_str()
        .unwrap_or_else(|| client.default_zone())
        .to_string();
    let timeout = config
        .timeout
        .as_str()
        .and_then(|t| parse_duration(t).ok())
        .unwrap_or(DEFAULT_TIMEOUT);
    let started = Instant::now();
    let deadline = started + timeout;
    let remaining = || deadline.saturating_duration_since(Instant::now());
    let params = service_params(service, config);
    let request = ServiceRequest {
        role,
        service: service.name,
        params: &params,
    };
    let what = format!("{} (role {role}) on {cluster_id}", service.name);
    let custom = CustomService::new(client);
    let not_submitted = |e: &dyn std::fmt::Display| -> Diagnostics {
        Diagnostic::error(
            format!("{} not submitted", service.name),
            format!("Nothing was submitted to {cluster_id} in {zone}: {e}"),
        )
        .into()
    };

    // A job of the same request already running (an interrupted invoke, a second one): wait
    // for it instead of running the service twice.
    let recent = tokio::select! {
        biased;
        _ = cancel.cancelled() => return interrupted_before_submit(&what),
        r = custom.recent(&zone, cluster_id, request) => r,
    };
    let mut recent = match recent {
        Ok(r) => r,
        Err(e) => return not_submitted(&e),
    };
    let job_id = if let Some(job) = recent.running.take() {
        lines
            .send(format!(
                "{what} is already running as job {}; waiting for it instead of submitting again",
                job.job_id
            ))
            .await;
        job.job_id
    } else {
        lines
            .send(format!("Waiting for cluster {cluster_id} to be idle"))
            .await;
        let cluster = match client
            .wait_cluster_idle(&zone, cluster_id, remaining(), cancel)
            .await
        {
            Ok(c) => c,
            Err(WaitError::ClusterWaitCancelled { .. }) => return interrupted_before_submit(&what),
            Err(e) => return not_submitted(&e),
        };
        if !cluster.is_mysql_plus() {
            return not_submitted(&format!(
                "it is not a MySQL Plus cluster (app {:?})",
                cluster.app_id
            ));
        }
        if !cluster.is_active() {
            return not_submitted(&format!(
                "it is {:?}; custom services run on active clusters only",
                cluster.status
            ));
        }
        // Look again after the wait: a job of the same request may have started meanwhile,
        // and the ids listed now are what an ambiguous submission is told apart from.
        recent = match custom.recent(&zone, cluster_id, request).await {
            Ok(r) => r,
            Err(e) => return not_submitted(&e),
        };
        if let Some(job) = recent.running.take() {
            lines
                .send(format!(
                    "{what} started meanwhile as job {}; waiting for it",
                    job.job_id
                ))
                .await;
            job.job_id
        } else {
            let submitted = tokio::select! {
                biased;
                _ = cancel.cancelled() => return interrupted_before_submit(&what),
                r = custom.submit(&zone, cluster_id, request, &recent.seen_job_ids) => r,
            };
            match submitted {
                Ok(id) => {
                    lines.send(format!("Submitted {what}: job {id}")).await;
                    id
                }
                Err(e) => return not_submitted(&e),
            }
        }
    };

    // The job's status changes come through a channel, so each becomes a line as it happens.
    let (tx, mut statuses) = tokio::sync::mpsc::unbounded_channel::<JobStatus>();
    let wait = client.wait_for_job_observed(&zone, &job_id, remaining(), cancel, move |s| {
        let _ = tx.send(s.clone());
    });
    tokio::pin!(wait);
    let outcome = loop {
        tokio::select! {
            outcome = &mut wait => break outcome,
            Some(status) = statuses.recv() => {
                lines.send(format!("Job {job_id}: {status}")).await;
            }
        }
    };
    let elapsed = humanize(started.elapsed());
    match outcome {
        Ok(_) => {
            lines
                .send(format!("Job {job_id} successful: {what} done in {elapsed}"))
                .await;
            Diagnostics::default()
        }
        Err(e @ WaitError::JobFailed { .. }) => Diagnostic::error(
            format!("{} failed", service.name),
            format!("{e}. {what} did not complete; see the job in the console."),
        )
        .into(),
        Err(WaitError::Cancelled { .. }) => Diagnostic::error(
            format!("Wait for job {job_id} interrupted"),
            format!(
                "The wait was cancelled after {elapsed}; job {job_id} ({what}) goes on in \
                 QingCloud. Invoke the action again with the same service and parameters to \
                 wait for it (it is adopted, not submitted again)."
            ),
        )
        .into(),
        Err(WaitError::DeadlineExceeded { last_status, .. }) => Diagnostic::error(
            format!("Timed out waiting for job {job_id}"),
            format!(
                "Job {job_id} ({what}) was still {} after {elapsed} and goes on in QingCloud. \
                 Invoke the action again with the same service and parameters to wait for it \
                 (it is adopted, not submitted again), or raise `timeout`.",
                last_status.map_or("not seen".to_string(), |s| s.to_string())
            ),
        )
        .at(path!(CustomServiceConfig.timeout))
        .into(),
        Err(e) => Diagnostic::error(
            format!("Job {job_id} outcome unknown"),
            format!("{e}. Job {job_id} ({what}) may still be running; see the console."),
        )
        .into(),
    }
}

fn interrupted_before_submit(what: &str) -> Diagnostics {
    Diagnostic::error(
        "Interrupted",
        format!("Interrupted before {what} was submitted; nothing changed."),
    )
    .into()
}

fn humanize(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[derive(Default)]
pub(crate) struct MysqlPlusCustomService;

#[async_trait]
impl fw::Action for MysqlPlusCustomService {
    type Config = CustomServiceConfig;
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &CustomServiceConfig) -> Diagnostics {
        validate(config)
    }

    async fn plan(&self, _: &Ctx, config: CustomServiceConfig) -> Diagnostics {
        plan(&config)
    }

    async fn invoke(
        &self,
        ctx: &Ctx,
        config: CustomServiceConfig,
        progress: fw::Progress,
    ) -> Diagnostics {
        invoke(ctx, config, progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::Model;

    fn strings(pairs: &[(&str, &str)]) -> Attr<Strings> {
        Attr::Known(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Attr::Known(v.to_string())))
                .collect(),
        )
    }

    fn config(
        service: &str,
        params: &[(&str, &str)],
        secrets: &[(&str, &str)],
    ) -> CustomServiceConfig {
        CustomServiceConfig {
            cluster_id: Attr::Known("cl-abc123".into()),
            service: Attr::Known(service.into()),
            params: strings(params),
            sensitive_params: strings(secrets),
            ..Default::default()
        }
    }

    fn problems(d: &Diagnostics) -> Vec<(String, String)> {
        d.iter()
            .map(|d| {
                (
                    d.summary.clone(),
                    d.path.as_ref().map(ToString::to_string).unwrap_or_default(),
                )
            })
            .collect()
    }

    const ADD_USER: &[(&str, &str)] = &[
        ("user", "app"),
        ("database", "*"),
        ("host", "%"),
        ("ssl", "YES"),
        ("priv", "StandardAccount"),
    ];

    #[test]
    fn the_model_matches_the_schema() {
        assert_eq!(
            CustomServiceConfig::value_type(),
            schema().block.value_type()
        );
    }

    #[test]
    fn good_configs_pass() {
        assert!(validate(&config("add_user", ADD_USER, &[("passwd", "Secret#123")])).is_empty());
        let mut restart = config("restart_node", &[("node_id", "cln-abc")], &[]);
        restart.role = Attr::Known("readinstance".into());
        assert!(validate(&restart).is_empty());
        assert!(validate(&config("stop_migrate", &[], &[])).is_empty());
        let zabbix = config("start_zabbix", &[("zabbix_server_ip", "10.0.0.9")], &[]);
        assert!(validate(&zabbix).is_empty());
    }

    #[test]
    fn bad_configs_name_the_attribute() {
        let cases: Vec<(CustomServiceConfig, &str, &str)> = vec![
            (
                config("reboot", &[], &[]),
                "Unknown custom service",
                "service",
            ),
            (
                config(SSL_SERVICE, &[("configssl", "YES")], &[]),
                "configuring_SSL is a resource, not an action",
                "service",
            ),
            (
                config(
                    "add_user",
                    &[
                        ("passwd", "Secret#123"),
                        ADD_USER[0],
                        ADD_USER[1],
                        ADD_USER[2],
                        ADD_USER[3],
                        ADD_USER[4],
                    ],
                    &[],
                ),
                "Password in params",
                "params[\"passwd\"]",
            ),
            (
                config("add_user", ADD_USER, &[]),
                "Missing parameter",
                "sensitive_params",
            ),
            (
                config("stop_zabbix", &[("x", "1")], &[]),
                "Unknown parameter",
                "params[\"x\"]",
            ),
            (
                config(
                    "start_zabbix",
                    &[
                        ("zabbix_server_ip", "10.0.0.9"),
                        ("zabbix_agent_port", "ten"),
                    ],
                    &[],
                ),
                "Invalid parameter value",
                "params[\"zabbix_agent_port\"]",
            ),
            (
                config("restart_node", &[("node_id", "cln-abc")], &[]),
                "Missing role",
                "role",
            ),
        ];
        for (c, summary, path) in cases {
            let got = problems(&validate(&c));
            assert_eq!(got, vec![(summary.to_string(), path.to_string())], "{c:?}");
        }
        let mut wrong_role = config("set_readonly", &[("readonly", "YES")], &[]);
        wrong_role.role = Attr::Known("proxy".into());
        assert_eq!(
            problems(&validate(&wrong_role)),
            vec![(
                "Wrong role for this service".to_string(),
                "role".to_string()
            )]
        );
    }

    #[test]
    fn a_bad_password_is_refused_without_being_quoted() {
        let d = validate(&config("add_user", ADD_USER, &[("passwd", "weakpassword")]));
        let all = format!("{d:?}");
        assert!(d.has_errors());
        assert!(!all.contains("weakpassword"), "{all}");
    }

    #[test]
    fn unknown_values_pass_and_missing_parameters_wait_for_known_maps() {
        let mut c = config("add_user", ADD_USER, &[]);
        c.sensitive_params = Attr::Unknown;
        assert!(validate(&c).is_empty());
        let mut c = config("add_user", ADD_USER, &[("passwd", "x")]);
        c.sensitive_params = Attr::Known(
            [("passwd".to_string(), Attr::Unknown)]
                .into_iter()
                .collect(),
        );
        assert!(validate(&c).is_empty());
        let mut c = config("add_user", ADD_USER, &[]);
        c.service = Attr::Unknown;
        assert!(validate(&c).is_empty());
    }

    #[test]
    fn restarting_services_warn_at_plan_and_others_do_not() {
        let mut restart = config("restart_node", &[("node_id", "cln-abc")], &[]);
        restart.role = Attr::Known("maininstance".into());
        let d = plan(&restart);
        assert_eq!(d.iter().count(), 1);
        assert!(!d.has_errors());
        let warning = d.iter().next().unwrap();
        assert!(warning.detail.contains("cl-abc123"));
        assert_eq!(
            warning.summary,
            "restart_node restarts the node cln-abc: its connections drop"
        );
        assert_eq!(plan(&config("stop_migrate", &[], &[])).iter().count(), 1);
        assert!(plan(&config("stop_zabbix", &[], &[])).is_empty());
    }

    /// A server with cluster cl-abc123 idle; `run` answers RunClusterCustomService and may add
    /// a job to the listing (each job successful when asked about).
    fn server(
        status: &'static str,
        run: impl Fn(&mut Vec<serde_json::Value>) -> qingcloud::testing::Reply + Send + Sync + 'static,
    ) -> std::sync::Arc<qingcloud::testing::FakeApi> {
        use qingcloud::testing::{FakeApi, ok};
        use serde_json::json;
        let jobs = std::sync::Mutex::new(Vec::<serde_json::Value>::new());
        FakeApi::new(move |action, _| match action {
            "DescribeClusters" => ok(json!({"cluster_set": [{
                "cluster_id": "cl-abc123", "status": "active", "transition_status": "",
                "app_id": "app-00r26u27"}], "total_count": 1})),
            "DescribeClusterJobs" => {
                let jobs = jobs.lock().unwrap().clone();
                ok(json!({"job_set": jobs, "total_count": jobs.len()}))
            }
            "DescribeJobs" => {
                let set: Vec<_> = jobs
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|j| json!({"job_id": j["job_id"], "status": status}))
                    .collect();
                ok(json!({"job_set": set}))
            }
            "RunClusterCustomService" => run(&mut jobs.lock().unwrap()),
            other => panic!("unexpected {other}"),
        })
    }

    async fn invoked(
        api: &std::sync::Arc<qingcloud::testing::FakeApi>,
        config: CustomServiceConfig,
    ) -> (Vec<String>, Diagnostics) {
        let client = qingcloud::testing::fake_client(api);
        let (progress, mut rx) = fw::Progress::channel(64);
        let d = invoke_with(&client, &CancellationToken::new(), config, progress).await;
        let mut lines = Vec::new();
        while let Ok(line) = rx.try_recv() {
            lines.push(line);
        }
        (lines, d)
    }

    #[tokio::test(start_paused = true)]
    async fn an_ambiguous_submission_adopts_its_job_and_the_password_is_never_shown() {
        use serde_json::json;
        const SECRET: &str = "Secret#123";
        let api = server("successful", |jobs| {
            let params = json!({"user": "app", "database": "*", "host": "%", "ssl": "YES",
                                "priv": "StandardAccount", "passwd": SECRET});
            let directive = json!({"service": "add_user", "role": "maininstance",
                                   "cluster": "cl-abc123", "service_params": params.to_string()});
            jobs.push(
                json!({"job_id": "j-added01", "job_action": "RunClusterCustomService",
                             "status": "pending", "create_time": "2024-01-01T00:00:00Z",
                             "directive": directive.to_string()}),
            );
            qingcloud::testing::Reply::Fail(qingcloud::TransportKind::Timeout)
        });
        let (lines, d) = invoked(&api, config("add_user", ADD_USER, &[("passwd", SECRET)])).await;
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(api.count("RunClusterCustomService"), 1);
        assert!(
            lines.iter().any(|l| l
                .contains("Submitted add_user (role maininstance) on cl-abc123: job j-added01")),
            "{lines:?}"
        );
        assert!(
            lines.last().unwrap().contains("j-added01 successful"),
            "{lines:?}"
        );

        // An error message that echoes the password is scrubbed.
        let api = server("successful", |_| {
            qingcloud::testing::Reply::Json(json!({"ret_code": 1100,
                "message": format!("InvalidParameterValue, passwd [{SECRET}] is weak")}))
        });
        let (lines, d) = invoked(&api, config("add_user", ADD_USER, &[("passwd", SECRET)])).await;
        let shown = format!("{lines:?} {d:?}");
        assert!(d.has_errors());
        assert!(
            shown.contains("(sensitive value)") && !shown.contains(SECRET),
            "{shown}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_ends_the_wait_with_the_job_that_goes_on() {
        use serde_json::json;
        let api = server("working", |jobs| {
            jobs.push(json!({"job_id": "j-slow0001", "status": "pending",
                             "create_time": "2024-01-01T00:00:00Z"}));
            qingcloud::testing::ok(json!({"job_id": "j-slow0001"}))
        });
        let mut c = config("stop_zabbix", &[], &[]);
        c.timeout = Attr::Known("45s".into());
        let (lines, d) = invoked(&api, c).await;
        let error = d.iter().next().unwrap();
        assert_eq!(error.summary, "Timed out waiting for job j-slow0001");
        assert!(
            error.detail.contains("was still working after 45"),
            "{error:?}"
        );
        assert!(
            lines.iter().any(|l| l == "Job j-slow0001: working"),
            "{lines:?}"
        );
        assert_eq!(api.count("RunClusterCustomService"), 1);
    }

    #[test]
    fn numbers_go_as_numbers_and_secrets_are_scrubbed() {
        let c = config(
            "start_zabbix",
            &[
                ("zabbix_server_ip", "10.0.0.9"),
                ("zabbix_agent_port", "10050"),
            ],
            &[],
        );
        let service = services::find("start_zabbix").unwrap();
        assert_eq!(
            service_params(service, &c),
            serde_json::json!({"zabbix_server_ip": "10.0.0.9", "zabbix_agent_port": 10050})
        );
        let c = config("add_user", ADD_USER, &[("passwd", "Secret#123")]);
        let s = secrets(&c);
        assert_eq!(
            scrub("bad passwd Secret#123 given", &s),
            "bad passwd (sensitive value) given"
        );
    }
}
