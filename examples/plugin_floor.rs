//! The plugin floor, a reference for `scripts/bench` (not shipped): the qingcloud provider as
//! Terraform sees it (the same plugin host, schemas, validation, configuration and planning) with
//! read and apply answered on the spot, without any QingCloud call.
//!
//! `terraform_data`, the benchmark's baseline, runs inside Terraform. Any plugin costs Terraform
//! more than that: a process start, an mTLS handshake and several gRPC calls per resource. This
//! binary measures that cost for our schema, so the benchmark can tell it apart from what our
//! API work adds. Build: `cargo build --release --example plugin_floor`.

use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;
use terraform_provider_qingcloud::provider::{self, QingCloudProvider};
use tfplugin::framework::erased::{
    self, ApplyResponse, CreateRequest, DeleteRequest, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ProviderData, ReadRequest, ReadResponse, UpdateRequest,
};
use tfplugin::framework::{
    self as fw, Context, Diagnostic, Diagnostics, IdentitySchema, Schema, Value,
};
use tfplugin::{plugin, protocol};

struct Floor {
    real: QingCloudProvider,
}

#[async_trait]
impl fw::Provider for Floor {
    fn schema(&self) -> Schema {
        self.real.schema()
    }

    fn validate_config(&self, config: &Value) -> Diagnostics {
        self.real.validate_config(config)
    }

    async fn configure(&self, terraform_version: &str, config: Value) -> fw::ConfigureResponse {
        self.real.configure(terraform_version, config).await
    }

    fn resources(&self) -> Vec<Arc<dyn erased::Resource>> {
        self.real
            .resources()
            .into_iter()
            .map(|real| Arc::new(NoApi { real }) as Arc<dyn erased::Resource>)
            .collect()
    }
}

/// The real resource for everything that makes no API call; read and apply are local.
struct NoApi {
    real: Arc<dyn erased::Resource>,
}

/// The identity the real resource reports: none once the object is gone.
fn identity_of(state: &Value) -> Option<Value> {
    (!state.is_null()).then(|| {
        Value::object([
            ("cluster_id", state.get("cluster_id").clone()),
            ("zone", state.get("zone").clone()),
        ])
    })
}

/// A created or updated object as the real apply would leave it: the job it ran is known.
fn applied(planned: Value) -> ApplyResponse {
    let mut state = planned;
    if state.get("job_id").is_unknown() {
        state.set("job_id", Value::string("j-floor000"));
    }
    ApplyResponse {
        identity: identity_of(&state),
        state,
        ..ApplyResponse::default()
    }
}

#[async_trait]
impl erased::Resource for NoApi {
    fn type_name(&self) -> &'static str {
        self.real.type_name()
    }

    fn schema(&self) -> Schema {
        self.real.schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        self.real.identity_schema()
    }

    fn configure(&self, data: &ProviderData) -> Diagnostics {
        self.real.configure(data)
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        self.real.validate(config)
    }

    fn upgrade_state(&self, version: i64, state: Value) -> Result<Value, Diagnostics> {
        self.real.upgrade_state(version, state)
    }

    fn generate_config(&self, ctx: &Context, state: &Value) -> Result<Value, Diagnostics> {
        self.real.generate_config(ctx, state)
    }

    async fn plan(&self, ctx: &Context, req: PlanRequest) -> PlanResponse {
        self.real.plan(ctx, req).await
    }

    async fn create(&self, _ctx: &Context, req: CreateRequest) -> ApplyResponse {
        applied(req.planned_state)
    }

    async fn update(&self, _ctx: &Context, req: UpdateRequest) -> ApplyResponse {
        applied(req.planned_state)
    }

    async fn delete(&self, _ctx: &Context, _req: DeleteRequest) -> ApplyResponse {
        ApplyResponse::default()
    }

    async fn read(&self, _ctx: &Context, req: ReadRequest) -> ReadResponse {
        ReadResponse {
            identity: identity_of(&req.current_state),
            state: req.current_state,
            private: req.private,
            ..ReadResponse::default()
        }
    }

    async fn import(&self, _ctx: &Context, _req: ImportRequest) -> ImportResponse {
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(Diagnostic::error(
            "Import not supported",
            "The benchmark's plugin floor does not import.",
        ));
        ImportResponse {
            diagnostics,
            ..ImportResponse::default()
        }
    }
}

fn routes() -> tonic::service::Routes {
    protocol::routes(Arc::new(Floor {
        real: QingCloudProvider::new(),
    }))
}

fn main() -> ExitCode {
    plugin::main(&provider::PLUGIN, routes)
}
