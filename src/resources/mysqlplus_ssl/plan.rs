//! Planning: pure, no API calls. The plan must be quiet when nothing changes and loud (a
//! warning) whenever applying it will switch SSL, because that restarts the database.

use tfplugin::framework::{AttributePath, Diagnostic, PlanRequest, PlanResponse, Value};

use super::private::{Private, RunningJob, Snapshot};
use super::schema::{Target, identity};

/// What turning SSL off does beyond the restart; said wherever a plan turns it off.
pub const LOCKOUT: &str = "Turning SSL off also locks out every database account created to \
    require SSL (the `add_user` service with `ssl=YES`): those accounts cannot log in until SSL \
    is on again.";

pub fn plan(req: PlanRequest, default_zone: Option<String>) -> PlanResponse {
    let prior = req.prior_state;
    let private = Private::decode(&req.prior_private);
    if req.proposed_new_state.is_null() {
        return plan_destroy(&prior, private);
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

    let mut out = Private::default();
    if prior.is_null() {
        planned.set("job_id", Value::Unknown);
        resp.diagnostics.push(restart_warning(&planned));
        // The new half of a replacement: tell the old half's delete what follows it.
        if private.planned_from.is_some() {
            out.replaced_by = snapshot(&planned);
        }
    } else {
        for attr in ["cluster_id", "zone"] {
            if planned.get(attr) != prior.get(attr) {
                resp.requires_replace.push(AttributePath::root(attr));
            }
        }
        let mut switches = planned.get("enabled") != prior.get("enabled");
        if !resp.requires_replace.is_empty() {
            resp.diagnostics.push(replace_warning(&prior, &planned));
        } else if switches {
            resp.diagnostics.push(restart_warning(&planned));
        }
        if let Some(job) = &private.running {
            let want = planned.get("enabled").as_bool();
            resp.diagnostics.push(running_warning(job, &planned, want));
            // The job will leave the other setting: applying must wait for it and switch back,
            // a second restart that this plan shows as a change and announces above.
            if want.is_some_and(|w| w != job.enabled) && resp.requires_replace.is_empty() {
                switches = true;
                out.announced = want;
            }
        }
        if switches || !resp.requires_replace.is_empty() {
            planned.set("job_id", Value::Unknown);
        } else {
            planned.set("job_id", prior.get("job_id").clone());
        }
        out.running = private.running;
        out.planned_from = snapshot(&prior);
    }
    if let Ok(target) = Target::of(&planned, None) {
        resp.planned_identity = Some(identity(&target.cluster_id, &target.zone));
    }
    resp.planned_private = out.encode();
    resp.planned_state = planned;
    resp
}

fn snapshot(object: &Value) -> Option<Snapshot> {
    let target = Target::of(object, None).ok()?;
    Some(Snapshot {
        cluster_id: target.cluster_id,
        zone: target.zone,
        enabled: object.get("enabled").as_bool(),
    })
}

fn plan_destroy(prior: &Value, private: Private) -> PlanResponse {
    let mut resp = PlanResponse::default();
    let cluster = describe(prior.get("cluster_id"));
    let mut out = Private::default();
    // Destroying turns SSL off; when the state says it is off already, nothing restarts.
    if prior.get("enabled") != &Value::Bool(false) {
        resp.diagnostics.push(
            Diagnostic::warning(
                format!("Destroying this resource restarts the database of cluster {cluster}"),
                format!(
                    "Removing qingcloud_mysqlplus_ssl turns SSL transport encryption off again \
                     (the cluster's default), which restarts the MySQL Plus database. {LOCKOUT} \
                     To stop managing SSL without changing it, use `terraform state rm` (or a \
                     `removed` block with `destroy = false`) instead."
                ),
            )
            .at(AttributePath::root("enabled")),
        );
    }
    if let Some(job) = &private.running {
        resp.diagnostics
            .push(running_warning(job, prior, Some(false)));
        if job.enabled {
            out.announced = Some(false);
        }
    }
    out.running = private.running;
    resp.planned_private = out.encode();
    resp
}

fn restart_warning(planned: &Value) -> Diagnostic {
    let cluster = describe(planned.get("cluster_id"));
    let (action, lockout) = match planned.get("enabled") {
        Value::Bool(true) => ("turns SSL transport encryption on", ""),
        Value::Bool(false) => ("turns SSL transport encryption off", LOCKOUT),
        _ => (
            "sets SSL transport encryption (the value is known after apply)",
            "",
        ),
    };
    Diagnostic::warning(
        format!("Applying this plan restarts the database of cluster {cluster}"),
        format!(
            "This change {action} for MySQL Plus cluster {cluster}, which restarts its \
             database: connections drop while it restarts. Apply it during a quiet period. If \
             the cluster already has this setting, no job runs and nothing restarts. {lockout}"
        )
        .trim_end()
        .to_string(),
    )
    .at(AttributePath::root("enabled"))
}

/// A change of `cluster_id` or `zone` turns SSL off on the old cluster (a restart there, when
/// it was on) and sets it on the new one: both are named.
fn replace_warning(prior: &Value, planned: &Value) -> Diagnostic {
    let old = format!(
        "{} in {}",
        describe(prior.get("cluster_id")),
        describe(prior.get("zone"))
    );
    let new = format!(
        "{} in {}",
        describe(planned.get("cluster_id")),
        describe(planned.get("zone"))
    );
    let setting = match planned.get("enabled") {
        Value::Bool(true) => "on",
        Value::Bool(false) => "off",
        _ => "to a value known after apply",
    };
    let old_restarts = prior.get("enabled") != &Value::Bool(false);
    let (summary, old_part) = if old_restarts {
        (
            format!("Applying this plan restarts the databases of clusters {old} and {new}"),
            format!(
                "SSL is turned off on {old} (its default), which restarts its database. {LOCKOUT} "
            ),
        )
    } else {
        (
            format!("Applying this plan restarts the database of cluster {new}"),
            format!("SSL is already off on {old}, so leaving it restarts nothing there. "),
        )
    };
    Diagnostic::warning(
        summary,
        format!(
            "This resource moves from {old} to {new}. {old_part}On {new}, SSL is set {setting}, \
             which restarts its database unless it already has that setting."
        ),
    )
    .at(AttributePath::root("cluster_id"))
}

fn running_warning(job: &RunningJob, object: &Value, want: Option<bool>) -> Diagnostic {
    let cluster = describe(object.get("cluster_id"));
    let leaves = if job.enabled { "on" } else { "off" };
    let detail = match want {
        Some(w) if w == job.enabled => format!(
            "The job turns SSL {leaves}, as this plan wants. Applying waits for it and starts no \
             second job."
        ),
        Some(w) => format!(
            "The job will leave SSL {leaves}, but this plan wants it {}. Applying waits for the \
             job to finish, then turns SSL {} again: a second restart of the database.{}",
            if w { "on" } else { "off" },
            if w { "on" } else { "off" },
            if w {
                String::new()
            } else {
                format!(" {LOCKOUT}")
            }
        ),
        None => format!("The job will leave SSL {leaves}."),
    };
    Diagnostic::warning(
        format!(
            "configuring_SSL job {} is running on cluster {cluster}",
            job.job_id
        ),
        format!(
            "A configuring_SSL job that an earlier apply or the console started is still \
             running and restarting the database. {detail}"
        ),
    )
    .at(AttributePath::root("enabled"))
}

fn describe(value: &Value) -> String {
    match value.as_str() {
        Some(id) => id.to_string(),
        None => "(known after apply)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::Severity;

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
        run_with(prior, config, Private::default())
    }

    fn run_with(prior: Value, config: Value, private: Private) -> PlanResponse {
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
                prior_private: private.encode(),
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

    fn running(job: &str, enabled: bool) -> Private {
        Private::running(Some(RunningJob {
            job_id: job.into(),
            enabled,
        }))
    }

    #[test]
    fn turning_ssl_off_names_the_accounts_it_locks_out() {
        let r = run(
            state(true),
            config(Value::string("cl-abc"), Value::Bool(false), Value::Null),
        );
        assert!(r.diagnostics.0[0].detail.contains("ssl=YES"));
        let r = run(state(true), Value::Null);
        assert!(r.diagnostics.0[0].detail.contains("ssl=YES"));
        let r = run(
            state(false),
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
        );
        assert!(!r.diagnostics.0[0].detail.contains("ssl=YES"));
    }

    #[test]
    fn moving_to_another_cluster_names_both() {
        let r = run(
            state(true),
            config(Value::string("cl-new"), Value::Bool(true), Value::Null),
        );
        assert_eq!(r.diagnostics.0.len(), 1);
        let d = &r.diagnostics.0[0];
        assert!(d.summary.contains("cl-abc in pek3a") && d.summary.contains("cl-new in pek3a"));
        assert!(d.detail.contains("turned off on cl-abc"));
        // Off on the old one already: only the new one restarts.
        let r = run(
            state(false),
            config(Value::string("cl-new"), Value::Bool(true), Value::Null),
        );
        let d = &r.diagnostics.0[0];
        assert!(!d.summary.contains("cl-abc") && d.summary.contains("cl-new"));
        assert!(d.detail.contains("already off on cl-abc"));
    }

    #[test]
    fn a_running_job_that_leaves_the_other_setting_is_a_change_and_announced() {
        // State says off, config says off, but a job is turning SSL on.
        let r = run_with(
            state(false),
            config(Value::string("cl-abc"), Value::Bool(false), Value::Null),
            running("j-run", true),
        );
        assert_eq!(r.planned_state.get("job_id"), &Value::Unknown);
        let d = &r.diagnostics.0[0];
        assert!(d.summary.contains("j-run") && d.detail.contains("second restart"));
        let out = Private::decode(&r.planned_private);
        assert_eq!(out.announced, Some(false));
        assert_eq!(out.running.unwrap().job_id, "j-run");
    }

    #[test]
    fn a_running_job_for_the_planned_setting_is_named_but_costs_nothing() {
        let r = run_with(
            state(true),
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
            running("j-run", true),
        );
        assert_eq!(r.planned_state.get("job_id"), &Value::string("j-1"));
        assert!(r.diagnostics.0[0].detail.contains("no second job"));
        assert_eq!(Private::decode(&r.planned_private).announced, None);
    }

    #[test]
    fn destroy_with_a_job_turning_ssl_on_is_announced() {
        let r = run_with(state(false), Value::Null, running("j-on", true));
        assert!(r.diagnostics.0[0].summary.contains("j-on"));
        assert_eq!(Private::decode(&r.planned_private).announced, Some(false));
    }

    #[test]
    fn the_new_half_of_a_replacement_tells_the_old_half_what_follows() {
        // Call A: the existing object, unchanged (a forced replacement looks like this).
        let a = run(
            state(true),
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
        );
        assert!(a.diagnostics.is_empty());
        // Call B: prior null, private from call A.
        let b = run_with(
            Value::Null,
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
            Private::decode(&a.planned_private),
        );
        let replaced_by = Private::decode(&b.planned_private).replaced_by.unwrap();
        assert_eq!(replaced_by.cluster_id, "cl-abc");
        assert_eq!(replaced_by.enabled, Some(true));
        // A plain create says nothing of the kind.
        let c = run(
            Value::Null,
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
        );
        assert_eq!(Private::decode(&c.planned_private).replaced_by, None);
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
