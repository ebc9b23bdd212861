//! The provider a host serves, as the host names it.

/// Everything the host says about the provider it serves; the host itself knows no provider.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    /// The provider's type name (`qingcloud`): hclog's `provider.NAME` module, socket names.
    pub name: &'static str,
    /// `registry.terraform.io/NAMESPACE/NAME`: the key of TF_REATTACH_PROVIDERS in --debug mode.
    pub address: &'static str,
    /// The binary's name, which prefixes start-up errors on stderr.
    pub binary: &'static str,
    /// Crates (tracing targets) whose logs follow TF_LOG's level; other libraries log at info
    /// at most.
    pub log_targets: &'static [&'static str],
}
