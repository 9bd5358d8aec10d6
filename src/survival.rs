//! Time-to-event distributions, parameterised as R's flexsurv.
//!
//! Every event time is drawn by inversion, T = S⁻¹(U), with the patient's own uniform for that
//! event: the same uniform under two regimens gives rank-matched times (common random numbers),
//! and one uniform per draw keeps the random streams simple. Times are in years; `f64::INFINITY`
//! means the event never happens (a cure fraction), which the engine censors at the horizon.

use crate::spline::{Spline, SplineError};
use libm::erfc;
use statrs::function::erf::erfc_inv;
use statrs::function::gamma::{checked_gamma_lr, checked_gamma_ur, ln_gamma};
use std::f64::consts::{LN_2, PI, SQRT_2};

/// A concrete time-to-event distribution (all parameters in years or per year).
#[derive(Clone, Debug, PartialEq)]
pub enum TimeToEvent {
    /// Constant hazard `rate`.
    Exponential { rate: f64 },
    /// S(t) = exp(−(t/scale)^shape).
    Weibull { shape: f64, scale: f64 },
    /// Hazard rate·e^{shape·t}; shape may be ≤ 0 (shape < 0 leaves a cured fraction).
    Gompertz { shape: f64, rate: f64 },
    /// S(t) = 1/(1 + (t/scale)^shape).
    LogLogistic { shape: f64, scale: f64 },
    /// log T ~ Normal(meanlog, sdlog), T in years.
    LogNormal { meanlog: f64, sdlog: f64 },
    /// Constant hazard `rates[k]` on `[breaks[k], breaks[k+1])`; `breaks[0] = 0`; the last rate
    /// lasts forever. `starts[k]` is the cumulative hazard at `breaks[k]`, computed once so that
    /// a draw finds its segment by comparisons rather than by subtracting segment after
    /// segment.
    Piecewise { breaks: Vec<f64>, rates: Vec<f64>, starts: Vec<f64> },
    /// S(t) = Q(shape, rate·t), Q the upper regularised incomplete gamma function.
    Gamma { shape: f64, rate: f64 },
    /// Prentice's generalised gamma (flexsurv's `gengamma`): with w = (ln t − mu)/sigma and
    /// a = 1/q², S(t) = Q(a, a·e^{q·w}) for q > 0, P(a, a·e^{q·w}) for q < 0, 1 − Φ(w) for
    /// q = 0 (the lognormal). `mu` is the log of a time in years.
    GenGamma { mu: f64, sigma: f64, q: f64 },
    /// Royston–Parmar: H(t) = exp(s(ln t)), s a natural cubic spline in log years.
    Spline(Spline),
}

