//! Apply: create, update and delete, and what each returns when a switch does not reach the
//! wanted setting (see DESIGN.md, "Interrupted applies").

use qingcloud::HistoryPolicy;
use qingcloud::MYSQL_PLUS_APP_IDS;
use std::time::Duration;
use tfplugin::framework::{Attr, Diagnostic};
use tfplugin::path;

use super::kind::MysqlPlusSsl;
use super::model::Ssl;
use super::private::{Private, RunningJob};
use super::schema::client_and_target;
use super::schema::{Target, recorded, timeout};
use super::switch::{self, Outcome, Problem, Switched};
use crate::provider_data::{Ctx, ProviderData};

type ApplyResponse = tfplugin::framework::ApplyResponse<MysqlPlusSsl>;

/// An error, and the state that stands: None for a create, the prior state otherwise.
fn error_response(d: Diagnostic, state: Option<Ssl>) -> ApplyResponse {
    ApplyResponse {
        state,
        diagnostics: d.into(),
        ..ApplyResponse::default()
    }
}

/// The error for a switch that did not reach the wanted setting, and the id of a job that
/// may still be running.
fn failure(problem: Problem, target: &Target, create: bool) -> (Diagnostic, Option<String>) {
    let cluster = &target.cluster_id;
    let zone = &target.zone;
    let at_cluster = path!(Ssl.cluster_id);
    let nothing = "Nothing was submitted and nothing restarted.";
    let on_off = |b: bool| if b { "on" } else { "off" };
    let diag = match problem {
        Problem::Gone => Diagnostic::error(
            format!("Cluster {cluster} not found"),
            format!(
                "QingCloud has no cluster {cluster} in zone {zone} (or it is deleted). Check \
                 cluster_id and zone."
            ),
        )
        .at(at_cluster),
        Problem::NotActive { status } => Diagnostic::error(
            format!("Cluster {cluster} is {status}"),
            format!(
                "QingCloud runs configuring_SSL only on an active cluster. Start cluster \
                 {cluster} (or wait until it is active), then apply again. {nothing}"
            ),
        )
        .at(at_cluster),
        Problem::OtherApp { app_id } => Diagnostic::error(
            format!("Cluster {cluster} is not a MySQL Plus cluster"),
            format!(
                "Cluster {cluster} in zone {zone} belongs to app {app_id}; \
                 qingcloud_mysqlplus_ssl manages only MySQL Plus clusters (app {}). Check \
                 cluster_id and zone. {nothing}",
                MYSQL_PLUS_APP_IDS.join(", ")
            ),
        )
        .at(at_cluster),
        Problem::Unannounced { current, job_id } => Diagnostic::error(
            format!("SSL on cluster {cluster} changed after the plan"),
            format!(
                "SSL on cluster {cluster} is {} now{}, which is not what the plan this apply \
                 follows saw. Switching it would restart the database without the warning a \
                 plan gives, so the provider refused. {nothing} Run `terraform plan` (or \
                 `terraform apply` without a saved plan) again: it reads the current setting \
                 and shows the restart for you to approve.",
                on_off(current),
                job_id
                    .map(|j| format!(" (set by job {j})"))
                    .unwrap_or_default()
            ),
        )
        .at(path!(Ssl.enabled)),
        Problem::Undetermined {
            jobs_read,
            total_count,
        } => undetermined(cluster, jobs_read, total_count, nothing),
        Problem::Refused { attempts, message } => Diagnostic::error(
            format!("QingCloud refused configuring_SSL on cluster {cluster}"),
            format!(
                "QingCloud answered {attempts} times that the cluster cannot change now \
                 ({message}), although it looked active and idle. {nothing} Check the cluster \
                 in the console (a node that is down, a backup?), then apply again."
            ),
        ),
        Problem::Failed { job_id, message } => Diagnostic::error(
            format!("configuring_SSL job {job_id} failed on cluster {cluster}"),
            format!(
                "{message}. The cluster's SSL setting did not change. See the job in the \
                 QingCloud console for details, then apply again."
            ),
        ),
        Problem::Unfinished {
            job_id: Some(job_id),
            message,
        } => {
            let next = if create {
                "Nothing was recorded in state. Run `terraform apply` again: it adopts this job \
                 instead of starting another, so the database restarts only once."
            } else {
                "The state keeps the previous setting and remembers the job; the next plan \
                 names it, and no second job is started while it runs."
            };
            let d = Diagnostic::error(
                format!("configuring_SSL job {job_id} on cluster {cluster} did not finish"),
                format!("{message}. The job goes on in QingCloud. {next}"),
            );
            return (d, Some(job_id));
        }
        Problem::Unfinished {
            job_id: None,
            message,
        } => Diagnostic::error(
            format!("SSL change on cluster {cluster} did not finish"),
            format!("{message}."),
        ),
        Problem::Error { message } => Diagnostic::error(
            format!("QingCloud API error for cluster {cluster}"),
            message,
        ),
    };
    (diag, None)
}

/// The job history did not tell the setting within `job_history_limit`.
pub(super) fn undetermined(
    cluster: &str,
    jobs_read: u64,
    total_count: u64,
    then: &str,
) -> Diagnostic {
    Diagnostic::error(
        format!("Cannot tell whether SSL is on for cluster {cluster}"),
        format!(
            "No QingCloud API reports the SSL setting, so the provider reads it from the \
             cluster's job history. It looked through the newest {jobs_read} of {total_count} \
             jobs without finding a configuring_SSL job, and stopped at the provider's \
             `job_history_limit`. {then} Raise `job_history_limit` in the provider block and \
             try again."
        ),
    )
}

