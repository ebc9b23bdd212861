//! The contract of an action (Terraform 1.14+): an operation that is not state, run from a
//! resource's `lifecycle { action_trigger }` or by `terraform apply -invoke=action.TYPE.NAME`.
//! It validates its configuration offline, may warn at plan, and when invoked streams progress
//! lines to the user and ends with diagnostics (an error fails the apply).

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::context::Context;
use super::diagnostics::Diagnostics;
use super::model::Model;
use super::schema::Schema;

/// Where an invoked action sends its progress lines; Terraform prints each as
/// `Action action.TYPE.NAME (triggered by ...): MESSAGE`. Lines are shown to the user as they
/// are: never put a secret in one.
#[derive(Clone)]
pub struct Progress {
    tx: mpsc::Sender<String>,
}

impl Progress {
    pub(crate) fn new(tx: mpsc::Sender<String>) -> Self {
        Progress { tx }
    }

    /// A sink and the receiving end of its lines, for an action's own tests (the adapter reads
    /// the lines of a real invoke).
    pub fn channel(capacity: usize) -> (Progress, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(capacity);
        (Progress::new(tx), rx)
    }

    /// False when nobody reads any more (the invoke's stream is gone); the action may go on,
    /// its lines are just not shown.
    pub async fn send(&self, message: impl Into<String>) -> bool {
        self.tx.send(message.into()).await.is_ok()
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").finish_non_exhaustive()
    }
}

#[async_trait]
pub trait Action: Send + Sync + Sized + 'static {
    /// The content of the action block's `config { ... }` (see `model!`).
    type Config: Model;
    /// What the provider's configure hands its actions (`Context::data`).
    type Data: Send + Sync + 'static;

    fn type_name(&self) -> &'static str;
    /// The schema of `Config`.
    fn schema(&self) -> Schema;

    /// Offline checks of a configuration (values may be unknown). No network.
    fn validate(&self, _config: &Self::Config) -> Diagnostics {
        Diagnostics::default()
    }

    /// Called when Terraform plans to invoke the action (values may be unknown): warnings
    /// shown before the user approves, or errors that stop the plan. No network by default.
    async fn plan(&self, _ctx: &Context<Self::Data>, _config: Self::Config) -> Diagnostics {
        Diagnostics::default()
    }

    /// Runs the action with a wholly known configuration. Long waits watch `ctx.cancel`
    /// (Ctrl-C) and end promptly. The diagnostics returned end the invoke: an error there
    /// fails it ("Error when invoking action").
    async fn invoke(
        &self,
        ctx: &Context<Self::Data>,
        config: Self::Config,
        progress: Progress,
    ) -> Diagnostics;
}
