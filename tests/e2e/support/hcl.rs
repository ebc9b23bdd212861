//! HCL text for test configurations.

/// The `terraform { required_providers { ... } }` block every test configuration needs.
pub const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    qingcloud = {
      source = "qingcloud/qingcloud"
    }
  }
}
"#;

/// Prepends [`REQUIRED_PROVIDERS`] to a configuration body.
pub fn hcl(body: &str) -> String {
    format!("{REQUIRED_PROVIDERS}\n{body}")
}

/// Quotes a string for HCL.
pub fn hcl_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('"');
    // Template sequences would be interpolated.
    out.replace("${", "$${").replace("%{", "%%{")
}
