//! Terraform's terminal output made comparable: ANSI colours removed, and diagnostic boxes
//! unwrapped (Terraform wraps a diagnostic's detail at 78 columns behind "│").

/// Text with Terraform's diagnostic box prefixes removed and every run of whitespace made one
/// space.
pub(super) fn unwrapped(text: &str) -> String {
    text.lines()
        .map(|line| line.trim_start().trim_start_matches('│'))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes ANSI escape sequences (CSI `ESC [ ... final`) from Terraform output.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                // Parameter and intermediate bytes, then one final byte in 0x40..=0x7e.
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}
