//! What Terraform tells a plugin through its environment, parsed into plain values.
//!
//! Parsing is a pure function of a lookup closure so the rules (defaults, port ranges, version
//! negotiation) are unit-tested without mutating the real process environment.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

/// Not a secret: it only stops people from running the binary by hand by mistake.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The only app protocol this provider speaks (tfplugin6).
pub const PROTOCOL_VERSION: u32 = 6;

/// go-plugin's defaults when Terraform leaves PLUGIN_MIN_PORT/PLUGIN_MAX_PORT unset.
const DEFAULT_MIN_PORT: u16 = 10000;
const DEFAULT_MAX_PORT: u16 = 25000;

/// Printed when the binary is run by hand: people do this after downloading a provider.
pub const NOT_A_COMMAND_MESSAGE: &str = "\
This binary is a Terraform provider plugin. It is not meant to be run directly: Terraform starts it by itself when it needs it.\n\
Declare the provider in your configuration and run `terraform init`, then `terraform plan` or \
`terraform apply`.\n\
(To debug the provider, run it with --debug.)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvError {
    BadCookie,
    NoProtocolVersions,
    UnsupportedVersions(Vec<u32>),
    BadPort { key: &'static str, value: String },
    EmptyPortRange { min: u16, max: u16 },
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvError::BadCookie => f.write_str(NOT_A_COMMAND_MESSAGE),
            EnvError::NoProtocolVersions => write!(
                f,
                "Terraform offered no plugin protocol version (PLUGIN_PROTOCOL_VERSIONS is unset \
                 or empty); this provider needs protocol {PROTOCOL_VERSION}, which Terraform 1.0 \
                 and later support"
            ),
            EnvError::UnsupportedVersions(offered) => write!(
                f,
                "this provider speaks only plugin protocol {PROTOCOL_VERSION}, but Terraform \
                 offered {offered:?}; upgrade Terraform to 1.0 or later"
            ),
            EnvError::BadPort { key, value } => {
                write!(f, "{key}={value:?} is not a port number (1-65535)")
            }
            EnvError::EmptyPortRange { min, max } => write!(
                f,
                "PLUGIN_MIN_PORT ({min}) is greater than PLUGIN_MAX_PORT ({max})"
            ),
        }
    }
}

impl std::error::Error for EnvError {}

/// Accepts only the exact cookie: anything else means a human (or a wrong program) started us.
pub fn check_cookie(value: Option<&str>) -> Result<(), EnvError> {
    match value {
        Some(v) if v == MAGIC_COOKIE_VALUE => Ok(()),
        _ => Err(EnvError::BadCookie),
    }
}

/// Picks protocol 6 from Terraform's offer. Order in the list means nothing (go-plugin picks the
/// highest it serves); entries that are not numbers are skipped, as go-plugin does.
pub fn negotiate_version(offered: Option<&str>) -> Result<u32, EnvError> {
    let offered: Vec<u32> = offered
        .unwrap_or("")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if offered.is_empty() {
        return Err(EnvError::NoProtocolVersions);
    }
    if offered.contains(&PROTOCOL_VERSION) {
        Ok(PROTOCOL_VERSION)
    } else {
        Err(EnvError::UnsupportedVersions(offered))
    }
}

/// Everything the host needs from the environment, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginEnv {
    /// PEM of Terraform's one-shot client certificate; None means TLS is off.
    pub client_cert_pem: Option<String>,
    pub min_port: u16,
    pub max_port: u16,
    pub socket_dir: PathBuf,
}

