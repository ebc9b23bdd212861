//! The text a plugin prints on stdout for Terraform: the go-plugin handshake line, and in debug
//! mode the TF_REATTACH_PROVIDERS line.

use base64::Engine as _;
use std::net::SocketAddr;
use std::path::PathBuf;

/// go-plugin's own protocol version (not tfplugin's); always 1.
const CORE_PROTOCOL_VERSION: u32 = 1;

/// Where the server listens, in go-plugin's (network, address) terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl Address {
    pub fn network(&self) -> &'static str {
        match self {
            Address::Unix(_) => "unix",
            Address::Tcp(_) => "tcp",
        }
    }

    pub fn address(&self) -> String {
        match self {
            Address::Unix(path) => path.to_string_lossy().into_owned(),
            Address::Tcp(addr) => addr.to_string(),
        }
    }
}

/// `1|6|unix|/path|grpc|<cert>`, without the newline.
///
/// The certificate is base64 WITHOUT padding: Go's client decodes with RawStdEncoding and
/// rejects `=`. Without TLS the field must be empty, or the Go client tries to parse it.
pub fn handshake_line(version: u32, addr: &Address, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{version}|{}|{}|grpc|{cert}",
        addr.network(),
        addr.address()
    )
}

/// The shell line a developer copies to point Terraform at a provider started with --debug.
/// `Test: true` tells Terraform it must not kill this process when a command ends.
/// `provider_address` (`registry.terraform.io/NAMESPACE/NAME`) is the key Terraform looks up.
pub fn reattach_line(provider_address: &str, version: u32, pid: u32, addr: &Address) -> String {
    let config = serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": version,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": addr.network(), "String": addr.address() },
        }
    });
    // Single quotes keep the JSON intact in a POSIX shell; a quote inside the path is escaped.
    let json = config.to_string().replace('\'', r"'\''");
    format!("TF_REATTACH_PROVIDERS='{json}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDRESS: &str = "registry.terraform.io/qingcloud/qingcloud";

    #[test]
    fn handshake_unix_with_cert_is_unpadded() {
        // 4 bytes encode to 6 characters plus "==" when padded.
        let line = handshake_line(6, &Address::Unix("/tmp/p.sock".into()), Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|unix|/tmp/p.sock|grpc|AQIDBA");
        assert!(!line.contains('='));
    }

    #[test]
    fn handshake_without_tls_has_empty_sixth_field() {
        let addr = Address::Tcp("127.0.0.1:10001".parse().unwrap());
        let line = handshake_line(6, &addr, None);
        assert_eq!(line, "1|6|tcp|127.0.0.1:10001|grpc|");
        assert_eq!(line.split('|').count(), 6);
    }

    #[test]
    fn reattach_line_shape() {
        let line = reattach_line(ADDRESS, 6, 42, &Address::Unix("/tmp/x.sock".into()));
        let json = line
            .strip_prefix("TF_REATTACH_PROVIDERS='")
            .and_then(|s| s.strip_suffix('\''))
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let p = &v[ADDRESS];
        assert_eq!(p["Protocol"], "grpc");
        assert_eq!(p["ProtocolVersion"], 6);
        assert_eq!(p["Pid"], 42);
        assert_eq!(p["Test"], true);
        assert_eq!(p["Addr"]["Network"], "unix");
        assert_eq!(p["Addr"]["String"], "/tmp/x.sock");
    }
}
