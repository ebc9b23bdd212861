//! Fakes for tests, of this crate and (with the `test-util` feature) of others: a scripted
//! in-memory API that decodes each request, records it and answers with whatever the test's
//! handler says, and a clock whose wall time is fixed. Paired with `tokio::time::pause()` they let
//! tests cover minutes of polling in milliseconds and count the calls exactly.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::client::Client;
use super::clock::Clock;
use super::credentials::{ClientConfig, Endpoint};
use super::error::TransportKind;
use super::rate_limit::RateLimit;
use super::transport::{HttpResponse, Transport, TransportFailure, TransportFuture};

pub type Params = BTreeMap<String, String>;

pub enum Reply {
    Json(Value),
    Fail(TransportKind),
}

pub fn ok(mut v: Value) -> Reply {
    if let Value::Object(m) = &mut v {
        m.entry("ret_code").or_insert(Value::from(0));
    }
    Reply::Json(v)
}

pub fn api_error(code: i64) -> Reply {
    Reply::Json(serde_json::json!({"ret_code": code, "message": format!("error {code}")}))
}

type Handler = dyn Fn(&str, &Params) -> Reply + Send + Sync;

pub struct FakeApi {
    /// Each call and when it was made (tokio's clock).
    calls: Mutex<Vec<(String, Params, tokio::time::Instant)>>,
    handler: Box<Handler>,
    /// Every answer arrives this long after its call; the handler decides the answer at once,
    /// as a server acts on arrival.
    delay: Duration,
}

impl FakeApi {
    pub fn new(handler: impl Fn(&str, &Params) -> Reply + Send + Sync + 'static) -> Arc<Self> {
        Self::with_delay(Duration::ZERO, handler)
    }

    /// A fake API `delay` of round trip away.
    pub fn with_delay(
        delay: Duration,
        handler: impl Fn(&str, &Params) -> Reply + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(FakeApi {
            calls: Mutex::new(Vec::new()),
            handler: Box::new(handler),
            delay,
        })
    }

    /// When each call was made, in the order of `calls`.
    pub fn sent_at(&self) -> Vec<tokio::time::Instant> {
        self.calls.lock().unwrap().iter().map(|c| c.2).collect()
    }

    pub fn calls(&self) -> Vec<(String, Params)> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .map(|(a, p, _)| (a.clone(), p.clone()))
            .collect()
    }

    pub fn count(&self, action: &str) -> usize {
        self.calls().iter().filter(|(a, _)| a == action).count()
    }
}

/// The values of `PREFIX.1`, `PREFIX.2`, ... in index order: the ids a Describe call asked
/// about.
pub fn indexed_values(p: &Params, prefix: &str) -> Vec<String> {
    let mut ids: Vec<(usize, String)> = p
        .iter()
        .filter_map(|(k, v)| {
            let n = k.strip_prefix(prefix)?.strip_prefix('.')?.parse().ok()?;
            Some((n, v.clone()))
        })
        .collect();
    ids.sort();
    ids.into_iter().map(|(_, v)| v).collect()
}

pub fn decode_query(query: &str) -> Params {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let d = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (d(k), d(v))
        })
        .collect()
}

impl Transport for FakeApi {
    fn get(&self, url: String, _timeout: Duration) -> TransportFuture {
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
        let params = decode_query(query);
        let action = params.get("action").cloned().unwrap_or_default();
        let reply = (self.handler)(&action, &params);
        let sent = tokio::time::Instant::now();
        self.calls.lock().unwrap().push((action, params, sent));
        let result = match reply {
            Reply::Json(v) => Ok(HttpResponse {
                status: 200,
                body: v.to_string().into_bytes(),
            }),
            Reply::Fail(kind) => Err(TransportFailure {
                kind,
                detail: "scripted failure".into(),
            }),
        };
        let delay = self.delay;
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            result
        })
    }
}

/// Wall clock fixed in 2024 plus the (pausable) tokio clock's progress.
pub struct TestClock {
    base: tokio::time::Instant,
}

impl TestClock {
    pub fn new() -> Arc<Self> {
        Arc::new(TestClock {
            base: tokio::time::Instant::now(),
        })
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_704_067_200) + self.base.elapsed()
    }
}

pub fn test_config(endpoint: Endpoint) -> ClientConfig {
    let mut config =
        ClientConfig::new("QYACCESSKEYIDEXAMPLE", "SECRETACCESSKEY", "pek3a", endpoint);
    // Small and fixed, so tests can count attempts whatever the production default is.
    config.retry.max_attempts = 5;
    config.retry.base_delay = Duration::from_millis(10);
    config.retry.max_delay = Duration::from_millis(40);
    config.retry.rate_limit_base_delay = Duration::from_millis(20);
    config.retry.rate_limit_max_delay = Duration::from_millis(40);
    config.rate_limit = RateLimit::off();
    config
}

pub fn fake_client(api: &Arc<FakeApi>) -> Client {
    Client::with_parts(
        test_config(Endpoint::default()),
        api.clone(),
        TestClock::new(),
    )
}

/// The call path of a `fake_client`, for the unit tests of the components over it.
#[cfg(test)]
pub(crate) fn fake_call_path(api: &Arc<FakeApi>) -> Arc<super::call::CallPath> {
    Arc::new(super::call::CallPath::new(
        test_config(Endpoint::default()),
        api.clone(),
        TestClock::new(),
    ))
}
