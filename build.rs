//! Compiles `proto/` into Rust with protox, a pure-Rust protobuf compiler, so
//! that building tweetguide never needs `protoc` on the machine. The encoded
//! descriptor set is also kept for gRPC server reflection.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "proto/tweetguide/v1/tweetguide.proto";
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile([proto], ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("tweetguide_descriptor.bin"), descriptors.encode_to_vec())?;
    tonic_prost_build::configure().codec_path("crate::server::codec::ProtoCodec").compile_fds(descriptors)?;
    Ok(())
}
