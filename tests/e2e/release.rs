//! scripts/release packages the provider for the Terraform Registry. The first tests run it on
//! the debug binary cargo built for the tests (`--binary`, which skips the build), check the zip,
//! the manifest and SHA256SUMS, then install the zip's content from a `filesystem_mirror` with
//! the real `terraform init` (offline) and read the schema through it. The others read the one
//! release of every platform that support/release.rs builds and signs: the Registry's file set
//! and its signature, and what scripts/release refuses. `release_platforms` checks the binaries.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use crate::support::exe_format::PLATFORMS;
use crate::support::release::{
    self as rel, gnupg_with_key, manifest_name, read, run_release, stop_gpg_agent, sums_name,
    target_tmp, tempdir, tool, write, zip_name,
};
use crate::support::{Workspace, hcl_string, repo, show, terraform_path};

const NAME: &str = "terraform-provider-qingcloud";
const VERSION: &str = env!("CARGO_PKG_VERSION");
const PROVIDER_ADDR: &str = "registry.terraform.io/qingcloud/qingcloud";

/// `bash scripts/release ARGS --binary <debug build>`.
fn release(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(repo().join("scripts/release"))
        .args(args)
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_terraform-provider-qingcloud"))
        .env_remove("RELEASE_OUT_DIR")
        .env_remove("RELEASE_BINARY")
        // A debug binary is over 100 MB: level 9 would take seconds for nothing.
        .env("RELEASE_ZIP_LEVEL", "1")
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release: {e}"))
}

/// The zip's entries as (name, unix mode), read with python3's zipfile.
fn zip_entries(zip: &Path) -> Vec<(String, u32)> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import json, sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             print(json.dumps([[i.filename, i.external_attr >> 16] for i in z.infolist()]))",
        ])
        .arg(zip)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 to read the zip: {e}"));
    assert!(
        output.status.success(),
        "reading the zip failed\n{}",
        show(&output)
    );
    let list: Vec<(String, u32)> = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("unexpected zip listing ({e})\n{}", show(&output)));
    list
}

/// Extracts the zip into `dir` with python3's zipfile, keeping the executable bit.
fn unzip(zip: &Path, dir: &Path) {
    let output = Command::new("python3")
        .args([
            "-c",
            "import os, sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             for i in z.infolist():\n\
             \x20   path = z.extract(i, sys.argv[2])\n\
             \x20   os.chmod(path, (i.external_attr >> 16) & 0o777)",
        ])
        .arg(zip)
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 to extract the zip: {e}"));
    assert!(
        output.status.success(),
        "extracting the zip failed\n{}",
        show(&output)
    );
}

