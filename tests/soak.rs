//! Soak test: the real server binary under mixed traffic for a while, with
//! its resident memory sampled throughout.
//!
//! Ignored by default. `TWEETGUIDE_SOAK_SECS` sets the traffic duration
//! (default 60 s); a ten-minute run:
//!
//! ```text
//! TWEETGUIDE_SOAK_SECS=600 cargo test --release --test soak -- --ignored --nocapture
//! ```
//!
//! Concurrently, for the whole duration:
//! - 3 tasks send unary `Classify` batches (mostly 1-32 tweets, scored inline;
//!   sometimes up to 1,000, scored on the blocking pool);
//! - 1 task opens `ClassifyStream`s of 2-8 chunks; one stream in four is
//!   dropped by the client part-way (before any answer, or after some);
//! - 1 task audits realistic timelines (20-400 dated tweets of every kind)
//!   with `ScoreTimeline`;
//! - 1 task adds batches of labelled examples (new texts, repeats and
//!   relabels), and at 15 %, 40 % and 65 % of the run retrains (forced, which
//!   activates the new version), activates the previous version back, then
//!   the new one again.
//!
//! No error of any code is expected: every call must succeed, and any
//! failure or a call stuck for over a minute fails the test.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::process::ServerProcess;
use tokio::sync::mpsc;
use tweetguide::audit::{AuditOptions, Profile, Timeline, TimelineTweet, TweetKind};
use tweetguide::client::{self, AdminClient, Client};
use tweetguide::corpus::Lang;
use tweetguide::proto::v1::{
    ActivateModelRequest, AddExamplesRequest, Category, ClassifyRequest, LabelledTweet, ListModelsRequest,
    RetrainRequest, Tweet,
};

const TOKEN: &str = "soak-admin-token-5d2a91";
const MIB: u64 = 1024;

/// A call that takes longer than this counts as an error (a hang).
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Deterministic traffic
// ---------------------------------------------------------------------------

use common::rng::SplitMix64 as Rng;

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "nouveau", "menu", "réservez", "merci", "équipe", "l'offre", "découvrez", "boutique", "grève", "réforme",
    "retraites", "gouvernement", "élection", "vote", "aujourd'hui", "week-end", "soldes", "artisan", "pain",
    "café", "new", "launch", "thanks", "great", "thread", "read", "our", "shop", "today", "policy", "tax",
    "strike", "don't", "community", "event", "join", "us", "tonight", "congrats", "article", "worth", "sharing",
    "votez", "manif",
];
const TAGS: &[&str] = &["#RéformeDesRetraites", "#JO2024", "#promo", "#ShopLocal", "#Grève", "#vote", "#stop_mercosur"];
#[rustfmt::skip]
const EXTRAS: &[&str] = &[
    "@Boulangerie_Lea", "@sam_builds", "https://t.co/Xy7pQ2", "www.example.fr", "29,90 €", "-20%", "$49", "🔥",
    "👏🏽", "🇫🇷", "✊", "☕", "e\u{301}t\u{e9}", "\u{200b}", "مرحبا",
];

fn tweet_text(rng: &mut Rng) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if rng.chance(8) {
        parts.push("RT @someone:");
    }
    for _ in 0..rng.between(4, 28) {
        let part = match rng.below(10) {
            0 => rng.pick(TAGS),
            1 | 2 => rng.pick(EXTRAS),
            _ => rng.pick(WORDS),
        };
        parts.push(part);
    }
    parts.join(" ")
}

fn tweets(rng: &mut Rng, prefix: &str, count: usize) -> Vec<Tweet> {
    (0..count).map(|i| common::tweet(format!("{prefix}-{i}"), tweet_text(rng))).collect()
}

fn ids(tweets: &[Tweet]) -> Vec<String> {
    tweets.iter().map(|t| t.id.clone()).collect()
}

// ---------------------------------------------------------------------------
// Bookkeeping
// ---------------------------------------------------------------------------

