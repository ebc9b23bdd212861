//! First end-to-end checks: the harness finds (or installs) the real Terraform CLI, both the
//! newest (1.15.5) and the oldest (1.6.6) supported version, and that CLI runs a configuration.
//! Also unit checks of the harness's own helpers.

use crate::support::{
    PROVIDER_MIRROR_VERSION, TERRAFORM_OLDEST_VERSION, TERRAFORM_VERSION, Workspace, find_resource,
    hcl, hcl_string, strip_ansi,
};

fn assert_version(ws: &Workspace, expected: &str) {
    let out = ws.tf_ok(&["version", "-json"]);
    let json = out.json();
    assert_eq!(
        json.get("terraform_version").and_then(|v| v.as_str()),
        Some(expected),
        "{} reports the wrong version\n{out}",
        ws.terraform().display()
    );
    let plain = ws.tf_ok(&["version"]);
    assert!(
        plain
            .stdout
            .starts_with(&format!("Terraform v{expected}\n")),
        "unexpected `terraform version` output\n{plain}"
    );
}

/// A configuration with no providers: init, apply, output and show all work.
fn assert_runs_a_config(ws: &Workspace) {
    ws.write_config(
        r#"variable "greeting" {
  default = "hello"
}

output "greeting" {
  value = var.greeting
}
"#,
    );
    ws.tf_ok(&["init", "-no-color"]);
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"])
        .assert_contains("Apply complete!");
    let output = ws.tf_ok(&["output", "-raw", "greeting"]);
    assert_eq!(output.stdout, "hello", "{output}");
    let state = ws.state_json();
    assert_eq!(
        state["values"]["outputs"]["greeting"]["value"], "hello",
        "{state}"
    );
    // Failures are reported, with a non-zero exit status.
    ws.write_config("this is not HCL {");
    let failed = ws.tf_err(&["validate", "-no-color"]);
    assert_eq!(failed.code(), Some(1), "{failed}");
}

#[test]
fn terraform_newest_is_1_15_5() {
    let ws = Workspace::new(None);
    assert_version(&ws, TERRAFORM_VERSION);
    assert_runs_a_config(&ws);
}

#[test]
fn terraform_oldest_is_1_6_6() {
    let ws = Workspace::new_oldest(None);
    assert_version(&ws, TERRAFORM_OLDEST_VERSION);
    assert_runs_a_config(&ws);
}

#[test]
fn workspace_env_is_controlled() {
    let mut ws = Workspace::new(None);
    ws.env("TF_VAR_from_env", "via-env");
    ws.write_config(
        r#"variable "from_env" {}

output "v" {
  value = var.from_env
}
"#,
    );
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(ws.tf_ok(&["output", "-raw", "v"]).stdout, "via-env");
}

#[test]
fn harness_helpers() {
    assert_eq!(
        strip_ansi("\u{1b}[1m\u{1b}[32mApply\u{1b}[0m ok"),
        "Apply ok"
    );

    assert_eq!(hcl_string(r#"a"b\c${x}"#), r#""a\"b\\c$${x}""#);

    let state = serde_json::json!({"values": {"root_module": {
        "resources": [{"address": "a.b", "values": {"id": "1"}}],
        "child_modules": [{"resources": [{"address": "module.m.a.c", "values": {"id": "2"}}]}]
    }}});
    assert_eq!(
        find_resource(&state, "a.b").map(|v| v["id"].clone()),
        Some("1".into())
    );
    assert_eq!(
        find_resource(&state, "module.m.a.c").map(|v| v["id"].clone()),
        Some("2".into())
    );
    assert!(find_resource(&state, "a.x").is_none());
}

/// `terraform init` installs the built provider from the workspace's filesystem mirror, on both
/// versions (init does not start the provider, so this needs only the binary).
#[test]
fn init_from_provider_mirror() {
    for mut ws in [Workspace::new(None), Workspace::new_oldest(None)] {
        ws.use_provider_mirror();
        ws.write_config(&hcl("output \"x\" {\n  value = 1\n}\n"));
        ws.tf_ok(&["init", "-no-color"]).assert_contains(&format!(
            "Installed qingcloud/qingcloud v{}",
            PROVIDER_MIRROR_VERSION
        ));
        let lock = ws.read_file(".terraform.lock.hcl");
        assert!(
            lock.contains("registry.terraform.io/qingcloud/qingcloud"),
            "lock file:\n{lock}"
        );
    }
}
