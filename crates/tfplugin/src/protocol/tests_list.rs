//! In-process gRPC tests of the Terraform 1.14 RPCs and data sources: ListResource streaming
//! (identity, objects, stopping when the reader goes, a panic as an error event),
//! GenerateResourceConfig, and ReadDataSource, over a real tonic server with fakes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use super::wire::{self, provider_client::ProviderClient};
use crate::framework::{
    self as fw, Attr, Attribute, Block, Diagnostic, IdentityAttribute, Presence, Type, Value,
};

#[derive(Default)]
struct Counters {
    sent: AtomicUsize,
    finished: AtomicBool,
}

struct Thing;
struct Lister(Arc<Counters>);
struct Reader;

crate::model! {
    struct ThingModel {
        id: Attr<String>,
        name: Attr<String>,
    }
}

crate::model! {
    struct ThingIdentity {
        id: Attr<String>,
    }
}

crate::model! {
    struct ListConfig {
        mode: Attr<String>,
    }
}

crate::model! {
    #[derive(Clone)]
    struct Reading {
        name: Attr<String>,
        greeting: Attr<String>,
    }
}

fn thing_schema() -> fw::Schema {
    fw::Schema {
        version: 0,
        block: Block {
            attributes: vec![
                Attribute::new("id", Type::String, Presence::Computed, "id"),
                Attribute::new("name", Type::String, Presence::Required, "name"),
            ],
            ..Block::default()
        },
    }
}

fn identity_schema() -> fw::IdentitySchema {
    fw::IdentitySchema {
        version: 0,
        attributes: vec![IdentityAttribute {
            name: "id".into(),
            ty: Type::String,
            required_for_import: true,
            description: "id".into(),
        }],
    }
}

fn list_schema() -> fw::Schema {
    fw::Schema {
        version: 0,
        block: Block {
            attributes: vec![Attribute::new(
                "mode",
                Type::String,
                Presence::Optional,
                "`endless`, `boom` or `fail`",
            )],
            ..Block::default()
        },
    }
}

fn data_schema() -> fw::Schema {
    fw::Schema {
        version: 0,
        block: Block {
            attributes: vec![
                Attribute::new("name", Type::String, Presence::Required, "name"),
                Attribute::new("greeting", Type::String, Presence::Computed, "greeting"),
            ],
            ..Block::default()
        },
    }
}

#[async_trait]
impl fw::Resource for Thing {
    type Model = ThingModel;
    type Identity = ThingIdentity;
    type Private = ();
    type Data = ();

    fn type_name(&self) -> &'static str {
        "fake_thing"
    }
    fn schema(&self) -> fw::Schema {
        thing_schema()
    }
    fn identity_schema(&self) -> Option<fw::IdentitySchema> {
        Some(identity_schema())
    }
    async fn create(&self, _: &fw::Context, _: fw::CreateRequest<Self>) -> fw::ApplyResponse<Self> {
        fw::ApplyResponse::default()
    }
    async fn read(&self, _: &fw::Context, _: fw::ReadRequest<Self>) -> fw::ReadResponse<Self> {
        fw::ReadResponse::default()
    }
}

#[async_trait]
impl fw::ListResource for Lister {
    type Config = ListConfig;
    type Resource = Thing;
    type Data = ();

