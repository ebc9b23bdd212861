//! The contract of a managed resource, in its own types: its model (state, plan and
//! configuration), identity, private state and provider data. The adapter decodes and encodes
//! them, picks create, update or delete for each apply, attaches the identity to every state,
//! captures panics and plumbs cancellation, once for all resources (see `erased`).

use async_trait::async_trait;

use super::context::Context;
use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::model::Model;
use super::private::PrivateState;
use super::schema::{IdentitySchema, Presence, Schema};
use super::value::Value;

pub struct PlanRequest<R: Resource> {
    /// None when the object is being created.
    pub prior: Option<R::Model>,
    /// Terraform's proposal: the configuration, with computed attributes from the prior
    /// state. None when the object is being destroyed.
    pub proposed: Option<R::Model>,
    /// None when the object is being destroyed.
    pub config: Option<R::Model>,
    /// The prior state's private state.
    pub private: R::Private,
}

pub struct PlanResponse<R: Resource> {
    /// None to destroy.
    pub planned: Option<R::Model>,
    pub requires_replace: Vec<AttributePath>,
    /// Handed to the apply of this plan (and, for a replacement, to both halves' plans).
    pub private: R::Private,
    pub diagnostics: Diagnostics,
}

impl<R: Resource> Default for PlanResponse<R> {
    fn default() -> Self {
        PlanResponse {
            planned: None,
            requires_replace: Vec::new(),
            private: R::Private::default(),
            diagnostics: Diagnostics::default(),
        }
    }
}

pub struct CreateRequest<R: Resource> {
    pub planned: R::Model,
    pub config: R::Model,
    /// What the plan kept in private state.
    pub private: R::Private,
}

pub struct UpdateRequest<R: Resource> {
    pub prior: R::Model,
    pub planned: R::Model,
    pub config: R::Model,
    /// What the plan kept in private state.
    pub private: R::Private,
}

pub struct DeleteRequest<R: Resource> {
    pub prior: R::Model,
    /// What the plan kept in private state.
    pub private: R::Private,
}

pub struct ReadRequest<R: Resource> {
    pub state: R::Model,
    pub private: R::Private,
}

pub struct ImportRequest<R: Resource> {
    /// The id given to `terraform import` or an `import {}` block; empty when an identity was
    /// given instead.
    pub id: String,
    pub identity: Option<R::Identity>,
}

/// What create, update, delete, read and import answer: the object's state, which the
/// adapter sends with the identity `Resource::identity` finds in it.
pub struct StateResponse<R: Resource> {
    /// None when no object exists: after a delete, when a create failed before anything
    /// existed, when a read finds the object gone (Terraform then plans a create), or an
    /// import that failed. An import's state is partial (what the id tells): Terraform reads
    /// it next.
    pub state: Option<R::Model>,
    pub private: R::Private,
    pub diagnostics: Diagnostics,
}

pub type ApplyResponse<R> = StateResponse<R>;
pub type ReadResponse<R> = StateResponse<R>;
pub type ImportResponse<R> = StateResponse<R>;

impl<R: Resource> Default for StateResponse<R> {
    fn default() -> Self {
        StateResponse {
            state: None,
            private: R::Private::default(),
            diagnostics: Diagnostics::default(),
        }
    }
}

#[async_trait]
pub trait Resource: Send + Sync + Sized + 'static {
    /// The object of `schema()`: state, plan and configuration (see `model!`).
    type Model: Model;
    /// The object of `identity_schema()`; `()` for a resource without one.
    type Identity: Model;
    /// What the resource keeps in private state; `()` for nothing.
    type Private: PrivateState;
    /// What the provider's configure hands its resources (`Context::data`); `()` for nothing.
    type Data: Send + Sync + 'static;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of an object in this state; None when it is not known (yet).
    fn identity(&self, _state: &Self::Model) -> Option<Self::Identity> {
        None
    }

    /// Offline checks of a configuration (values may be unknown). No network.
    fn validate(&self, _config: &Self::Model) -> Diagnostics {
        Diagnostics::default()
    }

    /// Turns the state stored at `version` (already decoded with the current schema's type)
    /// into the current schema. The default keeps it as it is. States of other versions have
    /// other shapes, so this one works on values, not on the model.
    fn upgrade_state(&self, _version: i64, state: Value) -> Result<Value, Diagnostics> {
        Ok(state)
    }

    /// The configuration a person would write for this state (`terraform query
    /// -generate-config-out`). The default keeps the arguments a configuration may set and
    /// nulls the computed-only ones, which a configuration must not set.
    fn generate_config(
        &self,
        _ctx: &Context<Self::Data>,
        state: Self::Model,
    ) -> Result<Self::Model, Diagnostics> {
        let mut config = state.to_value();
        for a in &self.schema().block.attributes {
            if a.presence == Presence::Computed {
                config.set(&a.name, Value::Null);
            }
        }
        Self::Model::from_value(&config)
    }

    /// The default plans Terraform's proposal, with every computed attribute that the
    /// configuration leaves null unknown when the object is created or changes.
    async fn plan(&self, _ctx: &Context<Self::Data>, req: PlanRequest<Self>) -> PlanResponse<Self> {
        proposed_plan(&self.schema(), req)
    }

    async fn create(
        &self,
        ctx: &Context<Self::Data>,
        req: CreateRequest<Self>,
    ) -> ApplyResponse<Self>;

    /// The default takes the planned state as the new state: right for resources whose
    /// in-place changes touch nothing outside Terraform.
    async fn update(
        &self,
        _ctx: &Context<Self::Data>,
        req: UpdateRequest<Self>,
    ) -> ApplyResponse<Self> {
        StateResponse {
            state: Some(req.planned),
            private: req.private,
            diagnostics: Diagnostics::default(),
        }
    }

    /// The default forgets the object: right for resources that leave nothing behind.
    async fn delete(
        &self,
        _ctx: &Context<Self::Data>,
        _req: DeleteRequest<Self>,
    ) -> ApplyResponse<Self> {
        StateResponse::default()
    }

    async fn read(&self, ctx: &Context<Self::Data>, req: ReadRequest<Self>) -> ReadResponse<Self>;

    /// The default refuses: a resource that can be imported says how.
    async fn import(
        &self,
        _ctx: &Context<Self::Data>,
        _req: ImportRequest<Self>,
    ) -> ImportResponse<Self> {
        StateResponse {
            diagnostics: Diagnostic::error(
                "Import not supported",
                format!("{} cannot be imported.", self.type_name()),
            )
            .into(),
            ..StateResponse::default()
        }
    }
}

