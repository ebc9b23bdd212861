//! Schemas: what a provider or resource accepts, with descriptions in Markdown so the docs and
//! `terraform providers schema -json` explain every field.

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::types::Type;
use super::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    Computed,
    /// Optional for the user; the provider fills it when the user does not.
    OptionalComputed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub presence: Presence,
    pub sensitive: bool,
    pub deprecated: bool,
    /// Terraform 1.11+: accepts ephemeral values and is never stored (plan files, state).
    pub write_only: bool,
}

impl Attribute {
    pub fn new(name: &str, ty: Type, presence: Presence, description: &str) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            description: description.to_string(),
            presence,
            sensitive: false,
            deprecated: false,
            write_only: false,
        }
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Only for arguments that are never part of a state (an action's secrets): a resource's
    /// write-only attribute must also be null in every state the provider returns.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }

    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; its value is null when absent.
    Single,
    List,
    Set,
    Map,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

impl Block {
    /// The object type of values of this block, as used to decode and encode them.
    pub fn value_type(&self) -> Type {
        let mut attrs: std::collections::BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let inner = b.block.value_type();
            let ty = match b.nesting {
                Nesting::Single => inner,
                Nesting::List => Type::List(Box::new(inner)),
                Nesting::Set => Type::Set(Box::new(inner)),
                Nesting::Map => Type::Map(Box::new(inner)),
            };
            attrs.insert(b.type_name.clone(), ty);
        }
        Type::Object(attrs)
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Errors for required attributes whose value is null. Terraform itself only checks that a
    /// required argument is *written*: `enabled = var.x` with a null `x` passes its check, and a
    /// provider that read null as "false" would act on a value the user never chose. Unknown
    /// values pass; plan calls this again once they are known.
    pub fn null_required(&self, value: &Value, at: &AttributePath, diags: &mut Diagnostics) {
        if !matches!(value, Value::Map(_)) {
            return;
        }
        for a in &self.attributes {
            if a.presence == Presence::Required && value.get(&a.name).is_null() {
                diags.push(
                    Diagnostic::error(
                        format!("Missing value for required argument \"{}\"", a.name),
                        format!(
                            "The argument \"{}\" is required, but its value is null (a \
                             variable or expression that evaluated to null, perhaps). Give it \
                             a value.",
                            a.name
                        ),
                    )
                    .at(at.clone().attr(&a.name)),
                );
            }
        }
        for b in &self.blocks {
            if b.nesting == Nesting::Single {
                b.block.null_required(
                    value.get(&b.type_name),
                    &at.clone().attr(&b.type_name),
                    diags,
                );
            }
        }
    }
}

impl Schema {
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }

    /// See `Block::null_required`.
    pub fn null_required(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::default();
        self.block
            .null_required(config, &AttributePath::default(), &mut diags);
        diags
    }
}

/// The identity of a managed resource (Terraform 1.12+): the few values that name the real
/// object, used by `import` blocks with `identity = {...}` and by `terraform query`.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub required_for_import: bool,
    pub description: String,
}

impl IdentitySchema {
    pub fn value_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_required_values_are_errors_at_their_path_and_unknowns_pass() {
        let schema = Schema {
            version: 0,
            block: Block {
                attributes: vec![
                    Attribute::new("a", Type::Bool, Presence::Required, ""),
                    Attribute::new("b", Type::String, Presence::Required, ""),
                    Attribute::new("c", Type::String, Presence::Optional, ""),
                ],
                ..Block::default()
            },
        };
        let v = Value::object([
            ("a", Value::Null),
            ("b", Value::Unknown),
            ("c", Value::Null),
        ]);
        let d = schema.null_required(&v);
        let paths: Vec<String> = d
            .iter()
            .map(|d| d.path.as_ref().map(|p| p.to_string()).unwrap_or_default())
            .collect();
        assert_eq!(paths, ["a"]);
        assert!(schema.null_required(&Value::Unknown).is_empty());
    }

    #[test]
    fn block_value_type_includes_nested_blocks() {
        let block = Block {
            attributes: vec![Attribute::new("id", Type::String, Presence::Computed, "")],
            blocks: vec![NestedBlock {
                type_name: "timeouts".into(),
                block: Block {
                    attributes: vec![Attribute::new(
                        "create",
                        Type::String,
                        Presence::Optional,
                        "",
                    )],
                    ..Block::default()
                },
                nesting: Nesting::Single,
                min_items: 0,
                max_items: 0,
            }],
            ..Block::default()
        };
        assert_eq!(
            block.value_type(),
            Type::object([
                ("id", Type::String),
                ("timeouts", Type::object([("create", Type::String)]))
            ])
        );
    }
}
