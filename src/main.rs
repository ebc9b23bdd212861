//! The provider binary that Terraform executes.

use std::process::ExitCode;
use terraform_provider_qingcloud::provider;
use tfplugin::plugin;
use tonic::service::Routes;

/// The qingcloud provider served as tfplugin6.Provider; the host adds health and controller.
const ROUTES: fn() -> Routes = provider::routes;

const USAGE: &str = "\
Usage: terraform-provider-qingcloud [--debug | --version | --help]

This is a Terraform provider plugin; Terraform starts it by itself.
  --debug     serve without Terraform and print TF_REATTACH_PROVIDERS for debugging
  --version   print the version and exit
  --help      print this help and exit";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None => plugin::main(&provider::PLUGIN, ROUTES),
        // Go providers spell it -debug; accept both.
        Some("--debug" | "-debug") if args.len() == 1 => {
            plugin::main_debug(&provider::PLUGIN, ROUTES)
        }
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
