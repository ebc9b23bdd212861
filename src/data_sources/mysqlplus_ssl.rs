//! Data source `qingcloud_mysqlplus_ssl`: the SSL setting of a MySQL Plus cluster, read from
//! its job history by the same rules as the resource. It never returns a guess: a missing
//! cluster, another app's cluster or a history too long to read is an error.

use async_trait::async_trait;

use crate::provider_data::{Ctx, ProviderData};
use crate::resources::mysqlplus_ssl::{TYPE_NAME, read_current, validate_target};
use tfplugin::framework::{
    self as fw, Attr, Attribute, Block, Diagnostics, Presence, Schema, Type,
};
use tfplugin::path;

pub(crate) struct MysqlPlusSslData;

tfplugin::model! {
    /// An object of `schema()`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct SslReading {
        cluster_id: Attr<String>,
        zone: Attr<String>,
        enabled: Attr<bool>,
        job_id: Attr<String>,
        switching: Attr<bool>,
    }
}

type DataReadResponse = fw::DataReadResponse<MysqlPlusSslData>;

fn schema() -> Schema {
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
        state: None,
        diagnostics: d.into(),
    }
}

#[async_trait]
impl fw::DataSource for MysqlPlusSslData {
    type Model = SslReading;
    type Data = ProviderData;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate(&self, config: &SslReading) -> Diagnostics {
        validate_target(&config.cluster_id, &config.zone)
    }

    async fn read(&self, ctx: &Ctx, config: SslReading) -> DataReadResponse {
        // Validation runs again: values unknown at validation are known now.
        let diags = validate_target(&config.cluster_id, &config.zone);
        if diags.has_errors() {
            return DataReadResponse {
                state: None,
                diagnostics: diags,
            };
        }
        let data = match ProviderData::of(ctx) {
            Ok(d) => d,
            Err(d) => return error(d),
        };
        let Some(cluster_id) = config.cluster_id.as_str() else {
            return error(
                fw::Diagnostic::error("Cluster ID not known", "cluster_id must be set.")
                    .at(path!(SslReading.cluster_id)),
            );
        };
        let zone = config
            .zone
            .as_str()
            .unwrap_or(data.client.default_zone())
            .to_string();
        match read_current(ctx, &data.client, &zone, cluster_id, None, data.history).await {
            Ok(current) => DataReadResponse {
                state: Some(SslReading {
                    zone: Attr::Known(zone),
                    enabled: Attr::Known(current.enabled),
                    job_id: current.job_id.into(),
                    switching: Attr::Known(current.switching),
                    ..config
                }),
                diagnostics: Diagnostics::default(),
            },
            Err(d) => error(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::{DataSource, Model, Value};

    fn reading(config: Value) -> SslReading {
        SslReading::from_value(&config).unwrap()
    }

    #[test]
    fn bad_ids_and_zones_are_refused_at_their_attribute_and_unknowns_pass() {
        let config = reading(Value::object([
            ("cluster_id", Value::string("db1")),
            ("zone", Value::string("PEK3A")),
        ]));
        let paths: Vec<_> = MysqlPlusSslData
            .validate(&config)
            .iter()
            .map(|d| d.path.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(paths, [Some("cluster_id".into()), Some("zone".into())]);
        let unknown = reading(Value::object([
            ("cluster_id", Value::Unknown),
            ("zone", Value::Null),
        ]));
        assert!(MysqlPlusSslData.validate(&unknown).is_empty());
    }

    #[test]
    fn the_model_matches_the_schema() {
        assert_eq!(SslReading::value_type(), schema().value_type());
    }
}
