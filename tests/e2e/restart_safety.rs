//! End-to-end: every way the provider could restart a database that no plan announced, or
//! restart it for nothing, driven by the real Terraform against qingcloud-sim. Each test counts
//! the RunClusterCustomService calls the simulator saw (each one is a restart) and checks what
//! the user reads.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Sim, Workspace, hcl, wait_until};

const RUN: &str = "RunClusterCustomService";
const ADDR: &str = "qingcloud_mysqlplus_ssl.db";

fn sim() -> Sim {
    Sim::start_with(&["--job-duration-ms", "300"])
}

fn one(cluster: &str, enabled: &str, extra: &str) -> String {
    hcl(&format!(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {{\n  cluster_id = \"{cluster}\"\n  enabled    = {enabled}\n{extra}}}\n"
    ))
}

/// A workspace whose resource turned SSL on with one job.
fn applied_on(sim: &Sim, cluster: &str) -> Workspace {
    applied_on_with(Workspace::new(Some(sim)), sim, cluster)
}

fn applied_on_with(ws: Workspace, sim: &Sim, cluster: &str) -> Workspace {
    sim.add_cluster(cluster, "pek3a", false);
    ws.write_config(&one(cluster, "true", ""));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(sim.cluster_ssl(cluster));
    assert_eq!(sim.count(RUN), 1);
    ws
}

// 1 ------------------------------------------------------------------------------------------

#[test]
fn case01_null_for_a_required_argument_is_refused_before_any_call() {
    let sim = sim();
    sim.add_cluster("cl-null0001", "pek3a", true);
    let ws = Workspace::new(Some(&sim));
    // A literal null is known at validate.
    ws.write_config(&one("cl-null0001", "null", ""));
    ws.tf_err(&["validate", "-no-color"])
        .assert_contains("Missing value for required argument \"enabled\"");
    // A variable is unknown to `terraform validate`, known at plan.
    ws.write_config(&one("cl-null0001", "var.enabled", ""));
    ws.write_file(
        "vars.tf",
        "variable \"enabled\" {\n  type    = bool\n  default = null\n}\n",
    );
    ws.tf_err(&["plan", "-no-color"])
        .assert_contains("Missing value for required argument \"enabled\"");
    ws.tf_err(&["apply", "-auto-approve", "-no-color"])
        .assert_contains("\"enabled\" is required");

    // Unknown at validate and at the first plan, null once known: refused at apply's plan.
    ws.write_file("vars.tf", "");
    ws.write_config(&hcl(
        "resource \"terraform_data\" \"n\" {\n  input = null\n}\n\
         resource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  cluster_id = \"cl-null0001\"\n  enabled    = terraform_data.n.output\n}\n",
    ));
    ws.tf_err(&["apply", "-auto-approve", "-no-color"])
        .assert_contains("Missing value for required argument \"enabled\"");

    // cluster_id null too.
    ws.write_config(&hcl(
        "variable \"id\" {\n  type    = string\n  default = null\n}\n\
         resource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  cluster_id = var.id\n  enabled    = true\n}\n",
    ));
    ws.tf_err(&["plan", "-no-color"])
        .assert_contains("Missing value for required argument \"cluster_id\"");
    assert_eq!(sim.count(RUN), 0);
    assert!(sim.cluster_ssl("cl-null0001"), "SSL was left as it was");
}

// 2 ------------------------------------------------------------------------------------------

#[test]
fn case02_a_busy_cluster_is_read_again_after_the_wait() {
    let sim = sim();
    sim.add_cluster("cl-busy0001", "pek3a", false);
    sim.patch_cluster("cl-busy0001", json!({"transition_status": "updating"}));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-busy0001", "true", ""));
    let mut child = ws.spawn_tf(&["apply", "-auto-approve", "-no-color"]);
    // The provider is waiting for the cluster to be idle...
    wait_until("the idle wait", Duration::from_secs(60), || {
        sim.count("DescribeClusters") >= 3
    });
    // ...while someone turns SSL on in the console.
    sim.console_ssl_and_wait("cl-busy0001", true);
    sim.patch_cluster("cl-busy0001", json!({"transition_status": ""}));
    let out = child.wait();
    assert!(out.success(), "{out}");
    assert_eq!(sim.count(RUN), 0, "SSL was on already: no second job");
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true));
}

