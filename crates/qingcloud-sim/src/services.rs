//! The MySQL Plus custom services the simulator runs, with its own check of each request (as
//! the server validates an app's custom service before any job exists): an unknown service, a
//! role it does not run on, or a required parameter that is missing is 1100. Values are not
//! checked (the provider does that offline), and none is ever quoted in an answer: some are
//! passwords.

use serde_json::{Map, Value};

use super::error::ApiError;

const MAIN: &[&str] = &["maininstance"];

/// Each service: its roles, the parameters it needs, and how long its job takes relative to
/// the configured job duration, in percent (user changes are quick; rebuilds and migrations
/// slow).
struct Service {
    name: &'static str,
    roles: &'static [&'static str],
    needs: &'static [&'static str],
    duration_percent: u64,
}

const fn s(
    name: &'static str,
    roles: &'static [&'static str],
    needs: &'static [&'static str],
    duration_percent: u64,
) -> Service {
    Service {
        name,
        roles,
        needs,
        duration_percent,
    }
}

const SERVICES: &[Service] = &[
    s(
        "restart_node",
        &["maininstance", "readinstance", "proxy"],
        &["node_id"],
        100,
    ),
    s("rebuildme", &["readinstance"], &["node_id"], 200),
    s("set_readonly", MAIN, &["readonly"], 50),
    s("assignmaster", MAIN, &["node_id"], 100),
    s("configuring_SSL", MAIN, &["configssl"], 100),
    s(
        "add_user",
        MAIN,
        &["user", "passwd", "database", "host", "ssl", "priv"],
        50,
    ),
    s("del_user", MAIN, &["user", "host"], 50),
    s(
        "add_ck_user",
        &["analysis"],
        &["user", "passwd", "host"],
        50,
    ),
    s("del_ck_user", &["analysis"], &["user"], 50),
    s("migrate_data", MAIN, &["xtrabackup", "user", "passwd"], 200),
    s("stop_migrate", MAIN, &[], 100),
    s(
        "start_standby",
        MAIN,
        &[
            "sync_way",
            "zone",
            "host",
            "port",
            "cluster_id",
            "user",
            "passwd",
        ],
        200,
    ),
    s("stop_standby", MAIN, &[], 50),
    s("promote_standby", MAIN, &[], 100),
    s(
        "start_log_server",
        MAIN,
        &["mysql_log", "http_user", "http_password"],
        50,
    ),
    s("stop_log_server", MAIN, &["clean_log"], 50),
    s("start_zabbix", MAIN, &["zabbix_server_ip"], 50),
    s("stop_zabbix", MAIN, &[], 50),
];

/// Checks a request and returns how long its job takes, in percent of the configured duration.
pub fn check(service: &str, role: &str, service_params: &str) -> Result<u64, ApiError> {
    let Some(s) = SERVICES.iter().find(|s| s.name == service) else {
        return Err(ApiError::invalid(
            "service",
            service,
            "unknown custom service",
        ));
    };
    if !s.roles.contains(&role) {
        return Err(ApiError::invalid(
            "role",
            role,
            &format!("{service} runs on {}", s.roles.join(", ")),
        ));
    }
    let params: Map<String, Value> = match serde_json::from_str(service_params) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err(ApiError::new(
                1100,
                "InvalidParameterValue, service_params must be a JSON object",
            ));
        }
    };
    if let Some(missing) = s.needs.iter().find(|n| !params.contains_key(**n)) {
        return Err(ApiError::new(
            1100,
            format!("MissingParameter, {service} needs [{missing}] in service_params"),
        ));
    }
    Ok(s.duration_percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighteen_services_with_their_own_checks_that_never_quote_values() {
        assert_eq!(SERVICES.len(), 18);
        assert_eq!(check("stop_zabbix", "maininstance", "{}"), Ok(50));
        assert_eq!(
            check("reboot", "maininstance", "{}").map_err(|e| e.code),
            Err(1100)
        );
        assert_eq!(
            check("rebuildme", "maininstance", "{}").map_err(|e| e.code),
            Err(1100)
        );
        let e = check(
            "add_user",
            "maininstance",
            r#"{"user":"a","passwd":"Secret#123"}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("database") && !e.message.contains("Secret"));
    }
}
