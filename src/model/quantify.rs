//! How much of a timeline is self-promotion, or political: shares that
//! correct for the classifier's errors, with an interval.
//!
//! Counting each tweet's top label ("classify and count") is biased as soon
//! as the classifier's errors are not symmetric: a classifier that calls 15%
//! of sharing tweets self-promotion reports 15% self-promotion for an account
//! that has none. The probabilistic adjusted count (PACC, Bella et al., 2010)
//! corrects for it: the mean calibrated probability vector `q` of the timeline
//! is, in expectation, `M π`, where `π` holds the true shares and column `i`
//! of `M` is the mean probability vector of tweets whose true label is `i`,
//! measured on the held-apart sample (real tweets the model had not trained
//! on). Solving `M π = q` on the simplex gives the corrected shares.
//!
//! The correction is only as good as `M` is for the account's tweets, and
//! solving through `M⁻¹` doubles any difference. On timelines drawn from the
//! sources the sample comes from, PACC roughly halves the error of counting;
//! on timelines from sources left out of `M`, it doubled it (BENCHMARKS.md).
//! An account's tweets are from sources of their own, so the audit reports
//! the share **halfway** between the counted and the corrected ones, and
//! counts half their gap as one standard deviation of doubt about which is
//! right. Measured both ways, that halfway estimate loses a little to PACC
//! where `M` holds and much less than PACC where it does not.
//!
//! The 90% interval is normal, with three variances:
//! - the timeline's own, through `M⁻¹`: each tweet's probabilities scatter
//!   around its label's mean (the sample's covariances, over `n` tweets);
//! - `M`'s sampling error, through `M⁻¹`;
//! - the doubt above, `((corrected - counted) / 2)²`.
//!
//! Splitting the correction by the model's confidence (one `M` per band of
//! top probability) was measured too and left out: no gain on real tweets,
//! a loss on the hand-written ones.

use serde::{Deserialize, Serialize};

use super::calibration::{Calibration, HeldApartSample};
use super::scorer::Scorer;
use crate::Label;

const K: usize = Label::COUNT;
type Vector = [f64; K];
type Matrix = [[f64; K]; K];

/// The normal quantile of a two-sided 90% interval.
const Z_90: f64 = 1.644_853_626_951_472_2;
/// Tweets of each label the sample needs for its rates to mean anything.
const MIN_PER_LABEL: usize = 20;

/// One label's share of a timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ShareEstimate {
    /// The estimated share, 0–1.
    pub share: f64,
    /// Lower end of the 90% interval.
    pub low: f64,
    /// Upper end of the 90% interval.
    pub high: f64,
    /// The share of tweets whose predicted label is this one (plain counting).
    pub counted: f64,
}

impl ShareEstimate {
    /// Whether the interval holds shares on both sides of `threshold`: the
    /// data cannot tell whether the account is above it. A share above the
    /// threshold breaks it, so the sides are "at most" and "above".
    pub fn straddles(&self, threshold: f64) -> bool {
        self.low <= threshold && threshold < self.high
    }
}

/// Estimates label shares from a timeline's calibrated probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantifier {
    method: Method,
}

#[derive(Debug, Clone, PartialEq)]
enum Method {
    /// No usable sample: the counted shares, with a Wilson interval for the
    /// timeline's size alone.
    Counting,
    Adjusted(Box<Adjusted>),
}

#[derive(Debug, Clone, PartialEq)]
struct Adjusted {
    /// Whether the rates are of calibrated probabilities (PACC) or of
    /// predicted labels (ACC, kept to be measured against).
    probabilistic: bool,
    rates: Rates,
    /// How far from the counted share towards the corrected one the estimate
    /// goes: ½ for the audit, 1 for the full corrections it is measured against.
    weight: f64,
}

/// Length of a tweet's joint vector: its predicted label as a one-hot
/// vector, then the vector the rates are of (its probabilities, or the
/// one-hot again for ACC).
const J: usize = 2 * K;