// 3 ------------------------------------------------------------------------------------------

/// Makes one of the simulator's answers unusable.
type Breaker<'a> = Box<dyn Fn() + 'a>;

#[test]
fn case03_an_unusable_history_is_an_error_never_a_setting() {
    let sim = sim();
    let ws = applied_on(&sim, "cl-hist0001");
    // A console job newer than the state's (setting what is already there): the reading meets
    // it before it reaches the job that state names.
    let job = sim.console_ssl("cl-hist0001", true);
    wait_until("the console's job", Duration::from_secs(20), || {
        sim.cluster("cl-hist0001")["jobs"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|j| j["job_id"] == json!(job) && j["status"] == json!("successful"))
    });
    let bad: [(&str, Breaker); 3] = [
        (
            "job_set",
            Box::new(|| sim.set_odd_answer("DescribeClusterJobs", "no_set")),
        ),
        (
            "directive",
            Box::new(|| {
                sim.patch_job(&job, json!({"directive": "not json {"}));
            }),
        ),
        (
            "paused",
            Box::new(|| {
                sim.patch_job(&job, json!({"status": "paused"}));
            }),
        ),
    ];
    for (what, break_it) in bad {
        break_it();
        let plan = ws.tf_err(&["plan", "-no-color"]);
        plan.assert_contains(what);
        let apply = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
        apply.assert_not_contains("Apply complete");
        assert_eq!(sim.count(RUN), 1, "{what}: no second job");
        assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true), "{what}");
        // Mend it for the next one.
        sim.clear_faults();
        sim.patch_job(&job, json!({"status": "successful", "directive": null}));
    }
}

// 4 ------------------------------------------------------------------------------------------

#[test]
fn case04_a_malformed_cluster_answer_never_drops_the_resource() {
    let sim = sim();
    let ws = applied_on(&sim, "cl-lost0001");
    for kind in ["no_set", "duplicate_set"] {
        sim.set_odd_answer("DescribeClusters", kind);
        ws.tf_err(&["plan", "-no-color"])
            .assert_contains("cluster_set");
        let destroy = ws.tf_err(&["destroy", "-auto-approve", "-no-color"]);
        destroy.assert_not_contains("No objects");
        assert!(ws.resource(ADDR).is_some(), "{kind}: still in state");
        assert!(sim.cluster_ssl("cl-lost0001"));
        sim.clear_faults();
    }
    assert_eq!(sim.count(RUN), 1);
}

// 5 ------------------------------------------------------------------------------------------

#[test]
fn case05_forced_replacement_restarts_nothing() {
    let sim = sim();
    forced_replacement_restarts_nothing(&sim, Workspace::new(Some(&sim)));
}

/// Terraform 1.6 plans a forced replacement the same way (two plans, the second's warnings
/// dropped); the private state that tells the old half what follows must work there too.
#[test]
fn case05_forced_replacement_restarts_nothing_on_the_oldest_terraform() {
    let sim = sim();
    forced_replacement_restarts_nothing(&sim, Workspace::new_oldest(Some(&sim)));
}

fn forced_replacement_restarts_nothing(sim: &Sim, ws: Workspace) {
    let ws = applied_on_with(ws, sim, "cl-repl0001");
    let out = ws.tf_ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        &format!("-replace={ADDR}"),
    ]);
    out.assert_contains("1 added, 0 changed, 1 destroyed");
    assert_eq!(sim.count(RUN), 1, "-replace: no off-and-on again");
    assert!(sim.cluster_ssl("cl-repl0001"));

    ws.write_config(
        &(one(
            "cl-repl0001",
            "true",
            "  lifecycle {\n    replace_triggered_by = [terraform_data.trigger]\n  }\n",
        ) + "resource \"terraform_data\" \"trigger\" {\n  input = \"a\"\n}\n"),
    );
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    ws.write_config(&ws.read_file("main.tf").replace("\"a\"", "\"b\""));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"])
        .assert_contains("destroyed");
    assert_eq!(
        sim.count(RUN),
        1,
        "replace_triggered_by: no off-and-on again"
    );
    assert!(sim.cluster_ssl("cl-repl0001"));
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true));
}

