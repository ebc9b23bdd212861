//! End-to-end: `terraform query` (Terraform 1.15.5) lists the simulator's MySQL Plus clusters
//! through the `qingcloud_mysqlplus_ssl` list resource, generates configuration that imports
//! every one of them without a change, and ends with an error naming the page when a page of
//! the listing cannot be read.

use qingcloud_sim::client::DeleteMode;
use serde_json::{Value, json};

use crate::support::{Sim, Workspace, hcl};

const MYSQL: usize = 250;
const OTHER_APP: usize = 7;

fn mysql_id(i: usize) -> String {
    format!("cl-q{i:07}")
}

/// 250 MySQL Plus clusters named `orders-db-N` (every 7th with SSL on) and some clusters of
/// another app, which must never be listed.
fn world() -> Sim {
    let sim = Sim::start_with(&["--job-duration-ms", "0"]);
    for i in 0..MYSQL {
        sim.add_cluster_with(json!({
            "cluster_id": mysql_id(i),
            "zone": "pek3a",
            "name": format!("orders-db-{i}"),
            "ssl": i % 7 == 0,
        }));
    }
    for i in 0..OTHER_APP {
        sim.add_cluster_with(json!({
            "cluster_id": format!("cl-redis{i:03}"),
            "zone": "pek3a",
            "name": format!("cache-{i}"),
            "app_id": "app-redis001",
        }));
    }
    sim
}

fn query_file(extra: &str) -> String {
    format!(
        "list \"qingcloud_mysqlplus_ssl\" \"all\" {{\n  provider = qingcloud\n{extra}  config {{\n  }}\n}}\n"
    )
}

fn workspace(sim: &Sim, extra: &str) -> Workspace {
    let ws = Workspace::new(Some(sim));
    ws.write_config(&hcl(""));
    ws.write_file("all.tfquery.hcl", &query_file(extra));
    ws
}

fn found(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|l| l["type"] == "list_resource_found")
        .collect()
}