#[test]
fn release_zip_installs_from_a_filesystem_mirror_and_serves_the_schema() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    let dist = tmp.path().join("dist");

    // No VERSION argument: the version comes from Cargo.toml.
    let output = release(&["--out-dir", &dist.to_string_lossy()]);
    assert!(
        output.status.success(),
        "scripts/release failed\n{}",
        show(&output)
    );
    let last_line = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        Path::new(&last_line),
        dist.canonicalize().unwrap_or(dist.clone()),
        "the last stdout line should be the output directory\n{}",
        show(&output)
    );

    let zip_name = format!("{NAME}_{VERSION}_linux_amd64.zip");
    let manifest_name = format!("{NAME}_{VERSION}_manifest.json");
    let sums_name = format!("{NAME}_{VERSION}_SHA256SUMS");
    let files = rel::file_names(&dist);
    let mut expected = vec![zip_name.clone(), manifest_name.clone(), sums_name.clone()];
    expected.sort();
    assert_eq!(files, expected, "unexpected files in the output directory");

    // The manifest: protocol 6 only, the same at the repository root and in dist/.
    let want = json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}});
    for path in [
        dist.join(&manifest_name),
        repo().join("terraform-registry-manifest.json"),
    ] {
        let manifest: Value = serde_json::from_slice(&read(&path))
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        assert_eq!(manifest, want, "{}", path.display());
    }

    // SHA256SUMS: one line per file, `HASH  NAME`, covering exactly the zip and the manifest.
    let (mut covered, sums) = rel::checked_sums(&dist);
    covered.sort();
    let mut want_covered = vec![zip_name.clone(), manifest_name.clone()];
    want_covered.sort();
    assert_eq!(
        covered, want_covered,
        "SHA256SUMS covers the wrong files\n{sums}"
    );

    // The zip: exactly the binary, named with a v, executable, byte for byte the one we built.
    let zip = dist.join(&zip_name);
    let inner = format!("{NAME}_v{VERSION}");
    let entries = zip_entries(&zip);
    assert_eq!(
        entries.len(),
        1,
        "the zip should hold one file: {entries:?}"
    );
    assert_eq!(entries[0].0, inner);
    assert_eq!(entries[0].1 & 0o111, 0o111, "not executable: {entries:?}");

    // Unpacked filesystem_mirror layout: HOST/NS/TYPE/VERSION/OS_ARCH/terraform-provider-..._vVERSION
    let mirror = tmp.path().join("mirror");
    let target = mirror.join(PROVIDER_ADDR).join(VERSION).join("linux_amd64");
    fs::create_dir_all(&target).unwrap_or_else(|e| panic!("cannot create mirror: {e}"));
    unzip(&zip, &target);
    assert_eq!(
        read(&target.join(&inner)),
        read(Path::new(env!(
            "CARGO_BIN_EXE_terraform-provider-qingcloud"
        ))),
        "the zipped binary differs from the one packaged"
    );

    let cli_config = tmp.path().join("mirror.tfrc");
    fs::write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {}\n    include = [\"{PROVIDER_ADDR}\"]\n  }}\n  direct {{\n    exclude = [\"{PROVIDER_ADDR}\"]\n  }}\n}}\n",
            hcl_string(&mirror.to_string_lossy())
        ),
    )
    .unwrap_or_else(|e| panic!("cannot write the CLI config: {e}"));

    let mut ws = Workspace::with_terraform(terraform_path(), None);
    ws.env("TF_CLI_CONFIG_FILE", &cli_config.to_string_lossy());
    ws.write_config(&format!(
        "terraform {{\n  required_providers {{\n    qingcloud = {{\n      source  = \"qingcloud/qingcloud\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n"
    ));
    let init = ws.tf_ok(&["init", "-input=false", "-no-color"]);
    init.assert_contains(&format!("Installed qingcloud/qingcloud v{VERSION}"))
        .assert_not_contains("dev_overrides")
        .assert_not_contains("development overrides");
    let lock = ws.read_file(".terraform.lock.hcl");
    assert!(
        lock.contains(&format!("provider \"{PROVIDER_ADDR}\""))
            && lock.lines().any(|l| {
                let l = l.trim();
                l.starts_with("version ") && l.ends_with(&format!("= \"{VERSION}\""))
            }),
        "init should lock the mirrored provider:\n{lock}"
    );

    let schema = ws.tf_ok(&["providers", "schema", "-json"]).json();
    let provider = &schema["provider_schemas"][PROVIDER_ADDR];
    assert!(
        provider["resource_schemas"]["qingcloud_mysqlplus_ssl"].is_object(),
        "qingcloud_mysqlplus_ssl is not in the schema:\n{schema}"
    );
    assert!(
        provider["provider"]["block"]["attributes"]["access_key"].is_object(),
        "the provider block has no access_key:\n{schema}"
    );
}

#[test]
fn release_refuses_a_bad_version_or_binary() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    let out = tmp.path().to_string_lossy().into_owned();
    for bad in ["v0.1.0", "0.1", "latest"] {
        let output = release(&[bad, "--out-dir", &out]);
        assert!(
            !output.status.success(),
            "accepted version {bad:?}\n{}",
            show(&output)
        );
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("not a version"),
            "{}",
            show(&output)
        );
    }
    let missing = Command::new("bash")
        .arg(repo().join("scripts/release"))
        .args(["0.1.0", "--out-dir", &out, "--binary"])
        .arg(tmp.path().join("no-such-binary"))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release: {e}"));
    assert!(!missing.status.success(), "{}", show(&missing));
    assert!(
        fs::read_dir(tmp.path())
            .map(|mut d| d.next().is_none())
            .unwrap_or(false),
        "nothing should be written on failure"
    );
}

// ---------------------------------------------------------------------------------------------
// Every platform, built by scripts/release (support/release.rs) and signed
// ---------------------------------------------------------------------------------------------