// 6 ------------------------------------------------------------------------------------------

#[test]
fn case06_moving_to_another_cluster_names_both() {
    let sim = sim();
    let ws = applied_on(&sim, "cl-move0001");
    sim.add_cluster("cl-move0002", "pek3a", false);
    ws.write_config(&one("cl-move0002", "true", ""));
    let plan = ws.tf_ok(&["plan", "-no-color"]);
    plan.assert_contains("restarts the databases of clusters cl-move0001 in pek3a and")
        .assert_contains("cl-move0002 in pek3a");
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(!sim.cluster_ssl("cl-move0001") && sim.cluster_ssl("cl-move0002"));
    assert_eq!(sim.count(RUN), 3, "off on the old one, on on the new one");
}

// 7 ------------------------------------------------------------------------------------------

#[test]
fn case07_a_saved_destroy_plan_does_not_restart_what_it_did_not_announce() {
    let sim = sim();
    sim.add_cluster("cl-save0001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-save0001", "false", ""));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    let plan = ws.tf_ok(&["plan", "-destroy", "-out=destroy.tfplan", "-no-color"]);
    plan.assert_not_contains("restarts");
    sim.console_ssl_and_wait("cl-save0001", true);
    let out = ws.tf_err(&["apply", "-no-color", "destroy.tfplan"]);
    out.assert_contains("changed after the plan")
        .assert_contains("terraform plan");
    assert_eq!(sim.count(RUN), 0);
    assert!(sim.cluster_ssl("cl-save0001"), "nothing restarted");
    assert!(ws.resource(ADDR).is_some());
    // A fresh destroy announces it and then does it.
    ws.tf_ok(&["plan", "-destroy", "-no-color"])
        .assert_contains("Destroying this resource restarts the database");
}

// 8 ------------------------------------------------------------------------------------------

#[test]
fn case08_a_running_job_shows_in_the_plan_and_the_apply_waits_for_it() {
    let sim = sim();
    running_job_shows_and_is_waited_for(&sim, Workspace::new(Some(&sim)));
}

#[test]
fn case08_a_running_job_shows_in_the_plan_on_the_oldest_terraform() {
    let sim = sim();
    running_job_shows_and_is_waited_for(&sim, Workspace::new_oldest(Some(&sim)));
}

fn running_job_shows_and_is_waited_for(sim: &Sim, ws: Workspace) {
    sim.add_cluster("cl-runs0001", "pek3a", false);
    ws.write_config(&one("cl-runs0001", "false", ""));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    // A job turning SSL on runs (and keeps running) while the configuration says off.
    sim.set_faults(json!({"stuck_jobs": ["cl-runs0001"]}));
    let job = sim.console_ssl("cl-runs0001", true);
    let plan = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(plan.code(), Some(2), "a change, not \"No changes\"\n{plan}");
    plan.assert_contains(&format!("configuring_SSL job {job} is running"))
        .assert_contains("second restart");

    let mut child = ws.spawn_tf(&["apply", "-auto-approve", "-no-color"]);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(sim.count(RUN), 0, "the apply waits for the running job");
    sim.clear_faults();
    sim.finish_job(&job);
    let out = child.wait();
    assert!(out.success(), "{out}");
    assert_eq!(sim.count(RUN), 1, "then switches back once, as announced");
    assert!(!sim.cluster_ssl("cl-runs0001"));
    let again = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code(), Some(0), "{again}");
}

// 9 ------------------------------------------------------------------------------------------

