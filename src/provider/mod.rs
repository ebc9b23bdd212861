//! The `qingcloud` provider: its block, configuration (credentials chain -> one API client
//! shared by every request of this plugin process), and the list of resources.

mod schema;

use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use qingcloud::ssl::HistoryPolicy;
use qingcloud::{self, Client};
use tfplugin::framework::{self as fw, AttributePath, Diagnostic, Diagnostics, Value};


/// What resources need from the configured provider.
#[derive(Default)]
pub struct ProviderData {
    client: RwLock<Option<Client>>,
    history: RwLock<HistoryPolicy>,
}

impl ProviderData {
    /// The API client, or an error diagnostic when ConfigureProvider has not succeeded.
    pub fn client(&self) -> Result<Client, Diagnostic> {
        let guard = self.client.read().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The qingcloud provider has no working configuration; see the earlier error \
                 about its credentials.",
            )
        })
    }

    /// The zone resources use when they do not set one; None before configuration.
    pub fn default_zone(&self) -> Option<String> {
        let guard = self.client.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|c| c.default_zone().to_string())
    }

    /// How far readings of a cluster's job history may go.
    pub fn history(&self) -> HistoryPolicy {
        *self.history.read().unwrap_or_else(|p| p.into_inner())
    }

    fn set_client(&self, client: Client, history: HistoryPolicy) {
        *self.client.write().unwrap_or_else(|p| p.into_inner()) = Some(client);
        *self.history.write().unwrap_or_else(|p| p.into_inner()) = history;
    }
}

pub struct QingCloudProvider {
    data: Arc<ProviderData>,
}

impl QingCloudProvider {
    pub fn new() -> Self {
        QingCloudProvider {
            data: Arc::new(ProviderData::default()),
        }
    }
}

impl Default for QingCloudProvider {
    fn default() -> Self {
        Self::new()
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

fn string_setting(config: &Value, name: &str) -> Option<String> {
    // An unknown value (from a resource not yet created) counts as unset here; Terraform
    // only configures with unknowns during plan, where falling back is the useful answer.
    config.get(name).as_str().map(str::to_string)
}

#[async_trait]
impl fw::Provider for QingCloudProvider {
    fn schema(&self) -> fw::Schema {
        schema::schema()
    }

    fn validate_config(&self, config: &Value) -> Diagnostics {
        schema::validate(config)
    }

    async fn configure(&self, _terraform_version: &str, config: Value) -> Diagnostics {
        let mut diags = schema::validate(&config);
        if diags.has_errors() {
            return diags;
        }
        let settings = qingcloud::ProviderSettings {
            access_key: string_setting(&config, "access_key"),
            secret_key: string_setting(&config, "secret_key"),
            zone: string_setting(&config, "zone"),
            endpoint: string_setting(&config, "endpoint"),
        };
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let result = qingcloud::resolve(&settings, &|k| std::env::var(k).ok(), home.as_deref())
            .map(Client::new);
        match result {
            Ok(client) => {
                tracing::debug!(zone = client.default_zone(), "provider configured");
                let history = match schema::job_history_limit(&config) {
                    Ok(Some(jobs)) => HistoryPolicy::with_max_jobs(jobs),
                    _ => HistoryPolicy::default(),
                };
                self.data.set_client(client, history);
            }
            Err(e) => {
                let d =
                    Diagnostic::error("Invalid QingCloud provider configuration", e.to_string());
                diags.push(match e.attribute() {
                    Some(a) => d.at(AttributePath::root(a)),
                    None => d,
                });
            }
        }
        diags
    }

    fn resources(&self) -> Vec<Arc<dyn fw::Resource>> {
        crate::resources::all(self.data.clone())
    }

    fn data_sources(&self) -> Vec<Arc<dyn fw::DataSource>> {
        crate::data_sources::all(self.data.clone())
    }

    fn list_resources(&self) -> Vec<Arc<dyn fw::ListResource>> {
        crate::resources::list_resources(self.data.clone())
    }
}
