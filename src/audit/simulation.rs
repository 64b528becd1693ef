//! How right the G4 and G5 shares are: timelines of known shares assembled
//! from labelled tweets, audited as an account would be.
//!
//! Each timeline picks a label (self-promotion or political), a size between
//! 10 and 3,200 tweets (uniform on a log scale, so small accounts weigh as
//! much as large ones) and a true share between 0 and 0.8; it then draws that
//! many tweets of the label and fills the rest with tweets of the other two,
//! with replacement. The true share is known, so every estimator can be
//! scored: plain counting (the predicted labels), the mean probability, the
//! adjusted counts on predicted labels (ACC) and on probabilities (PACC), and
//! the audit's estimator (halfway between counting and PACC), with its 90%
//! interval and its borderline verdicts.
//!
//! The rates the corrections rely on can come from the model's own
//! held-apart sample, or from a part of the tweets while the timelines are
//! drawn from the rest ([`simulate_source_shift`]): the second says what
//! happens on accounts unlike the sample.

use serde::Serialize;

use super::engine::Thresholds;
use crate::Label;
use crate::corpus::LabelledTweet;
use crate::model::{Model, Quantifier, ScoreScratch, ShareEstimate};

/// Smallest and largest timelines drawn.
const SIZES: (f64, f64) = (10.0, 3_200.0);
/// Largest true share drawn.
const MAX_SHARE: f64 = 0.8;
/// Bounds of the size groups reported apart.
const SIZE_GROUPS: [(usize, usize); 3] = [(10, 49), (50, 499), (500, 3_200)];

/// Which timelines to draw.
#[derive(Debug, Clone, Copy)]
pub struct SimulationOptions {
    /// How many timelines.
    pub timelines: usize,
    /// Seed of the draw: the same seed draws the same timelines.
    pub seed: u64,
}

impl Default for SimulationOptions {
    fn default() -> Self {
        SimulationOptions { timelines: 2_000, seed: 2026 }
    }
}

/// Figures of one group of timelines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SimulationFigures {
    /// Timelines in the group.
    pub timelines: usize,
    /// Mean absolute error of the shares by plain counting of predicted labels.
    pub mae_counted: f64,
    /// The same, for the mean calibrated probability.
    pub mae_mean_probability: f64,
    /// The same, for the adjusted count on predicted labels (ACC).
    pub mae_adjusted_count: f64,
    /// The same, for the probabilistic adjusted count (PACC).
    pub mae_probabilistic_adjusted: f64,
    /// The same, for the audit's estimator (halfway between counting and PACC).
    pub mae: f64,
    /// Share of 90% intervals that hold the true share.
    pub coverage: f64,
    /// Mean width of the intervals.
    pub mean_width: f64,
    /// Share of G4/G5 verdicts that match the true share's, counting a
    /// borderline verdict whose interval holds the true share as right.
    pub verdicts_right: f64,
    /// Share of G4/G5 statuses that match the true share's, borderline or
    /// not: the point estimate alone.
    pub statuses_right: f64,
    /// The same for plain counting (no interval, no borderline).
    pub verdicts_right_counted: f64,
    /// Share of verdicts marked borderline.
    pub borderline: f64,
}

/// The figures of a simulation: every timeline, then by size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimulationReport {
    /// All timelines.
    pub all: SimulationFigures,
    /// Timelines of 10–49, 50–499 and 500–3,200 tweets, as `(min, max, figures)`.
    pub by_size: Vec<(usize, usize, SimulationFigures)>,
    /// The seed the timelines were drawn with.
    pub seed: u64,
}

/// What one simulated timeline gave.
struct Outcome {
    size: usize,
    errors: [f64; 5],
    covered: bool,
    width: f64,
    verdict_right: bool,
    status_right: bool,
    verdict_right_counted: bool,
    borderline: bool,
}

/// The estimators a simulation scores: the audit's and the full corrections.
pub(crate) struct Estimators {
    pub(crate) audit: Quantifier,
    pub(crate) adjusted_count: Quantifier,
    pub(crate) probabilistic_adjusted: Quantifier,
}

