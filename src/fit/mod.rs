//! Survival evidence in: a data set of times and events (individual patient data, or rebuilt
//! from a digitised Kaplan–Meier curve), its Kaplan–Meier estimate, and maximum-likelihood
//! fits of the parametric families a scenario's time-to-event distributions use, with their
//! covariance, so that a fit and its uncertainty go into a scenario as jointly normal
//! parameters on the estimation scale.

pub mod data;
pub mod families;
pub mod guyot;
pub mod hazard;
pub mod km;
pub mod mle;
pub mod model;

use families::Family;
use km::KaplanMeier;
use rayon::prelude::*;

/// A name as the start of a file or parameter name: lower case, letters, digits and `_` (a
/// leading `x` when it would not start with a letter). Groups, covariates and levels whose
/// names would share a slug are refused when the data are read.
pub fn slug(name: &str) -> String {
    let s = name_part(name);
    if s.starts_with(|c: char| c.is_ascii_alphabetic()) { s } else { format!("x{s}") }
}

/// A name inside a parameter name (a covariate term's `ecog_1`): lower case, letters, digits
/// and `_`.
pub fn name_part(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect()
}

/// One group's data summary and its fits.
#[derive(Clone, Debug)]
pub struct GroupFits {
    pub group: String,
    pub km: KaplanMeier,
    /// One per family asked for, in that order.
    pub fits: Vec<mle::Fit>,
    /// The last observed time (event or censoring).
    pub last_time: f64,
}

/// Fit every family to every group (the pairs in parallel; each fit is deterministic, so the
/// results do not depend on the threads).
pub fn fit_groups(groups: &[data::Group], families: &[Family]) -> Vec<GroupFits> {
    let pairs: Vec<(usize, Family)> =
        (0..groups.len()).flat_map(|g| families.iter().map(move |&f| (g, f))).collect();
    let fits: Vec<mle::Fit> = pairs
        .par_iter()
        .map(|&(g, f)| {
            let group = &groups[g];
            let sample = mle::Sample { observations: &group.observations, design: &group.design };
            mle::fit_family(f, &group.terms, sample)
        })
        .collect();
    let mut fits = fits.into_iter();
    groups
        .iter()
        .map(|g| GroupFits {
            group: g.name.clone(),
            km: KaplanMeier::estimate(&g.observations),
            fits: fits.by_ref().take(families.len()).collect(),
            last_time: g.observations.iter().map(|o| o.time).fold(0.0, f64::max),
        })
        .collect()
}

/// The restricted mean survival time to `tau` of a survival function: ∫₀^τ S(t) dt, with
/// t = τ·u² (which smooths the steep start of a Weibull or a gamma with shape below 1) and
/// Simpson's rule on 4,000 intervals of u.
pub fn restricted_mean(survival: impl Fn(f64) -> f64, tau: f64) -> f64 {
    let n = 4000;
    let h = 1.0 / n as f64;
    let g = |u: f64| survival(tau * u * u) * 2.0 * tau * u;
    let mut sum = g(0.0) + g(1.0);
    for k in 1..n {
        sum += g(k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against closed forms: the exponential's (1 − e^{−λτ})/λ and the Weibull's
    /// (b/a)·γ(1/a, (τ/b)^a), with shapes below and above 1.
    #[test]
    fn restricted_means_match_their_closed_forms() {
        let (rate, tau) = (0.3_f64, 7.0_f64);
        let want = (1.0 - (-rate * tau).exp()) / rate;
        let exponential = model::Model::plain(Family::Exponential);
        let got = restricted_mean(|t| exponential.survival(&[rate.ln()], t), tau);
        assert!((got - want).abs() < 1e-10 * want, "{got} vs {want}");
        for (a, b) in [(0.5_f64, 3.0_f64), (2.2, 4.0)] {
            let x = (tau / b).powf(a);
            let lower = statrs::function::gamma::gamma_lr(1.0 / a, x)
                * statrs::function::gamma::gamma(1.0 / a);
            let want = b / a * lower;
            let weibull = model::Model::plain(Family::Weibull);
            let got = restricted_mean(|t| weibull.survival(&[a.ln(), b.ln()], t), tau);
            assert!((got - want).abs() < 1e-9 * want, "shape {a}: {got} vs {want}");
        }
    }
}
