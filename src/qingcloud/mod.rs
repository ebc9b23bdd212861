//! The QingCloud API client. Knows nothing of Terraform.

pub mod clock;
pub mod error;
pub mod retry;
pub mod signer;