#[test]
fn case09_one_cluster_managed_twice_is_refused() {
    let sim = sim();
    sim.add_cluster("cl-twin0001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(
        "resource \"qingcloud_mysqlplus_ssl\" \"a\" {\n  cluster_id = \"cl-twin0001\"\n  enabled    = true\n}\n\
         resource \"qingcloud_mysqlplus_ssl\" \"b\" {\n  cluster_id = \"cl-twin0001\"\n  enabled    = false\n}\n",
    ));
    let out = ws.tf_err(&["plan", "-no-color"]);
    out.assert_contains("is managed by two qingcloud_mysqlplus_ssl resources")
        .assert_contains("back and forth");
    // for_each with the same cluster twice.
    ws.write_config(&hcl(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  for_each   = { x = \"cl-twin0001\", y = \"cl-twin0001\" }\n  cluster_id = each.value\n  enabled    = true\n}\n",
    ));
    ws.tf_err(&["apply", "-auto-approve", "-no-color"])
        .assert_contains("is managed by two");
    assert_eq!(sim.count(RUN), 0);
}

// 10 -----------------------------------------------------------------------------------------

#[test]
fn case10_a_stopped_cluster_gets_a_clear_error_and_no_submission() {
    let sim = sim();
    sim.add_cluster("cl-stop0001", "pek3a", false);
    sim.patch_cluster("cl-stop0001", json!({"status": "stopped"}));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-stop0001", "true", ""));
    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    out.assert_contains("Cluster cl-stop0001 is stopped")
        .assert_contains("Start cluster");
    assert_eq!(sim.count(RUN), 0);
}

// 11 -----------------------------------------------------------------------------------------

#[test]
fn case11_a_timeout_below_the_minimum_is_refused_at_validate() {
    let sim = sim();
    sim.add_cluster("cl-tout0001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one(
        "cl-tout0001",
        "true",
        "  timeouts {\n    create = \"0s\"\n  }\n",
    ));
    ws.tf_err(&["validate", "-no-color"])
        .assert_contains("Invalid timeouts.create")
        .assert_contains("minimum");
    ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(sim.count(RUN), 0);
}

// 12 -----------------------------------------------------------------------------------------

#[test]
fn case12_ctrl_c_during_a_refresh_against_a_silent_api_ends_promptly() {
    let sim = sim();
    let ws = applied_on(&sim, "cl-hang0001");
    sim.set_odd_answer("*", "hang");
    sim.clear_requests();
    let mut child = ws.spawn_tf(&["plan", "-no-color"]);
    wait_until("the refresh to start", Duration::from_secs(30), || {
        sim.count("DescribeClusters") >= 1
    });
    std::thread::sleep(Duration::from_millis(500));
    let interrupted = Instant::now();
    child.interrupt();
    let out = child
        .wait_timeout(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("terraform did not stop within 5 s of Ctrl-C"));
    assert!(!out.success(), "{out}");
    assert!(interrupted.elapsed() < Duration::from_secs(5));
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true));
}

// 14 -----------------------------------------------------------------------------------------

#[test]
fn case14_a_huge_cluster_id_is_refused_without_being_echoed_whole() {
    let ws = Workspace::new(None);
    let huge = format!("cl-{}", "a".repeat(20_000));
    ws.write_config(&one(&huge, "true", ""));
    let out = ws.tf_err(&["validate", "-no-color"]);
    out.assert_contains("20003 characters");
    // Terraform's own source excerpt shows the line once; the provider's message must not.
    let echoes = out.combined().matches(&huge).count();
    assert!(echoes <= 1, "echoed {echoes} times");
}

#[test]
fn interrupting_a_wait_says_once_that_the_job_goes_on() {
    let sim = sim();
    sim.add_cluster("cl-once0001", "pek3a", false);
    sim.set_faults(json!({"stuck_jobs": ["cl-once0001"]}));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-once0001", "true", ""));
    let mut child = ws.spawn_tf(&["apply", "-auto-approve", "-no-color"]);
    wait_until("the job", Duration::from_secs(60), || sim.count(RUN) == 1);
    std::thread::sleep(Duration::from_millis(500));
    child.interrupt();
    let out = child
        .wait_timeout(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("terraform did not stop"));
    assert_eq!(out.combined().matches("goes on").count(), 1, "{out}");
}
