//! Raw JSON state (UpgradeResourceState) against the resource's schema: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tfplugin::framework::{Resource, json, msgpack};
use terraform_provider_qingcloud::resources::mysqlplus_ssl::MysqlPlusSsl;

fuzz_target!(|data: &[u8]| {
    let ty = MysqlPlusSsl::new(Default::default()).schema().value_type();
    if let Ok(value) = json::decode(data, &ty) {
        // What upgrade decodes must be answerable in msgpack.
        let _ = msgpack::encode(&value, &ty);
    }
});