/// Why a set of parameters does not define a distribution.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DistributionError {
    #[error("{name} must be greater than 0, found {value}")]
    NotPositive { name: &'static str, value: f64 },
    #[error("{name} must be 0 or more, found {value}")]
    Negative { name: &'static str, value: f64 },
    #[error("{name} must be finite, found {value}")]
    NotFinite { name: &'static str, value: f64 },
    #[error("piecewise breaks must start at 0 and increase strictly, one rate per break")]
    BadBreaks,
    #[error("{0}")]
    Spline(#[from] SplineError),
}

fn positive(name: &'static str, value: f64) -> Result<f64, DistributionError> {
    // Written so that NaN fails too.
    if !(value > 0.0) {
        Err(DistributionError::NotPositive { name, value })
    } else if !value.is_finite() {
        Err(DistributionError::NotFinite { name, value })
    } else {
        Ok(value)
    }
}

fn finite(name: &'static str, value: f64) -> Result<f64, DistributionError> {
    if value.is_finite() { Ok(value) } else { Err(DistributionError::NotFinite { name, value }) }
}

/// Standard normal upper tail, 1 − Φ(z).
fn normal_upper(z: f64) -> f64 {
    0.5 * erfc(z / SQRT_2)
}

/// z such that 1 − Φ(z) = p.
fn normal_upper_inv(p: f64) -> f64 {
    SQRT_2 * erfc_inv(2.0 * p)
}

/// The time at which the mixed cumulative hazard f·H_a(t) + (1 − f)·H_b(t) reaches `h`
/// (= −ln U), by bisection: the mixture lies between the two, so the root lies between
/// H_a⁻¹(h) and H_b⁻¹(h). Infinite if the mixture never reaches `h` (cure fractions).
pub fn mixture_time(a: &TimeToEvent, b: &TimeToEvent, f: f64, h: f64) -> f64 {
    let u = (-h).exp();
    let (ta, tb) = (a.sample_with_hazard(u, h), b.sample_with_hazard(u, h));
    let mixed = |t: f64| f * a.cumulative_hazard(t) + (1.0 - f) * b.cumulative_hazard(t);
    let mut lo = ta.min(tb);
    let mut hi = ta.max(tb);
    if !lo.is_finite() {
        return f64::INFINITY;
    }
    if !hi.is_finite() {
        // Grow a finite bracket; beyond 1e4 years the event never happens for our purposes.
        hi = lo.max(1e-6);
        while mixed(hi) < h {
            hi *= 2.0;
            if hi > 1e4 {
                return f64::INFINITY;
            }
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if mixed(mid) < h { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// Standard normal distribution function Φ(z), accurate in both tails.
pub fn normal_cdf(z: f64) -> f64 {
    normal_upper(-z)
}

/// Φ⁻¹(p) for p in (0, 1).
pub fn normal_quantile(p: f64) -> f64 {
    -normal_upper_inv(p)
}

// ---------------------------------------------------------------------------------------------
// The regularised incomplete gamma functions, for the gamma and generalised gamma families.

/// From this shape a on (|Q| ≤ 1/√2000 ≈ 0.0224 for the generalised gamma, a = 1/Q²), Q(a, x)
/// and P(a, x) are evaluated by Temme's uniform asymptotic expansion rather than by statrs.
/// statrs's series and continued fraction lose accuracy as the shape grows (relative error
/// about 5e-12 at a = 3e3, 2e-11 at 1e4, 1e-9 at 1e6, 1e-5 at 1e10, against 50-digit
/// references) and slow down with √a (2.6 ms an evaluation at a = 1e10); the expansion,
/// truncated after its third term, errs by O(a^{−7/2}), about 1e-15 here and less beyond.
const TEMME_SHAPE: f64 = 2e3;

/// Q(a, x), P(a, x) = 1 − Q(a, x), each to relative accuracy (the smaller from its own formula,
/// not as 1 minus the other), and `density` = s·x·g(x) = dP/dr, g the Gamma(a, 1) density,
/// s = 1/√a and r = √a·ln(x/a) (the standardised log: the generalised gamma's ±w).
#[derive(Clone, Copy, Debug)]
struct GammaTails {
    upper: f64,
    lower: f64,
    density: f64,
}

/// Q(a, x) and P(a, x) for a > 0, x ≥ 0 (x = ∞ allowed).
fn gamma_tails(a: f64, x: f64) -> GammaTails {
    gamma_tails_at(a, x, x.ln())
}

/// [`gamma_tails`] with ln x given as well, which stays exact where x = e^{ln x} underflows to
/// 0 (a generalised gamma with a large |Q| far in its lower tail, where P(a, x) is
/// x^a/Γ(a + 1) to first order and still far above the smallest double).
fn gamma_tails_at(a: f64, x: f64, ln_x: f64) -> GammaTails {
    if !(ln_x > f64::NEG_INFINITY) {
        return GammaTails { upper: 1.0, lower: 0.0, density: 0.0 };
    }
    if x == f64::INFINITY {
        return GammaTails { upper: 0.0, lower: 1.0, density: 0.0 };
    }
    if a >= TEMME_SHAPE {
        // ln(x/a), from ln x when x is far below a (where (x − a)/a rounds to −1).
        let q = if x < 0.5 * a { ln_x - a.ln() } else { ((x - a) / a).ln_1p() };
        let root = a.sqrt();
        return temme(1.0 / root, q, q * root);
    }
    let density = (a * ln_x - x - ln_gamma(a)).exp() / a.sqrt();
    if x <= 1.0 {
        // statrs returns P = 0 for x below 1.1e-15, whatever the shape: the series here, from
        // ln x (a subnormal or underflowed x has lost its digits).
        let lower = (a * ln_x - x - ln_gamma(a + 1.0)).exp() * lower_sum(a, x);
        return GammaTails { upper: 1.0 - lower, lower, density };
    }
    // Both are finite and in [0, 1] for a in (0, TEMME_SHAPE) and x in (1, ∞).
    let upper = checked_gamma_ur(a, x).unwrap_or(f64::NAN);
    let lower = checked_gamma_lr(a, x).unwrap_or(f64::NAN);
    GammaTails { upper, lower, density }
}

/// Σ_{k≥0} x^k / ((a + 1)⋯(a + k)), the sum in P(a, x) = x^a·e^{−x}/Γ(a + 1)·Σ; for x < a + 1
/// its terms fall at once.
fn lower_sum(a: f64, x: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 1..10_000 {
        term *= x / (a + f64::from(k));
        sum += term;
        if term <= 1e-17 * sum {
            break;
        }
    }
    sum
}

/// 1/(x·K), K the continued fraction of Q(a, x) = x^a·e^{−x}/Γ(a)·K (Legendre's, by the
/// modified Lentz method): g(x)/Q(a, x), the hazard of a Gamma(a, 1) variable at x, for the far
/// upper tail where Q underflows (x > a + 1).
fn gamma_upper_hazard(a: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut k = d;
    for i in 1..10_000 {
        let an = -f64::from(i) * (f64::from(i) - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = d * c;
        k *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    1.0 / (x * k)
}

/// 2(e^q − 1 − q)/q², by its series near 0 (no cancellation) and directly elsewhere.
fn temme_g(q: f64) -> f64 {
    if q.abs() < 0.5 {
        // Σ_k 2 q^k/(k + 2)!, to q^16.
        let mut term = 1.0;
        let mut sum = 1.0;
        for k in 1..=16 {
            term *= q / f64::from(k + 2);
            sum += term;
        }
        sum
    } else {
        2.0 * (q.exp_m1() - q) / (q * q)
    }
}

/// Taylor coefficients at η = 0 of Temme's c₀(η) = 1/μ − 1/η and
/// c₁(η) = 1/η³ − 1/μ³ − 1/μ² − 1/(12μ), μ = λ − 1 (DLMF 8.12; computed to 60 digits by a
/// Cauchy integral of the closed forms, the first terms −1/3, 1/12, −2/135, 1/864, 8/2835 and
/// −1/540, −1/288, 1/378 as DLMF lists them), and of c₂(η) (as Boost's `igamma_temme_large`
/// lists them, 25/6048 first; checked against 130-digit values of
/// (Q(a, x) − ½erfc(η√(a/2)))·√(2πa)·e^{aη²/2} − c₀ − c₁/a at a = 2000 and 4000, extrapolated
/// in 1/a, to 3e-8 relative for |η| ≤ 0.45).
const TEMME_C0: [f64; 18] = [
    -0.3333333333333333,
    0.08333333333333333,
    -0.014814814814814815,
    0.0011574074074074073,
    0.0003527336860670194,
    -0.0001787551440329218,
    3.919263178522438e-05,
    -2.1854485106799924e-06,
    -1.85406221071516e-06,
    8.296711340953087e-07,
    -1.7665952736826078e-07,
    6.707853543401498e-09,
    1.0261809784240309e-08,
    -4.382036018453353e-09,
    9.14769958223679e-10,
    -2.551419399494625e-11,
    -5.830772132550426e-11,
    2.4361948020667415e-11,
];
const TEMME_C1: [f64; 18] = [
    -0.001851851851851852,
    -0.003472222222222222,
    0.0026455026455026454,
    -0.0009902263374485596,
    0.00020576131687242798,
    -4.018775720164609e-07,
    -1.8098550334489977e-05,
    7.64916091608111e-06,
    -1.6120900894563446e-06,
    4.647127802807434e-09,
    1.378633446915721e-07,
    -5.752545603517705e-08,
    1.1951628599778148e-08,
    -1.7543241719747647e-11,
    -1.0091543710600413e-09,
    4.162792991842583e-10,
    -8.56390702649298e-11,
    6.067215101604758e-14,
];
const TEMME_C2: [f64; 11] = [
    0.004133597883597883,
    -0.0026813271604938273,
    0.0007716049382716049,
    2.0093878600823047e-06,
    -0.00010736653226365161,
    5.2923448829120125e-05,
    -1.2760635188618728e-05,
    3.423578734096138e-08,
    1.3721957309062932e-06,
    -6.298992138380055e-07,
    1.4280614206064242e-07,
];

fn horner(coefficients: &[f64], x: f64) -> f64 {
    coefficients.iter().rev().fold(0.0, |acc, c| acc * x + c)
}

/// c₀(η) + s²·c₁(η) + s⁴·c₂(η), with μ = e^q − 1: the Taylor series for |η| ≤ 1/2 (radius of
/// convergence 2√π), the closed forms of c₀ and c₁ beyond (where their cancellation costs
/// little). Where S neither underflows nor rounds to 1, |η| < 39/√a < 0.9, where c₂'s
/// series (times s⁴ ≤ 2.5e-7) is still exact to double precision.
fn temme_c(eta: f64, q: f64, s: f64) -> f64 {
    let s2 = s * s;
    let c2 = s2 * s2 * horner(&TEMME_C2, eta);
    if eta.abs() <= 0.5 {
        horner(&TEMME_C0, eta) + s2 * horner(&TEMME_C1, eta) + c2
    } else {
        let mu = q.exp_m1();
        let c0 = 1.0 / mu - 1.0 / eta;
        let c1 = 1.0 / eta.powi(3) - 1.0 / mu.powi(3) - 1.0 / (mu * mu) - 1.0 / (12.0 * mu);
        c0 + s2 * c1 + c2
    }
}

/// Temme's uniform expansion of Q(a, x) at a = 1/s², x = a·e^q, r = q/s (passed on its own so
/// that s = 0, the lognormal limit, is exact): with ½η² = e^q − 1 − q (η of the sign of q)
/// and ζ = η/s, Q = 1 − Φ(ζ) + s·φ(ζ)·(c₀(η) + s²c₁(η) + s⁴c₂(η)) + O(s⁷·φ(ζ)) (DLMF
/// 8.12.3–8.12.8), P = Φ(ζ) − the same correction, and dP/dr = φ(ζ)·e^{−θ(a)}, θ the Stirling
/// remainder of ln Γ(a).
fn temme(s: f64, q: f64, r: f64) -> GammaTails {
    let root = temme_g(q).sqrt();
    let eta = q * root;
    let zeta = r * root;
    let phi = (-0.5 * zeta * zeta).exp() / (2.0 * PI).sqrt();
    let correction = if phi > 0.0 && s > 0.0 { s * phi * temme_c(eta, q, s) } else { 0.0 };
    let s2 = s * s;
    let stirling = s2 / 12.0 - s2 * s2 * s2 / 360.0 + s2.powi(5) / 1260.0;
    GammaTails {
        upper: normal_upper(zeta) + correction,
        lower: normal_upper(-zeta) - correction,
        density: phi * (-stirling).exp(),
    }
}

/// What an inversion aims at: ln u, u = S(t) ≤ 1/2, or ln p, p = 1 − S(t) < 1/2 (each tail
/// from its own small number, so that both keep their relative precision).
#[derive(Clone, Copy, Debug)]
enum Target {
    Upper(f64),
    Lower(f64),
}

impl Target {
    /// For S(t) = u: the tail holding u, 1 − u exact when u ≥ 1/2.
    fn of_survival(u: f64) -> Self {
        if u <= 0.5 { Target::Upper(u.ln()) } else { Target::Lower((1.0 - u).ln()) }
    }

    /// For H(t) = h: e^{−h} or 1 − e^{−h} from h itself.
    fn of_hazard(h: f64) -> Self {
        if h >= LN_2 { Target::Upper(-h) } else { Target::Lower((-(-h).exp_m1()).ln()) }
    }

    /// A standard normal deviate z with 1 − Φ(z) = u.
    fn normal(self) -> f64 {
        match self {
            Target::Upper(lu) => normal_upper_inv(lu.exp()),
            Target::Lower(lp) => -normal_upper_inv(lp.exp()),
        }
    }
}

/// The inversions stop when a step moves ln t by at most this: t to a relative 1e-13 (the
/// Newton steps converge quadratically, so the error is then far smaller, down to what the
/// survival's own accuracy resolves).
pub const INVERSION_TOLERANCE: f64 = 1e-13;

/// The v with F(v) = 0 for a decreasing F given with its slope, `parts(v) = (F(v), F′(v))`:
/// Newton steps from `v`, kept inside the bracket of the points seen so far on either side
/// (bisection when a step leaves it or does not halve the last, a doubling step outward while
/// one side is still open).
fn solve_decreasing(parts: impl Fn(f64) -> (f64, f64), mut v: f64) -> f64 {
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut reach = 1.0;
    let mut last_step = f64::INFINITY;
    for _ in 0..400 {
        let (f, slope) = parts(v);
        if f == 0.0 {
            return v;
        }
        if f > 0.0 {
            lo = v
        } else {
            hi = v
        }
        let newton = v - f / slope;
        let next = if newton.is_finite()
            && newton > lo
            && newton < hi
            && (newton - v).abs() <= 0.5 * last_step
        {
            newton
        } else if lo.is_finite() && hi.is_finite() {
            0.5 * (lo + hi)
        } else if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            reach *= 2.0;
            if lo.is_finite() { lo + reach } else { hi - reach }
        };
        let step = (next - v).abs();
        if step <= INVERSION_TOLERANCE || next == lo || next == hi {
            return next;
        }
        if lo.is_finite() && hi.is_finite() && hi - lo <= INVERSION_TOLERANCE {
            return 0.5 * (lo + hi);
        }
        last_step = step;
        v = next;
    }
    v
}

impl TimeToEvent {
    pub fn exponential(rate: f64) -> Result<Self, DistributionError> {
        Ok(Self::Exponential { rate: positive("rate", rate)? })
    }

    /// Exponential with the given median: rate = ln 2 / median.
    pub fn exponential_median(median: f64) -> Result<Self, DistributionError> {
        Self::exponential(LN_2 / positive("median", median)?)
    }

    /// Exponential with the given mean: rate = 1 / mean.
    pub fn exponential_mean(mean: f64) -> Result<Self, DistributionError> {
        Self::exponential(1.0 / positive("mean", mean)?)
    }

    pub fn weibull(shape: f64, scale: f64) -> Result<Self, DistributionError> {
        Ok(Self::Weibull { shape: positive("shape", shape)?, scale: positive("scale", scale)? })
    }

    /// Weibull with the given median: scale = median / (ln 2)^(1/shape).
    pub fn weibull_median(shape: f64, median: f64) -> Result<Self, DistributionError> {
        let shape = positive("shape", shape)?;
        Self::weibull(shape, positive("median", median)? / LN_2.powf(1.0 / shape))
    }

    pub fn gompertz(shape: f64, rate: f64) -> Result<Self, DistributionError> {
        Ok(Self::Gompertz { shape: finite("shape", shape)?, rate: positive("rate", rate)? })
    }

    pub fn loglogistic(shape: f64, scale: f64) -> Result<Self, DistributionError> {
        Ok(Self::LogLogistic { shape: positive("shape", shape)?, scale: positive("scale", scale)? })
    }

    pub fn lognormal(meanlog: f64, sdlog: f64) -> Result<Self, DistributionError> {
        Ok(Self::LogNormal {
            meanlog: finite("meanlog", meanlog)?,
            sdlog: positive("sdlog", sdlog)?,
        })
    }

    /// Log-normal with the given median: meanlog = ln(median).
    pub fn lognormal_median(median: f64, sdlog: f64) -> Result<Self, DistributionError> {
        Self::lognormal(positive("median", median)?.ln(), sdlog)
    }

    pub fn piecewise(breaks: Vec<f64>, rates: Vec<f64>) -> Result<Self, DistributionError> {
        let starts_at_zero = breaks.first() == Some(&0.0);
        let increasing = breaks.windows(2).all(|w| w[1] > w[0] && w[1].is_finite());
        if !starts_at_zero || !increasing || breaks.len() != rates.len() {
            return Err(DistributionError::BadBreaks);
        }
        for &rate in &rates {
            if !(rate >= 0.0) {
                return Err(DistributionError::Negative { name: "rate", value: rate });
            }
            finite("rate", rate)?;
        }
        let starts = std::iter::once(0.0)
            .chain(breaks.windows(2).zip(&rates).scan(0.0, |h, (w, rate)| {
                *h += rate * (w[1] - w[0]);
                Some(*h)
            }))
            .collect();
        Ok(Self::Piecewise { breaks, rates, starts })
    }

    /// Gamma with S(t) = Q(shape, rate·t) (flexsurv's `dgamma` with `shape`, `rate`).
    pub fn gamma(shape: f64, rate: f64) -> Result<Self, DistributionError> {
        Ok(Self::Gamma { shape: positive("shape", shape)?, rate: positive("rate", rate)? })
    }

    /// Generalised gamma with `mu` the log of a time in years, `sigma` > 0 and any finite `q`.
    pub fn gengamma(mu: f64, sigma: f64, q: f64) -> Result<Self, DistributionError> {
        Ok(Self::GenGamma {
            mu: finite("mu", mu)?,
            sigma: positive("sigma", sigma)?,
            q: finite("Q", q)?,
        })
    }

    /// Royston–Parmar spline with `knots` the logs of times in a unit of `unit_years` years
    /// and one coefficient γ per knot: refused unless the log cumulative hazard increases.
    /// Converted to log years by a change of origin (s̃(x) = s(x − ln unit_years)).
    pub fn spline(
        knots: Vec<f64>,
        gamma: Vec<f64>,
        unit_years: f64,
    ) -> Result<Self, DistributionError> {
        let unit = positive("unit", unit_years)?;
        Ok(Self::Spline(Spline::new(knots, gamma)?.shifted(-unit.ln())))
    }

    /// ln S(t) and ln f(t) of a gamma or generalised gamma at t > 0, from the same evaluation
    /// the draws use (each tail to relative accuracy, Temme's expansion near Q = 0): what a
    /// likelihood needs. `None` for the other families.
    pub fn gamma_log_parts(&self, t: f64) -> Option<(f64, f64)> {
        if !matches!(self, Self::Gamma { .. } | Self::GenGamma { .. }) {
            return None;
        }
        let v = t.ln();
        let (survival, failure, density) = self.gamma_parts(v);
        let log_survival = if survival > 0.5 { (-failure).ln_1p() } else { survival.ln() };
        Some((log_survival, density.ln() - v))
    }

    /// S(t), 1 − S(t) and −dS/d ln t = t·f(t) for the gamma families, at v = ln t (each of
    /// the first two to relative accuracy).
    fn gamma_parts(&self, v: f64) -> (f64, f64, f64) {
        match self {
            Self::Gamma { shape, rate } => {
                let tails = gamma_tails(*shape, rate * v.exp());
                (tails.upper, tails.lower, tails.density * shape.sqrt())
            }
            Self::GenGamma { mu, sigma, q } => {
                let w = (v - mu) / sigma;
                let tails = if q.abs() * q.abs() * TEMME_SHAPE <= 1.0 {
                    temme(q.abs(), q * w, if *q < 0.0 { -w } else { w })
                } else {
                    let a = 1.0 / (q * q);
                    let ln_x = a.ln() + q * w;
                    gamma_tails_at(a, ln_x.exp(), ln_x)
                };
                let d = tails.density / sigma;
                if *q < 0.0 { (tails.lower, tails.upper, d) } else { (tails.upper, tails.lower, d) }
            }
            _ => unreachable!("gamma_parts of a family outside the gamma ones"),
        }
    }

    /// The hazard of the gamma families where the survival has underflowed (t far out): from
    /// the upper continued fraction or the lower series of the incomplete gamma function,
    /// which do not underflow; in the Temme range, the normal tail's asymptote (as the
    /// lognormal's).
    fn gamma_far_hazard(&self, t: f64) -> f64 {
        match self {
            Self::Gamma { shape, rate } => rate * gamma_upper_hazard(*shape, rate * t),
            Self::GenGamma { mu, sigma, q } => {
                let w = (t.ln() - mu) / sigma;
                if q.abs() * q.abs() * TEMME_SHAPE <= 1.0 {
                    let zeta = w * temme_g(q * w).sqrt();
                    return zeta / (sigma * t);
                }
                let a = 1.0 / (q * q);
                let x = a * (q * w).exp();
                if *q > 0.0 {
                    q / (sigma * t) * x * gamma_upper_hazard(a, x)
                } else {
                    a * q.abs() / (sigma * t * lower_sum(a, x))
                }
            }
            _ => unreachable!("gamma_far_hazard of a family outside the gamma ones"),
        }
    }

    /// The time at which the gamma families reach `target`: Newton on ln t (see
    /// [`solve_decreasing`], to [`INVERSION_TOLERANCE`]), from the Wilson–Hilferty
    /// approximation of the gamma quantile.
    fn gamma_inverse(&self, target: Target) -> f64 {
        let z = target.normal();
        let start = match self {
            Self::Gamma { shape, rate } => {
                let c = 1.0 - 1.0 / (9.0 * shape) + z / (3.0 * shape.sqrt());
                let ln_x = match target {
                    Target::Lower(lp) if c <= 0.0 || *shape < 1.0 => {
                        // The lower tail P ≈ x^a/Γ(a + 1).
                        (lp + ln_gamma(shape + 1.0)) / shape
                    }
                    _ if c > 0.0 => shape.ln() + 3.0 * c.ln(),
                    _ => shape.ln(),
                };
                ln_x - rate.ln()
            }
            Self::GenGamma { mu, sigma, q } => {
                // Q > 0 aims S at the gamma variable's upper tail, Q < 0 at its lower tail.
                let zx = if *q < 0.0 { -z } else { z };
                let arg = -q * q / 9.0 + zx * q.abs() / 3.0;
                let w = if *q != 0.0 && arg > -1.0 { 3.0 * arg.ln_1p() / q } else { z };
                mu + sigma * w
            }
            _ => unreachable!("gamma_inverse of a family outside the gamma ones"),
        };
        let parts = |v: f64| {
            let (surv, fail, d) = self.gamma_parts(v);
            match target {
                Target::Upper(lu) => (surv.ln() - lu, -d / surv),
                Target::Lower(lp) => (lp - fail.ln(), -d / fail),
            }
        };
        solve_decreasing(parts, start).exp()
    }

    /// Survival function S(t) = P(T > t).
    pub fn survival(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        match self {
            Self::LogLogistic { shape, scale } => 1.0 / (1.0 + (t / scale).powf(*shape)),
            Self::LogNormal { meanlog, sdlog } => normal_upper((t.ln() - meanlog) / sdlog),
            Self::Gamma { .. } | Self::GenGamma { .. } => self.gamma_parts(t.ln()).0,
            _ => (-self.cumulative_hazard(t)).exp(),
        }
    }

    /// Hazard h(t) = H′(t) (the right-hand limit at t = 0 and at a piecewise break). Used
    /// where a death hazard is compared with the general population's (a floored mortality).
    pub fn hazard(&self, t: f64) -> f64 {
        match self {
            Self::Exponential { rate } => *rate,
            Self::Weibull { shape, scale } => shape / scale * (t / scale).powf(shape - 1.0),
            Self::Gompertz { shape, rate } => rate * (shape * t).exp(),
            Self::LogLogistic { shape, scale } => {
                // (k/s)(t/s)^(k−1)/(1 + (t/s)^k): finite at t = 0 unless k < 1.
                let x = t / scale;
                shape / scale * x.powf(shape - 1.0) / (1.0 + x.powf(*shape))
            }
            Self::LogNormal { .. } if t <= 0.0 => 0.0,
            Self::LogNormal { meanlog, sdlog } => {
                let z = (t.ln() - meanlog) / sdlog;
                let density = (-0.5 * z * z).exp() / (2.0 * PI).sqrt();
                let upper = normal_upper(z);
                // φ(z)/Q(z) → z in the far tail, where Q underflows.
                let mills = if upper > 0.0 { density / upper } else { z };
                mills / (sdlog * t)
            }
            Self::Piecewise { breaks, rates, .. } => {
                let k = breaks.partition_point(|&b| b <= t).max(1) - 1;
                rates[k]
            }
            Self::Gamma { shape, rate } if t <= 0.0 => {
                // rate·(rate·t)^(a−1)/Γ(a) near 0.
                if *shape < 1.0 {
                    f64::INFINITY
                } else if *shape == 1.0 {
                    *rate
                } else {
                    0.0
                }
            }
            Self::GenGamma { mu, sigma, q } if t <= 0.0 => {
                // For Q > 0, f(t) ∝ t^(1/(Qσ) − 1) near 0; for Q ≤ 0 it vanishes faster than
                // any power.
                let k = 1.0 / (q * sigma);
                if *q <= 0.0 || k > 1.0 {
                    0.0
                } else if k < 1.0 {
                    f64::INFINITY
                } else {
                    let a = 1.0 / (q * q);
                    (a * a.ln() - mu - ln_gamma(a + 1.0)).exp()
                }
            }
            Self::Gamma { .. } | Self::GenGamma { .. } => {
                let (surv, _, d) = self.gamma_parts(t.ln());
                // f/S while S is a normal double; a subnormal S has lost its digits.
                if surv >= f64::MIN_POSITIVE { d / (t * surv) } else { self.gamma_far_hazard(t) }
            }
            Self::Spline(spline) => {
                if t <= 0.0 {
                    // Left of the first knot s is linear with slope γ₁: H ∝ t^γ₁.
                    let (g1, at_zero) = (spline.gamma()[1], spline.gamma()[0]);
                    return if g1 < 1.0 {
                        f64::INFINITY
                    } else if g1 == 1.0 {
                        at_zero.exp()
                    } else {
                        0.0
                    };
                }
                let x = t.ln();
                spline.slope(x) / t * spline.value(x).exp()
            }
        }
    }

    /// Cumulative hazard H(t) = −ln S(t).
    pub fn cumulative_hazard(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        match self {
            Self::Exponential { rate } => rate * t,
            Self::Weibull { shape, scale } => (t / scale).powf(*shape),
            Self::Gompertz { shape, rate } => {
                if *shape == 0.0 {
                    rate * t
                } else {
                    rate / shape * (shape * t).exp_m1()
                }
            }
            Self::LogLogistic { shape, scale } => (t / scale).powf(*shape).ln_1p(),
            Self::LogNormal { .. } => -self.survival(t).ln(),
            Self::Gamma { .. } | Self::GenGamma { .. } => {
                let (surv, fail, _) = self.gamma_parts(t.ln());
                if fail < 0.5 { -(-fail).ln_1p() } else { -surv.ln() }
            }
            Self::Spline(spline) => spline.value(t.ln()).exp(),
            Self::Piecewise { breaks, rates, .. } => {
                let mut h = 0.0;
                for (k, rate) in rates.iter().enumerate() {
                    let start = breaks[k];
                    if t <= start {
                        break;
                    }
                    let end = breaks.get(k + 1).copied().unwrap_or(f64::INFINITY).min(t);
                    h += rate * (end - start);
                }
                h
            }
        }
    }

    /// The time t with S(t) = u, for u in (0, 1]: the inversion draw. Infinite when the
    /// distribution never reaches survival u (cure fraction).
    pub fn inverse_survival(&self, u: f64) -> f64 {
        match self {
            Self::LogLogistic { shape, scale } => scale * (1.0 / u - 1.0).powf(1.0 / shape),
            Self::LogNormal { meanlog, sdlog } => (meanlog + sdlog * normal_upper_inv(u)).exp(),
            Self::Gamma { .. } | Self::GenGamma { .. } => {
                if !(u < 1.0) {
                    0.0
                } else if !(u > 0.0) {
                    f64::INFINITY
                } else {
                    self.gamma_inverse(Target::of_survival(u))
                }
            }
            _ => self.inverse_cumulative_hazard(-u.ln()),
        }
    }

    /// The time at which the cumulative hazard reaches `h` (≥ 0).
    fn inverse_cumulative_hazard(&self, h: f64) -> f64 {
        match self {
            Self::Exponential { rate } => h / rate,
            Self::Weibull { shape, scale } => scale * h.powf(1.0 / shape),
            Self::Gompertz { shape, rate } => {
                if *shape == 0.0 {
                    h / rate
                } else {
                    let x = h * shape / rate;
                    // For shape < 0 the hazard integrates to rate/|shape|: beyond it, never.
                    if x <= -1.0 { f64::INFINITY } else { x.ln_1p() / shape }
                }
            }
            Self::LogLogistic { .. } | Self::LogNormal { .. } => self.inverse_survival((-h).exp()),
            Self::Gamma { .. } | Self::GenGamma { .. } => {
                // Beyond e^{−h}'s underflow, never (as the forms above).
                if !(h > 0.0) {
                    0.0
                } else if !((-h).exp() > 0.0) {
                    f64::INFINITY
                } else {
                    self.gamma_inverse(Target::of_hazard(h))
                }
            }
            Self::Spline(spline) => {
                // ln h from −∞ (t = 0) to +∞ (never); +∞ also for a spline flat beyond its
                // last knot that stays below ln h.
                if !(h > 0.0) {
                    0.0
                } else if h == f64::INFINITY {
                    f64::INFINITY
                } else {
                    spline.inverse(h.ln()).exp()
                }
            }
            Self::Piecewise { breaks, rates, starts } => {
                // The segment holding h: the last that starts below it (the first whose end
                // reaches it). Counting the later starts below h takes no branch on h, and
                // the comparisons do not wait for one another.
                let k = starts[1..].iter().map(|&start| usize::from(start < h)).sum::<usize>();
                let rate = rates[k];
                if rate > 0.0 { breaks[k] + (h - starts[k]) / rate } else { f64::INFINITY }
            }
        }
    }

    /// The time at which the cumulative hazard reaches `h` (≥ 0): [`Self::sample_with_hazard`]
    /// at u = e^(−h), the `exp` taken only by the forms that invert the survival itself.
    #[inline]
    pub fn time_at_hazard(&self, h: f64) -> f64 {
        match self {
            Self::LogLogistic { .. } | Self::LogNormal { .. } => self.inverse_survival((-h).exp()),
            _ => self.inverse_cumulative_hazard(h),
        }
    }

    /// Draw a time from a uniform in (0, 1).
    #[inline]
    pub fn sample(&self, u: f64) -> f64 {
        self.inverse_survival(u)
    }

    /// The same draw as [`Self::sample`] when h = −ln u is already known: one `ln` saved per
    /// draw for the hazard-based forms, since the engine reuses a patient's draws across
    /// strategies.
    #[inline]
    pub fn sample_with_hazard(&self, u: f64, h: f64) -> f64 {
        match self {
            Self::LogLogistic { .. }
            | Self::LogNormal { .. }
            | Self::Gamma { .. }
            | Self::GenGamma { .. } => self.inverse_survival(u),
            _ => self.inverse_cumulative_hazard(h),
        }
    }

    /// Median: the time with S(t) = 1/2.
    pub fn median(&self) -> f64 {
        self.inverse_survival(0.5)
    }

    /// Mean in closed form where one exists in elementary functions; `None` for Gompertz
    /// (needs the exponential integral), the generalised gamma and the spline, and infinite
    /// for a cure fraction or a heavy tail.
    pub fn mean(&self) -> Option<f64> {
        match self {
            Self::Exponential { rate } => Some(1.0 / rate),
            Self::Weibull { shape, scale } => {
                Some(scale * statrs::function::gamma::gamma(1.0 + 1.0 / shape))
            }
            Self::LogLogistic { shape, scale } => Some(if *shape > 1.0 {
                let b = PI / shape;
                scale * b / b.sin()
            } else {
                f64::INFINITY
            }),
            Self::LogNormal { meanlog, sdlog } => Some((meanlog + sdlog * sdlog / 2.0).exp()),
            Self::Gamma { shape, rate } => Some(shape / rate),
            Self::Gompertz { .. } | Self::GenGamma { .. } | Self::Spline(_) => None,
            Self::Piecewise { breaks, rates, .. } => {
                // ∫ S = Σ_k S(t_k)·(1 − e^{−λ_k w_k})/λ_k (w_k when λ_k = 0).
                let mut mean = 0.0;
                let mut surv = 1.0;
                for (k, rate) in rates.iter().enumerate() {
                    let width = breaks.get(k + 1).map_or(f64::INFINITY, |end| end - breaks[k]);
                    if *rate == 0.0 {
                        if width.is_infinite() {
                            return Some(f64::INFINITY);
                        }
                        mean += surv * width;
                    } else {
                        mean += surv * -(-rate * width).exp_m1() / rate;
                        surv *= (-rate * width).exp();
                    }
                }
                Some(mean)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// P(a, x) by its power series (x ≤ 1).
    fn lower_series(a: f64, x: f64) -> f64 {
        (a * x.ln() - x - ln_gamma(a + 1.0)).exp() * lower_sum(a, x)
    }

    // Reference values computed with R 4.3 flexsurv 2.2 / base R (p-functions), as noted.
    #[test]
    fn survival_matches_closed_forms() {
        let w = TimeToEvent::weibull(1.3, 2.0).unwrap();
        // pweibull(1.5, 1.3, 2, lower=FALSE) = exp(-(0.75)^1.3)
        assert!((w.survival(1.5) - (-(0.75f64).powf(1.3)).exp()).abs() < 1e-15);
        let ll = TimeToEvent::loglogistic(2.0, 3.0).unwrap();
        assert!((ll.survival(3.0) - 0.5).abs() < 1e-15);
        let ln = TimeToEvent::lognormal(0.0, 1.0).unwrap();
        // plnorm(1, 0, 1, lower=FALSE) = 0.5; plnorm(e, 0, 1, lower=FALSE) = 0.158655253931457
        assert!((ln.survival(1.0) - 0.5).abs() < 1e-15);
        assert!((ln.survival(1f64.exp()) - 0.158_655_253_931_457_05).abs() < 1e-14);
        let g = TimeToEvent::gompertz(0.5, 0.2).unwrap();
        // flexsurv::pgompertz(2, 0.5, 0.2, lower=FALSE) = exp(-(0.2/0.5)(e^1 - 1))
        assert!((g.survival(2.0) - (-(0.4) * (1f64.exp() - 1.0)).exp()).abs() < 1e-15);
        let pw = TimeToEvent::piecewise(vec![0.0, 1.0], vec![0.5, 0.1]).unwrap();
        assert!((pw.survival(3.0) - (-0.5 - 0.2f64).exp()).abs() < 1e-15);
    }

    /// The piecewise inversion as it was first written: subtract each segment's hazard until
    /// the rest fits in one. The reference for the search by comparisons.
    fn piecewise_by_subtraction(breaks: &[f64], rates: &[f64], h: f64) -> f64 {
        let mut remaining = h;
        for (k, (&start, &rate)) in breaks.iter().zip(rates).enumerate() {
            let width = breaks.get(k + 1).map_or(f64::INFINITY, |end| end - start);
            let segment = rate * width;
            if remaining <= segment {
                return if rate > 0.0 { start + remaining / rate } else { f64::INFINITY };
            }
            remaining -= segment;
        }
        f64::INFINITY
    }

    #[test]
    fn piecewise_search_matches_subtraction() {
        let shapes: [(&[f64], &[f64]); 5] = [
            (&[0.0], &[0.4]),
            (
                &[0.0, 0.5, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0],
                &[0.15, 0.025, 0.015, 0.022, 0.034, 0.055, 0.095, 0.17, 0.29],
            ),
            // A zero rate in the middle, and a cure (zero rate) at the end.
            (&[0.0, 1.0, 2.0, 4.0], &[0.3, 0.0, 0.2, 0.0]),
            (&[0.0, 1.0], &[0.0, 0.5]),
            (
                &[0.0, 1.0 / 12.0, 0.25, 0.5, 1.0, 2.0, 5.0],
                &[0.24, 1.44, 0.84, 0.24, 0.06, 0.036, 0.0],
            ),
        ];
        for (breaks, rates) in shapes {
            let d = TimeToEvent::piecewise(breaks.to_vec(), rates.to_vec()).unwrap();
            // Hazards on a fine grid, the segment boundaries themselves, and the extremes.
            let mut hs: Vec<f64> = (0..4000).map(|i| f64::from(i) * 0.001_7).collect();
            hs.extend(breaks.iter().map(|&t| d.cumulative_hazard(t)));
            hs.extend([1e-300, 1e-12, 1e3, f64::INFINITY]);
            for h in hs {
                let got = d.inverse_cumulative_hazard(h);
                let want = piecewise_by_subtraction(breaks, rates, h);
                let close = (got - want).abs() <= 1e-12 * want.abs().max(1.0);
                assert!(got == want || close, "{breaks:?} {rates:?} h {h}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn inversion_round_trips() {
        let dists = [
            TimeToEvent::exponential(0.7).unwrap(),
            TimeToEvent::weibull(0.8, 1.5).unwrap(),
            TimeToEvent::gompertz(-0.3, 0.9).unwrap(),
            TimeToEvent::gompertz(0.4, 0.1).unwrap(),
            TimeToEvent::loglogistic(1.7, 0.9).unwrap(),
            TimeToEvent::lognormal(0.3, 0.8).unwrap(),
            TimeToEvent::piecewise(vec![0.0, 0.5, 2.0], vec![1.0, 0.0, 0.3]).unwrap(),
        ];
        for d in &dists {
            for &u in &[0.999, 0.9, 0.6, 0.5, 0.31, 0.05, 1e-6] {
                let t = d.inverse_survival(u);
                if t.is_finite() {
                    assert!((d.survival(t) - u).abs() < 1e-12, "{d:?} u={u} t={t}");
                } else {
                    // Only a cure fraction may give an infinite time.
                    assert!(matches!(d, TimeToEvent::Gompertz { shape, .. } if *shape < 0.0));
                    assert!(u <= (0.9f64 / -0.3).exp() + 1e-12);
                }
            }
        }
    }

    #[test]
    fn medians_by_parameterisation() {
        let m = 18.9 / 12.0;
        assert!((TimeToEvent::exponential_median(m).unwrap().median() - m).abs() < 1e-14);
        assert!((TimeToEvent::weibull_median(1.3, m).unwrap().median() - m).abs() < 1e-14);
        assert!((TimeToEvent::lognormal_median(m, 0.9).unwrap().median() - m).abs() < 1e-14);
        assert!((TimeToEvent::loglogistic(2.5, m).unwrap().median() - m).abs() < 1e-14);
        assert!((TimeToEvent::exponential_mean(2.0).unwrap().mean().unwrap() - 2.0).abs() < 1e-15);
    }

    /// ∫₀^∞ S(t) dt by composite Simpson on a substitution t = x/(1−x).
    fn integrate_survival(d: &TimeToEvent) -> f64 {
        let n = 200_000;
        let h = 1.0 / n as f64;
        let f = |x: f64| {
            if x >= 1.0 {
                return 0.0;
            }
            let t = x / (1.0 - x);
            d.survival(t) / ((1.0 - x) * (1.0 - x))
        };
        let mut s = f(0.0) + f(1.0);
        for i in 1..n {
            s += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0
    }

    #[test]
    fn means_match_integrated_survival() {
        let dists = [
            TimeToEvent::exponential(0.7).unwrap(),
            TimeToEvent::weibull(0.8, 1.5).unwrap(),
            TimeToEvent::weibull(2.5, 1.5).unwrap(),
            TimeToEvent::loglogistic(3.0, 0.9).unwrap(),
            TimeToEvent::lognormal(0.3, 0.5).unwrap(),
            TimeToEvent::piecewise(vec![0.0, 0.5, 2.0], vec![1.0, 0.0, 0.3]).unwrap(),
        ];
        for d in &dists {
            let closed = d.mean().unwrap();
            let numeric = integrate_survival(d);
            assert!((closed - numeric).abs() < 1e-6 * closed, "{d:?}: {closed} vs {numeric}");
        }
    }

    #[test]
    fn invalid_parameters_are_errors() {
        assert!(TimeToEvent::weibull(0.0, 1.0).is_err());
        assert!(TimeToEvent::weibull(f64::NAN, 1.0).is_err());
        assert!(TimeToEvent::exponential(-1.0).is_err());
        assert!(TimeToEvent::lognormal(0.0, 0.0).is_err());
        assert!(TimeToEvent::piecewise(vec![0.5], vec![1.0]).is_err());
        assert!(TimeToEvent::piecewise(vec![0.0, 0.0], vec![1.0, 1.0]).is_err());
        assert!(TimeToEvent::piecewise(vec![0.0], vec![-1.0]).is_err());
    }

    /// The hazard is the derivative of the cumulative hazard: a central difference of H at
    /// several times of every family (away from piecewise breaks), and the lognormal's far
    /// tail, where Φ underflows, against the Mills ratio's asymptote z/(σt).
    #[test]
    fn the_hazard_is_the_derivative_of_the_cumulative_hazard() {
        let families = [
            TimeToEvent::exponential(0.3).unwrap(),
            TimeToEvent::weibull(1.7, 2.0).unwrap(),
            TimeToEvent::weibull(0.6, 0.5).unwrap(),
            TimeToEvent::gompertz(0.4, 0.05).unwrap(),
            TimeToEvent::gompertz(-0.3, 0.6).unwrap(),
            TimeToEvent::loglogistic(2.5, 0.75).unwrap(),
            TimeToEvent::lognormal(0.2, 0.8).unwrap(),
            TimeToEvent::piecewise(vec![0.0, 1.0, 2.5], vec![0.5, 0.1, 0.9]).unwrap(),
        ];
        for d in &families {
            for t in [0.1, 0.7, 1.3, 3.0, 6.0] {
                let e = 1e-5 * t;
                let numeric = (d.cumulative_hazard(t + e) - d.cumulative_hazard(t - e)) / (2.0 * e);
                let h = d.hazard(t);
                assert!(
                    (h - numeric).abs() <= 1e-6 * numeric.abs().max(1.0),
                    "{d:?} at {t}: {h} vs {numeric}"
                );
            }
        }
        // At t = 0: the limits (a Weibull or log-logistic with shape < 1 starts infinite).
        let at_zero = [
            (TimeToEvent::weibull(0.6, 0.5).unwrap(), f64::INFINITY),
            (TimeToEvent::weibull(1.0, 0.5).unwrap(), 2.0),
            (TimeToEvent::weibull(1.7, 2.0).unwrap(), 0.0),
            (TimeToEvent::loglogistic(0.8, 1.0).unwrap(), f64::INFINITY),
            (TimeToEvent::loglogistic(1.0, 0.5).unwrap(), 2.0),
            (TimeToEvent::loglogistic(6.0, 1.0).unwrap(), 0.0),
            (TimeToEvent::lognormal(0.2, 0.8).unwrap(), 0.0),
        ];
        for (d, want) in at_zero {
            assert_eq!(d.hazard(0.0), want, "{d:?}");
        }
        let ln = TimeToEvent::lognormal(0.0, 0.1).unwrap();
        let t = 100.0f64;
        let z = t.ln() / 0.1;
        assert!((ln.hazard(t) - z / (0.1 * t)).abs() <= 0.01 * z / (0.1 * t));
    }

    // -----------------------------------------------------------------------------------------
    // The gamma, generalised gamma and spline families.

    /// Relative difference, 0 when both are 0.
    fn rel(got: f64, want: f64) -> f64 {
        if got == want { 0.0 } else { (got - want).abs() / want.abs() }
    }

    /// Q(a, x) and P(a, x) for a whole a, independently of the code under test: Q(a, x) is the
    /// probability that a Poisson(x) count is below a. The Poisson probabilities are summed
    /// outward from k = a by their ratios, p_a itself from Stirling's series for ln a!
    /// (ln p_a = a·(ln(1 + d) − d) − ½ln(2πa) − 1/(12a) + 1/(360a³), d = (x − a)/a).
    fn poisson_tails(a: u32, x: f64) -> (f64, f64) {
        let m = f64::from(a);
        let d = (x - m) / m;
        let ln_pa = m * (d.ln_1p() - d) - 0.5 * (2.0 * PI * m).ln() - 1.0 / (12.0 * m)
            + 1.0 / (360.0 * m.powi(3));
        let pa = ln_pa.exp();
        let (mut below, mut r) = (0.0, 1.0);
        for k in (1..=a).rev() {
            r *= f64::from(k) / x;
            below += r;
            if r < 1e-18 * below {
                break;
            }
        }
        let (mut above, mut r) = (1.0, 1.0);
        for k in a + 1.. {
            r *= x / f64::from(k);
            above += r;
            if r < 1e-18 * above {
                break;
            }
        }
        (pa * below, pa * above)
    }

    /// The gamma survival against closed forms: shape 1 the exponential, 2 and 3 the Erlang
    /// sums, ½ erfc(√(rt)); whole shapes on both sides of the switch to Temme's expansion (1999
    /// by statrs; 2000, 1e4, 4e4 by Temme) against Poisson sums, both tails to relative
    /// accuracy; and Q(a, a) = ½ − (1/3 + 1/(540a))/√(2πa) + O(a^{−5/2}) at a = 1e10, where
    /// statrs's series would take milliseconds and lose five digits.
    #[test]
    fn gamma_survival_matches_closed_forms() {
        let r = 0.7;
        for t in [1e-9, 0.01, 0.3, 1.0, 2.5, 10.0, 60.0, 400.0] {
            let x = r * t;
            // e^{−x} through logarithms: a relative error of a few ulps of x.
            let tolerance = 1e-14 + 4e-16 * x;
            let one = TimeToEvent::gamma(1.0, r).unwrap();
            assert!(rel(one.survival(t), (-x).exp()) < tolerance, "shape 1 at {t}");
            let two = TimeToEvent::gamma(2.0, r).unwrap();
            assert!(rel(two.survival(t), (-x).exp() * (1.0 + x)) < tolerance, "shape 2 at {t}");
            let three = TimeToEvent::gamma(3.0, r).unwrap();
            let want = (-x).exp() * (1.0 + x + x * x / 2.0);
            assert!(rel(three.survival(t), want) < tolerance, "shape 3 at {t}");
            let half = TimeToEvent::gamma(0.5, r).unwrap();
            assert!(rel(half.survival(t), erfc(x.sqrt())) < tolerance, "shape 1/2 at {t}");
            // The cumulative hazard from the lower tail where S is near 1: −ln(1 − P(2, x)),
            // P(2, x) = e^{−x}·Σ_{k≥2} x^k/k!.
            if x > 1.0 {
                continue;
            }
            let (mut term, mut lower) = (x * x / 2.0, 0.0);
            for k in 3..200 {
                lower += term;
                term *= x / f64::from(k);
            }
            let lower = lower * (-x).exp();
            assert!(rel(two.cumulative_hazard(t), -(-lower).ln_1p()) < 1e-12, "H at {t}");
        }
        for (a, tolerance) in [(1999u32, 2e-11), (2000, 1e-12), (10_000, 1e-12), (40_000, 1e-12)] {
            let d = TimeToEvent::gamma(f64::from(a), 1.0).unwrap();
            for i in -34..=34 {
                let x = f64::from(a) * (f64::from(i) / f64::from(a).sqrt()).exp();
                let (q, p) = poisson_tails(a, x);
                if !(q.min(p) > 1e-300) {
                    continue;
                }
                // x goes in as ln x: its rounding (an ulp of ln x) moves S by the elasticity
                // |d ln S/d ln x| times as much.
                let (surv, fail, density) = d.gamma_parts(x.ln());
                let elasticity = density / surv.min(fail);
                let allowed = tolerance + 2.3e-16 * x.ln() * elasticity;
                let error = rel(surv, q).max(rel(fail, p));
                assert!(error < allowed, "a {a} x {x}: {surv} {q}, {fail} {p}");
            }
        }
        let a = 1e10;
        let d = TimeToEvent::gamma(a, 1.0).unwrap();
        let want = 0.5 - (1.0 / 3.0 + 1.0 / (540.0 * a)) / (2.0 * PI * a).sqrt();
        // t goes in as ln t and e^{ln a} misses a by an ulp or two, moving S by −g(a)·(x − a),
        // g(a) = 1/√(2πa) to first order.
        let x = a.ln().exp();
        let want = want - (x - a) / (2.0 * PI * a).sqrt();
        assert!((d.survival(a) - want).abs() < 1e-15, "{} vs {want}", d.survival(a));
        assert!((d.median() / (a - 1.0 / 3.0) - 1.0).abs() < 1e-12);
    }

    /// The generalised gamma nests its special cases (Cox, Chu, Schneider & Muñoz 2007):
    /// Q = 1 the Weibull with shape 1/σ and scale e^μ; Q = σ the gamma with shape 1/σ² and
    /// rate e^{−μ}/σ²; Q = −σ the inverse gamma, S = P(1/σ², e^μ/(σ²t)); Q = 0 the lognormal;
    /// and about the switch to Temme's expansion (|Q| ≤ 0.0224), whole shapes 1/Q² against
    /// Poisson sums.
    /// Arguments at the edges of the incomplete gamma: a generalised gamma with a large |Q| far
    /// in its lower tail, where x = a·e^{Qw} underflows (mpmath, 40 digits: P(1/400,
    /// e^{−739.6}/400) = 0.155503644019111710567…), and a gamma of shape 2000 at a time so
    /// short that (x − a)/a rounds to −1 (P = 3e-33736: S = 1, H = 0, never NaN).
    #[test]
    fn the_incomplete_gamma_holds_at_its_edges() {
        let d = TimeToEvent::gengamma(0.0, 0.2, -20.0).unwrap();
        let want = 0.155_503_644_019_111_7;
        assert!(rel(d.survival(1620.0), want) < 1e-12, "{}", d.survival(1620.0));
        let g = TimeToEvent::gamma(2000.0, 1.0).unwrap();
        for t in [1e-14, 1e-300] {
            assert_eq!(g.survival(t), 1.0);
            assert_eq!(g.cumulative_hazard(t), 0.0);
            assert!(g.hazard(t).is_finite() && g.hazard(t) >= 0.0, "{}", g.hazard(t));
        }
    }

    #[test]
    fn gengamma_nests_its_special_cases() {
        let (mu, sigma) = (0.4f64, 0.5f64);
        let weibull = TimeToEvent::weibull(1.0 / sigma, mu.exp()).unwrap();
        let gamma =
            TimeToEvent::gamma(1.0 / (sigma * sigma), (-mu).exp() / (sigma * sigma)).unwrap();
        let lognormal = TimeToEvent::lognormal(mu, sigma).unwrap();
        let q1 = TimeToEvent::gengamma(mu, sigma, 1.0).unwrap();
        let qs = TimeToEvent::gengamma(mu, sigma, sigma).unwrap();
        let qm = TimeToEvent::gengamma(mu, sigma, -sigma).unwrap();
        let q0 = TimeToEvent::gengamma(mu, sigma, 0.0).unwrap();
        for i in -40..=40 {
            let t = (mu + sigma * f64::from(i) / 8.0).exp();
            assert!(rel(q1.survival(t), weibull.survival(t)) < 1e-12, "Q = 1 at {t}");
            assert!(rel(q1.hazard(t), weibull.hazard(t)) < 1e-11, "Q = 1 hazard at {t}");
            assert!(rel(qs.survival(t), gamma.survival(t)) < 1e-12, "Q = σ at {t}");
            // P(4, y) = 1 − e^{−y}(1 + y + y²/2 + y³/6) from its own lower tail.
            let y = mu.exp() / (sigma * sigma * t);
            let upper = (-y).exp() * (1.0 + y + y * y / 2.0 + y.powi(3) / 6.0);
            let (surv, fail, _) = qm.gamma_parts(t.ln());
            assert!(rel(surv, 1.0 - upper) < 1e-12 || rel(surv, lower_series(4.0, y)) < 1e-12);
            assert!(rel(fail, upper) < 1e-12, "Q = −σ at {t}: {fail} vs {upper}");
            assert_eq!(q0.survival(t), lognormal.survival(t), "Q = 0 at {t}");
        }
        for (q, a) in
            [(0.025, 1600u32), (0.02, 2500), (0.01, 10_000), (-0.02, 2500), (-0.005, 40_000)]
        {
            let d = TimeToEvent::gengamma(mu, sigma, q).unwrap();
            for i in -30..=30 {
                let w = f64::from(i);
                let x = f64::from(a) * (q * w).exp();
                let (qa, pa) = poisson_tails(a, x);
                let (surv, fail) = if q > 0.0 { (qa, pa) } else { (pa, qa) };
                let (s, f, _) = d.gamma_parts(mu + sigma * w);
                let error = rel(s, surv).max(rel(f, fail));
                assert!(error < 1e-11, "Q {q} w {w}: {s} {surv}, {f} {fail}");
            }
        }
        // Near Q = 0 the lognormal, with the skewness's first-order shift −Q·φ(w)(w² + 2)/6.
        for q in [1e-9, -1e-9, 1e-6, -1e-6] {
            let d = TimeToEvent::gengamma(mu, sigma, q).unwrap();
            for w in [-3.0, -1.0, 0.0, 0.5, 2.0, 4.0] {
                let t = (mu + sigma * w).exp();
                let phi = (-0.5 * w * w).exp() / (2.0 * PI).sqrt();
                let want = lognormal.survival(t) - q * phi * (w * w + 2.0) / 6.0;
                let error = (d.survival(t) - want).abs();
                assert!(error < 1e-9 * q.abs() + 100.0 * q * q + 1e-15, "Q {q} w {w}: {error}");
            }
        }
    }

    /// A natural cubic spline written out independently of crate::spline: γ₀ + γ₁x +
    /// Σⱼ γⱼ₊₁((x − kⱼ)₊³ − λⱼ(x − k_min)₊³ − (1 − λⱼ)(x − k_max)₊³).
    fn spline_by_hand(knots: &[f64], gamma: &[f64], x: f64) -> f64 {
        let cube = |u: f64| if u > 0.0 { u.powi(3) } else { 0.0 };
        let (lo, hi) = (knots[0], knots[knots.len() - 1]);
        let mut s = gamma[0] + gamma[1] * x;
        for j in 1..knots.len() - 1 {
            let lambda = (hi - knots[j]) / (hi - lo);
            s += gamma[j + 1]
                * (cube(x - knots[j]) - lambda * cube(x - lo) - (1.0 - lambda) * cube(x - hi));
        }
        s
    }

    fn spline_examples() -> Vec<TimeToEvent> {
        vec![
            TimeToEvent::spline(vec![-1.0, 2.5], vec![-0.7, 1.3], 1.0).unwrap(),
            TimeToEvent::spline(vec![0.5, 1.7, 2.6, 3.9], vec![-4.1, 1.2, 0.05, -0.12], 1.0 / 12.0)
                .unwrap(),
            TimeToEvent::spline(
                vec![-1.0, 0.2, 0.9, 1.5, 2.5],
                vec![-0.8, 1.3, 0.12, -0.3, 0.25],
                1.0,
            )
            .unwrap(),
        ]
    }

    /// Two knots make s linear: H = e^{γ₀}t^{γ₁}, the Weibull with shape γ₁ and scale
    /// e^{−γ₀/γ₁}, whatever the knots.
    #[test]
    fn a_spline_without_internal_knots_is_a_weibull() {
        for (knots, g0, g1) in
            [([-2.0, 3.0], -0.7, 1.3), ([0.0, 1.0], 0.4, 0.6), ([1.0, 4.0], -5.0, 2.2)]
        {
            let sp = TimeToEvent::spline(knots.to_vec(), vec![g0, g1], 1.0).unwrap();
            let w = TimeToEvent::weibull(g1, (-g0 / g1).exp()).unwrap();
            for i in -30..=30 {
                let t = (f64::from(i) / 5.0).exp();
                let scale = w.cumulative_hazard(t).max(1.0);
                assert!(rel(sp.survival(t), w.survival(t)) < 1e-13 * scale, "S at {t}");
                assert!(rel(sp.cumulative_hazard(t), w.cumulative_hazard(t)) < 1e-13, "H at {t}");
                assert!(rel(sp.hazard(t), w.hazard(t)) < 1e-13, "h at {t}");
            }
            for u in [1e-12, 1e-6, 0.01, 0.3, 0.5, 0.77, 0.999, 1.0 - 1e-9] {
                assert!(rel(sp.inverse_survival(u), w.inverse_survival(u)) < 1e-13, "u {u}");
            }
            assert_eq!(sp.hazard(0.0), w.hazard(0.0));
        }
    }

    /// The spline survival is exp(−exp(s(ln t))) with s written out by hand; a spline given in
    /// months is the same curve in years (t years = 12t months).
    #[test]
    fn spline_survival_matches_its_definition_in_any_unit() {
        let knots = [0.5, 1.7, 2.6, 3.9];
        let gamma = [-4.1, 1.2, 0.05, -0.12];
        let months = TimeToEvent::spline(knots.to_vec(), gamma.to_vec(), 1.0 / 12.0).unwrap();
        let years = TimeToEvent::spline(knots.to_vec(), gamma.to_vec(), 1.0).unwrap();
        for i in 0..200 {
            let t_years = 0.01 * 1.04f64.powi(i);
            let want = (-spline_by_hand(&knots, &gamma, (12.0 * t_years).ln()).exp()).exp();
            assert!(rel(months.survival(t_years), want) < 1e-12, "{t_years} years");
            // The same numbers read as log years describe a curve 12 times slower.
            assert!(rel(years.survival(12.0 * t_years), want) < 1e-12);
        }
    }

    /// S(t(u)) = u from u = 1e-12 to 1 − 1e-12, each tail to relative accuracy: an error δ in
    /// ln t moves S by e·δ relatively, e = |d ln S/d ln t| (or that of 1 − S), so the check
    /// allows the stated tolerance times e above the families' own accuracy (1e-11).
    #[test]
    fn new_families_invert_to_the_stated_tolerance() {
        let mut families = vec![
            TimeToEvent::gamma(0.3, 2.0).unwrap(),
            TimeToEvent::gamma(1.0, 0.5).unwrap(),
            TimeToEvent::gamma(4.5, 0.2).unwrap(),
            TimeToEvent::gamma(300.0, 10.0).unwrap(),
            TimeToEvent::gamma(5e4, 1e3).unwrap(),
            TimeToEvent::gamma(1e10, 1e9).unwrap(),
            TimeToEvent::gengamma(0.2, 0.8, 2.5).unwrap(),
            TimeToEvent::gengamma(0.2, 0.8, 0.6).unwrap(),
            TimeToEvent::gengamma(-1.0, 1.5, -0.7).unwrap(),
            TimeToEvent::gengamma(0.2, 0.4, 0.02).unwrap(),
            TimeToEvent::gengamma(0.2, 0.4, -0.022).unwrap(),
            TimeToEvent::gengamma(0.2, 0.4, 1e-7).unwrap(),
            TimeToEvent::gengamma(0.2, 0.4, 0.0).unwrap(),
        ];
        families.extend(spline_examples());
        let mut us = vec![1e-12, 1e-9, 1e-6, 1e-3, 0.02, 0.2, 0.5, 0.6, 0.9];
        us.extend([1e-3, 1e-6, 1e-9, 1e-12].map(|p| 1.0 - p));
        for d in &families {
            for &u in &us {
                let t = d.inverse_survival(u);
                assert!(t.is_finite() && t > 0.0, "{d:?} u {u}: {t}");
                assert_eq!(t.to_bits(), d.sample(u).to_bits());
                assert_eq!(t.to_bits(), d.sample_with_hazard(u, -u.ln()).to_bits());
                let h = d.time_at_hazard(-u.ln());
                assert!(rel(h, t) < 1e-11, "{d:?} u {u}: by hazard {h} vs {t}");
                let (surv, fail, elasticity) = match d {
                    TimeToEvent::Spline(_) => {
                        let big_h = d.cumulative_hazard(t);
                        (d.survival(t), -(-big_h).exp_m1(), t * d.hazard(t))
                    }
                    _ => {
                        let (s, f, dd) = d.gamma_parts(t.ln());
                        (s, f, dd / s.min(f))
                    }
                };
                let allowed = 1e-11 + 4.0 * INVERSION_TOLERANCE * elasticity.max(1.0);
                let error = if u <= 0.5 { rel(surv, u) } else { rel(fail, 1.0 - u) };
                assert!(error < allowed, "{d:?} u {u}: t {t}, error {error} > {allowed}");
            }
            assert_eq!(d.inverse_survival(1.0), 0.0);
            assert_eq!(d.inverse_survival(0.0), f64::INFINITY);
            assert_eq!(d.time_at_hazard(0.0), 0.0);
        }
    }

    /// The hazard is −d ln S/dt: a central difference of H at times across each distribution.
    #[test]
    fn new_families_hazard_is_the_derivative_of_the_cumulative_hazard() {
        let mut families = vec![
            TimeToEvent::gamma(0.3, 2.0).unwrap(),
            TimeToEvent::gamma(4.5, 0.2).unwrap(),
            TimeToEvent::gamma(2e4, 1e3).unwrap(),
            TimeToEvent::gengamma(0.2, 0.8, 0.6).unwrap(),
            TimeToEvent::gengamma(-1.0, 1.5, -0.7).unwrap(),
            TimeToEvent::gengamma(0.2, 0.4, 0.004).unwrap(),
            TimeToEvent::gengamma(0.2, 0.4, -0.004).unwrap(),
        ];
        families.extend(spline_examples());
        for d in &families {
            for u in [0.99, 0.9, 0.6, 0.3, 0.05, 1e-4] {
                let t = d.inverse_survival(u);
                let e = 1e-7 * t;
                let numeric = (d.cumulative_hazard(t + e) - d.cumulative_hazard(t - e)) / (2.0 * e);
                let h = d.hazard(t);
                assert!(rel(h, numeric) < 1e-6, "{d:?} at {t}: {h} vs {numeric}");
            }
        }
        // The limits at 0: shape < 1 infinite, 1 the rate, > 1 zero (H ∝ t^γ₁ for the spline).
        assert_eq!(TimeToEvent::gamma(0.5, 2.0).unwrap().hazard(0.0), f64::INFINITY);
        assert_eq!(TimeToEvent::gamma(1.0, 2.0).unwrap().hazard(0.0), 2.0);
        assert_eq!(TimeToEvent::gamma(3.0, 2.0).unwrap().hazard(0.0), 0.0);
        assert_eq!(TimeToEvent::gengamma(0.0, 2.0, 1.0).unwrap().hazard(0.0), f64::INFINITY);
        assert_eq!(TimeToEvent::gengamma(0.0, 0.5, 1.0).unwrap().hazard(0.0), 0.0);
        assert_eq!(TimeToEvent::gengamma(0.0, 0.5, -1.0).unwrap().hazard(0.0), 0.0);
        // Q = 1, σ = 1: the exponential with rate e^{−μ}.
        let exp = TimeToEvent::gengamma(0.3, 1.0, 1.0).unwrap();
        assert!(rel(exp.hazard(0.0), (-0.3f64).exp()) < 1e-14);
        assert!(rel(exp.hazard(1.7), (-0.3f64).exp()) < 1e-12);
        // Far out, where S underflows: the gamma's hazard tends to its rate.
        let g = TimeToEvent::gamma(2.0, 1.0).unwrap();
        assert!(g.survival(800.0) == 0.0 && rel(g.hazard(800.0), 800.0 / 801.0) < 1e-12);
    }

    #[test]
    fn new_families_means_and_invalid_parameters() {
        for d in [TimeToEvent::gamma(0.7, 1.3).unwrap(), TimeToEvent::gamma(3.5, 0.4).unwrap()] {
            let closed = d.mean().unwrap();
            assert!(rel(closed, integrate_survival(&d)) < 1e-6, "{d:?}");
        }
        assert_eq!(TimeToEvent::gengamma(0.0, 1.0, 0.5).unwrap().mean(), None);
        assert_eq!(spline_examples()[0].mean(), None);
        assert!(TimeToEvent::gamma(0.0, 1.0).is_err());
        assert!(TimeToEvent::gamma(1.0, f64::NAN).is_err());
        assert!(TimeToEvent::gengamma(0.0, 0.0, 1.0).is_err());
        assert!(TimeToEvent::gengamma(f64::INFINITY, 1.0, 1.0).is_err());
        assert!(TimeToEvent::gengamma(0.0, 1.0, f64::NAN).is_err());
        assert!(matches!(
            TimeToEvent::spline(vec![0.0, 1.0], vec![0.0, -1.0], 1.0),
            Err(DistributionError::Spline(SplineError::Decreasing { .. }))
        ));
        assert!(matches!(
            TimeToEvent::spline(vec![0.0, 1.0], vec![0.0, 1.0, 2.0], 1.0),
            Err(DistributionError::Spline(SplineError::Coefficients { .. }))
        ));
    }
}
