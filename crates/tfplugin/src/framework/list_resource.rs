//! The contract of a list resource (`terraform query`, Terraform 1.14+): it streams the
//! existing objects of a managed resource type, each as identity, display name and optionally
//! a full state. The type name is that of the managed resource whose identity it lists.

use std::marker::PhantomData;

use async_trait::async_trait;

use super::context::Context;
use super::diagnostics::Diagnostics;
use super::list_stream;
use super::model::Model;
use super::resource::Resource;
use super::schema::Schema;

pub struct ListRequest<L: ListResource> {
    /// The list block's `config` content.
    pub config: L::Config,
    /// Whether Terraform wants each object's full state (`include_resource`, and always for
    /// `-generate-config-out`).
    pub include_resource_object: bool,
    /// Terraform reads at most this many events; sending more is wasted work.
    pub limit: i64,
}

/// One object of the managed resource `R`, or (without an identity) a diagnostic alone.
pub struct ListEvent<R: Resource> {
    /// None only in an event that carries just diagnostics.
    pub identity: Option<R::Identity>,
    pub display_name: String,
    /// A state of the managed resource; sent only when asked for.
    pub resource_object: Option<R::Model>,
    pub diagnostics: Diagnostics,
}

impl<R: Resource> ListEvent<R> {
    /// An event that only reports: an error here ends the list block with it.
    pub fn diagnostic(d: impl Into<Diagnostics>) -> Self {
        ListEvent {
            identity: None,
            display_name: String::new(),
            resource_object: None,
            diagnostics: d.into(),
        }
    }
}

/// Where a list resource sends its events. A send fails once Terraform has stopped reading
/// (its limit reached, or the command interrupted): the list should stop then.
pub struct ListSink<R: Resource> {
    inner: list_stream::ListSink,
    resource: PhantomData<fn(R)>,
}

impl<R: Resource> Clone for ListSink<R> {
    fn clone(&self) -> Self {
        ListSink {
            inner: self.inner.clone(),
            resource: PhantomData,
        }
    }
}

impl<R: Resource> ListSink<R> {
    pub(crate) fn new(inner: list_stream::ListSink) -> Self {
        ListSink {
            inner,
            resource: PhantomData,
        }
    }

    /// False when nobody reads any more.
    pub async fn send(&self, event: ListEvent<R>) -> bool {
        self.inner
            .send(list_stream::ListEvent {
                identity: event
                    .identity
                    .as_ref()
                    .map(Model::to_value)
                    .unwrap_or_default(),
                display_name: event.display_name,
                resource_object: event.resource_object.as_ref().map(Model::to_value),
                diagnostics: event.diagnostics,
            })
            .await
    }

    /// Resolves when nobody reads any more: lets work in progress stop early.
    pub async fn closed(&self) {
        self.inner.closed().await
    }
}

#[async_trait]
pub trait ListResource: Send + Sync + Sized + 'static {
    /// The filter arguments, what goes in the list block's `config { ... }` (see `model!`).
    type Config: Model;
    /// The managed resource whose objects are listed.
    type Resource: Resource;
    /// What the provider's configure hands its list resources (`Context::data`).
    type Data: Send + Sync + 'static;

    fn type_name(&self) -> &'static str;
    /// The schema of `Config`.
    fn schema(&self) -> Schema;

    /// Offline checks of the filters (values may be unknown). No network.
    fn validate(&self, _config: &Self::Config) -> Diagnostics {
        Diagnostics::default()
    }

    /// Streams the objects; errors go to the sink as diagnostic events, never silently as a
    /// shorter list.
    async fn list(
        &self,
        ctx: &Context<Self::Data>,
        req: ListRequest<Self>,
        sink: ListSink<Self::Resource>,
    );
}
