//! The repository's own scripts (scripts/gen-docs, scripts/release), as the tests run them.

use std::path::PathBuf;
use std::process::Output;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A finished script's exit status and output, for a failure message.
pub fn show(output: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
