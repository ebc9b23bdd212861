//! End-to-end: the real Terraform CLI drives the provider, which talks real HTTP to
//! qingcloud-sim. Each test proves one behaviour users rely on; the simulator's request log
//! is the witness of what the provider actually asked QingCloud to do.

use std::time::Duration;

use qingcloud_sim::client::DeleteMode;
use serde_json::json;

use crate::support::{SECRET_KEY, Sim, Workspace, hcl, wait_until};

const RUN: &str = "RunClusterCustomService";
const ADDR: &str = "qingcloud_mysqlplus_ssl.db";

fn sim() -> Sim {
    Sim::start_with(&["--job-duration-ms", "300"])
}

fn one(cluster: &str, enabled: bool, extra: &str) -> String {
    hcl(&format!(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {{\n  cluster_id = \"{cluster}\"\n  enabled    = {enabled}\n{extra}}}\n"
    ))
}

/// Plans and panics, showing the plan, unless it is empty.
#[track_caller]
fn assert_plan_empty(ws: &Workspace) {
    let out = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.code(), Some(0), "expected an empty plan\n{out}");
}

#[test]
fn create_update_noop_and_destroy_each_make_exactly_the_calls_needed() {
    let sim = sim();
    sim.add_cluster("cl-life0001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));

    ws.write_config(&one("cl-life0001", true, ""));
    let plan = ws.tf_ok(&["plan", "-no-color"]);
    plan.assert_contains("restarts the database of cluster cl-life0001");
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(sim.cluster_ssl("cl-life0001"));
    assert_eq!(sim.count(RUN), 1);
    let values = ws.resource_values(ADDR);
    assert_eq!(values["enabled"], json!(true));
    assert_eq!(values["id"], json!("cl-life0001"));
    assert_eq!(values["zone"], json!("pek3a"));
    assert!(
        values["job_id"]
            .as_str()
            .is_some_and(|j| j.starts_with("j-"))
    );

    // A second plan is empty and quiet.
    let out = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.code(), Some(0), "{out}");
    out.assert_not_contains("restarts");

    ws.write_config(&one("cl-life0001", false, ""));
    ws.tf_ok(&["apply", "-auto-approve"]);
    assert!(!sim.cluster_ssl("cl-life0001"));
    assert_eq!(sim.count(RUN), 2);
    assert_plan_empty(&ws);

    ws.write_config(&one("cl-life0001", true, ""));
    ws.tf_ok(&["apply", "-auto-approve"]);
    assert_eq!(sim.count(RUN), 3);

    let destroy_plan = ws.tf_ok(&["plan", "-destroy", "-no-color"]);
    destroy_plan.assert_contains("Destroying this resource restarts the database");
    ws.tf_ok(&["destroy", "-auto-approve"]);
    assert!(!sim.cluster_ssl("cl-life0001"), "destroy turns SSL off");
    assert_eq!(sim.count(RUN), 4);
    let last = sim
        .requests()
        .into_iter()
        .rfind(|r| r["action"] == RUN)
        .unwrap_or_default();
    assert_eq!(last["params"]["service"], json!("configuring_SSL"));
    assert_eq!(last["params"]["role"], json!("maininstance"));
    assert_eq!(
        last["params"]["service_params"],
        json!(r#"{"configssl":"NO"}"#)
    );
}

#[test]
fn create_when_the_cluster_already_has_the_setting_makes_no_call() {
    let sim = sim();
    sim.add_cluster("cl-same0001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-same0001", false, ""));
    ws.tf_ok(&["apply", "-auto-approve"]);
    assert_eq!(sim.count(RUN), 0);
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(false));
    // Destroying a resource whose SSL is already off restarts nothing either.
    ws.tf_ok(&["destroy", "-auto-approve"]);
    assert_eq!(sim.count(RUN), 0);
}

