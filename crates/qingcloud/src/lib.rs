//! The QingCloud API client. Knows nothing of Terraform.
//!
//! `credentials::resolve` builds a `ClientConfig` from arguments, environment and the SDK config
//! file; `Client` signs (`signer`), sends, retries (`retry`) and paces (`rate_limit`) calls;
//! `actions` types the few actions used; `cluster_batch` shares cluster lookups;
//! `jobs` and `clusters` wait; `ssl` is the
//! configuring_SSL service's domain logic.

mod actions;
mod call;
pub mod client;
pub mod clock;
mod cluster_batch;
mod clusters;
pub mod credentials;
pub mod error;
pub mod jobs;
pub mod listing;
pub mod model;
pub mod rate_limit;
pub mod retry;
pub mod signer;
pub mod ssl;
pub mod transport;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;
#[cfg(test)]
mod tests_http;

pub use client::Client;
pub use clock::{Clock, SystemClock, format_timestamp};
pub use credentials::{
    ClientConfig, ConfigError, DEFAULT_ENDPOINT, Endpoint, ProviderSettings, Secret, resolve,
    resolve_from_process,
};
pub use error::{Error, TransportKind};
pub use jobs::{WaitError, WaitPolicy};
pub use listing::{ClusterFilter, ClusterPages, PageError};
pub use model::{Cluster, Directive, Job, JobStatus, MYSQL_PLUS_APP_IDS};
pub use rate_limit::{RateLimit, RateLimiter};
pub use retry::{RetryClass, RetryPolicy};
pub use ssl::{
    HistoryPolicy, Prior, Setting, SslJobKind, SslService, SslState, configssl_value,
    parse_configssl, ssl_job_kind, ssl_job_setting,
};
pub use transport::{HttpResponse, ReqwestTransport, Transport, TransportFailure};
