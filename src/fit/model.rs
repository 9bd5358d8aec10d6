//! What one fit estimates: a family, a spline's knots placed on the data, and the covariate
//! terms on the family's location, with the parameter vector they share (the family's
//! parameters first, then one coefficient per term) and the functions of the fitted
//! distribution at the covariates' reference levels.

use super::data::Term;
use super::families::{Effect, Family, Quantity};
use super::km::Observation;

/// A parameter of a model: its name, whether it is estimated as a log, and what it measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelParameter {
    pub name: String,
    pub log: bool,
    pub quantity: Quantity,
}

/// A family with its knots and covariate terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub family: Family,
    /// A spline's knots on the log scale of the data's time unit, the boundary knots first and
    /// last; empty for the other families.
    pub knots: Vec<f64>,
    /// The covariate terms, each a 0/1 indicator of one level against its covariate's
    /// reference level.
    pub terms: Vec<Term>,
}

/// At most this many family parameters (a spline with 3 internal knots has 5).
const MAX_FAMILY: usize = 5;

impl Model {
    /// A family without covariates, its knots (for a spline) placed on `data`: `Err` says why
    /// they cannot be placed.
    pub fn new(family: Family, data: &[Observation], terms: &[Term]) -> Result<Self, String> {
        let knots = match family.internal_knots() {
            0 => Vec::new(),
            m => spline_knots(m, data)?,
        };
        Ok(Self { family, knots, terms: terms.to_vec() })
    }

    /// A family alone (no knots, no covariates), for the families that need none.
    pub fn plain(family: Family) -> Self {
        Self { family, knots: Vec::new(), terms: Vec::new() }
    }

    /// Parameters estimated.
    pub fn k(&self) -> usize {
        self.family.parameters().len() + self.terms.len()
    }

    /// The family's parameters, then each term's hazard ratio or time ratio (estimated as its
    /// log), named `covariate=level`.
    pub fn parameters(&self) -> Vec<ModelParameter> {
        let ratio = match self.family.effect() {
            Effect::ProportionalHazards => Quantity::HazardRatio,
            Effect::AcceleratedFailureTime => Quantity::TimeRatio,
        };
        self.family
            .parameters()
            .iter()
            .map(|p| ModelParameter { name: p.name.to_string(), log: p.log, quantity: p.quantity })
            .chain(self.terms.iter().map(|t| ModelParameter {
                name: t.label(),
                log: true,
                quantity: ratio,
            }))
            .collect()
    }

    /// The parameters on their natural scale.
    pub fn natural(&self, theta: &[f64]) -> Vec<f64> {
        self.parameters().iter().zip(theta).map(|(p, &x)| if p.log { x.exp() } else { x }).collect()
    }

    /// The family's parameters for a patient with indicators `x` (empty: the reference levels).
    fn located(&self, theta: &[f64], x: &[f64]) -> ([f64; MAX_FAMILY], usize) {
        let n = self.family.parameters().len();
        let mut out = [0.0; MAX_FAMILY];
        out[..n].copy_from_slice(&theta[..n]);
        if !x.is_empty() {
            let lp: f64 = theta[n..].iter().zip(x).map(|(b, x)| b * x).sum();
            self.family.locate(&mut out[..n], lp);
        }
        (out, n)
    }

    /// Whether `theta` defines a distribution everywhere, not only at the data's times: a
    /// spline's log cumulative hazard must not fall anywhere (γ₁ > 0 and s′ ≥ 0 over the whole
    /// line, `Spline::min_slope`), or the survival would rise between event times, which the
    /// likelihood alone does not see. The other families' parameters are valid wherever their
    /// likelihood is finite.
    pub fn admissible(&self, theta: &[f64]) -> bool {
        if self.knots.is_empty() {
            return true;
        }
        let n = self.knots.len();
        crate::spline::Spline::new(self.knots.clone(), theta[..n].to_vec()).is_ok()
    }

    /// ln f(t) for a patient with indicators `x`.
    pub fn log_density_at(&self, theta: &[f64], t: f64, x: &[f64]) -> f64 {
        let (p, n) = self.located(theta, x);
        self.family.log_density(&self.knots, &p[..n], t)
    }

