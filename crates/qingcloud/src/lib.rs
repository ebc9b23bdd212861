//! The QingCloud API client. Knows nothing of Terraform.
//!
//! `credentials::resolve` builds a `ClientConfig` from arguments, environment and the SDK config
//! file; `Client` signs (`signer`), sends, retries (`retry`) and paces (`rate_limit`) calls;
//! `actions` types the few actions used; `cluster_batch` shares cluster lookups;
//! `jobs` and `clusters` wait; `ssl` is the
//! configuring_SSL service's domain logic.

mod actions;
pub mod client;
pub mod clock;
mod cluster_batch;
mod clusters;
pub mod credentials;
pub mod error;
pub mod ids;
pub mod jobs;
pub mod listing;
pub mod model;
pub mod rate_limit;
pub mod retry;
pub mod signer;
pub mod ssl;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests_http;

pub use actions::JobsPage;
pub use actions::MAX_IDS_PER_CALL;
pub use client::{Client, HttpResponse, ReqwestTransport, Transport, TransportFailure};
pub use clock::{Clock, SystemClock, format_timestamp};
pub use credentials::{
    ClientConfig, ConfigError, DEFAULT_ENDPOINT, Endpoint, ProviderSettings, Secret, resolve,
};
pub use error::{Error, TransportKind};
pub use jobs::{WaitError, WaitPolicy};
pub use model::{Cluster, Directive, Job, JobStatus, MYSQL_PLUS_APP_IDS};
pub use rate_limit::{RateLimit, RateLimiter};
pub use retry::{RetryClass, RetryPolicy};
pub use ssl::{
    HistoryPolicy, Prior, Setting, SslJobKind, SslState, configssl_value, parse_configssl,
    ssl_job_kind, ssl_job_setting,
};
