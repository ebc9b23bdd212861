//! What the configured provider hands its resources, data sources and list resources (through
//! their `Context`): the API client and how far readings of a job history may go. The provider
//! builds it; the handlers read it; neither imports the other.

use qingcloud::Client;
use qingcloud::HistoryPolicy;
use tfplugin::framework::{Context, Diagnostic};

pub(crate) struct ProviderData {
    pub(crate) client: Client,
    pub(crate) history: HistoryPolicy,
}

/// A handler's context in this provider.
pub(crate) type Ctx = Context<ProviderData>;

impl ProviderData {
    /// The configured provider, or an error diagnostic when ConfigureProvider has not
    /// succeeded.
    pub(crate) fn of(ctx: &Ctx) -> Result<&ProviderData, Diagnostic> {
        ctx.data().ok_or_else(|| {
            Diagnostic::error(
                "Provider not configured",
                "The qingcloud provider has no working configuration; see the earlier error \
                 about its credentials.",
            )
        })
    }

    /// The zone resources use when they do not set one; None before configuration.
    pub(crate) fn default_zone(ctx: &Ctx) -> Option<&str> {
        ctx.data().map(|d| d.client.default_zone())
    }

    /// How far readings of a cluster's job history may go.
    pub(crate) fn history(ctx: &Ctx) -> HistoryPolicy {
        ctx.data().map(|d| d.history).unwrap_or_default()
    }
}