    fn type_name(&self) -> &'static str {
        "fake_thing"
    }
    fn schema(&self) -> fw::Schema {
        list_schema()
    }
    async fn list(&self, _: &fw::Context, req: fw::ListRequest<Self>, sink: fw::ListSink<Thing>) {
        let mode = req.config.mode.as_str().unwrap_or("").to_string();
        for i in 0.. {
            if mode == "boom" && i == 2 {
                panic!("lister exploded");
            }
            if mode == "fail" && i == 1 {
                sink.send(fw::ListEvent::diagnostic(Diagnostic::error(
                    "page 2 failed",
                    "",
                )))
                .await;
                break;
            }
            if mode != "endless" && i == 3 {
                break;
            }
            let id = format!("t-{i}");
            let event = fw::ListEvent {
                identity: Some(ThingIdentity {
                    id: Attr::Known(id.clone()),
                }),
                display_name: format!("thing {i}"),
                resource_object: req.include_resource_object.then(|| ThingModel {
                    id: Attr::Known(id.clone()),
                    name: Attr::Known("n".into()),
                }),
                diagnostics: fw::Diagnostics::default(),
            };
            if !sink.send(event).await {
                break;
            }
            self.0.sent.fetch_add(1, Ordering::SeqCst);
        }
        self.0.finished.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl fw::DataSource for Reader {
    type Model = Reading;
    type Data = ();

    fn type_name(&self) -> &'static str {
        "fake_reading"
    }
    fn schema(&self) -> fw::Schema {
        data_schema()
    }
    async fn read(&self, _: &fw::Context, mut config: Reading) -> fw::DataReadResponse<Self> {
        let name = config.name.as_str().unwrap_or("").to_string();
        if name == "boom" {
            panic!("reader exploded");
        }
        config.greeting = Attr::Known(format!("hello {name}"));
        fw::DataReadResponse {
            state: Some(config),
            diagnostics: fw::Diagnostics::default(),
        }
    }
}

async fn start() -> (ProviderClient<tonic::transport::Channel>, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    let provider = super::tests::Serving {
        resources: vec![fw::erased::resource(Thing)],
        data_sources: vec![fw::erased::data_source(Reader)],
        list_resources: vec![fw::erased::list_resource(Lister(counters.clone()))],
        ..Default::default()
    };
    (super::tests::serve(Arc::new(provider)).await, counters)
}

fn mp(v: &Value, schema: &fw::Schema) -> Option<wire::DynamicValue> {
    Some(wire::DynamicValue {
        msgpack: fw::msgpack::encode(v, &schema.value_type()).unwrap(),
        json: vec![],
    })
}

fn list_request(mode: &str, include: bool) -> wire::list_resource::Request {
    wire::list_resource::Request {
        type_name: "fake_thing".into(),
        config: mp(
            &Value::object([("mode", Value::string(mode))]),
            &list_schema(),
        ),
        include_resource_object: include,
        limit: 100,
    }
}

async fn all_events(
    c: &mut ProviderClient<tonic::transport::Channel>,
    req: wire::list_resource::Request,
) -> Vec<wire::list_resource::Event> {
    let mut stream = c.list_resource(req).await.unwrap().into_inner();
    let mut events = Vec::new();
    while let Some(e) = stream.message().await.unwrap() {
        events.push(e);
    }
    events
}

fn decode(dv: Option<&wire::DynamicValue>, ty: &Type) -> Value {
    fw::msgpack::decode(&dv.unwrap().msgpack, ty).unwrap()
}