#[derive(Default)]
struct Counters {
    classify: AtomicU64,
    classify_tweets: AtomicU64,
    streams: AtomicU64,
    streams_dropped: AtomicU64,
    stream_chunks: AtomicU64,
    timelines: AtomicU64,
    timeline_tweets: AtomicU64,
    add_examples: AtomicU64,
    examples: AtomicU64,
    retrain: AtomicU64,
    activate: AtomicU64,
    /// Every failure, as `kind: description`.
    errors: Mutex<Vec<String>>,
    /// Model versions that answered a call.
    versions: Mutex<HashSet<String>>,
}

impl Counters {
    fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    fn error(&self, kind: &str, what: impl std::fmt::Display) {
        let message = format!("{kind}: {what}");
        eprintln!("soak error: {message}");
        self.errors.lock().expect("errors lock").push(message);
    }

    fn version(&self, version: &str) {
        let mut versions = self.versions.lock().expect("versions lock");
        if !versions.contains(version) {
            versions.insert(version.to_owned());
        }
    }
}

/// Runs one call with a time limit; `Err` describes the failure.
async fn timed<T, E: std::fmt::Display>(call: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {CALL_TIMEOUT:?}")),
    }
}

/// Resident memory of a process, in KiB, from `/proc/<pid>/status`.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/<pid>/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

fn mib(kib: u64) -> String {
    format!("{:.1}MiB", kib as f64 / 1024.0)
}

// ---------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------

async fn classify_loop(addr: String, seed: u64, deadline: Instant, counters: Arc<Counters>) {
    let mut rng = Rng(seed);
    let mut client = Client::connect(&addr).await.expect("classify client");
    let mut call = 0u64;
    while Instant::now() < deadline {
        call += 1;
        let size = if rng.chance(5) { rng.between(33, 1000) } else { rng.between(1, 32) };
        let batch = tweets(&mut rng, &format!("c{seed}-{call}"), size);
        let expected = ids(&batch);
        let top = if rng.chance(50) { None } else { Some(rng.between(0, 20) as u32) };
        match timed(client.classify(batch, top)).await {
            Ok(response) => {
                let got: Vec<String> = response.predictions.iter().map(|p| p.id.clone()).collect();
                if got != expected {
                    counters.error("Classify", format!("{} answers for {} tweets, or out of order", got.len(), size));
                }
                counters.version(&response.model_version);
                Counters::add(&counters.classify, 1);
                Counters::add(&counters.classify_tweets, size);
            }
            Err(e) => counters.error("Classify", e),
        }
    }
}

/// One `ClassifyStream`; with `drop_after`, the client reads that many
/// answers and then drops the call (the request stream is cut too).
async fn one_stream(
    client: &mut Client,
    rng: &mut Rng,
    name: &str,
    drop_after: Option<usize>,
    chunks: usize,
    counters: &Counters,
) -> Result<(), String> {
    let requests: Vec<ClassifyRequest> = (0..chunks)
        .map(|c| {
            let size = if rng.chance(10) { rng.between(200, 2000) } else { rng.between(1, 150) };
            ClassifyRequest { tweets: tweets(rng, &format!("{name}-{c}"), size), top_features: Some(0) }
        })
        .collect();
    let expected: Vec<Vec<String>> = requests.iter().map(|r| ids(&r.tweets)).collect();
    let (tx, rx) = mpsc::channel(2);
    let sender = tokio::spawn(async move {
        for request in requests {
            if tx.send(request).await.is_err() {
                break; // the call was dropped
            }
        }
    });
    let mut answers = timed(client.classify_stream(rx)).await?;
    let wanted = drop_after.unwrap_or(chunks);
    for (chunk, expected) in expected.iter().enumerate().take(wanted) {
        let answer = timed(answers.message()).await?.ok_or_else(|| format!("stream ended at chunk {chunk}"))?;
        let got: Vec<String> = answer.predictions.iter().map(|p| p.id.clone()).collect();
        if &got != expected {
            return Err(format!("chunk {chunk}: {} answers for {} tweets, or out of order", got.len(), expected.len()));
        }
        counters.version(&answer.model_version);
        Counters::add(&counters.stream_chunks, 1);
        Counters::add(&counters.classify_tweets, got.len());
    }
    if drop_after.is_some() {
        drop(answers);
        sender.abort();
        Counters::add(&counters.streams_dropped, 1);
    } else {
        if let Some(extra) = timed(answers.message()).await? {
            return Err(format!("an answer beyond the {chunks} chunks sent ({} predictions)", extra.predictions.len()));
        }
        sender.await.map_err(|e| format!("sender task: {e}"))?;
        Counters::add(&counters.streams, 1);
    }
    Ok(())
}

