//! End-to-end: the SSL setting is read from the job history as QingCloud documents it (pages of
//! at most 100, `total_count`, no promised order), and a reading never claims a setting it did
//! not see. The real Terraform drives the provider against qingcloud-sim.

use serde_json::json;

use crate::support::{Sim, Workspace, hcl};

const RUN: &str = "RunClusterCustomService";
const JOBS: &str = "DescribeClusterJobs";
const ADDR: &str = "qingcloud_mysqlplus_ssl.db";

fn one(cluster: &str, enabled: bool, provider: &str) -> String {
    hcl(&format!(
        "{provider}resource \"qingcloud_mysqlplus_ssl\" \"db\" {{\n  cluster_id = \"{cluster}\"\n  enabled    = {enabled}\n}}\n"
    ))
}

/// SSL turned on by one job, then `seeded` newer non-SSL jobs (backups, accounts).
fn on_then_history(sim: &Sim, cluster: &str, seeded: usize, provider: &str) -> Workspace {
    sim.add_cluster(cluster, "pek3a", false);
    let ws = Workspace::new(Some(sim));
    ws.write_config(&one(cluster, true, provider));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(sim.count(RUN), 1);
    sim.seed_jobs(cluster, seeded);
    sim.clear_requests();
    ws
}

fn ssl_survives_a_long_history(sim: &Sim, label: &str) {
    let cluster = "cl-long0001";
    let ws = on_then_history(sim, cluster, 2000, "");

    let plan = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        plan.code(),
        Some(0),
        "{label}: refresh and plan see SSL on\n{plan}"
    );
    let plan_calls = sim.count(JOBS);

    ws.tf_ok(&["state", "rm", ADDR]);
    sim.clear_requests();
    ws.tf_ok(&["import", "-no-color", ADDR, cluster]);
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true), "{label}");
    let import_calls = sim.count(JOBS);
    let again = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(again.code(), Some(0), "{label}\n{again}");

    assert_eq!(sim.count(RUN), 0, "{label}: nothing was switched");
    eprintln!("{label}: {JOBS} calls for a plan: {plan_calls}; for an import: {import_calls}");
}

#[test]
fn ssl_on_behind_two_thousand_newer_jobs_reads_as_on_when_the_server_ignores_reverse() {
    ssl_survives_a_long_history(
        &Sim::start_with(&["--job-duration-ms", "200"]),
        "oldest first",
    );
}

#[test]
fn ssl_on_behind_two_thousand_newer_jobs_reads_as_on_when_the_server_honours_reverse() {
    ssl_survives_a_long_history(
        &Sim::start_with(&["--job-duration-ms", "200", "--honour-reverse"]),
        "newest first",
    );
}

#[test]
fn a_reading_cut_short_by_the_limit_keeps_the_setting_and_import_fails() {
    for flags in [
        &["--job-duration-ms", "200"][..],
        &["--job-duration-ms", "200", "--honour-reverse"],
    ] {
        let sim = Sim::start_with(flags);
        let provider = "provider \"qingcloud\" {\n  job_history_limit = 100\n}\n";
        let ws = on_then_history(&sim, "cl-limt0001", 2000, provider);

        let plan = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            plan.code(),
            Some(0),
            "{flags:?}: the prior setting stands\n{plan}"
        );
        plan.assert_contains("SSL setting of cluster cl-limt0001 not confirmed")
            .assert_contains("job_history_limit");
        assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true));

        ws.tf_ok(&["state", "rm", ADDR]);
        ws.tf_err(&["import", "-no-color", ADDR, "cl-limt0001"])
            .assert_contains("Cannot tell whether SSL is on for cluster cl-limt0001")
            .assert_contains("Raise `job_history_limit`");
        assert!(ws.resource(ADDR).is_none());
        assert_eq!(sim.count(RUN), 0, "{flags:?}");
    }
}

#[test]
fn a_job_done_with_failure_is_a_failure_naming_the_job() {
    let sim = Sim::start_with(&["--job-duration-ms", "200"]);
    sim.add_cluster("cl-part0001", "pek3a", false);
    sim.set_faults(json!({"fail_jobs": {"cl-part0001": "done with failure"}}));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-part0001", true, ""));
    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    out.assert_contains("failed on cluster cl-part0001")
        .assert_contains("done with failure");
    assert!(out.combined().contains("configuring_SSL job j-"), "{out}");
    assert!(ws.resource(ADDR).is_none());
    assert_eq!(sim.count(RUN), 1);
}

#[test]
fn a_cluster_of_another_app_is_refused_before_any_job() {
    let sim = Sim::start_with(&["--job-duration-ms", "200"]);
    sim.add_cluster_with(json!({
        "cluster_id": "cl-redis001", "zone": "pek3a", "app_id": "app-redis001"
    }));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-redis001", true, ""));
    ws.tf_err(&["apply", "-auto-approve", "-no-color"])
        .assert_contains("Cluster cl-redis001 is not a MySQL Plus cluster")
        .assert_contains("app-redis001");
    assert_eq!(sim.count(RUN), 0);
}

#[test]
fn plans_that_turn_ssl_off_warn_about_ssl_only_accounts() {
    let sim = Sim::start_with(&["--job-duration-ms", "200"]);
    sim.add_cluster("cl-acct0001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-acct0001", true, ""));
    ws.tf_ok(&["plan", "-no-color"])
        .assert_not_contains("ssl=YES");
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    ws.write_config(&one("cl-acct0001", false, ""));
    ws.tf_ok(&["plan", "-no-color"])
        .assert_contains("locks out every database account")
        .assert_contains("ssl=YES");
    ws.write_config(&one("cl-acct0001", true, ""));
    ws.tf_ok(&["plan", "-destroy", "-no-color"])
        .assert_contains("locks out every database account")
        .assert_contains("ssl=YES");
}
