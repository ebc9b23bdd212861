//! The `qingcloud` provider: its block, configuration (credentials chain -> one API client
//! shared by every request of this plugin process), and the list of resources.

mod model;
mod schema;

use std::sync::Arc;

use async_trait::async_trait;

use crate::provider_data::ProviderData;
use crate::{actions, data_sources, resources};
use model::Config;
use qingcloud::{self, Client, HistoryPolicy};
use tfplugin::framework::erased;
use tfplugin::framework::{self as fw, Attr, AttributePath, Diagnostic, Diagnostics, Model, Value};

#[derive(Default)]
pub struct QingCloudProvider;

impl QingCloudProvider {
    pub fn new() -> Self {
        QingCloudProvider
    }
}

/// What the plugin host says about this provider: its name in logs and socket names, its
/// Registry address for --debug, and the crates whose logs follow TF_LOG.
pub const PLUGIN: tfplugin::plugin::Identity = tfplugin::plugin::Identity {
    name: "qingcloud",
    address: "registry.terraform.io/qingcloud/qingcloud",
    binary: "terraform-provider-qingcloud",
    log_targets: &["terraform_provider_qingcloud", "qingcloud"],
};

/// The routes the plugin host serves: this provider over protocol 6.
pub fn routes() -> tonic::service::Routes {
    tfplugin::protocol::routes(Arc::new(QingCloudProvider::new()))
}

/// An unknown value (from a resource not yet created) counts as unset here; Terraform only
/// configures with unknowns during plan, where falling back is the useful answer.
fn setting(value: &Attr<String>) -> Option<String> {
    value.as_str().map(str::to_string)
}

#[async_trait]
impl fw::Provider for QingCloudProvider {
    fn schema(&self) -> fw::Schema {
        schema::schema()
    }

    fn validate_config(&self, config: &Value) -> Diagnostics {
        schema::validate(config)
    }

    async fn configure(&self, _terraform_version: &str, config: Value) -> fw::ConfigureResponse {
        let config = match Config::from_value(&config) {
            Ok(config) => config,
            Err(diagnostics) => {
                return fw::ConfigureResponse {
                    diagnostics,
                    data: None,
                };
            }
        };
        let mut diags = schema::validate_config(&config);
        if diags.has_errors() {
            return fw::ConfigureResponse {
                diagnostics: diags,
                data: None,
            };
        }
        let settings = qingcloud::ProviderSettings {
            access_key: setting(&config.access_key),
            secret_key: setting(&config.secret_key),
            zone: setting(&config.zone),
            endpoint: setting(&config.endpoint),
        };
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let result = qingcloud::resolve(&settings, &|k| std::env::var(k).ok(), home.as_deref())
            .map(Client::new);
        let data = match result {
            Ok(client) => {
                tracing::debug!(zone = client.default_zone(), "provider configured");
                let history = match schema::job_history_limit(&config) {
                    Ok(Some(jobs)) => HistoryPolicy::with_max_jobs(jobs),
                    _ => HistoryPolicy::default(),
                };
                let data: erased::ProviderData = Arc::new(ProviderData { client, history });
                Some(data)
            }
            Err(e) => {
                let d =
                    Diagnostic::error("Invalid QingCloud provider configuration", e.to_string());
                diags.push(match e.attribute() {
                    Some(a) => d.at(AttributePath::root(a)),
                    None => d,
                });
                None
            }
        };
        fw::ConfigureResponse {
            diagnostics: diags,
            data,
        }
    }

    fn resources(&self) -> Vec<Arc<dyn erased::Resource>> {
        resources::all()
    }

    fn data_sources(&self) -> Vec<Arc<dyn erased::DataSource>> {
        data_sources::all()
    }

    fn list_resources(&self) -> Vec<Arc<dyn erased::ListResource>> {
        resources::list_resources()
    }

    fn actions(&self) -> Vec<Arc<dyn erased::Action>> {
        actions::all()
    }
}
