//! JSON values, as Terraform stores them in state: UpgradeResourceState hands the provider
//! the raw JSON of the stored object, and the answer must be msgpack of the current schema.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::msgpack::CodecError;
use super::types::Type;
use super::value::{Number, Value};

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: J =
        serde_json::from_slice(bytes).map_err(|e| CodecError(format!("invalid JSON: {e}")))?;
    from_json(&json, ty)
}

pub fn from_json(json: &J, ty: &Type) -> Result<Value, CodecError> {
    let fail = |what: &str| Err(CodecError(format!("expected {what}, got {json}")));
    if json.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::String => json
            .as_str()
            .map_or_else(|| fail("a string"), |s| Ok(s.into())),
        Type::Bool => json
            .as_bool()
            .map_or_else(|| fail("a bool"), |b| Ok(b.into())),
        Type::Number => match json {
            J::Number(n) => Ok(Value::Number(match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Number::Int(i),
                (None, Some(f)) => Number::Float(f),
                _ => Number::Decimal(n.to_string()),
            })),
            _ => fail("a number"),
        },
        Type::List(elem) | Type::Set(elem) => match json {
            J::Array(items) => Ok(Value::List(
                items
                    .iter()
                    .map(|i| from_json(i, elem))
                    .collect::<Result<_, _>>()?,
            )),
            _ => fail("an array"),
        },
        Type::Tuple(elems) => match json {
            J::Array(items) if items.len() == elems.len() => Ok(Value::List(
                items
                    .iter()
                    .zip(elems)
                    .map(|(i, t)| from_json(i, t))
                    .collect::<Result<_, _>>()?,
            )),
            _ => fail("a tuple"),
        },
        Type::Map(elem) => match json {
            J::Object(m) => Ok(Value::Map(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), from_json(v, elem)?)))
                    .collect::<Result<BTreeMap<_, _>, CodecError>>()?,
            )),
            _ => fail("an object"),
        },
        Type::Object(attrs) => match json {
            // Attributes the schema no longer has are dropped: that is what upgrading means.
            J::Object(m) => Ok(Value::Map(
                attrs
                    .iter()
                    .map(|(name, t)| {
                        let v = m.get(name).map_or(Ok(Value::Null), |v| from_json(v, t))?;
                        Ok((name.clone(), v))
                    })
                    .collect::<Result<BTreeMap<_, _>, CodecError>>()?,
            )),
            _ => fail("an object"),
        },
        // Dynamic values are stored as {"value": ..., "type": ...}.
        Type::Dynamic => match (json.get("value"), json.get("type")) {
            (Some(v), Some(t)) => {
                let inner = Type::from_json(t).map_err(CodecError)?;
                from_json(v, &inner)
            }
            _ => fail("a dynamic {value, type} object"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_state_decodes_and_drops_removed_attributes() {
        let ty = Type::object([
            ("id", Type::String),
            ("enabled", Type::Bool),
            ("n", Type::Number),
            ("t", Type::object([("create", Type::String)])),
        ]);
        let v = decode(
            br#"{"id":"cl-1","enabled":true,"n":2.5,"old":"x","t":null}"#,
            &ty,
        )
        .unwrap();
        assert_eq!(v.get("id"), &Value::string("cl-1"));
        assert_eq!(v.get("enabled"), &Value::Bool(true));
        assert_eq!(v.get("n"), &Value::Number(Number::Float(2.5)));
        assert_eq!(v.get("t"), &Value::Null);
        assert_eq!(v.get("old"), &Value::Null);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let ty = Type::object([("id", Type::String)]);
        assert!(decode(br#"{"id":3}"#, &ty).is_err());
        assert!(decode(br#"[1]"#, &ty).is_err());
        assert!(decode(b"{", &ty).is_err());
    }
}
