//! The zone diagnostic that the provider block, the resources, the data sources and the list
//! resources share; the rule itself is `qingcloud::ids::is_zone`.

use qingcloud::ids;
use tfplugin::framework::{AttributePath, Diagnostic};

pub(crate) fn zone_is_valid(zone: &str) -> bool {
    ids::is_zone(zone)
}

pub(crate) fn zone_error(zone: &str, path: AttributePath) -> Diagnostic {
    Diagnostic::error(
        "Invalid zone",
        format!("{zone:?} is not a QingCloud zone: {}.", ids::ZONE_RULE),
    )
    .at(path)
}
