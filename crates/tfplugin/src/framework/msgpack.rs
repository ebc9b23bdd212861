//! The msgpack encoding Terraform uses for values (cty's). Unknown is a msgpack extension
//! (type 0; refined unknowns use type 12); any extension decodes as unknown.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::types::Type;
use super::value::{Number, Value};

/// Deeper nesting than this is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub struct CodecError(pub String);

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CodecError {}

fn err<T>(msg: impl Into<String>) -> Result<T, CodecError> {
    Err(CodecError(msg.into()))
}

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut reader = bytes;
    let mp = rmpv::decode::read_value_with_max_depth(&mut reader, MAX_DEPTH)
        .map_err(|e| CodecError(format!("invalid msgpack: {e}")))?;
    if !reader.is_empty() {
        return err("trailing bytes after msgpack value");
    }
    from_msgpack(mp, ty, 0)
}

fn from_msgpack(mp: Mp, ty: &Type, depth: usize) -> Result<Value, CodecError> {
    if depth > MAX_DEPTH {
        return err("value nested too deeply");
    }
    match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(_, _) => return Ok(Value::Unknown),
        _ => {}
    }
    match ty {
        Type::String => match mp {
            Mp::String(s) => match s.into_str() {
                Some(s) => Ok(Value::String(s)),
                None => err("string is not valid UTF-8"),
            },
            other => err(format!("expected a string, got {other}")),
        },
        Type::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => err(format!("expected a bool, got {other}")),
        },
        Type::Number => match mp {
            Mp::Integer(i) => Ok(Value::Number(match i.as_i64() {
                Some(v) => Number::Int(v),
                None => Number::Decimal(i.to_string()),
            })),
            Mp::F32(f) => Ok(Value::Number(Number::Float(f64::from(f)))),
            Mp::F64(f) => Ok(Value::Number(Number::Float(f))),
            Mp::String(s) => match s.into_str() {
                Some(s) if is_decimal(&s) => Ok(Value::Number(Number::Decimal(s))),
                _ => err("expected a number, got a string that is not one"),
            },
            other => err(format!("expected a number, got {other}")),
        },
        Type::List(elem) | Type::Set(elem) => match mp {
            Mp::Array(items) => Ok(Value::List(
                items
                    .into_iter()
                    .map(|i| from_msgpack(i, elem, depth + 1))
                    .collect::<Result<_, _>>()?,
            )),
            other => err(format!("expected an array, got {other}")),
        },
        Type::Tuple(elems) => match mp {
            Mp::Array(items) if items.len() == elems.len() => Ok(Value::List(
                items
                    .into_iter()
                    .zip(elems)
                    .map(|(i, t)| from_msgpack(i, t, depth + 1))
                    .collect::<Result<_, _>>()?,
            )),
            other => err(format!("expected a tuple of {}, got {other}", elems.len())),
        },
        Type::Map(elem) => {
            let mut out = BTreeMap::new();
            for (k, v) in map_entries(mp)? {
                out.insert(k, from_msgpack(v, elem, depth + 1)?);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let mut entries: BTreeMap<String, Mp> = map_entries(mp)?.into_iter().collect();
            let mut out = BTreeMap::new();
            for (name, attr_ty) in attrs {
                let v = match entries.remove(name) {
                    Some(v) => from_msgpack(v, attr_ty, depth + 1)?,
                    None => Value::Null,
                };
                out.insert(name.clone(), v);
            }
            if let Some(extra) = entries.keys().next() {
                return err(format!("unexpected attribute {extra:?}"));
            }
            Ok(Value::Map(out))
        }
        Type::Dynamic => match mp {
            Mp::Array(mut parts) if parts.len() == 2 => {
                let value = parts.pop().unwrap_or(Mp::Nil);
                let type_bytes = match parts.pop() {
                    Some(Mp::Binary(b)) => b,
                    Some(Mp::String(s)) => s.into_bytes(),
                    _ => return err("dynamic value needs its type as bytes"),
                };
                let json: serde_json::Value = serde_json::from_slice(&type_bytes)
                    .map_err(|e| CodecError(format!("dynamic type is not JSON: {e}")))?;
                let inner = Type::from_json(&json).map_err(CodecError)?;
                from_msgpack(value, &inner, depth + 1)
            }
            other => err(format!(
                "expected a dynamic [type, value] pair, got {other}"
            )),
        },
    }
}

