//! go-plugin's GRPCController: Terraform calls Shutdown when it is done with the plugin. Without
//! it Terraform waits two seconds and then kills the process, on every one of its many starts.

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

mod proto {
    tonic::include_proto!("plugin");
}

use proto::Empty;
use proto::grpc_controller_server::{GrpcController, GrpcControllerServer};

pub(crate) struct Controller {
    stop: CancellationToken,
    /// In --debug mode the server outlives Terraform runs and stops only on Ctrl-C.
    ignore_shutdown: bool,
}

impl Controller {
    pub(crate) fn service(
        stop: CancellationToken,
        ignore_shutdown: bool,
    ) -> GrpcControllerServer<Self> {
        GrpcControllerServer::new(Controller {
            stop,
            ignore_shutdown,
        })
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        if self.ignore_shutdown {
            tracing::info!("Shutdown requested; ignored in debug mode (stop with Ctrl-C)");
        } else {
            tracing::debug!("Shutdown requested by Terraform");
            // Graceful: the server stops accepting, and this reply still goes out.
            self.stop.cancel();
        }
        Ok(Response::new(Empty {}))
    }
}
