//! The zone rule, as the provider block, the resources, the data sources and the list
//! resources check it.

use tfplugin::framework::{AttributePath, Diagnostic};

/// Zones are lower-case letters and digits (`pek3a`, `sh1a`, `gd2`).
pub(crate) fn zone_is_valid(zone: &str) -> bool {
    !zone.is_empty()
        && zone.starts_with(|c: char| c.is_ascii_lowercase())
        && zone
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

pub(crate) fn zone_error(zone: &str, path: AttributePath) -> Diagnostic {
    Diagnostic::error(
        "Invalid zone",
        format!(
            "{zone:?} is not a QingCloud zone: zones are lower-case letters and digits, such as \
             \"pek3a\", \"sh1a\" or \"gd2\"."
        ),
    )
    .at(path)
}
