//! What the protocol adapter serves: resources, data sources, list resources and actions as
//! objects over `Value`s and private-state bytes, so that one provider can hold many kinds.
//!
//! `resource()`, `data_source()`, `list_resource()` and `action()` turn the typed traits into
//! these. They
//! are the one place where models, private state and identities meet `Value`s and bytes, and
//! where the provider data from configure is kept and put into each handler's `Context`.
//! Implement these traits directly only to wrap another implementation (a benchmark's
//! stand-in, say).

use std::any::{Any, TypeId};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use super::action as typed_action;
pub use super::action::Progress;
use super::context::Context;
use super::data_source;
use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::list_resource;
pub use super::list_stream::{ListEvent, ListSink};
use super::model::Model;
use super::private;
use super::resource as typed;
use super::schema::{IdentitySchema, Schema};
use super::value::Value;

/// What the provider's configure hands its resources, data sources and list resources. Each
/// finds there the type it names as its `Data`.
pub type ProviderData = Arc<dyn Any + Send + Sync>;

pub struct PlanRequest {
    /// Null when the resource is being created.
    pub prior_state: Value,
    /// Null when the resource is being destroyed.
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

#[derive(Default)]
pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub planned_identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

pub struct CreateRequest {
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

pub struct UpdateRequest {
    pub prior_state: Value,
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

pub struct DeleteRequest {
    pub prior_state: Value,
    pub planned_private: Vec<u8>,
}

pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

pub struct ImportRequest {
    /// The id given to `terraform import` or an `import {}` block; empty when an identity was
    /// given instead.
    pub id: String,
    pub identity: Option<Value>,
}

/// What create, update, delete, read and import answer (see `typed::StateResponse`).
#[derive(Default)]
pub struct StateResponse {
    /// Null when no object exists.
    pub state: Value,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

pub type ApplyResponse = StateResponse;
pub type ReadResponse = StateResponse;
pub type ImportResponse = StateResponse;

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn identity_schema(&self) -> Option<IdentitySchema>;
    /// Keeps the provider data for the handlers; an error when it is not what they need.
    fn configure(&self, data: &ProviderData) -> Diagnostics;
    fn validate(&self, config: &Value) -> Diagnostics;
    fn upgrade_state(&self, version: i64, state: Value) -> Result<Value, Diagnostics>;
    fn generate_config(&self, ctx: &Context, state: &Value) -> Result<Value, Diagnostics>;
    async fn plan(&self, ctx: &Context, req: PlanRequest) -> PlanResponse;
    async fn create(&self, ctx: &Context, req: CreateRequest) -> ApplyResponse;
    async fn update(&self, ctx: &Context, req: UpdateRequest) -> ApplyResponse;
    async fn delete(&self, ctx: &Context, req: DeleteRequest) -> ApplyResponse;
    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse;
    async fn import(&self, ctx: &Context, req: ImportRequest) -> ImportResponse;
}

#[derive(Default)]
pub struct DataReadResponse {
    /// The configuration with every computed attribute filled in; null only with an error.
    pub state: Value,
    pub diagnostics: Diagnostics,
}

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn configure(&self, data: &ProviderData) -> Diagnostics;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn read(&self, ctx: &Context, config: Value) -> DataReadResponse;
}

pub struct ListRequest {
    /// The list block's `config` content, in the type of `ListResource::schema`.
    pub config: Value,
    pub include_resource_object: bool,
    pub limit: i64,
}

#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn configure(&self, data: &ProviderData) -> Diagnostics;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn list(&self, ctx: &Context, req: ListRequest, sink: ListSink);
}

#[async_trait]
pub trait Action: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn configure(&self, data: &ProviderData) -> Diagnostics;
    fn validate(&self, config: &Value) -> Diagnostics;
    /// `config` may hold unknown values.
    async fn plan(&self, ctx: &Context, config: Value) -> Diagnostics;
    /// `config` is wholly known; the diagnostics end the invoke.
    async fn invoke(&self, ctx: &Context, config: Value, progress: Progress) -> Diagnostics;
}

/// `resource` as the adapter serves it.
pub fn resource<R: typed::Resource>(resource: R) -> Arc<dyn Resource> {
    Arc::new(Served {
        inner: resource,
        data: Slot::default(),
    })
}

