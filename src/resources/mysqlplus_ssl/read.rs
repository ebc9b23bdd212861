//! Refresh and import. A reading never invents a setting: it reports what the job history
//! shows, keeps what the state says when the history proves it still stands, and otherwise
//! keeps the recorded setting with a warning (refresh) or fails (import, where nothing is
//! recorded).

use crate::provider_data::{Ctx, ProviderData};
use crate::zone::{zone_error, zone_is_valid};
use qingcloud::{JobStatus, MYSQL_PLUS_APP_IDS, Setting, SslService, ssl_job_setting};
use tfplugin::framework::{Attr, Diagnostic, Diagnostics, ImportRequest, ReadRequest};
use tfplugin::path;

use super::apply::undetermined;
use super::kind::MysqlPlusSsl;
use super::model::Ssl;
use super::private::{Private, RunningJob};
use super::schema::client_and_target;
use super::schema::{TYPE_NAME, cluster_id_error, cluster_id_is_valid, record_lost, recorded};

type ReadResponse = tfplugin::framework::ReadResponse<MysqlPlusSsl>;
type ImportResponse = tfplugin::framework::ImportResponse<MysqlPlusSsl>;

fn stopped() -> Diagnostic {
    Diagnostic::error(
        "Refresh interrupted",
        "Terraform asked the provider to stop before the reading finished; the state is \
         unchanged.",
    )
}

pub(super) async fn refresh(ctx: &Ctx, req: ReadRequest<MysqlPlusSsl>) -> ReadResponse {
    let mut state = req.state;
    let (client, target) = match client_and_target(ctx, &state) {
        Ok(v) => v,
        Err(d) => return read_error(d, state, req.private),
    };
    let private_in = req.private;
    let mut running = private_in.running.clone();
    if let Some(job) = running.clone() {
        let ids = [job.job_id.as_str()];
        let looked = tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => return read_error(stopped(), state, private_in),
            r = client.describe_jobs(&target.zone, &ids) => r,
        };
        match looked {
            Ok(jobs) => match jobs.iter().find(|j| j.job_id == job.job_id) {
                Some(j) if j.status.is_in_progress() => {
                    tracing::info!(job_id = %j.job_id, "configuring_SSL job still running; keeping it in private state");
                }
                Some(j) => {
                    if j.status == JobStatus::Successful {
                        state.job_id = Attr::Known(j.job_id.clone());
                    }
                    running = None;
                }
                None => running = None,
            },
            Err(e) => {
                return read_error(
                    Diagnostic::error("Cannot read QingCloud job", e.to_string()),
                    state,
                    private_in,
                );
            }
        }
    }
    // A refresh: the reads of one plan may share a listing of the zone taken moments ago.
    let read = SslService::new(client).recent().read(
        &target.zone,
        &target.cluster_id,
        recorded(&state),
        ProviderData::history(ctx),
    );
    let ssl = tokio::select! {
        biased;
        _ = ctx.cancel.cancelled() => return read_error(stopped(), state.clone(), private_in),
        r = read => r,
    };
    let ssl = match ssl {
        Ok(s) => s,
        Err(e) => {
            return read_error(
                Diagnostic::error(
                    format!("Cannot read cluster {}", target.cluster_id),
                    format!("{e}. The state keeps the recorded setting; nothing was changed."),
                ),
                state,
                private_in,
            );
        }
    };
    let Some(cluster) = ssl.cluster.as_ref().filter(|c| !c.is_gone()) else {
        tracing::info!(cluster_id = %target.cluster_id, "cluster is gone; removing from state");
        return ReadResponse::default();
    };
    if !cluster.is_mysql_plus() {
        return read_error(
            Diagnostic::error(
                format!("Cluster {} is not a MySQL Plus cluster", target.cluster_id),
                format!(
                    "It belongs to app {}; qingcloud_mysqlplus_ssl manages only MySQL Plus \
                         clusters (app {}). Check cluster_id and zone.",
                    cluster.app_id,
                    MYSQL_PLUS_APP_IDS.join(", ")
                ),
            )
            .at(path!(Ssl.cluster_id)),
            state,
            private_in,
        );
    }
    // A job switching SSL now (the console's, say) is remembered so that the plan can
    // name it and the apply can wait for it.
    if running.is_none()
        && let Some(job) = &ssl.in_flight
        && let Some(enabled) = ssl_job_setting(job)
    {
        running = Some(RunningJob {
            job_id: job.job_id.clone(),
            enabled,
        });
    }
    let mut diagnostics = Diagnostics::default();
    let lost = record_lost(&ssl.setting, recorded(&state).as_ref());
    match &ssl.setting {
        _ if lost => diagnostics.push(Diagnostic::warning(
            format!("SSL setting of cluster {} not confirmed", target.cluster_id),
            format!(
                "The job recorded in state ({}) is no longer in the cluster's job history, \
                     and no other configuring_SSL job is. The provider keeps the recorded \
                     setting rather than guess.",
                state.job_id.as_str().unwrap_or_default()
            ),
        )),
        Setting::Seen { enabled, job } => {
            // The setting changed without an apply that finished (the console, or an
            // apply that was killed): `job_id` then names the job that made the setting.
            if state.enabled.as_bool() != Some(*enabled) {
                state.job_id = job.as_ref().map(|j| j.job_id.clone()).into();
            }
            state.enabled = Attr::Known(*enabled);
        }
        Setting::PriorStands { .. } => {}
        Setting::Unknown {
            jobs_read,
            total_count,
        } => {
            let cluster = &target.cluster_id;
            if state.enabled.as_bool().is_none() {
                return read_error(
                    undetermined(cluster, *jobs_read, *total_count, "Nothing was imported."),
                    state,
                    private_in,
                );
            }
            diagnostics.push(Diagnostic::warning(
                format!("SSL setting of cluster {cluster} not confirmed"),
                format!(
                    "The provider reads the SSL setting from the cluster's job history and \
                         looked through the newest {jobs_read} of {total_count} jobs without \
                         finding a configuring_SSL job or the job recorded in state. It keeps \
                         the recorded setting. Raise `job_history_limit` in the provider block \
                         to confirm it."
                ),
            ));
        }
    }
    state.id = Attr::Known(target.cluster_id.clone());
    state.zone = Attr::Known(target.zone.clone());
    ReadResponse {
        state: Some(state),
        private: Private::running(running),
        diagnostics,
    }
}

