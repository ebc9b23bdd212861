//! Typed models: a Rust struct per schema, converted to and from [`Value`] in one place.
//!
//! A field is named like its attribute and typed [`Attr<T>`] wherever Terraform may send null
//! or unknown (every attribute of a configuration or plan may be unknown). Nested blocks and
//! object attributes are models too, in an `Attr` so that a null block stays null. The
//! [`model!`](crate::model) macro writes the conversion; a value of the wrong shape is an
//! error at its attribute path, never a silent default.

use std::collections::BTreeMap;

use super::diagnostics::{AttributePath, Diagnostic, Diagnostics};
use super::types::Type;
use super::value::{Number, Value};

/// An attribute's value: null, unknown (known only after apply), or known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Attr<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Attr<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn into_known(self) -> Option<T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }
}

impl Attr<String> {
    pub fn as_str(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

impl Attr<bool> {
    pub fn as_bool(&self) -> Option<bool> {
        self.known().copied()
    }
}

/// `Some` is known, `None` is null.
impl<T> From<Option<T>> for Attr<T> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Attr::Null, Attr::Known)
    }
}

/// A Rust type that a Terraform value of one type converts to and from.
pub trait AttrValue: Sized {
    /// The Terraform type of such values.
    fn ty() -> Type;
    /// Reads `value`, found at `at`; a value of another shape is an error there.
    fn decode(value: &Value, at: &AttributePath) -> Result<Self, Diagnostics>;
    fn encode(&self) -> Value;
}

/// The object of a schema (a resource's state, plan and configuration; a data source's; a list
/// resource's filters; an identity), written with [`model!`](crate::model).
pub trait Model: AttrValue + Send + Sync + 'static {
    /// Reads a whole object. A null or unknown object reads as all its attributes null or
    /// unknown, as [`Value::get`] does.
    fn from_value(value: &Value) -> Result<Self, Diagnostics> {
        Self::decode(value, &AttributePath::default())
    }

    fn to_value(&self) -> Value {
        self.encode()
    }

    /// The object type; a model matches its schema when this equals the schema's value type.
    fn value_type() -> Type {
        Self::ty()
    }
}

/// No object: the identity of a resource without one.
impl AttrValue for () {
    fn ty() -> Type {
        Type::Object(BTreeMap::new())
    }
    fn decode(_: &Value, _: &AttributePath) -> Result<Self, Diagnostics> {
        Ok(())
    }
    fn encode(&self) -> Value {
        Value::Null
    }
}

impl Model for () {}

impl<T: AttrValue> AttrValue for Attr<T> {
    fn ty() -> Type {
        T::ty()
    }
    fn decode(value: &Value, at: &AttributePath) -> Result<Self, Diagnostics> {
        Ok(match value {
            Value::Null => Attr::Null,
            Value::Unknown => Attr::Unknown,
            v => Attr::Known(T::decode(v, at)?),
        })
    }
    fn encode(&self) -> Value {
        match self {
            Attr::Null => Value::Null,
            Attr::Unknown => Value::Unknown,
            Attr::Known(v) => v.encode(),
        }
    }
}

/// A primitive: its type, what it is called in errors, and the value that holds it.
macro_rules! primitive {
    ($rust:ty, $ty:ident, $what:literal, $variant:ident) => {
        impl AttrValue for $rust {
            fn ty() -> Type {
                Type::$ty
            }
            fn decode(value: &Value, at: &AttributePath) -> Result<Self, Diagnostics> {
                match value {
                    Value::$variant(v) => Ok(v.clone()),
                    other => Err(mismatch($what, other, at)),
                }
            }
            fn encode(&self) -> Value {
                Value::$variant(self.clone())
            }
        }
    };
}

primitive!(String, String, "a string", String);
primitive!(bool, Bool, "a bool", Bool);
// A number as Terraform sent it, for attributes whose checks want to see fractions or huge
// values themselves.
primitive!(Number, Number, "a number", Number);

impl AttrValue for i64 {
    fn ty() -> Type {
        Type::Number
    }
    fn decode(value: &Value, at: &AttributePath) -> Result<Self, Diagnostics> {
        match value {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| mismatch("a whole number", value, at)),
            other => Err(mismatch("a whole number", other, at)),
        }
    }
    fn encode(&self) -> Value {
        Value::Number(Number::Int(*self))
    }
}

/// A list attribute (`Type::List`); elements that may be unknown are `Attr`s.
impl<T: AttrValue> AttrValue for Vec<T> {
    fn ty() -> Type {
        Type::list(T::ty())
    }
    fn decode(value: &Value, at: &AttributePath) -> Result<Self, Diagnostics> {
        let Value::List(items) = value else {
            return Err(mismatch("a list", value, at));
        };
        every(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| T::decode(item, &at.clone().index(i))),
        )
    }
    fn encode(&self) -> Value {
        Value::List(self.iter().map(AttrValue::encode).collect())
    }
}

