//! The audit as one self-contained HTML page: a scorecard of the five
//! guidelines, inline SVG charts of the timeline and the tweets behind each
//! verdict. No external assets and no scripts: the page can be mailed, opened
//! offline or printed as it is.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use super::{GuidelineId, GuidelineResult, Interval, Report, Status, TweetKind, TweetResult, WeekBucket};
use crate::Label;
use crate::corpus::Lang;

/// Most evidence tweets shown per guideline.
const MAX_EVIDENCE: usize = 5;

/// Renders a report as one self-contained HTML page (no external assets, no scripts required).
pub fn render_html(report: &Report) -> String {
    let lang = report.lang;
    let ui = Ui::for_lang(lang);
    let colon = ui.colon;
    let handle = display_handle(&report.handle);
    let mut out = String::with_capacity(32 * 1024);

    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} {handle} · {date}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main class=\"page\">\n",
        lang = lang.as_str(),
        title = ui.doc_title,
        handle = esc(&handle),
        date = esc(&long_date(report.as_of.date_naive(), lang)),
    );

    header(&mut out, report, ui, &handle);
    scorecard(&mut out, report, ui);
    notes(&mut out, report, ui);
    label_mix_over_time(&mut out, report, ui);
    weekly_activity(&mut out, report, ui);
    overall_mix(&mut out, report, ui);
    evidence(&mut out, report, ui);

    let _ = write!(
        out,
        "<footer class=\"foot\">{generated} · {model}{colon} <code>{version}</code></footer>\n</main>\n</body>\n</html>\n",
        generated = ui.generated_by,
        model = ui.model,
        version = esc(&report.model_version),
    );
    out
}

/// Escapes text for HTML element content and quoted attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------

fn header(out: &mut String, report: &Report, ui: &Ui, handle: &str) {
    let colon = ui.colon;
    let lang = report.lang;
    let stats = &report.stats;
    let judged = report.guidelines.iter().any(|g| g.status != Status::InsufficientData);

    out.push_str("<header class=\"hero\">\n<div class=\"who\">\n");
    let _ = writeln!(out, "<p class=\"eyebrow\">{}</p>", ui.doc_title);
    let _ = writeln!(out, "<h1>{}</h1>", esc(handle));
    let followers = match report.followers {
        Some(n) => format!("{} {}", group_thousands(n, lang), if n == 1 { ui.follower } else { ui.followers }),
        None => ui.followers_unknown.to_owned(),
    };
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} <time datetime=\"{}\">{}</time> · {}</p>",
        ui.evaluated_on,
        report.as_of.format("%Y-%m-%dT%H:%M:%SZ"),
        esc(&date_time(report.as_of, lang)),
        esc(&followers),
    );

    // Status tally.
    out.push_str("<ul class=\"tally\">");
    for status in [Status::Pass, Status::Warn, Status::Fail, Status::InsufficientData] {
        let count = report.guidelines.iter().filter(|g| g.status == status).count();
        if count > 0 {
            let look = StatusLook::of(status, ui);
            let _ = write!(
                out,
                "<li class=\"badge {}\"><span aria-hidden=\"true\">{}</span> {} × {}</li>",
                look.class, look.icon, look.text, count
            );
        }
    }
    out.push_str("</ul>\n");

    // Key figures of the timeline.
    out.push_str("<dl class=\"facts\">");
    let _ = write!(out, "<div><dt>{}</dt><dd>{}</dd></div>", ui.tweets_analysed, group_thousands(stats.tweets, lang));
    if let (Some(oldest), Some(newest)) = (stats.oldest, stats.newest) {
        let _ = write!(
            out,
            "<div><dt>{}</dt><dd>{} – {}</dd></div>",
            ui.period,
            esc(&long_date(oldest.date_naive(), lang)),
            esc(&long_date(newest.date_naive(), lang))
        );
    }
    if stats.undated > 0 {
        let _ = write!(out, "<div><dt>{}</dt><dd>{}</dd></div>", ui.undated, group_thousands(stats.undated, lang));
    }
    if let Some(gap) = stats.longest_gap_days {
        let _ = write!(out, "<div><dt>{}</dt><dd>{}</dd></div>", ui.longest_gap, esc(&days(gap, lang, ui)));
    }
    if stats.activity_window_weeks > 0 {
        let _ = write!(
            out,
            "<div><dt>{}</dt><dd>{} {}</dd></div>",
            ui.activity_window,
            stats.activity_window_weeks,
            if stats.activity_window_weeks == 1 { ui.week } else { ui.weeks }
        );
    }
    out.push_str("</dl>\n");
    let _ = writeln!(out, "<p class=\"small\">{}{colon} <code>{}</code></p>", ui.model, esc(&report.model_version));
    out.push_str("</div>\n");

    // Score gauge.
    let score = f64::from(report.overall_score.min(100));
    let (class, color, verdict) = if !judged {
        ("na", GREY, ui.score_none)
    } else if score >= 75.0 {
        ("pass", GREEN, ui.score_good)
    } else if score >= 50.0 {
        ("warn", AMBER, ui.score_fair)
    } else {
        ("fail", RED, ui.score_poor)
    };
    let shown = if judged { report.overall_score.min(100).to_string() } else { "–".to_owned() };
    let circumference = 2.0 * std::f64::consts::PI * 52.0;
    let filled = if judged { circumference * score / 100.0 } else { 0.0 };
    let _ = write!(
        out,
        "<div class=\"score {class}\">\n<svg class=\"gauge\" viewBox=\"0 0 120 120\" role=\"img\" aria-label=\"{label}{colon} {shown}/100\">\
         <circle cx=\"60\" cy=\"60\" r=\"52\" fill=\"none\" stroke=\"#e3e6ea\" stroke-width=\"12\"/>\
         <circle cx=\"60\" cy=\"60\" r=\"52\" fill=\"none\" stroke=\"{color}\" stroke-width=\"12\" \
         stroke-dasharray=\"{filled:.2} {circumference:.2}\" transform=\"rotate(-90 60 60)\"/>\
         <text x=\"60\" y=\"64\" text-anchor=\"middle\" font-size=\"34\" font-weight=\"700\" fill=\"#1f2328\">{shown}</text>\
         <text x=\"60\" y=\"84\" text-anchor=\"middle\" font-size=\"12\" fill=\"#57606a\">/ 100</text></svg>\n\
         <p class=\"score-label\">{label}</p>\n<p class=\"score-verdict\">{verdict}</p>\n</div>\n</header>\n",
        label = ui.overall_score,
    );
}

fn scorecard(out: &mut String, report: &Report, ui: &Ui) {
    let colon = ui.colon;
    let _ = writeln!(out, "<section>\n<h2>{}</h2>\n<div class=\"cards\">", ui.scorecard);
    for g in &report.guidelines {
        let look = StatusLook::of(g.status, ui);
        let _ = write!(
            out,
            "<article class=\"card {class}\" id=\"{id}\">\n<div class=\"card-head\"><span class=\"gid\">{id}</span>\
             <span class=\"badge {class}\"><span aria-hidden=\"true\">{icon}</span> {text}</span>{borderline}</div>\n\
             <h3>{title}</h3>\n",
            class = look.class,
            id = g.id.as_str(),
            icon = look.icon,
            text = look.text,
            title = esc(&g.title),
            borderline = if g.borderline {
                format!(
                    " <span class=\"badge borderline\"><span aria-hidden=\"true\">\u{2248}</span> {}</span>",
                    ui.borderline
                )
            } else {
                String::new()
            },
        );
        let _ = writeln!(
            out,
            "<dl class=\"kv\"><div><dt>{}</dt><dd class=\"value\">{}</dd></div><div><dt>{}</dt><dd>{}</dd></div></dl>",
            ui.measured,
            esc(&measured(g, report, ui)),
            ui.threshold,
            esc(&threshold(g, report.lang, ui)),
        );
        if matches!(g.id, GuidelineId::G4 | GuidelineId::G5) {
            meter(out, g, ui, report.lang);
        }
        let _ = writeln!(out, "<p class=\"advice\">{}</p>", esc(&g.advice));
        if let Some(note) = &g.note {
            let _ = writeln!(out, "<p class=\"note\"><strong>{}{colon}</strong> {}</p>", ui.note, esc(note));
        }
        out.push_str("</article>\n");
    }
    if report.guidelines.is_empty() {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>", ui.no_guidelines);
    }
    out.push_str("</div>\n</section>\n");
}

fn notes(out: &mut String, report: &Report, ui: &Ui) {
    if report.notes.is_empty() {
        return;
    }
    let _ = write!(out, "<aside class=\"callout\" role=\"note\">\n<h2>{}</h2>\n<ul>", ui.notes);
    for note in &report.notes {
        let _ = write!(out, "<li>{}</li>", esc(note));
    }
    out.push_str("</ul>\n</aside>\n");
}