#[test]
fn import_by_id_and_by_block_leaves_an_empty_plan() {
    let sim = sim();
    sim.add_cluster("cl-imp00001", "pek3a", false);
    sim.add_cluster("cl-imp00002", "pek3a", false);
    sim.console_ssl_and_wait("cl-imp00001", true);
    sim.console_ssl_and_wait("cl-imp00002", true);
    sim.clear_requests();

    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-imp00001", true, ""));
    ws.tf_ok(&["import", ADDR, "cl-imp00001"]);
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true));
    assert_plan_empty(&ws);

    // zone/cluster form, in a fresh workspace.
    let ws2 = Workspace::new(Some(&sim));
    ws2.write_config(&one("cl-imp00001", true, ""));
    ws2.tf_ok(&["import", ADDR, "pek3a/cl-imp00001"]);
    assert_plan_empty(&ws2);

    // An import block: the apply imports and changes nothing.
    let ws3 = Workspace::new(Some(&sim));
    ws3.write_config(
        &(one("cl-imp00002", true, "")
            + "\nimport {\n  to = qingcloud_mysqlplus_ssl.db\n  id = \"cl-imp00002\"\n}\n"),
    );
    let plan = ws3.tf_ok(&["plan", "-no-color"]);
    plan.assert_contains("1 to import, 0 to add, 0 to change, 0 to destroy");
    ws3.tf_ok(&["apply", "-auto-approve"]);
    assert_plan_empty(&ws3);
    assert_eq!(sim.count(RUN), 0, "import never switches SSL");

    // A bad import ID is refused with what to type instead.
    let ws4 = Workspace::new(Some(&sim));
    ws4.write_config(&one("cl-imp00001", true, ""));
    ws4.tf_err(&["import", "-no-color", ADDR, "mysql-1"])
        .assert_contains("cl-xxxxxxxx");
}

#[test]
fn a_console_toggle_shows_up_as_drift() {
    let sim = sim();
    sim.add_cluster("cl-drift001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-drift001", true, ""));
    ws.tf_ok(&["apply", "-auto-approve"]);
    sim.console_ssl_and_wait("cl-drift001", false);
    let out = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.code(), Some(2), "{out}");
    out.assert_contains("~ enabled");
    out.assert_contains("restarts the database");
    ws.tf_ok(&["apply", "-auto-approve"]);
    assert!(sim.cluster_ssl("cl-drift001"));
}

#[test]
fn a_deleted_cluster_leaves_state_and_destroy_is_quiet() {
    let sim = sim();
    sim.add_cluster("cl-gone0001", "pek3a", false);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-gone0001", true, ""));
    ws.tf_ok(&["apply", "-auto-approve"]);
    sim.delete_cluster("cl-gone0001", DeleteMode::Deleted);
    let out = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(out.code(), Some(2), "{out}");
    out.assert_contains("will be created");
    let calls = sim.count(RUN);
    ws.tf_ok(&["destroy", "-auto-approve"]);
    assert_eq!(sim.count(RUN), calls, "no call for a cluster that is gone");
}

#[test]
fn a_failed_job_is_an_error_naming_it_and_the_state_does_not_claim_the_setting() {
    let sim = sim();
    sim.add_cluster("cl-fail0001", "pek3a", false);
    sim.set_faults(json!({"fail_jobs": {"cl-fail0001": "done with failure"}}));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-fail0001", true, ""));
    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    out.assert_contains("failed");
    out.assert_contains("done with failure");
    let job = sim
        .jobs("cl-fail0001")
        .last()
        .and_then(|j| j["job_id"].as_str().map(str::to_string))
        .unwrap_or_default();
    assert!(job.starts_with("j-"));
    out.assert_contains(&job);
    assert!(
        ws.resource(ADDR).is_none(),
        "a failed create records nothing"
    );
    assert!(!sim.cluster_ssl("cl-fail0001"));

    // An update that fails keeps the old setting in state.
    sim.clear_faults();
    ws.tf_ok(&["apply", "-auto-approve"]);
    sim.set_faults(json!({"fail_jobs": {"cl-fail0001": "failed"}}));
    ws.write_config(&one("cl-fail0001", false, ""));
    ws.tf_err(&["apply", "-auto-approve"]);
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true));
}

