//! The tfplugin6.Provider gRPC service: decodes each request into domain types, dispatches to
//! the provider or resource, and encodes the answer. Handlers run in their own task so a
//! panic becomes an error diagnostic and the plugin keeps serving.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::framework::erased::{self, Action, DataSource, ListResource, ProviderData, Resource};
use crate::framework::{self as fw, Diagnostic, Diagnostics, Value};

use super::convert;
use super::invoke;
use super::list;
use super::panic::panic_diagnostic;
use super::wire::{self, provider_server};

pub(super) struct ProviderService {
    provider: Arc<dyn fw::Provider>,
    resources: BTreeMap<&'static str, Arc<dyn Resource>>,
    data_sources: BTreeMap<&'static str, Arc<dyn DataSource>>,
    list_resources: BTreeMap<&'static str, Arc<dyn ListResource>>,
    actions: BTreeMap<&'static str, Arc<dyn Action>>,
    /// Cancelled by StopProvider; every handler's context watches it.
    stop: CancellationToken,
}

impl ProviderService {
    pub(super) fn new(provider: Arc<dyn fw::Provider>) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), r))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), d))
            .collect();
        let list_resources = provider
            .list_resources()
            .into_iter()
            .map(|l| (l.type_name(), l))
            .collect();
        let actions = provider
            .actions()
            .into_iter()
            .map(|a| (a.type_name(), a))
            .collect();
        ProviderService {
            provider,
            resources,
            data_sources,
            list_resources,
            actions,
            stop: CancellationToken::new(),
        }
    }

    fn context(&self) -> fw::Context {
        fw::Context::new(self.stop.clone(), None)
    }

    /// Hands the provider data to everything this provider serves.
    fn configure_all(&self, data: &ProviderData) -> Diagnostics {
        let mut d = Diagnostics::default();
        for r in self.resources.values() {
            d.extend(r.configure(data));
        }
        for ds in self.data_sources.values() {
            d.extend(ds.configure(data));
        }
        for l in self.list_resources.values() {
            d.extend(l.configure(data));
        }
        for a in self.actions.values() {
            d.extend(a.configure(data));
        }
        d
    }

    fn resource(&self, type_name: &str) -> Result<Arc<dyn Resource>, Diagnostics> {
        lookup(&self.resources, "resource type", type_name)
    }

    fn data_source(&self, type_name: &str) -> Result<Arc<dyn DataSource>, Diagnostics> {
        lookup(&self.data_sources, "data source", type_name)
    }

    fn list_resource(&self, type_name: &str) -> Result<Arc<dyn ListResource>, Diagnostics> {
        lookup(&self.list_resources, "list resource", type_name)
    }

    fn action(&self, type_name: &str) -> Result<Arc<dyn Action>, Diagnostics> {
        lookup(&self.actions, "action", type_name)
    }

    /// An action and its configuration, decoded in its schema's type.
    fn action_config(
        &self,
        type_name: &str,
        config: Option<&wire::DynamicValue>,
    ) -> Result<(Arc<dyn Action>, Value), Diagnostics> {
        let a = self.action(type_name)?;
        let config = convert::decode(config, &a.schema().value_type())?;
        Ok((a, config))
    }
}

fn lookup<T: ?Sized>(
    map: &BTreeMap<&'static str, Arc<T>>,
    kind: &str,
    type_name: &str,
) -> Result<Arc<T>, Diagnostics> {
    map.get(type_name).cloned().ok_or_else(|| {
        let offered = map.keys().copied().collect::<Vec<_>>().join(", ");
        Diagnostic::error(
            format!("Unknown {kind} {type_name:?}"),
            if offered.is_empty() {
                format!("This provider has no {kind}s.")
            } else {
                format!("This provider's {kind}s: {offered}.")
            },
        )
        .into()
    })
}

/// Runs a handler in its own task: a panic there becomes an error diagnostic instead of
/// taking the plugin (and the user's state update) down.
async fn guarded<T, F>(what: &'static str, fut: F) -> Result<T, Diagnostics>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::spawn(fut).await {
        Ok(v) => Ok(v),
        Err(e) => Err(panic_diagnostic(what, e.is_panic().then(|| e.into_panic())).into()),
    }
}

/// The same for quick synchronous handlers.
fn guarded_sync<T>(what: &'static str, f: impl FnOnce() -> T) -> Result<T, Diagnostics> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| panic_diagnostic(what, Some(payload)).into())
}

