//! The provider's data sources, one module each.

mod mysqlplus_ssl;

use std::sync::Arc;

use tfplugin::framework::erased::{self, DataSource};

pub(crate) fn all() -> Vec<Arc<dyn DataSource>> {
    vec![erased::data_source(mysqlplus_ssl::MysqlPlusSslData)]
}
