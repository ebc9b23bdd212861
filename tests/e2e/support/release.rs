//! The release as the tests see it: `scripts/release` builds every platform ONCE per run of the
//! test binary (into `target/cross/`, which later runs reuse), signed with a throwaway GnuPG key
//! made here; every release test reads that one output directory.
//!
//! The build is `scripts/release --for-tests`: the `dev` profile without debug info, with the
//! same script, targets, zig linker, framework stubs and packaging as a release, without the
//! optimiser, which costs several times the CPU time per platform. `.ci/run` starts the same
//! command in the background before the tests, so here cargo usually finds everything built.
//! The tools come from `scripts/install-release-tools`; a test FAILS when they cannot be had.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::exe_format::GIVEN;
use super::scripts::{repo, show};
use super::unzip::{ZipEntry, read_zip};

pub const NAME: &str = "terraform-provider-qingcloud";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The throwaway signing key's passphrase: the release workflow's key has one too.
const KEY_PASSPHRASE: &str = "release-test-passphrase";

pub fn zip_name(platform: &str) -> String {
    format!("{NAME}_{VERSION}_{platform}.zip")
}

pub fn inner_name(platform: &str) -> String {
    let exe = if platform.starts_with("windows_") {
        ".exe"
    } else {
        ""
    };
    format!("{NAME}_v{VERSION}{exe}")
}

pub fn sums_name() -> String {
    format!("{NAME}_{VERSION}_SHA256SUMS")
}

pub fn manifest_name() -> String {
    format!("{NAME}_{VERSION}_manifest.json")
}

pub fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    }
    fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

pub fn write_executable(path: &Path, bytes: impl AsRef<[u8]>) {
    write(path, bytes);
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", path.display()));
}

/// The names of the files in a directory, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    names.sort();
    names
}

/// The release's `SHA256SUMS` in `dist`, every line `HASH  NAME` with the hash checked against
/// the file beside it: the names in the file's order, and its text for messages.
pub fn checked_sums(dist: &Path) -> (Vec<String>, String) {
    let sums = String::from_utf8_lossy(&read(&dist.join(sums_name()))).into_owned();
    let mut covered = Vec::new();
    for line in sums.lines() {
        let (hash, file) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("bad SHA256SUMS line {line:?}\n{sums}"));
        assert_eq!(
            hash,
            sha256_hex(&read(&dist.join(file))),
            "checksum of {file} is wrong\n{sums}"
        );
        covered.push(file.to_string());
    }
    (covered, sums)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Quotes a string for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"))
}

/// `target/tmp/`, for files that outlive one test (the shared release).
pub fn target_tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// Where the cross builds go: `target/cross/`, as `--for-tests` has it. Not the test build's
/// own target directory, which `cargo test` keeps locked while the tests run.
fn cross_target_dir() -> PathBuf {
    match target_tmp().parent() {
        Some(target) => target.join("cross"),
        None => panic!("CARGO_TARGET_TMPDIR has no parent"),
    }
}