/// What the sample says of the classifier's errors.
#[derive(Debug, Clone, PartialEq)]
struct Rates {
    /// Column `i`: mean observed vector of the sample tweets labelled `i`.
    rates: Matrix,
    inverse: Matrix,
    /// Covariance of the joint vector within each true label.
    covariances: [[[f64; J]; J]; K],
    /// Sample tweets of each true label.
    sizes: Vector,
}

impl Rates {
    /// The rates of `rows` (`(true label, joint vector)`), `None` when a
    /// label has too few tweets or the rates cannot be inverted.
    fn fit(rows: &[(Label, [f64; J])]) -> Option<Rates> {
        let mut sums = [[0.0; J]; K];
        let mut squares = [[[0.0; J]; J]; K];
        let mut sizes = [0.0; K];
        for (label, z) in rows {
            let i = label.index();
            sizes[i] += 1.0;
            for a in 0..J {
                sums[i][a] += z[a];
                for b in 0..J {
                    squares[i][a][b] += z[a] * z[b];
                }
            }
        }
        if sizes.iter().any(|&n| n < MIN_PER_LABEL as f64) {
            return None;
        }
        let means: [[f64; J]; K] = std::array::from_fn(|i| sums[i].map(|s| s / sizes[i]));
        let rates: Matrix = std::array::from_fn(|j| std::array::from_fn(|i| means[i][K + j]));
        let covariances = std::array::from_fn(|i| {
            std::array::from_fn(|a| std::array::from_fn(|b| squares[i][a][b] / sizes[i] - means[i][a] * means[i][b]))
        });
        let inverse = invert(&rates)?;
        Some(Rates { rates, inverse, covariances, sizes })
    }

    /// The estimate of every label's share for `n` timeline tweets whose
    /// predicted labels give `counted` and whose observed vectors average
    /// `observed`: `(1 - weight) · counted + weight · corrected`, with its
    /// 90% interval (see the module documentation).
    fn estimate(&self, counted: &Vector, observed: &Vector, n: f64, weight: f64) -> [ShareEstimate; K] {
        let corrected = solve_on_simplex(&self.rates, observed);
        std::array::from_fn(|i| {
            // The estimate is linear in the timeline's mean joint vector:
            // these are its coefficients.
            let mut coefficients = [0.0; J];
            coefficients[i] = 1.0 - weight;
            for (c, inverse) in coefficients[K..].iter_mut().zip(&self.inverse[i]) {
                *c = weight * inverse;
            }
            let quadratic = |m: &[[f64; J]; J], from: usize| -> f64 {
                (from..J).map(|a| (from..J).map(|b| coefficients[a] * m[a][b] * coefficients[b]).sum::<f64>()).sum()
            };
            // The timeline's own scatter, given its (estimated) make-up.
            let scatter: f64 = (0..K).map(|c| corrected[c] / n * quadratic(&self.covariances[c], 0)).sum();
            // The rates' sampling error, through the corrected part only.
            let rates: f64 =
                (0..K).map(|c| corrected[c] * corrected[c] / self.sizes[c] * quadratic(&self.covariances[c], K)).sum();
            let gap = corrected[i] - counted[i];
            let share = counted[i] + weight * gap;
            let doubt = (1.0 - weight) * gap;
            let half = Z_90 * (scatter.max(0.0) + rates.max(0.0) + doubt * doubt).sqrt();
            ShareEstimate { share, low: (share - half).max(0.0), high: (share + half).min(1.0), counted: counted[i] }
        })
    }
}

impl Quantifier {
    /// Plain counting, for models without a held-apart sample.
    pub fn counting() -> Quantifier {
        Quantifier { method: Method::Counting }
    }

    /// The audit's estimator from a model's held-apart sample: halfway
    /// between counting and PACC. Counting when the sample is too small (or
    /// its rates cannot be inverted).
    pub(crate) fn from_sample(sample: &HeldApartSample, calibration: &Calibration) -> Quantifier {
        Quantifier::adjusted(sample, calibration, true, 0.5)
    }

    /// Full PACC, measured against the audit's estimator.
    pub(crate) fn probabilistic_adjusted_count(sample: &HeldApartSample, calibration: &Calibration) -> Quantifier {
        Quantifier::adjusted(sample, calibration, true, 1.0)
    }

