//! The contract of a list resource (`terraform query`, Terraform 1.14+): it streams the
//! existing objects of a managed resource type, each as identity, display name and optionally
//! a full state. The type name is that of the managed resource whose identity it lists.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::diagnostics::{Diagnostic, Diagnostics};
use super::resource::Context;
use super::schema::Schema;
use super::value::Value;

pub struct ListRequest {
    /// The list block's `config` content, in the type of `ListResource::schema`.
    pub config: Value,
    /// Whether Terraform wants each object's full state (`include_resource`, and always for
    /// `-generate-config-out`).
    pub include_resource_object: bool,
    /// Terraform reads at most this many events; sending more is wasted work.
    pub limit: i64,
}

/// One result, or (with an empty identity) a diagnostic alone.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ListEvent {
    /// The managed resource's identity; null only in an event that carries just diagnostics.
    pub identity: Value,
    pub display_name: String,
    /// A state of the managed resource's schema; sent only when asked for.
    pub resource_object: Option<Value>,
    pub diagnostics: Diagnostics,
}

impl ListEvent {
    /// An event that only reports: an error here ends the list block with it.
    pub fn diagnostic(d: Diagnostic) -> Self {
        ListEvent {
            diagnostics: d.into(),
            ..ListEvent::default()
        }
    }
}

/// Where a list resource sends its events. A send fails once Terraform has stopped reading
/// (its limit reached, or the command interrupted): the list should stop then.
#[derive(Clone)]
pub struct ListSink {
    tx: mpsc::Sender<ListEvent>,
}

impl ListSink {
    pub fn new(tx: mpsc::Sender<ListEvent>) -> Self {
        ListSink { tx }
    }

    /// False when nobody reads any more.
    pub async fn send(&self, event: ListEvent) -> bool {
        self.tx.send(event).await.is_ok()
    }

    /// Resolves when nobody reads any more: lets work in progress stop early.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}

#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    /// The filter arguments (what goes in the list block's `config { ... }`).
    fn schema(&self) -> Schema;

    /// Offline checks of the filters (values may be unknown). No network.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    /// Streams the objects; errors go to the sink as diagnostic events, never silently as a
    /// shorter list.
    async fn list(&self, ctx: &Context, req: ListRequest, sink: ListSink);
}