fn label_mix_over_time(out: &mut String, report: &Report, ui: &Ui) {
    let _ = writeln!(out, "<section>\n<h2>{}</h2>", ui.mix_over_time);
    let weeks = &report.stats.weekly;
    if weeks.is_empty() {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>\n</section>", ui.no_weekly);
        return;
    }
    let series: Vec<Series> = Label::ALL
        .into_iter()
        .map(|label| Series {
            name: label_name(label, ui),
            color: label_color(label),
            values: weeks.iter().map(|w| w.by_label.get(&label).copied().unwrap_or(0)).collect(),
        })
        .collect();
    weekly_chart(out, weeks, &series, None, ui.mix_over_time, report.lang, ui);
    out.push_str("<ul class=\"legend\">");
    for label in Label::ALL {
        let _ = write!(
            out,
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{}</li>",
            label_color(label),
            label_name(label, ui)
        );
    }
    let _ = writeln!(out, "</ul>\n<p class=\"caption\">{}</p>\n</section>", ui.weeks_caption);
}

fn weekly_activity(out: &mut String, report: &Report, ui: &Ui) {
    let colon = ui.colon;
    let _ = writeln!(out, "<section>\n<h2>{}</h2>", ui.activity);
    let weeks = &report.stats.weekly;
    if weeks.is_empty() {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>\n</section>", ui.no_weekly);
        return;
    }
    let series = [Series {
        name: ui.tweets,
        color: ACTIVITY,
        values: weeks.iter().map(|w| w.by_label.values().sum()).collect(),
    }];
    let target = report
        .guidelines
        .iter()
        .find(|g| g.id == GuidelineId::G3)
        .and_then(|g| g.threshold.warn)
        .filter(|v| v.is_finite() && *v > 0.0);
    let target_text = target.map(|v| format!("{} {} {}", ui.g3_target, fmt_num(v, 1, report.lang), ui.per_week));
    let reference = target.zip(target_text.as_deref());
    weekly_chart(out, weeks, &series, reference, ui.activity, report.lang, ui);
    let _ = write!(
        out,
        "<ul class=\"legend\"><li><span class=\"swatch\" style=\"background:{ACTIVITY}\"></span>{}</li>",
        ui.tweets_per_week
    );
    if let Some(text) = &target_text {
        let _ = write!(out, "<li><span class=\"swatch line\"></span>{}</li>", esc(text));
    }
    let _ = writeln!(
        out,
        "</ul>\n<p class=\"caption\">{} {}{colon} {} {}.</p>\n</section>",
        ui.weeks_caption,
        ui.average,
        fmt_num(report.stats.tweets_per_week, 1, report.lang),
        ui.per_week
    );
}

fn overall_mix(out: &mut String, report: &Report, ui: &Ui) {
    let colon = ui.colon;
    let lang = report.lang;
    let stats = &report.stats;
    let _ = writeln!(out, "<section>\n<h2>{}</h2>\n<div class=\"two\">\n<div>", ui.overall_mix);
    let _ = writeln!(out, "<h3>{}</h3>", ui.labels_heading);
    if stats.tweets == 0 {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>", ui.no_tweets);
    } else {
        let segments: Vec<(Label, f64)> = Label::ALL
            .into_iter()
            .map(|label| (label, clean_share(stats.label_shares.get(&label).copied().unwrap_or(0.0))))
            .collect();
        let total: f64 = segments.iter().map(|(_, s)| s).sum();
        let scale = if total > 1.0 { 1.0 / total } else { 1.0 };
        let _ = write!(
            out,
            "<svg class=\"mixbar\" viewBox=\"0 0 500 40\" role=\"img\" aria-label=\"{}\"><title>{}</title>\
             <rect x=\"0\" y=\"0\" width=\"500\" height=\"40\" rx=\"5\" fill=\"#eef0f3\"/>",
            ui.labels_heading, ui.labels_heading
        );
        let mut x = 0.0;
        for (label, share) in &segments {
            let width = share * scale * 500.0;
            if width <= 0.0 {
                continue;
            }
            let pct = fmt_pct(*share, 1, lang);
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"0\" width=\"{width:.1}\" height=\"40\" fill=\"{}\"><title>{}{colon} {}</title></rect>",
                label_color(*label),
                label_name(*label, ui),
                esc(&pct)
            );
            if width >= 44.0 {
                let _ = write!(
                    out,
                    "<text x=\"{:.1}\" y=\"25\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"600\" fill=\"{}\">{}</text>",
                    x + width / 2.0,
                    label_text_color(*label),
                    esc(&pct)
                );
            }
            x += width;
        }
        out.push_str("</svg>\n<table class=\"mix\"><tbody>");
        for (label, share) in &segments {
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><span class=\"swatch\" style=\"background:{}\"></span>{}</th><td>{}</td><td>{}</td></tr>",
                label_color(*label),
                label_name(*label, ui),
                group_thousands(stats.by_label.get(label).copied().unwrap_or(0), lang),
                esc(&fmt_pct(*share, 1, lang))
            );
        }
        out.push_str("</tbody></table>\n");
    }
    let _ = writeln!(out, "</div>\n<div>\n<h3>{}</h3>", ui.kinds_heading);
    if stats.tweets == 0 {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>", ui.no_tweets);
    } else {
        let _ = write!(
            out,
            "<table class=\"kinds\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            ui.kind, ui.tweets, ui.share
        );
        for kind in TweetKind::ALL {
            let share = clean_share(stats.kind_shares.get(&kind).copied().unwrap_or(0.0));
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td><span class=\"kbar\"><span style=\"width:{:.1}%\"></span></span> {}</td></tr>",
                kind_name(kind, ui),
                group_thousands(stats.by_kind.get(&kind).copied().unwrap_or(0), lang),
                share * 100.0,
                esc(&fmt_pct(share, 1, lang))
            );
        }
        out.push_str("</tbody></table>\n");
        let _ = writeln!(out, "<p class=\"caption\">{}</p>", ui.kinds_caption);
    }
    out.push_str("</div>\n</div>\n</section>\n");
}

fn evidence(out: &mut String, report: &Report, ui: &Ui) {
    let lang = report.lang;
    let _ = writeln!(out, "<section>\n<h2>{}</h2>", ui.evidence);
    let by_id: HashMap<&str, &TweetResult> = report.tweets.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut any = false;
    for g in report.guidelines.iter().filter(|g| !g.evidence.is_empty()) {
        any = true;
        let look = StatusLook::of(g.status, ui);
        let _ = write!(
            out,
            "<div class=\"evidence\">\n<h3><span class=\"gid\">{}</span> {} <span class=\"badge {}\"><span aria-hidden=\"true\">{}</span> {}</span></h3>\n<ol class=\"tweets\">",
            g.id.as_str(),
            esc(&g.title),
            look.class,
            look.icon,
            look.text
        );
        for id in g.evidence.iter().take(MAX_EVIDENCE) {
            match by_id.get(id.as_str()) {
                Some(tweet) => tweet_item(out, tweet, ui, lang),
                None => {
                    let _ =
                        write!(out, "<li class=\"tweet missing\">{} <code>{}</code></li>", ui.missing_tweet, esc(id));
                }
            }
        }
        out.push_str("</ol>\n");
        let hidden = g.evidence.len().saturating_sub(MAX_EVIDENCE);
        if hidden > 0 {
            let _ = writeln!(
                out,
                "<p class=\"caption\">+ {} {}</p>",
                hidden,
                if hidden == 1 { ui.more_tweet } else { ui.more_tweets }
            );
        }
        out.push_str("</div>\n");
    }
    if !any {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>", ui.no_evidence);
    }
    out.push_str("</section>\n");
}

fn tweet_item(out: &mut String, tweet: &TweetResult, ui: &Ui, lang: Lang) {
    let probability = tweet.probabilities.get(&tweet.label).copied();
    let _ = write!(
        out,
        "<li class=\"tweet\"><p class=\"tweet-text\">{}</p><p class=\"tweet-meta\">\
         <span class=\"chip\"><span class=\"swatch\" style=\"background:{}\"></span>{}</span>",
        esc(&tweet.text),
        label_color(tweet.label),
        label_name(tweet.label, ui)
    );
    if let Some(p) = probability {
        let _ = write!(out, "<span>{} {}</span>", ui.probability, esc(&fmt_pct(clean_share(p), 0, lang)));
    }
    let _ = write!(out, "<span>{}</span>", kind_name(tweet.kind, ui));
    match tweet.created_at {
        Some(at) => {
            let _ = write!(
                out,
                "<time datetime=\"{}\">{}</time>",
                at.format("%Y-%m-%dT%H:%M:%SZ"),
                esc(&date_time(at, lang))
            );
        }
        None => {
            let _ = write!(out, "<span>{}</span>", ui.no_date);
        }
    }
    let _ = write!(out, "<span class=\"tid\">#{}</span></p></li>", esc(&tweet.id));
}

