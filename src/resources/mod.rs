//! The provider's resources, one module each.

pub mod mysqlplus_ssl;

use std::sync::Arc;

use crate::provider::ProviderData;
use tfplugin::framework::{ListResource, Resource};

pub fn all(data: Arc<ProviderData>) -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(mysqlplus_ssl::MysqlPlusSsl::new(data))]
}

pub fn list_resources(data: Arc<ProviderData>) -> Vec<Arc<dyn ListResource>> {
    vec![Arc::new(mysqlplus_ssl::MysqlPlusSslList::new(data))]
}
