//! The provider's actions (Terraform 1.14+), one module each; `services` is the table of
//! MySQL Plus custom services they run.

mod mysqlplus_custom_service;
mod services;

use std::sync::Arc;

use tfplugin::framework::erased::{self, Action};

pub(crate) fn all() -> Vec<Arc<dyn Action>> {
    vec![erased::action(
        mysqlplus_custom_service::MysqlPlusCustomService,
    )]
}
