//! Data source `qingcloud_mysqlplus_ssl`: the SSL setting of a MySQL Plus cluster, read from
//! its job history by the same rules as the resource. It never returns a guess: a missing
//! cluster, another app's cluster or a history too long to read is an error.

use std::sync::Arc;

use async_trait::async_trait;

use crate::provider::ProviderData;
use crate::resources::mysqlplus_ssl::{TYPE_NAME, read_current, validate_target};
use tfplugin::framework::{
    self as fw, Attribute, AttributePath, Block, Context, DataReadResponse, Diagnostics, Presence,
    Schema, Type, Value,
};

pub struct MysqlPlusSslData {
    data: Arc<ProviderData>,
}

impl MysqlPlusSslData {
    pub fn new(data: Arc<ProviderData>) -> Self {
        MysqlPlusSslData { data }
    }
}

pub fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            description: "Reads whether SSL transport encryption is on for a QingCloud MySQL \
                          Plus cluster. No QingCloud API reports the setting, so it is read \
                          from the cluster's job history (the newest successful \
                          `configuring_SSL` job; none means off, the default)."
                .into(),
            attributes: vec![
                Attribute::new(
                    "cluster_id",
                    Type::String,
                    Presence::Required,
                    "ID of the MySQL Plus cluster, e.g. `cl-ouhutv70`.",
                ),
                Attribute::new(
                    "zone",
                    Type::String,
                    Presence::OptionalComputed,
                    "Zone of the cluster, e.g. `pek3a`. Defaults to the provider's `zone`.",
                ),
                Attribute::new(
                    "enabled",
                    Type::Bool,
                    Presence::Computed,
                    "Whether SSL transport encryption is on.",
                ),
                Attribute::new(
                    "job_id",
                    Type::String,
                    Presence::Computed,
                    "ID of the `configuring_SSL` job that made the setting, e.g. \
                     `j-g5xds89dhis`; null when SSL was never switched.",
                ),
                Attribute::new(
                    "switching",
                    Type::Bool,
                    Presence::Computed,
                    "Whether a `configuring_SSL` job is running now; `enabled` is the setting \
                     before it.",
                ),
            ],
            ..Block::default()
        },
    }
}

fn error(d: fw::Diagnostic) -> DataReadResponse {
    DataReadResponse {
        state: Value::Null,
        diagnostics: d.into(),
    }
}

#[async_trait]
impl fw::DataSource for MysqlPlusSslData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_target(config)
    }

    async fn read(&self, ctx: &Context, config: Value) -> DataReadResponse {
        // Validation runs again: values unknown at validation are known now.
        let diags = validate_target(&config);
        if diags.has_errors() {
            return DataReadResponse {
                state: Value::Null,
                diagnostics: diags,
            };
        }
        let client = match self.data.client() {
            Ok(c) => c,
            Err(d) => return error(d),
        };
        let Some(cluster_id) = config.get("cluster_id").as_str() else {
            return error(
                fw::Diagnostic::error("Cluster ID not known", "cluster_id must be set.")
                    .at(AttributePath::root("cluster_id")),
            );
        };
        let zone = config
            .get("zone")
            .as_str()
            .unwrap_or(client.default_zone())
            .to_string();
        let history = self.data.history();
        match read_current(ctx, &client, &zone, cluster_id, history).await {
            Ok(current) => {
                let mut state = config.clone();
                state.set("zone", Value::string(&zone));
                state.set("enabled", Value::Bool(current.enabled));
                state.set("job_id", current.job_id.into());
                state.set("switching", Value::Bool(current.switching));
                DataReadResponse {
                    state,
                    diagnostics: Diagnostics::default(),
                }
            }
            Err(d) => error(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_ids_and_zones_are_refused_at_their_attribute_and_unknowns_pass() {
        let config = Value::object([
            ("cluster_id", Value::string("db1")),
            ("zone", Value::string("PEK3A")),
        ]);
        let paths: Vec<_> = validate_target(&config)
            .iter()
            .map(|d| d.path.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(paths, [Some("cluster_id".into()), Some("zone".into())]);
        let unknown = Value::object([("cluster_id", Value::Unknown), ("zone", Value::Null)]);
        assert!(validate_target(&unknown).is_empty());
    }
}