/// Draws timelines from `tweets` and scores the share estimators of `model`
/// on them. Timelines alternate between self-promotion and political shares,
/// among those two labels that `tweets` has, with tweets of other labels to
/// fill them; `None` when there is no such label.
pub fn simulate_timelines(
    model: &Model,
    tweets: &[LabelledTweet],
    options: SimulationOptions,
) -> Option<SimulationReport> {
    let predicted = predictions(model, tweets);
    let outcomes = simulate(&predicted, tweets, &model.estimators(), options)?;
    Some(SimulationReport::of(&outcomes, options.seed))
}

/// The same, but the rates the corrections rely on are measured on some
/// sources' tweets and the timelines are drawn from the others': every way of
/// keeping `left_out` sources apart from the rates, pooled. What a correction
/// is worth on accounts whose tweets are unlike those it was measured on.
pub fn simulate_source_shift(
    model: &Model,
    by_source: &[(String, Vec<LabelledTweet>)],
    left_out: usize,
    options: SimulationOptions,
) -> Option<SimulationReport> {
    let mut outcomes = Vec::new();
    // Every subset of sources is tried: keep that to a few thousand.
    let count = by_source.len().min(12);
    for mask in 0u32..(1 << count) {
        if mask.count_ones() as usize != left_out {
            continue;
        }
        let (apart, measured): (Vec<_>, Vec<_>) = by_source.iter().enumerate().partition(|(i, _)| mask & (1 << i) != 0);
        let measured: Vec<LabelledTweet> = measured.into_iter().flat_map(|(_, (_, t))| t.iter().cloned()).collect();
        let drawn: Vec<LabelledTweet> = apart.into_iter().flat_map(|(_, (_, t))| t.iter().cloned()).collect();
        let estimators = model.estimators_measured_on(&measured);
        if estimators.audit.method() != "adjusted" {
            continue;
        }
        let predicted = predictions(model, &drawn);
        let split = SimulationOptions { seed: options.seed ^ u64::from(mask), ..options };
        outcomes.extend(simulate(&predicted, &drawn, &estimators, split).unwrap_or_default());
    }
    (!outcomes.is_empty()).then(|| SimulationReport::of(&outcomes, options.seed))
}

fn predictions(model: &Model, tweets: &[LabelledTweet]) -> Vec<(Label, [f64; Label::COUNT])> {
    let mut scratch = ScoreScratch::default();
    tweets
        .iter()
        .map(|t| {
            let p = model.predict_with(&t.text, &mut scratch, 0);
            (p.label, p.probabilities)
        })
        .collect()
}

fn simulate(
    predicted: &[(Label, [f64; Label::COUNT])],
    tweets: &[LabelledTweet],
    estimators: &Estimators,
    options: SimulationOptions,
) -> Option<Vec<Outcome>> {
    let by_label: [Vec<usize>; Label::COUNT] =
        std::array::from_fn(|c| (0..tweets.len()).filter(|&i| tweets[i].label.index() == c).collect());
    let targets: Vec<Label> = [Label::SelfPromotion, Label::Political]
        .into_iter()
        .filter(|l| !by_label[l.index()].is_empty() && by_label[l.index()].len() < tweets.len())
        .collect();
    if targets.is_empty() {
        return None;
    }
    // The tweets that fill a timeline of each label: those of the others.
    let others: [Vec<usize>; Label::COUNT] = std::array::from_fn(|c| {
        Label::ALL.into_iter().filter(|l| l.index() != c).flat_map(|l| by_label[l.index()].iter().copied()).collect()
    });
    let thresholds = Thresholds::default();
    let mut rng = SplitMix64(options.seed);
    let mut outcomes = Vec::with_capacity(options.timelines.min(1 << 16));
    let mut drawn: Vec<usize> = Vec::new();
    for t in 0..options.timelines {
        let label = targets[t % targets.len()];
        let (warn, fail) = match label {
            Label::Political => (thresholds.political_warn, thresholds.political_fail),
            _ => (thresholds.self_promotion_warn, thresholds.self_promotion_fail),
        };
        let size = (SIZES.0.ln() + rng.unit() * (SIZES.1.ln() - SIZES.0.ln())).exp().round() as usize;
        let of_label = ((rng.unit() * MAX_SHARE) * size as f64).round() as usize;
        drawn.clear();
        let (own, others) = (&by_label[label.index()], &others[label.index()]);
        drawn.extend((0..of_label).map(|_| own[rng.below(own.len())]));
        drawn.extend((of_label..size).map(|_| others[rng.below(others.len())]));
        let truth = of_label as f64 / size as f64;

        let inputs = || drawn.iter().map(|&i| (predicted[i].0, &predicted[i].1));
        let estimate: ShareEstimate = estimators.audit.estimate(inputs())[label.index()];
        let acc = estimators.adjusted_count.estimate(inputs())[label.index()].share;
        let pacc = estimators.probabilistic_adjusted.estimate(inputs())[label.index()].share;
        let mean_probability = drawn.iter().map(|&i| predicted[i].1[label.index()]).sum::<f64>() / size as f64;
        let status = |share: f64| u8::from(share > warn) + u8::from(share > fail);
        let covered = estimate.low <= truth && truth <= estimate.high;
        let borderline = estimate.straddles(warn) || estimate.straddles(fail);
        outcomes.push(Outcome {
            size,
            errors: [
                (estimate.counted - truth).abs(),
                (mean_probability - truth).abs(),
                (acc - truth).abs(),
                (pacc - truth).abs(),
                (estimate.share - truth).abs(),
            ],
            covered,
            width: estimate.high - estimate.low,
            verdict_right: status(estimate.share) == status(truth) || (borderline && covered),
            status_right: status(estimate.share) == status(truth),
            verdict_right_counted: status(estimate.counted) == status(truth),
            borderline,
        });
    }
    Some(outcomes)
}

