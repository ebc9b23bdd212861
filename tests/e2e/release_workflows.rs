//! The GitHub workflows (.github/workflows): ci.yml runs .ci/run and the Terraform version
//! matrix, release.yml builds, signs and publishes a tagged release with scripts/release. Both
//! must pass actionlint (with shellcheck on their scripts) and zizmor's pedantic audit, which
//! must in turn catch a broken and an unsafe workflow.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::release::{read, tempdir, tool, write};
use crate::support::{repo, show};

fn lint(dir: &Path) -> (Output, Output) {
    let workflows: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    assert!(!workflows.is_empty(), "no workflows in {}", dir.display());
    let actionlint = tool("actionlint")
        .args(["-no-color", "-shellcheck", "shellcheck"])
        .args(&workflows)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("cannot run actionlint: {e}"));
    let zizmor = tool("zizmor")
        .args(["--offline", "--no-progress", "--persona=pedantic"])
        .arg(dir)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("cannot run zizmor: {e}"));
    (actionlint, zizmor)
}

#[test]
fn workflows_pass_actionlint_and_zizmor() {
    let dir = repo().join(".github/workflows");
    for name in ["ci.yml", "release.yml"] {
        assert!(dir.join(name).is_file(), "{name} is missing");
    }
    let release_yml = String::from_utf8_lossy(&read(&dir.join("release.yml"))).into_owned();
    for needle in [
        "scripts/release",
        "--sign",
        "secrets.GPG_PRIVATE_KEY",
        "gh release create",
    ] {
        assert!(
            release_yml.contains(needle),
            "release.yml does not use {needle}"
        );
    }
    let ci_yml = String::from_utf8_lossy(&read(&dir.join("ci.yml"))).into_owned();
    assert!(
        ci_yml.contains("bash .ci/run"),
        "ci.yml does not run .ci/run"
    );
    for minor in 6..=15 {
        assert!(
            ci_yml.contains(&format!("\"1.{minor}\"")),
            "ci.yml's matrix lacks Terraform 1.{minor}"
        );
    }

    let (actionlint, zizmor) = lint(&dir);
    assert!(
        actionlint.status.success(),
        "actionlint found problems\n{}",
        show(&actionlint)
    );
    assert!(
        zizmor.status.success(),
        "zizmor found problems\n{}",
        show(&zizmor)
    );

    // Both must catch what they are there for: a broken expression, and a script injection
    // through an unpinned action with persisted credentials.
    let tmp = tempdir();
    let bad_dir = tmp.path().join(".github/workflows");
    write(
        &bad_dir.join("bad.yml"),
        "name: bad\non:\n  pull_request_target:\npermissions: write-all\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo \"${{ github.event.pull_request.title }}\"\n      - run: echo \"${{ matrix.nope }}\"\n",
    );
    let (actionlint, zizmor) = lint(&bad_dir);
    assert!(
        !actionlint.status.success(),
        "actionlint passed a broken workflow\n{}",
        show(&actionlint)
    );
    assert!(
        !zizmor.status.success(),
        "zizmor passed an unsafe workflow\n{}",
        show(&zizmor)
    );
}