/// See `Resource::plan`.
fn proposed_plan<R: Resource>(schema: &Schema, req: PlanRequest<R>) -> PlanResponse<R> {
    let Some(proposed) = req.proposed else {
        return PlanResponse {
            private: req.private,
            ..PlanResponse::default()
        };
    };
    let mut planned = proposed.to_value();
    let changes = req.prior.is_none_or(|prior| prior.to_value() != planned);
    if changes {
        let config = req.config.map(|c| c.to_value()).unwrap_or_default();
        for a in &schema.block.attributes {
            let computed = matches!(a.presence, Presence::Computed | Presence::OptionalComputed);
            if computed && config.get(&a.name).is_null() {
                planned.set(&a.name, Value::Unknown);
            }
        }
    }
    match R::Model::from_value(&planned) {
        Ok(planned) => PlanResponse {
            planned: Some(planned),
            private: req.private,
            ..PlanResponse::default()
        },
        Err(diagnostics) => PlanResponse {
            diagnostics,
            ..PlanResponse::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::fake::{Kept, Thing, Things};
    use crate::framework::model::Attr;

    fn thing(id: Attr<String>, name: &str, size: Attr<String>) -> Thing {
        Thing {
            id,
            name: Attr::Known(name.into()),
            size,
        }
    }

    async fn plan(prior: Option<Thing>, config: Option<Thing>) -> PlanResponse<Things> {
        let proposed = config.clone().map(|c| Thing {
            id: prior.as_ref().map(|p| p.id.clone()).unwrap_or_default(),
            size: match (&c.size, &prior) {
                (Attr::Null, Some(p)) => p.size.clone(),
                _ => c.size.clone(),
            },
            ..c
        });
        let req = PlanRequest {
            prior,
            proposed,
            config,
            private: Kept::default(),
        };
        Things.plan(&Context::default(), req).await
    }

    #[tokio::test]
    async fn the_default_plan_leaves_computed_values_unknown_on_create_and_change() {
        let config = thing(Attr::Null, "a", Attr::Null);
        let created = plan(None, Some(config.clone())).await.planned.unwrap();
        assert_eq!(created, thing(Attr::Unknown, "a", Attr::Unknown));

        let state = thing(Attr::Known("t-1".into()), "a", Attr::Known("s".into()));
        let same = plan(Some(state.clone()), Some(config.clone())).await;
        assert_eq!(same.planned, Some(state.clone()));

        let renamed = thing(Attr::Null, "b", Attr::Known("s".into()));
        let changed = plan(Some(state.clone()), Some(renamed))
            .await
            .planned
            .unwrap();
        // A configured value stays as configured.
        assert_eq!(changed, thing(Attr::Unknown, "b", Attr::Known("s".into())));

        assert!(plan(Some(state), None).await.planned.is_none());
    }

    #[tokio::test]
    async fn the_defaults_update_to_the_plan_forget_on_delete_and_refuse_import() {
        let state = thing(Attr::Known("t-1".into()), "a", Attr::Null);
        let ctx = Context::default();
        let updated = Things
            .update(
                &ctx,
                UpdateRequest {
                    prior: state.clone(),
                    planned: state.clone(),
                    config: state.clone(),
                    private: Kept::default(),
                },
            )
            .await;
        assert_eq!(updated.state, Some(state.clone()));
        let deleted = Things
            .delete(
                &ctx,
                DeleteRequest {
                    prior: state,
                    private: Kept::default(),
                },
            )
            .await;
        assert!(deleted.state.is_none() && deleted.diagnostics.is_empty());
        let imported = Things
            .import(
                &ctx,
                ImportRequest {
                    id: "t-1".into(),
                    identity: None,
                },
            )
            .await;
        assert!(imported.diagnostics.has_errors());
    }
}
