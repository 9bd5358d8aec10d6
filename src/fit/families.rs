//! The parametric families a data set is fitted with: each one's log density and log survival
//! at a time, on the parameterisation of R's flexsurv (the one scenario distributions use), with
//! the parameters estimated on flexsurv's estimation scale (log of a positive parameter, a real
//! one as it is), where the likelihood is closer to quadratic and the normal approximation of
//! the estimate's uncertainty is better.
//!
//! Times are in the data's unit: a scale is in that unit, a rate per that unit, a meanlog the
//! log of a time in that unit.

use crate::survival::TimeToEvent;
use std::f64::consts::{LN_2, SQRT_2};

/// A parametric survival family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Exponential,
    Weibull,
    Gompertz,
    LogLogistic,
    LogNormal,
    Gamma,
    GenGamma,
    /// A Royston–Parmar spline on the log cumulative hazard with this many internal knots
    /// (1 to 3): ln H(t) = s(ln t), `crate::spline`.
    Spline(u8),
}

/// What a parameter measures, for its unit and its scenario field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// A plain number (a shape).
    Number,
    /// A time in the data's unit (a scale).
    Time,
    /// Per unit of time (a rate; a Gompertz shape).
    Rate,
    /// The log of a time in the data's unit (a lognormal's or generalised gamma's location).
    LogTime,
    /// A spline coefficient γⱼ (γ₀ the log cumulative hazard's intercept in the data's unit).
    Coefficient,
    /// A covariate's hazard ratio (estimated as its log).
    HazardRatio,
    /// A covariate's time ratio, the acceleration factor (estimated as its log).
    TimeRatio,
}

/// How a family takes covariates: on its location parameter, as flexsurv puts them, which
/// makes the effect a hazard ratio or a time ratio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Proportional hazards: H(t | x) = H₀(t)·e^{β·x}.
    ProportionalHazards,
    /// Accelerated failure time: S(t | x) = S₀(t·e^{−β·x}), times stretched by e^{β·x}.
    AcceleratedFailureTime,
}

/// One parameter of a family: its flexsurv name, whether it is estimated on the log scale, and
/// what it measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parameter {
    pub name: &'static str,
    pub log: bool,
    pub quantity: Quantity,
}

const fn param(name: &'static str, log: bool, quantity: Quantity) -> Parameter {
    Parameter { name, log, quantity }
}

impl Family {
    /// Every family, in the order fits.csv lists them.
    pub const ALL: [Family; 10] = [
        Family::Exponential,
        Family::Weibull,
        Family::Gompertz,
        Family::LogLogistic,
        Family::LogNormal,
        Family::Gamma,
        Family::GenGamma,
        Family::Spline(1),
        Family::Spline(2),
        Family::Spline(3),
    ];

