//! A resource for the kit's own tests: a `Thing` whose `id` is computed and whose `size` may
//! be, that remembers a job in private state and takes its id from the provider data.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::context::Context;
use super::model::Attr;
use super::resource::{ApplyResponse, CreateRequest, ReadRequest, ReadResponse, Resource};
use super::schema::{Attribute, Block, Presence, Schema};
use super::types::Type;

crate::model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct Thing {
        pub(crate) id: Attr<String>,
        pub(crate) name: Attr<String>,
        pub(crate) size: Attr<String>,
    }
}

crate::model! {
    #[derive(Debug, Clone, Default, PartialEq)]
    pub(crate) struct ThingId {
        pub(crate) id: Attr<String>,
    }
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Kept {
    pub(crate) job: Option<String>,
}

/// The provider data: the id a create gives.
pub(crate) struct Zone(pub(crate) String);

pub(crate) struct Things;

#[async_trait]
impl Resource for Things {
    type Model = Thing;
    type Identity = ThingId;
    type Private = Kept;
    type Data = Zone;

    fn type_name(&self) -> &'static str {
        "fake_thing"
    }

    fn schema(&self) -> Schema {
        Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::new("id", Type::String, Presence::Computed, ""),
                    Attribute::new("name", Type::String, Presence::Required, ""),
                    Attribute::new("size", Type::String, Presence::OptionalComputed, ""),
                ],
                ..Block::default()
            },
        }
    }

    fn identity(&self, state: &Thing) -> Option<ThingId> {
        state.id.known().map(|_| ThingId {
            id: state.id.clone(),
        })
    }

    /// The id is the provider data's; the job in private state gets a `+`.
    async fn create(&self, ctx: &Context<Zone>, req: CreateRequest<Self>) -> ApplyResponse<Self> {
        ApplyResponse {
            state: Some(Thing {
                id: ctx.data().map(|z| z.0.clone()).into(),
                ..req.planned
            }),
            private: Kept {
                job: req.private.job.map(|j| format!("{j}+")),
            },
            diagnostics: Default::default(),
        }
    }

    async fn read(&self, _: &Context<Zone>, _: ReadRequest<Self>) -> ReadResponse<Self> {
        ReadResponse::default()
    }
}
