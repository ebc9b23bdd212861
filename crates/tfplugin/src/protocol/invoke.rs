//! InvokeAction (server-streaming, Terraform 1.14+): runs the action in its own task, forwards
//! its progress lines as `progress` events, and always ends the stream with exactly one
//! `completed` event carrying the action's diagnostics. Terraform panics on an event whose
//! `oneof` is unset, shows no "Action complete" without a `completed` event, and reports a gRPC
//! error status as a broken provider: so every outcome, a panic included, is a `completed`
//! event with diagnostics, and no other kind of event is ever built here.

use std::sync::Arc;

use tokio::sync::mpsc;
use tonic::Status;

use crate::framework::erased::{Action, Progress};
use crate::framework::{self as fw, Value};

use super::convert;
use super::panic::panic_diagnostic;
use super::wire::invoke_action::{Event, event};

pub(super) type EventStream = tokio_stream::wrappers::ReceiverStream<Result<Event, Status>>;

/// Lines in flight between the action and gRPC.
const BUFFER: usize = 16;

/// The stream of `action`'s invoke with `config`.
pub(super) fn stream(action: Arc<dyn Action>, ctx: fw::Context, config: Value) -> EventStream {
    let (out, rx) = mpsc::channel(BUFFER);
    tokio::spawn(forward(action, ctx, config, out));
    EventStream::new(rx)
}

/// A stream of the one `completed` event, for invokes that cannot start (unknown action type,
/// a configuration that does not decode).
pub(super) fn failed(d: fw::Diagnostics) -> EventStream {
    let (out, rx) = mpsc::channel(1);
    // The channel has room for this one event, so the send cannot wait.
    let _ = out.try_send(Ok(completed(&d)));
    EventStream::new(rx)
}

fn progress(message: String) -> Event {
    Event {
        r#type: Some(event::Type::Progress(event::Progress { message })),
    }
}

fn completed(d: &fw::Diagnostics) -> Event {
    Event {
        r#type: Some(event::Type::Completed(event::Completed {
            diagnostics: convert::diagnostics(d),
        })),
    }
}

async fn forward(
    action: Arc<dyn Action>,
    ctx: fw::Context,
    config: Value,
    out: mpsc::Sender<Result<Event, Status>>,
) {
    let (tx, mut lines) = mpsc::channel::<String>(BUFFER);
    let sink = Progress::new(tx);
    let mut task = tokio::spawn(async move { action.invoke(&ctx, config, sink).await });
    // Lines as they come, until the action ends (a copy of the sink it kept must not hold
    // the stream open); then the lines it sent last.
    let ended = loop {
        tokio::select! {
            ended = &mut task => break ended,
            Some(line) = lines.recv() => send(&out, progress(line)).await,
        }
    };
    while let Ok(line) = lines.try_recv() {
        send(&out, progress(line)).await;
    }
    let diagnostics = match ended {
        Ok(d) => d,
        Err(e) => panic_diagnostic("InvokeAction", e.is_panic().then(|| e.into_panic())).into(),
    };
    send(&out, completed(&diagnostics)).await;
}

async fn send(out: &mpsc::Sender<Result<Event, Status>>, event: Event) {
    if out.send(Ok(event)).await.is_err() {
        tracing::debug!("InvokeAction: Terraform stopped reading");
    }
}