    /// Its name in fits.csv and on the command line (flexsurv's `dist`; `splineM` for the
    /// spline with M internal knots).
    pub fn name(self) -> &'static str {
        match self {
            Family::Spline(1) => "spline1",
            Family::Spline(2) => "spline2",
            Family::Spline(_) => "spline3",
            Family::Exponential => "exponential",
            Family::Weibull => "weibull",
            Family::Gompertz => "gompertz",
            Family::LogLogistic => "loglogistic",
            Family::LogNormal => "lognormal",
            Family::Gamma => "gamma",
            Family::GenGamma => "gengamma",
        }
    }

    /// The family of a name.
    pub fn named(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Its parameters, in flexsurv's order.
    pub fn parameters(self) -> &'static [Parameter] {
        use Quantity::*;
        const EXPONENTIAL: [Parameter; 1] = [param("rate", true, Rate)];
        const WEIBULL: [Parameter; 2] = [param("shape", true, Number), param("scale", true, Time)];
        const GOMPERTZ: [Parameter; 2] = [param("shape", false, Rate), param("rate", true, Rate)];
        const LOGLOGISTIC: [Parameter; 2] =
            [param("shape", true, Number), param("scale", true, Time)];
        const LOGNORMAL: [Parameter; 2] =
            [param("meanlog", false, LogTime), param("sdlog", true, Number)];
        const GAMMA: [Parameter; 2] = [param("shape", true, Number), param("rate", true, Rate)];
        const GENGAMMA: [Parameter; 3] =
            [param("mu", false, LogTime), param("sigma", true, Number), param("Q", false, Number)];
        const SPLINE: [Parameter; 5] = [
            param("gamma0", false, Coefficient),
            param("gamma1", false, Coefficient),
            param("gamma2", false, Coefficient),
            param("gamma3", false, Coefficient),
            param("gamma4", false, Coefficient),
        ];
        match self {
            Family::Spline(m) => &SPLINE[..usize::from(m) + 2],
            Family::Exponential => &EXPONENTIAL,
            Family::Weibull => &WEIBULL,
            Family::Gompertz => &GOMPERTZ,
            Family::LogLogistic => &LOGLOGISTIC,
            Family::LogNormal => &LOGNORMAL,
            Family::Gamma => &GAMMA,
            Family::GenGamma => &GENGAMMA,
        }
    }

    /// Internal knots of a spline (0 for the other families).
    pub fn internal_knots(self) -> usize {
        if let Family::Spline(m) = self { usize::from(m) } else { 0 }
    }

    /// How covariates act in this family.
    pub fn effect(self) -> Effect {
        match self {
            Family::Exponential | Family::Weibull | Family::Gompertz | Family::Spline(_) => {
                Effect::ProportionalHazards
            }
            _ => Effect::AcceleratedFailureTime,
        }
    }

    /// The estimation-scale parameters of a patient whose covariates' linear predictor is `lp`
    /// (β·x), written into `theta`: the location moves so that the hazard is multiplied by
    /// e^{lp} (proportional hazards) or times are stretched by e^{lp} (acceleration). A Weibull
    /// takes its effect as a hazard ratio: e^{lp} on H = (t/b)^a is the scale b·e^{−lp/a}.
    pub fn locate(self, theta: &mut [f64], lp: f64) {
        match self {
            Family::Exponential | Family::LogNormal | Family::GenGamma | Family::Spline(_) => {
                theta[0] += lp
            }
            Family::Weibull => theta[1] -= lp * (-theta[0]).exp(),
            Family::Gompertz | Family::LogLogistic => theta[1] += lp,
            Family::Gamma => theta[1] -= lp,
        }
    }

    /// The parameters on their natural scale, from the estimation scale.
    pub fn natural(self, theta: &[f64]) -> Vec<f64> {
        self.parameters().iter().zip(theta).map(|(p, &x)| if p.log { x.exp() } else { x }).collect()
    }

    /// ln f(t) at the estimation-scale parameters `theta` (t > 0); `knots` are a spline's
    /// (log time), unused by the other families.
    pub fn log_density(self, knots: &[f64], theta: &[f64], t: f64) -> f64 {
        let p = self.natural(theta);
        let lt = t.ln();
        match self {
            Family::Exponential => theta[0] - p[0] * t,
            Family::Weibull => {
                let a = p[0];
                let z = lt - theta[1];
                theta[0] - theta[1] + (a - 1.0) * z - (a * z).exp()
            }
            Family::Gompertz => {
                let (a, b) = (p[0], p[1]);
                theta[1] + a * t - gompertz_cumulative_hazard(a, b, t)
            }
            Family::LogLogistic => {
                let a = p[0];
                let z = a * (lt - theta[1]);
                theta[0] - theta[1] + (a - 1.0) * (lt - theta[1]) - 2.0 * softplus(z)
            }
            Family::LogNormal => {
                let (mu, sigma) = (p[0], p[1]);
                let w = (lt - mu) / sigma;
                -lt - theta[1] - 0.5 * w * w - 0.5 * (2.0 * std::f64::consts::PI).ln()
            }
            Family::Gamma | Family::GenGamma => gamma_family(self, &p).map_or(f64::NAN, |d| {
                d.gamma_log_parts(t).map_or(f64::NAN, |(_, log_density)| log_density)
            }),
            Family::Spline(_) => spline_log_density(knots, theta, t),
        }
    }

    /// ln S(t) at the estimation-scale parameters `theta` (t ≥ 0).
    pub fn log_survival(self, knots: &[f64], theta: &[f64], t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let p = self.natural(theta);
        let lt = t.ln();
        match self {
            Family::Exponential => -p[0] * t,
            Family::Weibull => -(p[0] * (lt - theta[1])).exp(),
            Family::Gompertz => -gompertz_cumulative_hazard(p[0], p[1], t),
            Family::LogLogistic => -softplus(p[0] * (lt - theta[1])),
            Family::LogNormal => log_normal_upper((lt - p[0]) / p[1]),
            Family::Gamma | Family::GenGamma => gamma_family(self, &p).map_or(f64::NAN, |d| {
                d.gamma_log_parts(t).map_or(f64::NAN, |(log_survival, _)| log_survival)
            }),
            Family::Spline(_) => -spline_value(knots, theta, lt).exp(),
        }
    }

    /// The median: where S = 1/2, in closed form where there is one, else by bisection on
    /// ln S (`None` if S never falls to 1/2, as a Gompertz with a negative shape may not).
    pub fn median(self, knots: &[f64], theta: &[f64]) -> Option<f64> {
        let p = self.natural(theta);
        match self {
            Family::Exponential => Some(LN_2 / p[0]),
            Family::Weibull => Some(p[1] * LN_2.powf(1.0 / p[0])),
            Family::LogLogistic => Some(p[1]),
            Family::LogNormal => Some(p[0].exp()),
            _ => self.quantile(knots, theta, 0.5),
        }
    }

    /// The time at which S = `p` (0 < p < 1), by bisection; `None` if S stays above p.
    pub fn quantile(self, knots: &[f64], theta: &[f64], p: f64) -> Option<f64> {
        quantile(|t| self.log_survival(knots, theta, t), p)
    }

    /// The map from estimates on times divided by τ to estimates in the data's unit, on the
    /// estimation scale: θ = J·θ' + shift, given ln τ, J row-major. A scale or a location on
    /// the log scale moves by ln τ, a log rate by −ln τ, a Gompertz shape (per time) is divided
    /// by τ; shapes, sdlog, σ and Q do not change. A spline's log time moves by ln τ, so its
    /// intercept takes −γ₁·ln τ (`Spline::shifted`): the one entry of J off its diagonal.
    pub fn rescaling(self, ln_tau: f64) -> (Vec<f64>, Vec<f64>) {
        let tau = ln_tau.exp();
        let (shift, factor): (Vec<f64>, Vec<f64>) = self
            .parameters()
            .iter()
            .map(|p| match (p.log, p.quantity) {
                (true, Quantity::Time) | (false, Quantity::LogTime) => (ln_tau, 1.0),
                (true, Quantity::Rate) => (-ln_tau, 1.0),
                (false, Quantity::Rate) => (0.0, 1.0 / tau),
                _ => (0.0, 1.0),
            })
            .unzip();
        let k = factor.len();
        let mut jacobian = vec![0.0; k * k];
        for (i, f) in factor.iter().enumerate() {
            jacobian[i * k + i] = *f;
        }
        if let Family::Spline(_) = self {
            jacobian[1] = -ln_tau;
        }
        (shift, jacobian)
    }

    /// Starting values on the estimation scale from the data's crude event rate (events over
    /// exposure), each family at or near the exponential with that rate.
    pub fn start(self, rate: f64) -> Vec<f64> {
        let (lr, mean) = (rate.ln(), 1.0 / rate);
        match self {
            Family::Exponential => vec![lr],
            Family::Weibull | Family::LogLogistic => vec![0.0, mean.ln()],
            Family::Gompertz => vec![0.0, lr],
            Family::LogNormal => vec![(mean * LN_2).ln(), 0.0],
            Family::Gamma => vec![0.0, lr],
            Family::GenGamma => vec![(mean * LN_2).ln(), 0.0, 0.5],
            // The exponential: ln H = ln λ + ln t.
            Family::Spline(m) => {
                let mut s = vec![0.0; usize::from(m) + 2];
                s[0] = lr;
                s[1] = 1.0;
                s
            }
        }
    }
}

