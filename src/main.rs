//! The provider binary that Terraform executes.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
