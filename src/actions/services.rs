//! The MySQL Plus custom services as documented (../shared/qingcloud-api.md, "MySQL Plus custom
//! services"): each service's roles and parameters, in one table that validation, planning,
//! the request sent and the docs all read. Values are checked offline; the server checks
//! them again.

use std::net::IpAddr;

use qingcloud::ids;

/// How a parameter's value is checked (and sent: `Int` values go as JSON numbers, the rest as
/// strings).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Check {
    /// Free text of this many characters.
    Text {
        min: usize,
        max: usize,
    },
    /// A rule, described for messages.
    Rule(fn(&str) -> bool, &'static str),
    OneOf(&'static [&'static str]),
    Int {
        min: i64,
        max: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needed {
    Always,
    Optional,
    /// Required when the parameter named first has the value named second.
    When(&'static str, &'static str),
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) check: Check,
    pub(crate) needed: Needed,
    /// A password: only in `sensitive_params`, never quoted in a message.
    pub(crate) secret: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Service {
    pub(crate) name: &'static str,
    /// The documented roles; with one, `role` may be left out.
    pub(crate) roles: &'static [&'static str],
    pub(crate) params: &'static [Param],
    /// What it restarts, for the plan's warning.
    pub(crate) restarts: Option<&'static str>,
    pub(crate) summary: &'static str,
}

