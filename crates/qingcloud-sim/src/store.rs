//! Persistence of the simulated cloud to one JSON file, so a demo can stop and restart it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use super::faults::Faults;
use super::jobclock::JobClock;
use super::model::Cluster;

pub(crate) const DEFAULT_JOB_DURATION_MS: u64 = 2000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub job_duration_ms: u64,
    /// Whether `DescribeClusterJobs` obeys `reverse=1`. Off by default: QingCloud's
    /// documentation lists no `reverse` for it, so a client must not count on it.
    pub honour_reverse: bool,
    /// Every `/iaas/` answer comes this long after its request: half of it before the request
    /// acts, half after, like a real API one round trip of this length away. Not a fault:
    /// nothing is drawn and the request log does not mark it. 0 (the default): at once.
    pub latency_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            job_duration_ms: DEFAULT_JOB_DURATION_MS,
            honour_reverse: false,
            latency_ms: 0,
        }
    }
}

/// Everything that survives a restart. The request log and the credentials do not.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct World {
    pub clusters: BTreeMap<String, Cluster>,
    pub faults: Faults,
    pub settings: Settings,
    pub clock: JobClock,
}

pub(crate) struct Store {
    path: PathBuf,
    /// Revision last written. Snapshots are taken under the state lock but written outside it,
    /// so an older snapshot arriving late must not overwrite a newer one.
    written: Mutex<u64>,
}

impl Store {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            written: Mutex::new(0),
        }
    }

    /// `Ok(None)` when there is no file yet (or an empty one, as `mktemp` leaves behind).
    pub(crate) fn load(&self) -> Result<Option<World>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", self.path.display())),
        };
        if text.trim().is_empty() {
            return Ok(None);
        }
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("cannot parse state file {}: {e}", self.path.display()))
    }

    /// Writes a temporary sibling and renames it over the file, so a killed simulator never
    /// leaves a half-written state behind. No fsync: surviving a power cut is not worth
    /// slowing every request of a test run.
    pub(crate) fn save(&self, revision: u64, snapshot: &str) {
        let mut written = qingcloud::sync::lock(&self.written);
        if revision <= *written && revision != 0 {
            return;
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(format!(".tmp-{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let result = std::fs::File::create(&tmp)
            .and_then(|mut f| {
                f.write_all(snapshot.as_bytes())
                    .and_then(|()| f.sync_data())
            })
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        match result {
            Ok(()) => *written = revision.max(*written),
            Err(e) => tracing::warn!("saving state to {} failed: {e}", self.path.display()),
        }
    }
}