fn map_entries(mp: Mp) -> Result<Vec<(String, Mp)>, CodecError> {
    match mp {
        Mp::Map(entries) => entries
            .into_iter()
            .map(|(k, v)| match k {
                Mp::String(s) => match s.into_str() {
                    Some(k) => Ok((k, v)),
                    None => err("map key is not valid UTF-8"),
                },
                other => err(format!("map key must be a string, got {other}")),
            })
            .collect(),
        other => err(format!("expected a map, got {other}")),
    }
}

/// Terraform sends a decimal string only for numbers; accept what such a number looks like.
fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    !body.is_empty()
        && body.chars().next().is_some_and(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
}

pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mp = to_msgpack(value, ty)?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp)
        .map_err(|e| CodecError(format!("msgpack encoding failed: {e}")))?;
    Ok(out)
}

/// cty writes unknown as fixext1 type 0 with a zero byte: `d4 00 00`.
fn unknown() -> Mp {
    Mp::Ext(0, vec![0])
}

fn to_msgpack(value: &Value, ty: &Type) -> Result<Mp, CodecError> {
    match (value, ty) {
        (Value::Null, Type::Dynamic) => Ok(Mp::Nil),
        (Value::Unknown, Type::Dynamic) => Ok(unknown()),
        (_, Type::Dynamic) => {
            let inner = infer_type(value);
            Ok(Mp::Array(vec![
                Mp::Binary(inner.to_json_bytes()),
                to_msgpack(value, &inner)?,
            ]))
        }
        (Value::Null, _) => Ok(Mp::Nil),
        (Value::Unknown, _) => Ok(unknown()),
        (Value::String(s), Type::String) => Ok(Mp::from(s.as_str())),
        (Value::Bool(b), Type::Bool) => Ok(Mp::Boolean(*b)),
        (Value::Number(n), Type::Number) => Ok(match n {
            Number::Int(i) => Mp::from(*i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Mp::from(*f as i64),
            Number::Float(f) => Mp::F64(*f),
            Number::Decimal(s) => Mp::from(s.as_str()),
        }),
        (Value::List(items), Type::List(elem) | Type::Set(elem)) => Ok(Mp::Array(
            items
                .iter()
                .map(|i| to_msgpack(i, elem))
                .collect::<Result<_, _>>()?,
        )),
        (Value::List(items), Type::Tuple(elems)) if items.len() == elems.len() => Ok(Mp::Array(
            items
                .iter()
                .zip(elems)
                .map(|(i, t)| to_msgpack(i, t))
                .collect::<Result<_, _>>()?,
        )),
        (Value::Map(m), Type::Map(elem)) => Ok(Mp::Map(
            m.iter()
                .map(|(k, v)| Ok((Mp::from(k.as_str()), to_msgpack(v, elem)?)))
                .collect::<Result<_, CodecError>>()?,
        )),
        (Value::Map(m), Type::Object(attrs)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return err(format!("value has attribute {extra:?} the schema lacks"));
            }
            // Terraform expects every attribute of the object, null ones included.
            Ok(Mp::Map(
                attrs
                    .iter()
                    .map(|(name, t)| {
                        let v = m.get(name).unwrap_or(&Value::Null);
                        Ok((Mp::from(name.as_str()), to_msgpack(v, t)?))
                    })
                    .collect::<Result<_, CodecError>>()?,
            ))
        }
        (v, t) => err(format!("value {v:?} does not fit type {}", t.to_json())),
    }
}