impl Service {
    pub(crate) fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// configuring_SSL is documented but refused: the `qingcloud_mysqlplus_ssl` resource owns it.
pub(crate) const SSL_SERVICE: &str = qingcloud::SSL_SERVICE;

const MAIN: &[&str] = &["maininstance"];
const YES_NO: Check = Check::OneOf(&["YES", "NO"]);
const PORT: Check = Check::Int { min: 1, max: 65535 };

const fn p(name: &'static str, check: Check) -> Param {
    Param {
        name,
        check,
        needed: Needed::Always,
        secret: false,
    }
}

const fn secret(name: &'static str) -> Param {
    Param {
        name,
        check: Check::Rule(is_password, PASSWORD_RULE),
        needed: Needed::Always,
        secret: true,
    }
}

const fn optional(param: Param) -> Param {
    Param {
        needed: Needed::Optional,
        ..param
    }
}

const fn when(param: Param, name: &'static str, value: &'static str) -> Param {
    Param {
        needed: Needed::When(name, value),
        ..param
    }
}

const NODE_ID: Param = p("node_id", Check::Rule(is_node_id, NODE_ID_RULE));
const ACCOUNT: Check = Check::Rule(is_account, ACCOUNT_RULE);
const HOSTS: Check = Check::Rule(is_hosts, HOSTS_RULE);
const IP: Check = Check::Rule(is_ip, "an IP address");

pub(crate) const SERVICES: &[Service] = &[
    Service {
        name: "restart_node",
        roles: &["maininstance", "readinstance", "proxy"],
        params: &[NODE_ID],
        restarts: Some("restarts the node `node_id`: its connections drop"),
        summary: "Restarts one node.",
    },
    Service {
        name: "rebuildme",
        roles: &["readinstance"],
        params: &[NODE_ID],
        restarts: Some("rebuilds the read-only node `node_id`: it is out of service meanwhile"),
        summary: "Rebuilds a read-only node.",
    },
    Service {
        name: "set_readonly",
        roles: MAIN,
        params: &[p("readonly", YES_NO)],
        restarts: None,
        summary: "Makes the cluster read-only (`YES`) or writable (`NO`).",
    },
    Service {
        name: "assignmaster",
        roles: MAIN,
        params: &[NODE_ID],
        restarts: Some("switches the master to `node_id`: connections to the old master drop"),
        summary: "Makes `node_id` the master.",
    },
    Service {
        name: SSL_SERVICE,
        roles: MAIN,
        params: &[p("configssl", YES_NO)],
        restarts: Some("restarts the database"),
        summary: "Not available as an action: use the `qingcloud_mysqlplus_ssl` resource.",
    },
    Service {
        name: "add_user",
        roles: MAIN,
        params: &[
            p("user", ACCOUNT),
            secret("passwd"),
            p("database", Check::Rule(is_database, DATABASE_RULE)),
            p("host", HOSTS),
            p("ssl", YES_NO),
            p(
                "priv",
                Check::OneOf(&["StandardAccount", "SuperuserAccount"]),
            ),
        ],
        restarts: None,
        summary: "Adds a database account (fails if it exists); `ssl = YES` makes it SSL-only.",
    },
    Service {
        name: "del_user",
        roles: MAIN,
        params: &[p("user", ACCOUNT), p("host", HOSTS)],
        restarts: None,
        summary: "Drops a database account.",
    },
    Service {
        name: "add_ck_user",
        roles: &["analysis"],
        params: &[
            p("user", Check::Rule(is_ck_account, CK_ACCOUNT_RULE)),
            secret("passwd"),
            p("host", HOSTS),
        ],
        restarts: None,
        summary: "Adds an account to the analysis (ClickHouse) nodes.",
    },
    Service {
        name: "del_ck_user",
        roles: &["analysis"],
        params: &[p("user", Check::Rule(is_ck_account, CK_ACCOUNT_RULE))],
        restarts: None,
        summary: "Drops an account of the analysis nodes.",
    },
    Service {
        name: "migrate_data",
        roles: MAIN,
        params: &[
            p("xtrabackup", YES_NO),
            when(p("host", IP), "xtrabackup", "NO"),
            when(p("port", PORT), "xtrabackup", "NO"),
            when(
                p(
                    "cluster_id",
                    Check::Rule(ids::is_cluster_id, "a cluster ID"),
                ),
                "xtrabackup",
                "YES",
            ),
            p("user", Check::Text { min: 1, max: 64 }),
            secret("passwd"),
        ],
        restarts: None,
        summary: "Migrates data in (mysqldump with `xtrabackup = NO`, or xtrabackup from \
                  `cluster_id`); auto-backup stays off until `stop_migrate`.",
    },
    Service {
        name: "stop_migrate",
        roles: MAIN,
        params: &[],
        restarts: Some("restarts the cluster"),
        summary: "Ends a migration and turns auto-backup back on.",
    },
    Service {
        name: "start_standby",
        roles: MAIN,
        params: &[
            p("sync_way", Check::OneOf(&["full", "increment"])),
            p("zone", Check::Rule(ids::is_zone, ids::ZONE_RULE)),
            p("host", IP),
            p("port", PORT),
            p(
                "cluster_id",
                Check::Rule(ids::is_cluster_id, "a cluster ID"),
            ),
            p("user", Check::Text { min: 1, max: 64 }),
            secret("passwd"),
        ],
        restarts: None,
        summary: "Makes the cluster a standby replicating from a primary.",
    },
    Service {
        name: "stop_standby",
        roles: MAIN,
        params: &[],
        restarts: None,
        summary: "Stops replicating from the primary.",
    },
    Service {
        name: "promote_standby",
        roles: MAIN,
        params: &[],
        restarts: None,
        summary: "Promotes the standby; replication from the primary stops.",
    },
    Service {
        name: "start_log_server",
        roles: MAIN,
        params: &[
            p("mysql_log", Check::Rule(is_log_list, LOG_LIST_RULE)),
            p("http_user", Check::Text { min: 1, max: 64 }),
            Param {
                check: Check::Text { min: 1, max: 64 },
                ..secret("http_password")
            },
        ],
        restarts: None,
        summary: "Serves logs (and the SSL certificates, `mysql-cert`) over HTTP on port 18801.",
    },
    Service {
        name: "stop_log_server",
        roles: MAIN,
        params: &[p("clean_log", YES_NO)],
        restarts: None,
        summary: "Stops the log server.",
    },
    Service {
        name: "start_zabbix",
        roles: MAIN,
        params: &[
            optional(p(
                "zabbix_agent_port",
                Check::Int {
                    min: 8802,
                    max: 65534,
                },
            )),
            p("zabbix_server_ip", IP),
        ],
        restarts: None,
        summary: "Starts the Zabbix agent (port 10050 unless `zabbix_agent_port` says).",
    },
    Service {
        name: "stop_zabbix",
        roles: MAIN,
        params: &[],
        restarts: None,
        summary: "Stops the Zabbix agent.",
    },
];

pub(crate) fn find(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The services an action may run, for messages.
pub(crate) fn names() -> String {
    SERVICES
        .iter()
        .filter(|s| s.name != SSL_SERVICE)
        .map(|s| format!("`{}`", s.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The services as a Markdown list, for the schema's description (and so the docs).
pub(crate) fn markdown() -> String {
    SERVICES
        .iter()
        .filter(|s| s.name != SSL_SERVICE)
        .map(|s| {
            let params = s
                .params
                .iter()
                .map(|p| {
                    let mut text = format!("`{}`", p.name);
                    if p.secret {
                        text.push_str(" (sensitive)");
                    }
                    if p.needed == Needed::Optional {
                        text.push_str(" (optional)");
                    }
                    if let Needed::When(other, value) = p.needed {
                        text.push_str(&format!(" (when `{other}` is `{value}`)"));
                    }
                    text
                })
                .collect::<Vec<_>>();
            let roles = s.roles.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>();
            format!(
                "- `{}` (role {}; parameters: {}): {}",
                s.name,
                roles.join(", "),
                if params.is_empty() {
                    "none".to_string()
                } else {
                    params.join(", ")
                },
                s.summary
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const NODE_ID_RULE: &str = "a node ID: \"cln-\" and lower-case letters and digits";
fn is_node_id(v: &str) -> bool {
    v.strip_prefix("cln-").is_some_and(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

const ACCOUNT_RULE: &str = "2 to 26 letters, digits and `_`, and not `root`, `qc_admin`, \
                            `qc_repl` or `qc_check`";
fn is_account(v: &str) -> bool {
    (2..=26).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !["root", "qc_admin", "qc_repl", "qc_check"].contains(&v)
}

const CK_ACCOUNT_RULE: &str = "2 to 26 letters, digits and `_`, and not `default`";
fn is_ck_account(v: &str) -> bool {
    (2..=26).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && v != "default"
}

const PASSWORD_SPECIALS: &str = "@#$%^&*_+-=";
pub(crate) const PASSWORD_RULE: &str = "8 to 32 characters with an upper-case letter, a \
                                        lower-case letter, a digit and one of `@#$%^&*_+-=`, \
                                        and nothing else";
fn is_password(v: &str) -> bool {
    let special = |c: char| PASSWORD_SPECIALS.contains(c);
    (8..=32).contains(&v.chars().count())
        && v.chars().all(|c| c.is_ascii_alphanumeric() || special(c))
        && v.chars().any(|c| c.is_ascii_uppercase())
        && v.chars().any(|c| c.is_ascii_lowercase())
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().any(special)
}

const DATABASE_RULE: &str = "one database name (letters, digits, `_`, `$`) or `*` for all";
fn is_database(v: &str) -> bool {
    v == "*"
        || (!v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$'))
}

fn is_ip(v: &str) -> bool {
    v.parse::<IpAddr>().is_ok()
}

const HOSTS_RULE: &str = "`%` (any host) or IP addresses and CIDR blocks separated by `;`";
fn is_hosts(v: &str) -> bool {
    v == "%"
        || (!v.is_empty()
            && v.split(';').all(|part| match part.split_once('/') {
                None => is_ip(part),
                Some((ip, bits)) => {
                    let max = if ip.contains(':') { 128 } else { 32 };
                    is_ip(ip) && bits.parse::<u8>().is_ok_and(|b| b <= max)
                }
            }))
}

const LOGS: &[&str] = &[
    "mysql-error",
    "mysql-slow",
    "mysql-audit",
    "mysql-bin",
    "mysql-cert",
];
const LOG_LIST_RULE: &str = "a comma-separated list of `mysql-error`, `mysql-slow`, \
                             `mysql-audit`, `mysql-bin` and `mysql-cert`";
fn is_log_list(v: &str) -> bool {
    !v.is_empty() && v.split(',').all(|l| LOGS.contains(&l.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eighteen_documented_services_each_with_a_role() {
        assert_eq!(SERVICES.len(), 18);
        for s in SERVICES {
            assert!(!s.roles.is_empty(), "{}", s.name);
            assert_eq!(find(s.name).map(|f| f.name), Some(s.name));
        }
        assert!(!names().contains(SSL_SERVICE));
    }

    #[test]
    fn rules() {
        assert!(is_password("Abcdef1#"));
        assert!(!is_password("abcdef1#"));
        assert!(!is_password("Abcdefg#"));
        assert!(!is_password("Abcdef1 #"));
        assert!(is_hosts("%") && is_hosts("10.0.0.1;192.168.0.0/16"));
        assert!(!is_hosts("10.0.0.1/33") && !is_hosts("example.com"));
        assert!(is_account("app_user") && !is_account("root") && !is_account("a"));
        assert!(is_node_id("cln-abc123") && !is_node_id("cl-abc"));
        assert!(is_log_list("mysql-cert,mysql-error") && !is_log_list("mysql-x"));
        assert!(is_database("*") && is_database("orders") && !is_database("a,b"));
    }
}