/// The bin directory of `scripts/install-release-tools` (which installs what is missing).
pub fn tools_bin() -> PathBuf {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = BIN.get_or_init(|| {
        let output = Command::new("bash")
            .arg(repo().join("scripts/install-release-tools"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run scripts/install-release-tools: {e}"))?;
        let last = String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .to_string();
        if output.status.success() && Path::new(&last).is_dir() {
            Ok(PathBuf::from(last))
        } else {
            Err(format!(
                "the release tools are required and could not be installed \
                 (scripts/install-release-tools)\n{}",
                show(&output)
            ))
        }
    });
    result.clone().unwrap_or_else(|e| panic!("{e}"))
}

/// A command whose PATH starts with the release tools.
pub fn tool(program: &str) -> Command {
    let bin = tools_bin();
    let path = match std::env::var_os("PATH") {
        Some(p) => {
            let mut dirs = vec![bin.clone()];
            dirs.extend(std::env::split_paths(&p));
            std::env::join_paths(dirs).unwrap_or_else(|e| panic!("bad PATH: {e}"))
        }
        None => bin.clone().into_os_string(),
    };
    let mut cmd = Command::new(program);
    cmd.env("PATH", path).stdin(Stdio::null());
    cmd
}

/// The absolute path of a program, searched on the release tools' PATH.
pub fn tool_path(program: &str) -> PathBuf {
    let output = tool("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .unwrap_or_else(|e| panic!("cannot run sh: {e}"));
    let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(
        output.status.success() && !path.is_empty(),
        "{program} is not installed (scripts/install-release-tools installs it)\n{}",
        show(&output)
    );
    PathBuf::from(path)
}

/// A fresh GnuPG home with one new key; returns its fingerprint. `algo` as for
/// `gpg --quick-gen-key` (rsa2048, ed25519).
pub fn gnupg_with_key(home: &Path, algo: &str, passphrase: &str) -> String {
    let _ = fs::remove_dir_all(home);
    fs::create_dir_all(home).unwrap_or_else(|e| panic!("cannot create {}: {e}", home.display()));
    fs::set_permissions(home, fs::Permissions::from_mode(0o700))
        .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", home.display()));
    let gen_key = tool("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"])
        .args(["--passphrase", passphrase, "--quick-gen-key"])
        .arg(format!(
            "qingcloud release test ({algo}) <release-test@example.invalid>"
        ))
        .args([algo, "sign", "never"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run gpg (install GnuPG): {e}"));
    assert!(
        gen_key.status.success(),
        "gpg --quick-gen-key failed\n{}",
        show(&gen_key)
    );
    let list = tool("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--with-colons", "--list-secret-keys"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run gpg: {e}"));
    String::from_utf8_lossy(&list.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|l| l.split(':').find(|f| f.len() == 40))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no fingerprint in the key listing\n{}", show(&list)))
}

/// Stops the gpg-agent of a throwaway home (it would outlive the tests).
pub fn stop_gpg_agent(home: &Path) {
    let _ = tool("gpgconf")
        .env("GNUPGHOME", home)
        .args(["--kill", "all"])
        .output();
}

/// `scripts/release --for-tests ARGS` with the release tools on PATH, the shared cross target
/// directory, and a lower priority than the other end-to-end tests running beside it (some of
/// them time what they measure).
pub fn release_command(args: &[&str]) -> Command {
    let mut cmd = tool("nice");
    cmd.args(["-n", "10", "bash"])
        .arg(repo().join("scripts/release"))
        .arg("--for-tests")
        .args(args)
        .env_remove("RELEASE_OUT_DIR")
        .env_remove("RELEASE_BINARY")
        .env_remove("RELEASE_GPG_FINGERPRINT")
        .env_remove("RELEASE_GPG_PASSPHRASE")
        .env_remove("RELEASE_ZIP_LEVEL")
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("RELEASE_PROFILE")
        .env("CARGO_TARGET_DIR", cross_target_dir())
        .current_dir(repo());
    cmd
}

/// `--binary GIVEN=PATH`: the test build's own provider binary stands for the host platform,
/// which spares a second build of it (`exe_format::GIVEN`). It is packaged without its debug
/// information (`objcopy --strip-debug`, once per run of the tests): the cross builds have none
/// either, and with it the binary is four to five times larger, which every test that unpacks or
/// hashes its zip pays for in unoptimised code.
pub fn given_binary_args() -> [String; 2] {
    static STRIPPED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let stripped = STRIPPED.get_or_init(|| {
        let full = env!("CARGO_BIN_EXE_terraform-provider-qingcloud");
        let dir = target_tmp().join("release-given");
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let out = dir.join(NAME);
        let output = tool("objcopy")
            .arg("--strip-debug")
            .arg(full)
            .arg(&out)
            .output()
            .map_err(|e| format!("cannot run objcopy (Debian: binutils): {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "objcopy --strip-debug {full} failed\n{}",
                show(&output)
            ));
        }
        Ok(out)
    });
    match stripped {
        Ok(path) => [
            "--binary".to_string(),
            format!("{GIVEN}={}", path.display()),
        ],
        Err(e) => panic!("{e}"),
    }
}

pub fn run_release(args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut cmd = release_command(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run scripts/release: {e}"))
}

pub struct Release {
    pub dist: PathBuf,
    /// The signing key's public half, binary (`gpg --export`).
    pub public_key: PathBuf,
    pub fingerprint: String,
}

/// Builds and signs every platform once; later calls return the same output.
pub fn release() -> &'static Release {
    static RELEASE: OnceLock<Result<Release, String>> = OnceLock::new();
    RELEASE
        .get_or_init(build_release)
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn build_release() -> Result<Release, String> {
    let base = target_tmp().join("release-e2e");
    let dist = base.join("dist");
    let home = base.join("gnupg");
    let _ = fs::remove_dir_all(&dist);
    let fingerprint = gnupg_with_key(&home, "rsa2048", KEY_PASSPHRASE);
    let public_key = base.join("release-key.gpg");
    let export = tool("gpg")
        .env("GNUPGHOME", &home)
        .args(["--batch", "--export", &fingerprint])
        .output()
        .map_err(|e| format!("cannot run gpg: {e}"))?;
    if !export.status.success() || export.stdout.is_empty() {
        return Err(format!("gpg --export failed\n{}", show(&export)));
    }
    write(&public_key, &export.stdout);

    let started = Instant::now();
    let [given, given_path] = given_binary_args();
    let dist_arg = dist.to_string_lossy();
    let output = release_command(&[
        "--out-dir",
        &dist_arg,
        "--sign",
        &fingerprint,
        &given,
        &given_path,
    ])
    .env("RELEASE_GPG_PASSPHRASE", KEY_PASSPHRASE)
    .env("GNUPGHOME", &home)
    .output()
    .map_err(|e| format!("cannot run scripts/release: {e}"))?;
    stop_gpg_agent(&home);
    // The per-platform build times, for the CI log.
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        if line.starts_with("release: ") && (line.contains(" built in ") || line.contains("FAIL")) {
            eprintln!("{line}");
        }
    }
    eprintln!(
        "scripts/release for every platform took {:.0?}",
        started.elapsed()
    );
    if !output.status.success() {
        return Err(format!("scripts/release failed\n{}", show(&output)));
    }
    let last = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let canonical = dist.canonicalize().unwrap_or(dist.clone());
    if Path::new(&last) != canonical {
        return Err(format!(
            "the last stdout line should be the output directory {}\n{}",
            canonical.display(),
            show(&output)
        ));
    }
    Ok(Release {
        dist,
        public_key,
        fingerprint,
    })
}

pub fn zip_entries(zip: &Path) -> Vec<ZipEntry> {
    read_zip(&read(zip)).unwrap_or_else(|e| panic!("{}: {e}", zip.display()))
}

/// The one binary of a platform's zip in the shared release.
pub fn binary_of(platform: &str) -> Vec<u8> {
    let mut entries = zip_entries(&release().dist.join(zip_name(platform)));
    assert_eq!(entries.len(), 1, "{platform}: the zip must hold one file");
    entries.remove(0).data
}
