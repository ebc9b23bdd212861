//! The untyped end of a list resource's stream: events as values, as the adapter sends them
//! to Terraform. Typed list resources write through `list_resource::ListSink`, which wraps it.

use tokio::sync::mpsc;

use super::diagnostics::{Diagnostic, Diagnostics};
use super::value::Value;

/// One result, or (with a null identity) a diagnostic alone.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ListEvent {
    pub identity: Value,
    pub display_name: String,
    pub resource_object: Option<Value>,
    pub diagnostics: Diagnostics,
}

impl ListEvent {
    pub(crate) fn diagnostic(d: Diagnostic) -> Self {
        ListEvent {
            diagnostics: d.into(),
            ..ListEvent::default()
        }
    }
}

/// Where a list resource sends its events; a send fails once nobody reads any more.
#[derive(Clone)]
pub struct ListSink {
    tx: mpsc::Sender<ListEvent>,
}

impl ListSink {
    pub(crate) fn new(tx: mpsc::Sender<ListEvent>) -> Self {
        ListSink { tx }
    }

    /// False when nobody reads any more.
    pub async fn send(&self, event: ListEvent) -> bool {
        self.tx.send(event).await.is_ok()
    }

    /// Resolves when nobody reads any more.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}
