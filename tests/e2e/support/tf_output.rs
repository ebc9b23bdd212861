//! What one Terraform command did, and the assertions tests make on it.

use std::fmt;
use std::process::ExitStatus;
use std::time::Duration;

use serde_json::Value;

use super::terminal::unwrapped;

/// What one Terraform command did. `stdout`/`stderr` have ANSI colour codes removed.
#[derive(Debug, Clone)]
pub struct TfOutput {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Exit code; `None` when killed by a signal.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// stdout followed by stderr.
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Whether stdout or stderr contains `needle`, also when Terraform wrapped it across the
    /// lines of a diagnostic box (it wraps details at 78 columns and prefixes lines with "│").
    pub fn contains(&self, needle: &str) -> bool {
        self.stdout.contains(needle)
            || self.stderr.contains(needle)
            || unwrapped(&self.combined()).contains(&unwrapped(needle))
    }

    /// Panics (with the whole output) unless stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.contains(needle),
            "expected Terraform output to contain {needle:?}\n{self}"
        );
        self
    }

    /// Panics (with the whole output) if stdout or stderr contains `needle`.
    #[track_caller]
    pub fn assert_not_contains(&self, needle: &str) -> &Self {
        assert!(
            !self.contains(needle),
            "expected Terraform output NOT to contain {needle:?}\n{self}"
        );
        self
    }

    /// Parses stdout as JSON (for `-json` commands); panics with the output if it is not.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout of Terraform is not JSON ({e})\n{self}"))
    }

    /// Parses stdout as JSON lines (the machine-readable UI of `plan -json`, `apply -json`);
    /// panics with the output on a line that is not JSON.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l:?}\n{self}"))
            })
            .collect()
    }
}

impl fmt::Display for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "=== terraform {} -> {} (after {:.1?})",
            self.args.join(" "),
            self.status,
            self.elapsed
        )?;
        writeln!(f, "--- stdout ---\n{}", self.stdout.trim_end())?;
        writeln!(f, "--- stderr ---\n{}", self.stderr.trim_end())?;
        write!(
            f,
            "=== end of terraform {}",
            self.args.first().map_or("", String::as_str)
        )
    }
}
