//! In-process gRPC tests of the Provider service: a real tonic server and client on loopback,
//! with a small fake provider, so the protocol adapter is tested apart from QingCloud.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::wire::{self, provider_client::ProviderClient};
use crate::framework::{self as fw, Attr, Attribute, Block, Diagnostic, Presence, Type, Value};

struct FakeProvider;
struct FakeResource;

crate::model! {
    struct Thing {
        id: Attr<String>,
        name: Attr<String>,
        boom: Attr<bool>,
    }
}

fn resource_schema() -> fw::Schema {
    fw::Schema {
        version: 1,
        block: Block {
            attributes: vec![
                Attribute::new("id", Type::String, Presence::Computed, "id"),
                Attribute::new("name", Type::String, Presence::Required, "name"),
                Attribute::new("boom", Type::Bool, Presence::Optional, "panics"),
            ],
            ..Block::default()
        },
    }
}

#[async_trait]
impl fw::Resource for FakeResource {
    type Model = Thing;
    type Identity = ();
    type Private = ();
    type Data = ();

    fn type_name(&self) -> &'static str {
        "fake_thing"
    }
    fn schema(&self) -> fw::Schema {
        resource_schema()
    }
    fn validate(&self, config: &Thing) -> fw::Diagnostics {
        match config.name.as_str() {
            Some("") => Diagnostic::error("empty name", "")
                .at(fw::AttributePath::root("name"))
                .into(),
            _ => fw::Diagnostics::default(),
        }
    }
    async fn plan(&self, _: &fw::Context, req: fw::PlanRequest<Self>) -> fw::PlanResponse<Self> {
        if req.config.as_ref().and_then(|c| c.boom.as_bool()) == Some(true) {
            panic!("boom requested");
        }
        let planned = req.proposed.map(|p| Thing {
            id: Attr::Unknown,
            ..p
        });
        fw::PlanResponse {
            planned,
            ..Default::default()
        }
    }
    async fn create(
        &self,
        ctx: &fw::Context,
        _: fw::CreateRequest<Self>,
    ) -> fw::ApplyResponse<Self> {
        wait_for_stop(ctx, None).await
    }
    async fn update(
        &self,
        ctx: &fw::Context,
        req: fw::UpdateRequest<Self>,
    ) -> fw::ApplyResponse<Self> {
        wait_for_stop(ctx, Some(req.prior)).await
    }
    async fn read(&self, _: &fw::Context, req: fw::ReadRequest<Self>) -> fw::ReadResponse<Self> {
        fw::ReadResponse {
            state: Some(req.state),
            ..Default::default()
        }
    }
    async fn import(
        &self,
        _: &fw::Context,
        req: fw::ImportRequest<Self>,
    ) -> fw::ImportResponse<Self> {
        fw::ImportResponse {
            state: Some(Thing {
                id: Attr::Known(req.id),
                name: Attr::Null,
                boom: Attr::Null,
            }),
            ..Default::default()
        }
    }
}

/// Waits until StopProvider, like a long job wait would.
async fn wait_for_stop(ctx: &fw::Context, prior: Option<Thing>) -> fw::ApplyResponse<FakeResource> {
    tokio::select! {
        _ = ctx.cancel.cancelled() => fw::ApplyResponse {
            state: prior,
            diagnostics: Diagnostic::error("cancelled", "").into(),
            ..Default::default()
        },
        _ = tokio::time::sleep(Duration::from_secs(30)) => fw::ApplyResponse::default(),
    }
}

#[async_trait]
impl fw::Provider for FakeProvider {
    fn schema(&self) -> fw::Schema {
        fw::Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::new("key", Type::String, Presence::Optional, "k").sensitive(),
                ],
                ..Block::default()
            },
        }
    }
    async fn configure(&self, _: &str, _: Value) -> fw::ConfigureResponse {
        fw::ConfigureResponse::default()
    }
    fn resources(&self) -> Vec<Arc<dyn fw::erased::Resource>> {
        vec![fw::erased::resource(FakeResource)]
    }
}

async fn start() -> ProviderClient<tonic::transport::Channel> {
    serve(Arc::new(FakeProvider)).await
}

/// `provider` served over a real tonic server on a local port, and a client of it.
pub(super) async fn serve(
    provider: Arc<dyn fw::Provider>,
) -> ProviderClient<tonic::transport::Channel> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let routes = super::routes(provider);
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_routes(routes)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    ProviderClient::connect(format!("http://{addr}"))
        .await
        .unwrap()
}

/// A provider with an empty block that serves what it is given.
#[derive(Default)]
pub(super) struct Serving {
    pub(super) resources: Vec<Arc<dyn fw::erased::Resource>>,
    pub(super) data_sources: Vec<Arc<dyn fw::erased::DataSource>>,
    pub(super) list_resources: Vec<Arc<dyn fw::erased::ListResource>>,
    pub(super) actions: Vec<Arc<dyn fw::erased::Action>>,
}