fn diags(d: &Diagnostics) -> Vec<wire::Diagnostic> {
    convert::diagnostics(d)
}

type RpcResult<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<wire::get_metadata::Request>,
    ) -> RpcResult<wire::get_metadata::Response> {
        Ok(Response::new(wire::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: vec![],
            data_sources: self
                .data_sources
                .keys()
                .map(|t| wire::get_metadata::DataSourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            list_resources: self
                .list_resources
                .keys()
                .map(|t| wire::get_metadata::ListResourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|t| wire::get_metadata::ResourceMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
            actions: self
                .actions
                .keys()
                .map(|t| wire::get_metadata::ActionMetadata {
                    type_name: t.to_string(),
                })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<wire::get_provider_schema::Request>,
    ) -> RpcResult<wire::get_provider_schema::Response> {
        let result = guarded_sync("GetProviderSchema", || {
            let resource_schemas = self
                .resources
                .iter()
                .map(|(t, r)| (t.to_string(), convert::schema(&r.schema())))
                .collect();
            let data_source_schemas = self
                .data_sources
                .iter()
                .map(|(t, d)| (t.to_string(), convert::schema(&d.schema())))
                .collect();
            let list_resource_schemas = self
                .list_resources
                .iter()
                .map(|(t, l)| (t.to_string(), convert::schema(&l.schema())))
                .collect();
            let action_schemas = self
                .actions
                .iter()
                .map(|(t, a)| (t.to_string(), convert::action_schema(&a.schema())))
                .collect();
            (
                convert::schema(&self.provider.schema()),
                resource_schemas,
                data_source_schemas,
                (list_resource_schemas, action_schemas),
            )
        });
        Ok(Response::new(match result {
            Ok((
                provider,
                resource_schemas,
                data_source_schemas,
                (list_resource_schemas, action_schemas),
            )) => wire::get_provider_schema::Response {
                provider: Some(provider),
                resource_schemas,
                data_source_schemas,
                list_resource_schemas,
                action_schemas,
                server_capabilities: Some(capabilities()),
                ..Default::default()
            },
            Err(d) => wire::get_provider_schema::Response {
                diagnostics: diags(&d),
                ..Default::default()
            },
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<wire::validate_provider_config::Request>,
    ) -> RpcResult<wire::validate_provider_config::Response> {
        let req = req.into_inner();
        let provider = self.provider.clone();
        let d = match convert::decode(req.config.as_ref(), &provider.schema().value_type()) {
            Ok(config) => guarded_sync("ValidateProviderConfig", || {
                provider.validate_config(&config)
            })
            .unwrap_or_else(|d| d),
            Err(d) => d.into(),
        };
        Ok(Response::new(wire::validate_provider_config::Response {
            diagnostics: diags(&d),
        }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<wire::validate_resource_config::Request>,
    ) -> RpcResult<wire::validate_resource_config::Response> {
        let req = req.into_inner();
        let d = (|| {
            let r = self.resource(&req.type_name)?;
            let config = convert::decode(req.config.as_ref(), &r.schema().value_type())?;
            let mut d = r.schema().null_required(&config);
            d.extend(guarded_sync("ValidateResourceConfig", || {
                r.validate(&config)
            })?);
            Ok(d)
        })()
        .unwrap_or_else(|d| d);
        Ok(Response::new(wire::validate_resource_config::Response {
            diagnostics: diags(&d),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<wire::validate_data_resource_config::Request>,
    ) -> RpcResult<wire::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let d = (|| {
            let ds = self.data_source(&req.type_name)?;
            let config = convert::decode(req.config.as_ref(), &ds.schema().value_type())?;
            let mut d = ds.schema().null_required(&config);
            d.extend(guarded_sync("ValidateDataResourceConfig", || {
                ds.validate(&config)
            })?);
            Ok(d)
        })()
        .unwrap_or_else(|d| d);
        Ok(Response::new(
            wire::validate_data_resource_config::Response {
                diagnostics: diags(&d),
            },
        ))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<wire::upgrade_resource_state::Request>,
    ) -> RpcResult<wire::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let result = (|| {
            let r = self.resource(&req.type_name)?;
            let ty = r.schema().value_type();
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() && !raw.flatmap.is_empty() {
                return Err(Diagnostic::error(
                    "State too old to upgrade",
                    "This state was written in Terraform 0.11's flatmap format, which this \
                     provider never wrote. Remove it with `terraform state rm` and import again.",
                )
                .into());
            }
            let state = fw::json::decode(&raw.json, &ty).map_err(|e| {
                Diagnostic::error(
                    "Stored state cannot be read",
                    format!(
                        "The state of this {} does not match its schema: {e}",
                        req.type_name
                    ),
                )
            })?;
            let upgraded = guarded_sync("UpgradeResourceState", || {
                r.upgrade_state(req.version, state)
            })??;
            Ok(convert::encode(&upgraded, &ty)?)
        })();
        Ok(Response::new(match result {
            Ok(v) => wire::upgrade_resource_state::Response {
                upgraded_state: Some(v),
                diagnostics: vec![],
            },
            Err(d) => wire::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: diags(&d),
            },
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<wire::get_resource_identity_schemas::Request>,
    ) -> RpcResult<wire::get_resource_identity_schemas::Response> {
        Ok(Response::new(
            wire::get_resource_identity_schemas::Response {
                identity_schemas: self
                    .resources
                    .iter()
                    .filter_map(|(t, r)| {
                        r.identity_schema()
                            .map(|s| (t.to_string(), convert::identity_schema(&s)))
                    })
                    .collect(),
                diagnostics: vec![],
            },
        ))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<wire::upgrade_resource_identity::Request>,
    ) -> RpcResult<wire::upgrade_resource_identity::Response> {
        let req = req.into_inner();
        let result = (|| {
            let r = self.resource(&req.type_name)?;
            let schema = r.identity_schema().ok_or_else(|| {
                Diagnostic::error(
                    "Resource has no identity",
                    format!("{} does not define a resource identity.", req.type_name),
                )
            })?;
            let ty = schema.value_type();
            let raw = req.raw_identity.unwrap_or_default();
            let identity = fw::json::decode(&raw.json, &ty)
                .map_err(|e| Diagnostic::error("Stored identity cannot be read", e.to_string()))?;
            Ok::<_, Diagnostics>(convert::identity_data(&identity, &ty)?)
        })();
        Ok(Response::new(match result {
            Ok(v) => wire::upgrade_resource_identity::Response {
                upgraded_identity: Some(v),
                diagnostics: vec![],
            },
            Err(d) => wire::upgrade_resource_identity::Response {
                upgraded_identity: None,
                diagnostics: diags(&d),
            },
        }))
    }

    async fn configure_provider(
        &self,
        req: Request<wire::configure_provider::Request>,
    ) -> RpcResult<wire::configure_provider::Response> {
        let req = req.into_inner();
        let provider = self.provider.clone();
        let d = match convert::decode(req.config.as_ref(), &provider.schema().value_type()) {
            Ok(config) => match guarded("ConfigureProvider", async move {
                provider.configure(&req.terraform_version, config).await
            })
            .await
            {
                Ok(fw::ConfigureResponse {
                    mut diagnostics,
                    data,
                }) => {
                    if let Some(data) = data {
                        diagnostics.extend(self.configure_all(&data));
                    }
                    diagnostics
                }
                Err(d) => d,
            },
            Err(d) => d.into(),
        };
        Ok(Response::new(wire::configure_provider::Response {
            diagnostics: diags(&d),
        }))
    }

    async fn read_resource(
        &self,
        req: Request<wire::read_resource::Request>,
    ) -> RpcResult<wire::read_resource::Response> {
        let req = req.into_inner();
        let ctx = self.context();
        let result: Result<_, Diagnostics> = async {
            let r = self.resource(&req.type_name)?;
            let ty = r.schema().value_type();
            let current_state = convert::decode(req.current_state.as_ref(), &ty)?;
            tracing::debug!(type_name = %req.type_name, "ReadResource");
            let private = req.private;
            let resp = guarded("ReadResource", {
                let r = r.clone();
                async move {
                    r.read(
                        &ctx,
                        erased::ReadRequest {
                            current_state,
                            private,
                        },
                    )
                    .await
                }
            })
            .await?;
            let new_state = convert::encode(&resp.state, &ty)?;
            let new_identity = identity(&*r, resp.identity.as_ref())?;
            Ok(wire::read_resource::Response {
                new_state: Some(new_state),
                diagnostics: diags(&resp.diagnostics),
                private: resp.private,
                deferred: None,
                new_identity,
            })
        }
        .await;
        Ok(Response::new(result.unwrap_or_else(|d| {
            wire::read_resource::Response {
                diagnostics: diags(&d),
                ..Default::default()
            }
        })))
    }

    async fn plan_resource_change(
        &self,
        req: Request<wire::plan_resource_change::Request>,
    ) -> RpcResult<wire::plan_resource_change::Response> {
        let req = req.into_inner();
        let ctx = self.context();
        let result: Result<_, Diagnostics> = async {
            let r = self.resource(&req.type_name)?;
            let ty = r.schema().value_type();
            let plan_req = erased::PlanRequest {
                prior_state: convert::decode(req.prior_state.as_ref(), &ty)?,
                proposed_new_state: convert::decode(req.proposed_new_state.as_ref(), &ty)?,
                config: convert::decode(req.config.as_ref(), &ty)?,
                prior_private: req.prior_private,
            };
            // Values unknown at validate may have turned out null; refuse before planning.
            if !plan_req.proposed_new_state.is_null() {
                let nulls = r.schema().null_required(&plan_req.config);
                if nulls.has_errors() {
                    return Err(nulls);
                }
            }
            let resp = guarded("PlanResourceChange", {
                let r = r.clone();
                async move { r.plan(&ctx, plan_req).await }
            })
            .await?;
            let planned_state = convert::encode(&resp.planned_state, &ty)?;
            let planned_identity = identity(&*r, resp.planned_identity.as_ref())?;
            Ok(wire::plan_resource_change::Response {
                planned_state: Some(planned_state),
                requires_replace: resp.requires_replace.iter().map(convert::path).collect(),
                planned_private: resp.planned_private,
                diagnostics: diags(&resp.diagnostics),
                deferred: None,
                planned_identity,
            })
        }
        .await;
        Ok(Response::new(result.unwrap_or_else(|d| {
            wire::plan_resource_change::Response {
                diagnostics: diags(&d),
                ..Default::default()
            }
        })))
    }

    async fn apply_resource_change(
        &self,
        req: Request<wire::apply_resource_change::Request>,
    ) -> RpcResult<wire::apply_resource_change::Response> {
        let req = req.into_inner();
        let ctx = self.context();
        let result: Result<_, Diagnostics> = async {
            let r = self.resource(&req.type_name)?;
            let ty = r.schema().value_type();
            let prior_state = convert::decode(req.prior_state.as_ref(), &ty)?;
            let planned_state = convert::decode(req.planned_state.as_ref(), &ty)?;
            let config = convert::decode(req.config.as_ref(), &ty)?;
            let planned_private = req.planned_private;
            // Nothing existed and nothing is planned: there is nothing to do.
            if prior_state.is_null() && planned_state.is_null() {
                return Ok(wire::apply_resource_change::Response::default());
            }
            let resp = guarded("ApplyResourceChange", {
                let r = r.clone();
                let prior_state = prior_state.clone();
                async move {
                    if planned_state.is_null() {
                        let req = erased::DeleteRequest {
                            prior_state,
                            planned_private,
                        };
                        r.delete(&ctx, req).await
                    } else if prior_state.is_null() {
                        let req = erased::CreateRequest {
                            planned_state,
                            config,
                            planned_private,
                        };
                        r.create(&ctx, req).await
                    } else {
                        let req = erased::UpdateRequest {
                            prior_state,
                            planned_state,
                            config,
                            planned_private,
                        };
                        r.update(&ctx, req).await
                    }
                }
            })
            .await
            // A crash must not lose what exists: answer with the prior state, which is
            // what the object was before this apply began.
            .map_err(|d| (d, convert::encode(&prior_state, &ty).ok()));
            match resp {
                Ok(resp) => {
                    let new_state = convert::encode(&resp.state, &ty)?;
                    let new_identity = identity(&*r, resp.identity.as_ref())?;
                    Ok(wire::apply_resource_change::Response {
                        new_state: Some(new_state),
                        private: resp.private,
                        diagnostics: diags(&resp.diagnostics),
                        new_identity,
                    })
                }
                Err((d, prior)) => Ok(wire::apply_resource_change::Response {
                    new_state: prior,
                    diagnostics: diags(&d),
                    ..Default::default()
                }),
            }
        }
        .await;
        Ok(Response::new(result.unwrap_or_else(|d| {
            wire::apply_resource_change::Response {
                diagnostics: diags(&d),
                ..Default::default()
            }
        })))
    }

    async fn import_resource_state(
        &self,
        req: Request<wire::import_resource_state::Request>,
    ) -> RpcResult<wire::import_resource_state::Response> {
        let req = req.into_inner();
        let ctx = self.context();
        let result: Result<_, Diagnostics> = async {
            let r = self.resource(&req.type_name)?;
            let ty = r.schema().value_type();
            let given_identity = match (r.identity_schema(), req.identity.as_ref()) {
                (Some(s), Some(data)) => Some(convert::decode(
                    data.identity_data.as_ref(),
                    &s.value_type(),
                )?),
                _ => None,
            };
            let import_req = erased::ImportRequest {
                id: req.id,
                identity: given_identity,
            };
            let resp = guarded("ImportResourceState", {
                let r = r.clone();
                async move { r.import(&ctx, import_req).await }
            })
            .await?;
            if resp.diagnostics.has_errors() {
                return Ok(wire::import_resource_state::Response {
                    diagnostics: diags(&resp.diagnostics),
                    ..Default::default()
                });
            }
            Ok(wire::import_resource_state::Response {
                imported_resources: vec![wire::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(convert::encode(&resp.state, &ty)?),
                    private: resp.private,
                    identity: identity(&*r, resp.identity.as_ref())?,
                }],
                diagnostics: diags(&resp.diagnostics),
                deferred: None,
            })
        }
        .await;
        Ok(Response::new(result.unwrap_or_else(|d| {
            wire::import_resource_state::Response {
                diagnostics: diags(&d),
                ..Default::default()
            }
        })))
    }

    async fn read_data_source(
        &self,
        req: Request<wire::read_data_source::Request>,
    ) -> RpcResult<wire::read_data_source::Response> {
        let req = req.into_inner();
        let ctx = self.context();
        let result: Result<_, Diagnostics> = async {
            let ds = self.data_source(&req.type_name)?;
            let ty = ds.schema().value_type();
            let config = convert::decode(req.config.as_ref(), &ty)?;
            let nulls = ds.schema().null_required(&config);
            if nulls.has_errors() {
                return Err(nulls);
            }
            let resp = guarded("ReadDataSource", {
                let ds = ds.clone();
                async move { ds.read(&ctx, config).await }
            })
            .await?;
            if resp.diagnostics.has_errors() {
                return Err(resp.diagnostics);
            }
            Ok(wire::read_data_source::Response {
                state: Some(convert::encode(&resp.state, &ty)?),
                diagnostics: diags(&resp.diagnostics),
                deferred: None,
            })
        }
        .await;
        Ok(Response::new(result.unwrap_or_else(|d| {
            wire::read_data_source::Response {
                diagnostics: diags(&d),
                ..Default::default()
            }
        })))
    }

    async fn generate_resource_config(
        &self,
        req: Request<wire::generate_resource_config::Request>,
    ) -> RpcResult<wire::generate_resource_config::Response> {
        let req = req.into_inner();
        let result: Result<_, Diagnostics> = (|| {
            let r = self.resource(&req.type_name)?;
            let ty = r.schema().value_type();
            let state = convert::decode(req.state.as_ref(), &ty)?;
            let ctx = self.context();
            let config =
                guarded_sync("GenerateResourceConfig", || r.generate_config(&ctx, &state))??;
            Ok(convert::encode(&config, &ty)?)
        })();
        Ok(Response::new(match result {
            Ok(config) => wire::generate_resource_config::Response {
                config: Some(config),
                diagnostics: vec![],
            },
            Err(d) => wire::generate_resource_config::Response {
                config: None,
                diagnostics: diags(&d),
            },
        }))
    }

    type ListResourceStream = list::EventStream;

    async fn list_resource(
        &self,
        req: Request<wire::list_resource::Request>,
    ) -> RpcResult<Self::ListResourceStream> {
        let req = req.into_inner();
        let started = (|| {
            let lister = self.list_resource(&req.type_name)?;
            let resource = self.resource(&req.type_name)?;
            let config = convert::decode(req.config.as_ref(), &lister.schema().value_type())?;
            Ok::<_, Diagnostics>((lister, resource, config))
        })();
        Ok(Response::new(match started {
            Ok((lister, resource, config)) => list::stream(
                lister,
                resource,
                self.context(),
                erased::ListRequest {
                    config,
                    include_resource_object: req.include_resource_object,
                    limit: req.limit,
                },
            ),
            Err(d) => list::failed(d),
        }))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<wire::validate_list_resource_config::Request>,
    ) -> RpcResult<wire::validate_list_resource_config::Response> {
        let req = req.into_inner();
        let d = (|| {
            let l = self.list_resource(&req.type_name)?;
            let config = convert::decode(req.config.as_ref(), &l.schema().value_type())?;
            let mut d = l.schema().null_required(&config);
            d.extend(guarded_sync("ValidateListResourceConfig", || {
                l.validate(&config)
            })?);
            Ok(d)
        })()
        .unwrap_or_else(|d: Diagnostics| d);
        Ok(Response::new(
            wire::validate_list_resource_config::Response {
                diagnostics: diags(&d),
            },
        ))
    }

    async fn validate_action_config(
        &self,
        req: Request<wire::validate_action_config::Request>,
    ) -> RpcResult<wire::validate_action_config::Response> {
        let req = req.into_inner();
        let d = (|| {
            let (a, config) = self.action_config(&req.type_name, req.config.as_ref())?;
            let mut d = a.schema().null_required(&config);
            d.extend(guarded_sync("ValidateActionConfig", || {
                a.validate(&config)
            })?);
            Ok(d)
        })()
        .unwrap_or_else(|d: Diagnostics| d);
        Ok(Response::new(wire::validate_action_config::Response {
            diagnostics: diags(&d),
        }))
    }

    async fn plan_action(
        &self,
        req: Request<wire::plan_action::Request>,
    ) -> RpcResult<wire::plan_action::Response> {
        let req = req.into_inner();
        let ctx = self.context();
        let result: Result<_, Diagnostics> = async {
            let (a, config) = self.action_config(&req.action_type, req.config.as_ref())?;
            // Values unknown at validate may have turned out null.
            let nulls = a.schema().null_required(&config);
            if nulls.has_errors() {
                return Err(nulls);
            }
            guarded("PlanAction", async move { a.plan(&ctx, config).await }).await
        }
        .await;
        Ok(Response::new(wire::plan_action::Response {
            diagnostics: diags(&result.unwrap_or_else(|d| d)),
            deferred: None,
        }))
    }

    type InvokeActionStream = invoke::EventStream;

    async fn invoke_action(
        &self,
        req: Request<wire::invoke_action::Request>,
    ) -> RpcResult<Self::InvokeActionStream> {
        let req = req.into_inner();
        let started = self
            .action_config(&req.action_type, req.config.as_ref())
            .and_then(|(a, config)| {
                let nulls = a.schema().null_required(&config);
                if nulls.has_errors() {
                    return Err(nulls);
                }
                if !config.is_wholly_known() {
                    return Err(Diagnostic::error(
                        "Action configuration not known",
                        "Terraform invoked the action with values known only after apply. \
                         This is a bug in Terraform or the provider; please report it.",
                    )
                    .into());
                }
                Ok((a, config))
            });
        Ok(Response::new(match started {
            Ok((a, config)) => invoke::stream(a, self.context(), config),
            Err(d) => invoke::failed(d),
        }))
    }

    async fn stop_provider(
        &self,
        _: Request<wire::stop_provider::Request>,
    ) -> RpcResult<wire::stop_provider::Response> {
        // Cancels in-flight work (waits end promptly with an error naming their job); the
        // server keeps serving so those handlers can still answer.
        tracing::info!("StopProvider: cancelling in-flight operations");
        self.stop.cancel();
        Ok(Response::new(wire::stop_provider::Response {
            error: String::new(),
        }))
    }
}

fn capabilities() -> wire::ServerCapabilities {
    wire::ServerCapabilities {
        // Destroying this provider's resources has effects worth a plan-time warning.
        plan_destroy: true,
        // GetMetadata is served, so Terraform may reuse one instance's schema for the next
        // instances it starts in the same command instead of asking each again.
        get_provider_schema_optional: true,
        move_resource_state: false,
        // Generated configuration (`terraform query -generate-config-out`) should be what a
        // person would write: Terraform's own derivation from the state keeps defaults.
        generate_resource_config: true,
    }
}

fn identity(
    r: &dyn Resource,
    value: Option<&Value>,
) -> Result<Option<wire::ResourceIdentityData>, Diagnostic> {
    match (r.identity_schema(), value) {
        (Some(schema), Some(v)) if !v.is_null() => {
            Ok(Some(convert::identity_data(v, &schema.value_type())?))
        }
        _ => Ok(None),
    }
}
