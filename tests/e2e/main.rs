//! The provider's integration tests, one binary: the plugin host as Terraform starts it, and
//! end-to-end runs of the real Terraform CLI against the provider and `qingcloud-sim`.
//! The harness is in `support/`.

mod support;

mod actions;
mod chaos;
mod data_source;
mod docs;
mod honest_reading;
mod mysqlplus_ssl;
mod plugin;
mod plugin_host;
mod query;
mod release;
mod release_platforms;
mod release_windows;
mod release_workflows;
mod restart_safety;
mod sim_helpers;
mod smoke;
mod transport;
