//! Planning: pure, no API calls. The plan must be quiet when nothing changes and loud (a
//! warning) whenever applying it will switch SSL, because that restarts the database.

use crate::framework::{AttributePath, Diagnostic, PlanRequest, PlanResponse, Value};

use super::schema::{Target, identity};

pub fn plan(req: PlanRequest, default_zone: Option<String>) -> PlanResponse {
    let prior = req.prior_state;
    if req.proposed_new_state.is_null() {
        return plan_destroy(&prior);
    }
    let mut planned = req.proposed_new_state;
    let mut resp = PlanResponse::default();

    // zone: the configured one, else what the state already says (so a later change of the
    // provider's zone does not replace existing resources), else the provider's.
    if req.config.get("zone").is_null() {
        let zone = match prior.get("zone") {
            Value::String(z) => Value::string(z.clone()),
            _ => default_zone.map(Value::String).unwrap_or(Value::Unknown),
        };
        planned.set("zone", zone);
    }
    // The ID is the cluster ID: known at plan time whenever the cluster ID is.
    planned.set("id", planned.get("cluster_id").clone());

    let switches = if prior.is_null() {
        true
    } else {
        for attr in ["cluster_id", "zone"] {
            if planned.get(attr) != prior.get(attr) {
                resp.requires_replace.push(AttributePath::root(attr));
            }
        }
        !resp.requires_replace.is_empty() || planned.get("enabled") != prior.get("enabled")
    };
    if switches {
        planned.set("job_id", Value::Unknown);
        resp.diagnostics.push(restart_warning(&planned, &prior));
    } else {
        planned.set("job_id", prior.get("job_id").clone());
    }
    if let Ok(target) = Target::of(&planned, None) {
        resp.planned_identity = Some(identity(&target.cluster_id, &target.zone));
    }
    resp.planned_state = planned;
    resp
}

fn plan_destroy(prior: &Value) -> PlanResponse {
    let mut resp = PlanResponse::default();
    // Destroying turns SSL off; when the state says it is off already, nothing restarts.
    if prior.get("enabled") != &Value::Bool(false) {
        resp.diagnostics.push(
            Diagnostic::warning(
                format!(
                    "Destroying this resource restarts the database of cluster {}",
                    describe(prior.get("cluster_id"))
                ),
                "Removing qingcloud_mysqlplus_ssl turns SSL transport encryption off again (the \
                 cluster's default), which restarts the MySQL Plus database. To stop managing \
                 SSL without changing it, use `terraform state rm` (or a `removed` block with \
                 `destroy = false`) instead.",
            )
            .at(AttributePath::root("enabled")),
        );
    }
    resp
}

fn restart_warning(planned: &Value, prior: &Value) -> Diagnostic {
    let action = match planned.get("enabled") {
        Value::Bool(true) => "turns SSL transport encryption on",
        Value::Bool(false) => "turns SSL transport encryption off",
        _ => "sets SSL transport encryption (the value is known after apply)",
    };
    let cluster = describe(planned.get("cluster_id"));
    let why = if prior.is_null() {
        " If the cluster already has this setting, no job runs and nothing restarts."
    } else {
        ""
    };
    Diagnostic::warning(
        format!("Applying this plan restarts the database of cluster {cluster}"),
        format!(
            "This change {action} for MySQL Plus cluster {cluster}, which restarts its \
             database: connections drop while it restarts. Apply it during a quiet period.{why}"
        ),
    )
    .at(AttributePath::root("enabled"))
}

