//! Planning: pure, no API calls. The plan must be quiet when nothing changes and loud (a
//! warning) whenever applying it will switch SSL, because that restarts the database.

use tfplugin::framework::{Attr, Diagnostic, PlanRequest, PlanResponse};
use tfplugin::path;

use super::kind::MysqlPlusSsl;
use super::model::Ssl;
use super::private::{Private, RunningJob, Snapshot};
use super::schema::Target;

type Plan = PlanResponse<MysqlPlusSsl>;

/// What turning SSL off does beyond the restart; said wherever a plan turns it off.
const LOCKOUT: &str = "Turning SSL off also locks out every database account created to \
    require SSL (the `add_user` service with `ssl=YES`): those accounts cannot log in until SSL \
    is on again.";

pub(super) fn plan(req: PlanRequest<MysqlPlusSsl>, default_zone: Option<&str>) -> Plan {
    let private = req.private;
    let Some(mut planned) = req.proposed else {
        return plan_destroy(&req.prior.unwrap_or_default(), private);
    };
    let config = req.config.unwrap_or_default();
    let mut resp = Plan::default();

    // zone: the configured one, else what the state already says (so a later change of the
    // provider's zone does not replace existing resources), else the provider's.
    if config.zone.is_null() {
        planned.zone = match req.prior.as_ref().map(|p| &p.zone) {
            Some(Attr::Known(z)) => Attr::Known(z.clone()),
            _ => default_zone.map_or(Attr::Unknown, |z| Attr::Known(z.to_string())),
        };
    }
    // The ID is the cluster ID: known at plan time whenever the cluster ID is.
    planned.id = planned.cluster_id.clone();

    let mut out = Private::default();
    if let Some(prior) = &req.prior {
        if planned.cluster_id != prior.cluster_id {
            resp.requires_replace.push(path!(Ssl.cluster_id));
        }
        if planned.zone != prior.zone {
            resp.requires_replace.push(path!(Ssl.zone));
        }
        let mut switches = planned.enabled != prior.enabled;
        if !resp.requires_replace.is_empty() {
            resp.diagnostics.push(replace_warning(prior, &planned));
        } else if switches {
            resp.diagnostics.push(restart_warning(&planned));
        }
        if let Some(job) = &private.running {
            let want = planned.enabled.as_bool();
            resp.diagnostics.push(running_warning(job, &planned, want));
            // The job will leave the other setting: applying must wait for it and switch back,
            // a second restart that this plan shows as a change and announces above.
            if want.is_some_and(|w| w != job.enabled) && resp.requires_replace.is_empty() {
                switches = true;
                out.announced = want;
            }
        }
        planned.job_id = if switches || !resp.requires_replace.is_empty() {
            Attr::Unknown
        } else {
            prior.job_id.clone()
        };
        out.running = private.running;
        out.planned_from = snapshot(prior);
    } else {
        planned.job_id = Attr::Unknown;
        resp.diagnostics.push(restart_warning(&planned));
        // The new half of a replacement: tell the old half's delete what follows it.
        if private.planned_from.is_some() {
            out.replaced_by = snapshot(&planned);
        }
    }
    resp.private = out;
    resp.planned = Some(planned);
    resp
}

fn snapshot(object: &Ssl) -> Option<Snapshot> {
    let target = Target::of(object, None).ok()?;
    Some(Snapshot {
        cluster_id: target.cluster_id,
        zone: target.zone,
        enabled: object.enabled.as_bool(),
    })
}

fn plan_destroy(prior: &Ssl, private: Private) -> Plan {
    let mut resp = Plan::default();
    let cluster = describe(&prior.cluster_id);
    let mut out = Private::default();
    // Destroying turns SSL off; when the state says it is off already, nothing restarts.
    if prior.enabled != Attr::Known(false) {
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
            .at(path!(Ssl.enabled)),
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
    resp.private = out;
    resp
}

fn restart_warning(planned: &Ssl) -> Diagnostic {
    let cluster = describe(&planned.cluster_id);
    let (action, lockout) = match planned.enabled {
        Attr::Known(true) => ("turns SSL transport encryption on", ""),
        Attr::Known(false) => ("turns SSL transport encryption off", LOCKOUT),
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
    .at(path!(Ssl.enabled))
}

/// A change of `cluster_id` or `zone` turns SSL off on the old cluster (a restart there, when
/// it was on) and sets it on the new one: both are named.
fn replace_warning(prior: &Ssl, planned: &Ssl) -> Diagnostic {
    let old = format!(
        "{} in {}",
        describe(&prior.cluster_id),
        describe(&prior.zone)
    );
    let new = format!(
        "{} in {}",
        describe(&planned.cluster_id),
        describe(&planned.zone)
    );
    let setting = match planned.enabled {
        Attr::Known(true) => "on",
        Attr::Known(false) => "off",
        _ => "to a value known after apply",
    };
    let old_restarts = prior.enabled != Attr::Known(false);
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
    .at(path!(Ssl.cluster_id))
}

fn running_warning(job: &RunningJob, object: &Ssl, want: Option<bool>) -> Diagnostic {
    let cluster = describe(&object.cluster_id);
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
    .at(path!(Ssl.enabled))
}

fn describe(value: &Attr<String>) -> String {
    match value.as_str() {
        Some(id) => id.to_string(),
        None => "(known after apply)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::{AttributePath, Diagnostics, Model, Resource, Severity, Value};

    /// A plan as Terraform receives it.
    struct Planned {
        planned_state: Value,
        requires_replace: Vec<AttributePath>,
        planned_private: Private,
        planned_identity: Option<Value>,
        diagnostics: Diagnostics,
    }

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

    fn run(prior: Value, config: Value) -> Planned {
        run_with(prior, config, Private::default())
    }

    fn run_with(prior: Value, config: Value, private: Private) -> Planned {
        let proposed = if config.is_null() {
            Value::Null
        } else {
            proposed(&config, &prior)
        };
        let model = |v: &Value| (!v.is_null()).then(|| Ssl::from_value(v).unwrap());
        let resp = plan(
            PlanRequest {
                prior: model(&prior),
                proposed: model(&proposed),
                config: model(&config),
                private,
            },
            Some("sh1a"),
        );
        let planned = resp.planned.as_ref();
        Planned {
            planned_state: planned.map_or(Value::Null, Model::to_value),
            planned_identity: planned
                .and_then(|p| MysqlPlusSsl::default().identity(p))
                .map(|i| i.to_value()),
            requires_replace: resp.requires_replace,
            planned_private: resp.private,
            diagnostics: resp.diagnostics,
        }
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
        let out = r.planned_private.clone();
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
        assert_eq!(r.planned_private.clone().announced, None);
    }

    #[test]
    fn destroy_with_a_job_turning_ssl_on_is_announced() {
        let r = run_with(state(false), Value::Null, running("j-on", true));
        assert!(r.diagnostics.0[0].summary.contains("j-on"));
        assert_eq!(r.planned_private.clone().announced, Some(false));
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
            a.planned_private.clone(),
        );
        let replaced_by = b.planned_private.clone().replaced_by.unwrap();
        assert_eq!(replaced_by.cluster_id, "cl-abc");
        assert_eq!(replaced_by.enabled, Some(true));
        // A plain create says nothing of the kind.
        let c = run(
            Value::Null,
            config(Value::string("cl-abc"), Value::Bool(true), Value::Null),
        );
        assert_eq!(c.planned_private.replaced_by, None);
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
