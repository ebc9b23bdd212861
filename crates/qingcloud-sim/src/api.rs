//! `/iaas/`: one request through faults, verification and the action, then into the log.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

use super::actions;
use super::answer;
use super::auth;
use super::clock::format_iso;
use super::conn::Connection;
use super::error::ApiError;
use super::faults::Drop;
use super::odd::{self, OddAnswer};
use super::params::Params;
use super::reqlog::Entry;
use super::state::Shared;

enum Reply {
    Json(serde_json::Value),
    Unavailable,
    Cut,
    Html,
    Empty,
    Hang,
}

pub(crate) async fn iaas(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let mut params = Params::parse(uri.query().unwrap_or(""));
    if method == Method::POST {
        params.extend_from(&String::from_utf8_lossy(&body));
    }
    let path = uri.path().to_string();
    tracing::debug!(remote = %conn.remote, %method, %path, "iaas request received");
    // A task of its own: if the client gives up (timeout) while a slow request waits, the
    // request still goes on and acts, exactly the ambiguity a real network leaves a client with.
    let work = tokio::spawn(process(
        shared.clone(),
        method.as_str().to_string(),
        path,
        params,
    ));
    let reply = work.await.unwrap_or_else(|e| {
        tracing::error!("request task failed: {e}");
        Reply::Json(ApiError::new(5000, "ServerInternalError").body())
    });
    match reply {
        Reply::Json(body) => axum::Json(body).into_response(),
        Reply::Unavailable => {
            (StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable\n").into_response()
        }
        Reply::Cut => {
            conn.cut();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Reply::Html => ([(CONTENT_TYPE, "text/html")], odd::HTML_PAGE).into_response(),
        Reply::Empty => StatusCode::OK.into_response(),
        Reply::Hang => {
            // Held in this connection's own task, so other requests go on. A client that gives
            // up closes its end; at shutdown the connection is cut without a byte of answer.
            shared.stopping().await;
            conn.cut();
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// One request, with the fixed latency (`--latency-ms`) around it: half before it acts, half
/// after, so its effect lands mid-flight as on a real server, and the answer comes the whole
/// latency after the request. Read once on arrival, so a change of the setting does not split
/// one request's wait.
async fn process(shared: Arc<Shared>, method: String, path: String, params: Params) -> Reply {
    let received_ms = super::clock::now_ms();
    let (before, after) = split_latency(shared.latency_ms());
    if before > 0 {
        tokio::time::sleep(Duration::from_millis(before)).await;
    }
    let reply = respond(&shared, received_ms, &method, &path, &params).await;
    if after > 0 {
        tokio::time::sleep(Duration::from_millis(after)).await;
    }
    reply
}

/// A latency split into the part before the request acts and the part after; they add up.
fn split_latency(ms: u64) -> (u64, u64) {
    let before = ms / 2;
    (before, ms - before)
}

/// Faults, verification and the action, logged; `received_ms` is when the request arrived.
async fn respond(
    shared: &Shared,
    received_ms: i64,
    method: &str,
    path: &str,
    params: &Params,
) -> Reply {
    let decision = shared.draw_faults(
        params.get("action"),
        params.get("offset").and_then(|o| o.trim().parse().ok()),
    );
    let mut entry = Entry {
        seq: 0,
        action: params.get("action").map(str::to_string),
        params: params.loggable(),
        ret_code: None,
        http_status: None,
        outcome: "ok",
        fault: None,
        slow_ms: None,
        job_id: None,
        odd_answer: None,
        time: format_iso(received_ms),
        received_ms,
    };

    if let Some(ms) = decision.slow_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        entry.slow_ms = Some(ms);
        entry.fault = Some("slow");
    }
    if decision.drop == Some(Drop::BeforeActing) {
        entry.outcome = "dropped";
        entry.fault = Some("drop_before");
        return finish(shared, entry, Reply::Cut);
    }
    if decision.http_503 {
        entry.outcome = "http_503";
        entry.fault = Some("http_503");
        entry.http_status = Some(503);
        return finish(shared, entry, Reply::Unavailable);
    }
    if let Some(code) = decision.error_code {
        let err = ApiError::injected(code);
        entry.outcome = "error";
        entry.fault = Some("error_code");
        entry.ret_code = Some(code);
        entry.http_status = Some(200);
        return finish(shared, entry, Reply::Json(err.body()));
    }

    let (result, odd) = act(shared, method, path, params);
    let mut body = match result {
        Ok(answer) => {
            entry.job_id = answer.job_id;
            entry.ret_code = Some(0);
            let mut body = answer.body;
            body.insert(
                "action".into(),
                format!("{}Response", entry.action.as_deref().unwrap_or_default()).into(),
            );
            body.insert("ret_code".into(), 0.into());
            body
        }
        Err(err) => {
            entry.ret_code = Some(err.code);
            entry.outcome = "error";
            err.body().as_object().cloned().unwrap_or_default()
        }
    };
    if decision.drop == Some(Drop::AfterActing) {
        entry.outcome = "dropped";
        entry.fault = Some("drop_after");
        return finish(shared, entry, Reply::Cut);
    }
    entry.http_status = Some(200);
    if entry.slow_ms.is_some() && entry.outcome == "ok" {
        entry.outcome = "slow";
    }
    // The action has acted (a RunClusterCustomService started its job); only its answer is odd,
    // the case where a client cannot tell what happened from what it got back.
    if let Some(kind) = odd.filter(|kind| odd::reshape(*kind, &mut body)) {
        entry.outcome = "odd";
        entry.fault = Some("odd_answer");
        entry.odd_answer = Some(kind.name());
        let reply = match kind {
            OddAnswer::Html => Reply::Html,
            OddAnswer::Empty => Reply::Empty,
            OddAnswer::Hang => {
                entry.http_status = None;
                Reply::Hang
            }
            OddAnswer::NoSet | OddAnswer::DuplicateSet | OddAnswer::NoRetCode => {
                Reply::Json(serde_json::Value::Object(body))
            }
        };
        return finish(shared, entry, reply);
    }
    finish(shared, entry, Reply::Json(serde_json::Value::Object(body)))
}

/// Verifies and runs the request; also says which odd answer, if any, replaces the answer:
/// only requests that pass the signature checks and name a known action get one.
fn act(
    shared: &Shared,
    method: &str,
    path: &str,
    params: &Params,
) -> (Result<answer::Answer, ApiError>, Option<OddAnswer>) {
    match verified_action(shared, method, path, params) {
        Ok(action) => {
            let odd = shared.odd_answer(action);
            (run(shared, action, params), odd)
        }
        Err(e) => (Err(e), None),
    }
}

fn verified_action<'p>(
    shared: &Shared,
    method: &str,
    path: &str,
    params: &'p Params,
) -> Result<&'p str, ApiError> {
    // Time stamps are checked against the real clock, not the simulated one.
    let now_secs = super::clock::now_ms().div_euclid(1000);
    auth::verify(method, path, params, shared.keys(), now_secs)?;
    let action = params.required("action")?;
    if !answer::is_known(action) {
        return Err(answer::unknown_action(action));
    }
    Ok(action)
}

fn run(shared: &Shared, action: &str, params: &Params) -> Result<answer::Answer, ApiError> {
    shared.with_world(
        |world, now| match actions::run(action, params, world, now) {
            Ok(answer) => {
                let changed = answer.changed;
                (Ok(answer), changed)
            }
            Err(e) => (Err(e), false),
        },
    )
}

fn finish(shared: &Shared, entry: Entry, reply: Reply) -> Reply {
    tracing::info!(
        action = entry.action.as_deref().unwrap_or("-"),
        ret_code = entry.ret_code,
        outcome = entry.outcome,
        fault = entry.fault,
        job_id = entry.job_id.as_deref(),
        "iaas request"
    );
    shared.record(entry);
    reply
}

#[cfg(test)]
mod tests {
    use super::split_latency;

    #[test]
    fn latency_is_split_around_the_action_and_adds_up() {
        for (ms, want) in [(0, (0, 0)), (1, (0, 1)), (50, (25, 25)), (201, (100, 101))] {
            assert_eq!(split_latency(ms), want, "{ms}");
        }
    }
}
