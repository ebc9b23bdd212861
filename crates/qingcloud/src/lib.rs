//! The QingCloud API client. Knows nothing of Terraform.
//!
//! `credentials::resolve` builds a `ClientConfig` from arguments, environment and the SDK config
//! file. `Client` holds one call path (`call`: signs with `signer`, paces with `rate_limit`,
//! sends through `transport`, retries as `retry` decides) and the components over it: the typed
//! `actions`, the cluster lookups that share calls (`cluster_batch`), the job waits (`jobs`), the
//! idle wait (`clusters`) and the listing (`listing`). `ssl` is the configuring_SSL service's
//! domain logic over a `Client`. Each module uses only modules below it in that order; none
//! imports one that imports it back.

mod actions;
mod call;
mod client;
mod clock;
mod cluster_batch;
mod clusters;
pub mod credentials;
mod error;
mod jobs;
mod listing;
mod model;
mod rate_limit;
mod retry;
pub mod signer;
mod ssl;
mod transport;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;
#[cfg(test)]
mod tests_http;

pub use client::Client;
pub use clock::Clock;
pub use credentials::{
    ClientConfig, ConfigError, DEFAULT_ENDPOINT, Endpoint, ProviderSettings, Secret, resolve,
    resolve_from_process,
};
pub use error::{Error, TransportKind};
pub use jobs::WaitError;
pub use listing::{ClusterFilter, ClusterPages, PageError};
pub use model::{Cluster, Directive, Job, JobStatus, MYSQL_PLUS_APP_IDS};
pub use ssl::{
    HistoryPolicy, Prior, Setting, SslService, SslState, parse_configssl, ssl_job_setting,
};
#[cfg(any(test, feature = "test-util"))]
pub use transport::{HttpResponse, Transport, TransportFailure, TransportFuture};
