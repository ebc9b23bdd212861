//! End-to-end: Terraform 1.15.5 actions (`qingcloud_mysqlplus_custom_service`) against the
//! simulator: `-invoke` with progress lines, `action_trigger` on the SSL resource, failing jobs,
//! validation without API calls, Ctrl-C and adoption of a running job; and Terraform 1.6.6 with
//! the action schema present.

use std::time::Duration;

use crate::support::{Sim, Workspace, hcl};
use serde_json::{Value, json};

const RUN: &str = "RunClusterCustomService";
const INVOKE_RESTART: &str = "-invoke=action.qingcloud_mysqlplus_custom_service.restart";

fn sim() -> Sim {
    Sim::start_with(&["--job-duration-ms", "400"])
}

fn restart_action(cluster: &str) -> String {
    format!(
        r#"action "qingcloud_mysqlplus_custom_service" "restart" {{
  config {{
    cluster_id = "{cluster}"
    service    = "restart_node"
    role       = "maininstance"
    params = {{
      node_id = "cln-node0001"
    }}
  }}
}}
"#
    )
}

/// The services the simulator saw submitted, oldest first.
fn services_run(sim: &Sim, cluster: &str) -> Vec<String> {
    let jobs = sim.cluster(cluster)["jobs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    jobs.iter()
        .filter_map(|j| {
            let d: Value = serde_json::from_str(j["directive"].as_str()?).ok()?;
            Some(d["service"].as_str()?.to_string())
        })
        .collect()
}

#[test]
fn invoke_prints_progress_and_runs_exactly_one_job() {
    let sim = sim();
    sim.add_cluster("cl-act00001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(&restart_action("cl-act00001")));
    let out = ws.tf_ok(&["apply", "-auto-approve", "-no-color", INVOKE_RESTART]);
    let prefix = "Action action.qingcloud_mysqlplus_custom_service.restart (triggered by CLI): ";
    out.assert_contains(&format!(
        "{prefix}Submitted restart_node (role maininstance) on cl-act00001: job j-"
    ))
    .assert_contains(": working")
    .assert_contains(" successful: restart_node (role maininstance) on cl-act00001 done in ")
    .assert_contains("Action complete: action.qingcloud_mysqlplus_custom_service.restart")
    .assert_contains("restart_node restarts")
    .assert_contains("Actions: 1 invoked.");
    assert_eq!(sim.count(RUN), 1);
    assert_eq!(services_run(&sim, "cl-act00001"), ["restart_node"]);
}

const PASSWORD: &str = "Pa55word#Xq7Zr";

fn ssl_with_trigger(cluster: &str, event: &str, password_var: &str) -> String {
    hcl(&format!(
        r#"{password_var}

resource "qingcloud_mysqlplus_ssl" "db" {{
  cluster_id = "{cluster}"
  enabled    = true

  lifecycle {{
    action_trigger {{
      events  = [{event}]
      actions = [action.qingcloud_mysqlplus_custom_service.ssl_user]
    }}
  }}
}}

action "qingcloud_mysqlplus_custom_service" "ssl_user" {{
  config {{
    cluster_id = "{cluster}"
    service    = "add_user"
    params = {{
      user     = "app_ssl"
      database = "*"
      host     = "%"
      ssl      = "YES"
      priv     = "StandardAccount"
    }}
    sensitive_params = {{
      passwd = var.app_password
    }}
  }}
}}
"#
    ))
}

/// Every file under `dir` (recursively) that contains `needle`.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn an_after_create_trigger_adds_an_ssl_only_user_once_and_the_password_leaks_nowhere() {
    let sim = sim();
    sim.add_cluster("cl-act00002", "pek3a", false);
    let mut ws = Workspace::new(Some(&sim));
    let var = "variable \"app_password\" {\n  type      = string\n  sensitive = true\n  ephemeral = true\n}";
    ws.write_config(&ssl_with_trigger("cl-act00002", "after_create", var));
    ws.env("TF_VAR_app_password", PASSWORD);
    let log = ws.path().join("trace.log");
    ws.env("TF_LOG", "trace");
    ws.env("TF_LOG_PATH", &log.to_string_lossy());
    let plan = ws.tf_ok(&["plan", "-no-color", "-out=tfplan"]);
    let out = ws.tf_ok(&["apply", "-auto-approve", "-no-color", "tfplan"]);
    out.assert_contains("Action complete: action.qingcloud_mysqlplus_custom_service.ssl_user")
        .assert_contains("Submitted add_user (role maininstance) on cl-act00002: job j-");
    // SSL first, then the account, each once.
    assert_eq!(
        services_run(&sim, "cl-act00002"),
        ["configuring_SSL", "add_user"]
    );
    assert_eq!(sim.count(RUN), 2);
    assert!(sim.cluster_ssl("cl-act00002"));
    // The provider really sent it (the simulator's request log is the witness)...
    let sent = serde_json::to_string(&sim.requests()).unwrap();
    assert!(sent.contains(PASSWORD), "the password reached the API");
    // ...and it is nowhere Terraform keeps or shows things.
    for text in [
        plan.combined(),
        out.combined(),
        ws.tf_ok(&["show", "-no-color"]).combined(),
    ] {
        assert!(!text.contains(PASSWORD), "password in output:\n{text}");
    }
    let leaks = files_containing(ws.path(), PASSWORD);
    assert!(leaks.is_empty(), "password in {leaks:?}");
    assert!(log.exists(), "TF_LOG_PATH was not written");
    // A second apply creates nothing and triggers nothing.
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(sim.count(RUN), 2);
}

#[test]
fn a_failing_job_fails_the_invoke_and_a_failing_before_create_action_stops_the_resource() {
    let sim = sim();
    sim.add_cluster("cl-act00003", "pek3a", false);
    sim.set_faults(json!({"fail_jobs": {"cl-act00003": "failed"}}));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(&restart_action("cl-act00003")));
    let out = ws.tf(&["apply", "-auto-approve", "-no-color", INVOKE_RESTART]);
    assert_eq!(out.code(), Some(1), "{out}");
    out.assert_contains("Error when invoking action")
        .assert_contains("restart_node failed")
        .assert_contains("ended with status \"failed\"")
        .assert_contains("5100");
    let job = sim.cluster("cl-act00003")["jobs"][0]["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    out.assert_contains(&job);
    assert_eq!(sim.count(RUN), 1);

    // before_create: the action fails, so SSL is never switched.
    let var = "variable \"app_password\" {\n  type      = string\n  sensitive = true\n}";
    ws.write_config(&ssl_with_trigger("cl-act00003", "before_create", var));
    let mut ws = ws;
    ws.env("TF_VAR_app_password", PASSWORD);
    let out = ws.tf(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(out.code(), Some(1), "{out}");
    out.assert_contains("Error when invoking action")
        .assert_contains("add_user failed");
    assert_eq!(
        services_run(&sim, "cl-act00003"),
        ["restart_node", "add_user"]
    );
    assert!(ws.resource("qingcloud_mysqlplus_ssl.db").is_none());
    assert!(!sim.cluster_ssl("cl-act00003"));
    assert!(!out.combined().contains(PASSWORD));
}

fn custom(service: &str, role: Option<&str>, params: &str, secrets: &str) -> String {
    // One parameter a line, so Terraform can point at each.
    let params = params.replace(", ", "\n      ");
    let role = role
        .map(|r| format!("    role = \"{r}\"\n"))
        .unwrap_or_default();
    hcl(&format!(
        r#"action "qingcloud_mysqlplus_custom_service" "x" {{
  config {{
    cluster_id = "cl-act00004"
    service    = "{service}"
{role}    params = {{
      {params}
    }}
    sensitive_params = {{ {secrets} }}
  }}
}}
"#
    ))
}

