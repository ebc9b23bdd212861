//! The provider's resources, one module each, with their list resources.

pub(crate) mod mysqlplus_ssl;

use std::sync::Arc;

use tfplugin::framework::erased::{self, ListResource, Resource};

pub(crate) fn all() -> Vec<Arc<dyn Resource>> {
    vec![erased::resource(mysqlplus_ssl::MysqlPlusSsl::default())]
}

pub(crate) fn list_resources() -> Vec<Arc<dyn ListResource>> {
    vec![erased::list_resource(mysqlplus_ssl::MysqlPlusSslList)]
}
