//! Gaussian-process regression of a PSA output on a group of parameters, for the EVPPI of
//! groups of 2–5 parameters (Strong, Oakley & Brennan, Med Decis Making 2014;34:311–326,
//! section "Gaussian process regression"; the method of SAVI and BCEA for groups).
//!
//! The output y (centred) is modelled as a zero-mean Gaussian process over the standardised
//! inputs x with the squared-exponential covariance σ²·(exp(−Σ_k (x_k − x'_k)²/ℓ_k²) + ν·1[x =
//! x']): one length-scale ℓ_k per parameter, a noise-to-signal ratio ν (the patient-level noise
//! and whatever the group does not explain). σ² is profiled out of the likelihood; ℓ and ν
//! maximise it on the first [`HYPER_SAMPLES`] samples (Nelder–Mead on their logarithms, ℓ and
//! ν bounded). The fit is kept only when it beats a constant by BIC on every sample.
//!
//! The fitted values at every sample use every sample's y through the subset-of-regressors
//! approximation on the first [`INDUCING`] samples (Quiñonero-Candela & Rasmussen, JMLR 2005):
//! f̂ = R_nm·(R_mn·R_nm + ν·R_mm)⁻¹·R_mn·y, R the correlation matrix, in O(n·m²), so that a
//! PSA of 10^5 samples stays seconds.

/// Samples whose exact likelihood chooses the hyperparameters.
const HYPER_SAMPLES: usize = 200;
/// Inducing samples of the subset-of-regressors fit.
const INDUCING: usize = 300;
/// Most likelihood evaluations of the hyperparameter search.
const MAX_EVALUATIONS: usize = 400;
/// Longest length-scale, in standard deviations of the input: longer is a straight line over
/// the draws already.
const MAX_LENGTH: f64 = 20.0;
/// Largest noise-to-signal ratio ν: with n ≫ ν samples the fit is the data's, not the prior's.
const MAX_NOISE_RATIO: f64 = 100.0;

/// The inputs, standardised column by column (constant columns dropped): row-major n × d.
pub struct Inputs {
    x: Vec<f64>,
    d: usize,
    n: usize,
}

