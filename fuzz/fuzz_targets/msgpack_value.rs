//! Msgpack from Terraform, decoded against the resource's schema: never a panic, and whatever
//! decodes re-encodes to something that decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfplugin::framework::{Resource, msgpack};
use terraform_provider_qingcloud::resources::mysqlplus_ssl::MysqlPlusSsl;

fuzz_target!(|data: &[u8]| {
    let ty = MysqlPlusSsl::new(Default::default()).schema().value_type();
    if let Ok(value) = msgpack::decode(data, &ty) {
        let bytes = msgpack::encode(&value, &ty).expect("a decoded value re-encodes");
        assert_eq!(msgpack::decode(&bytes, &ty).ok(), Some(value));
    }
});
