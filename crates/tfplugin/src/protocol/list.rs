//! ListResource (server-streaming, `terraform query`): runs the list resource in its own task
//! and forwards its events, converted, to the gRPC stream. When Terraform stops reading (its
//! `limit` reached, or Ctrl-C) the stream is dropped, the forwarding ends, and the list
//! resource's next send fails: that is its signal to stop calling the API.

use std::sync::Arc;

use tokio::sync::mpsc;
use tonic::Status;

use crate::framework::erased::{self, ListEvent, ListResource, Resource};
use crate::framework::{self as fw, Diagnostic};

use super::convert;
use super::panic::panic_diagnostic;
use super::wire;

pub(super) type EventStream =
    tokio_stream::wrappers::ReceiverStream<Result<wire::list_resource::Event, Status>>;

/// Events in flight between the list resource and gRPC: small, so a list that Terraform stops
/// reading stops soon after, instead of reading ahead.
const BUFFER: usize = 4;

/// The stream of `lister`'s events for `req`; `resource` is the managed resource whose identity
/// and schema the events carry.
pub(super) fn stream(
    lister: Arc<dyn ListResource>,
    resource: Arc<dyn Resource>,
    ctx: fw::Context,
    req: erased::ListRequest,
) -> EventStream {
    let (out, rx) = mpsc::channel(BUFFER);
    let forwarding = tokio::spawn(forward(lister, resource, ctx, req, out.clone()));
    // A panic anywhere in the forwarding would end the stream early and silently, which
    // Terraform would show as a shorter list: it becomes an error event instead.
    tokio::spawn(async move {
        if let Err(e) = forwarding.await {
            let d = panic_diagnostic("ListResource", e.is_panic().then(|| e.into_panic()));
            let _ = out.send(Ok(error_event(d.into()))).await;
        }
    });
    EventStream::new(rx)
}

/// Runs the list resource and forwards its events, converted, until it ends or `out` is
/// closed (Terraform stopped reading).
async fn forward(
    lister: Arc<dyn ListResource>,
    resource: Arc<dyn Resource>,
    ctx: fw::Context,
    req: erased::ListRequest,
    out: mpsc::Sender<Result<wire::list_resource::Event, Status>>,
) {
    let Some(identity_ty) = resource.identity_schema().map(|s| s.value_type()) else {
        let d = Diagnostic::error(
            "List resource without identity",
            format!(
                "{} has no identity schema, which every listed object needs. This is a bug \
                 in the provider; please report it.",
                lister.type_name()
            ),
        );
        let _ = out.send(Ok(error_event(d.into()))).await;
        return;
    };
    let object_ty = resource.schema().value_type();
    let (tx, mut events) = mpsc::channel(BUFFER);
    let sink = erased::ListSink::new(tx.clone());
    let task = tokio::spawn(async move { lister.list(&ctx, req, sink).await });
    // Watches the list task: a panic becomes an error event, so the list ends with an error
    // instead of looking complete.
    tokio::spawn(async move {
        if let Err(e) = task.await {
            let d = panic_diagnostic("ListResource", e.is_panic().then(|| e.into_panic()));
            let _ = tx.send(ListEvent::diagnostic(d)).await;
        }
    });
    while let Some(event) = events.recv().await {
        let event = convert::list_event(event, &identity_ty, &object_ty);
        if out.send(Ok(event)).await.is_err() {
            tracing::debug!("ListResource: Terraform stopped reading; ending the list");
            break;
        }
    }
}

/// A stream of one error event, for requests that cannot start (unknown type, bad config).
pub(super) fn failed(d: fw::Diagnostics) -> EventStream {
    let (out, rx) = mpsc::channel(1);
    // The channel has room for this one event, so the send cannot wait.
    let _ = out.try_send(Ok(error_event(d)));
    EventStream::new(rx)
}

fn error_event(d: fw::Diagnostics) -> wire::list_resource::Event {
    wire::list_resource::Event {
        diagnostic: convert::diagnostics(&d),
        ..Default::default()
    }
}
