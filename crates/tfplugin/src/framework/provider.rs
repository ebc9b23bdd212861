//! The contract of the provider itself: its block, its configuration, and what it serves.

use std::sync::Arc;

use async_trait::async_trait;

use super::diagnostics::Diagnostics;
use super::erased::{Action, DataSource, ListResource, ProviderData, Resource};
use super::schema::Schema;
use super::value::Value;

#[derive(Default)]
pub struct ConfigureResponse {
    pub diagnostics: Diagnostics,
    /// Handed to every resource, data source, list resource and action (their
    /// `Context::data`); None when configuration failed.
    pub data: Option<ProviderData>,
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn schema(&self) -> Schema;

    /// Offline checks of the provider block (values may be unknown).
    fn validate_config(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    async fn configure(&self, terraform_version: &str, config: Value) -> ConfigureResponse;

    /// Each made with `erased::resource`.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    /// Each made with `erased::data_source`.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    /// Each made with `erased::list_resource` and named like the managed resource (with an
    /// identity) whose objects it lists.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }

    /// Each made with `erased::action` (Terraform 1.14+; older versions ignore them).
    fn actions(&self) -> Vec<Arc<dyn Action>> {
        Vec::new()
    }
}
