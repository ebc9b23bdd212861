//! Harness for the end-to-end tests that drive the REAL Terraform CLI against this provider and
//! the `qingcloud-sim` QingCloud API simulator. A test module uses, for example:
//!
//! ```ignore
//! use crate::support::{Sim, Workspace, hcl};
//!
//! let sim = Sim::start();
//! sim.add_cluster("cl-demo0001", "pek3a", false);
//! let ws = Workspace::new(Some(&sim));
//! ws.write_config(&hcl(r#"resource "qingcloud_mysqlplus_ssl" "db" { ... }"#));
//! ws.tf_ok(&["apply", "-auto-approve"]);
//! let state = ws.state_json();
//! ```
//!
//! Failures are panics whose messages carry the full Terraform output (and, while a test is
//! panicking, the simulator's log): tests fail, they never skip. Terraform itself comes from
//! `TF_ACC_TERRAFORM_PATH` / `TF_ACC_TERRAFORM_PATH_OLDEST`, else from `scripts/install-terraform`.

pub mod emulated;
pub mod exe_format;
mod files;
mod hcl;
mod process;
pub mod release;
mod scripts;
mod sim;
mod terminal;
mod terraform;
mod tf_output;
pub mod unzip;
mod wait;
mod workspace;

pub use hcl::{hcl, hcl_string};
pub use process::{child_processes, program_name, signal_pid};
pub use scripts::{repo, show};
pub use sim::{ACCESS_KEY, SECRET_KEY, Sim, ZONE};
pub use terminal::strip_ansi;
pub use terraform::{
    PROVIDER_MIRROR_VERSION, TERRAFORM_OLDEST_VERSION, TERRAFORM_VERSION, provider_dir,
    terraform_path,
};
pub use tf_output::TfOutput;
pub use wait::wait_until;
pub use workspace::{Workspace, find_resource};
