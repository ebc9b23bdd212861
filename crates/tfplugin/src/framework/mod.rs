//! Domain types every provider uses, independent of the wire (protobuf) and of any cloud:
//! values with null/unknown, their msgpack and JSON codecs, schemas, diagnostics with
//! attribute paths, durations, and the resource kit: typed models (`model!`, `Attr`), private
//! state, `Context` with the provider data, and the `Resource`, `DataSource`, `ListResource`,
//! `Action` and `Provider` traits. `erased` is what the protocol adapter serves them as.

pub mod action;
pub mod context;
pub mod data_source;
pub mod diagnostics;
pub mod duration;
pub mod erased;
#[cfg(test)]
mod fake;
pub mod json;
pub mod list_resource;
mod list_stream;
pub mod model;
pub mod msgpack;
pub mod private;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod types;
pub mod value;

pub use action::{Action, Progress};
pub use context::Context;
pub use data_source::{DataReadResponse, DataSource};
pub use diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity, Step};
pub use list_resource::{ListEvent, ListRequest, ListResource, ListSink};
pub use model::{Attr, Model};
pub use private::PrivateState;
pub use provider::{ConfigureResponse, Provider};
pub use resource::{
    ApplyResponse, CreateRequest, DeleteRequest, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse, Resource, StateResponse, UpdateRequest,
};
pub use schema::{
    Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, Nesting, Presence, Schema,
};
pub use types::Type;
pub use value::{Number, Value};
