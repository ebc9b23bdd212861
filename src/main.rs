//! The provider binary that Terraform executes.

use std::process::ExitCode;
use terraform_provider_qingcloud::plugin;
use tonic::service::Routes;

/// TEMPORARY: switch to `terraform_provider_qingcloud::tfplugin::routes` when merging with the
/// tfplugin branch (the only line to change).
const ROUTES: fn() -> Routes = plugin::placeholder_routes;

const USAGE: &str = "\
Usage: terraform-provider-qingcloud [--debug | --version | --help]

This is a Terraform provider plugin; Terraform starts it by itself.
  --debug     serve without Terraform and print TF_REATTACH_PROVIDERS for debugging
  --version   print the version and exit
  --help      print this help and exit";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => plugin::main(ROUTES),
        // Go providers spell it -debug; accept both.
        Some("--debug" | "-debug") if args.len() == 1 => plugin::main_debug(ROUTES),
        Some("--version" | "-version") if args.len() == 1 => {
            println!("terraform-provider-qingcloud {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Some("--help" | "-help" | "-h") if args.len() == 1 => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("unexpected arguments: {args:?}\n\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}
