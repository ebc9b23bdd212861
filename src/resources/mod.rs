//! The provider's resources, one module each.

pub mod mysqlplus_ssl;

use std::sync::Arc;

use crate::framework::{ListResource, Resource};
use crate::provider::ProviderData;

pub fn all(data: Arc<ProviderData>) -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(mysqlplus_ssl::MysqlPlusSsl::new(data))]
}

pub fn list_resources(data: Arc<ProviderData>) -> Vec<Arc<dyn ListResource>> {
    vec![Arc::new(mysqlplus_ssl::MysqlPlusSslList::new(data))]
}
