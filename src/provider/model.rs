//! The Rust face of the `qingcloud` block's schema.

use tfplugin::framework::Attr;
use tfplugin::framework::value::Number;

tfplugin::model! {
    /// The `qingcloud` block as written; every setting may be left out (then the environment
    /// or the SDK config file gives it) or unknown during plan.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct Config {
        pub(crate) access_key: Attr<String>,
        pub(crate) secret_key: Attr<String>,
        pub(crate) zone: Attr<String>,
        pub(crate) endpoint: Attr<String>,
        pub(crate) job_history_limit: Attr<Number>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::framework::Model;

    #[test]
    fn the_model_matches_the_schema() {
        assert_eq!(
            Config::value_type(),
            super::super::schema::schema().value_type()
        );
    }
}
