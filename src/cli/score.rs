//! `tweetguide score`: audit one account, or every account of a folder,
//! in-process with a model file, or through a server with `--addr`. Both
//! give the same reports.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use tweetguide::audit::{self, AuditOptions, Report, Thresholds, Timeline};
use tweetguide::client::timeline::{self as timeline_files, ProfileOverrides, TimelineFormat};
use tweetguide::client::{AtomicFile, Client};
use tweetguide::corpus::Lang;
use tweetguide::model::Model;
use tweetguide::proto::check_timeline;

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Audit through this server instead of in-process.
    #[arg(long, value_name = "URL", env = "TWEETGUIDE_SERVER")]
    addr: Option<String>,
    /// With `--addr`: how long the server may take to audit one account
    /// (connecting takes at most 10 s of it), e.g. `500ms`, `30s`, `5m`.
    #[arg(long, default_value = "30s", value_parser = super::serve::parse_duration)]
    timeout: std::time::Duration,
    /// Model file for in-process audits; the built-in model when absent.
    #[arg(long, value_name = "PATH", conflicts_with = "addr")]
    model: Option<PathBuf>,
    #[command(flatten)]
    tls: super::tls::ClientTlsArgs,
    /// An account file (Twitter API v2 JSON, JSONL, CSV), an unzipped archive
    /// folder, or a folder of such accounts.
    #[arg(long, value_name = "PATH")]
    input: PathBuf,
    /// Layout of the account files.
    #[arg(long, value_enum, default_value_t = TimelineFormat::Auto)]
    format: TimelineFormat,
    /// Evaluation time (RFC 3339); now when absent.
    #[arg(long, value_name = "RFC3339")]
    as_of: Option<DateTime<Utc>>,
    /// Language of the report.
    #[arg(long, value_parser = parse_lang, default_value = "en")]
    lang: Lang,
    /// Print each report as one JSON object per line.
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// Write an HTML report: a file for one account, a folder (one page per
    /// account) for a folder of accounts.
    #[arg(long, value_name = "PATH")]
    html: Option<PathBuf>,
    /// The account is protected (archives do not say).
    #[arg(long)]
    protected: bool,
    /// The account shows the default avatar (`true`, or the bare flag) or a
    /// picture of its own (`false`), whatever the files say. Without it, files
    /// that do not show the picture (CSV, JSONL without a profile line) leave
    /// G1 unjudged (insufficient_data).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    default_avatar: Option<bool>,
    /// Number of followers, when the files do not say.
    #[arg(long)]
    followers: Option<u64>,
    /// The account's handle, when the files do not say.
    #[arg(long)]
    handle: Option<String>,
    /// Political content is deliberate: G5 reports its figures with status pass.
    #[arg(long)]
    political_intended: bool,
    /// Override a threshold, e.g. `--threshold political_warn=0.2` (names as
    /// in the proto's `Thresholds` message; repeatable).
    #[arg(long = "threshold", value_name = "NAME=VALUE", value_parser = parse_threshold)]
    thresholds: Vec<(String, f64)>,
}

fn parse_lang(value: &str) -> Result<Lang, String> {
    value.parse::<Lang>().map_err(|e| e.to_string())
}

fn parse_threshold(value: &str) -> Result<(String, f64), String> {
    let (name, number) = value.split_once('=').ok_or("expected NAME=VALUE")?;
    let number: f64 = number.trim().parse().map_err(|_| format!("{number:?} is not a number"))?;
    Ok((name.trim().to_owned(), number))
}

fn thresholds(overrides: &[(String, f64)]) -> anyhow::Result<Thresholds> {
    let mut t = Thresholds::default();
    for (name, value) in overrides {
        let whole = || -> anyhow::Result<u32> {
            if value.fract() != 0.0 || *value < 0.0 || *value > f64::from(u32::MAX) {
                bail!("threshold {name} must be a whole number");
            }
            Ok(*value as u32)
        };
        match name.as_str() {
            "min_tweets_per_week" => t.min_tweets_per_week = *value,
            "activity_window_weeks" => t.activity_window_weeks = whole()?,
            "max_silence_days" => t.max_silence_days = *value,
            "self_promotion_warn" => t.self_promotion_warn = *value,
            "self_promotion_fail" => t.self_promotion_fail = *value,
            "political_warn" => t.political_warn = *value,
            "political_fail" => t.political_fail = *value,
            "min_tweets" => t.min_tweets = whole()?,
            other => bail!("unknown threshold {other:?}"),
        }
    }
    t.validate().map_err(|(field, reason)| anyhow::anyhow!("threshold {field}: {reason}"))?;
    Ok(t)
}

