//! End-to-end: the real Terraform reads the `qingcloud_mysqlplus_ssl` data source from the
//! simulator. It must report what the job history says (on, off after a switch back, never
//! switched, switching now), fail clearly for a missing cluster, and let a configuration whose
//! cluster_id is unknown until apply plan.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Sim, Workspace, hcl, wait_until};

fn data(name: &str, cluster: &str) -> String {
    format!(
        "data \"qingcloud_mysqlplus_ssl\" \"{name}\" {{\n  cluster_id = \"{cluster}\"\n}}\n\
         output \"{name}\" {{\n  value = data.qingcloud_mysqlplus_ssl.{name}\n}}\n"
    )
}

#[test]
fn reads_on_off_never_switched_and_switching_clusters() {
    let sim = Sim::start_with(&["--job-duration-ms", "100"]);
    sim.add_cluster("cl-dson0001", "pek3a", true);
    sim.add_cluster("cl-dsoff001", "pek3a", false);
    sim.add_cluster("cl-dsnev001", "pek3a", false);
    sim.add_cluster("cl-dsrun001", "pek3a", false);
    // On, then off again: the newest successful job decides, and it is named.
    sim.console_ssl("cl-dsoff001", true);
    wait_until("SSL on", Duration::from_secs(20), || {
        sim.cluster_ssl("cl-dsoff001")
    });
    let off_job = sim.console_ssl("cl-dsoff001", false);
    wait_until("SSL off", Duration::from_secs(20), || {
        !sim.cluster_ssl("cl-dsoff001")
    });
    let on_job = sim.cluster("cl-dson0001")["jobs"][0]["job_id"].clone();
    sim.set_faults(json!({"stuck_jobs": ["cl-dsrun001"]}));
    let running_job = sim.console_ssl("cl-dsrun001", true);

    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(&[
        data("on", "cl-dson0001"),
        data("off", "cl-dsoff001"),
        data("never", "cl-dsnev001"),
        data("running", "cl-dsrun001"),
    ]
    .concat()));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    let out = ws.tf_ok(&["output", "-json"]).json();
    let value = |name: &str| out[name]["value"].clone();

    let on = value("on");
    assert_eq!(on["enabled"], json!(true), "{on}");
    assert_eq!(on["job_id"], on_job, "{on}");
    assert_eq!(on["zone"], json!("pek3a"), "{on}");
    assert_eq!(on["switching"], json!(false), "{on}");

    let off = value("off");
    assert_eq!(off["enabled"], json!(false), "{off}");
    assert_eq!(off["job_id"], json!(off_job), "{off}");

    let never = value("never");
    assert_eq!(never["enabled"], json!(false), "{never}");
    assert_eq!(never["job_id"], Value::Null, "{never}");

    let running = value("running");
    assert_eq!(running["enabled"], json!(false), "{running}");
    assert_eq!(running["switching"], json!(true), "{running}");
    assert_ne!(running["job_id"], json!(running_job), "{running}");
    // Reading never switches anything.
    assert_eq!(sim.count("RunClusterCustomService"), 0);
}

#[test]
fn a_missing_cluster_is_an_error_at_cluster_id_and_other_apps_are_refused() {
    let sim = Sim::start();
    sim.add_cluster_with(
        json!({"cluster_id": "cl-dsredis1", "zone": "pek3a", "app_id": "app-redis001"}),
    );
    let ws = Workspace::new(Some(&sim));

    ws.write_config(&hcl(&data("gone", "cl-dsmiss01")));
    let out = ws.tf_err(&["plan", "-no-color"]);
    out.assert_contains("Cluster cl-dsmiss01 not found");
    // Terraform shows the attribute the diagnostic points at.
    out.assert_contains("cluster_id = \"cl-dsmiss01\"");

    ws.write_config(&hcl(&data("redis", "cl-dsredis1")));
    let out = ws.tf_err(&["plan", "-no-color"]);
    out.assert_contains("Cluster cl-dsredis1 is not a MySQL Plus cluster");
    out.assert_contains("app-redis001");
}

#[test]
fn a_long_history_without_an_answer_asks_for_a_higher_job_history_limit() {
    let sim = Sim::start();
    sim.add_cluster("cl-dslong01", "pek3a", false);
    sim.seed_jobs("cl-dslong01", 300);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(&format!(
        "provider \"qingcloud\" {{\n  job_history_limit = 100\n}}\n{}",
        data("long", "cl-dslong01")
    )));
    let out = ws.tf_err(&["plan", "-no-color"]);
    out.assert_contains("Cannot tell whether SSL is on for cluster cl-dslong01");
    out.assert_contains("job_history_limit");
}

#[test]
fn an_unknown_cluster_id_plans_and_is_read_at_apply() {
    let sim = Sim::start();
    sim.add_cluster("cl-dsunk001", "pek3a", true);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(
        "resource \"terraform_data\" \"id\" {\n  input = \"cl-dsunk001\"\n}\n\
         data \"qingcloud_mysqlplus_ssl\" \"x\" {\n  cluster_id = terraform_data.id.output\n}\n\
         output \"enabled\" {\n  value = data.qingcloud_mysqlplus_ssl.x.enabled\n}\n",
    ));
    let plan = ws.tf_ok(&["plan", "-no-color"]);
    plan.assert_contains("known after apply");
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    let out = ws.tf_ok(&["output", "-json"]).json();
    assert_eq!(out["enabled"]["value"], json!(true), "{out}");
}

#[test]
fn the_oldest_terraform_reads_the_data_source_too() {
    let sim = Sim::start();
    sim.add_cluster("cl-dsold001", "pek3a", true);
    let mut ws = Workspace::new_oldest(Some(&sim));
    ws.use_provider_mirror();
    ws.write_config(&hcl(&data("old", "cl-dsold001")));
    ws.tf_ok(&["init", "-no-color"]);
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    let out = ws.tf_ok(&["output", "-json"]).json();
    assert_eq!(out["old"]["value"]["enabled"], json!(true), "{out}");
}