/// The type a value would have on its own, for values of dynamic attributes.
fn infer_type(value: &Value) -> Type {
    match value {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        Value::Map(m) => Type::Object(m.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("enabled", Type::Bool),
            ("count", Type::Number),
            ("tags", Type::Map(Box::new(Type::String))),
            ("list", Type::list(Type::String)),
            ("nested", Type::object([("a", Type::String)])),
        ])
    }

    #[test]
    fn object_round_trip_with_nulls_and_unknowns() {
        let v = Value::object([
            ("id", Value::string("cl-1")),
            ("enabled", Value::Unknown),
            ("count", Value::Number(Number::Int(-7))),
            ("tags", Value::object([("k", Value::string("v"))])),
            ("list", Value::List(vec![Value::string("a"), Value::Null])),
            ("nested", Value::Null),
        ]);
        let bytes = encode(&v, &obj_type()).unwrap();
        assert_eq!(decode(&bytes, &obj_type()).unwrap(), v);
    }

    #[test]
    fn unknown_is_ext_zero_like_cty() {
        assert_eq!(
            encode(&Value::Unknown, &Type::String).unwrap(),
            vec![0xd4, 0, 0]
        );
        assert_eq!(
            decode(&[0xd4, 0, 0], &Type::String).unwrap(),
            Value::Unknown
        );
    }

    #[test]
    fn refined_unknown_ext_twelve_decodes_as_unknown() {
        // ext 12 whose payload is a map {1: true} (refinement: not null).
        let mut bytes = Vec::new();
        let payload = {
            let mut p = Vec::new();
            rmpv::encode::write_value(&mut p, &Mp::Map(vec![(Mp::from(1), Mp::Boolean(true))]))
                .unwrap();
            p
        };
        rmpv::encode::write_value(&mut bytes, &Mp::Ext(12, payload)).unwrap();
        assert_eq!(decode(&bytes, &Type::String).unwrap(), Value::Unknown);
    }

    #[test]
    fn every_number_form_decodes() {
        let enc = |mp: Mp| {
            let mut b = Vec::new();
            rmpv::encode::write_value(&mut b, &mp).unwrap();
            decode(&b, &Type::Number).unwrap()
        };
        assert_eq!(enc(Mp::from(42)), Value::Number(Number::Int(42)));
        assert_eq!(enc(Mp::from(-42)), Value::Number(Number::Int(-42)));
        assert_eq!(
            enc(Mp::from(u64::MAX)),
            Value::Number(Number::Decimal(u64::MAX.to_string()))
        );
        assert_eq!(enc(Mp::F64(1.5)), Value::Number(Number::Float(1.5)));
        assert_eq!(enc(Mp::F32(0.5)), Value::Number(Number::Float(0.5)));
        assert_eq!(
            enc(Mp::from("123456789012345678901234567890.5")),
            Value::Number(Number::Decimal("123456789012345678901234567890.5".into()))
        );
        let mut b = Vec::new();
        rmpv::encode::write_value(&mut b, &Mp::from("twelve")).unwrap();
        assert!(decode(&b, &Type::Number).is_err());
    }

    #[test]
    fn numbers_encode_as_int_float_or_string() {
        let mp = |n: Number| {
            let b = encode(&Value::Number(n), &Type::Number).unwrap();
            rmpv::decode::read_value(&mut b.as_slice()).unwrap()
        };
        assert_eq!(mp(Number::Int(5)), Mp::from(5));
        assert_eq!(mp(Number::Float(5.0)), Mp::from(5));
        assert_eq!(mp(Number::Float(5.25)), Mp::F64(5.25));
        assert_eq!(mp(Number::Decimal("1e400".into())), Mp::from("1e400"));
    }

    #[test]
    fn null_object_and_missing_attributes() {
        assert_eq!(encode(&Value::Null, &obj_type()).unwrap(), vec![0xc0]);
        let mut b = Vec::new();
        rmpv::encode::write_value(&mut b, &Mp::Map(vec![(Mp::from("id"), Mp::from("x"))])).unwrap();
        let v = decode(&b, &obj_type()).unwrap();
        assert_eq!(v.get("id"), &Value::string("x"));
        assert_eq!(v.get("enabled"), &Value::Null);
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::List(vec![Value::string("a"), Value::Bool(true)]);
        let b = encode(&v, &Type::Dynamic).unwrap();
        assert_eq!(decode(&b, &Type::Dynamic).unwrap(), v);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(decode(&[0xa5, 0x61], &Type::String).is_err());
        assert!(decode(&[0x92, 0x01], &Type::list(Type::Number)).is_err());
        assert!(decode(&[0xc0, 0xc0], &Type::String).is_err());
        let deep: Vec<u8> = std::iter::repeat_n(0x91, 200).chain([0xc0]).collect();
        assert!(decode(&deep, &Type::Dynamic).is_err());
        assert!(encode(&Value::Bool(true), &Type::String).is_err());
        let extra = Value::object([("zzz", Value::Null)]);
        assert!(encode(&extra, &obj_type()).is_err());
    }
}