    /// The adjusted count on predicted labels (ACC): the rates are those of
    /// the predicted labels instead of the probabilities. Measured against
    /// the audit's estimator, not used by it.
    pub(crate) fn adjusted_count(sample: &HeldApartSample, calibration: &Calibration) -> Quantifier {
        Quantifier::adjusted(sample, calibration, false, 1.0)
    }

    fn adjusted(sample: &HeldApartSample, calibration: &Calibration, probabilistic: bool, weight: f64) -> Quantifier {
        let rows: Vec<(Label, [f64; J])> = sample
            .triples()
            .map(|(label, lp, evidence)| {
                let predicted = Scorer::best(&lp).index();
                let mut joint = [0.0; J];
                joint[predicted] = 1.0;
                if probabilistic {
                    joint[K..].copy_from_slice(&calibration.apply(&lp, evidence));
                } else {
                    joint[K + predicted] = 1.0;
                }
                (label, joint)
            })
            .collect();
        match Rates::fit(&rows) {
            Some(rates) => Quantifier { method: Method::Adjusted(Box::new(Adjusted { probabilistic, rates, weight })) },
            None => Quantifier::counting(),
        }
    }

    /// `"adjusted"` (halfway to PACC, or a full correction) or `"counted"`.
    pub fn method(&self) -> &'static str {
        match self.method {
            Method::Counting => "counted",
            Method::Adjusted(_) => "adjusted",
        }
    }

    /// The share of every label, in `Label::ALL` order, from each tweet's
    /// predicted label and calibrated probabilities.
    pub fn estimate<'a>(&self, tweets: impl IntoIterator<Item = (Label, &'a [f64; K])>) -> [ShareEstimate; K] {
        let mut n = 0usize;
        let mut counts = [0.0; K];
        let mut sum = [0.0; K];
        for (label, p) in tweets {
            n += 1;
            counts[label.index()] += 1.0;
            for (s, v) in sum.iter_mut().zip(p) {
                *s += v;
            }
        }
        if n == 0 {
            return [ShareEstimate { share: 0.0, low: 0.0, high: 1.0, counted: 0.0 }; K];
        }
        let n = n as f64;
        let counted = counts.map(|c| c / n);
        let adjusted = match &self.method {
            Method::Counting => {
                return std::array::from_fn(|i| {
                    let (low, high) = wilson(counted[i], n);
                    ShareEstimate { share: counted[i], low, high, counted: counted[i] }
                });
            }
            Method::Adjusted(adjusted) => adjusted,
        };
        let observed = if adjusted.probabilistic { sum.map(|s| s / n) } else { counted };
        adjusted.rates.estimate(&counted, &observed, n, adjusted.weight)
    }
}

/// The 90% Wilson score interval of a proportion.
fn wilson(p: f64, n: f64) -> (f64, f64) {
    let z2 = Z_90 * Z_90;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_90 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The inverse of a 3×3 matrix, `None` when it is (nearly) singular.
fn invert(m: &Matrix) -> Option<Matrix> {
    let cofactor = |r: usize, c: usize| {
        let (r1, r2) = ((r + 1) % 3, (r + 2) % 3);
        let (c1, c2) = ((c + 1) % 3, (c + 2) % 3);
        m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]
    };
    let det: f64 = (0..3).map(|c| m[0][c] * cofactor(0, c)).sum();
    if det.abs() < 1e-9 {
        return None;
    }
    Some(std::array::from_fn(|i| std::array::from_fn(|j| cofactor(j, i) / det)))
}

