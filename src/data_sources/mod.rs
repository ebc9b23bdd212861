//! The provider's data sources, one module each.

pub mod mysqlplus_ssl;

use std::sync::Arc;

use crate::provider::ProviderData;
use tfplugin::framework::DataSource;

pub fn all(data: Arc<ProviderData>) -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(mysqlplus_ssl::MysqlPlusSslData::new(data))]
}