// ---------------------------------------------------------------------------
// Guideline figures
// ---------------------------------------------------------------------------

/// The measured value, in words (plain text, escaped by the caller).
fn measured(g: &GuidelineResult, report: &Report, ui: &Ui) -> String {
    let colon = ui.colon;
    let lang = report.lang;
    let yes_no = |v: f64| if v >= 0.5 { ui.yes } else { ui.no };
    match g.id {
        GuidelineId::G1 => match g.value {
            Some(v) => format!("{}{colon} {}", ui.default_avatar, yes_no(v)),
            None => ui.not_measured.to_owned(),
        },
        GuidelineId::G2 => match g.value {
            Some(v) => format!("{}{colon} {}", ui.protected, yes_no(v)),
            None => ui.not_measured.to_owned(),
        },
        GuidelineId::G3 => {
            let rate = match g.value {
                Some(v) => format!("{} {}", fmt_num_fixed(v, 1, lang), ui.per_week),
                None => ui.not_measured.to_owned(),
            };
            let last = match report.stats.days_since_newest {
                Some(d) if d.is_finite() && d < 1.0 => ui.last_tweet_today.to_owned(),
                Some(d) if d.is_finite() => format!("{} {}{}", ui.last_tweet, days(d, lang, ui), ui.ago),
                _ => ui.no_dated_tweet.to_owned(),
            };
            format!("{rate} · {last}")
        }
        GuidelineId::G4 => match g.value {
            Some(v) => format!("{} {}", share_with_interval(v, g.interval, lang), ui.of_self_promotion),
            None => ui.not_measured.to_owned(),
        },
        GuidelineId::G5 => match g.value {
            Some(v) => format!("{} {}", share_with_interval(v, g.interval, lang), ui.of_political),
            None => ui.not_measured.to_owned(),
        },
    }
}

/// "34% (27–41%)": the estimate and its 90% interval, in whole percents.
/// Whole percents are rounded half away from zero, like the advice's.
fn share_with_interval(share: f64, interval: Option<Interval>, lang: Lang) -> String {
    let whole = |share: f64| (clean_share(share) * 100.0).round();
    let point = fmt_pct(whole(share) / 100.0, 0, lang);
    match interval {
        Some(i) => {
            format!("{point} ({}\u{2013}{})", fmt_num(whole(i.low), 0, lang), fmt_pct(whole(i.high) / 100.0, 0, lang))
        }
        None => point,
    }
}

/// The threshold, in words (plain text, escaped by the caller).
fn threshold(g: &GuidelineResult, lang: Lang, ui: &Ui) -> String {
    let t = g.threshold;
    match g.id {
        GuidelineId::G1 => ui.g1_threshold.to_owned(),
        GuidelineId::G2 => ui.g2_threshold.to_owned(),
        GuidelineId::G3 => {
            let fail = format!("{} {} {}", ui.fail_after, fmt_num(t.fail, 1, lang), ui.days_without);
            match t.warn {
                Some(w) => format!("{} {} {}{}{}", ui.warn_below, fmt_num(w, 1, lang), ui.per_week, ui.list_sep, fail),
                None => capitalise(&fail),
            }
        }
        GuidelineId::G4 | GuidelineId::G5 => {
            let what = if g.id == GuidelineId::G4 { ui.of_self_promotion } else { ui.of_political };
            let fail = format!("{} {} {}", ui.fail_above, fmt_pct(t.fail, 1, lang), what);
            match t.warn {
                Some(w) => format!("{} {}{}{}", ui.warn_above, fmt_pct(w, 1, lang), ui.list_sep, fail),
                None => capitalise(&fail),
            }
        }
    }
}

/// A 0–100 % meter with the pass, warn and fail bands and the measured share.
fn meter(out: &mut String, g: &GuidelineResult, ui: &Ui, lang: Lang) {
    let fail = clean_share(g.threshold.fail);
    let warn = g.threshold.warn.map(clean_share).unwrap_or(fail).min(fail);
    let x = |share: f64| share * 300.0;
    let _ = write!(
        out,
        "<svg class=\"meter\" viewBox=\"0 -2 300 30\" role=\"img\" aria-label=\"{}\">\
         <rect x=\"0\" y=\"4\" width=\"{:.1}\" height=\"10\" fill=\"{GREEN_BG}\"/>\
         <rect x=\"{:.1}\" y=\"4\" width=\"{:.1}\" height=\"10\" fill=\"{AMBER_BG}\"/>\
         <rect x=\"{:.1}\" y=\"4\" width=\"{:.1}\" height=\"10\" fill=\"{RED_BG}\"/>\
         <rect x=\"0\" y=\"4\" width=\"300\" height=\"10\" fill=\"none\" stroke=\"#c9ced6\"/>\
         <text x=\"0\" y=\"26\" font-size=\"9\" fill=\"#57606a\">0</text>\
         <text x=\"300\" y=\"26\" font-size=\"9\" fill=\"#57606a\" text-anchor=\"end\">100{}</text>",
        esc(&threshold(g, lang, ui)),
        x(warn),
        x(warn),
        x(fail - warn),
        x(fail),
        x(1.0 - fail),
        if lang == Lang::Fr { "\u{a0}%" } else { "%" },
    );
    if let Some(i) = g.interval {
        let (low, high) = (x(clean_share(i.low)), x(clean_share(i.high)));
        let _ = write!(
            out,
            "<path class=\"interval\" d=\"M{low:.1} 9 H{high:.1} M{low:.1} 5 V13 M{high:.1} 5 V13\" \
             stroke=\"#1f2328\" stroke-width=\"1.5\" fill=\"none\"><title>{}</title></path>",
            esc(&share_with_interval(g.value.unwrap_or_default(), Some(i), lang))
        );
    }
    if let Some(v) = g.value.filter(|v| v.is_finite()) {
        let vx = x(clean_share(v));
        let _ = write!(
            out,
            "<path d=\"M{:.1} 15 l-5 -13 h10 z\" fill=\"#1f2328\"><title>{}</title></path>",
            vx,
            esc(&fmt_pct(v, 1, lang))
        );
    }
    out.push_str("</svg>\n");
}

// ---------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------

struct Series<'a> {
    name: &'a str,
    color: &'static str,
    values: Vec<u64>,
}

/// Stacked weekly bars, with an optional dashed reference line.
fn weekly_chart(
    out: &mut String,
    weeks: &[WeekBucket],
    series: &[Series<'_>],
    reference: Option<(f64, &str)>,
    title: &str,
    lang: Lang,
    ui: &Ui,
) {
    let colon = ui.colon;
    const W: f64 = 1000.0;
    const H: f64 = 300.0;
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 18.0;
    const BOTTOM: f64 = 52.0;
    let n = weeks.len();
    if n == 0 {
        return;
    }
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let base = TOP + plot_h;
    let value = |s: &Series<'_>, i: usize| s.values.get(i).copied().unwrap_or(0);
    let totals: Vec<u64> = (0..n).map(|i| series.iter().map(|s| value(s, i)).sum()).collect();
    let max_total = totals.iter().copied().max().unwrap_or(0) as f64;
    let reference = reference.filter(|(v, _)| v.is_finite() && *v > 0.0);
    let raw = max_total.max(reference.map_or(0.0, |(v, _)| v * 1.15)).max(1.0);
    let step = nice_step(raw / 4.0).max(1.0);
    let ticks = (raw / step).ceil().max(1.0);
    let top = ticks * step;
    let y = |v: f64| base - v / top * plot_h;

    let _ = writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = esc(title)
    );
    // Grid and y labels.
    for k in 0..=(ticks as u32) {
        let v = f64::from(k) * step;
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"13\" fill=\"#57606a\">{}</text>",
            W - RIGHT,
            if k == 0 { "#8c959f" } else { "#e6e9ed" },
            LEFT - 8.0,
            y(v) + 4.0,
            fmt_num(v, 1, lang),
            y = y(v),
        );
    }
    // Bars.
    let slot = plot_w / n as f64;
    let bar_w = slot * 0.8;
    for (i, week) in weeks.iter().enumerate() {
        let x = LEFT + i as f64 * slot + slot * 0.1;
        let mut tip = format!("{} {}{colon} {} tweets", ui.week_of, long_date(week.week_start, lang), totals[i]);
        if series.len() > 1 {
            let parts: Vec<String> = series.iter().map(|s| format!("{} {}", s.name, value(s, i))).collect();
            let _ = write!(tip, " ({})", parts.join(", "));
        }
        let _ = write!(out, "<g><title>{}</title>", esc(&tip));
        let mut stacked = 0.0;
        for s in series {
            let v = value(s, i) as f64;
            if v <= 0.0 {
                continue;
            }
            let y0 = y(stacked + v);
            let h = y(stacked) - y0;
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y0:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"{}\"/>",
                s.color
            );
            stacked += v;
        }
        out.push_str("</g>\n");
    }
    // Week labels, about eight of them; the year under the first label and
    // wherever it changes.
    let every = n.div_ceil(8).max(1);
    let mut last_year = None;
    for (i, week) in weeks.iter().enumerate().step_by(every) {
        let cx = LEFT + (i as f64 + 0.5) * slot;
        let year = week.week_start.year();
        let _ = write!(
            out,
            "<line x1=\"{cx:.1}\" x2=\"{cx:.1}\" y1=\"{base:.1}\" y2=\"{:.1}\" stroke=\"#8c959f\"/>\
             <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" fill=\"#57606a\">{}",
            base + 5.0,
            base + 20.0,
            esc(&short_date(week.week_start, lang))
        );
        if last_year != Some(year) {
            let _ = write!(out, "<tspan x=\"{cx:.1}\" dy=\"16\" font-weight=\"600\">{year}</tspan>");
            last_year = Some(year);
        }
        out.push_str("</text>\n");
    }
    // Reference line.
    if let Some((v, label)) = reference {
        let ry = y(v);
        let _ = writeln!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{ry:.1}\" y2=\"{ry:.1}\" stroke=\"{REFERENCE}\" stroke-width=\"2\" stroke-dasharray=\"8 5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"13\" font-weight=\"600\" fill=\"{REFERENCE}\" \
             stroke=\"#fff\" stroke-width=\"4\" paint-order=\"stroke\">{}</text>",
            W - RIGHT,
            W - RIGHT - 4.0,
            ry - 6.0,
            esc(label)
        );
    }
    out.push_str("</svg>\n");
}

