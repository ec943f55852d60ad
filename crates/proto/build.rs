//! Compiles `proto/fengqiao/v1/*.proto` with protox (pure Rust, so no system
//! `protoc`) and generates prost messages and tonic services from the
//! resulting descriptor set, which is also written out for server reflection.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not when it was compiled: a build script
    // compiled in another checkout (a copied target directory) must still
    // read this checkout's files.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        "fengqiao/v1/types.proto",
        "fengqiao/v1/summary.proto",
        "fengqiao/v1/weekly.proto",
        "fengqiao/v1/cases.proto",
        "fengqiao/v1/organization.proto",
        "fengqiao/v1/tracker.proto",
        "fengqiao/v1/reporting.proto",
        "fengqiao/v1/units.proto",
        "fengqiao/v1/uplink.proto",
        "fengqiao/v1/downlink.proto",
        "fengqiao/v1/node.proto",
        "fengqiao/v1/reconcile.proto",
    ];
    for file in &files {
        println!("cargo:rerun-if-changed={}", proto_root.join(file).display());
    }
    let descriptors = protox::compile(files, [&proto_root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("fengqiao_descriptor.bin");
    std::fs::write(&descriptor_path, prost::Message::encode_to_vec(&descriptors))?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // Requests that do not decode are INVALID_ARGUMENT (see src/codec.rs).
        .codec_path("crate::codec::WireCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
