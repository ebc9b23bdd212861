//! `terraform import` ids: any string gets a state or a diagnostic, never a panic, and an
//! accepted id always names a valid cluster.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_qingcloud::provider::QingCloudProvider;
use tfplugin::framework::erased::ImportRequest;
use tfplugin::framework::{Context, Provider};

fuzz_target!(|data: &[u8]| {
    let Ok(id) = std::str::from_utf8(data) else {
        return;
    };
    let resource = QingCloudProvider::new().resources().remove(0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let resp = rt.block_on(resource.import(
        &Context::default(),
        ImportRequest {
            id: id.to_string(),
            identity: None,
        },
    ));
    if !resp.diagnostics.has_errors() {
        let cluster = resp.state.get("cluster_id").as_str().unwrap_or("");
        assert!(cluster.starts_with("cl-") && id.ends_with(cluster));
    }
});