/// `data_source` as the adapter serves it.
pub fn data_source<D: data_source::DataSource>(data_source: D) -> Arc<dyn DataSource> {
    Arc::new(Served {
        inner: data_source,
        data: Slot::default(),
    })
}

/// `list_resource` as the adapter serves it.
pub fn list_resource<L: list_resource::ListResource>(list_resource: L) -> Arc<dyn ListResource> {
    Arc::new(Served {
        inner: list_resource,
        data: Slot::default(),
    })
}

/// `action` as the adapter serves it.
pub fn action<A: typed_action::Action>(action: A) -> Arc<dyn Action> {
    Arc::new(Served {
        inner: action,
        data: Slot::default(),
    })
}

/// A typed handler and the provider data it was configured with.
struct Served<T, D> {
    inner: T,
    data: Slot<D>,
}

struct Slot<D>(RwLock<Option<Arc<D>>>);

impl<D> Default for Slot<D> {
    fn default() -> Self {
        Slot(RwLock::new(None))
    }
}

impl<D: Send + Sync + 'static> Slot<D> {
    fn set(&self, data: &ProviderData, type_name: &str) -> Diagnostics {
        if TypeId::of::<D>() == TypeId::of::<()>() {
            return Diagnostics::default();
        }
        match data.clone().downcast::<D>() {
            Ok(data) => {
                *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(data);
                Diagnostics::default()
            }
            Err(_) => Diagnostic::error(
                "Provider data of an unexpected type",
                format!(
                    "{type_name} needs provider data of type {}, which the provider's \
                     configure did not hand over. This is a bug in the provider; please report \
                     it.",
                    std::any::type_name::<D>()
                ),
            )
            .into(),
        }
    }

    fn context(&self, ctx: &Context) -> Context<D> {
        let data = self.0.read().unwrap_or_else(|p| p.into_inner()).clone();
        Context::new(ctx.cancel.clone(), data)
    }
}

fn optional<M: Model>(value: &Value) -> Result<Option<M>, Diagnostics> {
    if value.is_null() {
        return Ok(None);
    }
    M::from_value(value).map(Some)
}

/// The methods every served handler answers alike: its name and schema, the provider data it
/// keeps, and the checks of a configuration, of model `$config`, that decodes.
macro_rules! served_by_inner {
    ($config:ty) => {
        fn type_name(&self) -> &'static str {
            self.inner.type_name()
        }

        fn schema(&self) -> Schema {
            self.inner.schema()
        }

        fn configure(&self, data: &ProviderData) -> Diagnostics {
            self.data.set(data, self.inner.type_name())
        }

        fn validate(&self, config: &Value) -> Diagnostics {
            validated::<$config>(config, |c| self.inner.validate(c))
        }
    };
}

/// The checks of `validate` on a configuration that decodes; why it does not, otherwise.
fn validated<M: Model>(config: &Value, validate: impl FnOnce(&M) -> Diagnostics) -> Diagnostics {
    match M::from_value(config) {
        Ok(config) => validate(&config),
        Err(d) => d,
    }
}

fn value<M: Model>(model: Option<&M>) -> Value {
    model.map_or(Value::Null, Model::to_value)
}

impl<R: typed::Resource> Served<R, R::Data> {
    fn identity(&self, state: Option<&R::Model>) -> Option<Value> {
        let identity = self.inner.identity(state?)?;
        Some(identity.to_value())
    }

    fn answer(&self, resp: typed::StateResponse<R>) -> StateResponse {
        StateResponse {
            identity: self.identity(resp.state.as_ref()),
            state: value(resp.state.as_ref()),
            private: private::encode(&resp.private),
            diagnostics: resp.diagnostics,
        }
    }
}

/// The answer to a request that does not decode: the state that stands, and why.
fn unchanged(state: Value, private: Vec<u8>, diagnostics: Diagnostics) -> StateResponse {
    StateResponse {
        state,
        private,
        identity: None,
        diagnostics,
    }
}

#[async_trait]
impl<R: typed::Resource> Resource for Served<R, R::Data> {
    served_by_inner!(R::Model);

