//! A release binary of another platform run here under an emulator (qemu for linux_arm64, Wine
//! for windows_amd64): its plugin handshake line, as Terraform would start it, and a Terraform
//! workspace whose provider is that binary behind a wrapper script.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;

use super::release::{NAME, write, write_executable};
use super::{Sim, Workspace, hcl_string, terraform_path};

pub const PROVIDER_ADDR: &str = "registry.terraform.io/qingcloud/qingcloud";
/// go-plugin's magic cookie for Terraform providers.
pub const COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Kills the emulated provider if the test fails half-way.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` with the environment Terraform gives a provider (cookie, protocol versions, a
/// client certificate) on top of what `cmd` sets, and returns the running process and the
/// first line it prints, the handshake. Panics with its stderr when no line comes in time.
pub fn handshake(mut cmd: Command, client_cert_pem: &str, within: Duration) -> (Running, String) {
    cmd.env("TF_PLUGIN_MAGIC_COOKIE", COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = Running(
        cmd.spawn()
            .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program())),
    );
    let stdout = child.0.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut stderr = child.0.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(within).unwrap_or_else(|_| {
        let _ = child.0.kill();
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        panic!(
            "no handshake line from {:?} within {within:?}\n--- stderr ---\n{err}",
            cmd.get_program()
        )
    });
    (child, line.trim_end().to_string())
}

/// A self-signed client certificate (PEM), as Terraform makes one for each provider it starts.
pub fn client_cert_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .unwrap_or_else(|e| panic!("cannot make a key: {e}"));
    rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .and_then(|p| p.self_signed(&key))
        .unwrap_or_else(|e| panic!("cannot make a client certificate: {e}"))
        .pem()
}

/// A Terraform 1.15 workspace (talking to `sim` when given) whose provider is `script`, a
/// `/bin/sh` script written under `dir` that starts the emulated binary.
pub fn workspace_running(dir: &Path, script: &str, sim: Option<&Sim>) -> Workspace {
    let wrapper_dir = dir.join("wrapper");
    write_executable(&wrapper_dir.join(NAME), format!("#!/bin/sh\n{script}\n"));
    let cli_config = dir.join("emulated.tfrc");
    write(
        &cli_config,
        format!(
            "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_ADDR}\" = {}\n  }}\n  direct {{}}\n}}\n",
            hcl_string(&wrapper_dir.to_string_lossy())
        ),
    );
    let mut ws = Workspace::with_terraform(terraform_path(), sim);
    ws.env("TF_CLI_CONFIG_FILE", &cli_config.to_string_lossy());
    ws
}

/// Checks a go-plugin handshake line, `1|6|NETWORK|ADDRESS|grpc|CERT`: core protocol 1, app
/// protocol 6, the given network, gRPC, and the server's certificate (DER, unpadded base64).
/// Returns the address, which each platform checks in its own way.
pub fn handshake_address<'a>(line: &'a str, network: &str) -> &'a str {
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(
        fields[..3],
        ["1", "6", network],
        "core protocol 1, app protocol 6, network {network}: {line:?}"
    );
    assert_eq!(fields[4], "grpc", "{line:?}");
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .unwrap_or_else(|e| {
            panic!("the server certificate is not unpadded base64 ({e}): {line:?}")
        });
    assert_eq!(
        server_cert.first(),
        Some(&0x30),
        "the server certificate is not DER: {line:?}"
    );
    fields[3]
}
