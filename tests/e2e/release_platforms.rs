//! The binaries scripts/release built for every platform (support/release.rs): each zip holds
//! one executable of its platform's format; the linux_arm64 one performs the plugin handshake
//! under qemu and serves Terraform its schema; `terraform providers lock` records every
//! platform's hash from a filesystem mirror and `terraform init` verifies it; a second run gives
//! the same bytes.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::support::emulated::{
    PROVIDER_ADDR, client_cert_pem, handshake, handshake_address, workspace_running,
};
use crate::support::exe_format::{GIVEN, PLATFORMS, check_format};
use crate::support::release::{
    VERSION, binary_of, given_binary_args, inner_name, manifest_name, read, release, run_release,
    sha256_hex, shell_quote, sums_name, tempdir, tool, tool_path, tools_bin, write,
    write_executable, zip_entries, zip_name,
};
use crate::support::{Workspace, hcl, hcl_string, repo, show, terraform_path};

#[test]
fn every_zip_holds_one_binary_of_its_platform() {
    let release = release();
    let epoch_date_time = {
        let entry = &zip_entries(&release.dist.join(zip_name("linux_amd64")))[0];
        entry.dos_date_time
    };
    for (platform, format) in PLATFORMS.iter().copied() {
        let zip = release.dist.join(zip_name(platform));
        let entries = zip_entries(&zip);
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [inner_name(platform)],
            "{platform}: the zip must hold exactly the binary"
        );
        let entry = &entries[0];
        assert!(entry.deflated, "{platform}: the binary is not compressed");
        assert_eq!(
            entry.unix_mode,
            Some(0o100_755),
            "{platform}: not a regular file with mode 0755"
        );
        assert_eq!(
            entry.dos_date_time, epoch_date_time,
            "{platform}: the zips carry different times"
        );
        let what = check_format(platform, format, &entry.data);
        eprintln!(
            "{platform}: zip {} bytes, binary {} bytes, {what}",
            read(&zip).len(),
            entry.data.len()
        );
    }
}

#[test]
fn format_checks_reject_a_binary_of_another_platform() {
    // The header checks above must be able to fail: each platform's binary is checked as
    // every other platform's and must be refused.
    let release = release();
    let binaries: Vec<(&str, Vec<u8>)> = PLATFORMS
        .iter()
        .map(|&(p, _)| {
            let mut entries = zip_entries(&release.dist.join(zip_name(p)));
            (p, entries.remove(0).data)
        })
        .collect();
    for (platform, bin) in &binaries {
        for (other, format) in PLATFORMS.iter().copied() {
            if other == *platform {
                continue;
            }
            let refused = std::panic::catch_unwind(|| check_format(other, format, bin)).is_err();
            assert!(
                refused,
                "the {platform} binary passed the {other} format check"
            );
        }
    }
}

#[test]
fn binaries_hold_no_path_of_the_machine_that_built_them() {
    // The same sources must give the same bytes wherever the checkout, cargo's home and the
    // target directory are: scripts/release maps them to /build, /cargo and /target. The tests'
    // target directory sits inside the checkout, so a target path seen through the checkout's
    // mapping (/build/target/...) means the mappings were applied in the wrong order.
    let release = release();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| panic!("neither CARGO_HOME nor HOME is set"));
    let checkout = repo();
    let forbidden: [(&str, Vec<u8>); 3] = [
        (
            "the checkout's path",
            checkout.to_string_lossy().into_owned().into_bytes(),
        ),
        (
            "cargo's home",
            cargo_home.to_string_lossy().into_owned().into_bytes(),
        ),
        (
            "a target path mapped as the checkout's",
            b"/build/target/".to_vec(),
        ),
    ];
    for (platform, _) in PLATFORMS.iter().copied().filter(|(p, _)| *p != GIVEN) {
        let mut entries = zip_entries(&release.dist.join(zip_name(platform)));
        let bin = entries.remove(0).data;
        for (what, needle) in &forbidden {
            let at = bin
                .windows(needle.len())
                .position(|w| w == needle.as_slice());
            assert!(
                at.is_none(),
                "the {platform} binary holds {what} ({}) at byte {at:?}",
                String::from_utf8_lossy(needle)
            );
        }
        assert!(
            bin.windows(b"/target/".len()).any(|w| w == b"/target/"),
            "the {platform} binary names no /target/ path: does the check look at the right bytes?"
        );
    }
}

/// Debian's arm64 glibc (libc6-arm64-cross), which qemu-aarch64 loads the binary with.
const AARCH64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

