//! Runs the four resource attacks of the hardening issue at once against a
//! real `tweetguide serve` (default settings), with a well-behaved caller
//! beside them, and reports the server's peak memory and the caller's
//! latencies.
//!
//! ```sh
//! cargo build --release && cargo run --release --example siege
//! ```

mod attacks;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    /// The server binary to start.
    #[arg(long, default_value = "target/release/tweetguide")]
    server: String,
    /// How long the well-behaved caller measures, in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Concurrent callers sending 16 MB of empty entries, in a loop.
    #[arg(long, default_value_t = 8)]
    flooders: usize,
    /// Connections, and calls on each, left half-uploaded.
    #[arg(long, default_value_t = 2)]
    upload_connections: usize,
    #[arg(long, default_value_t = 32)]
    upload_streams: usize,
    /// Connections, and 10,000-tweet calls on each, whose answers are never read.
    #[arg(long, default_value_t = 3)]
    unread_connections: usize,
    #[arg(long, default_value_t = 128)]
    unread_calls: usize,
    /// Raw TCP connections that never speak HTTP/2.
    #[arg(long, default_value_t = 1010)]
    silent: usize,
    /// The server's file-descriptor limit (`prlimit`), as on a default Linux login.
    #[arg(long, default_value_t = 1024)]
    nofile: u32,
    /// Extra arguments for `serve`.
    #[arg(last = true)]
    serve_args: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = tempfile::tempdir()?;
    let mut server = Command::new("prlimit")
        .arg(format!("--nofile={0}:{0}", args.nofile))
        .arg(&args.server)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .args(&args.serve_args)
        .env("RUST_LOG", "info")
        .env("TWEETGUIDE_ADMIN_TOKEN", "siege-admin-token-not-used-here")
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = server.id();
    let stderr = server.stderr.take().ok_or_else(|| anyhow::anyhow!("no stderr"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line.split(" addr=").nth(1).and_then(|rest| rest.split_whitespace().next()) {
                let _ = tx.send(addr.to_owned());
            }
            if line.contains("WARN") || line.contains("ERROR") {
                eprintln!("server: {line}");
            }
        }
    });
    let addr: SocketAddr = rx.recv_timeout(Duration::from_secs(60))?.parse()?;
    println!("server pid {pid} on {addr}; idle: {:.0} MiB resident", attacks::rss_mib(pid));

    let baseline = attacks::polite_caller(addr, 10, Duration::from_secs(3)).await;
    println!(
        "well-behaved caller alone: {} calls, p50 {:.2} ms, p99 {:.2} ms",
        baseline.latencies.len(),
        ms(baseline.quantile(0.5)),
        ms(baseline.quantile(0.99))
    );

    let polite = tokio::spawn(attacks::polite_caller(addr, 10, Duration::from_secs(args.seconds)));
    // Let it connect first: its calls, not its connection, are what is measured.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood = {
        let stop = std::sync::Arc::clone(&stop);
        let flooders = args.flooders;
        tokio::spawn(async move {
            let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_secs(10), attacks::empty_entries(addr, flooders)).await {
                    Ok(round) => {
                        for (code, _) in round {
                            *outcomes.entry(code).or_default() += 1;
                        }
                    }
                    Err(_) => *outcomes.entry("no answer in 10 s".to_owned()).or_default() += 1,
                }
            }
            outcomes
        })
    };
    let silent = attacks::silent_connections(addr, args.silent).await;
    println!("silent connections opened: {}", silent.len());
    // A server that no longer accepts connections stalls the attacks too.
    let phase = Duration::from_secs(30);
    let uploads =
        tokio::time::timeout(phase, attacks::partial_uploads(addr, args.upload_connections, args.upload_streams)).await;
    match &uploads {
        Ok(uploads) => println!("partial uploads: {} calls already ended by the server", uploads.refused.len()),
        Err(_) => println!("partial uploads: could not connect within {phase:?}"),
    }
    let unread = tokio::time::timeout(
        phase,
        attacks::unread_answers(addr, args.unread_connections, args.unread_calls, 10_000, None),
    )
    .await;
    if unread.is_err() {
        println!("unread answers: could not connect within {phase:?}");
    }

    let polite = polite.await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let flood = flood.await?;
    println!("flood outcomes (grpc-status: calls): {flood:?}");
    println!(
        "under attack: well-behaved caller {} calls, {} errors, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        polite.latencies.len(),
        polite.errors.len(),
        ms(polite.quantile(0.5)),
        ms(polite.quantile(0.99)),
        ms(polite.quantile(1.0))
    );
    for error in polite.errors.iter().take(5) {
        println!("  error: {error}");
    }
    println!(
        "server memory: peak (VmHWM) {:.0} MiB, resident at the end {:.0} MiB",
        attacks::peak_rss_mib(pid),
        attacks::rss_mib(pid)
    );
    drop((silent, uploads, unread));
    let _ = server.kill();
    let _ = server.wait();
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
