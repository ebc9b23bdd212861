//! In-process gRPC tests of actions (Terraform 1.14+): the schema and metadata, validation with
//! attribute paths, PlanAction's warnings, and InvokeAction's stream: progress lines, then
//! exactly one `completed` event, for a failure, a panic, an unknown type and StopProvider too,
//! never an event without its `oneof` and never a gRPC error status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::wire::{self, invoke_action::event, provider_client::ProviderClient};
use crate::framework::{self as fw, Attr, Attribute, Block, Diagnostic, Presence, Type, Value};

struct Echo;

crate::model! {
    #[derive(Debug)]
    struct EchoConfig {
        mode: Attr<String>,
        lines: Attr<i64>,
        tags: Attr<BTreeMap<String, Attr<String>>>,
    }
}

fn echo_schema() -> fw::Schema {
    fw::Schema {
        version: 0,
        block: Block {
            attributes: vec![
                Attribute::new(
                    "mode",
                    Type::String,
                    Presence::Required,
                    "`ok`, `fail`, `boom`, `wait`",
                ),
                Attribute::new("lines", Type::Number, Presence::Optional, "progress lines"),
                Attribute::new(
                    "tags",
                    Type::Map(Box::new(Type::String)),
                    Presence::Optional,
                    "tags",
                )
                .sensitive()
                .write_only(),
            ],
            ..Block::default()
        },
    }
}

#[async_trait]
impl fw::Action for Echo {
    type Config = EchoConfig;
    type Data = ();

    fn type_name(&self) -> &'static str {
        "fake_echo"
    }
    fn schema(&self) -> fw::Schema {
        echo_schema()
    }
    fn validate(&self, config: &EchoConfig) -> fw::Diagnostics {
        match config.mode.as_str() {
            Some("ok" | "fail" | "boom" | "wait") | None => fw::Diagnostics::default(),
            Some(_) => Diagnostic::error("bad mode", "")
                .at(crate::path!(EchoConfig.mode))
                .into(),
        }
    }
    async fn plan(&self, _: &fw::Context, config: EchoConfig) -> fw::Diagnostics {
        match config.mode {
            Attr::Unknown => Diagnostic::warning("mode unknown", "").into(),
            _ => Diagnostic::warning("this restarts things", "").into(),
        }
    }
    async fn invoke(
        &self,
        ctx: &fw::Context,
        config: EchoConfig,
        progress: fw::Progress,
    ) -> fw::Diagnostics {
        let lines = config.lines.known().copied().unwrap_or(0);
        for i in 0..lines {
            progress.send(format!("line {i}")).await;
        }
        match config.mode.as_str().unwrap_or("") {
            "fail" => Diagnostic::error("job j-1 failed", "status failed").into(),
            "boom" => panic!("action exploded"),
            "wait" => {
                // A copy of the sink kept beyond the invoke must not hold the stream open.
                let kept = progress.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    drop(kept);
                });
                tokio::select! {
                    _ = ctx.cancel.cancelled() => {
                        Diagnostic::error("wait cancelled", "job j-2 goes on").into()
                    }
                    _ = tokio::time::sleep(Duration::from_secs(30)) => fw::Diagnostics::default(),
                }
            }
            _ => fw::Diagnostics::default(),
        }
    }
}

async fn start() -> ProviderClient<tonic::transport::Channel> {
    let provider = super::tests::Serving {
        actions: vec![fw::erased::action(Echo)],
        ..Default::default()
    };
    super::tests::serve(Arc::new(provider)).await
}

fn config(mode: Value, lines: i64) -> Option<wire::DynamicValue> {
    let v = Value::object([
        ("mode", mode),
        ("lines", Value::Number(fw::Number::Int(lines))),
        ("tags", Value::Null),
    ]);
    Some(wire::DynamicValue {
        msgpack: fw::msgpack::encode(&v, &echo_schema().value_type()).unwrap(),
        json: vec![],
    })
}

/// What an invoke streamed: its progress lines, and the diagnostics of each completed event.
#[derive(Debug, Default)]
struct Invoked {
    lines: Vec<String>,
    completed: Vec<Vec<wire::Diagnostic>>,
}

async fn invoke(
    client: &mut ProviderClient<tonic::transport::Channel>,
    action_type: &str,
    config: Option<wire::DynamicValue>,
) -> Invoked {
    let mut stream = client
        .invoke_action(wire::invoke_action::Request {
            action_type: action_type.into(),
            config,
            client_capabilities: None,
        })
        .await
        .expect("InvokeAction answers with a stream, never a status")
        .into_inner();
    let mut invoked = Invoked::default();
    while let Some(event) = stream.message().await.expect("no error status mid-stream") {
        match event.r#type.expect("every event has its oneof set") {
            event::Type::Progress(p) => {
                assert!(invoked.completed.is_empty(), "progress after completed");
                invoked.lines.push(p.message);
            }
            event::Type::Completed(c) => invoked.completed.push(c.diagnostics),
        }
    }
    invoked
}