/// A round step (1, 2 or 5 times a power of ten) of at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let norm = raw / magnitude;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

// ---------------------------------------------------------------------------
// Colours, names and number/date formats
// ---------------------------------------------------------------------------

const GREEN: &str = "#1a7f37";
const AMBER: &str = "#bf8700";
const RED: &str = "#cf222e";
const GREY: &str = "#8c959f";
const GREEN_BG: &str = "#c8ecd2";
const AMBER_BG: &str = "#fbe7a6";
const RED_BG: &str = "#f9c8c5";
const ACTIVITY: &str = "#56b4e9";
const REFERENCE: &str = "#b23a00";

/// Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
fn label_color(label: Label) -> &'static str {
    match label {
        Label::SelfPromotion => "#e69f00",
        Label::Sharing => "#0072b2",
        Label::Political => "#cc79a7",
    }
}

fn label_text_color(label: Label) -> &'static str {
    match label {
        Label::SelfPromotion | Label::Political => "#1f2328",
        Label::Sharing => "#ffffff",
    }
}

fn label_name(label: Label, ui: &Ui) -> &'static str {
    match label {
        Label::SelfPromotion => ui.self_promotion,
        Label::Sharing => ui.sharing,
        Label::Political => ui.political,
    }
}

fn kind_name(kind: TweetKind, ui: &Ui) -> &'static str {
    match kind {
        TweetKind::Original => ui.original,
        TweetKind::Retweet => ui.retweet,
        TweetKind::Quote => ui.quote,
        TweetKind::Reply => ui.reply,
    }
}

struct StatusLook {
    class: &'static str,
    icon: &'static str,
    text: &'static str,
}

impl StatusLook {
    fn of(status: Status, ui: &Ui) -> StatusLook {
        match status {
            Status::Pass => StatusLook { class: "pass", icon: "✓", text: ui.status_pass },
            Status::Warn => StatusLook { class: "warn", icon: "!", text: ui.status_warn },
            Status::Fail => StatusLook { class: "fail", icon: "✗", text: ui.status_fail },
            Status::InsufficientData => StatusLook { class: "na", icon: "?", text: ui.status_na },
        }
    }
}

fn display_handle(handle: &str) -> String {
    let bare = handle.trim().trim_start_matches('@');
    format!("@{bare}")
}

fn clean_share(share: f64) -> f64 {
    if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 }
}

/// `x` with at most `decimals` decimals, trailing zeros dropped, in the
/// language's decimal separator.
fn fmt_num(x: f64, decimals: usize, lang: Lang) -> String {
    let fixed = fmt_num_fixed(x, decimals, lang);
    let sep = if lang == Lang::Fr { ',' } else { '.' };
    if fixed.contains(sep) { fixed.trim_end_matches('0').trim_end_matches(sep).to_owned() } else { fixed }
}

/// `x` with exactly `decimals` decimals, in the language's decimal separator.
fn fmt_num_fixed(x: f64, decimals: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return "–".to_owned();
    }
    let x = if x == 0.0 { 0.0 } else { x }; // no "-0"
    let text = format!("{x:.decimals$}");
    if lang == Lang::Fr { text.replace('.', ",") } else { text }
}

fn fmt_pct(share: f64, decimals: usize, lang: Lang) -> String {
    let num = fmt_num(share * 100.0, decimals, lang);
    if lang == Lang::Fr { format!("{num}\u{a0}%") } else { format!("{num}%") }
}

