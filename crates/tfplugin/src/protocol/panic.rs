//! A handler's panic as the diagnostic Terraform shows, for every RPC the adapter serves.

use crate::framework::Diagnostic;

pub(super) fn panic_diagnostic(
    what: &str,
    payload: Option<Box<dyn std::any::Any + Send>>,
) -> Diagnostic {
    let message = payload
        .as_ref()
        .and_then(|p| {
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
        })
        .unwrap_or_else(|| "the task was cancelled".to_string());
    tracing::error!(rpc = what, panic = %message, "provider handler panicked");
    Diagnostic::error(
        format!("The provider crashed while handling {what}"),
        format!(
            "{message}\n\nThis is a bug in the provider; please report it with the \
             output of TF_LOG=debug. The plugin is still running."
        ),
    )
}