/// A map attribute (`Type::Map`).
impl<T: AttrValue> AttrValue for BTreeMap<String, T> {
    fn ty() -> Type {
        Type::Map(Box::new(T::ty()))
    }
    fn decode(value: &Value, at: &AttributePath) -> Result<Self, Diagnostics> {
        let Value::Map(entries) = value else {
            return Err(mismatch("a map", value, at));
        };
        every(
            entries
                .iter()
                .map(|(k, v)| T::decode(v, &at.clone().key(k)).map(|v| (k.clone(), v))),
        )
    }
    fn encode(&self) -> Value {
        Value::Map(self.iter().map(|(k, v)| (k.clone(), v.encode())).collect())
    }
}

/// Every element read, or the errors of every element that could not be.
fn every<T, C: FromIterator<T>>(
    elements: impl Iterator<Item = Result<T, Diagnostics>>,
) -> Result<C, Diagnostics> {
    let mut errors = Diagnostics::default();
    let read = elements
        .filter_map(|e| e.map_err(|d| errors.extend(d)).ok())
        .collect();
    if errors.is_empty() {
        Ok(read)
    } else {
        Err(errors)
    }
}

/// The error for a value of another shape than the model says: the schema and the model
/// disagree, a bug in the provider.
fn mismatch(expected: &str, got: &Value, at: &AttributePath) -> Diagnostics {
    let got = match got {
        Value::Null => "null",
        Value::Unknown => "an unknown value",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "an object or map",
    };
    let place = if at.0.is_empty() {
        "the top level".to_string()
    } else {
        at.to_string()
    };
    let d = Diagnostic::error(
        "Value of unexpected type",
        format!(
            "The provider expected {expected} at {place}, but got {got}. This is a bug in the \
             provider; please report it."
        ),
    );
    let d = if at.0.is_empty() { d } else { d.at(at.clone()) };
    d.into()
}

/// The attribute a model field stands for: its name, without the `r#` of a raw identifier.
#[doc(hidden)]
pub fn attribute_name(field: &'static str) -> &'static str {
    field.strip_prefix("r#").unwrap_or(field)
}

/// Checks that an object value (or null or unknown, read as all null or unknown) is what
/// `model!` reads.
#[doc(hidden)]
pub fn expect_object(value: &Value, at: &AttributePath) -> Result<(), Diagnostics> {
    match value {
        Value::Map(_) | Value::Null | Value::Unknown => Ok(()),
        other => Err(mismatch("an object", other, at)),
    }
}

/// Reads one attribute of an object for `model!`, collecting its errors.
#[doc(hidden)]
pub fn field<T: AttrValue>(
    object: &Value,
    at: &AttributePath,
    name: &str,
    errors: &mut Diagnostics,
) -> Option<T> {
    match T::decode(object.get(name), &at.clone().attr(name)) {
        Ok(v) => Some(v),
        Err(d) => {
            errors.extend(d);
            None
        }
    }
}

/// Declares a model: a struct whose fields are named like the schema's attributes, and its
/// conversion to and from [`Value`](crate::framework::Value).
///
/// ```
/// use tfplugin::framework::Attr;
///
/// tfplugin::model! {
///     #[derive(Debug, Clone, Default, PartialEq)]
///     pub struct Thing {
///         pub name: Attr<String>,
///         pub enabled: Attr<bool>,
///         pub timeouts: Attr<Timeouts>,
///     }
/// }
/// tfplugin::model! {
///     #[derive(Debug, Clone, Default, PartialEq)]
///     pub struct Timeouts {
///         pub create: Attr<String>,
///     }
/// }
/// ```
#[macro_export]
macro_rules! model {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
        }

        impl $crate::framework::model::AttrValue for $name {
            fn ty() -> $crate::framework::Type {
                $crate::framework::Type::Object(::std::collections::BTreeMap::from([$((
                    $crate::framework::model::attribute_name(stringify!($field)).to_string(),
                    <$ty as $crate::framework::model::AttrValue>::ty(),
                ),)*]))
            }

            fn decode(
                value: &$crate::framework::Value,
                at: &$crate::framework::AttributePath,
            ) -> ::std::result::Result<Self, $crate::framework::Diagnostics> {
                $crate::framework::model::expect_object(value, at)?;
                let mut errors = $crate::framework::Diagnostics::default();
                $(
                    let $field = $crate::framework::model::field::<$ty>(
                        value,
                        at,
                        $crate::framework::model::attribute_name(stringify!($field)),
                        &mut errors,
                    );
                )*
                match ($($field,)*) {
                    ($(::std::option::Option::Some($field),)*) => {
                        ::std::result::Result::Ok($name { $($field,)* })
                    }
                    #[allow(unreachable_patterns)]
                    _ => ::std::result::Result::Err(errors),
                }
            }

            fn encode(&self) -> $crate::framework::Value {
                $crate::framework::Value::object([$((
                    $crate::framework::model::attribute_name(stringify!($field)),
                    $crate::framework::model::AttrValue::encode(&self.$field),
                ),)*])
            }
        }

        impl $crate::framework::model::Model for $name {}
    };
}

