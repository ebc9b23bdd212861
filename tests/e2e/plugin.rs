//! End-to-end checks of the plugin layer with the real Terraform: it starts the provider,
//! completes mutual TLS, reads the schema and validates configurations; and the oldest
//! Terraform we claim (1.6.6) runs the whole lifecycle.

use serde_json::json;

use crate::support::{Sim, Workspace, hcl};

const ADDR: &str = "registry.terraform.io/qingcloud/qingcloud";

#[test]
fn terraform_reads_the_schema_over_mutual_tls() {
    let ws = Workspace::new(None);
    ws.write_config(&hcl("provider \"qingcloud\" {}\n"));
    let out = ws.tf_ok(&["providers", "schema", "-json"]);
    let schema = out.json();
    let provider = &schema["provider_schemas"][ADDR];
    let attrs = &provider["provider"]["block"]["attributes"];
    assert_eq!(attrs["secret_key"]["sensitive"], json!(true));
    assert_eq!(attrs["zone"]["optional"], json!(true));
    let resource = &provider["resource_schemas"]["qingcloud_mysqlplus_ssl"]["block"];
    assert_eq!(
        resource["attributes"]["cluster_id"]["required"],
        json!(true)
    );
    assert_eq!(resource["attributes"]["job_id"]["computed"], json!(true));
    assert_eq!(
        resource["attributes"]["enabled"]["description_kind"],
        json!("markdown")
    );
    assert!(resource["block_types"]["timeouts"].is_object());
}

#[test]
fn terraform_validates_the_examples() {
    for example in [
        "examples/provider/provider.tf",
        "examples/resources/qingcloud_mysqlplus_ssl/resource.tf",
        "examples/data-sources/qingcloud_mysqlplus_ssl/data-source.tf",
    ] {
        let ws = Workspace::new(None);
        let text = std::fs::read_to_string(example).unwrap_or_else(|e| panic!("{example}: {e}"));
        let text = if text.contains("required_providers") {
            text
        } else {
            hcl(&text)
        };
        ws.write_config(&text);
        ws.tf_ok(&["validate", "-no-color"])
            .assert_contains("The configuration is valid");
    }
}

#[test]
fn provider_block_errors_name_the_attribute() {
    let ws = Workspace::new(None);
    ws.write_config(&hcl(
        "provider \"qingcloud\" {\n  zone     = \"Pek 3\"\n  endpoint = \"ftp://x\"\n}\n\nresource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  cluster_id = \"cl-abc\"\n  enabled    = true\n}\n",
    ));
    let out = ws.tf_err(&["plan", "-no-color"]);
    out.assert_contains("Invalid zone");
    out.assert_contains("Invalid endpoint");
    out.assert_contains("zone");
}

/// The environment's zone follows the same rule as the provider argument: refused when the
/// provider is configured, naming the variable, not later against a resource `zone` that the
/// user never wrote.
#[test]
fn a_bad_zone_from_the_environment_is_refused_at_configure_naming_the_variable() {
    let sim = Sim::start();
    let mut ws = Workspace::new(Some(&sim));
    ws.env("QINGCLOUD_ZONE", "pek-3");
    ws.write_config(&hcl(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  cluster_id = \"cl-abc\"\n  enabled    = true\n}\n",
    ));
    let out = ws.tf_err(&["plan", "-no-color"]);
    out.assert_contains("QINGCLOUD_ZONE");
    out.assert_contains("\"pek-3\" is not a QingCloud zone");
    // Configure fails before any resource is planned, so no resource attribute is blamed.
    assert!(
        !out.contains("Invalid zone"),
        "the resource's zone was blamed: {}",
        out.combined()
    );
    assert!(sim.requests().is_empty(), "no API call for a bad zone");
}

/// The endpoint is checked by the client's own parser at validate, with the attribute path, so
/// what passes validate also works at configure.
#[test]
fn credentials_in_the_endpoint_are_refused_at_validate_with_the_attribute_path() {
    let ws = Workspace::new(None);
    ws.write_config(&hcl(
        "provider \"qingcloud\" {\n  endpoint = \"https://u:p@host/\"\n}\n\nresource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  cluster_id = \"cl-abc\"\n  enabled    = true\n}\n",
    ));
    let out = ws.tf_err(&["validate", "-no-color"]);
    out.assert_contains("Invalid endpoint");
    out.assert_contains("contains user credentials");
    // Terraform quotes the attribute's line when the diagnostic has its path.
    out.assert_contains("endpoint = \"https://u:p@host/\"");
}

#[test]
fn oldest_terraform_runs_init_apply_plan_import_and_destroy() {
    let sim = Sim::start_with(&["--job-duration-ms", "200"]);
    sim.add_cluster("cl-old00001", "pek3a", false);
    let mut ws = Workspace::new_oldest(Some(&sim));
    ws.use_provider_mirror();
    ws.write_config(&hcl(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  cluster_id = \"cl-old00001\"\n  enabled    = true\n}\n",
    ));
    ws.tf_ok(&["init", "-no-color"]);
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(sim.cluster_ssl("cl-old00001"));
    let out = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.code(), Some(0), "{out}");
    ws.tf_ok(&["state", "rm", "qingcloud_mysqlplus_ssl.db"]);
    ws.tf_ok(&["import", "qingcloud_mysqlplus_ssl.db", "cl-old00001"]);
    let out = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.code(), Some(0), "{out}");
    ws.tf_ok(&["destroy", "-auto-approve"]);
    assert!(!sim.cluster_ssl("cl-old00001"));
}
