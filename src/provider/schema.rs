//! The `qingcloud` provider block and its offline validation.

use super::model::Config;
use crate::zone::{zone_error, zone_is_valid};
use qingcloud::Endpoint;
use tfplugin::framework::{
    Attribute, Block, Diagnostic, Diagnostics, Model, Presence, Schema, Type, Value,
};
use tfplugin::path;

pub(super) fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "The QingCloud provider manages QingCloud resources through the \
                          QingCloud IaaS API. Credentials come from the provider block, then the \
                          `QINGCLOUD_*` environment variables, then `~/.qingcloud/config.yaml`."
                .into(),
            attributes: vec![
                Attribute::new(
                    "access_key",
                    Type::String,
                    Presence::Optional,
                    "QingCloud API access key ID. Falls back to `QINGCLOUD_ACCESS_KEY`, then \
                     `qy_access_key_id` in `~/.qingcloud/config.yaml`.",
                ),
                Attribute::new(
                    "secret_key",
                    Type::String,
                    Presence::Optional,
                    "QingCloud API secret access key. Falls back to `QINGCLOUD_SECRET_KEY`, then \
                     `qy_secret_access_key` in `~/.qingcloud/config.yaml`. Never logged or \
                     stored in state.",
                )
                .sensitive(),
                Attribute::new(
                    "zone",
                    Type::String,
                    Presence::Optional,
                    "Default zone for resources that do not set one, e.g. `pek3a` or `sh1a`. \
                     Falls back to `QINGCLOUD_ZONE`, then `zone` in `~/.qingcloud/config.yaml`.",
                ),
                Attribute::new(
                    "endpoint",
                    Type::String,
                    Presence::Optional,
                    "API endpoint URL. Defaults to `https://api.qingcloud.com:443/iaas/`. Set it \
                     for private clouds, or to a local `qingcloud-sim` (`http://127.0.0.1:PORT/iaas/`; \
                     plain `http` elsewhere than loopback gets a warning). Falls back to \
                     `QINGCLOUD_ENDPOINT`.",
                ),
                Attribute::new(
                    "job_history_limit",
                    Type::Number,
                    Presence::Optional,
                    "How many of a cluster's newest jobs a reading may look through for the \
                     last `configuring_SSL` job (default 5000; read 100 per call). No API \
                     reports whether SSL is on, so the provider reads the job history. When the \
                     limit is reached without an answer, a refresh keeps the recorded setting \
                     with a warning, and an import or apply fails: raise the limit then.",
                ),
            ],
            ..Block::default()
        },
    }
}

/// Offline checks of the block (values may be unknown): its shape, then each setting's rule.
pub(super) fn validate(config: &Value) -> Diagnostics {
    match Config::from_value(config) {
        Ok(config) => validate_config(&config),
        Err(diags) => diags,
    }
}

pub(super) fn validate_config(config: &Config) -> Diagnostics {
    let mut diags = Diagnostics::default();
    if let Some(zone) = config.zone.as_str()
        && !zone_is_valid(zone)
    {
        diags.push(zone_error(zone, path!(Config.zone)));
    }
    for (key, value, at) in [
        ("access_key", &config.access_key, path!(Config.access_key)),
        ("secret_key", &config.secret_key, path!(Config.secret_key)),
    ] {
        if value.as_str() == Some("") {
            diags.push(
                Diagnostic::error(
                    format!("Empty {key}"),
                    format!("Set {key} to a value or leave it out to use the environment."),
                )
                .at(at),
            );
        }
    }
    if let Some(endpoint) = config.endpoint.as_str() {
        diags.extend(validate_endpoint(endpoint));
    }
    if let Err(d) = job_history_limit(config) {
        diags.push(d);
    }
    diags
}

/// The largest `job_history_limit`: 10,000 calls of 100 jobs for one reading is already more
/// than anyone should wait for.
const JOB_HISTORY_MAX: i64 = 1_000_000;

/// `job_history_limit` when set and known; an error when it is not a sane whole number.
pub(super) fn job_history_limit(config: &Config) -> Result<Option<u32>, Diagnostic> {
    let Some(n) = config.job_history_limit.known() else {
        return Ok(None);
    };
    match n.as_i64() {
        Some(v @ 1..=JOB_HISTORY_MAX) => Ok(u32::try_from(v).ok()),
        _ => Err(Diagnostic::error(
            "Invalid job_history_limit",
            format!("job_history_limit must be a whole number from 1 to {JOB_HISTORY_MAX}."),
        )
        .at(path!(Config.job_history_limit))),
    }
}

/// The client's own parser decides, so what passes validate also works at configure.
fn validate_endpoint(endpoint: &str) -> Diagnostics {
    let path = path!(Config.endpoint);
    match Endpoint::parse(endpoint) {
        Err(why) => Diagnostic::error(
            "Invalid endpoint",
            format!(
                "{endpoint:?} cannot be the API endpoint: it {why}. Use a URL such as \
                 \"https://api.qingcloud.com/iaas/\" (or \"http://127.0.0.1:PORT/iaas/\" for a \
                 local simulator)."
            ),
        )
        .at(path)
        .into(),
        Ok(parsed) if parsed.is_plain_http_off_this_machine() => Diagnostic::warning(
            "Plain-http endpoint",
            format!(
                "Requests to {endpoint:?} are not encrypted. The secret key is never sent, but \
                 signed requests and their answers can be read on the network. Use https \
                 unless this is a private network you trust."
            ),
        )
        .at(path)
        .into(),
        Ok(_) => Diagnostics::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::Severity;

    fn config(pairs: &[(&str, &str)]) -> Value {
        let mut v = Value::object([
            ("access_key", Value::Null),
            ("secret_key", Value::Null),
            ("zone", Value::Null),
            ("endpoint", Value::Null),
        ]);
        for (k, val) in pairs {
            v.set(k, Value::string(*val));
        }
        v
    }

    fn only_path(d: &Diagnostics) -> String {
        assert_eq!(d.0.len(), 1, "{d:?}");
        d.0[0]
            .path
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn good_config_passes() {
        let d = validate(&config(&[
            ("zone", "pek3a"),
            ("endpoint", "https://api.qingcloud.com/iaas/"),
            ("access_key", "AK"),
        ]));
        assert!(d.is_empty(), "{d:?}");
        assert!(validate(&config(&[("endpoint", "http://127.0.0.1:8080/iaas/")])).is_empty());
    }

    #[test]
    fn bad_zone_is_an_error_at_zone() {
        for z in ["PEK3A", "pek-3", "", "3a"] {
            let d = validate(&config(&[("zone", z)]));
            assert!(d.has_errors());
            assert_eq!(only_path(&d), "zone");
        }
    }

    #[test]
    fn bad_endpoint_is_an_error_at_endpoint() {
        for e in ["not a url", "ftp://x/iaas/", "api.qingcloud.com"] {
            let d = validate(&config(&[("endpoint", e)]));
            assert!(d.has_errors(), "{e}");
            assert_eq!(only_path(&d), "endpoint");
        }
    }

    #[test]
    fn plain_http_elsewhere_than_loopback_warns() {
        let d = validate(&config(&[("endpoint", "http://10.0.0.5/iaas/")]));
        assert_eq!(d.0[0].severity, Severity::Warning);
        assert_eq!(only_path(&d), "endpoint");
    }

    #[test]
    fn unknown_values_are_not_errors() {
        let mut v = config(&[]);
        v.set("zone", Value::Unknown);
        v.set("endpoint", Value::Unknown);
        assert!(validate(&v).is_empty());
    }
}