#[test]
fn linux_arm64_binary_handshakes_under_qemu_and_serves_terraform() {
    let tmp = tempdir();
    let bin = tmp.path().join(inner_name("linux_arm64"));
    write_executable(&bin, binary_of("linux_arm64"));
    tools_bin(); // installs qemu-user and the arm64 glibc when missing

    // The provider as Terraform starts it: cookie, protocol versions, socket dir, client cert.
    let sockets = tmp.path().join("sockets");
    fs::create_dir_all(&sockets).unwrap_or_else(|e| panic!("cannot create the socket dir: {e}"));
    let mut qemu = tool("qemu-aarch64");
    qemu.args(["-L", AARCH64_SYSROOT])
        .arg(&bin)
        .env_clear()
        .env("PLUGIN_UNIX_SOCKET_DIR", &sockets);
    let (child, line) = handshake(qemu, &client_cert_pem(), Duration::from_secs(60));
    let socket = Path::new(handshake_address(&line, "unix"));
    assert_eq!(
        socket.parent(),
        Some(sockets.as_path()),
        "the socket is not in PLUGIN_UNIX_SOCKET_DIR: {line:?}"
    );
    let meta = fs::metadata(socket).unwrap_or_else(|e| panic!("{}: {e}", socket.display()));
    assert!(
        meta.file_type().is_socket(),
        "{} is not a socket",
        socket.display()
    );
    drop(child);

    // Terraform itself talks to the emulated provider (mutual TLS, the whole schema).
    let qemu_path = tool_path("qemu-aarch64");
    let ws = workspace_running(
        tmp.path(),
        &format!(
            "exec {} -L {} {} \"$@\"",
            shell_quote(&qemu_path.to_string_lossy()),
            shell_quote(AARCH64_SYSROOT),
            shell_quote(&bin.to_string_lossy())
        ),
        None,
    );
    ws.write_config(&hcl("provider \"qingcloud\" {}\n"));
    let schema = ws.tf_ok(&["providers", "schema", "-json"]).json();
    let provider = &schema["provider_schemas"][PROVIDER_ADDR];
    assert!(
        provider["resource_schemas"]["qingcloud_mysqlplus_ssl"].is_object(),
        "the arm64 provider's schema has no qingcloud_mysqlplus_ssl:\n{schema}"
    );
}

/// Terraform's "h1:" package hash of a zip (Go's dirhash.Hash1 over the zip's files).
fn h1_of_zip(zip: &Path) -> String {
    let mut files: Vec<(String, String)> = zip_entries(zip)
        .into_iter()
        .map(|e| (e.name, sha256_hex(&e.data)))
        .collect();
    files.sort();
    let summary: String = files
        .iter()
        .map(|(name, hash)| format!("{hash}  {name}\n"))
        .collect();
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

/// A packed-layout filesystem mirror holding the given zips (by platform).
fn mirror_with(dir: &Path, zips: &[(&str, PathBuf)]) {
    let pkg = dir.join(PROVIDER_ADDR);
    fs::create_dir_all(&pkg).unwrap_or_else(|e| panic!("cannot create {}: {e}", pkg.display()));
    for (platform, zip) in zips {
        let dst = pkg.join(zip_name(platform));
        fs::copy(zip, &dst)
            .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", zip.display(), dst.display()));
    }
}

fn mirror_workspace(tmp: &Path, mirror: &Path) -> Workspace {
    let cli_config = tmp.join("mirror.tfrc");
    write(
        &cli_config,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {}\n    include = [\"{PROVIDER_ADDR}\"]\n  }}\n  direct {{\n    exclude = [\"{PROVIDER_ADDR}\"]\n  }}\n}}\n",
            hcl_string(&mirror.to_string_lossy())
        ),
    );
    let mut ws = Workspace::with_terraform(terraform_path(), None);
    ws.env("TF_CLI_CONFIG_FILE", &cli_config.to_string_lossy());
    ws.write_config(&format!(
        "terraform {{\n  required_providers {{\n    qingcloud = {{\n      source  = \"qingcloud/qingcloud\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n"
    ));
    ws
}

#[test]
fn terraform_locks_every_platform_from_a_mirror_and_init_verifies_the_hash() {
    let release = release();
    let tmp = tempdir();
    let mirror = tmp.path().join("mirror");
    let zips: Vec<(&str, PathBuf)> = PLATFORMS
        .iter()
        .map(|&(p, _)| (p, release.dist.join(zip_name(p))))
        .collect();
    mirror_with(&mirror, &zips);

    // `providers lock` records one hash per platform: each must be the zip's own h1 hash.
    let locker = mirror_workspace(tmp.path(), &mirror);
    let mirror_arg = format!("-fs-mirror={}", mirror.display());
    let mut args = vec!["providers", "lock", "-no-color", mirror_arg.as_str()];
    let platform_args: Vec<String> = PLATFORMS
        .iter()
        .map(|(p, _)| format!("-platform={p}"))
        .collect();
    args.extend(platform_args.iter().map(String::as_str));
    let locked = locker.tf_ok(&args);
    for (platform, _) in PLATFORMS {
        locked.assert_contains(&format!("checksums for {platform}"));
    }
    let lock = locker.read_file(".terraform.lock.hcl");
    let recorded: BTreeSet<String> = lock
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_string)
        .collect();
    let expected: BTreeSet<String> = zips.iter().map(|(_, zip)| h1_of_zip(zip)).collect();
    assert_eq!(
        expected.len(),
        PLATFORMS.len(),
        "two platforms' zips have the same content"
    );
    assert_eq!(
        recorded, expected,
        "the lock file should hold exactly each platform's h1 hash:\n{lock}"
    );

    // `init` on this machine (linux_amd64) installs from the mirror and checks the lock.
    let ws = mirror_workspace(tmp.path(), &mirror);
    ws.write_file(".terraform.lock.hcl", &lock);
    let init = ws.tf_ok(&["init", "-input=false", "-no-color"]);
    init.assert_contains(&format!("Installed qingcloud/qingcloud v{VERSION}"));
    assert_eq!(
        ws.read_file(".terraform.lock.hcl"),
        lock,
        "init changed the lock file"
    );
    let schema = ws.tf_ok(&["providers", "schema", "-json"]).json();
    let provider = &schema["provider_schemas"][PROVIDER_ADDR];
    assert!(
        provider["resource_schemas"]["qingcloud_mysqlplus_ssl"].is_object(),
        "the installed release binary serves no qingcloud_mysqlplus_ssl:\n{schema}"
    );
    assert!(
        provider["provider"]["block"]["attributes"]["access_key"].is_object(),
        "the provider block has no access_key:\n{schema}"
    );

    // A linux_amd64 zip with other content (a well-formed package, packaged by the same
    // script) must be refused against that lock.
    let other_dist = tmp.path().join("other-dist");
    let impostor = tmp.path().join("impostor");
    write_executable(&impostor, "#!/bin/sh\nexit 1\n");
    let other = run_release(
        &[
            "--out-dir",
            &other_dist.to_string_lossy(),
            "--binary",
            &format!("linux_amd64={}", impostor.display()),
        ],
        &[],
    );
    assert!(
        other.status.success(),
        "scripts/release failed\n{}",
        show(&other)
    );
    let bad_mirror = tmp.path().join("bad-mirror");
    mirror_with(
        &bad_mirror,
        &[("linux_amd64", other_dist.join(zip_name("linux_amd64")))],
    );
    let bad = mirror_workspace(&tmp.path().join("bad"), &bad_mirror);
    bad.write_file(".terraform.lock.hcl", &lock);
    bad.tf_err(&["init", "-input=false", "-no-color"])
        .assert_contains("doesn't match any of the checksums");
}