/// The shares `π` (non-negative, summing to 1) that minimise `|M π - q|`:
/// the exact solution when it lies on the simplex, else the best point of
/// one of its faces (edges, then vertices).
fn solve_on_simplex(m: &Matrix, q: &Vector) -> Vector {
    let mut best: Option<(f64, Vector)> = None;
    for size in (1..=K).rev() {
        for support in subsets(size) {
            let Some(shares) = least_squares_on(m, q, &support) else { continue };
            if shares.iter().any(|&s| s < -1e-12) {
                continue;
            }
            let shares = shares.map(|s| s.max(0.0));
            let residual: f64 = (0..K)
                .map(|j| {
                    let r = (0..K).map(|i| m[j][i] * shares[i]).sum::<f64>() - q[j];
                    r * r
                })
                .sum();
            if best.as_ref().is_none_or(|(r, _)| residual < *r - 1e-15) {
                best = Some((residual, shares));
            }
        }
        // An interior solution is exact: no face can do better.
        if size == K && best.is_some() {
            break;
        }
    }
    best.map_or([1.0 / K as f64; K], |(_, shares)| shares)
}

/// The index sets of `size` labels, in a fixed order.
fn subsets(size: usize) -> Vec<Vec<usize>> {
    (0u32..1 << K)
        .filter(|mask| mask.count_ones() as usize == size)
        .map(|mask| (0..K).filter(|&i| mask & (1 << i) != 0).collect())
        .collect()
}

