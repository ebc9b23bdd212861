//! `qingcloud-sim`: a local QingCloud API over real HTTP for the demo and end-to-end tests.
//!
//! It verifies requests the way QingCloud does (shared signer, timestamps, zones), runs
//! configuring_SSL jobs on the real clock, injects faults on demand and persists its world.
//! Tests can start it in-process with [`serve`] or run the binary (see [`cli`]), and talk to it
//! with `client::SimClient` (feature `client`).

mod actions;
mod admin;
mod admin_types;
mod answer;
mod api;
mod auth;
pub mod cli;
#[cfg(feature = "client")]
pub mod client;
pub mod clock;
mod config;
mod conn;
mod describe;
mod error;
mod faults;
mod job;
mod jobclock;
mod jobs;
mod model;
mod odd;
mod params;
mod reqlog;
mod seed;
mod services;
mod state;
mod store;

use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{ClusterSeed, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, SimOptions};
pub use faults::{Faults, TargetedError};
pub use odd::OddAnswer;
pub use store::Settings;

use model::{Cluster, valid_app_id, valid_cluster_id, valid_zone};
use state::Shared;
use store::{Store, World};

/// A running simulator. Dropping it without [`SimServer::shutdown`] leaves the server running
/// until the runtime ends.
pub struct SimServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SimServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`; the API is at `/iaas/`, the admin API under `/_sim/`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish (briefly), and saves the state.
    pub async fn shutdown(mut self) {
        // Held (`hang`) requests would keep the graceful shutdown waiting.
        self.shared.release_hangs();
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Keep-alive connections can hold a graceful shutdown open; do not wait forever.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), &mut self.task).await;
        self.task.abort();
        self.shared.save_now();
    }
}

fn seed_cluster(world: &mut World, seed: &ClusterSeed, now: i64) -> Result<(), String> {
    let app_id = seed.app_id.as_deref().unwrap_or(job::MYSQL_PLUS_APP);
    if !valid_cluster_id(&seed.cluster_id) || !valid_zone(&seed.zone) || !valid_app_id(app_id) {
        return Err(format!(
            "invalid cluster {:?} of app {app_id:?} in zone {:?}",
            seed.cluster_id, seed.zone
        ));
    }
    // A saved world wins: the demo restarts with what happened since, not the initial seed.
    if world.clusters.contains_key(&seed.cluster_id) {
        return Ok(());
    }
    let mut c = Cluster::new(
        seed.cluster_id.clone(),
        seed.zone.clone(),
        app_id.to_string(),
        now,
    );
    if seed.ssl {
        c = c.with_ssl_on(world.clock.stamp(now, None));
    }
    c.job_duration_ms = seed.job_duration_ms;
    world.clusters.insert(seed.cluster_id.clone(), c);
    Ok(())
}

/// Builds the state from options and the state file, then serves on `listener`.
pub async fn serve(listener: TcpListener, options: SimOptions) -> Result<SimServer, String> {
    let store = options.state_file.clone().map(Store::new);
    let mut world = match &store {
        Some(store) => store.load()?.unwrap_or_default(),
        None => World::default(),
    };
    let now = world.clock.now(clock::now_ms());
    for seed in &options.clusters {
        seed_cluster(&mut world, seed, now)?;
    }
    if let Some(ms) = options.job_duration_ms {
        world.settings.job_duration_ms = ms;
    }
    if let Some(honour) = options.honour_reverse {
        world.settings.honour_reverse = honour;
    }
    if let Some(ms) = options.latency_ms {
        world.settings.latency_ms = ms;
    }
    if let Some(faults) = options.faults.clone() {
        faults.validate()?;
        world.faults = faults;
    }
    let shared = Arc::new(Shared::new(world, options.keys(), store));
    shared.save_now();

    let addr = listener
        .local_addr()
        .map_err(|e| format!("listener has no address: {e}"))?;
    let app = Router::new()
        .route("/iaas/", get(api::iaas).post(api::iaas))
        .route("/iaas", get(api::iaas).post(api::iaas))
        .merge(admin::router())
        .with_state(shared.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = axum::serve(
        conn::CuttableListener(listener),
        app.into_make_service_with_connect_info::<conn::Connection>(),
    )
    .with_graceful_shutdown(async {
        let _ = stopped.await;
    });
    let task = tokio::spawn(async move {
        if let Err(e) = server.await {
            tracing::error!("server error: {e}");
        }
    });
    tracing::info!("qingcloud-sim listening on {addr}");
    Ok(SimServer {
        addr,
        shared,
        stop: Some(stop),
        task,
    })
}
