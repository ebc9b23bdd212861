//! Switching SSL: the one place that submits `configuring_SSL`. It looks before it leaps
//! (cluster gone, stopped or not MySQL Plus? already set? a job for the same setting already
//! running?) and looks again after every wait, so that one change of `enabled` costs at most
//! one database restart, however often it is retried, interrupted or timed out, and never one
//! that the plan did not announce.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use qingcloud::{
    Client, Error, HistoryPolicy, Prior, Setting, SslService, WaitError, ssl_job_setting,
};

use super::schema::{Target, record_lost};

/// What one switch is asked to do.
pub(super) struct Request<'a> {
    pub(super) target: &'a Target,
    pub(super) want: bool,
    /// What the state says, for updates and deletes; None for a create.
    pub(super) prior: Option<Prior<'a>>,
    /// Whether the plan this apply follows warned that applying restarts the database. A
    /// switch that is needed now but was not announced (the setting changed since the plan)
    /// is refused: see DESIGN.md, "Restarts only when announced".
    pub(super) announced: bool,
    pub(super) timeout: Duration,
    pub(super) history: HistoryPolicy,
}

/// A switch that reached the wanted setting. `job_id` is the job that put it there, when one
/// is known.
#[derive(Debug)]
pub(super) struct Switched {
    pub(super) job_id: Option<String>,
}

/// Why a switch did not reach the wanted setting.
#[derive(Debug)]
pub(super) enum Problem {
    /// The cluster is absent, `deleted` or `ceased`.
    Gone,
    /// The cluster exists but cannot run a service now (`stopped`, `suspended`, ...).
    NotActive { status: String },
    /// The cluster belongs to another app than MySQL Plus.
    OtherApp { app_id: String },
    /// Switching is needed now, but the plan did not say so.
    Unannounced {
        current: bool,
        job_id: Option<String>,
    },
    /// The job history did not tell the current setting within the reading's limit.
    Undetermined { jobs_read: u64, total_count: u64 },
    /// QingCloud kept refusing the submission as "cannot change now" (1400).
    Refused { attempts: u32, message: String },
    /// The job ran and failed: the setting did not change.
    Failed { job_id: String, message: String },
    /// Timed out or interrupted. When `job_id` is set, that job may still be running and its
    /// outcome is for the next refresh (or the next apply, which adopts it) to learn.
    Unfinished {
        job_id: Option<String>,
        message: String,
    },
    /// An API error before any job was submitted.
    Error { message: String },
}

pub(super) type Outcome = Result<Switched, Problem>;

/// Other configuring_SSL jobs waited out before the cluster counts as too busy to switch.
const OTHER_JOBS: u32 = 5;
/// 1400 answers to a submission before giving up, and the pause after each (times its number):
/// the cluster looked idle to us, so the refusal is about something we cannot see.
const REFUSALS: u32 = 4;
const REFUSAL_PAUSE: Duration = Duration::from_secs(3);

fn interrupted() -> Problem {
    Problem::Unfinished {
        job_id: None,
        message: "Interrupted before any job was submitted; nothing changed".into(),
    }
}

/// Runs an API read, or gives up when Terraform asks the provider to stop. Dropping a read
/// half-way is harmless: it changes nothing.
async fn unless_cancelled<T>(
    cancel: &CancellationToken,
    read: impl Future<Output = Result<T, Error>>,
) -> Result<T, Problem> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(interrupted()),
        r = read => r.map_err(|e| Problem::Error { message: e.to_string() }),
    }
}

