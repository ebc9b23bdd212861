//! The windows_amd64 binary of the release (support/release.rs) run under Wine: it performs the
//! plugin handshake on loopback TCP, as go-plugin does on Windows, and Terraform on Linux applies
//! and destroys a resource through it against qingcloud-sim, so the Windows-only plugin host
//! code and the API client run somewhere before a user's machine.
//!
//! Debian 12's Wine (8.0) lacks bcryptprimitives.dll, which Rust's standard library needs; a
//! stand-in built here with zig sits beside the binary (support/wine/bcryptprimitives.c).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::emulated::{client_cert_pem, handshake, handshake_address, workspace_running};
use crate::support::release::{
    binary_of, inner_name, shell_quote, tempdir, tool, tools_bin, write_executable,
};
use crate::support::{Sim, hcl, repo, show};

/// A Wine prefix of its own, and the loader that runs programs in it. Dropping it stops the
/// prefix's wineserver and the programs left in it.
struct Wine {
    loader: PathBuf,
    prefix: PathBuf,
}

impl Wine {
    fn new(prefix: PathBuf) -> Wine {
        tools_bin(); // installs wine64 when missing
        // Debian's wine64 keeps its loader off PATH.
        let loader = ["/usr/lib/wine/wine64", "/usr/bin/wine64"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("Wine is not installed (apt-get install wine64)"));
        Wine { loader, prefix }
    }

    /// What every program in the prefix runs with: no debug chatter, and no prompt to install
    /// Mono or Gecko into a fresh prefix.
    fn env(&self) -> [(&'static str, String); 3] {
        [
            ("WINEPREFIX", self.prefix.to_string_lossy().into_owned()),
            ("WINEDEBUG", "-all".to_string()),
            ("WINEDLLOVERRIDES", "mscoree,mshtml=".to_string()),
        ]
    }

    fn command(&self, exe: &Path) -> Command {
        let mut cmd = Command::new(&self.loader);
        cmd.arg(exe).envs(self.env());
        cmd
    }

    /// `command` as a shell script's line, without the program and its arguments.
    fn shell_env(&self) -> String {
        let env: Vec<String> = self
            .env()
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_quote(v)))
            .collect();
        format!(
            "{} exec {}",
            env.join(" "),
            shell_quote(&self.loader.to_string_lossy())
        )
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        let _ = Command::new(self.loader.with_file_name("wineserver"))
            .arg("-k")
            .env("WINEPREFIX", &self.prefix)
            .status();
    }
}

/// bcryptprimitives.dll for Wine 8, built with the release tools' zig into `dir`.
fn process_prng_stand_in(dir: &Path) {
    let source = repo().join("tests/e2e/support/wine/bcryptprimitives.c");
    let output = tool("python-zig")
        .args([
            "cc",
            "-target",
            "x86_64-windows-gnu",
            "-shared",
            "-O2",
            "-o",
        ])
        .arg(dir.join("bcryptprimitives.dll"))
        .arg(&source)
        .arg("-ladvapi32")
        .output()
        .unwrap_or_else(|e| panic!("cannot run python-zig: {e}"));
    assert!(
        output.status.success(),
        "zig could not build {}\n{}",
        source.display(),
        show(&output)
    );
}

#[test]
fn windows_amd64_binary_listens_on_loopback_tcp_under_wine_and_applies() {
    let tmp = tempdir();
    let bin_dir = tmp.path().join("bin");
    let exe = bin_dir.join(inner_name("windows_amd64"));
    write_executable(&exe, binary_of("windows_amd64"));
    process_prng_stand_in(&bin_dir);
    let wine = Wine::new(tmp.path().join("prefix"));

    // The handshake: TCP on 127.0.0.1 (no unix sockets on Windows), protocol 6, and the
    // server's certificate for the client certificate it was given. A fresh prefix takes Wine
    // some seconds to set up.
    let (child, line) = handshake(
        wine.command(&exe),
        &client_cert_pem(),
        Duration::from_secs(120),
    );
    let address = handshake_address(&line, "tcp");
    let port = address
        .strip_prefix("127.0.0.1:")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("not a loopback address with a port: {line:?}"));
    assert_ne!(port, 0, "{line:?}");
    drop(child);

    // Terraform starts it as its provider and turns SSL on and off through it.
    let sim = Sim::start_with(&["--job-duration-ms", "0"]);
    sim.add_cluster("cl-wine0001", "pek3a", false);
    let ws = workspace_running(
        tmp.path(),
        &format!(
            "{} {} \"$@\"",
            wine.shell_env(),
            shell_quote(&exe.to_string_lossy())
        ),
        Some(&sim),
    );
    ws.write_config(&hcl(
        "resource \"qingcloud_mysqlplus_ssl\" \"db\" {\n  cluster_id = \"cl-wine0001\"\n  enabled    = true\n}\n",
    ));
    ws.tf_ok(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        sim.cluster_ssl("cl-wine0001"),
        "SSL is not on after the apply"
    );
    ws.tf_ok(&["destroy", "-auto-approve", "-no-color"]);
    assert!(
        !sim.cluster_ssl("cl-wine0001"),
        "SSL is not off after the destroy"
    );
}
