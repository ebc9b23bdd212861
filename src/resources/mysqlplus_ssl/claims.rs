//! One cluster, one owner. Two resources that manage the same cluster (a copy-paste, or a
//! `for_each` with the same cluster twice) would undo each other's setting on every apply,
//! restarting the database each time. Terraform serves every resource of a run through one
//! provider process, so the plans of one run meet here.

use std::collections::HashMap;
use std::sync::Mutex;

/// The cluster keys planned in this process and how.
#[derive(Default)]
pub(super) struct Claims {
    seen: Mutex<HashMap<(String, String), Seen>>,
}

#[derive(Default)]
struct Seen {
    /// Plans of an object that exists in state.
    existing: u32,
    /// Plans of a new object (prior state null).
    new: u32,
    /// The setting the first plan asked for.
    enabled: Option<bool>,
}

/// Another resource instance of this run manages the same cluster.
#[derive(Debug, PartialEq)]
pub(super) struct Conflict {
    /// The setting the other one asks for, when known.
    pub(super) other_enabled: Option<bool>,
}

impl Claims {
    /// Records one plan of (zone, cluster). `existing` is whether the prior state is non-null.
    ///
    /// A resource that is replaced (its `cluster_id` changed, or `-replace`) is planned twice in
    /// one run, once with its prior state and once as new, so one "new" plan per "existing" one
    /// is not a conflict. Two plans of existing objects, or two new ones beyond that, are.
    pub(super) fn claim(
        &self,
        zone: &str,
        cluster: &str,
        existing: bool,
        enabled: Option<bool>,
    ) -> Option<Conflict> {
        let mut seen = qingcloud::sync::lock(&self.seen);
        let entry = seen
            .entry((zone.to_string(), cluster.to_string()))
            .or_default();
        let conflict = if existing {
            entry.existing > 0
        } else {
            entry.new >= entry.existing.max(1)
        };
        if existing {
            entry.existing += 1;
        } else {
            entry.new += 1;
        }
        let first = entry.existing + entry.new == 1;
        if first {
            entry.enabled = enabled;
        }
        conflict.then_some(Conflict {
            other_enabled: entry.enabled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_planned_twice_conflicts() {
        let c = Claims::default();
        assert_eq!(c.claim("pek3a", "cl-a", true, Some(true)), None);
        assert_eq!(
            c.claim("pek3a", "cl-a", true, Some(false)),
            Some(Conflict {
                other_enabled: Some(true)
            })
        );
        // Two new ones.
        assert_eq!(c.claim("pek3a", "cl-b", false, Some(true)), None);
        assert!(c.claim("pek3a", "cl-b", false, Some(true)).is_some());
    }

    #[test]
    fn a_replacement_plans_one_cluster_twice_without_conflict() {
        let c = Claims::default();
        assert_eq!(c.claim("pek3a", "cl-a", true, Some(true)), None);
        assert_eq!(c.claim("pek3a", "cl-a", false, Some(true)), None);
        assert!(c.claim("pek3a", "cl-a", false, Some(true)).is_some());
        // The same id in another zone is another cluster.
        assert_eq!(c.claim("sh1a", "cl-a", true, Some(true)), None);
    }
}
