//! Where the client's settings come from: provider arguments > environment > the SDK/CLI config
//! file `~/.qingcloud/config.yaml`, one setting at a time (a key from the environment and a zone
//! from the file mix fine, as users of the official CLI expect).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::jobs::WaitPolicy;
use super::rate_limit::RateLimit;
use super::retry::RetryPolicy;

pub const DEFAULT_ENDPOINT: &str = "https://api.qingcloud.com:443/iaas/";
const DEFAULT_PATH: &str = "/iaas/";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The provider block's arguments, as given (None = not set).
#[derive(Clone, Default)]
pub struct ProviderSettings {
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub zone: Option<String>,
    pub endpoint: Option<String>,
}

impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("access_key", &self.access_key)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| Secret::MASK),
            )
            .field("zone", &self.zone)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// The secret key. Printing it in any way shows `***`; only the signer reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    const MASK: &'static str = "***";

    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The key itself, for signing. Never log what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Secret::MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Secret::MASK)
    }
}

/// Where requests go: scheme, host, port and the path that is also signed.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Endpoint {
    /// Parses `scheme://host[:port][/path]`. Only `http` and `https`; a missing path becomes
    /// `/iaas/`; credentials, queries and fragments are refused. An error reads after "it"
    /// ("it has no host").
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        let text = text.trim();
        let url = reqwest::Url::parse(text).map_err(|e| format!("is not a URL ({e})"))?;
        let scheme = url.scheme().to_string();
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "uses the scheme {scheme:?}; only https and http work"
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("contains user credentials, which would end up in logs".into());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("has a query or fragment, which would break request signing".into());
        }
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.to_string(),
            _ => return Err("has no host".into()),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "has no port".to_string())?;
        let path = match url.path() {
            "" | "/" => DEFAULT_PATH.to_string(),
            p => p.to_string(),
        };
        Ok(Endpoint {
            scheme,
            host,
            port,
            path,
        })
    }

    /// Plain http is only private on the machine itself; anywhere else, signed requests and
    /// their answers cross the network readable.
    pub fn is_plain_http_off_this_machine(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        self.scheme == "http" && !loopback
    }

    /// `scheme://host:port/path`, without any query.
    pub fn base_url(&self) -> String {
        format!("{}://{}:{}{}", self.scheme, self.host, self.port, self.path)
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            scheme: "https".into(),
            host: "api.qingcloud.com".into(),
            port: 443,
            path: DEFAULT_PATH.into(),
        }
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.base_url())
    }
}

/// Everything `Client::new` needs.
#[derive(Clone)]
pub struct ClientConfig {
    pub access_key: String,
    pub secret_key: Secret,
    pub zone: String,
    pub endpoint: Endpoint,
    /// Per attempt, connect to last byte.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub rate_limit: RateLimit,
    /// How job and cluster waits poll.
    pub wait: WaitPolicy,
    /// Where the credentials and the endpoint came from, for error messages.
    pub origins: Origins,
}

/// Where each setting came from ("the environment variable QINGCLOUD_ACCESS_KEY", "`zone` in
/// /home/me/.qingcloud/config.yaml"), so that an error the user must fix says where to fix it.
/// Descriptions only: never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    pub access_key: String,
    pub secret_key: String,
    pub endpoint: String,
}

impl Default for Origins {
    fn default() -> Self {
        // What a config built in code (tests, the simulator's tools) says.
        let given = || "the client configuration".to_string();
        Origins {
            access_key: given(),
            secret_key: given(),
            endpoint: given(),
        }
    }
}

impl ClientConfig {
    pub fn new(access_key: &str, secret_key: &str, zone: &str, endpoint: Endpoint) -> Self {
        ClientConfig {
            access_key: access_key.into(),
            secret_key: Secret::new(secret_key),
            zone: zone.into(),
            endpoint,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            rate_limit: RateLimit::default(),
            wait: WaitPolicy::default(),
            origins: Origins::default(),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("zone", &self.zone)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.retry.max_attempts)
            .finish_non_exhaustive()
    }
}

/// A setting that is missing or wrong. `setting()` names the provider argument, so the caller can
/// point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    Missing {
        setting: &'static str,
        config_file: String,
    },
    Invalid {
        setting: &'static str,
        /// Where the bad value came from, e.g. "the provider argument `zone`".
        origin: String,
        reason: String,
    },
}

