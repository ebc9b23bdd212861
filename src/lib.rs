//! terraform-provider-qingcloud: a Terraform provider (plugin protocol 6) for QingCloud.
//!
//! This crate is the provider itself: the `qingcloud` block (`provider`), its resources, data
//! sources and list resources. It stands on two crates that know nothing of each other:
//! `tfplugin` (the plugin host, protocol 6 and the framework of domain types) and `qingcloud`
//! (the API client). See DESIGN.md.

pub mod data_sources;
pub mod provider;
pub mod resources;
mod zone;