#[tokio::test]
async fn schema_and_metadata_offer_the_list_resource_data_source_and_generated_config() {
    let (mut c, _) = start().await;
    let s = c
        .get_provider_schema(wire::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(s.list_resource_schemas["fake_thing"].block.is_some());
    assert!(s.data_source_schemas["fake_reading"].block.is_some());
    assert!(s.server_capabilities.unwrap().generate_resource_config);
    let m = c
        .get_metadata(wire::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(m.list_resources[0].type_name, "fake_thing");
    assert_eq!(m.data_sources[0].type_name, "fake_reading");
}

#[tokio::test]
async fn list_events_carry_identity_and_the_object_only_when_asked() {
    let (mut c, _) = start().await;
    let events = all_events(&mut c, list_request("", true)).await;
    assert_eq!(events.len(), 3);
    let id_ty = identity_schema().value_type();
    let first = &events[0];
    assert_eq!(first.display_name, "thing 0");
    let identity = decode(
        first.identity.as_ref().unwrap().identity_data.as_ref(),
        &id_ty,
    );
    assert_eq!(identity.get("id"), &Value::string("t-0"));
    let object = decode(first.resource_object.as_ref(), &thing_schema().value_type());
    assert_eq!(object.get("name"), &Value::string("n"));

    let events = all_events(&mut c, list_request("", false)).await;
    assert!(events.iter().all(|e| e.resource_object.is_none()));
}

#[tokio::test]
async fn the_list_stops_when_terraform_stops_reading() {
    let (mut c, counters) = start().await;
    let mut stream = c
        .list_resource(list_request("endless", false))
        .await
        .unwrap()
        .into_inner();
    for _ in 0..3 {
        assert!(stream.message().await.unwrap().is_some());
    }
    drop(stream);
    for _ in 0..100 {
        if counters.finished.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        counters.finished.load(Ordering::SeqCst),
        "the list never stopped"
    );
    // What was read plus what fitted in the buffers (HTTP/2's 64 KiB stream window holds a
    // few hundred small events), not an endless list.
    let sent = counters.sent.load(Ordering::SeqCst);
    assert!(sent < 2000, "{sent} sent");
}

#[tokio::test]
async fn a_panicking_list_ends_with_an_error_event_and_failures_are_errors() {
    let (mut c, _) = start().await;
    let events = all_events(&mut c, list_request("boom", false)).await;
    assert_eq!(events.len(), 3);
    let last = events.last().unwrap();
    assert!(last.identity.is_none());
    assert_eq!(
        last.diagnostic[0].severity,
        wire::diagnostic::Severity::Error as i32
    );
    assert!(last.diagnostic[0].detail.contains("lister exploded"));

    let events = all_events(&mut c, list_request("fail", false)).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].diagnostic[0].summary, "page 2 failed");

    let mut unknown = list_request("", false);
    unknown.type_name = "fake_other".into();
    let events = all_events(&mut c, unknown).await;
    assert_eq!(events.len(), 1);
    assert!(
        events[0].diagnostic[0]
            .summary
            .contains("Unknown list resource")
    );
}

#[tokio::test]
async fn generated_config_drops_computed_attributes_by_default() {
    let (mut c, _) = start().await;
    let state = Value::object([("id", Value::string("t-1")), ("name", Value::string("n"))]);
    let r = c
        .generate_resource_config(wire::generate_resource_config::Request {
            type_name: "fake_thing".into(),
            state: mp(&state, &thing_schema()),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(r.diagnostics.is_empty());
    let config = decode(r.config.as_ref(), &thing_schema().value_type());
    assert_eq!(config.get("id"), &Value::Null);
    assert_eq!(config.get("name"), &Value::string("n"));
}

#[tokio::test]
async fn data_sources_read_validate_and_survive_a_panic() {
    let (mut c, _) = start().await;
    let read = |name: &str| wire::read_data_source::Request {
        type_name: "fake_reading".into(),
        config: mp(
            &Value::object([("name", Value::string(name)), ("greeting", Value::Null)]),
            &data_schema(),
        ),
        ..Default::default()
    };
    let r = c.read_data_source(read("ann")).await.unwrap().into_inner();
    let state = decode(r.state.as_ref(), &data_schema().value_type());
    assert_eq!(state.get("greeting"), &Value::string("hello ann"));

    let r = c.read_data_source(read("boom")).await.unwrap().into_inner();
    assert!(r.state.is_none());
    assert!(r.diagnostics[0].detail.contains("reader exploded"));
    // The plugin still serves.
    let r = c.read_data_source(read("bob")).await.unwrap().into_inner();
    assert!(r.diagnostics.is_empty());

    let v = c
        .validate_data_resource_config(wire::validate_data_resource_config::Request {
            type_name: "fake_reading".into(),
            config: mp(
                &Value::object([("name", Value::Null), ("greeting", Value::Null)]),
                &data_schema(),
            ),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        v.diagnostics.len(),
        1,
        "a null required attribute is reported"
    );
}