/// s(x) of a spline with these knots and coefficients.
fn spline_value(knots: &[f64], gamma: &[f64], x: f64) -> f64 {
    let mut b = [0.0; crate::spline::MAX_KNOTS];
    crate::spline::basis(knots, x, &mut b[..knots.len()]);
    gamma.iter().zip(&b).map(|(g, b)| g * b).sum()
}

/// ln f(t) of a spline on the log cumulative hazard: f = s′(x)/t·eˢ·exp(−eˢ), x = ln t; NaN
/// (outside the domain) where s′ ≤ 0, where the survival would not fall.
fn spline_log_density(knots: &[f64], gamma: &[f64], t: f64) -> f64 {
    let x = t.ln();
    let mut b = [0.0; crate::spline::MAX_KNOTS];
    crate::spline::basis_slope(knots, x, &mut b[..knots.len()]);
    let slope: f64 = gamma.iter().zip(&b).map(|(g, b)| g * b).sum();
    if !(slope > 0.0) {
        return f64::NAN;
    }
    let s = spline_value(knots, gamma, x);
    slope.ln() - x + s - s.exp()
}

/// The scenario distribution of a gamma family at natural parameters (the shape and rate; μ,
/// σ and Q), whose incomplete gamma functions keep their precision for every shape, Temme's
/// expansion taking over near Q = 0 (`crate::survival`); `None` outside the domain (the
/// optimiser's trial points far from the data), which the likelihood reads as such.
fn gamma_family(family: Family, p: &[f64]) -> Option<TimeToEvent> {
    let ok = p.iter().all(|x| x.is_finite());
    match family {
        Family::Gamma if ok && p[0] > 0.0 && p[1] > 0.0 => {
            Some(TimeToEvent::Gamma { shape: p[0], rate: p[1] })
        }
        Family::GenGamma if ok && p[1] > 0.0 => {
            Some(TimeToEvent::GenGamma { mu: p[0], sigma: p[1], q: p[2] })
        }
        _ => None,
    }
}