impl SimulationReport {
    fn of(outcomes: &[Outcome], seed: u64) -> SimulationReport {
        let figures = |keep: &dyn Fn(&Outcome) -> bool| {
            let group: Vec<&Outcome> = outcomes.iter().filter(|o| keep(o)).collect();
            let n = group.len().max(1) as f64;
            let mean = |f: &dyn Fn(&Outcome) -> f64| group.iter().map(|o| f(o)).sum::<f64>() / n;
            let share = |f: &dyn Fn(&Outcome) -> bool| group.iter().filter(|o| f(o)).count() as f64 / n;
            SimulationFigures {
                timelines: group.len(),
                mae_counted: mean(&|o| o.errors[0]),
                mae_mean_probability: mean(&|o| o.errors[1]),
                mae_adjusted_count: mean(&|o| o.errors[2]),
                mae_probabilistic_adjusted: mean(&|o| o.errors[3]),
                mae: mean(&|o| o.errors[4]),
                coverage: share(&|o| o.covered),
                mean_width: mean(&|o| o.width),
                verdicts_right: share(&|o| o.verdict_right),
                statuses_right: share(&|o| o.status_right),
                verdicts_right_counted: share(&|o| o.verdict_right_counted),
                borderline: share(&|o| o.borderline),
            }
        };
        SimulationReport {
            all: figures(&|_| true),
            by_size: SIZE_GROUPS
                .iter()
                .map(|&(low, high)| (low, high, figures(&|o| (low..=high).contains(&o.size))))
                .collect(),
            seed,
        }
    }

    /// The figures as a small table.
    pub fn to_table(&self) -> String {
        let mut out = String::from(
            "timelines      MAE counted  MAE mean-p  MAE ACC  MAE PACC  MAE audit  90% coverage  width  verdicts right (counted)  statuses right  borderline\n",
        );
        let rows = std::iter::once(("all".to_owned(), self.all))
            .chain(self.by_size.iter().map(|(low, high, f)| (format!("{low}-{high}"), *f)));
        for (name, f) in rows {
            out.push_str(&format!(
                "{name:<9} {:>4}  {:>11.4}  {:>10.4}  {:>7.4}  {:>8.4}  {:>9.4}  {:>12.3}  {:>5.3}  {:>14.3} ({:.3})  {:>14.3}  {:>10.3}\n",
                f.timelines,
                f.mae_counted,
                f.mae_mean_probability,
                f.mae_adjusted_count,
                f.mae_probabilistic_adjusted,
                f.mae,
                f.coverage,
                f.mean_width,
                f.verdicts_right,
                f.verdicts_right_counted,
                f.statuses_right,
                f.borderline,
            ));
        }
        out
    }
}

/// A small, seedable generator (SplitMix64): the draw must be the same on
/// every machine, and nothing here needs more than that.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n - 1)
    }
}