impl Inputs {
    /// `columns`: one slice of n draws per parameter. `None` when no parameter varies.
    pub fn new(columns: &[&[f64]]) -> Option<Inputs> {
        let n = columns.first().map_or(0, |c| c.len());
        let mut kept: Vec<Vec<f64>> = Vec::new();
        for c in columns {
            let mean = c.iter().sum::<f64>() / n as f64;
            let var = c.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
            if var > 0.0 {
                let sd = var.sqrt();
                kept.push(c.iter().map(|v| (v - mean) / sd).collect());
            }
        }
        if kept.is_empty() || n == 0 {
            return None;
        }
        let d = kept.len();
        let x = (0..n).flat_map(|i| kept.iter().map(move |c| c[i])).collect();
        Some(Inputs { x, d, n })
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// exp(−Σ_k (x_ik − x_jk)²/ℓ_k²) with `inv` = 1/ℓ².
    fn correlation(&self, i: usize, j: usize, inv: &[f64]) -> f64 {
        let (a, b) = (self.row(i), self.row(j));
        let s: f64 = (0..self.d).map(|k| (a[k] - b[k]) * (a[k] - b[k]) * inv[k]).sum();
        (-s).exp()
    }

    /// Fitted values of y at every sample: a linear mean in the inputs (the mean function
    /// H = [1, x] of Strong et al.) plus a process on its residuals, each kept only when it
    /// beats the simpler fit by BIC on every sample (n·ln RSS + df·ln n): a constant, the
    /// line, or the line and the process. A group with no effect is then fitted flat rather
    /// than as the noise it would follow, and a weak trend is seen by every sample, not only
    /// by the few the hyperparameters are chosen on.
    pub fn fit(&self, y: &[f64]) -> Vec<f64> {
        let n = self.n;
        let nf = n as f64;
        let mean = y.iter().sum::<f64>() / nf;
        let yc: Vec<f64> = y.iter().map(|v| v - mean).collect();
        let null: f64 = yc.iter().map(|v| v * v).sum();
        if !(null > 0.0) {
            return vec![mean; n];
        }
        let bic = |rss: f64, df: f64| nf * rss.max(f64::MIN_POSITIVE).ln() + df * nf.ln();
        let mut best = (bic(null, 0.0), vec![0.0; n]);
        let line = self.line(&yc);
        let residual: Vec<f64> = yc.iter().zip(&line).map(|(y, l)| y - l).collect();
        let rss_line: f64 = residual.iter().map(|v| v * v).sum();
        if bic(rss_line, self.d as f64) < best.0 {
            best = (bic(rss_line, self.d as f64), line.clone());
        }
        if let Some((process, df)) = self.process(&residual) {
            let rss: f64 = residual.iter().zip(&process).map(|(r, f)| (r - f) * (r - f)).sum();
            let score = bic(rss, self.d as f64 + df);
            if score < best.0 {
                best = (score, line.iter().zip(&process).map(|(l, f)| l + f).collect());
            }
        }
        best.1.into_iter().map(|f| mean + f).collect()
    }

    /// The least-squares line through the centred y (the inputs are centred too).
    fn line(&self, y: &[f64]) -> Vec<f64> {
        let d = self.d;
        let mut xtx = vec![0.0; d * d];
        let mut xty = vec![0.0; d];
        for (i, &yi) in y.iter().enumerate() {
            let row = self.row(i);
            for a in 0..d {
                xty[a] += row[a] * yi;
                for b in 0..d {
                    xtx[a * d + b] += row[a] * row[b];
                }
            }
        }
        let Some(beta) = super::evppi::cholesky_solve(&xtx, d, &xty, 1) else {
            return vec![0.0; y.len()];
        };
        (0..y.len()).map(|i| self.row(i).iter().zip(&beta).map(|(x, b)| x * b).sum()).collect()
    }

    /// The process's fitted values at every sample and their degrees of freedom, tr(R_nm A⁻¹
    /// R_mn); `None` when the system cannot be solved.
    fn process(&self, yc: &[f64]) -> Option<(Vec<f64>, f64)> {
        let n = self.n;
        let (inv, nu) = self.hyperparameters(yc);
        let m = n.min(INDUCING);
        // A = R_mn·R_nm + ν·R_mm and b = R_mn·y, accumulated sample by sample.
        let mut a = vec![0.0; m * m];
        let mut b = vec![0.0; m];
        let mut r = vec![0.0; m];
        for (i, &yi) in yc.iter().enumerate() {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj = self.correlation(i, j, &inv);
            }
            for j in 0..m {
                b[j] += r[j] * yi;
                for k in 0..=j {
                    a[j * m + k] += r[j] * r[k];
                }
            }
        }
        // G = R_mn·R_nm (symmetric), kept for the fit's degrees of freedom.
        for j in 0..m {
            for k in 0..j {
                a[k * m + j] = a[j * m + k];
            }
        }
        let g = a.clone();
        for j in 0..m {
            for k in 0..=j {
                a[j * m + k] += nu * self.correlation(j, k, &inv);
                a[k * m + j] = a[j * m + k];
            }
        }
        // A little jitter keeps A positive definite when inducing samples nearly coincide.
        let jitter = 1e-10 * (0..m).map(|j| a[j * m + j]).sum::<f64>() / m as f64;
        for j in 0..m {
            a[j * m + j] += jitter;
        }
        let w = super::evppi::cholesky_solve(&a, m, &b, 1)?;
        let fitted: Vec<f64> = (0..n)
            .map(|i| (0..m).map(|j| self.correlation(i, j, &inv) * w[j]).sum::<f64>())
            .collect();
        let a_inv_g = super::evppi::cholesky_solve(&a, m, &g, m)?;
        let df: f64 = (0..m).map(|j| a_inv_g[j * m + j]).sum();
        Some((fitted, df))
    }

