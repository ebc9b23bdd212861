//! The contract of a data source: read-only, from its configuration to a state, every run.

use async_trait::async_trait;

use super::context::Context;
use super::diagnostics::Diagnostics;
use super::model::Model;
use super::schema::Schema;

pub struct DataReadResponse<D: DataSource> {
    /// The configuration with every computed attribute filled in; None only with an error.
    pub state: Option<D::Model>,
    pub diagnostics: Diagnostics,
}

impl<D: DataSource> Default for DataReadResponse<D> {
    fn default() -> Self {
        DataReadResponse {
            state: None,
            diagnostics: Diagnostics::default(),
        }
    }
}

#[async_trait]
pub trait DataSource: Send + Sync + Sized + 'static {
    /// The object of `schema()` (see `model!`).
    type Model: Model;
    /// What the provider's configure hands its data sources (`Context::data`).
    type Data: Send + Sync + 'static;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Offline checks of a configuration (values may be unknown). No network.
    fn validate(&self, _config: &Self::Model) -> Diagnostics {
        Diagnostics::default()
    }

    /// Reads with a wholly known configuration: Terraform defers a data source whose
    /// configuration holds unknowns to apply time and does not call this at plan.
    async fn read(&self, ctx: &Context<Self::Data>, config: Self::Model) -> DataReadResponse<Self>;
}