#[test]
fn a_second_release_run_gives_the_same_bytes() {
    let release = release();
    let tmp = tempdir();
    // Unsigned (a GnuPG signature carries its own time), the same commit time: cargo has
    // nothing to rebuild, so this checks the packaging; a rebuild's determinism is checked
    // by hand (README, "Reproducible builds").
    let again = tmp.path().join("again");
    let [given, given_path] = given_binary_args();
    let output = run_release(
        &["--out-dir", &again.to_string_lossy(), &given, &given_path],
        &[],
    );
    assert!(
        output.status.success(),
        "scripts/release failed\n{}",
        show(&output)
    );
    for name in PLATFORMS
        .iter()
        .map(|(p, _)| zip_name(p))
        .chain([manifest_name(), sums_name()])
    {
        assert!(
            read(&release.dist.join(&name)) == read(&again.join(&name)),
            "{name} differs between two runs"
        );
    }

    // The entry's time is SOURCE_DATE_EPOCH: 2021-03-04 05:06:08 UTC here.
    let dated = tmp.path().join("dated");
    let bin = tmp.path().join("bin");
    write_executable(&bin, binary_of("linux_amd64"));
    let output = Command::new("bash")
        .arg(repo().join("scripts/release"))
        .args(["--out-dir", &dated.to_string_lossy(), "--binary"])
        .arg(format!("linux_amd64={}", bin.display()))
        .env("SOURCE_DATE_EPOCH", "1614834368")
        .env_remove("RELEASE_ZIP_LEVEL")
        .current_dir(repo())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release: {e}"));
    assert!(
        output.status.success(),
        "scripts/release failed\n{}",
        show(&output)
    );
    let entry = &zip_entries(&dated.join(zip_name("linux_amd64")))[0];
    let date = (41 << 9) | (3 << 5) | 4; // 2021 = 1980 + 41
    let time = (5 << 11) | (6 << 5) | (8 / 2);
    assert_eq!(entry.dos_date_time, (date, time), "the zip's time");
    assert!(
        entry.data == binary_of("linux_amd64"),
        "repackaging changed the binary"
    );
}
