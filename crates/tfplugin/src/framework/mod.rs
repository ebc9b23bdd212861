//! Domain types every resource uses, independent of the wire (protobuf) and of QingCloud:
//! values with null/unknown, their msgpack and JSON codecs, schemas, diagnostics with
//! attribute paths, durations, typed models (`model!`, `Attr`), private state, and the
//! `Resource`, `DataSource`, `ListResource` and `Provider` traits.

pub mod data_source;
pub mod diagnostics;
pub mod duration;
pub mod json;
pub mod list_resource;
pub mod model;
pub mod msgpack;
pub mod private;
pub mod resource;
pub mod schema;
pub mod types;
pub mod value;

pub use data_source::{DataReadResponse, DataSource};
pub use diagnostics::{AttributePath, Diagnostic, Diagnostics, Severity, Step};
pub use list_resource::{ListEvent, ListRequest, ListResource, ListSink};
pub use model::{Attr, Model};
pub use private::PrivateState;
pub use resource::{
    ApplyRequest, ApplyResponse, Context, ImportRequest, ImportResponse, PlanRequest, PlanResponse,
    Provider, ReadRequest, ReadResponse, Resource,
};
pub use schema::{
    Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, Nesting, Presence, Schema,
};
pub use types::Type;
pub use value::{Number, Value};
