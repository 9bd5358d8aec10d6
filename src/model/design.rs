//! A contract design: the terms of one contract kind (and the list price) a negotiation could
//! settle on, as grids of candidates evaluated on the same simulated patients
//! (`[[designs]]`, `vbpsim design`).

/// One design: a template contract whose terms the grids vary.
#[derive(Clone, Debug)]
pub struct Design {
    pub name: String,
    /// The template contract ([`super::Model::contracts`]): its drug, covered regimens,
    /// failure definition, administration and documentation error, and the terms no grid
    /// varies.
    pub contract: usize,
    /// The terms settled candidate by candidate, in the scenario's order (internal units:
    /// durations in years). A capped money-back guarantee's refund and price are among them
    /// (its cost is not linear in either).
    pub axes: Vec<Axis>,
    /// Values of the kind's linear share (`discount`, or an uncapped `refund`), valued from
    /// one settlement per candidate of the other terms; `None`: the template's share.
    pub shares: Option<Vec<f64>>,
    /// List prices per cycle of the drug in the covered regimens; `None`: its price there.
    pub prices: Option<Vec<f64>>,
    /// Whether every term, the share and the price included, is settled per candidate (a
    /// money-back guarantee with a cap in money).
    pub capped: bool,
    /// The manufacturer's administration per treated patient, at treatment start.
    pub manufacturer_admin: f64,
    /// The probability of being cost-effective a candidate needs under the PSA to be called
    /// robust.
    pub robust: f64,
}

/// A term and the values a design gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The term's key in a scenario (`window`, `refund`, `price`, ...).
    pub term: &'static str,
    pub values: Vec<f64>,
}

impl Design {
    /// Candidates settled one by one: the product of the axes' sizes.
    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    /// Every candidate: points × shares × prices.
    pub fn candidates(&self) -> usize {
        let shares = self.shares.as_ref().map_or(1, Vec::len);
        let prices = self.prices.as_ref().map_or(1, Vec::len);
        self.points() * shares * prices
    }

    /// The terms of point `j` (the first axis varying slowest).
    pub fn point(&self, j: usize) -> Vec<(&'static str, f64)> {
        let mut rest = j;
        let mut terms = vec![("", 0.0); self.axes.len()];
        for (k, axis) in self.axes.iter().enumerate().rev() {
            let n = axis.values.len();
            terms[k] = (axis.term, axis.values[rest % n]);
            rest /= n;
        }
        terms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_enumerate_the_product_with_the_first_axis_slowest() {
        let d = Design {
            name: "d".into(),
            contract: 0,
            axes: vec![
                Axis { term: "window", values: vec![0.5, 1.0] },
                Axis { term: "assess_at", values: vec![0.1, 0.2, 0.3] },
            ],
            shares: Some(vec![0.5, 1.0]),
            prices: None,
            capped: false,
            manufacturer_admin: 0.0,
            robust: 0.8,
        };
        assert_eq!((d.points(), d.candidates()), (6, 12));
        assert_eq!(d.point(0), vec![("window", 0.5), ("assess_at", 0.1)]);
        assert_eq!(d.point(4), vec![("window", 1.0), ("assess_at", 0.2)]);
    }
}
