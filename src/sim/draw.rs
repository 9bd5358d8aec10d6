//! The parameter values of one PSA sample.

use crate::model::Model;
use crate::model::limits::MAX_MAGNITUDE;
use crate::params::ParamDist;
use crate::params::gamma_quantile;
use crate::rng::SampleKey;
use statrs::distribution::{ContinuousCDF, Normal};

#[derive(Debug, thiserror::Error)]
pub enum DrawError {
    #[error(
        "PSA sample {sample}: parameter `{parameter}` ({dist}) drew {value}, beyond the magnitude limit 1e12; narrow its distribution"
    )]
    OutOfRange { sample: u64, parameter: String, dist: &'static str, value: f64 },
}

/// The value table of sample `sample` (0: the base case, every parameter at its point value).
/// Each uncertain parameter draws `quantile(U)`, U the sample's uniform for that parameter;
/// correlated groups first transform their uniforms jointly (Gaussian copula), and Dirichlet
/// shares are normalised gamma draws.
pub fn sample_values(model: &Model, seed: u64, sample: u64) -> Result<Vec<f64>, DrawError> {
    let mut values = model.values.clone();
    if sample == 0 {
        return Ok(values);
    }
    let key = SampleKey::new(seed, sample);
    // Each parameter's own uniform; correlated groups then mix them on the normal-score scale.
    let mut uniforms: Vec<f64> =
        model.parameters.iter().map(|p| key.uniform(p.process, 0)).collect();
    let std = standard_normal();
    for c in &model.correlations {
        let n = c.members.len();
        let z: Vec<f64> = c.members.iter().map(|&i| std.inverse_cdf(uniforms[i])).collect();
        for (a, &i) in c.members.iter().enumerate() {
            let mixed: f64 = (0..=a).map(|b| c.cholesky[a * n + b] * z[b]).sum();
            // Φ of a finite normal score stays inside (0, 1) but may round to an end.
            uniforms[i] = std.cdf(mixed).clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
        }
    }
    let out_of_range = |p: &crate::model::Parameter, value: f64| DrawError::OutOfRange {
        sample,
        parameter: p.name.clone(),
        dist: p.dist.name(),
        value,
    };
    for (i, p) in model.parameters.iter().enumerate() {
        if !p.is_uncertain() || matches!(p.dist, ParamDist::DirichletShare { .. }) {
            continue;
        }
        let slot = p.slot.0 as usize;
        let value = p.dist.quantile(uniforms[i], model.values[slot]);
        if !(value.abs() <= MAX_MAGNITUDE) {
            return Err(out_of_range(p, value));
        }
        values[slot] = value;
    }
    // Dirichlet shares: X_k = Gamma(α_k, 1) quantiles of the components' uniforms, normalised.
    for group in &model.dirichlets {
        let gammas: Vec<f64> = group
            .iter()
            .map(|&i| match model.parameters[i].dist {
                ParamDist::DirichletShare { alpha, .. } => gamma_quantile(alpha, uniforms[i]),
                _ => 0.0,
            })
            .collect();
        let total: f64 = gammas.iter().sum();
        for (&i, g) in group.iter().zip(&gammas) {
            let share = if total > 0.0 { g / total } else { 1.0 / group.len() as f64 };
            values[model.parameters[i].slot.0 as usize] = share;
        }
    }
    Ok(values)
}

fn standard_normal() -> Normal {
    // Infallible: mean 0 and sd 1 are valid.
    Normal::new(0.0, 1.0).unwrap_or_else(|_| unreachable!())
}