fn file_stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "report".to_owned())
}

/// Audits one account in-process, refusing what a server would.
fn audit_local(model: &Model, timeline: &Timeline, options: &AuditOptions) -> anyhow::Result<Report> {
    check_timeline(timeline, options).map_err(|reason| anyhow::anyhow!("invalid timeline: {reason}"))?;
    Ok(audit::audit(model, timeline, options))
}

/// Scores every account, in-process or through the server, reporting
/// failures as they come and carrying on.
fn score_all(
    accounts: &[PathBuf],
    args: &ScoreArgs,
    overrides: &ProfileOverrides,
    options: &AuditOptions,
) -> anyhow::Result<Vec<(PathBuf, anyhow::Result<Report>)>> {
    let bar = super::classify::progress_bar("accounts scored");
    let mut results = Vec::with_capacity(accounts.len());
    let mut record = |path: &PathBuf, result: anyhow::Result<Report>| {
        bar.inc(1);
        if let Err(error) = &result {
            let text = super::report(error);
            let shown = path.display().to_string();
            if text.contains(&shown) {
                bar.suspend(|| eprintln!("error: {text}"));
            } else {
                bar.suspend(|| eprintln!("error: {shown}: {text}"));
            }
        }
        results.push((path.clone(), result));
    };
    let read = |path: &Path| timeline_files::read_timeline(path, args.format, overrides);
    match &args.addr {
        None => {
            let model = super::load_model(args.model.as_ref())?;
            for path in accounts {
                record(path, read(path).map_err(Into::into).and_then(|t| audit_local(&model, &t, options)));
            }
        }
        Some(addr) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut client = Client::connect_within(addr, args.tls.config(addr)?.as_ref(), args.timeout).await?;
                for path in accounts {
                    let result = match read(path) {
                        Ok(timeline) => client.score_timeline(&timeline, options).await.map_err(Into::into),
                        Err(error) => Err(error.into()),
                    };
                    record(path, result);
                }
                anyhow::Ok(())
            })?;
        }
    }
    bar.finish_and_clear();
    Ok(results)
}

/// Replaces `path` with `bytes`, or leaves the previous report as it was.
fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

pub fn run(args: ScoreArgs) -> anyhow::Result<ExitCode> {
    let options = AuditOptions {
        as_of: args.as_of.unwrap_or_else(Utc::now),
        lang: args.lang,
        thresholds: thresholds(&args.thresholds)?,
        political_intended: args.political_intended,
    };
    let overrides = ProfileOverrides {
        handle: args.handle.clone(),
        protected: args.protected.then_some(true),
        default_avatar: args.default_avatar,
        followers: args.followers,
    };
    let batch = args.input.is_dir() && !timeline_files::is_archive(&args.input);
    let accounts = if batch { timeline_files::list_accounts(&args.input)? } else { vec![args.input.clone()] };
    if batch && accounts.is_empty() {
        bail!("{} holds no account file or archive folder", args.input.display());
    }
    if batch && let Some(dir) = &args.html {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }

    let results = score_all(&accounts, &args, &overrides, &options)?;

    let stdout = io::stdout();
    let mut out = stdout.lock();
    for (path, result) in &results {
        let Ok(report) = result else { continue };
        if args.json {
            serde_json::to_writer(&mut out, report)?;
            out.write_all(b"\n")?;
        } else if !batch {
            out.write_all(audit::render_text(report).as_bytes())?;
        }
        if let Some(target) = &args.html {
            let file = if batch { target.join(format!("{}.html", file_stem(path))) } else { target.clone() };
            write_whole(&file, audit::html::render_html(report).as_bytes())
                .with_context(|| format!("cannot write {}", file.display()))?;
        }
    }
    if batch && !args.json {
        let rows: Vec<Result<Report, (String, String)>> = results
            .into_iter()
            .map(|(path, r)| r.map_err(|e| (path.display().to_string(), super::report(&e))))
            .collect();
        out.write_all(audit::render_summary(&rows).as_bytes())?;
        let failed = rows.iter().filter(|r| r.is_err()).count();
        out.flush()?;
        if failed > 0 {
            eprintln!("{failed} of {} accounts could not be scored", rows.len());
            return Ok(ExitCode::from(2));
        }
        return Ok(ExitCode::SUCCESS);
    }
    out.flush()?;
    if results.iter().any(|(_, r)| r.is_err()) {
        return Ok(ExitCode::from(if batch { 2 } else { 1 }));
    }
    Ok(ExitCode::SUCCESS)
}