/// Least squares over the labels of `support` under `sum = 1`, by solving
/// the KKT system (at most 4×4); `None` when it is singular.
fn least_squares_on(m: &Matrix, q: &Vector, support: &[usize]) -> Option<Vector> {
    let r = support.len();
    let size = r + 1;
    let mut a = [[0.0; K + 2]; K + 1];
    for (x, &i) in support.iter().enumerate() {
        for (y, &k) in support.iter().enumerate() {
            a[x][y] = (0..K).map(|j| m[j][i] * m[j][k]).sum();
        }
        a[x][r] = 1.0;
        a[r][x] = 1.0;
        a[x][size] = (0..K).map(|j| m[j][i] * q[j]).sum();
    }
    a[r][size] = 1.0;
    // Gaussian elimination with partial pivoting.
    for col in 0..size {
        let pivot = (col..size).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col];
        for (r, row) in a.iter_mut().enumerate().take(size) {
            if r != col {
                let factor = row[col] / pivot_row[col];
                for (cell, p) in row.iter_mut().zip(&pivot_row).skip(col).take(size + 1 - col) {
                    *cell -= factor * p;
                }
            }
        }
    }
    let mut shares = [0.0; K];
    for (x, &i) in support.iter().enumerate() {
        shares[i] = a[x][size] / a[x][x];
    }
    Some(shares)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn an_exact_system_is_solved_exactly() {
        let m = [[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7]];
        let truth = [0.5, 0.3, 0.2];
        let q: Vector = std::array::from_fn(|j| (0..K).map(|i| m[j][i] * truth[i]).sum());
        let shares = solve_on_simplex(&m, &q);
        assert!(shares.iter().zip(truth).all(|(a, b)| close(*a, b)), "{shares:?}");
        let inverse = invert(&m).expect("invertible");
        let product: Matrix =
            std::array::from_fn(|i| std::array::from_fn(|j| (0..K).map(|k| inverse[i][k] * m[k][j]).sum()));
        assert!((0..K).all(|i| (0..K).all(|j| close(product[i][j], f64::from(u8::from(i == j))))), "{product:?}");
    }

    #[test]
    fn shares_outside_the_simplex_are_clipped_to_its_nearest_point() {
        let m = [[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.1, 0.2, 0.7]];
        // Fewer label-0 probabilities than even a timeline without label 0 gives.
        let q = [0.05, 0.45, 0.5];
        let shares = solve_on_simplex(&m, &q);
        assert!(shares.iter().all(|&s| s >= 0.0) && close(shares.iter().sum(), 1.0), "{shares:?}");
        assert_eq!(shares[0], 0.0, "{shares:?}");
    }

    #[test]
    fn wilson_interval_of_known_values() {
        // 5 of 10 at 90%: 0.5 ± 0.2307.
        let (low, high) = wilson(0.5, 10.0);
        assert!((low - 0.2693).abs() < 1e-3 && (high - 0.7307).abs() < 1e-3, "{low} {high}");
        let (low, high) = wilson(0.0, 10.0);
        assert_eq!(low, 0.0);
        assert!(high > 0.1 && high < 0.25, "{high}");
    }

    #[test]
    fn straddling_follows_the_status_rule() {
        let e = ShareEstimate { share: 0.32, low: 0.27, high: 0.41, counted: 0.3 };
        assert!(e.straddles(0.30));
        assert!(!e.straddles(0.50));
        // A share equal to the threshold does not break it.
        assert!(!ShareEstimate { share: 0.2, low: 0.1, high: 0.3, counted: 0.2 }.straddles(0.3));
    }

    /// A small deterministic generator for the synthetic tweets below.
    struct Lcg(u64);

    impl Lcg {
        fn unit(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A tweet of true label `label` as a noisy classifier scores it: its
    /// label gets a head start, every label gets noise.
    fn scored(label: usize, rng: &mut Lcg) -> (Label, Vector) {
        let raw: Vector = std::array::from_fn(|c| if c == label { 1.2 } else { 0.0 } + 2.0 * rng.unit());
        (Label::ALL[label], Scorer::log_proba(&raw))
    }

    #[test]
    fn corrected_shares_beat_counting_and_the_audit_goes_halfway() {
        let mut rng = Lcg(7);
        let sample = HeldApartSample::from_triples((0..6_000).map(|i| {
            let (label, lp) = scored(i % K, &mut rng);
            (label, lp, 10)
        }));
        let audit = Quantifier::from_sample(&sample, &Calibration::NONE);
        let full = Quantifier::probabilistic_adjusted_count(&sample, &Calibration::NONE);
        assert_eq!(audit.method(), "adjusted");
        let (mut corrected_error, mut counted_error, mut covered) = (0.0, 0.0, 0);
        let timelines = 300;
        for t in 0..timelines {
            let n = 50 + (t % 10) * 40;
            let share = 0.8 * rng.unit();
            let tweets: Vec<(Label, Vector)> = (0..n)
                .map(|i| {
                    let label = if (i as f64) < share * n as f64 { 0 } else { 1 + i % 2 };
                    let (_, lp) = scored(label, &mut rng);
                    (Scorer::best(&lp), lp.map(f64::exp))
                })
                .collect();
            let truth = (share * n as f64).ceil() / n as f64;
            let estimate = audit.estimate(tweets.iter().map(|(l, p)| (*l, p)))[0];
            let corrected = full.estimate(tweets.iter().map(|(l, p)| (*l, p)))[0];
            assert!((estimate.share - (estimate.counted + corrected.share) / 2.0).abs() < 1e-12, "halfway");
            assert_eq!(estimate.counted, corrected.counted);
            corrected_error += (corrected.share - truth).abs();
            counted_error += (estimate.counted - truth).abs();
            covered += usize::from(estimate.low <= truth && truth <= estimate.high);
            assert!(estimate.low <= estimate.share && estimate.share <= estimate.high);
            // The interval counts the gap between counting and correcting as
            // doubt (where neither end is clipped to [0, 1]).
            if estimate.low > 0.0 && estimate.high < 1.0 {
                let gap = (corrected.share - estimate.counted).abs();
                assert!(estimate.high - estimate.low >= gap * Z_90 * 0.999, "{estimate:?} {gap}");
            }
        }
        let coverage = covered as f64 / timelines as f64;
        assert!(corrected_error < counted_error / 2.0, "corrected {corrected_error} counted {counted_error}");
        assert!((0.85..=0.97).contains(&coverage), "coverage {coverage}");
    }

    #[test]
    fn counting_without_a_sample() {
        let quantifier = Quantifier::from_sample(&HeldApartSample::default(), &Calibration::NONE);
        assert_eq!(quantifier.method(), "counted");
        let p = [0.2, 0.3, 0.5];
        let tweets = [(Label::Political, &p), (Label::Political, &p), (Label::Sharing, &p), (Label::Sharing, &p)];
        let shares = quantifier.estimate(tweets);
        assert!(close(shares[Label::Political.index()].share, 0.5));
        assert!(close(shares[Label::SelfPromotion.index()].share, 0.0));
        let empty = quantifier.estimate(std::iter::empty());
        assert_eq!(empty[0].low, 0.0);
        assert_eq!(empty[0].high, 1.0);
    }
}
