//! Time-to-event distributions, parameterised as R's flexsurv.
//!
//! Every event time is drawn by inversion, T = S⁻¹(U), with the patient's own uniform for that
//! event: the same uniform under two regimens gives rank-matched times (common random numbers),
//! and one uniform per draw keeps the random streams simple. Times are in years; `f64::INFINITY`
//! means the event never happens (a cure fraction), which the engine censors at the horizon.

use libm::erfc;
use statrs::function::erf::erfc_inv;
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

    /// Survival function S(t) = P(T > t).
    pub fn survival(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        match self {
            Self::LogLogistic { shape, scale } => 1.0 / (1.0 + (t / scale).powf(*shape)),
            Self::LogNormal { meanlog, sdlog } => normal_upper((t.ln() - meanlog) / sdlog),
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
            Self::LogLogistic { .. } | Self::LogNormal { .. } => self.inverse_survival(u),
            _ => self.inverse_cumulative_hazard(h),
        }
    }

    /// Median: the time with S(t) = 1/2.
    pub fn median(&self) -> f64 {
        self.inverse_survival(0.5)
    }

    /// Mean in closed form where one exists in elementary functions; `None` for Gompertz
    /// (needs the exponential integral) and infinite for a cure fraction or a heavy tail.
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
            Self::Gompertz { .. } => None,
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
}
