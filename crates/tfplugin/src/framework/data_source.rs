//! The contract of a data source: read-only, from its configuration to a state, every run.

use async_trait::async_trait;

use super::diagnostics::Diagnostics;
use super::resource::Context;
use super::schema::Schema;
use super::value::Value;

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

    /// Offline checks of a configuration (values may be unknown). No network.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::default()
    }

    /// Reads with a wholly known configuration: Terraform defers a data source whose
    /// configuration holds unknowns to apply time and does not call this at plan.
    async fn read(&self, ctx: &Context, config: Value) -> DataReadResponse;
}