async fn stream_loop(addr: String, seed: u64, deadline: Instant, counters: Arc<Counters>) {
    let mut rng = Rng(seed);
    let mut client = Client::connect(&addr).await.expect("stream client");
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let chunks = rng.between(2, 8);
        let drop_after = if rng.chance(25) { Some(rng.below(chunks)) } else { None };
        if let Err(e) = one_stream(&mut client, &mut rng, &format!("s{n}"), drop_after, chunks, &counters).await {
            counters.error("ClassifyStream", e);
        }
    }
}

fn timeline(rng: &mut Rng, n: u64) -> Timeline {
    let now = Utc::now();
    let tweets = (0..rng.between(20, 400))
        .map(|i| TimelineTweet {
            id: format!("tl{n}-{i}"),
            text: tweet_text(rng),
            // Mostly the last 20 weeks, a few undated.
            created_at: (!rng.chance(5)).then(|| now - chrono::Duration::seconds(rng.below(20 * 7 * 86_400) as i64)),
            kind: *rng.pick(&TweetKind::ALL),
        })
        .collect();
    let profile = Profile {
        handle: format!("account_{n}"),
        display_name: "Boulangerie Léa".into(),
        profile_image_url: Some("https://pbs.twimg.com/profile_images/1/logo_normal.jpg".into()),
        followers: Some(rng.below(5000) as u64),
        ..Profile::default()
    };
    Timeline { profile, tweets }
}

async fn timeline_loop(addr: String, seed: u64, deadline: Instant, counters: Arc<Counters>) {
    let mut rng = Rng(seed);
    let mut client = Client::connect(&addr).await.expect("auditor client");
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let timeline = timeline(&mut rng, n);
        let lang = if rng.chance(50) { Lang::Fr } else { Lang::En };
        let options = AuditOptions::new(Utc::now(), lang);
        match timed(client.score_timeline(&timeline, &options)).await {
            Ok(report) => {
                let count = timeline.tweets.len();
                if report.tweets.len() != count
                    || report.stats.tweets as usize != count
                    || report.stats.by_label.values().sum::<u64>() as usize != count
                    || report.overall_score > 100
                {
                    counters.error("ScoreTimeline", format!("report does not add up for {count} tweets"));
                }
                counters.version(&report.model_version);
                Counters::add(&counters.timelines, 1);
                Counters::add(&counters.timeline_tweets, count);
            }
            Err(e) => counters.error("ScoreTimeline", e),
        }
    }
}

const CATEGORIES: [Category; 3] = [Category::SelfPromotion, Category::Sharing, Category::Political];

/// Adds example batches until `deadline`; new texts mostly, sometimes the
/// previous batch again (duplicates) or relabelled.
async fn examples_loop(addr: String, seed: u64, deadline: Instant, counters: Arc<Counters>) {
    let mut rng = Rng(seed);
    let mut admin = client::connect_admin(&addr, TOKEN).await.expect("admin client");
    let mut previous: Vec<LabelledTweet> = Vec::new();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let examples: Vec<LabelledTweet> = if !previous.is_empty() && rng.chance(15) {
            let relabel = rng.chance(50);
            previous
                .iter()
                .cloned()
                .map(|mut e| {
                    if relabel {
                        e.label = CATEGORIES
                            [(CATEGORIES.iter().position(|c| *c as i32 == e.label).unwrap_or(0) + 1) % CATEGORIES.len()]
                            as i32;
                    }
                    e
                })
                .collect()
        } else {
            (0..rng.between(10, 60))
                .map(|i| LabelledTweet {
                    // The batch and index make each text new after normalisation.
                    tweet: Some(common::tweet(format!("e{n}-{i}"), format!("{} lot{n}x{i}", tweet_text(&mut rng)))),
                    label: *rng.pick(&CATEGORIES) as i32,
                    lang: rng.pick(&["fr", "en", ""]).to_string(),
                })
                .collect()
        };
        let sent = examples.len();
        match timed(admin.add_examples(AddExamplesRequest { examples: examples.clone() })).await {
            Ok(response) => {
                let r = response.into_inner();
                if (r.added + r.updated + r.duplicates) as usize != sent {
                    counters.error("AddExamples", format!("{r:?} does not account for {sent} examples"));
                }
                Counters::add(&counters.add_examples, 1);
                Counters::add(&counters.examples, sent);
            }
            Err(e) => counters.error("AddExamples", e),
        }
        previous = examples;
        tokio::time::sleep(Duration::from_millis(rng.between(100, 400) as u64)).await;
    }
}