    /// ln S(t) for a patient with indicators `x`.
    pub fn log_survival_at(&self, theta: &[f64], t: f64, x: &[f64]) -> f64 {
        let (p, n) = self.located(theta, x);
        self.family.log_survival(&self.knots, &p[..n], t)
    }

    /// S(t) at the reference levels.
    pub fn survival(&self, theta: &[f64], t: f64) -> f64 {
        self.log_survival_at(theta, t, &[]).exp()
    }

    /// The hazard f(t)/S(t) at the reference levels.
    pub fn hazard(&self, theta: &[f64], t: f64) -> f64 {
        (self.log_density_at(theta, t, &[]) - self.log_survival_at(theta, t, &[])).exp()
    }

    /// The median at the reference levels.
    pub fn median(&self, theta: &[f64]) -> Option<f64> {
        let n = self.family.parameters().len();
        self.family.median(&self.knots, &theta[..n])
    }

    /// The time at which S = `p` at the reference levels.
    pub fn quantile(&self, theta: &[f64], p: f64) -> Option<f64> {
        let n = self.family.parameters().len();
        self.family.quantile(&self.knots, &theta[..n], p)
    }

    /// The same model on times divided by τ: knots moved by −ln τ.
    pub fn rescaled(&self, ln_tau: f64) -> Self {
        Self { knots: self.knots.iter().map(|k| k - ln_tau).collect(), ..self.clone() }
    }

    /// The map from estimates on times divided by τ to estimates in the data's unit,
    /// θ = J·θ' + shift (J row-major): the family's (`Family::rescaling`), the identity on the
    /// covariates' coefficients, which have no unit.
    pub fn rescaling(&self, ln_tau: f64) -> (Vec<f64>, Vec<f64>) {
        let (shift, jacobian) = self.family.rescaling(ln_tau);
        let (n, k) = (shift.len(), self.k());
        let mut full = vec![0.0; k * k];
        for i in 0..k {
            for j in 0..k {
                full[i * k + j] = if i < n && j < n {
                    jacobian[i * n + j]
                } else if i == j {
                    1.0
                } else {
                    0.0
                };
            }
        }
        let mut shifts = shift;
        shifts.resize(k, 0.0);
        (shifts, full)
    }

    /// Starting values: the family's from the crude event rate, no covariate effect.
    pub fn start(&self, rate: f64) -> Vec<f64> {
        let mut s = self.family.start(rate);
        s.resize(self.k(), 0.0);
        s
    }

    /// Starting values from the data: for a spline, the least-squares line of the
    /// Nelson–Aalen log cumulative hazard on the basis at the event times (the curve the
    /// likelihood then refines; flexsurv starts from such a regression too) when it increases,
    /// else, and for the other families, [`Self::start`] at the crude event rate.
    pub fn start_from(&self, data: &[Observation]) -> Vec<f64> {
        let mut start = self.start(super::km::crude_rate(data));
        if !self.knots.is_empty()
            && let Some(gamma) = spline_regression(&self.knots, data)
        {
            start[..gamma.len()].copy_from_slice(&gamma);
        }
        start
    }
}

/// The least-squares coefficients of ln Ĥ(t) on the spline basis at ln t over the event times
/// (Ĥ the Nelson–Aalen estimate), if the normal equations solve and the spline increases.
fn spline_regression(knots: &[f64], data: &[Observation]) -> Option<Vec<f64>> {
    let km = super::km::KaplanMeier::estimate(data);
    let n = knots.len();
    let (mut normal, mut right) = (vec![0.0; n * n], vec![0.0; n]);
    let mut b = [0.0; crate::spline::MAX_KNOTS];
    let mut hazard = 0.0;
    for step in km.steps.iter().filter(|s| s.events > 0.0) {
        hazard += step.events / step.at_risk;
        crate::spline::basis(knots, step.time.ln(), &mut b[..n]);
        for i in 0..n {
            right[i] += b[i] * hazard.ln();
            for j in 0..n {
                normal[i * n + j] += b[i] * b[j];
            }
        }
    }
    let gamma = crate::linalg::cholesky_solve(&normal, n, &right, 1)?;
    crate::spline::Spline::new(knots.to_vec(), gamma.clone()).ok().map(|_| gamma)
}

