//! Switching SSL: the one place that submits `configuring_SSL`. It looks before it leaps
//! (cluster gone? already set? a job for the same setting already running?) so that one
//! change of `enabled` costs at most one database restart, however often it is retried,
//! interrupted or timed out.

use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::qingcloud::Client;
use crate::qingcloud::jobs::WaitError;
use crate::qingcloud::ssl::ssl_job_setting;

use super::schema::Target;

/// A switch that reached the wanted setting. `job_id` is the job that put it there, when one
/// was needed.
#[derive(Debug)]
pub struct Switched {
    pub job_id: Option<String>,
}

/// Why a switch did not reach the wanted setting.
#[derive(Debug)]
pub enum Problem {
    /// The cluster is absent, `deleted` or `ceased`.
    Gone,
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

pub type Outcome = Result<Switched, Problem>;

pub async fn switch(
    client: &Client,
    target: &Target,
    want: bool,
    timeout: Duration,
    cancel: &CancellationToken,
) -> Outcome {
    let deadline = Instant::now() + timeout;
    let remaining = || deadline.saturating_duration_since(Instant::now());
    let Target { cluster_id, zone } = target;
    // Another configuring_SSL job (the console's, or one for the opposite setting) is waited
    // out at most a few times; after that the cluster is busy for reasons we should report.
    for _ in 0..5 {
        let state = match client
            .read_ssl(
                zone,
                cluster_id,
                None,
                crate::qingcloud::ssl::HistoryPolicy::default(),
            )
            .await
        {
            Ok(s) => s,
            Err(e) => {
                return Err(Problem::Error {
                    message: e.to_string(),
                });
            }
        };
        if state.is_gone() {
            return Err(Problem::Gone);
        }
        if let Some(job) = state.in_flight.as_ref() {
            if ssl_job_setting(job) == Some(want) {
                tracing::info!(job_id = %job.job_id, cluster_id, "adopting a configuring_SSL job already running for this setting");
                return wait(client, zone, &job.job_id, remaining(), cancel).await;
            }
            tracing::info!(job_id = %job.job_id, cluster_id, "waiting for another configuring_SSL job to finish first");
            match client
                .wait_for_job(zone, &job.job_id, remaining(), cancel)
                .await
            {
                Ok(_) | Err(WaitError::JobFailed { .. }) => continue,
                Err(e) => {
                    return Err(Problem::Unfinished {
                        job_id: None,
                        message: format!(
                            "Another configuring_SSL job ({}) was still running on {cluster_id}: {e}",
                            job.job_id
                        ),
                    });
                }
            }
        }
        // Stopgap until the lead's rewrite: never switch on an unknown setting.
        let Some(enabled) = state.enabled() else {
            return Err(Problem::Error {
                message: format!(
                    "Cannot read the SSL setting of cluster {cluster_id}: {}",
                    super::unknown_setting_detail(&state.setting)
                ),
            });
        };
        if enabled == want {
            return Ok(Switched {
                job_id: state.setting_job_id().map(str::to_string),
            });
        }
        // The reading just showed the cluster; look again only if it was busy.
        let idle = state.cluster.as_ref().is_some_and(|c| c.is_idle());
        if !idle {
            match client
                .wait_cluster_idle(zone, cluster_id, remaining(), cancel)
                .await
            {
                Ok(_) => {}
                Err(WaitError::ClusterGone { .. }) => return Err(Problem::Gone),
                Err(e) => {
                    return Err(Problem::Unfinished {
                        job_id: None,
                        message: format!("Cluster {cluster_id} did not become idle: {e}"),
                    });
                }
            }
        }
        match client
            .submit_ssl(zone, cluster_id, want, &state.seen_job_ids)
            .await
        {
            Ok(job_id) => {
                tracing::info!(%job_id, cluster_id, want, "configuring_SSL submitted");
                return wait(client, zone, &job_id, remaining(), cancel).await;
            }
            // Busy: something started between our look and our call; look again.
            Err(e) if e.is_busy() => continue,
            Err(e) if e.is_not_found() => return Err(Problem::Gone),
            Err(e) if e.outcome_unknown() => {
                return Err(Problem::Unfinished {
                    job_id: None,
                    message: format!(
                        "It is not known whether QingCloud accepted the request ({e}). The next \
                         apply looks at the cluster's jobs first and adopts the job if it exists."
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
    Err(Problem::Unfinished {
        job_id: None,
        message: format!(
            "Cluster {cluster_id} stayed busy with other configuring_SSL jobs; try again later."
        ),
    })
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
