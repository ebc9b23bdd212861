//! The record of `/iaas/` requests that tests inspect through `GET /_sim/requests`.

use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Old entries are dropped past this so a long demo cannot grow memory without bound.
const CAPACITY: usize = 100_000;

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    pub seq: u64,
    pub action: Option<String>,
    /// Never contains `signature`.
    pub params: BTreeMap<String, String>,
    /// The answer's ret_code; for a drop after acting, the one that was lost; `null` when no
    /// JSON answer was produced (503, drop before acting).
    pub ret_code: Option<i64>,
    /// `null` when the connection was dropped.
    pub http_status: Option<u16>,
    /// `ok`, `error`, `http_503`, `dropped`, `slow` or `odd`.
    pub outcome: &'static str,
    /// Which injected fault shaped this answer: `error_code`, `http_503`, `drop_before`,
    /// `drop_after`, `slow`, `odd_answer`; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slow_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The odd answer given instead of the real one (`no_set`, `html`, `hang`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odd_answer: Option<&'static str>,
    /// When the request arrived, in whole seconds (QingCloud's format).
    pub time: String,
    /// When the request arrived, in milliseconds since the epoch: enough to see how a client
    /// spaces its requests, which `time` cannot show.
    pub received_ms: i64,
}

#[derive(Default)]
pub(crate) struct RequestLog {
    next: u64,
    entries: VecDeque<Entry>,
}

impl RequestLog {
    pub(crate) fn push(&mut self, mut entry: Entry) {
        self.next += 1;
        entry.seq = self.next;
        if self.entries.len() >= CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<Entry> {
        self.entries.iter().cloned().collect()
    }

    /// Sequence numbers keep counting after a clear, so entries are never confused across it.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}
