//! Compiles this project's .proto files with protox (pure Rust), so a machine with only
//! `cargo` builds the provider: no system `protoc` is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = ["proto/tfplugin6.proto", "proto/grpc_controller.proto"];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        // Clients are generated for the in-process tests of the Provider service.
        .build_client(true)
        .compile_fds(descriptors)?;
    Ok(())
}
