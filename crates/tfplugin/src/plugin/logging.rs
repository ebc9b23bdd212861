//! Logs in hclog's JSON form, one object per line on stderr.
//!
//! Terraform (go-plugin) reads the provider's stderr line by line: a JSON line with `@level`,
//! `@message`, `@timestamp` becomes a log entry at that level, shown under TF_LOG /
//! TF_LOG_PROVIDER; other keys become fields. stdout is never used: it carries the handshake.

use super::identity::Identity;
use serde_json::{Map, Value};
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// The level Terraform asked for. TF_LOG_PROVIDER wins over TF_LOG. Like Terraform, any value
/// that is not a level name (`1`, `json`, ...) means trace. Unset means info: Terraform filters
/// again on its side, so this only bounds the work done here.
pub fn level_from_env(tf_log_provider: Option<&str>, tf_log: Option<&str>) -> LevelFilter {
    let chosen = [tf_log_provider, tf_log]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty());
    match chosen.map(str::to_ascii_lowercase).as_deref() {
        None => LevelFilter::INFO,
        Some("off") => LevelFilter::OFF,
        Some("error") => LevelFilter::ERROR,
        Some("warn") => LevelFilter::WARN,
        Some("info") => LevelFilter::INFO,
        Some("debug") => LevelFilter::DEBUG,
        Some(_) => LevelFilter::TRACE,
    }
}

/// hclog's level names.
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// `2026-11-29T03:00:00.000000Z`: hclog's JSON time format, in UTC.
pub fn format_timestamp(since_epoch: std::time::Duration) -> String {
    humantime::format_rfc3339_micros(std::time::UNIX_EPOCH + since_epoch).to_string()
}

/// Collects an event's fields into JSON values; `message` becomes `@message`.
struct JsonFields<'a>(&'a mut Map<String, Value>);

impl JsonFields<'_> {
    fn put(&mut self, field: &Field, value: Value) {
        let key = match field.name() {
            "message" => "@message",
            name => name,
        };
        self.0.insert(key.to_string(), value);
    }
}

impl Visit for JsonFields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(value.to_string()));
    }
}

/// A tracing layer that writes each event as one hclog JSON line.
pub struct HclogLayer<W> {
    make_writer: W,
    /// hclog's `@module`: `provider.NAME`, as Go providers log.
    module: String,
}

impl<W> HclogLayer<W> {
    pub fn new(make_writer: W, provider_name: &str) -> Self {
        HclogLayer {
            make_writer,
            module: format!("provider.{provider_name}"),
        }
    }
}

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut map = Map::new();
        map.insert("@level".into(), level_name(event.metadata().level()).into());
        map.insert("@message".into(), Value::String(String::new()));
        map.insert("@module".into(), self.module.clone().into());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        map.insert("@timestamp".into(), format_timestamp(now).into());
        event.record(&mut JsonFields(&mut map));
        let mut line = Value::Object(map).to_string();
        line.push('\n');
        // One write per line so lines from several threads never interleave.
        let _ = self.make_writer.make_writer().write_all(line.as_bytes());
    }
}

/// Installs the stderr hclog logger and the panic hook. Safe to call twice (the second call
/// keeps the first logger).
pub fn init_logging(identity: &Identity) {
    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER").ok().as_deref(),
        std::env::var("TF_LOG").ok().as_deref(),
    );
    // The provider's crates at the requested level; libraries (h2, hyper, tonic) at most at
    // info, so TF_LOG=trace shows the provider's work rather than every HTTP/2 frame.
    let filter = identity
        .log_targets
        .iter()
        .chain([&env!("CARGO_CRATE_NAME")])
        .fold(Targets::new(), |targets, crate_name| {
            targets.with_target(*crate_name, level)
        })
        .with_default(level.min(LevelFilter::INFO));
    let _ = tracing_subscriber::registry()
        .with(HclogLayer::new(std::io::stderr, identity.name).with_filter(filter))
        .try_init();
    install_panic_hook();
}

/// A panic otherwise prints plain text that Terraform only shows at debug level; logging it at
/// error level makes it visible with TF_LOG=error. The default hook still runs afterwards.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(non-string panic payload)");
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(location, "provider panicked: {message}");
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    #[test]
    fn level_mapping() {
        assert_eq!(level_from_env(None, None), LevelFilter::INFO);
        assert_eq!(level_from_env(None, Some("")), LevelFilter::INFO);
        assert_eq!(level_from_env(None, Some("DEBUG")), LevelFilter::DEBUG);
        assert_eq!(level_from_env(None, Some("Warn")), LevelFilter::WARN);
        assert_eq!(level_from_env(None, Some("error")), LevelFilter::ERROR);
        assert_eq!(level_from_env(None, Some("info")), LevelFilter::INFO);
        assert_eq!(level_from_env(None, Some("json")), LevelFilter::TRACE);
        assert_eq!(level_from_env(None, Some("1")), LevelFilter::TRACE);
        assert_eq!(level_from_env(None, Some("off")), LevelFilter::OFF);
        assert_eq!(
            level_from_env(Some("error"), Some("trace")),
            LevelFilter::ERROR
        );
        assert_eq!(level_from_env(Some(""), Some("warn")), LevelFilter::WARN);
    }

    #[test]
    fn timestamp_format() {
        assert_eq!(
            format_timestamp(Duration::ZERO),
            "1970-01-01T00:00:00.000000Z"
        );
        // 2026-11-29T03:00:00.123456Z
        let t = Duration::new(1_795_921_200, 123_456_789);
        assert_eq!(format_timestamp(t), "2026-11-29T03:00:00.123456Z");
        // A leap day.
        assert_eq!(
            format_timestamp(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn event_becomes_one_hclog_json_line() {
        let buf = Buf::default();
        let subscriber =
            tracing_subscriber::registry().with(HclogLayer::new(buf.clone(), "qingcloud"));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(count = 3u64, ok = true, name = "x", "hello {}", "world");
            tracing::warn!("second");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["@level"], "debug");
        assert_eq!(v["@message"], "hello world");
        assert_eq!(v["@module"], "provider.qingcloud");
        assert_eq!(v["count"], 3);
        assert_eq!(v["ok"], true);
        assert_eq!(v["name"], "x");
        let ts = v["@timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), "2026-11-29T03:00:00.000000Z".len());
        assert!(ts.ends_with('Z'));
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(v["@level"], "warn");
    }
}
