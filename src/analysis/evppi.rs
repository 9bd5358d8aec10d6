//! Expected value of partial perfect information for single parameters, by non-parametric
//! regression (Strong, Oakley & Brennan, Med Decis Making 2014;34:311–326), with a cubic
//! regression spline as the smoother.
//!
//! For a parameter θ and a decision set, the incremental cost ΔC_d and QALYs ΔQ_d of each arm
//! against the first are regressed on θ across PSA samples; the fitted values estimate
//! E[ΔC_d | θ] and E[ΔQ_d | θ]. Because NMB is linear in λ, one fit per arm serves every
//! willingness to pay: ĝ_d(λ, θ_s) = λ·Q̂_d(θ_s) − Ĉ_d(θ_s), ĝ_0 = 0, and
//! EVPPI(λ) = mean_s max_d ĝ_d(λ, θ_s) − max_d mean_s ĝ_d(λ, θ_s).
//! The smoother: θ scaled to [0, 1], basis 1, x, x², x³ and (x − κ_j)³₊ at the 1/5 … 4/5
//! sample quantiles κ_j (least squares by modified Gram–Schmidt; columns that add nothing are
//! dropped).

use super::psa::Table;

/// Interior knots of the regression spline.
const KNOTS: usize = 4;

/// An orthonormal basis of the spline space evaluated at the samples: fitted values of any y
/// are Σ_j q_j (q_j · y).
pub struct Smoother {
    columns: Vec<Vec<f64>>,
}

impl Smoother {
    /// `None` when θ does not vary.
    pub fn new(theta: &[f64]) -> Option<Smoother> {
        let (lo, hi) = theta
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &t| (a.min(t), b.max(t)));
        if !(hi > lo) {
            return None;
        }
        let x: Vec<f64> = theta.iter().map(|t| (t - lo) / (hi - lo)).collect();
        let mut sorted = x.clone();
        sorted.sort_by(f64::total_cmp);
        let knots: Vec<f64> =
            (1..=KNOTS).map(|j| sorted[j * (sorted.len() - 1) / (KNOTS + 1)]).collect();
        let mut raw: Vec<Vec<f64>> = vec![
            vec![1.0; x.len()],
            x.clone(),
            x.iter().map(|v| v * v).collect(),
            x.iter().map(|v| v * v * v).collect(),
        ];
        for k in knots {
            raw.push(x.iter().map(|v| (v - k).max(0.0).powi(3)).collect());
        }
        // Modified Gram–Schmidt, dropping columns whose remainder is negligible.
        let mut columns: Vec<Vec<f64>> = Vec::new();
        for mut c in raw {
            let norm0 = dot(&c, &c).sqrt();
            // Twice, to keep the basis orthogonal on skewed θ ("twice is enough").
            for _ in 0..2 {
                for q in &columns {
                    let r = dot(q, &c);
                    for (ci, qi) in c.iter_mut().zip(q) {
                        *ci -= r * qi;
                    }
                }
            }
            let norm = dot(&c, &c).sqrt();
            if norm > 1e-9 * norm0.max(1e-300) {
                c.iter_mut().for_each(|v| *v /= norm);
                columns.push(c);
            }
        }
        Some(Smoother { columns })
    }

    /// Least-squares fitted values of y.
    pub fn fit(&self, y: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; y.len()];
        for q in &self.columns {
            let r = dot(q, y);
            for (o, qi) in out.iter_mut().zip(q) {
                *o += r * qi;
            }
        }
        out
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Fewest PSA samples for an EVPPI: ten per basis column. With fewer, the unpenalised spline
/// follows the noise and an irrelevant parameter's EVPPI approaches the EVPI.
pub const MIN_SAMPLES: usize = 10 * (4 + KNOTS);

/// EVPPI per patient of parameter draws `theta` for a decision set's PSA table, at each
/// willingness to pay (zeros when θ does not vary; `None` with fewer than [`MIN_SAMPLES`]).
pub fn evppi(theta: &[f64], table: &Table, wtp: &[f64]) -> Vec<Option<f64>> {
    if table.len() < MIN_SAMPLES {
        return vec![None; wtp.len()];
    }
    let Some(smoother) = Smoother::new(theta) else {
        return vec![Some(0.0); wtp.len()];
    };
    let arms = table.first().map_or(0, Vec::len);
    let n = table.len() as f64;
    // Fitted incremental cost and QALYs of each arm against the first.
    let fitted: Vec<(Vec<f64>, Vec<f64>)> = (1..arms)
        .map(|d| {
            let dc: Vec<f64> = table.iter().map(|row| row[d].0 - row[0].0).collect();
            let dq: Vec<f64> = table.iter().map(|row| row[d].1 - row[0].1).collect();
            (smoother.fit(&dc), smoother.fit(&dq))
        })
        .collect();
    wtp.iter()
        .map(|&l| {
            let mut mean_max = 0.0;
            let mut means = vec![0.0; fitted.len()];
            for s in 0..table.len() {
                let mut best = 0.0f64;
                for (d, (c, q)) in fitted.iter().enumerate() {
                    let g = l * q[s] - c[s];
                    means[d] += g;
                    best = best.max(g);
                }
                mean_max += best;
            }
            let max_mean = means.iter().map(|m| m / n).fold(0.0f64, f64::max);
            Some((mean_max / n - max_mean).max(0.0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoother_reproduces_cubics_and_averages_noise_away() {
        let theta: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin() * 3.0 + 1.0).collect();
        let cubic: Vec<f64> =
            theta.iter().map(|t| 2.0 - t + 0.5 * t * t - 0.1 * t * t * t).collect();
        let s = Smoother::new(&theta).unwrap();
        for (f, y) in s.fit(&cubic).iter().zip(&cubic) {
            assert!((f - y).abs() < 1e-9, "{f} vs {y}");
        }
        // A y unrelated to θ in a way the basis cannot follow keeps its mean.
        let y: Vec<f64> = (0..200).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let mean: f64 = s.fit(&y).iter().sum::<f64>() / 200.0;
        assert!(mean.abs() < 1e-12);
        assert!(Smoother::new(&[1.0; 10]).is_none());
        // Too few samples: no estimate.
        let few: Table = (0..10).map(|i| vec![(0.0, 0.0), (i as f64, 0.0)]).collect();
        assert_eq!(evppi(&[1.0; 10], &few, &[1.0]), vec![None]);
    }

    #[test]
    fn a_parameter_that_decides_everything_has_evppi_equal_to_evpi() {
        // Arm 1's incremental NMB is exactly a function of θ: partial = perfect information.
        let theta: Vec<f64> = (0..1000).map(|i| i as f64 / 999.0 - 0.4).collect();
        let table: Table = theta.iter().map(|&t| vec![(0.0, 0.0), (-10.0 * t, 0.0)]).collect();
        let evpi = super::super::psa::acceptability(&table, &[1.0])[0].evpi;
        let got = evppi(&theta, &table, &[1.0])[0].unwrap();
        assert!(evpi > 0.0 && (got - evpi).abs() < 1e-9 * evpi, "{got} vs {evpi}");
    }
}
