//! The Rust face of the schemas in `schema`: the resource's object (state, plan and
//! configuration), its `timeouts` block and its identity.

use tfplugin::framework::Attr;

/// The `timeouts` block's attributes, in the order the schema and messages list them.
pub(super) const TIMEOUT_KINDS: [&str; 3] = ["create", "update", "delete"];

tfplugin::model! {
    /// An object of `qingcloud_mysqlplus_ssl`.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct Ssl {
        pub(crate) id: Attr<String>,
        pub(crate) cluster_id: Attr<String>,
        pub(crate) enabled: Attr<bool>,
        pub(crate) zone: Attr<String>,
        pub(crate) job_id: Attr<String>,
        pub(crate) timeouts: Attr<Timeouts>,
    }
}

tfplugin::model! {
    /// The `timeouts` block: how long each operation may wait, as written (`"30m"`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct Timeouts {
        pub(crate) create: Attr<String>,
        pub(crate) update: Attr<String>,
        pub(crate) delete: Attr<String>,
    }
}

impl Timeouts {
    /// Each timeout with its name, in `TIMEOUT_KINDS` order.
    pub(crate) fn each(&self) -> [(&'static str, &Attr<String>); 3] {
        let [create, update, delete] = TIMEOUT_KINDS;
        [
            (create, &self.create),
            (update, &self.update),
            (delete, &self.delete),
        ]
    }
}

tfplugin::model! {
    /// The resource identity: the cluster and its zone.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct Identity {
        pub(crate) cluster_id: Attr<String>,
        pub(crate) zone: Attr<String>,
    }
}

impl Identity {
    pub(crate) fn of(cluster_id: &str, zone: &str) -> Self {
        Identity {
            cluster_id: Attr::Known(cluster_id.to_string()),
            zone: Attr::Known(zone.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema::{identity_schema, schema};
    use super::*;
    use tfplugin::framework::Model;

    #[test]
    fn the_models_match_their_schemas() {
        assert_eq!(Ssl::value_type(), schema().value_type());
        assert_eq!(Identity::value_type(), identity_schema().value_type());
    }

    #[test]
    fn each_timeout_is_named_like_its_attribute() {
        let t = Timeouts {
            create: Attr::Known("1m".into()),
            update: Attr::Known("2m".into()),
            delete: Attr::Null,
        };
        let value = t.to_value();
        for (name, attr) in t.each() {
            assert_eq!(value.get(name).as_str(), attr.as_str(), "{name}");
        }
    }
}
