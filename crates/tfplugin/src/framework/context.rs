//! What every handler is given besides its request.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// Per-request context. `cancel` fires when Terraform calls StopProvider (Ctrl-C): long waits
/// must watch it and return promptly. `data()` is what the provider's configure handed its
/// resources, data sources and list resources (`D`); none before ConfigureProvider succeeded.
pub struct Context<D = ()> {
    pub cancel: CancellationToken,
    data: Option<Arc<D>>,
}

impl<D> Context<D> {
    pub(crate) fn new(cancel: CancellationToken, data: Option<Arc<D>>) -> Self {
        Context { cancel, data }
    }

    pub fn data(&self) -> Option<&D> {
        self.data.as_deref()
    }
}

impl<D> Clone for Context<D> {
    fn clone(&self) -> Self {
        Context {
            cancel: self.cancel.clone(),
            data: self.data.clone(),
        }
    }
}

impl<D> Default for Context<D> {
    fn default() -> Self {
        Context::new(CancellationToken::new(), None)
    }
}

impl<D> std::fmt::Debug for Context<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("cancel", &self.cancel)
            .field("configured", &self.data.is_some())
            .finish()
    }
}
