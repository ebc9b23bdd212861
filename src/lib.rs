//! terraform-provider-qingcloud: a Terraform provider (plugin protocol 6) for QingCloud.
//!
//! This crate is the provider itself: the `qingcloud` block (`provider`), its resources, data
//! sources, list resources and actions. It stands on two crates that know nothing of each other:
//! `tfplugin` (the plugin host, protocol 6 and the resource kit) and `qingcloud` (the API
//! client). `provider` depends on `resources` and `data_sources`, never the reverse; what
//! they share (`provider_data`, `zone`) sits below all three. See DESIGN.md.

mod actions;
mod data_sources;
pub mod provider;
mod provider_data;
mod resources;
mod zone;