impl ConfigError {
    pub fn setting(&self) -> &'static str {
        match self {
            ConfigError::Missing { setting, .. } | ConfigError::Invalid { setting, .. } => setting,
        }
    }

    /// The provider argument to point at, when the setting is one (some live only in the
    /// config file).
    pub fn attribute(&self) -> Option<&'static str> {
        let setting = self.setting();
        ["access_key", "secret_key", "zone", "endpoint"]
            .contains(&setting)
            .then_some(setting)
    }
}

/// (provider argument, environment variable, config file key, what it is)
fn sources(setting: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    match setting {
        "access_key" => (
            "access_key",
            "QINGCLOUD_ACCESS_KEY",
            "qy_access_key_id",
            "access key",
        ),
        "secret_key" => (
            "secret_key",
            "QINGCLOUD_SECRET_KEY",
            "qy_secret_access_key",
            "secret key",
        ),
        "zone" => ("zone", "QINGCLOUD_ZONE", "zone", "zone"),
        _ => (
            "endpoint",
            "QINGCLOUD_ENDPOINT",
            "host/port/protocol/uri",
            "endpoint",
        ),
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing {
                setting,
                config_file,
            } => {
                let (arg, env, key, what) = sources(setting);
                write!(
                    f,
                    "no QingCloud {what} configured: set the provider argument `{arg}`, \
                     the environment variable {env}, or `{key}` in {config_file}"
                )
            }
            ConfigError::Invalid {
                setting,
                origin,
                reason,
            } => {
                let (_, _, _, what) = sources(setting);
                write!(f, "invalid QingCloud {what} from {origin}: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// `~/.qingcloud/config.yaml` as the SDKs and the CLI read it: a YAML mapping whose scalar
/// values (strings, numbers, booleans) are the settings. Anything else in the mapping is
/// ignored. The error says where the YAML breaks, never what the file holds (it holds a secret).
fn parse_config_yaml(text: &str) -> Result<Vec<(String, String)>, String> {
    use serde_norway::Value;
    let scalar = |v: Value| match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let document: Value = serde_norway::from_str(text).map_err(|e| match e.location() {
        Some(at) => format!(
            "it is not valid YAML (line {}, column {})",
            at.line(),
            at.column()
        ),
        None => "it is not valid YAML".to_string(),
    })?;
    match document {
        Value::Null => Ok(Vec::new()),
        Value::Mapping(map) => Ok(map
            .into_iter()
            .filter_map(|(k, v)| Some((scalar(k)?, scalar(v)?)))
            .collect()),
        _ => Err("it is not a mapping of `key: value` lines".into()),
    }
}

/// The values read from the config file.
#[derive(Default)]
struct FileSettings {
    values: Vec<(String, String)>,
}

impl FileSettings {
    fn get(&self, key: &str) -> Option<String> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    }
}

fn config_path(home: Option<&Path>) -> Option<PathBuf> {
    home.map(|h| h.join(".qingcloud").join("config.yaml"))
}

fn read_file(path: Option<&Path>) -> Result<FileSettings, ConfigError> {
    let Some(path) = path else {
        return Ok(FileSettings::default());
    };
    match std::fs::read_to_string(path) {
        Ok(text) => match parse_config_yaml(&text) {
            Ok(values) => Ok(FileSettings { values }),
            // Like an unreadable file: the settings it holds cannot be trusted or ignored.
            Err(reason) => Err(ConfigError::Invalid {
                setting: "access_key",
                origin: path.display().to_string(),
                reason,
            }),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileSettings::default()),
        // An unreadable file that exists is reported: silently ignoring it would hide the reason
        // for a later "no access key" error.
        Err(e) => Err(ConfigError::Invalid {
            setting: "access_key",
            origin: path.display().to_string(),
            reason: format!("cannot read the file: {e}"),
        }),
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Builds the client configuration from the three sources, `env` standing in for
/// `std::env::var` and `home` for the user's home directory (tests pass their own).
pub fn resolve(
    settings: &ProviderSettings,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<ClientConfig, ConfigError> {
    let path = config_path(home);
    let file = read_file(path.as_deref())?;
    let file_name = path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "~/.qingcloud/config.yaml".into());

    // Returns the value and a description of where it came from, for error messages.
    let pick = |setting: &'static str, arg: &Option<String>| -> Option<(String, String)> {
        let (arg_name, env_name, key, _) = sources(setting);
        non_empty(arg.clone())
            .map(|v| (v, format!("the provider argument `{arg_name}`")))
            .or_else(|| {
                non_empty(env(env_name))
                    .map(|v| (v, format!("the environment variable {env_name}")))
            })
            .or_else(|| {
                file.get(key)
                    .map(|v| (v, format!("`{key}` in {file_name}")))
            })
    };
    let missing = |setting| ConfigError::Missing {
        setting,
        config_file: file_name.clone(),
    };

    let (access_key, access_key_origin) =
        pick("access_key", &settings.access_key).ok_or(missing("access_key"))?;
    let (secret_key, secret_key_origin) =
        pick("secret_key", &settings.secret_key).ok_or(missing("secret_key"))?;
    let (zone, zone_origin) = pick("zone", &settings.zone).ok_or(missing("zone"))?;
    if !crate::ids::is_zone(&zone) {
        return Err(ConfigError::Invalid {
            setting: "zone",
            origin: zone_origin,
            reason: format!(
                "{zone:?} is not a QingCloud zone: {}",
                crate::ids::ZONE_RULE
            ),
        });
    }

    let (endpoint, endpoint_origin) = match non_empty(settings.endpoint.clone())
        .map(|v| (v, "the provider argument `endpoint`".to_string()))
        .or_else(|| {
            non_empty(env("QINGCLOUD_ENDPOINT"))
                .map(|v| (v, "the environment variable QINGCLOUD_ENDPOINT".into()))
        }) {
        Some((text, origin)) => {
            let endpoint = Endpoint::parse(&text).map_err(|why| ConfigError::Invalid {
                setting: "endpoint",
                origin: origin.clone(),
                reason: format!("it {why}"),
            })?;
            (endpoint, origin)
        }
        None => endpoint_from_file(&file, &file_name)?,
    };

    let mut config = ClientConfig::new(&access_key, &secret_key, &zone, endpoint);
    config.origins = Origins {
        access_key: access_key_origin,
        secret_key: secret_key_origin,
        endpoint: endpoint_origin,
    };
    if let Some(retries) = file.get("connection_retries") {
        let n: u32 = retries.parse().map_err(|_| ConfigError::Invalid {
            setting: "connection_retries",
            origin: format!("`connection_retries` in {file_name}"),
            reason: format!("{retries:?} is not a number"),
        })?;
        // The SDKs count retries; the policy counts attempts.
        config.retry.max_attempts = n.saturating_add(1);
    }
    if let Some(timeout) = file.get("connection_timeout") {
        let secs: u64 = timeout.parse().map_err(|_| ConfigError::Invalid {
            setting: "connection_timeout",
            origin: format!("`connection_timeout` in {file_name}"),
            reason: format!("{timeout:?} is not a number of seconds"),
        })?;
        if secs > 0 {
            config.timeout = Duration::from_secs(secs);
        }
    }
    Ok(config)
}

/// The endpoint from the config file's `host`/`port`/`protocol`/`uri`, or the default one, with
/// where it came from.
fn endpoint_from_file(
    file: &FileSettings,
    file_name: &str,
) -> Result<(Endpoint, String), ConfigError> {
    let (host, port, protocol, uri) = (
        file.get("host"),
        file.get("port"),
        file.get("protocol"),
        file.get("uri"),
    );
    if host.is_none() && port.is_none() && protocol.is_none() && uri.is_none() {
        return Ok((
            Endpoint::default(),
            "the default (no `endpoint` is configured)".to_string(),
        ));
    }
    let origin = format!("`host`/`port`/`protocol`/`uri` in {file_name}");
    let default = Endpoint::default();
    let scheme = protocol.unwrap_or(default.scheme).to_ascii_lowercase();
    let host = host.unwrap_or(default.host);
    let port = match port {
        Some(p) => format!(":{p}"),
        None => String::new(),
    };
    let path = match uri {
        Some(u) if u.starts_with('/') => u,
        Some(u) => format!("/{u}"),
        None => DEFAULT_PATH.to_string(),
    };
    match Endpoint::parse(&format!("{scheme}://{host}{port}{path}")) {
        Ok(endpoint) => Ok((endpoint, origin)),
        Err(why) => Err(ConfigError::Invalid {
            setting: "endpoint",
            origin,
            reason: format!("it {why}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn home_with(config: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".qingcloud")).unwrap();
        std::fs::write(dir.path().join(".qingcloud/config.yaml"), config).unwrap();
        dir
    }

    const FILE: &str =
        "qy_access_key_id: 'FILEKEY'\nqy_secret_access_key: \"FILESECRET\"\nzone: gd2a\n";

    #[test]
    fn arguments_beat_environment_beat_file() {
        let home = home_with(FILE);
        let env = env_of(&[
            ("QINGCLOUD_ACCESS_KEY", "ENVKEY"),
            ("QINGCLOUD_SECRET_KEY", "ENVSECRET"),
        ]);
        let args = ProviderSettings {
            access_key: Some("ARGKEY".into()),
            ..ProviderSettings::default()
        };
        let c = resolve(&args, &env, Some(home.path())).unwrap();
        assert_eq!(c.access_key, "ARGKEY");
        assert_eq!(c.secret_key.expose(), "ENVSECRET");
        assert_eq!(c.zone, "gd2a");
        assert_eq!(c.endpoint.base_url(), DEFAULT_ENDPOINT);
        // Each origin is recorded, so a refused key can be traced to where it was set.
        assert_eq!(c.origins.access_key, "the provider argument `access_key`");
        assert_eq!(
            c.origins.secret_key,
            "the environment variable QINGCLOUD_SECRET_KEY"
        );
        assert!(
            c.origins.endpoint.starts_with("the default"),
            "{:?}",
            c.origins
        );

        let c = resolve(
            &ProviderSettings::default(),
            &env_of(&[]),
            Some(home.path()),
        )
        .unwrap();
        assert_eq!(c.access_key, "FILEKEY");
        assert_eq!(c.secret_key.expose(), "FILESECRET");
        let file = home.path().join(".qingcloud/config.yaml");
        assert_eq!(
            c.origins.access_key,
            format!("`qy_access_key_id` in {}", file.display())
        );
        // Origins never hold a value.
        let origins = format!("{:?}", c.origins);
        assert!(!origins.contains("FILEKEY") && !origins.contains("FILESECRET"));

        // An empty argument counts as unset.
        let args = ProviderSettings {
            zone: Some(String::new()),
            ..ProviderSettings::default()
        };
        let env = env_of(&[("QINGCLOUD_ZONE", "sh1a")]);
        let c = resolve(&args, &env, Some(home.path())).unwrap();
        assert_eq!(c.zone, "sh1a");
    }

    #[test]
    fn missing_settings_name_all_three_places() {
        let home = tempfile::tempdir().unwrap();
        let env = env_of(&[("QINGCLOUD_ACCESS_KEY", "K"), ("QINGCLOUD_ZONE", "pek3a")]);
        let err = resolve(&ProviderSettings::default(), &env, Some(home.path())).unwrap_err();
        assert_eq!(err.setting(), "secret_key");
        let text = err.to_string();
        for place in [
            "`secret_key`",
            "QINGCLOUD_SECRET_KEY",
            "qy_secret_access_key",
        ] {
            assert!(text.contains(place), "{text}");
        }
        assert!(text.contains(".qingcloud/config.yaml"), "{text}");

        let env = env_of(&[("QINGCLOUD_ACCESS_KEY", "K"), ("QINGCLOUD_SECRET_KEY", "S")]);
        let err = resolve(&ProviderSettings::default(), &env, None).unwrap_err();
        assert_eq!(err.setting(), "zone");
        let text = err.to_string();
        for place in ["`zone`", "QINGCLOUD_ZONE", "~/.qingcloud/config.yaml"] {
            assert!(text.contains(place), "{text}");
        }
        let err = resolve(&ProviderSettings::default(), &env_of(&[]), None).unwrap_err();
        assert_eq!(err.setting(), "access_key");
        assert!(err.to_string().contains("QINGCLOUD_ACCESS_KEY"));
        assert!(err.to_string().contains("qy_access_key_id"));
    }

    #[test]
    fn endpoints() {
        let ok = |s: &str| Endpoint::parse(s).unwrap().base_url();
        assert_eq!(ok("https://api.qingcloud.com"), DEFAULT_ENDPOINT);
        assert_eq!(ok("http://127.0.0.1:7777"), "http://127.0.0.1:7777/iaas/");
        assert_eq!(
            ok("https://api.example.com:8443/custom/"),
            "https://api.example.com:8443/custom/"
        );
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("api.qingcloud.com").is_err());
        assert!(Endpoint::parse("https://u:p@host/").is_err());
        assert!(Endpoint::parse("https://host/?a=b").is_err());

        let env = env_of(&[
            ("QINGCLOUD_ACCESS_KEY", "K"),
            ("QINGCLOUD_SECRET_KEY", "S"),
            ("QINGCLOUD_ZONE", "pek3a"),
            ("QINGCLOUD_ENDPOINT", "ftp://nope"),
        ]);
        let err = resolve(&ProviderSettings::default(), &env, None).unwrap_err();
        assert_eq!(err.setting(), "endpoint");
        assert!(err.to_string().contains("QINGCLOUD_ENDPOINT"));

        let home = home_with(
            "host: qc.example.com\nport: 8080\nprotocol: http\nuri: /iaas\n\
             connection_retries: 2\nconnection_timeout: 7\n",
        );
        let env = env_of(&[
            ("QINGCLOUD_ACCESS_KEY", "K"),
            ("QINGCLOUD_SECRET_KEY", "S"),
            ("QINGCLOUD_ZONE", "pek3a"),
        ]);
        let c = resolve(&ProviderSettings::default(), &env, Some(home.path())).unwrap();
        assert_eq!(c.endpoint.base_url(), "http://qc.example.com:8080/iaas");
        assert!(
            c.origins
                .endpoint
                .starts_with("`host`/`port`/`protocol`/`uri` in "),
            "{:?}",
            c.origins
        );
        assert_eq!(c.retry.max_attempts, 3);
        assert_eq!(c.timeout, Duration::from_secs(7));

        // File-only settings are named as such, and point at no provider argument.
        for (line, setting) in [
            ("connection_retries: many\n", "connection_retries"),
            ("connection_timeout: 7s\n", "connection_timeout"),
        ] {
            let home = home_with(line);
            let err = resolve(&ProviderSettings::default(), &env, Some(home.path())).unwrap_err();
            assert_eq!(err.setting(), setting);
            assert_eq!(err.attribute(), None);
            assert!(err.to_string().contains(setting), "{err}");
        }
    }

    #[test]
    fn bad_zone_is_named() {
        let env = env_of(&[("QINGCLOUD_ACCESS_KEY", "K"), ("QINGCLOUD_SECRET_KEY", "S")]);
        let args = ProviderSettings {
            zone: Some("PEK3A".into()),
            ..ProviderSettings::default()
        };
        let err = resolve(&args, &env, None).unwrap_err();
        assert_eq!(err.setting(), "zone");
        assert!(err.to_string().contains("provider argument `zone`"));
    }

    #[test]
    fn the_config_file_is_yaml_as_the_sdks_write_it() {
        let v = parse_config_yaml(
            "# written by qingcloud-cli\n---\nzone: pek3a # trailing\n\
             qy_secret_access_key: 'a: #b'\nqy_access_key_id: \"K\\tEY\\u0041\"\n\
             port: 443\nprotocol: https\nextra: [1, 2]\n",
        )
        .unwrap();
        let get = |k: &str| v.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("zone"), Some("pek3a"));
        assert_eq!(get("qy_secret_access_key"), Some("a: #b"));
        assert_eq!(get("qy_access_key_id"), Some("K\tEYA"));
        assert_eq!(get("port"), Some("443"));
        assert_eq!(get("extra"), None, "a list is not a setting");
        assert_eq!(parse_config_yaml("").unwrap(), Vec::new());
        assert_eq!(parse_config_yaml("# only a comment\n").unwrap(), Vec::new());
    }

    #[test]
    fn a_broken_config_file_is_an_error_naming_the_place_not_the_content() {
        let home = home_with("qy_access_key_id: 'KEY\nqy_secret_access_key: TOPSECRET\n");
        let err = resolve(
            &ProviderSettings::default(),
            &env_of(&[]),
            Some(home.path()),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("config.yaml"), "{err}");
        assert!(err.contains("not valid YAML (line"), "{err}");
        assert!(!err.contains("TOPSECRET"), "{err}");
        let list = parse_config_yaml("- a\n- b\n").unwrap_err();
        assert!(list.contains("not a mapping"), "{list}");
    }

    #[test]
    fn secrets_are_redacted_exactly() {
        let c = ClientConfig::new("AK", "TOP-SECRET", "pek3a", Endpoint::default());
        assert_eq!(
            format!("{c:?}"),
            "ClientConfig { access_key: \"AK\", secret_key: ***, zone: \"pek3a\", \
             endpoint: \"https://api.qingcloud.com:443/iaas/\", timeout: 60s, max_attempts: 25, .. }"
        );
        assert_eq!(c.secret_key.to_string(), "***");
        let s = ProviderSettings {
            secret_key: Some("TOP-SECRET".into()),
            ..ProviderSettings::default()
        };
        assert!(!format!("{s:?}").contains("TOP-SECRET"));
    }
}