/// Gompertz H(t) = (b/a)(e^{at} − 1), the limit b·t at a = 0, without cancellation for small a.
fn gompertz_cumulative_hazard(a: f64, b: f64, t: f64) -> f64 {
    if a == 0.0 { b * t } else { b * (a * t).exp_m1() / a }
}

/// ln(1 + eˣ) without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
}

/// ln(1 − Φ(w)), accurate far into the upper tail (erfc keeps its relative precision there).
fn log_normal_upper(w: f64) -> f64 {
    (0.5 * libm::erfc(w / SQRT_2)).ln()
}

/// The t > 0 where ln S(t) = ln p, by bracketing and bisection to the last representable step;
/// `None` if S stays above p (a fraction that never has the event).
fn quantile(log_survival: impl Fn(f64) -> f64, p: f64) -> Option<f64> {
    let target = p.ln();
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while log_survival(hi) > target {
        lo = hi;
        hi *= 2.0;
        if hi > 1e300 {
            return None;
        }
    }
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if log_survival(mid) > target { lo = mid } else { hi = mid }
    }
    Some(0.5 * (lo + hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ∫₀^t f = 1 − S(t) for every family, by Simpson's rule on a fine grid in log time: the
    /// density and the survival function are written independently, so this checks each
    /// against the other.
    #[test]
    fn each_density_integrates_to_its_distribution_function() {
        let spline_knots: &[f64] = &[-1.5, -0.2, 0.6, 1.8];
        let cases: [(Family, &[f64], &[f64]); 10] = [
            (Family::Exponential, &[-1.2], &[]),
            (Family::Weibull, &[0.4, 0.9], &[]),
            (Family::Weibull, &[-0.5, 1.3], &[]),
            (Family::Gompertz, &[0.3, -2.0], &[]),
            (Family::Gompertz, &[-0.4, -0.5], &[]),
            (Family::LogLogistic, &[0.7, 0.2], &[]),
            (Family::LogNormal, &[0.5, -0.3], &[]),
            (Family::Gamma, &[0.6, -0.2], &[]),
            (Family::GenGamma, &[0.4, -0.5, -0.7], &[]),
            (Family::Spline(2), &[-0.9, 1.2, 0.05, -0.08], spline_knots),
        ];
        for (family, theta, knots) in cases {
            for t in [0.3_f64, 1.0, 4.0] {
                // Substituting t = eᵘ: ∫ f(t) dt = ∫ f(eᵘ)·eᵘ du from u = ln t − 40 (S ≈ 1).
                let (a, b, n) = (t.ln() - 40.0, t.ln(), 200_000);
                let h = (b - a) / n as f64;
                let g = |u: f64| (family.log_density(knots, theta, u.exp()) + u).exp();
                let mut sum = g(a) + g(b);
                for k in 1..n {
                    sum += g(a + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
                }
                let integral = sum * h / 3.0;
                let want = 1.0 - family.log_survival(knots, theta, t).exp();
                assert!(
                    (integral - want).abs() < 1e-9,
                    "{} {theta:?} at {t}: ∫f = {integral}, 1 − S = {want}",
                    family.name()
                );
            }
        }
    }

    /// The generalised gamma contains the Weibull (Q = 1), the gamma (Q = σ) and the lognormal
    /// (Q = 0) with flexsurv's mappings.
    #[test]
    fn the_generalised_gamma_nests_its_special_cases() {
        let (a, b) = (1.7_f64, 2.5_f64);
        // Weibull(a, b) = gengamma(μ = ln b, σ = 1/a, Q = 1).
        let gg = [b.ln(), (1.0 / a).ln(), 1.0];
        let w = [a.ln(), b.ln()];
        // Gamma(shape k, rate r) = gengamma(μ = ln(k/r)... ): Q = σ = 1/√k, μ = ln(k/r) + 2σ²·ln(1/σ²)·… ;
        // checked through the density instead: Q = σ = 1/√k and μ = ln(k / r)·… see below.
        for t in [0.2, 1.0, 3.0, 9.0] {
            let x = Family::GenGamma.log_density(&[], &gg, t);
            let y = Family::Weibull.log_density(&[], &w, t);
            assert!((x - y).abs() < 1e-12, "weibull density at {t}: {x} vs {y}");
            let x = Family::GenGamma.log_survival(&[], &gg, t);
            let y = Family::Weibull.log_survival(&[], &w, t);
            assert!((x - y).abs() < 1e-12, "weibull survival at {t}: {x} vs {y}");
        }
        // Gamma(shape k, rate r) = gengamma(μ = ln(k/r), σ = Q = 1/√k): with Q = σ, Q·w =
        // ln t − μ, so the gamma variable qi·e^{Qw} = k·t·e^{−μ} = r·t.
        let (k, r) = (2.3_f64, 0.8_f64);
        let s = 1.0 / k.sqrt();
        let gg = [(k / r).ln(), s.ln(), s];
        let g = [k.ln(), r.ln()];
        for t in [0.2, 1.0, 3.0, 9.0] {
            let x = Family::GenGamma.log_survival(&[], &gg, t);
            let y = Family::Gamma.log_survival(&[], &g, t);
            assert!((x - y).abs() < 1e-10, "gamma survival at {t}: {x} vs {y}");
            let x = Family::GenGamma.log_density(&[], &gg, t);
            let y = Family::Gamma.log_density(&[], &g, t);
            assert!((x - y).abs() < 1e-10, "gamma density at {t}: {x} vs {y}");
        }
        // Q = 0 is the lognormal; near it, the skewness's first-order shift of the survival,
        // −Q·φ(w)·(w² + 2)/6 (w = (ln t − μ)/σ; Prentice 1974's expansion), to O(Q²): the
        // likelihood is smooth through Q = 0, with no switch to the limit.
        let ln = [0.3, -0.2];
        let sigma = (-0.2_f64).exp();
        for t in [0.2_f64, 1.0, 3.0] {
            let y = Family::LogNormal.log_survival(&[], &ln, t);
            let x = Family::GenGamma.log_survival(&[], &[0.3, -0.2, 0.0], t);
            assert!((x - y).abs() < 1e-14, "lognormal at Q = 0, t {t}: {x} vs {y}");
            let w = (t.ln() - 0.3) / sigma;
            let phi = (-0.5 * w * w).exp() / (2.0 * std::f64::consts::PI).sqrt();
            for q in [1e-7, -1e-5, 1e-3] {
                let x = Family::GenGamma.log_survival(&[], &[0.3, -0.2, q], t);
                let want = y + (-q * phi * (w * w + 2.0) / 6.0) / y.exp();
                assert!((x - want).abs() < 5.0 * q * q, "Q {q} at {t}: {x} vs {want}");
            }
        }
    }

    #[test]
    fn medians_have_half_survival() {
        for (family, theta) in [
            (Family::Gompertz, &[0.3, -2.0][..]),
            (Family::Gamma, &[0.6, -0.2]),
            (Family::GenGamma, &[0.4, -0.5, -0.7]),
            (Family::Weibull, &[0.4, 0.9]),
        ] {
            let m = family.median(&[], theta).unwrap();
            assert!(
                (family.log_survival(&[], theta, m).exp() - 0.5).abs() < 1e-12,
                "{}",
                family.name()
            );
        }
        // A Gompertz with a negative shape whose cure fraction is above one half.
        assert_eq!(Family::Gompertz.median(&[], &[-1.0, (0.1_f64).ln()]), None);
    }
}
