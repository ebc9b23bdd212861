//! Finding Terraform (the newest and the oldest supported version) and the provider built for
//! this test run.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The newest Terraform the provider supports and the tests run by default.
pub const TERRAFORM_VERSION: &str = "1.15.5";
/// The oldest Terraform the provider supports.
pub const TERRAFORM_OLDEST_VERSION: &str = "1.6.6";

/// The provider's address in Terraform's registry namespace.
pub(super) const PROVIDER_ADDR: &str = "registry.terraform.io/qingcloud/qingcloud";

/// Path of the Terraform 1.15.5 CLI: `$TF_ACC_TERRAFORM_PATH`, else installed by
/// `scripts/install-terraform`. Panics (fails the test) when there is none.
pub fn terraform_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| find_terraform("TF_ACC_TERRAFORM_PATH", TERRAFORM_VERSION))
        .clone()
}

/// Path of the Terraform 1.6.6 CLI: `$TF_ACC_TERRAFORM_PATH_OLDEST`, else installed by
/// `scripts/install-terraform 1.6.6`. Panics (fails the test) when there is none.
pub fn terraform_oldest_path() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| find_terraform("TF_ACC_TERRAFORM_PATH_OLDEST", TERRAFORM_OLDEST_VERSION))
        .clone()
}

fn find_terraform(env_var: &str, version: &str) -> PathBuf {
    if let Some(value) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(&value);
        if is_executable_file(&path) {
            return path;
        }
        panic!(
            "${env_var} is set to {} but that is not an executable file.\n\
             Unset it to let scripts/install-terraform install Terraform {version}, or point it \
             at a Terraform {version} binary.",
            path.display()
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install-terraform");
    let output = Command::new("bash")
        .arg(&script)
        .arg(version)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim);
    match last {
        Some(line) if output.status.success() && is_executable_file(Path::new(line)) => {
            PathBuf::from(line)
        }
        _ => panic!(
            "Terraform {version} is required by the end-to-end tests and could not be installed.\n\
             `{} {version}` exited with {}.\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n\
             Set ${env_var} to a Terraform {version} binary, or fix the install (it needs \
             python3 with venv and pip, and PyPI).",
            script.display(),
            output.status
        ),
    }
}

fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The version under which [`Workspace::use_provider_mirror`] publishes the built provider.
pub const PROVIDER_MIRROR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Directory holding the provider binary built by cargo for this test run.
pub fn provider_dir() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_terraform-provider-qingcloud"));
    match bin.parent() {
        Some(dir) => dir.to_path_buf(),
        None => panic!("provider binary path {} has no parent", bin.display()),
    }
}
