//! `tweetguide health`: the standard `grpc.health.v1` check, for scripts and
//! container probes on machines without grpcurl.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// Server to check.
    #[arg(long, value_name = "URL", env = "TWEETGUIDE_SERVER", default_value = "http://127.0.0.1:50051")]
    addr: String,
    /// The service to ask about: empty for the whole server, or one of
    /// `tweetguide.v1.Classifier`, `tweetguide.v1.Auditor`, `tweetguide.v1.Trainer`.
    #[arg(long, default_value = "")]
    service: String,
    /// Give up after this long (connecting included), e.g. `2s`, `500ms`.
    #[arg(long, default_value = "5s", value_parser = super::serve::parse_duration)]
    timeout: Duration,
    #[command(flatten)]
    tls: super::tls::ClientTlsArgs,
}

/// Prints the serving status; exit 0 when serving, 1 otherwise (not
/// serving, unknown service, unreachable server or timeout).
pub fn run(args: HealthArgs) -> anyhow::Result<ExitCode> {
    let tls = args.tls.config(&args.addr)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let status = runtime.block_on(async {
        let check = async {
            let channel = tweetguide::client::connect_channel_with(&args.addr, tls.as_ref()).await?;
            let request = HealthCheckRequest { service: args.service.clone() };
            let response = HealthClient::new(channel).check(request).await?;
            anyhow::Ok(response.into_inner().status)
        };
        tokio::time::timeout(args.timeout, check)
            .await
            .with_context(|| format!("no answer from {} within {:?}", args.addr, args.timeout))?
    });
    match status {
        Ok(code) => {
            let status = ServingStatus::try_from(code).unwrap_or(ServingStatus::Unknown);
            let what = if args.service.is_empty() { "server" } else { args.service.as_str() };
            println!("{what}: {}", status.as_str_name());
            Ok(if status == ServingStatus::Serving { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Err(error) => {
            eprintln!("error: {} is not healthy: {error:#}", args.addr);
            Ok(ExitCode::FAILURE)
        }
    }
}