pub(super) async fn switch(
    client: &Client,
    req: Request<'_>,
    cancel: &CancellationToken,
) -> Outcome {
    let deadline = Instant::now() + req.timeout;
    let remaining = || deadline.saturating_duration_since(Instant::now());
    let Target { cluster_id, zone } = req.target;
    let mut other_jobs = 0;
    let mut refusals = 0;
    loop {
        let prior = req.prior.as_ref().map(|p| Prior {
            job_id: p.job_id,
            enabled: p.enabled,
        });
        let state = unless_cancelled(
            cancel,
            SslService::new(client).read(zone, cluster_id, prior, req.history),
        )
        .await?;
        let Some(cluster) = state.cluster.as_ref().filter(|c| !c.is_gone()) else {
            return Err(Problem::Gone);
        };
        if !cluster.is_mysql_plus() {
            return Err(Problem::OtherApp {
                app_id: cluster.app_id.clone(),
            });
        }
        if let Some(job) = state.in_flight.as_ref() {
            if ssl_job_setting(job) == Some(req.want) {
                tracing::info!(job_id = %job.job_id, cluster_id, "adopting a configuring_SSL job already running for this setting");
                return wait(client, zone, &job.job_id, remaining(), cancel).await;
            }
            other_jobs += 1;
            if other_jobs > OTHER_JOBS {
                return Err(Problem::Unfinished {
                    job_id: None,
                    message: format!(
                        "Cluster {cluster_id} kept running other configuring_SSL jobs (the \
                         latest is {}); nothing was submitted. Try again when they are done.",
                        job.job_id
                    ),
                });
            }
            tracing::info!(job_id = %job.job_id, cluster_id, "waiting for another configuring_SSL job to finish first");
            match client
                .wait_for_job(zone, &job.job_id, remaining(), cancel)
                .await
            {
                // Whatever it left, look again before deciding.
                Ok(_) | Err(WaitError::JobFailed { .. }) => continue,
                Err(e) => {
                    return Err(Problem::Unfinished {
                        job_id: None,
                        message: format!(
                            "Another configuring_SSL job ({}) was still running on \
                             {cluster_id}: {e}. Nothing was submitted",
                            job.job_id
                        ),
                    });
                }
            }
        }
        let lost = record_lost(&state.setting, req.prior.as_ref());
        let (current, job_id) = match &state.setting {
            _ if lost => prior_setting(&req).unwrap_or((req.want, None)),
            Setting::Seen { enabled, job } => (*enabled, job.as_ref().map(|j| j.job_id.clone())),
            Setting::PriorStands { enabled } => (*enabled, prior_setting(&req).and_then(|p| p.1)),
            Setting::Unknown {
                jobs_read,
                total_count,
            } => {
                return Err(Problem::Undetermined {
                    jobs_read: *jobs_read,
                    total_count: *total_count,
                });
            }
        };
        if current == req.want {
            return Ok(Switched { job_id });
        }
        if !req.announced {
            return Err(Problem::Unannounced { current, job_id });
        }
        // A stopped cluster cannot run the service; QingCloud would refuse (1400) every try.
        if !cluster.is_active() {
            return Err(Problem::NotActive {
                status: cluster.status.clone(),
            });
        }
        if !cluster.is_idle() {
            match client
                .wait_cluster_idle(zone, cluster_id, remaining(), cancel)
                .await
            {
                // The wait may have been long: the console may have switched SSL meanwhile,
                // so the reading is stale. Read again before submitting.
                Ok(_) => continue,
                Err(WaitError::ClusterGone { .. }) => return Err(Problem::Gone),
                Err(e) => {
                    return Err(Problem::Unfinished {
                        job_id: None,
                        message: format!(
                            "Cluster {cluster_id} did not become idle: {e}. Nothing was submitted"
                        ),
                    });
                }
            }
        }
        if cancel.is_cancelled() {
            return Err(interrupted());
        }
        match SslService::new(client)
            .submit(zone, cluster_id, req.want, &state.seen_job_ids)
            .await
        {
            Ok(job_id) => {
                tracing::info!(%job_id, cluster_id, want = req.want, "configuring_SSL submitted");
                return wait(client, zone, &job_id, remaining(), cancel).await;
            }
            // Busy: something started between our look and our call, or the cluster is in a
            // state we cannot see. Pause, look again, and give up after a few.
            Err(e) if e.is_busy() => {
                refusals += 1;
                if refusals >= REFUSALS {
                    return Err(Problem::Refused {
                        attempts: refusals,
                        message: e.to_string(),
                    });
                }
                let pause = REFUSAL_PAUSE * refusals;
                if pause >= remaining() {
                    return Err(Problem::Refused {
                        attempts: refusals,
                        message: e.to_string(),
                    });
                }
                tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return Err(interrupted()),
                    _ = client.clock().sleep(pause) => {}
                }
            }
            Err(e) if e.is_not_found() => return Err(Problem::Gone),
            Err(e) if e.outcome_unknown() => {
                return Err(Problem::Unfinished {
                    job_id: None,
                    message: format!(
                        "It is not known whether QingCloud accepted the request ({e}). The next \
                         apply looks at the cluster's jobs first and adopts the job if it exists"
                    ),
                });
            }
            Err(e) => {
                return Err(Problem::Error {
                    message: e.to_string(),
                });
            }
        }
    }
}

/// The state's setting and the job it names.
fn prior_setting(req: &Request<'_>) -> Option<(bool, Option<String>)> {
    req.prior
        .as_ref()
        .map(|p| (p.enabled, p.job_id.map(str::to_string)))
}

async fn wait(
    client: &Client,
    zone: &str,
    job_id: &str,
    remaining: Duration,
    cancel: &CancellationToken,
) -> Outcome {
    match client.wait_for_job(zone, job_id, remaining, cancel).await {
        Ok(_) => Ok(Switched {
            job_id: Some(job_id.to_string()),
        }),
        Err(e @ WaitError::JobFailed { .. }) => Err(Problem::Failed {
            job_id: job_id.to_string(),
            message: e.to_string(),
        }),
        Err(e) => Err(Problem::Unfinished {
            job_id: Some(job_id.to_string()),
            message: e.to_string(),
        }),
    }
}
