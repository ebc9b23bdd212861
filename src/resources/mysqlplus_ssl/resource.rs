//! The resource's entry points: each request goes to the module that handles it.

use async_trait::async_trait;

use crate::provider_data::{Ctx, ProviderData};
use tfplugin::framework::{
    self as fw, ApplyResponse, Attr, CreateRequest, DeleteRequest, Diagnostic, Diagnostics,
    ImportRequest, ImportResponse, PlanRequest, PlanResponse, ReadRequest, ReadResponse,
    UpdateRequest,
};
use tfplugin::path;

use super::kind::MysqlPlusSsl;
use super::model::{Identity, Ssl};
use super::private::Private;
use super::schema::{self, TYPE_NAME, Target};
use super::{apply, plan, read};

impl MysqlPlusSsl {
    /// An error when another resource instance of this run manages the same cluster.
    fn claim(&self, prior: Option<&Ssl>, planned: &Ssl) -> Option<Diagnostic> {
        let target = Target::of(planned, None).ok()?;
        let enabled = planned.enabled.as_bool();
        let conflict =
            self.claims
                .claim(&target.zone, &target.cluster_id, prior.is_some(), enabled)?;
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
            .at(path!(Ssl.cluster_id)),
        )
    }
}

#[async_trait]
impl fw::Resource for MysqlPlusSsl {
    type Model = Ssl;
    type Identity = Identity;
    type Private = Private;
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> fw::Schema {
        schema::schema()
    }

    fn identity_schema(&self) -> Option<fw::IdentitySchema> {
        Some(schema::identity_schema())
    }

    fn identity(&self, state: &Ssl) -> Option<Identity> {
        let target = Target::of(state, None).ok()?;
        Some(Identity::of(&target.cluster_id, &target.zone))
    }

    fn validate(&self, config: &Ssl) -> Diagnostics {
        schema::validate(config)
    }

    /// What a person would write: the cluster and the setting, the zone only where it is
    /// not the provider's, nothing computed.
    fn generate_config(&self, ctx: &Ctx, state: Ssl) -> Result<Ssl, Diagnostics> {
        let Some(enabled) = state.enabled.as_bool() else {
            return Err(Diagnostic::error(
                "Cannot generate configuration",
                format!(
                    "The {TYPE_NAME} state of cluster {} has no known `enabled`.",
                    state.cluster_id.as_str().unwrap_or("(unknown)")
                ),
            )
            .into());
        };
        let zone = match (state.zone, ProviderData::default_zone(ctx)) {
            (Attr::Known(zone), Some(default)) if zone == default => Attr::Null,
            (Attr::Known(zone), _) => Attr::Known(zone),
            _ => Attr::Null,
        };
        Ok(Ssl {
            cluster_id: state.cluster_id,
            enabled: Attr::Known(enabled),
            zone,
            ..Ssl::default()
        })
    }

    async fn plan(&self, ctx: &Ctx, req: PlanRequest<Self>) -> PlanResponse<Self> {
        let prior = req.prior.clone();
        let mut resp = plan::plan(req, ProviderData::default_zone(ctx));
        if let Some(planned) = &resp.planned {
            if let Some(d) = self.claim(prior.as_ref(), planned) {
                resp.diagnostics.push(d);
            }
            // Validation runs again here: Terraform skips ValidateResourceConfig for values
            // that were unknown then and are known now.
            resp.diagnostics.extend(schema::validate(planned));
        }
        resp
    }

    async fn create(&self, ctx: &Ctx, req: CreateRequest<Self>) -> ApplyResponse<Self> {
        apply::create(ctx, req.planned).await
    }

    async fn update(&self, ctx: &Ctx, req: UpdateRequest<Self>) -> ApplyResponse<Self> {
        apply::update(ctx, req.prior, req.planned, req.private).await
    }

    async fn delete(&self, ctx: &Ctx, req: DeleteRequest<Self>) -> ApplyResponse<Self> {
        apply::delete(ctx, req.prior, req.private).await
    }

    async fn read(&self, ctx: &Ctx, req: ReadRequest<Self>) -> ReadResponse<Self> {
        read::refresh(ctx, req).await
    }

    async fn import(&self, ctx: &Ctx, req: ImportRequest<Self>) -> ImportResponse<Self> {
        read::import(ctx, req)
    }
}