async fn classify_version(addr: &str) -> Result<String, String> {
    let mut client = Client::connect(addr).await.map_err(|e| e.to_string())?;
    let response = timed(client.classify(vec![common::tweet("probe", "Votez dimanche !")], Some(0))).await?;
    Ok(response.model_version)
}

/// What the model changes did: a line per change, and when the last one
/// was done (since `start`).
struct Changes {
    log: Vec<String>,
    done: Duration,
}

/// Retrain at 15 % of the run, back to the previous version at 40 %, forward
/// to the new one at 65 %; each step runs late rather than not at all.
async fn model_changes(addr: String, start: Instant, duration: Duration, counters: Arc<Counters>) -> Changes {
    let mut changes = Changes { log: Vec::new(), done: Duration::ZERO };
    let log = &mut changes.log;
    let mut admin: AdminClient = client::connect_admin(&addr, TOKEN).await.expect("admin client");
    let initial = match timed(admin.list_models(ListModelsRequest {})).await {
        Ok(list) => list.into_inner().active,
        Err(e) => {
            counters.error("ListModels", e);
            return changes;
        }
    };
    let at = |fraction: f64| start + duration.mul_f64(fraction);

    tokio::time::sleep_until(at(0.15).into()).await;
    let began = Instant::now();
    let retrained = match timed(admin.retrain(RetrainRequest { force: true, tolerance: None })).await {
        Ok(response) => {
            let r = response.into_inner();
            Counters::add(&counters.retrain, 1);
            let id = r.candidate.map(|c| c.id).unwrap_or_default();
            log.push(format!(
                "retrain at {:.0}s took {:.1}s: {} (activated: {}, {})",
                (began - start).as_secs_f64(),
                began.elapsed().as_secs_f64(),
                id,
                r.activated,
                r.reason
            ));
            if !r.activated || id == initial {
                counters.error("Retrain", format!("forced retrain did not activate a new version: {}", r.reason));
            }
            id
        }
        Err(e) => {
            counters.error("Retrain", e);
            return changes;
        }
    };
    for (fraction, id) in [(0.40, &initial), (0.65, &retrained)] {
        tokio::time::sleep_until(at(fraction).into()).await;
        let began = Instant::now();
        match timed(admin.activate_model(ActivateModelRequest { id: id.clone() })).await {
            Ok(_) => {
                Counters::add(&counters.activate, 1);
                log.push(format!("activate {id} at {:.0}s", (began - start).as_secs_f64()));
                match classify_version(&addr).await {
                    Ok(version) if &version == id => {}
                    Ok(version) => counters.error("ActivateModel", format!("{version} answers after activating {id}")),
                    Err(e) => counters.error("Classify", e),
                }
            }
            Err(e) => counters.error("ActivateModel", e),
        }
    }
    let mut expected = counters.versions.lock().expect("versions lock").clone();
    expected.remove(&initial);
    expected.remove(&retrained);
    if !expected.is_empty() {
        counters.error("versions", format!("calls answered by unknown model versions {expected:?}"));
    }
    changes.done = start.elapsed();
    changes
}