#[test]
fn query_lists_every_mysql_plus_cluster_once_and_no_other_app() {
    let sim = world();
    let ws = workspace(&sim, "  limit = 1000\n");

    let out = ws.tf_ok(&["query", "-no-color"]);
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("list.qingcloud_mysqlplus_ssl.all"))
        .collect();
    assert_eq!(rows.len(), MYSQL, "{out}");
    let row_of_7 = rows
        .iter()
        .find(|r| r.contains(&mysql_id(7)))
        .unwrap_or_else(|| panic!("no row for {}\n{out}", mysql_id(7)));
    assert!(row_of_7.contains("cluster_id=cl-q0000007"), "{row_of_7}");
    assert!(row_of_7.contains("zone=pek3a"), "{row_of_7}");
    assert!(row_of_7.contains("orders-db-7 (cl-q0000007)"), "{row_of_7}");
    out.assert_not_contains("cl-redis");
    out.assert_not_contains("cache-");
    // 250 clusters in pages of 100: three listing calls, each asking for MySQL Plus only.
    let listing: Vec<Value> = sim
        .requests()
        .into_iter()
        .filter(|r| r["action"] == "DescribeClusters" && r["params"]["apps.1"].is_string())
        .collect();
    assert_eq!(listing.len(), 3, "{listing:#?}");
    assert!(
        listing
            .iter()
            .all(|r| r["params"]["apps.1"] == "app-00r26u27")
    );

    let json = ws.tf_ok(&["query", "-json"]);
    let lines = json.json_lines();
    let results = found(&lines);
    assert_eq!(results.len(), MYSQL, "{json}");
    let ids: std::collections::BTreeSet<String> = results
        .iter()
        .map(|l| {
            let identity = &l["list_resource_found"]["identity"];
            assert_eq!(identity["zone"], "pek3a", "{l}");
            identity["cluster_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let expected: std::collections::BTreeSet<String> = (0..MYSQL).map(mysql_id).collect();
    assert_eq!(ids, expected);
    // Listing alone reads no job history and switches nothing.
    assert_eq!(sim.count("RunClusterCustomService"), 0);
}

#[test]
fn a_limit_of_10_yields_10() {
    let sim = world();
    let ws = workspace(&sim, "  limit = 10\n");
    let out = ws.tf_ok(&["query", "-json"]);
    assert_eq!(found(&out.json_lines()).len(), 10, "{out}");
    // The provider stops at the limit: one page, no reading ahead.
    assert_eq!(sim.count("DescribeClusters"), 1);

    // With states, only the clusters shown (and the few readings in flight) are read.
    ws.write_file(
        "all.tfquery.hcl",
        &query_file("  limit = 10\n  include_resource = true\n"),
    );
    sim.clear_requests();
    let out = ws.tf_ok(&["query", "-json"]);
    assert_eq!(found(&out.json_lines()).len(), 10, "{out}");
    let histories = sim.count("DescribeClusterJobs");
    assert!(
        (10..=30).contains(&histories),
        "{histories} histories read for 10 results"
    );
}

#[test]
fn generated_configuration_imports_all_clusters_without_a_change() {
    let sim = world();
    let ws = workspace(&sim, "  limit = 1000\n");
    ws.tf_ok(&["query", "-generate-config-out=generated.tf", "-no-color"]);
    // The pages list the clusters; each state then needs only its job history, not a second
    // look at the cluster.
    assert_eq!(sim.count("DescribeClusters"), MYSQL.div_ceil(100));
    assert_eq!(sim.count("DescribeClusterJobs"), MYSQL);
    let generated = ws.read_file("generated.tf");
    assert_eq!(
        generated
            .matches("resource \"qingcloud_mysqlplus_ssl\"")
            .count(),
        MYSQL
    );
    assert_eq!(generated.matches("import {").count(), MYSQL, "{generated}");
    // What a person would write: no computed values, no zone equal to the provider's.
    let resources: Vec<&str> = generated
        .split("\n\n")
        .filter(|b| b.contains("resource \"qingcloud_mysqlplus_ssl\""))
        .collect();
    assert_eq!(resources.len(), MYSQL, "{generated}");
    for block in &resources {
        let args: Vec<&str> = block
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
            .collect();
        assert_eq!(args, ["provider", "cluster_id", "enabled"], "{block}");
    }
    assert_eq!(
        generated.matches("enabled    = true").count(),
        MYSQL.div_ceil(7),
        "{generated}"
    );
    ws.tf_ok(&["fmt", "-check", "generated.tf"]);

    let plan = ws.tf_ok(&["plan", "-no-color"]);
    plan.assert_contains(&format!(
        "Plan: {MYSQL} to import, 0 to add, 0 to change, 0 to destroy."
    ));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(sim.count("RunClusterCustomService"), 0);
    let values = ws.resource_values(&format!("qingcloud_mysqlplus_ssl.all_{}", 7));
    assert_eq!(values["enabled"], json!(true), "{values}");
}

#[test]
fn a_page_that_keeps_failing_ends_the_query_with_an_error_naming_it() {
    let sim = world();
    sim.set_faults(json!({
        "error_requests": [{"action": "DescribeClusters", "offset": 100, "code": 5000}]
    }));
    let ws = workspace(&sim, "  limit = 1000\n");
    let out = ws.tf_err(&["query", "-no-color"]);
    out.assert_contains("Cannot list the MySQL Plus clusters of zone pek3a");
    out.assert_contains("page 2 of the cluster listing (offset 100");
    // Retries were spent on that page before giving up.
    let page2 = sim
        .requests()
        .into_iter()
        .filter(|r| r["action"] == "DescribeClusters" && r["params"]["offset"] == "100")
        .count();
    assert!(page2 > 1, "page 2 was asked {page2} times");
}

#[test]
fn clusters_of_another_zone_keep_their_zone_in_generated_configuration() {
    let sim = Sim::start_with(&["--job-duration-ms", "0"]);
    sim.add_cluster_with(
        json!({"cluster_id": "cl-sh1a0001", "zone": "sh1a", "name": "sh-db", "ssl": true}),
    );
    sim.add_cluster("cl-pek30001", "pek3a", false);
    // Deleted clusters are still listed by the API for a while; they hold nothing to manage.
    sim.add_cluster("cl-sh1adel1", "sh1a", false);
    sim.delete_cluster("cl-sh1adel1", DeleteMode::Deleted);
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(""));
    ws.write_file(
        "sh.tfquery.hcl",
        "list \"qingcloud_mysqlplus_ssl\" \"sh\" {\n  provider = qingcloud\n  config {\n    zone = \"sh1a\"\n  }\n}\n",
    );
    let out = ws.tf_ok(&["query", "-generate-config-out=generated.tf", "-no-color"]);
    out.assert_contains("sh-db (cl-sh1a0001)");
    out.assert_not_contains("cl-pek30001");
    out.assert_not_contains("cl-sh1adel1");
    let generated = ws.read_file("generated.tf");
    assert!(
        generated.contains("  zone       = \"sh1a\"\n"),
        "{generated}"
    );
    ws.tf_ok(&["fmt", "-check", "generated.tf"]);
    let plan = ws.tf_ok(&["plan", "-no-color"]);
    plan.assert_contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
}

#[test]
fn the_documented_example_query_runs() {
    let sim = Sim::start_with(&["--job-duration-ms", "0"]);
    for (id, name, status) in [
        ("cl-exord001", "orders-db", "active"),
        ("cl-exord002", "orders-replica", "stopped"),
        ("cl-exbil001", "billing-db", "active"),
    ] {
        sim.add_cluster_with(
            json!({"cluster_id": id, "zone": "pek3a", "name": name, "status": status}),
        );
    }
    let ws = Workspace::new(Some(&sim));
    ws.write_config(&hcl(""));
    let example = std::fs::read_to_string(
        "examples/list-resources/qingcloud_mysqlplus_ssl/list-resource.tfquery.hcl",
    )
    .unwrap_or_else(|e| panic!("cannot read the example: {e}"));
    ws.write_file("all.tfquery.hcl", &example);
    let out = ws.tf_ok(&["query", "-no-color"]);
    out.assert_contains("orders-db (cl-exord001)");
    out.assert_not_contains("cl-exord002");
    out.assert_not_contains("cl-exbil001");
}
