//! Private state: what Terraform keeps for a resource object beside its attributes, unseen by
//! users, and hands back with the object's next plan, apply or read. A resource names its type
//! (`Resource::Private`, `()` for none); the adapter stores it as JSON.
//!
//! The rules: nothing to keep (the type's default) is stored as no bytes at all, as Terraform
//! stores no private state then; bytes that do not decode (another provider's, or a shape
//! since dropped) read as the default. A resource must therefore use private state for what
//! it can do without, and keep its field names (serde renames do) so that stored states
//! decode.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// What a resource may keep in private state.
pub trait PrivateState:
    Serialize + DeserializeOwned + Default + PartialEq + Send + Sync + 'static
{
}

impl<T> PrivateState for T where
    T: Serialize + DeserializeOwned + Default + PartialEq + Send + Sync + 'static
{
}

/// The bytes stored for `private`.
pub fn encode<T: PrivateState>(private: &T) -> Vec<u8> {
    if *private == T::default() {
        return Vec::new();
    }
    serde_json::to_vec(private).unwrap_or_default()
}

/// The private state stored as `bytes`; the default when they do not decode.
pub fn decode<T: PrivateState>(bytes: &[u8]) -> T {
    serde_json::from_slice(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Kept {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<String>,
    }

    #[test]
    fn nothing_to_keep_is_no_bytes_and_unreadable_bytes_are_nothing() {
        assert!(encode(&Kept::default()).is_empty());
        assert!(encode(&()).is_empty());
        let kept = Kept {
            job: Some("j-1".into()),
        };
        assert_eq!(encode(&kept), br#"{"job":"j-1"}"#);
        assert_eq!(decode::<Kept>(&encode(&kept)), kept);
        assert_eq!(decode::<Kept>(b""), Kept::default());
        assert_eq!(decode::<Kept>(b"garbage"), Kept::default());
        decode::<()>(b"{\"other\":1}");
    }
}
