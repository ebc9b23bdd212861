//! The optional `--config` JSON file and the options it shares with flags and tests.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::faults::Faults;

pub const DEFAULT_ACCESS_KEY: &str = "QYSIMACCESSKEY0000001";
pub const DEFAULT_SECRET_KEY: &str = "sim-secret-key-do-not-use";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSeed {
    pub cluster_id: String,
    pub zone: String,
    #[serde(default)]
    pub ssl: bool,
    #[serde(default)]
    pub job_duration_ms: Option<u64>,
    /// Default `app-00r26u27` (MySQL Plus).
    #[serde(default)]
    pub app_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ConfigFile {
    access_keys: BTreeMap<String, String>,
    clusters: Vec<ClusterSeed>,
    job_duration_ms: Option<u64>,
    honour_reverse: Option<bool>,
    latency_ms: Option<u64>,
    faults: Option<Faults>,
}

impl ConfigFile {
    pub(crate) fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("cannot parse config {}: {e}", path.display()))
    }
}

/// Everything needed to start a simulator, in-process (tests) or from the command line.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Empty means the built-in default key pair.
    pub access_keys: BTreeMap<String, String>,
    /// Created at start unless the state file already has them.
    pub clusters: Vec<ClusterSeed>,
    /// Overrides the saved setting when given.
    pub job_duration_ms: Option<u64>,
    /// Overrides the saved setting when given (`--honour-reverse`).
    pub honour_reverse: Option<bool>,
    /// Overrides the saved setting when given (`--latency-ms`).
    pub latency_ms: Option<u64>,
    /// Replace the saved faults when given.
    pub faults: Option<Faults>,
    pub state_file: Option<PathBuf>,
}

impl SimOptions {
    pub(crate) fn merge_config(&mut self, config: ConfigFile) {
        self.access_keys.extend(config.access_keys);
        self.clusters.extend(config.clusters);
        if config.job_duration_ms.is_some() {
            self.job_duration_ms = config.job_duration_ms;
        }
        if config.honour_reverse.is_some() {
            self.honour_reverse = config.honour_reverse;
        }
        if config.latency_ms.is_some() {
            self.latency_ms = config.latency_ms;
        }
        if config.faults.is_some() {
            self.faults = config.faults;
        }
    }

    pub(crate) fn keys(&self) -> BTreeMap<String, String> {
        if self.access_keys.is_empty() {
            BTreeMap::from([(
                DEFAULT_ACCESS_KEY.to_string(),
                DEFAULT_SECRET_KEY.to_string(),
            )])
        } else {
            self.access_keys.clone()
        }
    }
}
