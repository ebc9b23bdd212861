//! The QingCloud API client. Knows nothing of Terraform.

pub mod clock;
pub mod credentials;
pub mod error;
pub mod model;
pub mod rate_limit;
pub mod retry;
pub mod signer;
