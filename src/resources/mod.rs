//! The provider's resources, one module each.

pub mod mysqlplus_ssl;

use std::sync::Arc;

use crate::framework::Resource;
use crate::provider::ProviderData;

pub fn all(data: Arc<ProviderData>) -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(mysqlplus_ssl::MysqlPlusSsl::new(data))]
}
