//! The QingCloud API client. Knows nothing of Terraform.
//!
//! A module uses only modules of its own line or the lines above it, so none imports one that
//! imports it back:
//! - `error`, `clock`, `gather` (how long shared calls wait for company), `signer` (shared with the simulator), `model` (QingCloud's records),
//!   `retry`, `rate_limit`, `jobs` (job waits, over a `JobSource`), `credentials` (arguments,
//!   environment and the SDK config file -> `ClientConfig`);
//! - `transport` (one GET), `call` (the one call path: sign, pace, send, retry);
//! - `actions` (typed actions), `cluster_batch` (lookups sharing calls), `idle` (the idle wait),
//!   `listing` (a zone's clusters, page by page), `history` (a cluster's jobs newest first):
//!   components over the call path;
//! - `client`: `Client` builds the call path and the components and hands calls on;
//! - `custom`: any custom service submitted once (`CustomService`, and the rule after an
//!   ambiguous failure that every service follows) over a `Client`;
//! - `ssl`: the configuring_SSL service (`SslService`) over a `Client` and `custom`.

mod actions;
mod call;
mod client;
mod clock;
mod cluster_batch;
pub mod credentials;
mod custom;
mod error;
mod gather;
mod history;
mod idle;
pub mod ids;
mod jobs;
mod listing;
mod model;
mod rate_limit;
mod retry;
pub mod signer;
mod ssl;
pub mod sync;
mod transport;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;
#[cfg(test)]
mod tests_http;
#[cfg(test)]
mod tests_latency;

pub use client::Client;
pub use clock::Clock;
pub use credentials::{
    ClientConfig, ConfigError, DEFAULT_ENDPOINT, Endpoint, ProviderSettings, Secret, resolve,
};
pub use custom::{CustomService, RecentJobs, ServiceRequest, Sighting, request_sighting};
pub use error::{Error, TransportKind};
pub use jobs::WaitError;
pub use listing::{ClusterFilter, ClusterPages, PageError};
pub use model::{Cluster, Directive, Job, JobStatus, MYSQL_PLUS_APP_IDS};
pub use ssl::{
    HistoryPolicy, Prior, ROLE as SSL_ROLE, SERVICE as SSL_SERVICE, Setting, SslService, SslState,
    configssl_value, parse_configssl, ssl_job_setting,
};
#[cfg(any(test, feature = "test-util"))]
pub use transport::{HttpResponse, Transport, TransportFailure, TransportFuture};