#[test]
fn a_job_outlasting_the_timeout_is_adopted_not_repeated() {
    let sim = sim();
    sim.add_cluster("cl-slow0001", "pek3a", false);
    // Jobs on this cluster run until the test finishes them: timeouts can be the minimum (30s).
    sim.set_faults(json!({"stuck_jobs": ["cl-slow0001"]}));
    let short = "  timeouts {\n    create = \"30s\"\n    update = \"30s\"\n  }\n";
    let long = "  timeouts {\n    create = \"5m\"\n    update = \"30s\"\n  }\n";
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-slow0001", true, short));
    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    out.assert_contains("did not finish");
    assert!(ws.resource(ADDR).is_none(), "not tainted: nothing recorded");
    assert_eq!(sim.count(RUN), 1);
    let job = newest_job(&sim, "cl-slow0001");

    // The next apply, with a longer timeout, adopts the same job while it still runs.
    ws.write_config(&one("cl-slow0001", true, long));
    let mut child = ws.spawn_tf(&["apply", "-auto-approve", "-no-color"]);
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        child.wait_timeout(Duration::ZERO).is_none(),
        "the second apply waits for the job"
    );
    sim.finish_job(&job);
    let adopted = child.wait();
    assert!(adopted.success(), "{adopted}");
    assert_eq!(
        sim.count(RUN),
        1,
        "the job was adopted, not submitted again"
    );
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true));
    assert!(sim.cluster_ssl("cl-slow0001"));

    // An update that times out keeps the job in private state; once it succeeds, a refresh
    // picks it up and the plan is empty, with no second call.
    ws.write_config(&one("cl-slow0001", false, long));
    ws.tf_err(&["apply", "-auto-approve"]);
    assert_eq!(ws.resource_values(ADDR)["enabled"], json!(true));
    assert_eq!(sim.count(RUN), 2);
    sim.finish_job(&newest_job(&sim, "cl-slow0001"));
    wait_until("the update's job", Duration::from_secs(20), || {
        !sim.cluster_ssl("cl-slow0001")
    });
    assert_plan_empty(&ws);
    assert_eq!(sim.count(RUN), 2);
}

fn newest_job(sim: &Sim, cluster: &str) -> String {
    sim.jobs(cluster)
        .last()
        .and_then(|j| j["job_id"].as_str().map(str::to_string))
        .unwrap_or_default()
}

#[test]
fn sigint_during_a_wait_stops_terraform_and_costs_no_second_call() {
    let sim = sim();
    sim.add_cluster_with(json!({"cluster_id": "cl-intr0001", "zone": "pek3a", "ssl": false, "job_duration_ms": 60000}));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("cl-intr0001", true, ""));
    let mut child = ws.spawn_tf(&["apply", "-auto-approve", "-no-color"]);
    wait_until("the configuring_SSL call", Duration::from_secs(60), || {
        sim.count(RUN) == 1
    });
    std::thread::sleep(Duration::from_millis(500));
    child.interrupt();
    let out = child
        .wait_timeout(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("terraform did not stop after SIGINT"));
    assert!(!out.success(), "{out}");
    assert!(ws.resource(ADDR).is_none());
    // The job finishes in QingCloud; the next apply adopts it.
    let job = sim
        .jobs("cl-intr0001")
        .last()
        .and_then(|j| j["job_id"].as_str().map(str::to_string))
        .unwrap_or_default();
    sim.finish_job(&job);
    ws.tf_ok(&["apply", "-auto-approve"]);
    assert_eq!(sim.count(RUN), 1);
    assert_eq!(ws.resource_values(ADDR)["job_id"], json!(job));
}

fn many(prefix: &str, n: usize, enabled: bool) -> String {
    let ids: Vec<String> = (0..n).map(|i| format!("\"{prefix}{i:04}\"")).collect();
    hcl(&format!(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {{\n  for_each   = toset([{}])\n  cluster_id = each.value\n  enabled    = {enabled}\n}}\n",
        ids.join(", ")
    ))
}

#[test]
fn transient_faults_at_a_high_rate_do_not_fail_or_repeat_anything() {
    let sim = sim();
    for i in 0..5 {
        sim.add_cluster(&format!("cl-flaky{i:04}"), "pek3a", false);
    }
    sim.set_faults(json!({
        "error_rate": 0.3, "error_codes": [5000, 5100, 2500],
        "http_503_rate": 0.1, "drop_rate": 0.1, "slow_rate": 0.1, "slow_ms": 300
    }));
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&many("cl-flaky", 5, true));
    ws.tf_ok(&["apply", "-auto-approve"]);
    for i in 0..5 {
        let id = format!("cl-flaky{i:04}");
        assert!(sim.cluster_ssl(&id), "{id}");
        assert_eq!(sim.jobs(&id).len(), 1, "{id}: exactly one job");
    }
    sim.clear_faults();
    assert_plan_empty(&ws);
}

