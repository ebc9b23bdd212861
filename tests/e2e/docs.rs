//! The Registry docs in docs/ are generated (scripts/gen-docs) from the schema the real Terraform
//! reads from the provider built for this test run, plus templates/ and examples/. These tests
//! fail when docs/ is stale, and prove that the staleness check can fail.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::{provider_dir, repo, show, terraform_path};

/// Runs `<root>/scripts/gen-docs ARGS --terraform T --provider-dir D` with python3.
fn gen_docs(root: &Path, args: &[&str]) -> Output {
    let script = root.join("scripts/gen-docs");
    Command::new("python3")
        .arg(&script)
        .args(args)
        .arg("--terraform")
        .arg(terraform_path())
        .arg("--provider-dir")
        .arg(provider_dir())
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 {} ({e}); the docs check needs python3 on PATH",
                script.display()
            )
        })
}

#[test]
fn docs_are_up_to_date() {
    let output = gen_docs(&repo(), &["--check"]);
    assert!(
        output.status.success(),
        "docs/ does not match what scripts/gen-docs generates from the provider's schema, \
         templates/ and examples/. Run `scripts/gen-docs` and commit docs/.\n{}",
        show(&output)
    );
    for page in [
        "docs/index.md",
        "docs/resources/mysqlplus_ssl.md",
        "docs/data-sources/mysqlplus_ssl.md",
        "docs/list-resources/mysqlplus_ssl.md",
    ] {
        assert!(repo().join(page).is_file(), "{page} is missing");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries =
        fs::read_dir(from).unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()));
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap_or_else(|e| {
                panic!(
                    "cannot copy {} to {}: {e}",
                    path.display(),
                    target.display()
                )
            });
        }
    }
}

/// A copy of what the generator reads and writes, so it can be tampered with.
fn scratch_repo() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("gen-docs-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    for sub in ["scripts", "templates", "examples", "docs"] {
        copy_tree(&repo().join(sub), &dir.path().join(sub));
    }
    dir
}

#[test]
fn check_fails_on_stale_or_extra_pages_and_regeneration_fixes_them() {
    let scratch = scratch_repo();
    let root = scratch.path();
    let page = root.join("docs/resources/mysqlplus_ssl.md");
    let good = fs::read_to_string(&page).unwrap_or_else(|e| panic!("cannot read docs: {e}"));

    // A hand edit to a generated page is caught, with a diff naming the page.
    fs::write(&page, good.replace("restarts", "reboots"))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", page.display()));
    let stale = gen_docs(root, &["--check"]);
    assert_eq!(stale.status.code(), Some(1), "{}", show(&stale));
    let stdout = String::from_utf8_lossy(&stale.stdout);
    assert!(
        stdout.contains("docs/resources/mysqlplus_ssl.md") && stdout.contains("+"),
        "expected a diff of the stale page\n{}",
        show(&stale)
    );

    // A page nothing generates is caught too.
    fs::write(root.join("docs/resources/orphan.md"), "# not generated\n")
        .unwrap_or_else(|e| panic!("cannot write orphan page: {e}"));
    let extra = gen_docs(root, &["--check"]);
    assert_eq!(extra.status.code(), Some(1), "{}", show(&extra));
    assert!(
        String::from_utf8_lossy(&extra.stdout).contains("orphan.md"),
        "{}",
        show(&extra)
    );

    // A template change without regeneration is stale as well.
    let template = root.join("templates/index.md.tmpl");
    let text = fs::read_to_string(&template).unwrap_or_else(|e| panic!("cannot read: {e}"));
    fs::write(&template, format!("{text}\nOne more line.\n"))
        .unwrap_or_else(|e| panic!("cannot write template: {e}"));
    let changed = gen_docs(root, &["--check"]);
    assert_eq!(changed.status.code(), Some(1), "{}", show(&changed));

    // Regenerating repairs all of it, and then the check passes.
    let regen = gen_docs(root, &[]);
    assert!(regen.status.success(), "{}", show(&regen));
    let check = gen_docs(root, &["--check"]);
    assert!(check.status.success(), "{}", show(&check));
    assert!(!root.join("docs/resources/orphan.md").exists());
    assert_eq!(
        fs::read_to_string(&page).unwrap_or_default(),
        good,
        "regeneration should restore the committed page"
    );
}

#[test]
fn a_terraform_block_out_of_fmt_style_is_refused() {
    let scratch = scratch_repo();
    let root = scratch.path();
    let template = root.join("templates/resources/mysqlplus_ssl.md.tmpl");
    let text = fs::read_to_string(&template).unwrap_or_else(|e| panic!("cannot read: {e}"));
    fs::write(
        &template,
        format!("{text}\n```terraform\nresource \"x\" \"y\" {{\nname=\"z\"\n}}\n```\n"),
    )
    .unwrap_or_else(|e| panic!("cannot write template: {e}"));
    let output = gen_docs(root, &["--check"]);
    assert_eq!(output.status.code(), Some(1), "{}", show(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("terraform fmt"),
        "{}",
        show(&output)
    );
}

#[test]
fn data_source_and_list_resource_pages_are_checked_and_need_templates() {
    let scratch = scratch_repo();
    let root = scratch.path();
    let page = root.join("docs/list-resources/mysqlplus_ssl.md");
    let good = fs::read_to_string(&page).unwrap_or_else(|e| panic!("cannot read docs: {e}"));
    fs::write(&page, good.replace("honoured", "ignored"))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", page.display()));
    let stale = gen_docs(root, &["--check"]);
    assert_eq!(stale.status.code(), Some(1), "{}", show(&stale));
    assert!(
        String::from_utf8_lossy(&stale.stdout).contains("docs/list-resources/mysqlplus_ssl.md"),
        "{}",
        show(&stale)
    );

    let template = root.join("templates/data-sources/mysqlplus_ssl.md.tmpl");
    fs::remove_file(&template).unwrap_or_else(|e| panic!("cannot remove template: {e}"));
    let missing = gen_docs(root, &["--check"]);
    assert_eq!(missing.status.code(), Some(1), "{}", show(&missing));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("no template for data-sources qingcloud_mysqlplus_ssl"),
        "{}",
        show(&missing)
    );
}