/// The switch for an update or delete of `prior`. It was announced when the plan's setting
/// differs from the state's, or when the plan named a running job that leaves the other
/// setting.
fn change<'a>(
    target: &'a Target,
    prior: &'a Ssl,
    want: bool,
    private: &Private,
    timeout: Duration,
    history: HistoryPolicy,
) -> switch::Request<'a> {
    let recorded = recorded(prior);
    switch::Request {
        target,
        want,
        announced: recorded.map(|r| r.enabled) != Some(want) || private.announced == Some(want),
        prior: recorded,
        timeout,
        history,
    }
}

pub(super) async fn create(ctx: &Ctx, planned: Ssl) -> ApplyResponse {
    let (client, target) = match client_and_target(ctx, &planned) {
        Ok(v) => v,
        Err(d) => return error_response(d, None),
    };
    let Some(want) = planned.enabled.as_bool() else {
        return error_response(not_known(), None);
    };
    let request = switch::Request {
        target: &target,
        want,
        prior: None,
        // A create always shows the restart warning in its plan.
        announced: true,
        timeout: timeout(&planned, |t| &t.create),
        history: ProviderData::history(ctx),
    };
    let mut resp = ApplyResponse::default();
    match switch::switch(client, request, &ctx.cancel).await {
        Ok(Switched { job_id }) => {
            let mut state = planned;
            state.zone = Attr::Known(target.zone.clone());
            state.job_id = job_id.into();
            resp.state = Some(state);
        }
        // A create must not return state with an error: Terraform would taint it and
        // replace it, costing two more restarts. The next create adopts the job instead.
        Err(problem) => resp.diagnostics.push(failure(problem, &target, true).0),
    }
    resp
}

pub(super) async fn update(ctx: &Ctx, prior: Ssl, planned: Ssl, private: Private) -> ApplyResponse {
    let Some(want) = planned.enabled.as_bool() else {
        return error_response(not_known(), Some(prior));
    };
    let was = prior.enabled.as_bool();
    if was == Some(want) && private.announced.is_none() {
        // Only timeouts changed: nothing to do in QingCloud.
        return ApplyResponse {
            state: Some(planned),
            private: Private::running(private.running),
            ..ApplyResponse::default()
        };
    }
    let (client, target) = match client_and_target(ctx, &planned) {
        Ok(v) => v,
        Err(d) => return error_response(d, Some(prior)),
    };
    let history = ProviderData::history(ctx);
    let timeout = timeout(&planned, |t| &t.update);
    let request = change(&target, &prior, want, &private, timeout, history);
    let outcome = switch::switch(client, request, &ctx.cancel).await;
    finish_change(outcome, prior, Some(planned), &target, want)
}

pub(super) async fn delete(ctx: &Ctx, prior: Ssl, private: Private) -> ApplyResponse {
    let (client, target) = match client_and_target(ctx, &prior) {
        Ok(v) => v,
        Err(d) => return error_response(d, Some(prior)),
    };
    // The old half of a replacement of the same cluster (`-replace`, `replace_triggered_by`)
    // whose new half turns SSL on again: turning it off in between would cost two restarts
    // for nothing, and Terraform shows no provider warning for such a plan. The new half
    // finds SSL on and adopts it.
    if let Some(next) = &private.replaced_by
        && next.cluster_id == target.cluster_id
        && next.zone == target.zone
        && next.enabled == Some(true)
    {
        tracing::info!(cluster_id = %target.cluster_id, "replaced by an object that keeps SSL on: not switching it off in between");
        return ApplyResponse::default();
    }
    let history = ProviderData::history(ctx);
    let timeout = timeout(&prior, |t| &t.delete);
    let request = change(&target, &prior, false, &private, timeout, history);
    let outcome = switch::switch(client, request, &ctx.cancel).await;
    if matches!(outcome, Err(Problem::Gone)) {
        tracing::info!(cluster_id = %target.cluster_id, "cluster is gone; nothing to switch off");
        return ApplyResponse::default();
    }
    finish_change(outcome, prior, None, &target, false)
}

fn not_known() -> Diagnostic {
    Diagnostic::error(
        "enabled is not known",
        "`enabled` must be true or false when the change is applied.",
    )
    .at(path!(Ssl.enabled))
}

/// Updates and deletes are not tainted by errors, so on failure they return the prior state
/// (the setting did not change) with any unfinished job in private state.
fn finish_change(
    outcome: Outcome,
    prior: Ssl,
    planned: Option<Ssl>,
    target: &Target,
    want: bool,
) -> ApplyResponse {
    match (outcome, planned) {
        (Ok(_), None) => ApplyResponse::default(),
        (Ok(Switched { job_id }), Some(mut state)) => {
            state.zone = Attr::Known(target.zone.clone());
            state.job_id = job_id.into();
            ApplyResponse {
                state: Some(state),
                ..ApplyResponse::default()
            }
        }
        (Err(problem), _) => {
            let (diag, running) = failure(problem, target, false);
            let running = running.map(|job_id| RunningJob {
                job_id,
                enabled: want,
            });
            ApplyResponse {
                state: Some(prior),
                private: Private::running(running),
                diagnostics: diag.into(),
            }
        }
    }
}
