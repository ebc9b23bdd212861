//! Raw JSON state (UpgradeResourceState) against the resource's schema: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_qingcloud::provider::QingCloudProvider;
use tfplugin::framework::{Provider, json, msgpack};

fuzz_target!(|data: &[u8]| {
    let ty = QingCloudProvider::new().resources()[0].schema().value_type();
    if let Ok(value) = json::decode(data, &ty) {
        // What upgrade decodes must be answerable in msgpack.
        let _ = msgpack::encode(&value, &ty);
    }
});
