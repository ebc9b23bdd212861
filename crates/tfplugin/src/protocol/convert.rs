//! The one boundary between protobuf (wire) types and domain types. Nothing outside
//! `tfplugin` sees a generated type.

use crate::framework::{self as fw, AttributePath, Diagnostic, Diagnostics, Severity, Step};

use super::wire;

pub fn diagnostics(diags: &Diagnostics) -> Vec<wire::Diagnostic> {
    diags.iter().map(diagnostic).collect()
}

fn diagnostic(d: &Diagnostic) -> wire::Diagnostic {
    wire::Diagnostic {
        severity: match d.severity {
            Severity::Error => wire::diagnostic::Severity::Error,
            Severity::Warning => wire::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().map(path),
    }
}

pub fn path(p: &AttributePath) -> wire::AttributePath {
    use wire::attribute_path::step::Selector;
    wire::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| wire::attribute_path::Step {
                selector: Some(match s {
                    Step::Attribute(a) => Selector::AttributeName(a.clone()),
                    Step::Key(k) => Selector::ElementKeyString(k.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub fn schema(s: &fw::Schema) -> wire::Schema {
    wire::Schema {
        version: s.version,
        block: Some(block(&s.block)),
    }
}

/// An action's schema: `schema` and its `block` are always set (Terraform dereferences both).
pub fn action_schema(s: &fw::Schema) -> wire::ActionSchema {
    wire::ActionSchema {
        schema: Some(schema(s)),
    }
}

fn block(b: &fw::Block) -> wire::schema::Block {
    wire::schema::Block {
        version: 0,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: wire::StringKind::Markdown as i32,
        deprecated: b.deprecated,
    }
}

fn attribute(a: &fw::Attribute) -> wire::schema::Attribute {
    use fw::Presence::*;
    wire::schema::Attribute {
        name: a.name.clone(),
        r#type: a.ty.to_json_bytes(),
        nested_type: None,
        description: a.description.clone(),
        required: a.presence == Required,
        optional: matches!(a.presence, Optional | OptionalComputed),
        computed: matches!(a.presence, Computed | OptionalComputed),
        sensitive: a.sensitive,
        description_kind: wire::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: a.write_only,
    }
}

fn nested_block(n: &fw::NestedBlock) -> wire::schema::NestedBlock {
    use wire::schema::nested_block::NestingMode;
    wire::schema::NestedBlock {
        type_name: n.type_name.clone(),
        block: Some(block(&n.block)),
        nesting: match n.nesting {
            fw::Nesting::Single => NestingMode::Single,
            fw::Nesting::List => NestingMode::List,
            fw::Nesting::Set => NestingMode::Set,
            fw::Nesting::Map => NestingMode::Map,
        } as i32,
        min_items: n.min_items,
        max_items: n.max_items,
    }
}

pub fn identity_schema(s: &fw::IdentitySchema) -> wire::ResourceIdentitySchema {
    wire::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| wire::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: !a.required_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

/// Decodes a value Terraform sent; an absent value is null. Msgpack is what Terraform sends;
/// JSON is accepted because the protocol allows it.
pub fn decode(dv: Option<&wire::DynamicValue>, ty: &fw::Type) -> Result<fw::Value, Diagnostic> {
    let result = match dv {
        None => return Ok(fw::Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => fw::msgpack::decode(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => fw::json::decode(&dv.json, ty),
        Some(_) => return Ok(fw::Value::Null),
    };
    result.map_err(|e| {
        Diagnostic::error(
            "Terraform sent a value this provider cannot read",
            format!("{e}. This is a bug in the provider or in Terraform; please report it."),
        )
    })
}

pub fn encode(value: &fw::Value, ty: &fw::Type) -> Result<wire::DynamicValue, Diagnostic> {
    fw::msgpack::encode(value, ty)
        .map(|msgpack| wire::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostic::error(
                "The provider produced a value that does not fit its schema",
                format!("{e}. This is a bug in the provider; please report it."),
            )
        })
}

pub fn identity_data(
    value: &fw::Value,
    ty: &fw::Type,
) -> Result<wire::ResourceIdentityData, Diagnostic> {
    Ok(wire::ResourceIdentityData {
        identity_data: Some(encode(value, ty)?),
    })
}

/// One list event on the wire: identity in the managed resource's identity type, the object
/// (when given) in its schema's type. A value that does not fit becomes an error diagnostic of
/// the same event, so Terraform ends the list with it rather than with a garbled result.
pub fn list_event(
    event: fw::erased::ListEvent,
    identity_ty: &fw::Type,
    object_ty: &fw::Type,
) -> wire::list_resource::Event {
    let mut diagnostics = event.diagnostics;
    let identity = if event.identity.is_null() {
        None
    } else {
        match identity_data(&event.identity, identity_ty) {
            Ok(i) => Some(i),
            Err(d) => {
                diagnostics.push(d);
                None
            }
        }
    };
    let resource_object = match event.resource_object.map(|o| encode(&o, object_ty)) {
        Some(Ok(o)) => Some(o),
        Some(Err(d)) => {
            diagnostics.push(d);
            None
        }
        None => None,
    };
    wire::list_resource::Event {
        identity,
        display_name: event.display_name,
        resource_object,
        diagnostic: self::diagnostics(&diagnostics),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fw::{Attribute, Block, NestedBlock, Nesting, Presence, Type};

    #[test]
    fn schema_to_wire_keeps_every_flag() {
        let s = fw::Schema {
            version: 2,
            block: Block {
                attributes: vec![
                    Attribute::new("req", Type::String, Presence::Required, "**r**"),
                    Attribute::new("opt", Type::Bool, Presence::Optional, "o"),
                    Attribute::new("comp", Type::String, Presence::Computed, "c"),
                    Attribute::new("oc", Type::String, Presence::OptionalComputed, "oc")
                        .sensitive()
                        .deprecated(),
                ],
                blocks: vec![NestedBlock {
                    type_name: "timeouts".into(),
                    block: Block::default(),
                    nesting: Nesting::Single,
                    min_items: 0,
                    max_items: 1,
                }],
                description: "d".into(),
                deprecated: false,
            },
        };
        let w = schema(&s);
        assert_eq!(w.version, 2);
        let b = w.block.unwrap();
        let by_name = |n: &str| b.attributes.iter().find(|a| a.name == n).unwrap().clone();
        let req = by_name("req");
        assert!(req.required && !req.optional && !req.computed);
        assert_eq!(req.r#type, br#""string""#);
        assert_eq!(req.description_kind, wire::StringKind::Markdown as i32);
        let opt = by_name("opt");
        assert!(!opt.required && opt.optional && !opt.computed);
        let comp = by_name("comp");
        assert!(!comp.required && !comp.optional && comp.computed);
        let oc = by_name("oc");
        assert!(oc.optional && oc.computed && oc.sensitive && oc.deprecated);
        assert_eq!(b.block_types.len(), 1);
        assert_eq!(
            b.block_types[0].nesting,
            wire::schema::nested_block::NestingMode::Single as i32
        );
        assert_eq!(b.block_types[0].max_items, 1);
    }

    #[test]
    fn diagnostics_carry_paths_and_severity() {
        let d: Diagnostics = Diagnostic::warning("w", "detail")
            .at(AttributePath::root("timeouts").attr("create"))
            .into();
        let w = diagnostics(&d);
        assert_eq!(w[0].severity, wire::diagnostic::Severity::Warning as i32);
        let steps = &w[0].attribute.as_ref().unwrap().steps;
        assert_eq!(steps.len(), 2);
        assert_eq!(
            steps[1].selector,
            Some(wire::attribute_path::step::Selector::AttributeName(
                "create".into()
            ))
        );
    }

    #[test]
    fn absent_and_empty_values_are_null() {
        assert_eq!(decode(None, &Type::String), Ok(fw::Value::Null));
        let empty = wire::DynamicValue::default();
        assert_eq!(decode(Some(&empty), &Type::String), Ok(fw::Value::Null));
        let json = wire::DynamicValue {
            msgpack: vec![],
            json: br#""x""#.to_vec(),
        };
        assert_eq!(
            decode(Some(&json), &Type::String),
            Ok(fw::Value::string("x"))
        );
    }
}
