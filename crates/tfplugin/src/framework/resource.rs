//! The contract between the protocol adapter and each resource and the provider itself.
//! Everything here is in domain types; the adapter does the wire conversion, state
//! decoding, panic capture and cancellation plumbing once for all resources.

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::data_source::DataSource;
use super::diagnostics::{AttributePath, Diagnostics};
use super::list_resource::ListResource;
use super::schema::{IdentitySchema, Presence, Schema};
use super::value::Value;

/// Per-request context. `cancel` fires when Terraform calls StopProvider (Ctrl-C): long waits
/// must watch it and return promptly.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub cancel: CancellationToken,
}

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

pub struct ApplyRequest {
    pub prior_state: Value,
    /// Null when the resource is being destroyed.
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

#[derive(Default)]
pub struct ApplyResponse {
    /// Null when the object no longer exists (after destroy), or when a create failed before
    /// anything existed.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub new_identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

#[derive(Default)]
pub struct ReadResponse {
    /// Null when the object is gone: Terraform drops it from state and plans a create.
    pub new_state: Value,
    pub private: Vec<u8>,
    pub new_identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

pub struct ImportRequest {
    /// The id given to `terraform import` or an `import {}` block; empty when an identity was
    /// given instead.
    pub id: String,
    pub identity: Option<Value>,
}

#[derive(Default)]
pub struct ImportResponse {
    /// A partial state (what the id tells); Terraform calls Read on it next.
    pub state: Value,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// Offline checks of a configuration (values may be unknown). No network.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    /// Turns the state stored at `version` (already decoded with the current schema's type)
    /// into the current schema. The default keeps it as it is.
    fn upgrade_state(&self, _version: i64, state: Value) -> Result<Value, Diagnostics> {
        Ok(state)
    }

    /// The configuration a person would write for this state (`terraform query
    /// -generate-config-out`). The default keeps the arguments a configuration may set and
    /// nulls the computed-only ones, which a configuration must not set.
    fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
        let mut config = state.clone();
        for a in &self.schema().block.attributes {
            if a.presence == Presence::Computed {
                config.set(&a.name, Value::Null);
            }
        }
        Ok(config)
    }

    async fn plan(&self, ctx: &Context, req: PlanRequest) -> PlanResponse;
    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse;
    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse;
    async fn import(&self, ctx: &Context, req: ImportRequest) -> ImportResponse;
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn schema(&self) -> Schema;

    /// Offline checks of the provider block (values may be unknown).
    fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    async fn configure(&self, terraform_version: &str, config: Value) -> Diagnostics;

    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    /// Each named like the managed resource (with an identity) whose objects it lists.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }
}
