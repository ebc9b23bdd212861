//! Terraform plugin protocol 6 for any provider, in three layers (arrows point down only):
//! `plugin` (the go-plugin host: handshake, mTLS, socket, logging) -> `protocol` (the tfplugin6
//! gRPC service; generated code stays private there) -> `framework` (the domain types that
//! providers, resources, data sources and list resources are written against).
//! Nothing here knows which provider it serves: the binary passes in its name and address.

pub mod framework;
pub mod plugin;
pub mod protocol;
