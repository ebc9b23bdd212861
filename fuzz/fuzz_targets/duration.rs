//! `timeouts` durations: any text parses or gets a message naming it, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfplugin::framework::duration::parse_duration;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match parse_duration(text) {
            Ok(d) => assert!(d.as_secs() <= 366 * 86400),
            Err(e) => assert!(!e.is_empty()),
        }
    }
});