#[test]
fn release_writes_the_registry_file_set_for_every_platform_and_signs_it() {
    let release = rel::release();
    let dist = &release.dist;

    let files = rel::file_names(dist);
    let mut expected: Vec<String> = PLATFORMS.iter().map(|(p, _)| zip_name(p)).collect();
    expected.extend([manifest_name(), sums_name(), format!("{}.sig", sums_name())]);
    expected.sort();
    assert_eq!(files, expected, "unexpected files in {}", dist.display());

    // The manifest: protocol 6 only, the same at the repository root and in dist/.
    let want = json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}});
    for path in [
        dist.join(manifest_name()),
        repo().join("terraform-registry-manifest.json"),
    ] {
        let manifest: Value = serde_json::from_slice(&read(&path))
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        assert_eq!(manifest, want, "{}", path.display());
    }

    // SHA256SUMS: `HASH  NAME` per line, sorted, covering every zip and the manifest.
    let (covered, sums) = rel::checked_sums(dist);
    let mut sorted = covered.clone();
    sorted.sort();
    assert_eq!(covered, sorted, "SHA256SUMS is not sorted\n{sums}");
    let want_covered: Vec<String> = expected
        .iter()
        .filter(|f| !f.contains("SHA256SUMS"))
        .cloned()
        .collect();
    assert_eq!(
        covered, want_covered,
        "SHA256SUMS covers the wrong files\n{sums}"
    );

    // The signature: binary (the Registry does not take an armoured one), made by the key, and
    // checked by gpgv against nothing but the exported public key.
    let sig = dist.join(format!("{}.sig", sums_name()));
    let sig_bytes = read(&sig);
    assert!(
        !sig_bytes.starts_with(b"-----BEGIN"),
        "SHA256SUMS.sig is ASCII-armoured; the Registry wants a binary signature"
    );
    let verify = |data: &Path| {
        tool("gpgv")
            .arg("--keyring")
            .arg(&release.public_key)
            .arg(&sig)
            .arg(data)
            .env("GNUPGHOME", target_tmp().join("release-e2e/gpgv-home"))
            .output()
            .unwrap_or_else(|e| panic!("cannot run gpgv: {e}"))
    };
    let _ = fs::create_dir_all(target_tmp().join("release-e2e/gpgv-home"));
    let good = verify(&dist.join(sums_name()));
    assert!(
        good.status.success(),
        "the signature does not verify\n{}",
        show(&good)
    );
    let short_id = &release.fingerprint[24..];
    assert!(
        String::from_utf8_lossy(&good.stderr)
            .to_uppercase()
            .contains(short_id),
        "gpgv did not name the key {}\n{}",
        release.fingerprint,
        show(&good)
    );
    // The same signature over other content must not verify (the check can fail).
    let tampered = target_tmp().join("release-e2e/tampered-SHA256SUMS");
    write(&tampered, sums.replacen('0', "1", 1));
    let bad = verify(&tampered);
    assert!(
        !bad.status.success(),
        "a changed SHA256SUMS verified\n{}",
        show(&bad)
    );
}

#[test]
fn release_lists_every_platform_with_its_rust_target() {
    let output = Command::new("bash")
        .arg(repo().join("scripts/release"))
        .arg("--list-platforms")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release: {e}"));
    assert!(output.status.success(), "{}", show(&output));
    let listing = String::from_utf8_lossy(&output.stdout).into_owned();
    let listed: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split(' ').next())
        .collect();
    let want: Vec<&str> = PLATFORMS.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        listed, want,
        "the platforms scripts/release builds\n{listing}"
    );
    assert!(
        listing.contains("windows_amd64 x86_64-pc-windows-gnu"),
        "{listing}"
    );
}

#[test]
fn release_refuses_bad_versions_platforms_binaries_and_keys() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let out_arg = out.to_string_lossy().into_owned();
    let bin = format!(
        "linux_amd64={}",
        env!("CARGO_BIN_EXE_terraform-provider-qingcloud")
    );
    let refused = |args: &[&str], envs: &[(&str, &Path)], why: &str| {
        let output = run_release(args, envs);
        assert!(
            !output.status.success(),
            "scripts/release {args:?} should fail\n{}",
            show(&output)
        );
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(why),
            "scripts/release {args:?} should say {why:?}\n{}",
            show(&output)
        );
    };
    for bad in ["v0.1.0", "0.1", "latest"] {
        refused(
            &[bad, "--out-dir", &out_arg, "--binary", &bin],
            &[],
            "not a version",
        );
    }
    refused(
        &["--out-dir", &out_arg, "--platform", "plan9_amd64"],
        &[],
        "unknown platform",
    );
    refused(
        &[
            "--out-dir",
            &out_arg,
            "--binary",
            "linux_amd64=/no/such/binary",
        ],
        &[],
        "not an executable file",
    );

    // Signing keys: a short id, an unknown key, and a key the Registry would not accept.
    let home = tmp.path().join("gnupg");
    let ed25519 = gnupg_with_key(&home, "ed25519", "");
    refused(
        &[
            "--out-dir",
            &out_arg,
            "--binary",
            &bin,
            "--sign",
            "DEADBEEF",
        ],
        &[("GNUPGHOME", &home)],
        "full key fingerprint",
    );
    refused(
        &[
            "--out-dir",
            &out_arg,
            "--binary",
            &bin,
            "--sign",
            &"AB".repeat(20),
        ],
        &[("GNUPGHOME", &home)],
        "no secret key",
    );
    refused(
        &["--out-dir", &out_arg, "--binary", &bin, "--sign", &ed25519],
        &[("GNUPGHOME", &home)],
        "only RSA or DSA",
    );
    stop_gpg_agent(&home);
    assert!(!out.exists(), "nothing should be written on failure");
}