    /// (1/ℓ² per input, ν) maximising the profiled likelihood of the first samples' y, from
    /// two starts (length-scales of one and of e² standard deviations), each length-scale at
    /// most [`MAX_LENGTH`] standard deviations and ν at most [`MAX_NOISE_RATIO`]: a small
    /// subsample of a noisy output would often call it flat, while the fit on every sample
    /// can still see a weak effect (and [`Inputs::fit`] decides by BIC on every sample).
    fn hyperparameters(&self, y: &[f64]) -> (Vec<f64>, f64) {
        let m = self.n.min(HYPER_SAMPLES);
        let y = &y[..m];
        let d = self.d;
        let bounded = |theta: &[f64]| -> Vec<f64> {
            let mut t = theta.to_vec();
            for x in &mut t[..d] {
                *x = x.min(MAX_LENGTH.ln());
            }
            t[d] = t[d].min(MAX_NOISE_RATIO.ln());
            t
        };
        // θ = (log ℓ_1 … log ℓ_d, log ν).
        let cost = |theta: &[f64]| -> f64 {
            let theta = bounded(theta);
            let inv: Vec<f64> = theta[..d].iter().map(|t| (-2.0 * t).exp()).collect();
            let nu = theta[d].exp();
            self.profiled_deviance(y, &inv, nu).unwrap_or(f64::INFINITY)
        };
        let best = [0.0, 2.0]
            .into_iter()
            .map(|start| {
                let mut theta = vec![start; d + 1];
                theta[d] = 0.0;
                let x = nelder_mead(&cost, theta, 1.0, MAX_EVALUATIONS);
                let v = cost(&x);
                (x, v)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(vec![0.0; d + 1], |(x, _)| bounded(&x));
        let inv = best[..d].iter().map(|t| (-2.0 * t).exp()).collect();
        (inv, best[d].exp())
    }

    /// m·log σ̂² + log|R + νI| (twice the negative log-likelihood up to constants), σ̂² =
    /// yᵀ(R + νI)⁻¹y/m; `None` when the matrix is not positive definite.
    fn profiled_deviance(&self, y: &[f64], inv: &[f64], nu: f64) -> Option<f64> {
        let m = y.len();
        let mut a = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..=i {
                a[i * m + j] = self.correlation(i, j, inv) + if i == j { nu + 1e-10 } else { 0.0 };
            }
        }
        let l = super::evppi::cholesky(&a, m)?;
        // z = L⁻¹y: yᵀ(R + νI)⁻¹y = zᵀz.
        let mut z = y.to_vec();
        for i in 0..m {
            let mut sum = z[i];
            for k in 0..i {
                sum -= l[i * m + k] * z[k];
            }
            z[i] = sum / l[i * m + i];
        }
        let quad: f64 = z.iter().map(|v| v * v).sum();
        let log_det: f64 = (0..m).map(|i| 2.0 * l[i * m + i].ln()).sum();
        let sigma2 = quad / m as f64;
        (sigma2 > 0.0).then(|| m as f64 * sigma2.ln() + log_det)
    }
}

/// Minimise `f` from `start` by Nelder–Mead (reflection 1, expansion 2, contraction ½,
/// shrink ½; Lagarias et al., SIAM J Optim 1998), the first simplex `step` apart along each
/// axis, for at most `budget` evaluations or until the simplex's values agree to 1e-8.
fn nelder_mead(f: &dyn Fn(&[f64]) -> f64, start: Vec<f64>, step: f64, budget: usize) -> Vec<f64> {
    let n = start.len();
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    let v = f(&start);
    simplex.push((start.clone(), v));
    for k in 0..n {
        let mut x = start.clone();
        x[k] += step;
        let v = f(&x);
        simplex.push((x, v));
    }
    let mut evaluations = n + 1;
    let along = |a: &[f64], b: &[f64], t: f64| -> Vec<f64> {
        a.iter().zip(b).map(|(a, b)| a + t * (b - a)).collect()
    };
    while evaluations < budget {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= 1e-8 * (1.0 + best.abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|k| simplex[..n].iter().map(|(x, _)| x[k]).sum::<f64>() / n as f64)
            .collect();
        let reflected = along(&centroid, &simplex[n].0, -1.0);
        let fr = f(&reflected);
        evaluations += 1;
        if fr < simplex[0].1 {
            let expanded = along(&centroid, &simplex[n].0, -2.0);
            let fe = f(&expanded);
            evaluations += 1;
            simplex[n] = if fe < fr { (expanded, fe) } else { (reflected, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (reflected, fr);
        } else {
            // Contract towards the better of the worst point and its reflection.
            let (towards, ft) = if fr < simplex[n].1 {
                (reflected, fr)
            } else {
                (simplex[n].0.clone(), simplex[n].1)
            };
            let contracted = along(&centroid, &towards, 0.5);
            let fc = f(&contracted);
            evaluations += 1;
            if fc < ft {
                simplex[n] = (contracted, fc);
            } else {
                let first = simplex[0].0.clone();
                for point in simplex.iter_mut().skip(1) {
                    point.0 = along(&first, &point.0, 0.5);
                    point.1 = f(&point.0);
                }
                evaluations += n;
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_the_minimum_of_a_valley() {
        // Rosenbrock's valley: minimum 0 at (1, 1).
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let x = nelder_mead(&f, vec![-1.2, 1.0], 0.5, 2000);
        assert!((x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3, "{x:?}");
    }

    #[test]
    fn a_smooth_function_of_two_inputs_comes_back_through_the_noise() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let n = 1000;
        let a: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 4.0 - 2.0).collect();
        let b: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 4.0 - 2.0).collect();
        let truth: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x * y + (x).sin()).collect();
        let y: Vec<f64> = truth.iter().map(|t| t + 0.5 * (rng.random::<f64>() - 0.5)).collect();
        let fit = Inputs::new(&[&a, &b]).unwrap().fit(&y);
        // The fit's error is well under the noise's (standard deviation 0.144).
        let rmse =
            (fit.iter().zip(&truth).map(|(f, t)| (f - t) * (f - t)).sum::<f64>() / n as f64).sqrt();
        assert!(rmse < 0.05, "rmse {rmse}");
        assert!(Inputs::new(&[&[1.0; 5], &[2.0; 5]]).is_none());
    }
}