    fn identity_schema(&self) -> Option<IdentitySchema> {
        self.inner.identity_schema()
    }

    fn upgrade_state(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        self.inner.upgrade_state(version, state)
    }

    fn generate_config(&self, ctx: &Context, state: &Value) -> Result<Value, Diagnostics> {
        let state = R::Model::from_value(state)?;
        let config = self.inner.generate_config(&self.data.context(ctx), state)?;
        Ok(config.to_value())
    }

    async fn plan(&self, ctx: &Context, req: PlanRequest) -> PlanResponse {
        let decoded = (|| {
            Ok::<_, Diagnostics>(typed::PlanRequest {
                prior: optional(&req.prior_state)?,
                proposed: optional(&req.proposed_new_state)?,
                config: optional(&req.config)?,
                private: private::decode(&req.prior_private),
            })
        })();
        let typed_req = match decoded {
            Ok(r) => r,
            Err(diagnostics) => {
                return PlanResponse {
                    diagnostics,
                    ..PlanResponse::default()
                };
            }
        };
        let resp = self.inner.plan(&self.data.context(ctx), typed_req).await;
        PlanResponse {
            planned_identity: self.identity(resp.planned.as_ref()),
            planned_state: value(resp.planned.as_ref()),
            requires_replace: resp.requires_replace,
            planned_private: private::encode(&resp.private),
            diagnostics: resp.diagnostics,
        }
    }

    async fn create(&self, ctx: &Context, req: CreateRequest) -> ApplyResponse {
        let decoded = (|| {
            Ok::<_, Diagnostics>(typed::CreateRequest {
                planned: R::Model::from_value(&req.planned_state)?,
                config: R::Model::from_value(&req.config)?,
                private: private::decode(&req.planned_private),
            })
        })();
        match decoded {
            Ok(r) => self.answer(self.inner.create(&self.data.context(ctx), r).await),
            Err(d) => unchanged(Value::Null, Vec::new(), d),
        }
    }

    async fn update(&self, ctx: &Context, req: UpdateRequest) -> ApplyResponse {
        let decoded = (|| {
            Ok::<_, Diagnostics>(typed::UpdateRequest {
                prior: R::Model::from_value(&req.prior_state)?,
                planned: R::Model::from_value(&req.planned_state)?,
                config: R::Model::from_value(&req.config)?,
                private: private::decode(&req.planned_private),
            })
        })();
        match decoded {
            Ok(r) => self.answer(self.inner.update(&self.data.context(ctx), r).await),
            Err(d) => unchanged(req.prior_state, Vec::new(), d),
        }
    }

    async fn delete(&self, ctx: &Context, req: DeleteRequest) -> ApplyResponse {
        let decoded = R::Model::from_value(&req.prior_state).map(|prior| typed::DeleteRequest {
            prior,
            private: private::decode(&req.planned_private),
        });
        match decoded {
            Ok(r) => self.answer(self.inner.delete(&self.data.context(ctx), r).await),
            Err(d) => unchanged(req.prior_state, Vec::new(), d),
        }
    }

    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse {
        let state = match R::Model::from_value(&req.current_state) {
            Ok(s) => s,
            Err(d) => return unchanged(req.current_state, req.private, d),
        };
        let typed_req = typed::ReadRequest {
            state,
            private: private::decode(&req.private),
        };
        self.answer(self.inner.read(&self.data.context(ctx), typed_req).await)
    }

    async fn import(&self, ctx: &Context, req: ImportRequest) -> ImportResponse {
        let identity = match req.identity.as_ref().map(R::Identity::from_value) {
            None => None,
            Some(Ok(identity)) => Some(identity),
            Some(Err(d)) => return unchanged(Value::Null, Vec::new(), d),
        };
        let typed_req = typed::ImportRequest {
            id: req.id,
            identity,
        };
        self.answer(self.inner.import(&self.data.context(ctx), typed_req).await)
    }
}

#[async_trait]
impl<D: data_source::DataSource> DataSource for Served<D, D::Data> {
    served_by_inner!(D::Model);

