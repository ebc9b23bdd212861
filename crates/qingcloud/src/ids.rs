//! How QingCloud spells zones and cluster IDs. Each rule is written here once and used by the
//! provider block, the credentials chain, the resources and the simulator, so a value accepted
//! in one place is never refused in another.

/// Zones are lower-case letters and digits, starting with a letter: `pek3a`, `sh1a`, `gd2`.
pub fn is_zone(zone: &str) -> bool {
    zone.starts_with(|c: char| c.is_ascii_lowercase()) && zone.bytes().all(is_lower_alnum)
}

/// What a zone looks like, for messages that refuse one.
pub const ZONE_RULE: &str =
    "zones are lower-case letters and digits, such as \"pek3a\", \"sh1a\" or \"gd2\"";

/// QingCloud's IDs are short; a longer value is a pasted mistake, and messages cut it.
pub const CLUSTER_ID_MAX: usize = 64;

/// Cluster IDs are `cl-` and lower-case letters and digits, at most [`CLUSTER_ID_MAX`] in all.
pub fn is_cluster_id(id: &str) -> bool {
    id.len() <= CLUSTER_ID_MAX
        && id
            .strip_prefix("cl-")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(is_lower_alnum))
}

/// What a cluster ID looks like, for messages that refuse one.
pub const CLUSTER_ID_RULE: &str = "\"cl-\" followed by lower-case letters and digits (at most 64 \
                                   characters), such as \"cl-ouhutv70\"";

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_lower_case_letters_and_digits_from_a_letter() {
        for good in ["pek3a", "sh1a", "gd2", "ap2a", "pek3"] {
            assert!(is_zone(good), "{good}");
        }
        for bad in ["", "PEK3A", "pek-3", "pek 3a", "3a", "pek3a\n", "pék3a"] {
            assert!(!is_zone(bad), "{bad:?}");
        }
    }

    #[test]
    fn cluster_ids_are_cl_and_lower_case_letters_and_digits() {
        for good in ["cl-ouhutv70", "cl-a1", "cl-0"] {
            assert!(is_cluster_id(good), "{good}");
        }
        for bad in ["", "cl-", "cl-ABC", "db-1", "cl-ab_c", "CL-abc", " cl-abc"] {
            assert!(!is_cluster_id(bad), "{bad:?}");
        }
        let longest = format!("cl-{}", "a".repeat(CLUSTER_ID_MAX - 3));
        assert!(is_cluster_id(&longest));
        assert!(!is_cluster_id(&format!("{longest}a")));
        assert!(CLUSTER_ID_RULE.contains(&CLUSTER_ID_MAX.to_string()));
    }
}
