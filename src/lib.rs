//! terraform-provider-qingcloud: a Terraform provider (plugin protocol 6) for QingCloud.
//!
//! Layers, outermost first (arrows point down only; see DESIGN.md):
//! `plugin` (go-plugin host) -> `tfplugin` (protocol 6 adapter) -> `framework` (domain types)
//! <- `provider` / `resources` -> `qingcloud` (API client). `sim` is the API simulator.

pub mod calendar;
pub mod data_sources;
pub mod framework;
pub mod plugin;
pub mod provider;
pub mod qingcloud;
pub mod resources;
pub mod sim;
pub mod tfplugin;