pub(super) fn import(ctx: &Ctx, req: ImportRequest<MysqlPlusSsl>) -> ImportResponse {
    let given = if req.id.is_empty() {
        match &req.identity {
            Some(identity) => (
                identity.zone.as_str().map(str::to_string),
                identity.cluster_id.as_str().unwrap_or("").to_string(),
            ),
            None => (None, String::new()),
        }
    } else {
        match req.id.split_once('/') {
            Some((zone, cluster)) => (Some(zone.to_string()), cluster.to_string()),
            None => (None, req.id.clone()),
        }
    };
    let (zone, cluster_id) = given;
    let bad_id = |d: Diagnostic| ImportResponse {
        diagnostics: Diagnostic {
            detail: format!(
                "{} Import with `terraform import {TYPE_NAME}.NAME cl-xxxxxxxx` or \
                     `zone/cl-xxxxxxxx`, e.g. `pek3a/cl-ouhutv70`.",
                d.detail
            ),
            ..d
        }
        .into(),
        ..Default::default()
    };
    if !cluster_id_is_valid(&cluster_id) {
        return bad_id(cluster_id_error(&cluster_id, path!(Ssl.cluster_id)));
    }
    if let Some(z) = zone.as_deref()
        && !zone_is_valid(z)
    {
        return bad_id(zone_error(z, path!(Ssl.zone)));
    }
    let default_zone = || ProviderData::default_zone(ctx).map(str::to_string);
    let Some(zone) = zone.or_else(default_zone) else {
        return bad_id(Diagnostic::error(
            "No zone",
            "The import ID names no zone and the provider has none.",
        ));
    };
    // `enabled` stays null until the reading that Terraform does next.
    let state = Ssl {
        id: Attr::Known(cluster_id.clone()),
        cluster_id: Attr::Known(cluster_id),
        zone: Attr::Known(zone),
        ..Ssl::default()
    };
    ImportResponse {
        state: Some(state),
        ..ImportResponse::default()
    }
}

fn read_error(d: Diagnostic, state: Ssl, private: Private) -> ReadResponse {
    ReadResponse {
        state: Some(state),
        private,
        diagnostics: d.into(),
    }
}