impl PluginEnv {
    /// Reads the environment through `lookup`; empty values count as unset, as in go-plugin.
    pub fn parse(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, EnvError> {
        let get = |key: &str| {
            lookup(key)
                .map(|v| v.to_string_lossy().into_owned())
                .filter(|v| !v.is_empty())
        };
        let port = |key: &'static str, default: u16| match get(key) {
            None => Ok(default),
            Some(v) => match v.trim().parse::<u16>() {
                Ok(p) if p > 0 => Ok(p),
                _ => Err(EnvError::BadPort { key, value: v }),
            },
        };
        let min_port = port("PLUGIN_MIN_PORT", DEFAULT_MIN_PORT)?;
        let max_port = port("PLUGIN_MAX_PORT", DEFAULT_MAX_PORT)?;
        if min_port > max_port {
            return Err(EnvError::EmptyPortRange {
                min: min_port,
                max: max_port,
            });
        }
        // Keep the directory as an OsString: a non-UTF-8 TMPDIR is legal.
        let dir = |key: &str| lookup(key).filter(|v| !v.is_empty()).map(PathBuf::from);
        let socket_dir = dir("PLUGIN_UNIX_SOCKET_DIR")
            .or_else(|| dir("TMPDIR"))
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        Ok(PluginEnv {
            client_cert_pem: get("PLUGIN_CLIENT_CERT"),
            min_port,
            max_port,
            socket_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn cookie_must_match_exactly() {
        assert_eq!(check_cookie(Some(MAGIC_COOKIE_VALUE)), Ok(()));
        assert_eq!(check_cookie(None), Err(EnvError::BadCookie));
        assert_eq!(check_cookie(Some("")), Err(EnvError::BadCookie));
        let padded = format!("{MAGIC_COOKIE_VALUE} ");
        assert_eq!(check_cookie(Some(&padded)), Err(EnvError::BadCookie));
        let msg = EnvError::BadCookie.to_string();
        assert!(
            msg.contains("Terraform") && msg.contains("terraform init"),
            "{msg}"
        );
    }

    #[test]
    fn negotiation_picks_6_in_any_order() {
        assert_eq!(negotiate_version(Some("5,6")), Ok(6));
        assert_eq!(negotiate_version(Some("6,5")), Ok(6));
        assert_eq!(negotiate_version(Some(" 6 ")), Ok(6));
        assert_eq!(negotiate_version(Some("x,6,7")), Ok(6));
    }

    #[test]
    fn negotiation_fails_without_6() {
        assert_eq!(
            negotiate_version(Some("4,5")),
            Err(EnvError::UnsupportedVersions(vec![4, 5]))
        );
        assert_eq!(
            negotiate_version(Some("")),
            Err(EnvError::NoProtocolVersions)
        );
        assert_eq!(negotiate_version(None), Err(EnvError::NoProtocolVersions));
        assert_eq!(
            negotiate_version(Some("abc")),
            Err(EnvError::NoProtocolVersions)
        );
    }

    #[test]
    fn env_defaults() {
        let e = PluginEnv::parse(env(&[])).unwrap();
        assert_eq!((e.min_port, e.max_port), (10000, 25000));
        assert_eq!(e.socket_dir, PathBuf::from("/tmp"));
        assert_eq!(e.client_cert_pem, None);
    }

    #[test]
    fn env_socket_dir_precedence() {
        let e = PluginEnv::parse(env(&[("TMPDIR", "/t"), ("PLUGIN_UNIX_SOCKET_DIR", "/s")]));
        assert_eq!(e.unwrap().socket_dir, PathBuf::from("/s"));
        let e = PluginEnv::parse(env(&[("TMPDIR", "/t"), ("PLUGIN_UNIX_SOCKET_DIR", "")]));
        assert_eq!(e.unwrap().socket_dir, PathBuf::from("/t"));
    }

    #[test]
    fn env_ports_and_cert() {
        let e = PluginEnv::parse(env(&[
            ("PLUGIN_MIN_PORT", "20000"),
            ("PLUGIN_MAX_PORT", "20010"),
            ("PLUGIN_CLIENT_CERT", "PEM"),
        ]))
        .unwrap();
        assert_eq!((e.min_port, e.max_port), (20000, 20010));
        assert_eq!(e.client_cert_pem.as_deref(), Some("PEM"));
        assert!(matches!(
            PluginEnv::parse(env(&[("PLUGIN_MIN_PORT", "70000")])),
            Err(EnvError::BadPort {
                key: "PLUGIN_MIN_PORT",
                ..
            })
        ));
        assert!(matches!(
            PluginEnv::parse(env(&[("PLUGIN_MAX_PORT", "0")])),
            Err(EnvError::BadPort { .. })
        ));
        assert_eq!(
            PluginEnv::parse(env(&[("PLUGIN_MIN_PORT", "3"), ("PLUGIN_MAX_PORT", "2")])),
            Err(EnvError::EmptyPortRange { min: 3, max: 2 })
        );
    }
}
