//! `qingcloud_mysqlplus_ssl`: SSL transport encryption of a MySQL Plus cluster.
//!
//! - `schema`: attributes, identity, validation, typed reading of values.
//! - `plan`: pure planning with the restart warning.
//! - `switch`: the only code that submits configuring_SSL, and how it avoids doing so twice.
//! - `apply`: create, update and delete, and what each returns when a job fails, times out or
//!   is interrupted (see DESIGN.md, "Interrupted applies").
//! - `read`: refresh and import: a reading never invents a setting.
//! - `private`: what the private state remembers (running jobs, announced restarts).
//! - `claims`: one resource per cluster in a run.
//! - this file: the resource's entry points.

mod apply;
mod claims;
mod current;
mod list;
mod plan;
mod private;
mod read;
mod schema;
mod switch;

use std::sync::Arc;

use async_trait::async_trait;

use crate::provider::ProviderData;
use tfplugin::framework::{
    self as fw, ApplyRequest, ApplyResponse, AttributePath, Context, Diagnostic, Diagnostics,
    ImportRequest, ImportResponse, PlanRequest, PlanResponse, ReadRequest, ReadResponse, Value,
};

use schema::{Target, identity};

pub use current::{Current, read_current};
pub use list::MysqlPlusSslList;
pub use schema::{TYPE_NAME, validate_target};

pub struct MysqlPlusSsl {
    data: Arc<ProviderData>,
    claims: claims::Claims,
}

impl MysqlPlusSsl {
    pub fn new(data: Arc<ProviderData>) -> Self {
        MysqlPlusSsl {
            data,
            claims: claims::Claims::default(),
        }
    }

    /// An error when another resource instance of this run manages the same cluster.
    fn claim(&self, prior: &Value, planned: &Value) -> Option<Diagnostic> {
        let target = Target::of(planned, None).ok()?;
        let enabled = planned.get("enabled").as_bool();
        let conflict =
            self.claims
                .claim(&target.zone, &target.cluster_id, !prior.is_null(), enabled)?;
        let cluster = &target.cluster_id;
        let flips = match (conflict.other_enabled, enabled) {
            (Some(a), Some(b)) if a != b => format!(
                " They want different settings (enabled = {a} and {b}), so every apply would \
                 switch SSL back and forth, restarting the database each time."
            ),
            _ => String::new(),
        };
        Some(
            Diagnostic::error(
                format!("Cluster {cluster} is managed by two {TYPE_NAME} resources"),
                format!(
                    "Another {TYPE_NAME} resource instance in this configuration (planned \
                     earlier in this run, so Terraform names only this one) also manages \
                     cluster {cluster} in zone {}.{flips} Keep exactly one resource per \
                     cluster: remove the other (with `terraform state rm` or a `removed` block \
                     if it is in state), or give it another cluster_id. (Resources under \
                     another provider configuration, such as an alias, are not checked.)",
                    target.zone
                ),
            )
            .at(AttributePath::root("cluster_id")),
        )
    }
}

pub(super) fn with_identity(state: &Value) -> Option<Value> {
    Target::of(state, None)
        .ok()
        .map(|t| identity(&t.cluster_id, &t.zone))
}

impl MysqlPlusSsl {
    pub(super) fn client_and_target(
        &self,
        object: &Value,
    ) -> Result<(qingcloud::Client, Target), Diagnostic> {
        let client = self.data.client()?;
        let target = Target::of(object, Some(client.default_zone().to_string()))?;
        Ok((client, target))
    }
}

pub(super) fn error_response(d: Diagnostic, state: Value) -> ApplyResponse {
    ApplyResponse {
        new_identity: with_identity(&state),
        new_state: state,
        diagnostics: d.into(),
        ..Default::default()
    }
}

#[async_trait]
impl fw::Resource for MysqlPlusSsl {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> fw::Schema {
        schema::schema()
    }

    fn identity_schema(&self) -> Option<fw::IdentitySchema> {
        Some(schema::identity_schema())
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        schema::validate(config)
    }

    /// What a person would write: the cluster and the setting, the zone only where it is
    /// not the provider's, nothing computed.
    fn generate_config(&self, state: &Value) -> Result<Value, Diagnostics> {
        let Some(enabled) = state.get("enabled").as_bool() else {
            return Err(Diagnostic::error(
                "Cannot generate configuration",
                format!(
                    "The {TYPE_NAME} state of cluster {} has no known `enabled`.",
                    state.get("cluster_id").as_str().unwrap_or("(unknown)")
                ),
            )
            .into());
        };
        let zone = state.get("zone").as_str();
        let zone = match self.data.default_zone() {
            Some(default) if zone == Some(default.as_str()) => Value::Null,
            _ => zone.map_or(Value::Null, Value::string),
        };
        Ok(Value::object([
            ("id", Value::Null),
            ("cluster_id", state.get("cluster_id").clone()),
            ("enabled", Value::Bool(enabled)),
            ("zone", zone),
            ("job_id", Value::Null),
            ("timeouts", Value::Null),
        ]))
    }

    async fn plan(&self, _ctx: &Context, req: PlanRequest) -> PlanResponse {
        let prior = req.prior_state.clone();
        let mut resp = plan::plan(req, self.data.default_zone());
        if !resp.planned_state.is_null()
            && let Some(d) = self.claim(&prior, &resp.planned_state)
        {
            resp.diagnostics.push(d);
        }
        // Validation runs again here: Terraform skips ValidateResourceConfig for values that
        // were unknown then and are known now.
        resp.diagnostics
            .extend(schema::validate(&resp.planned_state));
        resp
    }

    async fn apply(&self, ctx: &Context, req: ApplyRequest) -> ApplyResponse {
        match (req.prior_state.is_null(), req.planned_state.is_null()) {
            (_, true) => {
                self.delete(ctx, req.prior_state, &req.planned_private)
                    .await
            }
            (true, false) => self.create(ctx, req.planned_state).await,
            (false, false) => {
                self.update(
                    ctx,
                    req.prior_state,
                    req.planned_state,
                    &req.planned_private,
                )
                .await
            }
        }
    }

    async fn read(&self, ctx: &Context, req: ReadRequest) -> ReadResponse {
        self.refresh(ctx, req).await
    }

    async fn import(&self, _ctx: &Context, req: ImportRequest) -> ImportResponse {
        self.import_state(req)
    }
}
