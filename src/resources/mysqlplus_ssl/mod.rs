//! `qingcloud_mysqlplus_ssl`: SSL transport encryption of a MySQL Plus cluster.
//!
//! - `schema`: attributes, identity, validation, what values say (timeouts, target).
//! - `model`: the schemas' Rust face, `Ssl`, `Timeouts` and `Identity`.
//! - `plan`: pure planning with the restart warning.
//! - `switch`: the only code that submits configuring_SSL, and how it avoids doing so twice.
//! - `apply`: create, update and delete, and what each returns when a job fails, times out or
//!   is interrupted (see DESIGN.md, "Interrupted applies").
//! - `read`: refresh and import: a reading never invents a setting.
//! - `current`: a reading with no state to fall back on (the data source's and the list's).
//! - `list`: the list resource of the same name.
//! - `private`: what the private state remembers (running jobs, announced restarts).
//! - `claims`: one resource per cluster in a run.
//! - `kind`: the resource's type, which every handler module names.
//! - `resource`: its entry points, which hand each request to the modules above.

mod apply;
mod claims;
mod current;
mod kind;
mod list;
mod model;
mod plan;
mod private;
mod read;
mod resource;
mod schema;
mod switch;

pub(crate) use current::read_current;
pub(crate) use kind::MysqlPlusSsl;
pub(crate) use list::MysqlPlusSslList;
pub(crate) use schema::{TYPE_NAME, validate_target};