#[test]
fn bad_configs_fail_at_validate_with_the_attribute_and_no_api_call() {
    let sim = sim();
    sim.add_cluster("cl-act00004", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    let user = r#"user = "app", database = "*", host = "%", ssl = "YES", priv = "StandardAccount""#;
    let cases = [
        (
            custom("reboot", None, "", ""),
            "Unknown custom service",
            "service",
        ),
        (
            custom(
                "restart_node",
                Some("analysis"),
                r#"node_id = "cln-a1""#,
                "",
            ),
            "Wrong role for this service",
            "role",
        ),
        (
            custom("add_user", None, user, ""),
            "Missing parameter",
            "sensitive_params",
        ),
        (
            custom(
                "start_zabbix",
                None,
                r#"zabbix_server_ip = "10.0.0.9", zabbix_agent_port = "ten""#,
                "",
            ),
            "Invalid parameter value",
            "zabbix_agent_port",
        ),
        (
            custom(
                "add_user",
                None,
                &format!(r#"{user}, passwd = "{PASSWORD}""#),
                "",
            ),
            "Password in params",
            "passwd",
        ),
        (
            custom("configuring_SSL", None, r#"configssl = "YES""#, ""),
            "configuring_SSL is a resource, not an action",
            "configuring_SSL",
        ),
    ];
    for (config, summary, attribute) in cases {
        ws.write_config(&config);
        let out = ws.tf(&["validate", "-no-color"]);
        assert_eq!(out.code(), Some(1), "{out}");
        out.assert_contains(summary)
            .assert_contains("with action.qingcloud_mysqlplus_custom_service.x,");
        // Terraform quotes the configuration line the diagnostic's attribute path leads to.
        let quoted = out.combined().lines().any(|l| {
            l.trim_start()
                .split_once(": ")
                .is_some_and(|(n, code)| n.parse::<u32>().is_ok() && code.contains(attribute))
        });
        assert!(quoted, "no source line with {attribute:?} quoted\n{out}");
        if summary.starts_with("configuring_SSL") {
            out.assert_contains("qingcloud_mysqlplus_ssl");
        }
        let out = ws.tf(&[
            "apply",
            "-auto-approve",
            "-no-color",
            "-invoke=action.qingcloud_mysqlplus_custom_service.x",
        ]);
        assert_eq!(out.code(), Some(1), "{out}");
        out.assert_contains(summary);
    }
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

#[test]
fn ctrl_c_ends_the_wait_with_the_job_id_and_a_second_invoke_adopts_the_running_job() {
    let sim = sim();
    sim.add_cluster("cl-act00005", "pek3a", false);
    sim.set_faults(json!({"stuck_jobs": ["cl-act00005"]}));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(&restart_action("cl-act00005")));
    let args = ["apply", "-auto-approve", "-no-color", INVOKE_RESTART];
    let mut first = ws.spawn_tf(&args);
    first.wait_for_output(": working", Duration::from_secs(60));
    let job = sim.cluster("cl-act00005")["jobs"][0]["job_id"]
        .as_str()
        .unwrap()
        .to_string();
    first.interrupt();
    let out = first
        .wait_timeout(Duration::from_secs(20))
        .expect("Ctrl-C ends the wait promptly");
    assert_ne!(out.code(), Some(0), "{out}");
    out.assert_contains(&format!("Wait for job {job} interrupted"))
        .assert_contains("goes on in");

    // The job still runs: a second invoke waits for it instead of submitting another.
    let mut second = ws.spawn_tf(&args);
    second.wait_for_output(
        &format!("already running as job {job}"),
        Duration::from_secs(60),
    );
    sim.finish_job(&job);
    let out = second.wait();
    assert_eq!(out.code(), Some(0), "{out}");
    out.assert_contains("Action complete");
    assert_eq!(sim.count(RUN), 1);
}

#[test]
fn terraform_1_6_runs_the_resource_lifecycle_with_the_action_schema_present() {
    let sim = sim();
    sim.add_cluster("cl-act00006", "pek3a", false);
    let ws = Workspace::new_oldest(Some(&sim));
    ws.write_config(&hcl(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  cluster_id = \"cl-act00006\"\n  enabled    = true\n}\n",
    ));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(sim.cluster_ssl("cl-act00006"));
    let out = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.code(), Some(0), "{out}");
    ws.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(!sim.cluster_ssl("cl-act00006"));
    assert_eq!(sim.count(RUN), 2);
}