    async fn read(&self, ctx: &Context, config: Value) -> DataReadResponse {
        let config = match D::Model::from_value(&config) {
            Ok(c) => c,
            Err(diagnostics) => {
                return DataReadResponse {
                    diagnostics,
                    ..DataReadResponse::default()
                };
            }
        };
        let resp = self.inner.read(&self.data.context(ctx), config).await;
        DataReadResponse {
            state: value(resp.state.as_ref()),
            diagnostics: resp.diagnostics,
        }
    }
}

#[async_trait]
impl<L: list_resource::ListResource> ListResource for Served<L, L::Data> {
    served_by_inner!(L::Config);

    async fn list(&self, ctx: &Context, req: ListRequest, sink: ListSink) {
        let config = match L::Config::from_value(&req.config) {
            Ok(c) => c,
            Err(diagnostics) => {
                sink.send(ListEvent {
                    diagnostics,
                    ..ListEvent::default()
                })
                .await;
                return;
            }
        };
        let typed_req = list_resource::ListRequest {
            config,
            include_resource_object: req.include_resource_object,
            limit: req.limit,
        };
        self.inner
            .list(
                &self.data.context(ctx),
                typed_req,
                list_resource::ListSink::new(sink),
            )
            .await
    }
}

#[async_trait]
impl<A: typed_action::Action> Action for Served<A, A::Data> {
    served_by_inner!(A::Config);

    async fn plan(&self, ctx: &Context, config: Value) -> Diagnostics {
        match A::Config::from_value(&config) {
            Ok(config) => self.inner.plan(&self.data.context(ctx), config).await,
            Err(d) => d,
        }
    }

    async fn invoke(&self, ctx: &Context, config: Value, progress: Progress) -> Diagnostics {
        match A::Config::from_value(&config) {
            Ok(config) => {
                self.inner
                    .invoke(&self.data.context(ctx), config, progress)
                    .await
            }
            Err(d) => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::fake::{Thing, Things, Zone};
    use crate::framework::model::Attr;

    fn create(planned_private: &[u8]) -> CreateRequest {
        let planned = Value::object([("id", Value::Unknown), ("name", Value::string("a"))]);
        CreateRequest {
            planned_state: planned.clone(),
            config: planned,
            planned_private: planned_private.to_vec(),
        }
    }

    #[tokio::test]
    async fn handlers_get_the_provider_data_and_answers_carry_identity_and_private_bytes() {
        let served = resource(Things);
        let ctx = Context::default();
        // Before configure: no data, so no id and no identity.
        let before = served.create(&ctx, create(b"")).await;
        let named = |id: Attr<String>| Thing {
            id,
            name: Attr::Known("a".into()),
            size: Attr::Null,
        };
        assert_eq!(before.state, named(Attr::Null).to_value());
        assert_eq!(before.identity, None);
        assert!(before.private.is_empty());

        let data: ProviderData = Arc::new(Zone("pek3a".into()));
        assert!(served.configure(&data).is_empty());
        let after = served.create(&ctx, create(br#"{"job":"j-1"}"#)).await;
        assert_eq!(after.state, named(Attr::Known("pek3a".into())).to_value());
        let id = Value::object([("id", Value::string("pek3a"))]);
        assert_eq!(after.identity, Some(id));
        assert_eq!(after.private, br#"{"job":"j-1+"}"#);
    }

    #[tokio::test]
    async fn provider_data_of_another_type_is_an_error_at_configure() {
        let served = resource(Things);
        let data: ProviderData = Arc::new(42u8);
        let d = served.configure(&data);
        assert!(d.has_errors());
        assert!(d.iter().next().unwrap().detail.contains("Zone"));
    }

    #[tokio::test]
    async fn a_state_of_another_shape_is_an_error_and_the_prior_state_stands() {
        let served = resource(Things);
        let bad = Value::object([("id", Value::Bool(true))]);
        let resp = served
            .update(
                &Context::default(),
                UpdateRequest {
                    prior_state: bad.clone(),
                    planned_state: bad.clone(),
                    config: bad.clone(),
                    planned_private: Vec::new(),
                },
            )
            .await;
        assert_eq!(resp.state, bad);
        let d = resp.diagnostics.iter().next().unwrap();
        assert_eq!(d.path, Some(AttributePath::root("id")));
    }
}