/// The path of a model's attribute, checked by the compiler: `path!(Thing.enabled)` is the
/// path `enabled`, and does not compile when `Thing` has no field `enabled`.
#[macro_export]
macro_rules! path {
    ($model:ident . $field:ident) => {{
        let _ = |m: &$model| {
            let _ = &m.$field;
        };
        $crate::framework::AttributePath::root($crate::framework::model::attribute_name(
            stringify!($field),
        ))
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::model! {
        #[derive(Debug, Clone, Default, PartialEq)]
        struct Thing {
            id: Attr<String>,
            enabled: Attr<bool>,
            count: Attr<i64>,
            tags: Attr<Vec<Attr<String>>>,
            labels: Attr<BTreeMap<String, String>>,
            r#type: Attr<String>,
            timeouts: Attr<Timeouts>,
        }
    }

    crate::model! {
        #[derive(Debug, Clone, Default, PartialEq)]
        struct Timeouts {
            create: Attr<String>,
        }
    }

    #[test]
    fn a_model_has_the_type_of_its_attributes() {
        let timeouts = Type::object([("create", Type::String)]);
        let expected = Type::object([
            ("id", Type::String),
            ("enabled", Type::Bool),
            ("count", Type::Number),
            ("tags", Type::list(Type::String)),
            ("labels", Type::Map(Box::new(Type::String))),
            ("type", Type::String),
            ("timeouts", timeouts),
        ]);
        assert_eq!(Thing::value_type(), expected);
    }

    #[test]
    fn values_round_trip_with_nulls_and_unknowns() {
        let v = Value::object([
            ("id", Value::Unknown),
            ("enabled", Value::Bool(true)),
            ("count", Value::Number(Number::Int(3))),
            (
                "tags",
                Value::List(vec![Value::string("a"), Value::Unknown]),
            ),
            ("labels", Value::Null),
            ("type", Value::string("big")),
            ("timeouts", Value::object([("create", Value::string("5m"))])),
        ]);
        let thing = Thing::from_value(&v).unwrap();
        assert_eq!(thing.id, Attr::Unknown);
        assert_eq!(thing.enabled.as_bool(), Some(true));
        assert_eq!(thing.r#type.as_str(), Some("big"));
        assert_eq!(
            thing.tags,
            Attr::Known(vec![Attr::Known("a".into()), Attr::Unknown])
        );
        assert_eq!(
            thing.timeouts.known().and_then(|t| t.create.as_str()),
            Some("5m")
        );
        assert_eq!(thing.to_value(), v);
    }

    #[test]
    fn a_null_or_unknown_object_reads_as_all_null_or_unknown_attributes() {
        let null = Thing::from_value(&Value::Null).unwrap();
        assert_eq!(null, Thing::default());
        let unknown = Thing::from_value(&Value::Unknown).unwrap();
        assert!(unknown.enabled.is_unknown() && unknown.timeouts.is_unknown());
        // Missing attributes are null, as `Value::get` has them.
        let partial = Thing::from_value(&Value::object([("id", Value::string("x"))])).unwrap();
        assert_eq!(partial.id.as_str(), Some("x"));
        assert!(partial.timeouts.is_null());
    }

    #[test]
    fn wrong_shapes_are_errors_at_their_attribute_paths() {
        let v = Value::object([
            ("enabled", Value::string("yes")),
            (
                "tags",
                Value::List(vec![Value::string("a"), Value::Bool(true)]),
            ),
            ("count", Value::Number(Number::Float(1.5))),
            ("timeouts", Value::object([("create", Value::Bool(false))])),
        ]);
        let errors = Thing::from_value(&v).unwrap_err();
        let paths: Vec<String> = errors
            .iter()
            .map(|d| d.path.as_ref().map(ToString::to_string).unwrap_or_default())
            .collect();
        assert_eq!(paths, ["enabled", "count", "tags[1]", "timeouts.create"]);
        assert!(
            errors
                .iter()
                .all(|d| d.detail.contains("bug in the provider"))
        );
        let top = Thing::from_value(&Value::Bool(true)).unwrap_err();
        assert!(top.iter().next().unwrap().detail.contains("the top level"));
    }

    #[test]
    fn paths_name_the_attribute_of_a_field() {
        assert_eq!(path!(Thing.enabled), AttributePath::root("enabled"));
        assert_eq!(path!(Thing.r#type), AttributePath::root("type"));
    }
}
