//! The protocol 6 adapter: generated tonic/prost code (private), the conversion between wire
//! and domain types, and the Provider gRPC service that dispatches to resources.

mod convert;
mod invoke;
mod list;
mod panic;
mod server;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_action;
#[cfg(test)]
mod tests_list;

use std::sync::Arc;

use crate::framework::Provider;

/// Generated code stays here; the rest of the crate uses `framework` types.
#[allow(clippy::all, clippy::pedantic, dead_code)]
mod wire {
    tonic::include_proto!("tfplugin6");
}

/// Terraform's own limit; tonic's default of 4 MiB is too small for large schemas or states.
const MAX_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// The gRPC routes serving `provider` as tfplugin6.Provider, for the plugin host.
pub fn routes(provider: Arc<dyn Provider>) -> tonic::service::Routes {
    let service =
        wire::provider_server::ProviderServer::new(server::ProviderService::new(provider))
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
    tonic::service::Routes::new(service)
}
