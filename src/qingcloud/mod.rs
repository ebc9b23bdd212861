//! The QingCloud API client. Knows nothing of Terraform.

pub mod signer;
