//! Request parameters as QingCloud sees them: decoded `name=value` pairs, in arrival order.

use percent_encoding::percent_decode_str;
use std::collections::BTreeMap;

use super::error::ApiError;

/// All pairs are kept (duplicates too) because the signature covers exactly what was sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

fn decode(text: &str) -> String {
    // Form encoding writes a space as `+`; the signer never emits a raw `+`, so this is safe.
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
}

impl Params {
    /// Parses a query string or a form body, both `a=b&c=d`.
    pub(crate) fn parse(raw: &str) -> Self {
        let mut params = Self::default();
        params.extend_from(raw);
        params
    }

    pub(crate) fn extend_from(&mut self, raw: &str) {
        for piece in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            self.pairs.push((decode(name), decode(value)));
        }
    }

    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A present, non-empty parameter, else 1100.
    pub(crate) fn required(&self, name: &str) -> Result<&str, ApiError> {
        match self.get(name) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(ApiError::missing(name)),
        }
    }

    /// `prefix.1`, `prefix.2`, ... ordered by their numeric index (not by name), duplicates dropped.
    pub(crate) fn list(&self, prefix: &str) -> Vec<String> {
        let mut indexed: Vec<(u64, &str)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| {
                let index = k.strip_prefix(prefix)?.strip_prefix('.')?.parse().ok()?;
                Some((index, v.as_str()))
            })
            .filter(|(_, v)| !v.is_empty())
            .collect();
        indexed.sort_by_key(|(i, _)| *i);
        let mut out: Vec<String> = Vec::new();
        for (_, v) in indexed {
            if !out.iter().any(|o| o == v) {
                out.push(v.to_string());
            }
        }
        out
    }

    /// An optional non-negative integer; a malformed one is 1100 rather than silently ignored.
    pub(crate) fn uint(&self, name: &str) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(name, v, "expected a non-negative integer")),
        }
    }

    /// For the request log: everything except the signature, which must never be recorded.
    pub(crate) fn loggable(&self) -> BTreeMap<String, String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != "signature")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_orders_lists_numerically() {
        let p = Params::parse(
            "jobs.10=c&jobs.2=b&jobs.1=a&jobs.x=z&jobs.3=a&sp=%7B%22a%22%3A1%7D&s=a+b",
        );
        assert_eq!(p.list("jobs"), vec!["a", "b", "c"]);
        assert_eq!(p.get("sp"), Some("{\"a\":1}"));
        assert_eq!(p.get("s"), Some("a b"));
        assert!(p.required("nope").is_err());
        assert_eq!(p.uint("jobs.1").map_err(|e| e.code), Err(1100));
    }
}