#[async_trait]
impl fw::Provider for Serving {
    fn schema(&self) -> fw::Schema {
        fw::Schema {
            version: 0,
            block: Block::default(),
        }
    }
    async fn configure(&self, _: &str, _: Value) -> fw::ConfigureResponse {
        fw::ConfigureResponse::default()
    }
    fn resources(&self) -> Vec<Arc<dyn fw::erased::Resource>> {
        self.resources.clone()
    }
    fn data_sources(&self) -> Vec<Arc<dyn fw::erased::DataSource>> {
        self.data_sources.clone()
    }
    fn list_resources(&self) -> Vec<Arc<dyn fw::erased::ListResource>> {
        self.list_resources.clone()
    }
    fn actions(&self) -> Vec<Arc<dyn fw::erased::Action>> {
        self.actions.clone()
    }
}

fn mp(v: &Value) -> Option<wire::DynamicValue> {
    Some(wire::DynamicValue {
        msgpack: fw::msgpack::encode(v, &resource_schema().value_type()).unwrap(),
        json: vec![],
    })
}

fn config(name: &str, boom: bool) -> Value {
    Value::object([
        ("id", Value::Null),
        ("name", Value::string(name)),
        ("boom", Value::Bool(boom)),
    ])
}

#[tokio::test]
async fn schema_lists_provider_resources_and_plan_destroy() {
    let mut c = start().await;
    let r = c
        .get_provider_schema(wire::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty());
    let caps = r.server_capabilities.unwrap();
    assert!(caps.plan_destroy && caps.get_provider_schema_optional);
    let p = r.provider.unwrap().block.unwrap();
    assert!(p.attributes[0].sensitive);
    let thing = &r.resource_schemas["fake_thing"];
    assert_eq!(thing.version, 1);
    assert_eq!(thing.block.as_ref().unwrap().attributes.len(), 3);
}

#[tokio::test]
async fn plan_round_trips_values_and_unknowns() {
    let mut c = start().await;
    let cfg = config("a", false);
    let r = c
        .plan_resource_change(wire::plan_resource_change::Request {
            type_name: "fake_thing".into(),
            prior_state: mp(&Value::Null),
            proposed_new_state: mp(&cfg),
            config: mp(&cfg),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let planned = fw::msgpack::decode(
        &r.planned_state.unwrap().msgpack,
        &resource_schema().value_type(),
    )
    .unwrap();
    assert_eq!(planned.get("id"), &Value::Unknown);
    assert_eq!(planned.get("name"), &Value::string("a"));
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_diagnostic_and_the_plugin_keeps_serving() {
    let mut c = start().await;
    let cfg = config("a", true);
    let r = c
        .plan_resource_change(wire::plan_resource_change::Request {
            type_name: "fake_thing".into(),
            prior_state: mp(&Value::Null),
            proposed_new_state: mp(&cfg),
            config: mp(&cfg),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1);
    assert_eq!(
        r.diagnostics[0].severity,
        wire::diagnostic::Severity::Error as i32
    );
    assert!(r.diagnostics[0].detail.contains("boom requested"));
    // Still serving.
    let again = c
        .get_provider_schema(wire::get_provider_schema::Request {})
        .await;
    assert!(again.is_ok());
}

#[tokio::test]
async fn validation_errors_carry_the_attribute_path() {
    let mut c = start().await;
    let r = c
        .validate_resource_config(wire::validate_resource_config::Request {
            type_name: "fake_thing".into(),
            config: mp(&config("", false)),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1);
    let steps = &r.diagnostics[0].attribute.as_ref().unwrap().steps;
    assert_eq!(
        steps[0].selector,
        Some(wire::attribute_path::step::Selector::AttributeName(
            "name".into()
        ))
    );
}

#[tokio::test]
async fn unknown_resource_type_is_a_diagnostic() {
    let mut c = start().await;
    let r = c
        .read_resource(wire::read_resource::Request {
            type_name: "nope".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics[0].summary.contains("nope"));
    assert!(r.diagnostics[0].detail.contains("fake_thing"));
}

#[tokio::test]
async fn upgrade_turns_raw_json_state_into_msgpack() {
    let mut c = start().await;
    let r = c
        .upgrade_resource_state(wire::upgrade_resource_state::Request {
            type_name: "fake_thing".into(),
            version: 1,
            raw_state: Some(wire::RawState {
                json: br#"{"id":"x","name":"n","boom":null,"gone":1}"#.to_vec(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let v = fw::msgpack::decode(
        &r.upgraded_state.unwrap().msgpack,
        &resource_schema().value_type(),
    )
    .unwrap();
    assert_eq!(v.get("id"), &Value::string("x"));
    assert_eq!(v.get("boom"), &Value::Null);
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work_but_keeps_serving() {
    let mut c = start().await;
    let mut applier = c.clone();
    let prior = config("a", false);
    let apply = tokio::spawn(async move {
        applier
            .apply_resource_change(wire::apply_resource_change::Request {
                type_name: "fake_thing".into(),
                prior_state: mp(&prior),
                planned_state: mp(&prior),
                config: mp(&prior),
                ..Default::default()
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    c.stop_provider(wire::stop_provider::Request {})
        .await
        .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(5), apply)
        .await
        .expect("apply must end promptly after StopProvider")
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(r.diagnostics[0].summary, "cancelled");
    assert!(
        c.get_provider_schema(wire::get_provider_schema::Request {})
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn import_returns_the_resource_with_its_type() {
    let mut c = start().await;
    let r = c
        .import_resource_state(wire::import_resource_state::Request {
            type_name: "fake_thing".into(),
            id: "abc".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.imported_resources.len(), 1);
    assert_eq!(r.imported_resources[0].type_name, "fake_thing");
}