// ---------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak test; run with TWEETGUIDE_SOAK_SECS=600 cargo test --release --test soak -- --ignored --nocapture"]
async fn soak_mixed_traffic_keeps_memory_bounded() {
    let secs: u64 = std::env::var("TWEETGUIDE_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    let duration = Duration::from_secs(secs.max(5));
    let warm_up = (duration / 10).clamp(Duration::from_secs(2), Duration::from_secs(30));

    let data = tempfile::tempdir().expect("data dir");
    let server = ServerProcess::start(
        &["--data-dir", data.path().to_str().expect("utf-8 path")],
        &[("TWEETGUIDE_ADMIN_TOKEN", TOKEN)],
    );
    let pid = server.child.id();
    let rss_start = rss_kib(pid);

    let counters = Arc::new(Counters::default());
    let start = Instant::now();
    let deadline = start + duration;

    // Memory, sampled every 1/120 of the run (at least every 250 ms).
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let sampling = Arc::clone(&sampling);
        let every = (duration / 120).max(Duration::from_millis(250));
        tokio::spawn(async move {
            let mut samples: Vec<(Duration, u64)> = Vec::new();
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if !sampling.load(Ordering::Relaxed) {
                    break;
                }
                samples.push((start.elapsed(), rss_kib(pid)));
            }
            samples
        })
    };

    let mut tasks = Vec::new();
    for seed in 1..=3 {
        tasks.push(tokio::spawn(classify_loop(server.addr.clone(), seed, deadline, Arc::clone(&counters))));
    }
    tasks.push(tokio::spawn(stream_loop(server.addr.clone(), 11, deadline, Arc::clone(&counters))));
    tasks.push(tokio::spawn(timeline_loop(server.addr.clone(), 21, deadline, Arc::clone(&counters))));
    tasks.push(tokio::spawn(examples_loop(server.addr.clone(), 31, deadline, Arc::clone(&counters))));
    let changes = tokio::spawn(model_changes(server.addr.clone(), start, duration, Arc::clone(&counters)));

    tokio::time::sleep(warm_up).await;
    let rss_warm = rss_kib(pid);

    for task in tasks {
        task.await.expect("traffic task");
    }
    let changes = changes.await.expect("model change task");
    let traffic = start.elapsed();
    let rss_end = rss_kib(pid);
    sampling.store(false, Ordering::Relaxed);
    let mut samples = sampler.await.expect("sampler task");
    samples.push((traffic, rss_end));

    // The steady window: the last third of the planned run once the model
    // changes are over (a slow retrain can reach into the last third), and
    // whatever ran past it; it holds at least the sample taken at the end.
    let window_start = duration.mul_f64(2.0 / 3.0).max(changes.done);
    let window: Vec<(Duration, u64)> = samples.iter().copied().filter(|(t, _)| *t >= window_start).collect();
    let last_third_max = window.iter().map(|&(_, r)| r).max().unwrap_or(rss_end);
    let middle = window_start + (traffic.saturating_sub(window_start)) / 2;
    let first_half_max = window.iter().filter(|(t, _)| *t < middle).map(|&(_, r)| r).max();
    let second_half_max = window.iter().filter(|(t, _)| *t >= middle).map(|&(_, r)| r).max().unwrap_or(rss_end);
    let rss_max = samples.iter().map(|&(_, r)| r).max().unwrap_or(rss_end).max(rss_warm);

    let c = &counters;
    let errors = c.errors.lock().expect("errors lock").clone();
    for line in &changes.log {
        println!("soak: {line}");
    }
    let trace: Vec<String> =
        samples.iter().map(|(t, r)| format!("{:.0}s:{:.0}", t.as_secs_f64(), *r as f64 / 1024.0)).collect();
    println!("soak: rss trace (MiB): {}", trace.join(" "));
    println!(
        "soak summary: {:.0}s traffic ({}s planned): classify={} stream={} (chunks={}, dropped={}) \
         score_timeline={} (tweets={}) add_examples={} (examples={}) retrain={} activate={} \
         tweets_classified={} errors={} | rss start={} warm={} (after {}s) end={} max={} last_third_max={} \
         (window from {:.0}s, {} of {} samples)",
        traffic.as_secs_f64(),
        duration.as_secs(),
        Counters::get(&c.classify),
        Counters::get(&c.streams) + Counters::get(&c.streams_dropped),
        Counters::get(&c.stream_chunks),
        Counters::get(&c.streams_dropped),
        Counters::get(&c.timelines),
        Counters::get(&c.timeline_tweets),
        Counters::get(&c.add_examples),
        Counters::get(&c.examples),
        Counters::get(&c.retrain),
        Counters::get(&c.activate),
        Counters::get(&c.classify_tweets) + Counters::get(&c.timeline_tweets),
        errors.len(),
        mib(rss_start),
        mib(rss_warm),
        warm_up.as_secs(),
        mib(rss_end),
        mib(rss_max),
        mib(last_third_max),
        window_start.as_secs_f64(),
        window.len(),
        samples.len(),
    );

    // Every call succeeded: no status code at all is expected.
    assert!(errors.is_empty(), "{} errors, first ones: {:#?}", errors.len(), &errors[..errors.len().min(20)]);
    assert_eq!(Counters::get(&c.retrain), 1, "one retrain");
    assert_eq!(Counters::get(&c.activate), 2, "two activations");
    for (name, counter) in [
        ("Classify", &c.classify),
        ("ClassifyStream", &c.streams),
        ("ScoreTimeline", &c.timelines),
        ("AddExamples", &c.add_examples),
    ] {
        assert!(Counters::get(counter) > 0, "no {name} call completed");
    }
    if duration >= Duration::from_secs(20) {
        assert!(Counters::get(&c.streams_dropped) > 0, "no stream was dropped part-way");
    }

    // Memory bounds.
    //
    // 1. Every sample, the retrain's peak included, stays under 256 MiB.
    //
    // 2. In the steady window, RSS stays within max(1.5x, +64 MiB) of the RSS
    //    after warm-up. After warm-up the RSS holds the model, the runtime,
    //    the threads that ran and their scratch buffers. What legitimately
    //    comes on top is the retrain's doing: a second model (a few MiB for
    //    ~50k features) and, above all, memory glibc keeps. A retrain fills a
    //    dense row of the vocabulary per class and copies of the model's
    //    statistics (a few MiB each) and frees them; glibc
    //    then raises its mmap threshold to the largest freed block (up to
    //    32 MiB) and its trim threshold to twice that, so request buffers that
    //    were mmapped and unmapped before now come from the arenas, and up to
    //    64 MiB of free memory may stay resident at the top of an arena.
    //    Measured in debug: +23 to +45 MiB after a retrain with glibc's
    //    defaults, +12 MiB with `MALLOC_MMAP_THRESHOLD_` fixed. The 1.5x
    //    covers a larger baseline (a bigger model).
    //
    // 3. Within the steady window RSS does not grow: the max of its second
    //    half is within 16 MiB of the max of its first half. The traffic mix
    //    there is the one of the minutes before, so only allocator jitter
    //    remains (a few MiB); a leak per call or per dropped stream, at
    //    thousands of calls a minute, shows as steady growth. Check 2 alone
    //    would let a slow leak hide in its 64 MiB.
    assert!(rss_max < 256 * MIB, "resident memory reached {}", mib(rss_max));
    let limit = (rss_warm * 3 / 2).max(rss_warm + 64 * MIB);
    assert!(
        last_third_max <= limit,
        "memory grew: {} in the last third, over {} (after warm-up: {})",
        mib(last_third_max),
        mib(limit),
        mib(rss_warm)
    );
    if let Some(first_half_max) = first_half_max {
        assert!(
            second_half_max <= first_half_max + 16 * MIB,
            "memory still growing at the end: {} in the second half of the steady window, {} in the first",
            mib(second_half_max),
            mib(first_half_max)
        );
    }

    // Still healthy: it stops cleanly and logged no panic.
    let log = Arc::clone(&server.log);
    let status = tokio::task::spawn_blocking(move || server.signal_and_wait("TERM")).await.expect("stop");
    assert!(status.success(), "server exit status {status}");
    let log = log.lock().expect("log lock");
    let panics: Vec<&String> = log.iter().filter(|l| l.contains("panicked")).collect();
    assert!(panics.is_empty(), "the server panicked: {panics:?}");
}
