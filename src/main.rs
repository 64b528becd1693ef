//! The `tweetguide` command line: offline training and classification, the
//! gRPC server, and the client commands that talk to it.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::init_logging();
    match cli::run(args) {
        Ok(code) => code,
        // A reader that stopped reading (`| head`) is not a failure: the
        // output it wanted was written.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", cli::report(&error));
            if let Some(hint) = hint(&error) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// What to do about the failures users meet first.
fn hint(error: &anyhow::Error) -> Option<String> {
    let refused = error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
    let addr = error.chain().find_map(|cause| match cause.downcast_ref::<tweetguide::client::ClientError>() {
        Some(tweetguide::client::ClientError::Connect { addr, .. }) => Some(addr.clone()),
        _ => None,
    })?;
    refused.then(|| format!("is `tweetguide serve` running at {addr}?"))
}
