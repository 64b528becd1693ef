//! The report as plain text for a terminal, and the one-line-per-account
//! summary table of a batch.

use std::fmt::Write;

use super::report::{GuidelineId, GuidelineResult, Report, Status};
use crate::Label;
use crate::corpus::Lang;

fn status_text(status: Status, lang: Lang) -> &'static str {
    match (status, lang) {
        (Status::Pass, Lang::En) => "PASS",
        (Status::Warn, Lang::En) => "WARN",
        (Status::Fail, Lang::En) => "FAIL",
        (Status::InsufficientData, Lang::En) => "N/A",
        (Status::Pass, Lang::Fr) => "OK",
        (Status::Warn, Lang::Fr) => "ATTENTION",
        (Status::Fail, Lang::Fr) => "ÉCHEC",
        (Status::InsufficientData, Lang::Fr) => "N/D",
    }
}

/// Whole percents, rounded half away from zero like the advice's.
fn percent(value: f64) -> String {
    format!("{}%", (value * 100.0).round())
}

/// The measured value against its threshold, in a few words.
fn measure(g: &GuidelineResult, report: &Report) -> String {
    let fr = report.lang == Lang::Fr;
    match (g.id, g.value) {
        (_, None) => String::new(),
        (GuidelineId::G1, Some(v)) => match (v > 0.0, fr) {
            (true, false) => "default avatar".into(),
            (false, false) => "custom avatar".into(),
            (true, true) => "avatar par défaut".into(),
            (false, true) => "avatar personnalisé".into(),
        },
        (GuidelineId::G2, Some(v)) => match (v > 0.0, fr) {
            (true, false) => "protected".into(),
            (false, false) => "public".into(),
            (true, true) => "protégé".into(),
            (false, true) => "public".into(),
        },
        (GuidelineId::G3, Some(v)) => {
            let min = g.threshold.warn.unwrap_or_default();
            let last = report.stats.days_since_newest.map(f64::floor);
            match (fr, last) {
                (false, Some(d)) => format!("{v:.1} tweets/week (min {min:.1}), last tweet {d} day{} ago", plural(d)),
                (false, None) => format!("{v:.1} tweets/week (min {min:.1})"),
                (true, Some(d)) => {
                    format!("{v:.1} tweets/semaine (min {min:.1}), dernier il y a {d} jour{}", plural(d))
                }
                (true, None) => format!("{v:.1} tweets/semaine (min {min:.1})"),
            }
        }
        (GuidelineId::G4 | GuidelineId::G5, Some(v)) => {
            let what = match (g.id, fr) {
                (GuidelineId::G4, false) => "self-promotion",
                (GuidelineId::G4, true) => "autopromotion",
                (_, false) => "political",
                (_, true) => "politique",
            };
            let warn = g.threshold.warn.map(percent).unwrap_or_default();
            let share = match g.interval {
                Some(i) => format!("{} ({}\u{2013}{})", percent(v), (i.low * 100.0).round(), percent(i.high)),
                None => percent(v),
            };
            let borderline = match (g.borderline, fr) {
                (false, _) => "",
                (true, false) => ", borderline",
                (true, true) => ", limite",
            };
            format!("{share} {what} (warn > {warn}, fail > {}){borderline}", percent(g.threshold.fail))
        }
    }
}

fn plural(count: f64) -> &'static str {
    if count >= 2.0 { "s" } else { "" }
}

/// A short, single-line excerpt of a tweet.
fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 90 { flat } else { format!("{}…", flat.chars().take(89).collect::<String>()) }
}

/// The full report for a terminal.
pub fn render_text(report: &Report) -> String {
    let fr = report.lang == Lang::Fr;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "@{}  score {}/100  ({} {}, model {})",
        report.handle,
        report.overall_score,
        if fr { "au" } else { "as of" },
        report.as_of.format("%Y-%m-%d %H:%M UTC"),
        report.model_version
    );
    // The mix of predicted labels, as the HTML report's charts show it; G4
    // and G5 below give the estimated shares.
    let share = |l| report.stats.label_shares.get(&l).copied().unwrap_or(0.0);
    let _ = writeln!(
        out,
        "{} tweets  ·  {} self_promotion {}  sharing {}  political {}",
        report.stats.tweets,
        if fr { "classés" } else { "classified" },
        percent(share(Label::SelfPromotion)),
        percent(share(Label::Sharing)),
        percent(share(Label::Political)),
    );
    out.push('\n');
    for g in &report.guidelines {
        let _ = writeln!(
            out,
            "  {}  {:<26} {:<10} {}",
            g.id.as_str(),
            g.title,
            status_text(g.status, report.lang),
            measure(g, report)
        );
    }
    out.push('\n');
    for g in &report.guidelines {
        let _ = writeln!(out, "{} {}", g.id.as_str(), g.advice);
        if let Some(note) = &g.note {
            let _ = writeln!(out, "   ({note})");
        }
        if matches!(g.status, Status::Warn | Status::Fail) {
            for id in g.evidence.iter().take(3) {
                if let Some(tweet) = report.tweets.iter().find(|t| &t.id == id) {
                    let _ = writeln!(out, "   · [{}] {}", tweet.id, excerpt(&tweet.text));
                }
            }
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "\n{} {note}", if fr { "Note :" } else { "Note:" });
    }
    out
}

/// One row per account, one column per guideline.
pub fn render_summary(rows: &[Result<Report, (String, String)>]) -> String {
    let width = rows
        .iter()
        .map(|r| match r {
            Ok(report) => report.handle.chars().count() + 1,
            Err((name, _)) => name.chars().count(),
        })
        .max()
        .unwrap_or(7)
        .max(7);
    let mut out =
        format!("{:<width$}  {:>5}  {:<6}{:<6}{:<6}{:<6}{:<6}\n", "account", "score", "G1", "G2", "G3", "G4", "G5");
    for row in rows {
        match row {
            Ok(report) => {
                let _ = write!(out, "{:<width$}  {:>5}  ", format!("@{}", report.handle), report.overall_score);
                for g in &report.guidelines {
                    // A borderline verdict is marked with a trailing "?".
                    let status = g.status.as_str().replace("insufficient_data", "n/a");
                    let status = if g.borderline { format!("{status}?") } else { status };
                    let _ = write!(out, "{status:<6}");
                }
                out.push('\n');
            }
            Err((name, error)) => {
                let _ = writeln!(out, "{name:<width$}  error: {error}");
            }
        }
    }
    out
}