fn describe(cluster_id: &Value) -> String {
    match cluster_id.as_str() {
        Some(id) => id.to_string(),
        None => "(known after apply)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Severity;

    fn object(cluster: Value, enabled: Value, zone: Value, job: Value) -> Value {
        Value::object([
            ("id", cluster.clone()),
            ("cluster_id", cluster),
            ("enabled", enabled),
            ("zone", zone),
            ("job_id", job),
            ("timeouts", Value::Null),
        ])
    }

    fn state(enabled: bool) -> Value {
        object(
            Value::string("cl-abc"),
            Value::Bool(enabled),
            Value::string("pek3a"),
            Value::string("j-1"),
        )
    }

    fn config(cluster: Value, enabled: Value, zone: Value) -> Value {
        object(cluster, enabled, zone, Value::Null)
    }

    fn proposed(config: &Value, prior: &Value) -> Value {
        // Terraform's proposed state: config, with computed attributes taken from prior.
        let mut p = config.clone();
        for attr in ["id", "job_id", "zone"] {
            if config.get(attr).is_null() {
                p.set(attr, prior.get(attr).clone());
            }
        }
        p
    }

    fn run(prior: Value, config: Value) -> PlanResponse {
        let proposed = if config.is_null() {
            Value::Null
        } else {
            proposed(&config, &prior)
        };
        plan(
            PlanRequest {
                prior_state: prior,
                proposed_new_state: proposed,
                config,
                prior_private: vec![],
            },
            Some("sh1a".into()),
        )
    }

    #[test]
    fn create_plans_known_id_unknown_job_and_warns() {
        let r = run(
            Value::Null,
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
        );
        assert_eq!(r.planned_state.get("id"), &Value::string("cl-abc"));
        assert_eq!(r.planned_state.get("zone"), &Value::string("sh1a"));
        assert_eq!(r.planned_state.get("job_id"), &Value::Unknown);
        assert_eq!(r.diagnostics.0.len(), 1);
        assert_eq!(r.diagnostics.0[0].severity, Severity::Warning);
        assert!(r.diagnostics.0[0].summary.contains("cl-abc"));
        assert!(
            r.diagnostics.0[0]
                .detail
                .contains("turns SSL transport encryption on")
        );
    }

    #[test]
    fn no_change_plans_the_prior_state_quietly() {
        let prior = state(true);
        let r = run(
            prior.clone(),
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
        );
        assert_eq!(r.planned_state, prior);
        assert!(r.diagnostics.is_empty());
        assert!(r.requires_replace.is_empty());
    }

    #[test]
    fn toggling_enabled_warns_and_leaves_job_unknown() {
        let r = run(
            state(true),
            config(Value::string("cl-abc"), Value::Bool(false), Value::Null),
        );
        assert_eq!(r.planned_state.get("job_id"), &Value::Unknown);
        assert!(r.requires_replace.is_empty());
        assert!(r.diagnostics.0[0].detail.contains("off"));
    }

    #[test]
    fn changing_cluster_or_zone_requires_replacement() {
        let r = run(
            state(true),
            config(Value::string("cl-other"), Value::Bool(true), Value::Null),
        );
        assert_eq!(r.requires_replace, vec![AttributePath::root("cluster_id")]);
        let r = run(
            state(true),
            config(
                Value::string("cl-abc"),
                Value::Bool(true),
                Value::string("sh1a"),
            ),
        );
        assert_eq!(r.requires_replace, vec![AttributePath::root("zone")]);
    }

    #[test]
    fn unknown_cluster_id_is_planned_without_errors() {
        let r = run(
            Value::Null,
            config(Value::Unknown, Value::Bool(true), Value::Null),
        );
        assert!(!r.diagnostics.has_errors());
        assert_eq!(r.planned_state.get("id"), &Value::Unknown);
        assert!(r.diagnostics.0[0].summary.contains("known after apply"));
        assert!(r.planned_identity.is_none());
    }

    #[test]
    fn destroy_warns_only_when_ssl_is_on() {
        let r = run(state(true), Value::Null);
        assert!(r.planned_state.is_null());
        assert!(r.diagnostics.0[0].summary.contains("Destroying"));
        assert!(run(state(false), Value::Null).diagnostics.is_empty());
    }

    #[test]
    fn provider_zone_change_does_not_replace_existing_resources() {
        // prior zone pek3a, provider now defaults to sh1a, resource sets no zone.
        let r = run(
            state(true),
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
        );
        assert_eq!(r.planned_state.get("zone"), &Value::string("pek3a"));
        assert!(r.requires_replace.is_empty());
    }
}