fn error_summaries(d: &[wire::Diagnostic]) -> Vec<&str> {
    d.iter()
        .filter(|d| d.severity == wire::diagnostic::Severity::Error as i32)
        .map(|d| d.summary.as_str())
        .collect()
}

#[tokio::test]
async fn the_action_schema_always_carries_its_block_and_metadata_names_it() {
    let mut c = start().await;
    let schema = c
        .get_provider_schema(wire::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let action = &schema.action_schemas["fake_echo"];
    let block = action.schema.as_ref().unwrap().block.as_ref().unwrap();
    let names: Vec<_> = block.attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["mode", "lines", "tags"]);
    assert!(block.attributes[2].write_only && block.attributes[2].sensitive);
    assert!(!block.attributes[0].write_only);
    let meta = c
        .get_metadata(wire::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.actions[0].type_name, "fake_echo");
}

#[tokio::test]
async fn validation_names_the_attribute_and_null_required_values() {
    let mut c = start().await;
    let validate = |config| wire::validate_action_config::Request {
        type_name: "fake_echo".into(),
        config,
    };
    let bad = c
        .validate_action_config(validate(config(Value::string("nope"), 0)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(error_summaries(&bad.diagnostics), ["bad mode"]);
    let path = bad.diagnostics[0].attribute.as_ref().unwrap();
    assert_eq!(
        path.steps[0].selector,
        Some(wire::attribute_path::step::Selector::AttributeName(
            "mode".into()
        ))
    );
    let null = c
        .validate_action_config(validate(config(Value::Null, 0)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(null.diagnostics.len(), 1);
    assert!(null.diagnostics[0].summary.contains("mode"));
    // Unknown values pass validation.
    let unknown = c
        .validate_action_config(validate(config(Value::Unknown, 0)))
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.diagnostics.is_empty());
}

#[tokio::test]
async fn plan_returns_the_actions_warnings_even_with_unknowns() {
    let mut c = start().await;
    for (mode, warning) in [
        (Value::Unknown, "mode unknown"),
        (Value::string("ok"), "this restarts things"),
    ] {
        let resp = c
            .plan_action(wire::plan_action::Request {
                action_type: "fake_echo".into(),
                config: config(mode, 0),
                client_capabilities: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.diagnostics.len(), 1);
        assert_eq!(resp.diagnostics[0].summary, warning);
        assert_eq!(
            resp.diagnostics[0].severity,
            wire::diagnostic::Severity::Warning as i32
        );
    }
}

#[tokio::test]
async fn invoke_streams_progress_then_one_completed_event() {
    let mut c = start().await;
    let ok = invoke(&mut c, "fake_echo", config(Value::string("ok"), 40)).await;
    let expected: Vec<String> = (0..40).map(|i| format!("line {i}")).collect();
    assert_eq!(ok.lines, expected);
    assert_eq!(ok.completed.len(), 1);
    assert!(ok.completed[0].is_empty());

    let failed = invoke(&mut c, "fake_echo", config(Value::string("fail"), 1)).await;
    assert_eq!(failed.lines, ["line 0"]);
    assert_eq!(failed.completed.len(), 1);
    assert_eq!(error_summaries(&failed.completed[0]), ["job j-1 failed"]);
}

#[tokio::test]
async fn a_panic_an_unknown_type_and_an_unknown_value_end_in_a_completed_error() {
    let mut c = start().await;
    let boom = invoke(&mut c, "fake_echo", config(Value::string("boom"), 2)).await;
    assert_eq!(boom.lines, ["line 0", "line 1"]);
    assert_eq!(boom.completed.len(), 1);
    assert!(!error_summaries(&boom.completed[0]).is_empty());

    let unknown_type = invoke(&mut c, "fake_nope", config(Value::string("ok"), 0)).await;
    assert_eq!(unknown_type.completed.len(), 1);
    assert!(error_summaries(&unknown_type.completed[0])[0].contains("fake_nope"));

    let unknown_value = invoke(&mut c, "fake_echo", config(Value::Unknown, 0)).await;
    assert_eq!(unknown_value.completed.len(), 1);
    assert_eq!(error_summaries(&unknown_value.completed[0]).len(), 1);

    // The plugin keeps serving.
    let ok = invoke(&mut c, "fake_echo", config(Value::string("ok"), 0)).await;
    assert_eq!(ok.completed, vec![vec![]]);
}

#[tokio::test]
async fn stop_provider_ends_a_waiting_invoke_with_its_error() {
    let mut c = start().await;
    let mut waiter = c.clone();
    let invoked = tokio::spawn(async move {
        invoke(&mut waiter, "fake_echo", config(Value::string("wait"), 1)).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    c.stop_provider(wire::stop_provider::Request {})
        .await
        .unwrap();
    let invoked = tokio::time::timeout(Duration::from_secs(5), invoked)
        .await
        .expect("the invoke ends promptly, though the action kept a copy of its sink")
        .unwrap();
    assert_eq!(invoked.lines, ["line 0"]);
    assert_eq!(error_summaries(&invoked.completed[0]), ["wait cancelled"]);
}