/// flexsurv's default knots for a spline with `m` internal knots: the boundary knots at the
/// smallest and largest log event time, the internal ones at the quantiles j/(m + 1) of the log
/// event times (R's default quantile, type 7). `Err` when they do not increase strictly: too
/// few distinct event times for the knots.
pub fn spline_knots(m: usize, data: &[Observation]) -> Result<Vec<f64>, String> {
    let mut logs: Vec<f64> = data.iter().filter(|o| o.event).map(|o| o.time.ln()).collect();
    logs.sort_by(f64::total_cmp);
    let n = logs.len();
    if n == 0 {
        return Err("too few events for the knots: no event times".into());
    }
    let quantile = |p: f64| {
        let h = (n - 1) as f64 * p;
        let lo = h.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        logs[lo] + (h - lo as f64) * (logs[hi] - logs[lo])
    };
    let knots: Vec<f64> = (0..m + 2).map(|j| quantile(j as f64 / (m + 1) as f64)).collect();
    let mut distinct = logs.clone();
    distinct.dedup();
    if distinct.len() < m + 2 {
        return Err(format!(
            "too few events for the knots: {} distinct event times, and a spline with {m} internal knots has {} parameters",
            distinct.len(),
            m + 2
        ));
    }
    if knots.windows(2).any(|w| !(w[0] < w[1])) {
        return Err(format!(
            "too few events for the knots: {} distinct event times put {m} internal knots at quantiles that do not separate (knots at log times {knots:?})",
            distinct.len()
        ));
    }
    Ok(knots)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(times: &[f64]) -> Vec<Observation> {
        times.iter().map(|&t| Observation::from_start(t, true)).collect()
    }

    /// Knots against R: quantile(log(c(1, 2, 4, 8, 16)), c(0, 1/3, 2/3, 1)) = 0, ln 2·4/3,
    /// ln 2·8/3, ln 16 (type 7 interpolates between order statistics).
    #[test]
    fn knots_are_quantiles_of_log_event_times() {
        let mut data = events(&[1.0, 2.0, 4.0, 8.0, 16.0]);
        data.push(Observation::from_start(100.0, false));
        let k = spline_knots(2, &data).unwrap();
        let l2 = 2f64.ln();
        for (got, want) in k.iter().zip([0.0, l2 * 4.0 / 3.0, l2 * 8.0 / 3.0, 4.0 * l2]) {
            assert!((got - want).abs() < 1e-14, "{k:?}");
        }
    }

    #[test]
    fn too_few_events_for_the_knots_are_named() {
        let e = spline_knots(3, &events(&[2.0, 2.0, 2.0, 5.0])).unwrap_err();
        assert!(e.starts_with("too few events for the knots: 2 distinct event times"), "{e}");
    }

    /// A covariate moves the Weibull's scale so that its ratio is the hazard ratio, and the
    /// log-normal's location so that it is the time ratio.
    #[test]
    fn covariate_effects_are_hazard_or_time_ratios() {
        let term = Term { covariate: "arm".into(), level: "b".into(), reference: "a".into() };
        let weibull = Model { terms: vec![term.clone()], ..Model::plain(Family::Weibull) };
        let theta = [0.4, 1.1, 0.3_f64.ln()];
        for t in [0.5, 2.0, 7.0] {
            let h0 = -weibull.log_survival_at(&theta, t, &[0.0]);
            let h1 = -weibull.log_survival_at(&theta, t, &[1.0]);
            assert!((h1 / h0 - 0.3).abs() < 1e-13, "weibull cumulative hazard ratio at {t}");
        }
        let lognormal = Model { terms: vec![term], ..Model::plain(Family::LogNormal) };
        let theta = [0.2, -0.4, 1.7_f64.ln()];
        for t in [0.5, 2.0, 7.0] {
            let s1 = lognormal.log_survival_at(&theta, 1.7 * t, &[1.0]);
            let s0 = lognormal.log_survival_at(&theta, t, &[0.0]);
            assert!((s1 - s0).abs() < 1e-13, "lognormal time ratio at {t}");
        }
    }
}