#[test]
fn twenty_resources_apply_in_parallel_with_batched_job_polling() {
    let sim = sim();
    for i in 0..20 {
        sim.add_cluster(&format!("cl-par{i:04}"), "pek3a", false);
    }
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&many("cl-par", 20, true));
    ws.tf_ok(&["apply", "-auto-approve", "-parallelism=20"]);
    assert_eq!(sim.count(RUN), 20);
    for i in 0..20 {
        assert!(sim.cluster_ssl(&format!("cl-par{i:04}")));
    }
    let polls = sim.count("DescribeJobs");
    assert!(
        polls < 20 * 3,
        "{polls} DescribeJobs calls for 20 jobs: not batched"
    );
}

#[test]
fn bad_inputs_fail_at_validate_or_plan_with_no_api_call() {
    let sim = sim();
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&one("db-1", true, ""));
    let out = ws.tf_err(&["validate", "-no-color"]);
    out.assert_contains("Invalid cluster ID");
    out.assert_contains("cluster_id");

    ws.write_config(&one("cl-abc", true, "  zone = \"PEK3A\"\n"));
    ws.tf_err(&["plan", "-no-color"])
        .assert_contains("Invalid zone");

    ws.write_config(&one(
        "cl-abc",
        true,
        "  timeouts {\n    create = \"soon\"\n  }\n",
    ));
    ws.tf_err(&["plan", "-no-color"])
        .assert_contains("timeouts");

    let mut ws2 = Workspace::new(Some(&sim));
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    ws2.remove_env("QINGCLOUD_ACCESS_KEY")
        .env("HOME", &home.path().to_string_lossy());
    ws2.write_config(&one("cl-abc", true, ""));
    let out = ws2.tf_err(&["plan", "-no-color"]);
    out.assert_contains("QINGCLOUD_ACCESS_KEY");
    out.assert_contains("access_key");
    assert!(sim.requests().is_empty(), "no API call for bad input");
}

/// The HTTP client (and the system's CA certificates it loads) is set up at the first API call,
/// not at ConfigureProvider: a plan that only creates needs no call, so it works even where the
/// certificates cannot be loaded, and the apply then says why in one attempt, without retrying.
#[test]
fn the_http_client_is_set_up_at_the_first_call_and_a_setup_failure_is_not_retried() {
    let sim = sim();
    sim.add_cluster("cl-roots001", "pek3a", false);
    let mut ws = Workspace::new(Some(&sim));
    let no_certs = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = no_certs.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap_or_else(|e| panic!("{e}"));
    ws.env("SSL_CERT_FILE", &empty.to_string_lossy())
        .env("SSL_CERT_DIR", &no_certs.path().to_string_lossy())
        .env("TF_LOG_PROVIDER", "debug");
    ws.write_config(&one("cl-roots001", true, ""));

    let plan = ws.tf(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        plan.code(),
        Some(2),
        "a plan that only creates needs no HTTP client\n{plan}"
    );

    let out = ws.tf_err(&["apply", "-auto-approve", "-no-color"]);
    out.assert_contains("the HTTP client could not be set up");
    out.assert_contains("CA certificates");
    out.assert_contains("SSL_CERT_FILE");
    assert!(
        out.contains("qingcloud request"),
        "debug log expected\n{out}"
    );
    out.assert_not_contains("attempt=2");
    assert!(sim.requests().is_empty(), "nothing can have been sent");
    assert!(!sim.cluster_ssl("cl-roots001"));
}

#[test]
fn trace_logs_output_and_state_never_contain_the_secret_or_a_signature() {
    let sim = sim();
    sim.add_cluster("cl-leak0001", "pek3a", false);
    let mut ws = Workspace::new(Some(&sim));
    let log = ws.path().join("tf.log");
    ws.env("TF_LOG", "trace")
        .env("TF_LOG_PATH", &log.to_string_lossy());
    ws.write_config(&one("cl-leak0001", true, ""));
    let out = ws.tf_ok(&["apply", "-auto-approve"]);
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log_text.contains("provider.terraform-provider-qingcloud"),
        "the provider's own lines reach Terraform's log"
    );
    let state = ws.read_file("terraform.tfstate");
    for (name, text) in [
        ("log", &log_text),
        ("output", &out.combined()),
        ("state", &state),
    ] {
        assert!(!text.contains(SECRET_KEY), "secret key in {name}");
        assert!(!text.contains("signature="), "a signed query in {name}");
    }
}