fn group_thousands(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let sep = if lang == Lang::Fr { "\u{202f}" } else { "," };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

fn days(d: f64, lang: Lang, ui: &Ui) -> String {
    let whole = if d.is_finite() { d.max(0.0).floor() } else { 0.0 };
    let unit = if whole < 2.0 { ui.day } else { ui.days };
    format!("{} {unit}", fmt_num(whole, 0, lang))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const MONTHS_FR_SHORT: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_EN_SHORT: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn month(table: &[&'static str; 12], date: NaiveDate) -> &'static str {
    table.get(date.month0() as usize).copied().unwrap_or("")
}

/// "3 mars 2025" / "March 3, 2025".
fn long_date(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Fr => {
            let day = if date.day() == 1 { "1er".to_owned() } else { date.day().to_string() };
            format!("{day} {} {}", month(&MONTHS_FR, date), date.year())
        }
        Lang::En => format!("{} {}, {}", month(&MONTHS_EN, date), date.day(), date.year()),
    }
}

/// "3 mars" / "Mar 3".
fn short_date(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("{} {}", date.day(), month(&MONTHS_FR_SHORT, date)),
        Lang::En => format!("{} {}", month(&MONTHS_EN_SHORT, date), date.day()),
    }
}

/// "3 mars 2025, 14:05 UTC" / "March 3, 2025, 14:05 UTC".
fn date_time(at: DateTime<Utc>, lang: Lang) -> String {
    format!("{}, {:02}:{:02} UTC", long_date(at.date_naive(), lang), at.hour(), at.minute())
}

// ---------------------------------------------------------------------------
// Fixed strings
// ---------------------------------------------------------------------------

/// Every fixed piece of text on the page, in one language. Strings are plain
/// text without HTML special characters, so they are written as they are.
struct Ui {
    /// ":" with the space that goes before it.
    colon: &'static str,
    doc_title: &'static str,
    evaluated_on: &'static str,
    follower: &'static str,
    followers: &'static str,
    followers_unknown: &'static str,
    tweets_analysed: &'static str,
    period: &'static str,
    undated: &'static str,
    longest_gap: &'static str,
    activity_window: &'static str,
    week: &'static str,
    weeks: &'static str,
    day: &'static str,
    days: &'static str,
    model: &'static str,
    generated_by: &'static str,
    overall_score: &'static str,
    score_good: &'static str,
    score_fair: &'static str,
    score_poor: &'static str,
    score_none: &'static str,
    scorecard: &'static str,
    no_guidelines: &'static str,
    status_pass: &'static str,
    status_warn: &'static str,
    status_fail: &'static str,
    status_na: &'static str,
    measured: &'static str,
    threshold: &'static str,
    note: &'static str,
    notes: &'static str,
    yes: &'static str,
    no: &'static str,
    not_measured: &'static str,
    default_avatar: &'static str,
    protected: &'static str,
    per_week: &'static str,
    last_tweet: &'static str,
    ago: &'static str,
    last_tweet_today: &'static str,
    no_dated_tweet: &'static str,
    of_self_promotion: &'static str,
    of_political: &'static str,
    borderline: &'static str,
    g1_threshold: &'static str,
    g2_threshold: &'static str,
    warn_below: &'static str,
    warn_above: &'static str,
    fail_after: &'static str,
    fail_above: &'static str,
    days_without: &'static str,
    list_sep: &'static str,
    mix_over_time: &'static str,
    activity: &'static str,
    no_weekly: &'static str,
    weeks_caption: &'static str,
    week_of: &'static str,
    tweets: &'static str,
    tweets_per_week: &'static str,
    g3_target: &'static str,
    average: &'static str,
    overall_mix: &'static str,
    labels_heading: &'static str,
    kinds_heading: &'static str,
    kinds_caption: &'static str,
    kind: &'static str,
    share: &'static str,
    no_tweets: &'static str,
    self_promotion: &'static str,
    sharing: &'static str,
    political: &'static str,
    original: &'static str,
    retweet: &'static str,
    quote: &'static str,
    reply: &'static str,
    evidence: &'static str,
    no_evidence: &'static str,
    missing_tweet: &'static str,
    more_tweet: &'static str,
    more_tweets: &'static str,
    probability: &'static str,
    no_date: &'static str,
}

impl Ui {
    fn for_lang(lang: Lang) -> &'static Ui {
        match lang {
            Lang::Fr => &UI_FR,
            Lang::En => &UI_EN,
        }
    }
}

static UI_FR: Ui = Ui {
    colon: "\u{a0}:",
    doc_title: "Audit du compte Twitter/X",
    evaluated_on: "Évalué le",
    follower: "abonné",
    followers: "abonnés",
    followers_unknown: "abonnés inconnus",
    tweets_analysed: "Tweets analysés",
    period: "Période",
    undated: "Tweets sans date",
    longest_gap: "Plus long silence",
    activity_window: "Fenêtre d’activité",
    week: "semaine",
    weeks: "semaines",
    day: "jour",
    days: "jours",
    model: "Modèle",
    generated_by: "Rapport généré par tweetguide",
    overall_score: "Score global",
    score_good: "Bonne base\u{a0}: peaufinez les détails.",
    score_fair: "À améliorer\u{a0}: quelques recommandations à suivre.",
    score_poor: "Le compte freine sa propre croissance.",
    score_none: "Pas assez de données pour noter le compte.",
    scorecard: "Les cinq recommandations",
    no_guidelines: "Aucune recommandation évaluée.",
    status_pass: "Conforme",
    status_warn: "À surveiller",
    status_fail: "Non conforme",
    status_na: "Données insuffisantes",
    measured: "Mesure",
    threshold: "Seuil",
    note: "Remarque",
    notes: "À retenir",
    yes: "oui",
    no: "non",
    not_measured: "non mesuré",
    default_avatar: "Avatar par défaut",
    protected: "Compte protégé",
    per_week: "tweets/semaine",
    last_tweet: "dernier tweet il y a",
    ago: "",
    last_tweet_today: "dernier tweet il y a moins d’un jour",
    no_dated_tweet: "aucun tweet daté",
    of_self_promotion: "d’autopromotion",
    borderline: "limite",
    of_political: "de tweets politiques",
    g1_threshold: "Non conforme tant que l’avatar par défaut (l’œuf) est affiché",
    g2_threshold: "Non conforme tant que le compte est protégé",
    warn_below: "À surveiller sous",
    warn_above: "À surveiller au-delà de",
    fail_after: "non conforme après",
    fail_above: "non conforme au-delà de",
    days_without: "jours sans tweet",
    list_sep: "\u{a0}; ",
    mix_over_time: "Types de tweets semaine par semaine",
    activity: "Activité hebdomadaire",
    no_weekly: "Aucun tweet daté\u{a0}: pas de graphique semaine par semaine.",
    weeks_caption: "Semaines du lundi au dimanche (UTC)\u{a0}; la dernière peut être incomplète.",
    week_of: "Semaine du",
    tweets: "Tweets",
    tweets_per_week: "Tweets par semaine",
    g3_target: "Seuil G3\u{a0}:",
    average: "Moyenne sur la fenêtre d’activité",
    overall_mix: "Répartition globale (tweets classés)",
    labels_heading: "Types de tweets",
    kinds_heading: "Retweets, citations et réponses",
    kinds_caption: "Retweets, citations et réponses montrent que le compte s’intéresse aux autres.",
    kind: "Forme",
    share: "Part",
    no_tweets: "Aucun tweet à analyser.",
    self_promotion: "Autopromotion",
    sharing: "Partage",
    political: "Politique",
    original: "Tweet original",
    retweet: "Retweet",
    quote: "Citation",
    reply: "Réponse",
    evidence: "Tweets à l’appui",
    no_evidence: "Aucun tweet n’a pesé dans les verdicts.",
    missing_tweet: "Tweet absent du rapport\u{a0}:",
    more_tweet: "autre tweet non affiché",
    more_tweets: "autres tweets non affichés",
    probability: "probabilité",
    no_date: "sans date",
};

static UI_EN: Ui = Ui {
    colon: ":",
    doc_title: "Twitter/X account audit",
    evaluated_on: "Evaluated on",
    follower: "follower",
    followers: "followers",
    followers_unknown: "followers unknown",
    tweets_analysed: "Tweets analysed",
    period: "Period",
    undated: "Undated tweets",
    longest_gap: "Longest silence",
    activity_window: "Activity window",
    week: "week",
    weeks: "weeks",
    day: "day",
    days: "days",
    model: "Model",
    generated_by: "Report generated by tweetguide",
    overall_score: "Overall score",
    score_good: "A sound base: polish the details.",
    score_fair: "Room to improve: a few guidelines to follow.",
    score_poor: "The account holds back its own growth.",
    score_none: "Not enough data to score the account.",
    scorecard: "The five guidelines",
    no_guidelines: "No guideline was evaluated.",
    status_pass: "Pass",
    status_warn: "Warning",
    status_fail: "Fail",
    status_na: "Insufficient data",
    measured: "Measured",
    threshold: "Threshold",
    note: "Note",
    notes: "Worth knowing",
    yes: "yes",
    no: "no",
    not_measured: "not measured",
    default_avatar: "Default avatar",
    protected: "Protected account",
    per_week: "tweets/week",
    last_tweet: "last tweet",
    ago: " ago",
    last_tweet_today: "last tweet less than a day ago",
    no_dated_tweet: "no dated tweet",
    of_self_promotion: "self-promotion",
    borderline: "borderline",
    of_political: "political tweets",
    g1_threshold: "Fails while the default (egg) avatar is shown",
    g2_threshold: "Fails while the account is protected",
    warn_below: "Warning below",
    warn_above: "Warning above",
    fail_after: "fail after",
    fail_above: "fail above",
    days_without: "days without a tweet",
    list_sep: "; ",
    mix_over_time: "Tweet types week by week",
    activity: "Weekly activity",
    no_weekly: "No dated tweets: no week-by-week chart.",
    weeks_caption: "Weeks run Monday to Sunday (UTC); the last one may be incomplete.",
    week_of: "Week of",
    tweets: "Tweets",
    tweets_per_week: "Tweets per week",
    g3_target: "G3 threshold:",
    average: "Average over the activity window",
    overall_mix: "Overall mix (tweets as classified)",
    labels_heading: "Tweet types",
    kinds_heading: "Retweets, quotes and replies",
    kinds_caption: "Retweets, quotes and replies show that the account takes an interest in others.",
    kind: "Form",
    share: "Share",
    no_tweets: "No tweets to analyse.",
    self_promotion: "Self-promotion",
    sharing: "Sharing",
    political: "Political",
    original: "Original tweet",
    retweet: "Retweet",
    quote: "Quote",
    reply: "Reply",
    evidence: "Evidence tweets",
    no_evidence: "No tweet weighed in the verdicts.",
    missing_tweet: "Tweet missing from the report:",
    more_tweet: "more tweet not shown",
    more_tweets: "more tweets not shown",
    probability: "probability",
    no_date: "undated",
};

const STYLE: &str = r#"
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--card:#fff;
--pass:#1a7f37;--pass-bg:#dafbe1;--warn:#9a6700;--warn-bg:#fff8c5;--fail:#cf222e;--fail-bg:#ffebe9;--na:#57606a;--na-bg:#eaeef2}
*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-size:16px;line-height:1.5;color:var(--fg);background:var(--bg)}
body{margin:0}
.page{max-width:1100px;margin:0 auto;padding:24px 24px 40px}
h1{font-size:2.2rem;margin:0 0 4px;word-break:break-word}
h2{font-size:1.35rem;margin:0 0 14px}
h3{font-size:1.05rem;margin:0 0 8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
section,.hero,.callout{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:20px 24px;margin:0 0 20px}
.hero{display:flex;gap:24px;align-items:center;justify-content:space-between}
.eyebrow{margin:0;text-transform:uppercase;letter-spacing:.06em;font-size:.8rem;color:var(--muted);font-weight:600}
.meta{margin:0 0 10px;color:var(--muted)}
.small,.foot{font-size:.8rem;color:var(--muted)}
.small{margin:10px 0 0}
.foot{text-align:center;margin-top:8px}
.facts{display:flex;flex-wrap:wrap;gap:8px 28px;margin:10px 0 0}
.facts div{min-width:0}
.facts dt{font-size:.78rem;color:var(--muted)}
.facts dd{margin:0;font-weight:600}
.tally{list-style:none;display:flex;flex-wrap:wrap;gap:8px;margin:6px 0 0;padding:0}
.score{text-align:center;flex:0 0 190px}
.gauge{width:160px;height:160px;display:block;margin:0 auto}
.score-label{margin:4px 0 0;font-weight:700}
.score-verdict{margin:2px 0 0;font-size:.9rem;color:var(--muted)}
.badge{display:inline-flex;align-items:center;gap:4px;border:1px solid;border-radius:999px;padding:1px 10px;font-size:.85rem;font-weight:600;white-space:nowrap}
.badge.pass{color:var(--pass);background:var(--pass-bg)}
.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.fail{color:var(--fail);background:var(--fail-bg)}
.badge.na{color:var(--na);background:var(--na-bg)}
.badge.borderline{color:var(--warn);background:transparent;border-style:dashed;margin-left:6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(310px,1fr));gap:16px}
.card{border:1px solid var(--line);border-left:6px solid var(--na);border-radius:10px;padding:14px 16px;break-inside:avoid}
.card.pass{border-left-color:var(--pass)}
.card.warn{border-left-color:#d4a72c}
.card.fail{border-left-color:var(--fail)}
.card-head{display:flex;justify-content:space-between;align-items:center;margin-bottom:6px}
.gid{display:inline-block;font-weight:800;font-size:.85rem;background:var(--fg);color:#fff;border-radius:6px;padding:0 7px;margin-right:4px}
.kv{margin:0 0 8px}
.kv div{margin:0 0 4px}
.kv dt{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.kv dd{margin:0}
.kv .value{font-weight:700}
.meter{width:100%;max-width:320px;height:auto;display:block;margin:2px 0 8px}
.advice{margin:8px 0 0}
.note{margin:8px 0 0;font-size:.88rem;color:var(--muted)}
.callout{border-left:6px solid #0969da;background:#ddf4ff}
.callout ul{margin:0;padding-left:20px}
.chart,.mixbar{width:100%;height:auto;display:block}
.mixbar{margin:4px 0 10px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 20px;padding:0;margin:8px 0 0;font-size:.9rem}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.swatch.line{height:0;width:22px;border-top:3px dashed #b23a00;border-radius:0;vertical-align:4px}
.caption{font-size:.85rem;color:var(--muted);margin:6px 0 0}
.empty{color:var(--muted);font-style:italic;margin:0}
.two{display:grid;grid-template-columns:1fr 1fr;gap:28px}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2}
thead th{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
tbody th{font-weight:500}
.mix td,.kinds td:nth-child(2){text-align:right;font-variant-numeric:tabular-nums}
.kinds td:last-child{white-space:nowrap;font-variant-numeric:tabular-nums}
.kbar{display:inline-block;width:110px;height:10px;background:#eaeef2;border-radius:5px;overflow:hidden;vertical-align:0;margin-right:6px}
.kbar span{display:block;height:100%;background:#009e73}
.evidence{margin:0 0 18px;break-inside:avoid-page}
.evidence h3 .badge{margin-left:6px}
.tweets{list-style:none;padding:0;margin:0;display:grid;gap:10px}
.tweet{border:1px solid var(--line);border-radius:10px;padding:10px 14px;background:#fbfcfd;break-inside:avoid}
.tweet-text{margin:0 0 6px;white-space:pre-wrap;overflow-wrap:anywhere}
.tweet-meta{margin:0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.82rem;color:var(--muted)}
.chip{font-weight:600;color:var(--fg)}
.tid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.missing{color:var(--muted);font-style:italic}
@media (max-width:760px){.hero{flex-direction:column-reverse;align-items:flex-start}.two{grid-template-columns:1fr}}
@media print{html{background:#fff;font-size:12px}.page{max-width:none;padding:0}
section,.hero,.callout{border-color:#bbb;break-inside:avoid-page}.cards{grid-template-columns:1fr 1fr}}
@page{margin:14mm}
"#;

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::audit::{Threshold, TimelineStats};
    use crate::model::ShareEstimate;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap_or_default()
    }

    fn texts(lang: Lang, label: Label) -> &'static [&'static str] {
        match (lang, label) {
            (Lang::Fr, Label::SelfPromotion) => &[
                "Notre nouvelle gamme de cafés de spécialité est arrivée en boutique !",
                "-20 % sur toutes les formations barista ce week-end seulement.",
                "Fiers d’avoir été élus meilleur torréfacteur de la ville 🏆",
                "Venez goûter notre blend d’automne, il n’attend que vous.",
            ],
            (Lang::Fr, Label::Sharing) => &[
                "Très bon article de @marie_cafe sur l’origine des grains éthiopiens, à lire !",
                "Merci @lebistrot pour cette belle collaboration, bravo à toute l’équipe.",
                "Question à la communauté : quelle méthode d’extraction préférez-vous le matin ?",
            ],
            (Lang::Fr, Label::Political) => &[
                "Cette réforme des retraites est une honte, tous dans la rue jeudi !",
                "Le gouvernement ment aux petits commerçants, il faut voter contre.",
            ],
            (Lang::En, Label::SelfPromotion) => &[
                "Our new specialty coffee range just landed in the shop!",
                "20% off every barista class this weekend only.",
                "Proud to be voted best roaster in town 🏆",
                "Come and taste our autumn blend, it is waiting for you.",
            ],
            (Lang::En, Label::Sharing) => &[
                "Great piece by @marie_coffee on where Ethiopian beans come from, worth a read!",
                "Thanks @thebistro for a lovely collaboration, well done to the whole team.",
                "Question for everyone: which brew method do you reach for in the morning?",
            ],
            (Lang::En, Label::Political) => &[
                "This pension reform is a disgrace, everyone out on the streets on Thursday!",
                "The government lies to small shops, vote against it.",
            ],
        }
    }

    /// A realistic report: sixteen weeks of a coffee shop's tweets, mostly
    /// self-promotion, with the verdicts an audit would give.
    fn sample_report(lang: Lang) -> Report {
        let as_of = at(2025, 6, 18, 9);
        let first_monday = at(2025, 3, 3, 8);
        let per_week = [3u32, 4, 2, 5, 3, 0, 1, 4, 3, 2, 4, 2, 3, 2, 1, 1];
        let mut tweets = Vec::new();
        let mut n = 0usize;
        for (week, count) in per_week.iter().enumerate() {
            for k in 0..*count {
                let label = match n % 10 {
                    0 | 2 | 3 | 5 | 7 | 8 => Label::SelfPromotion,
                    4 => Label::Political,
                    _ => Label::Sharing,
                };
                let kind = match (label, n % 3) {
                    (Label::Sharing, 0) => TweetKind::Retweet,
                    (Label::Sharing, 1) => TweetKind::Quote,
                    (Label::Sharing, _) => TweetKind::Reply,
                    _ => TweetKind::Original,
                };
                let pool = texts(lang, label);
                let text = pool.get(n % pool.len()).copied().unwrap_or_default().to_owned();
                let created =
                    first_monday + Duration::days(week as i64 * 7 + i64::from(k)) + Duration::hours(n as i64 % 9);
                let p = 0.55 + (n % 7) as f64 * 0.06;
                let rest = (1.0 - p) / 2.0;
                let probabilities = Label::ALL.into_iter().map(|l| (l, if l == label { p } else { rest })).collect();
                tweets.push(TweetResult {
                    id: format!("18{:05}", 1000 + n),
                    label,
                    probabilities,
                    kind,
                    created_at: Some(created),
                    text,
                });
                n += 1;
            }
        }
        // Hostile text that must come out escaped.
        let script = "<script>alert(1)</script> Promo \"flash\" & 'exclusive' ce soir";
        tweets.push(TweetResult {
            id: "evil-1".into(),
            label: Label::SelfPromotion,
            probabilities: [(Label::SelfPromotion, 0.91), (Label::Sharing, 0.06), (Label::Political, 0.03)].into(),
            kind: TweetKind::Original,
            created_at: Some(at(2025, 6, 12, 17)),
            text: script.into(),
        });
        tweets.push(TweetResult {
            id: "undated-1".into(),
            label: Label::Sharing,
            probabilities: [(Label::SelfPromotion, 0.2), (Label::Sharing, 0.7), (Label::Political, 0.1)].into(),
            kind: TweetKind::Retweet,
            created_at: None,
            text: texts(lang, Label::Sharing).first().copied().unwrap_or_default().into(),
        });
        let stats = stats_of(&tweets, as_of);
        let ids = |label: Label| -> Vec<String> {
            let mut ids: Vec<String> = vec![];
            if label == Label::SelfPromotion {
                ids.push("evil-1".into());
            }
            ids.extend(tweets.iter().rev().filter(|t| t.label == label && t.id != "evil-1").map(|t| t.id.clone()));
            ids
        };
        let mut g4_evidence = ids(Label::SelfPromotion);
        g4_evidence.truncate(7);
        let mut g5_evidence = ids(Label::Political);
        g5_evidence.truncate(3);
        let share = |label: Label| stats.label_shares.get(&label).copied().unwrap_or(0.0);
        let fr = lang == Lang::Fr;
        let pick = |fr_text: &str, en_text: &str| if fr { fr_text.to_owned() } else { en_text.to_owned() };
        let guidelines = vec![
            GuidelineResult {
                id: GuidelineId::G1,
                title: pick("Remplacer l’œuf par défaut", "Replace the default egg"),
                status: Status::Pass,
                value: Some(0.0),
                threshold: Threshold { warn: None, fail: 1.0 },
                advice: pick(
                    "Votre photo de profil est personnalisée : gardez-la.",
                    "Your profile picture is your own: keep it.",
                ),
                evidence: vec![],
                note: None,
                interval: None,
                borderline: false,
            },
            GuidelineResult {
                id: GuidelineId::G2,
                title: pick("Ne pas protéger le compte", "Don't protect the account"),
                status: Status::Pass,
                value: Some(0.0),
                threshold: Threshold { warn: None, fail: 1.0 },
                advice: pick(
                    "Votre compte est public : tout le monde peut vous lire.",
                    "Your account is public: anyone can read it.",
                ),
                evidence: vec![],
                note: None,
                interval: None,
                borderline: false,
            },
            GuidelineResult {
                id: GuidelineId::G3,
                title: pick("Rester actif", "Stay active"),
                status: Status::Warn,
                value: Some(stats.tweets_per_week),
                threshold: Threshold { warn: Some(3.0), fail: 30.0 },
                advice: pick(
                    "Publiez au moins trois fois par semaine pour rester visible.",
                    "Post at least three times a week to stay visible.",
                ),
                evidence: vec![],
                note: Some(pick("Calculé sur les 8 dernières semaines.", "Computed over the last 8 weeks.")),
                interval: None,
                borderline: false,
            },
            GuidelineResult {
                id: GuidelineId::G4,
                title: pick("Ne pas être égocentrique", "Don't be egocentric"),
                status: Status::Fail,
                value: Some(share(Label::SelfPromotion)),
                threshold: Threshold { warn: Some(0.3), fail: 0.5 },
                advice: pick(
                    "Partagez davantage le contenu des autres : retweetez, citez, répondez.",
                    "Share more of other people's content: retweet, quote, reply.",
                ),
                evidence: g4_evidence,
                note: None,
                interval: Some(Interval {
                    low: (share(Label::SelfPromotion) - 0.07).max(0.0),
                    high: (share(Label::SelfPromotion) + 0.07).min(1.0),
                }),
                borderline: false,
            },
            GuidelineResult {
                id: GuidelineId::G5,
                title: pick("Attention aux convictions politiques", "Beware of political posts"),
                status: Status::Pass,
                value: Some(share(Label::Political)),
                threshold: Threshold { warn: Some(0.1), fail: 0.25 },
                advice: pick(
                    "Peu de tweets politiques : gardez vos opinions pour un compte personnel.",
                    "Few political tweets: keep opinions for a personal account.",
                ),
                evidence: g5_evidence,
                note: Some(pick(
                    "Confiance faible : certains tweets sont ambigus.",
                    "Low confidence: some tweets are ambiguous.",
                )),
                interval: Some(Interval { low: 0.05, high: 0.31 }),
                borderline: true,
            },
        ];
        Report {
            handle: "cafe&co".into(),
            lang,
            as_of,
            overall_score: 70,
            guidelines,
            stats,
            followers: Some(18),
            notes: vec![pick(
                "Avec 18 abonnés, le compte est sous le plafond des 20 abonnés dont parle l’article.",
                "With 18 followers, the account sits under the 20-follower ceiling the article talks about.",
            )],
            tweets,
            model_version: "nb-fr-en-2025-06-01+a1b2c3".into(),
        }
    }

    /// Stats computed from tweets the way an audit would.
    fn stats_of(tweets: &[TweetResult], as_of: DateTime<Utc>) -> TimelineStats {
        let mut by_label = BTreeMap::new();
        let mut by_kind = BTreeMap::new();
        for t in tweets {
            *by_label.entry(t.label).or_insert(0u64) += 1;
            *by_kind.entry(t.kind).or_insert(0u64) += 1;
        }
        let total = tweets.len() as u64;
        let share = |n: u64| if total == 0 { 0.0 } else { n as f64 / total as f64 };
        let label_shares: BTreeMap<Label, f64> =
            Label::ALL.into_iter().map(|l| (l, share(by_label.get(&l).copied().unwrap_or(0)))).collect();
        let kind_shares =
            TweetKind::ALL.into_iter().map(|k| (k, share(by_kind.get(&k).copied().unwrap_or(0)))).collect();
        let mut dated: Vec<DateTime<Utc>> = tweets.iter().filter_map(|t| t.created_at).collect();
        dated.sort();
        let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
        let mut weekly: Vec<WeekBucket> = vec![];
        if let Some(first) = dated.first() {
            let mut week = monday(first.date_naive());
            while week <= monday(as_of.date_naive()) {
                let in_week: BTreeMap<Label, u64> = Label::ALL
                    .into_iter()
                    .map(|l| {
                        let n = tweets
                            .iter()
                            .filter(|t| t.label == l && t.created_at.is_some_and(|c| monday(c.date_naive()) == week))
                            .count() as u64;
                        (l, n)
                    })
                    .collect();
                weekly.push(WeekBucket { week_start: week, by_label: in_week });
                week += Duration::days(7);
            }
        }
        let window = 8u32;
        let recent = dated.iter().filter(|d| **d > as_of - Duration::weeks(i64::from(window))).count();
        let longest_gap_days = dated
            .windows(2)
            .map(|w| (w[1] - w[0]).num_hours() as f64 / 24.0)
            .fold(None, |m: Option<f64>, g| Some(m.map_or(g, |m| m.max(g))));
        TimelineStats {
            tweets: total,
            by_label,
            by_kind,
            estimated_shares: label_shares
                .iter()
                .map(|(&l, &share)| (l, ShareEstimate { share, low: share * 0.8, high: share * 1.2, counted: share }))
                .collect(),
            label_shares,
            share_method: "adjusted".into(),
            kind_shares,
            newest: dated.last().copied(),
            oldest: dated.first().copied(),
            days_since_newest: dated.last().map(|d| (as_of - *d).num_hours() as f64 / 24.0),
            tweets_per_week: if dated.is_empty() { 0.0 } else { recent as f64 / f64::from(window) },
            activity_window_weeks: window,
            longest_gap_days,
            undated: tweets.iter().filter(|t| t.created_at.is_none()).count() as u64,
            weekly,
        }
    }

    /// A brand-new account: no tweets at all.
    fn empty_report(lang: Lang) -> Report {
        let as_of = at(2025, 6, 18, 9);
        let guideline = |id, status, value, warn, fail| GuidelineResult {
            id,
            title: format!("Guideline {id:?}"),
            status,
            value,
            threshold: Threshold { warn, fail },
            advice: "Advice.".into(),
            evidence: vec![],
            note: None,
            interval: None,
            borderline: false,
        };
        Report {
            handle: "@newbie".into(),
            lang,
            as_of,
            overall_score: 33,
            guidelines: vec![
                guideline(GuidelineId::G1, Status::Fail, Some(1.0), None, 1.0),
                guideline(GuidelineId::G2, Status::Pass, Some(0.0), None, 1.0),
                guideline(GuidelineId::G3, Status::Fail, Some(0.0), Some(3.0), 30.0),
                guideline(GuidelineId::G4, Status::InsufficientData, None, Some(0.3), 0.5),
                guideline(GuidelineId::G5, Status::InsufficientData, None, Some(0.1), 0.25),
            ],
            stats: stats_of(&[], as_of),
            followers: None,
            notes: vec![],
            tweets: vec![],
            model_version: "nb-test".into(),
        }
    }

    #[test]
    fn shows_every_guideline_with_its_status() {
        for lang in [Lang::Fr, Lang::En] {
            let ui = Ui::for_lang(lang);
            for report in [sample_report(lang), empty_report(lang)] {
                let html = render_html(&report);
                for id in GuidelineId::ALL {
                    assert!(html.contains(&format!("id=\"{}\"", id.as_str())), "{lang}: card of {id:?}");
                }
                for g in &report.guidelines {
                    let look = StatusLook::of(g.status, ui);
                    let card = format!(
                        "<article class=\"card {}\" id=\"{}\">\n<div class=\"card-head\"><span class=\"gid\">{}</span>\
                         <span class=\"badge {}\"><span aria-hidden=\"true\">{}</span> {}</span>",
                        look.class,
                        g.id.as_str(),
                        g.id.as_str(),
                        look.class,
                        look.icon,
                        look.text
                    );
                    assert!(html.contains(&card), "{lang}: status of {:?}", g.id);
                    assert!(html.contains(&esc(&g.advice)), "{lang}: advice of {:?}", g.id);
                }
            }
            let pass_warn_fail = render_html(&sample_report(lang));
            for status in [ui.status_pass, ui.status_warn, ui.status_fail] {
                assert!(pass_warn_fail.contains(&format!("</span> {status}</span>")), "{lang}: badge {status}");
            }
            assert!(render_html(&empty_report(lang)).contains(&format!("</span> {}</span>", ui.status_na)));
            let report = sample_report(lang);
            let html = render_html(&report);
            assert!(html.contains(&esc(&report.notes[0])), "notes callout");
            assert!(html.contains("class=\"callout\""));
        }
    }

    #[test]
    fn fixed_strings_follow_the_report_language() {
        let fr = render_html(&sample_report(Lang::Fr));
        let en = render_html(&sample_report(Lang::En));
        assert!(fr.contains("<html lang=\"fr\">"));
        assert!(en.contains("<html lang=\"en\">"));
        for text in ["Score global", "Les cinq recommandations", "Non conforme", "Tweets à l’appui", "abonnés"] {
            assert!(fr.contains(text), "fr: {text}");
            assert!(!en.contains(text), "en: {text}");
        }
        for text in ["Overall score", "The five guidelines", "Warning", "Evidence tweets", "followers"] {
            assert!(en.contains(text), "en: {text}");
            assert!(!fr.contains(text), "fr: {text}");
        }
        // Numbers in the language's format.
        assert!(fr.contains("tweets/semaine"));
        assert!(en.contains("tweets/week"));
        assert!(fr.contains("\u{a0}%"));
        assert!(fr.contains("18 juin 2025"));
        assert!(en.contains("June 18, 2025"));
    }

    #[test]
    fn figures_are_formatted_per_guideline() {
        let report = sample_report(Lang::En);
        let html = render_html(&report);
        let self_promo = report.stats.label_shares.get(&Label::SelfPromotion).copied().unwrap_or(0.0);
        assert!(html.contains("Default avatar: no"));
        assert!(html.contains("Protected account: no"));
        assert!(html.contains(&format!("{:.1} tweets/week · last tweet ", report.stats.tweets_per_week)));
        let g4 = report.guidelines.iter().find(|g| g.id == GuidelineId::G4).expect("G4");
        let interval = g4.interval.expect("an interval");
        assert!(html.contains(&format!(
            "{}% ({}\u{2013}{}%) self-promotion",
            (self_promo * 100.0).round(),
            (interval.low * 100.0).round(),
            (interval.high * 100.0).round()
        )));
        assert_eq!(
            share_with_interval(0.342, Some(Interval { low: 0.27, high: 0.413 }), Lang::En),
            "34% (27\u{2013}41%)"
        );
        assert_eq!(
            share_with_interval(0.342, Some(Interval { low: 0.27, high: 0.413 }), Lang::Fr),
            "34\u{a0}% (27\u{2013}41\u{a0}%)"
        );
        // G5 is borderline in the sample; G4 is not.
        assert_eq!(html.matches("class=\"badge borderline\"").count(), 1);
        assert!(html.contains("> borderline</span>"));
        assert!(html.contains("Warning above 30%; fail above 50% self-promotion"));
        assert!(html.contains("Warning below 3 tweets/week; fail after 30 days without a tweet"));
        assert!(html.contains("probability 91%"));
        assert_eq!(group_thousands(1_234_567, Lang::En), "1,234,567");
        assert_eq!(fmt_num(2.50, 1, Lang::Fr), "2,5");
        assert_eq!(fmt_num(3.0, 1, Lang::Fr), "3");
        assert_eq!(fmt_pct(f64::NAN, 1, Lang::En), "–%");
    }

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(esc("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        for lang in [Lang::Fr, Lang::En] {
            let html = render_html(&sample_report(lang));
            assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "evidence tweet shown escaped");
            assert!(html.contains("&quot;flash&quot; &amp; &#39;exclusive&#39;"));
            assert!(!html.contains("<script"), "no raw script tag");
            assert!(!html.contains("alert(1)</"));
            assert!(html.contains("@cafe&amp;co"));
            assert!(!html.contains("cafe&co"));
        }
    }

    #[test]
    fn page_is_self_contained() {
        for report in [sample_report(Lang::Fr), sample_report(Lang::En), empty_report(Lang::Fr)] {
            let html = render_html(&report).to_lowercase();
            assert!(!html.contains("http"), "no external reference");
            for needle in ["<link", "<script", "@import", "url(", "src=", "<img"] {
                assert!(!html.contains(needle), "{needle}");
            }
            assert!(html.contains("<meta charset=\"utf-8\">"));
            assert!(html.contains("<title>"));
            assert_eq!(html.matches("<style>").count(), 1);
            for tag in ["section", "svg", "article", "div", "ul", "ol", "table", "p"] {
                assert_eq!(
                    html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count(),
                    html.matches(&format!("</{tag}>")).count(),
                    "balanced <{tag}>"
                );
            }
        }
    }

    #[test]
    fn charts_when_there_are_weeks_and_a_sentence_when_not() {
        let report = sample_report(Lang::Fr);
        assert!(!report.stats.weekly.is_empty());
        let html = render_html(&report);
        assert_eq!(html.matches("<svg class=\"chart\"").count(), 2, "label mix and activity charts");
        assert!(html.contains("<svg class=\"mixbar\""));
        assert!(html.contains("stroke-dasharray=\"8 5\""), "G3 reference line");
        assert!(html.contains("Seuil G3\u{a0}: 3 tweets/semaine"));
        assert!(!html.contains(UI_FR.no_weekly));
        // Evidence capped at five per guideline.
        assert!(html.contains("+ 2 autres tweets non affichés"));
        assert_eq!(html.matches("<li class=\"tweet\">").count(), 5 + 3);

        let mut no_weeks = sample_report(Lang::En);
        no_weeks.stats.weekly.clear();
        let html = render_html(&no_weeks);
        assert!(!html.contains("<svg class=\"chart\""));
        assert_eq!(html.matches(UI_EN.no_weekly).count(), 2);
    }

    #[test]
    fn an_empty_report_renders() {
        for lang in [Lang::Fr, Lang::En] {
            let report = empty_report(lang);
            let html = render_html(&report);
            let ui = Ui::for_lang(lang);
            assert!(html.contains(ui.status_na));
            assert!(html.contains(ui.no_weekly));
            assert!(html.contains(ui.no_tweets));
            assert!(html.contains(ui.no_evidence));
            assert!(html.contains(ui.no_dated_tweet));
            assert!(html.contains("@newbie") && !html.contains("@@newbie"));
            for id in GuidelineId::ALL {
                assert!(html.contains(id.as_str()));
            }
        }
        // Nothing at all: no guidelines, odd numbers.
        let mut bare = empty_report(Lang::En);
        bare.guidelines.clear();
        bare.stats.tweets_per_week = f64::NAN;
        bare.stats.days_since_newest = Some(f64::INFINITY);
        bare.overall_score = 250;
        let html = render_html(&bare);
        assert!(html.contains(UI_EN.no_guidelines));
        assert!(html.contains(UI_EN.score_none));
    }

    #[test]
    fn missing_evidence_tweets_are_named_not_fatal() {
        let mut report = sample_report(Lang::En);
        report.tweets.clear();
        let html = render_html(&report);
        assert!(html.contains("Tweet missing from the report: <code>evil-1</code>"));
    }

    /// Writes a sample page for a visual check:
    /// `TWEETGUIDE_SAMPLE_HTML=/tmp/report.html cargo test --lib audit::html -- --ignored`.
    /// `TWEETGUIDE_SAMPLE_LANG=en` renders it in English, `TWEETGUIDE_SAMPLE_KIND=empty` renders an account with no tweets.
    #[test]
    #[ignore = "writes a sample page to TWEETGUIDE_SAMPLE_HTML"]
    fn write_sample_page() {
        let path = std::env::var_os("TWEETGUIDE_SAMPLE_HTML")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("tweetguide-sample-report.html"));
        let lang = match std::env::var("TWEETGUIDE_SAMPLE_LANG").as_deref() {
            Ok("en") => Lang::En,
            _ => Lang::Fr,
        };
        let report = match std::env::var("TWEETGUIDE_SAMPLE_KIND").as_deref() {
            Ok("empty") => empty_report(lang),
            _ => sample_report(lang),
        };
        std::fs::write(&path, render_html(&report)).expect("write the sample page");
        eprintln!("wrote {}", path.display());
    }
}
