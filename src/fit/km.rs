//! The Kaplan–Meier estimate of a survival curve from right-censored times, with delayed entry
//! (left truncation) allowed: the product over distinct event times of 1 − d/n, where the risk
//! set at t holds the people who entered before t and had not left before t. Each step carries
//! Greenwood's standard error and a 95 % confidence interval on the log(−log S) scale (R
//! survival's `conf.type = "log-log"`), which, unlike the plain interval, stays inside [0, 1].
//!
//! The estimate is what a fitted parametric curve is compared with, and what a reconstruction
//! from a digitised curve ([`super::guyot`]) is checked against.

/// The standard normal quantile of 0.975: the half-width of a two-sided 95 % interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// One person's follow-up: at risk from `entry` (0 unless entry was delayed) until `time`,
/// when the event happened (`event`) or follow-up stopped (censored). The caller guarantees
/// 0 ≤ entry < time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Observation {
    pub entry: f64,
    pub time: f64,
    pub event: bool,
}

impl Observation {
    /// Followed from time 0 (no delayed entry), the usual case of a trial's patients.
    pub fn from_start(time: f64, event: bool) -> Self {
        Observation { entry: 0.0, time, event }
    }
}

/// The crude event rate, events over exposure (the sums of time − entry; one event at least):
/// the exponential's estimate, where every search starts.
pub fn crude_rate(observations: &[Observation]) -> f64 {
    let events = observations.iter().filter(|o| o.event).count();
    let exposure: f64 = observations.iter().map(|o| o.time - o.entry).sum();
    events.max(1) as f64 / exposure
}

/// The estimate at one distinct time with an event or a censoring.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KmStep {
    pub time: f64,
    /// The people at risk at `time`: entered before it and still followed at it (those
    /// censored at `time` included, since an event at a tied time is taken to come first).
    pub at_risk: f64,
    pub events: f64,
    pub censored: f64,
    /// S(time), the estimate from `time` until the next step.
    pub survival: f64,
    /// Greenwood's standard error of `survival` (0 where S = 1, and where S = 0, the formula
    /// being undefined there).
    pub se: f64,
    /// The 95 % log-log confidence limits (equal to S where S is 1 or 0).
    pub lower: f64,
    pub upper: f64,
}

/// A Kaplan–Meier estimate: a right-continuous step function, 1 before its first step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KaplanMeier {
    /// One step per distinct time with an event or a censoring, in increasing time.
    pub steps: Vec<KmStep>,
}

/// Who is at risk when: the follow-up times and the entry times, each sorted, so that the
/// risk set's size at any t is two binary searches instead of a pass over everyone.
struct RiskSet {
    exits: Vec<f64>,
    entries: Vec<f64>,
}

impl RiskSet {
    fn new(observations: &[Observation]) -> Self {
        let mut exits: Vec<f64> = observations.iter().map(|o| o.time).collect();
        let mut entries: Vec<f64> = observations.iter().map(|o| o.entry).collect();
        exits.sort_by(f64::total_cmp);
        entries.sort_by(f64::total_cmp);
        RiskSet { exits, entries }
    }

    /// #{entry < t ≤ time}. As entry < time, everyone who entered at or after t also leaves
    /// after t, so this is #{time ≥ t} − #{entry ≥ t}.
    fn at(&self, t: f64) -> f64 {
        let followed = self.exits.len() - self.exits.partition_point(|&x| x < t);
        let not_entered = self.entries.len() - self.entries.partition_point(|&x| x < t);
        (followed - not_entered) as f64
    }
}

/// Events and censorings at each distinct follow-up time, in increasing time.
fn tallies(observations: &[Observation]) -> Vec<(f64, f64, f64)> {
    let mut sorted: Vec<&Observation> = observations.iter().collect();
    sorted.sort_by(|a, b| a.time.total_cmp(&b.time));
    let mut out: Vec<(f64, f64, f64)> = Vec::new();
    for o in sorted {
        let (events, censored) = (f64::from(u8::from(o.event)), f64::from(u8::from(!o.event)));
        match out.last_mut() {
            Some((t, d, c)) if *t == o.time => {
                *d += events;
                *c += censored;
            }
            _ => out.push((o.time, events, censored)),
        }
    }
    out
}

/// The 95 % interval for S from the delta method on log(−log S), whose standard error is
/// σ/|log S| where σ² is Greenwood's sum (the variance of log S): S^exp(±z σ/|log S|). On the
/// boundaries the transform is undefined and the interval collapses to S.
fn log_log_limits(survival: f64, sigma: f64) -> (f64, f64) {
    if survival <= 0.0 || survival >= 1.0 {
        return (survival, survival);
    }
    let spread = (Z_95 * sigma / survival.ln().abs()).exp();
    (survival.powf(spread), survival.powf(1.0 / spread))
}

impl KaplanMeier {
    /// The estimate from follow-up data (see [`Observation`] for what the caller guarantees).
    pub fn estimate(observations: &[Observation]) -> Self {
        let risk = RiskSet::new(observations);
        let (mut survival, mut greenwood) = (1.0_f64, 0.0_f64);
        let steps = tallies(observations)
            .into_iter()
            .map(|(time, events, censored)| {
                let at_risk = risk.at(time);
                if events > 0.0 {
                    survival *= 1.0 - events / at_risk;
                    // d/(n(n − d)) is infinite when everyone at risk has the event; S is then
                    // 0 and stays 0, and the standard error below is not taken from it.
                    greenwood += events / (at_risk * (at_risk - events));
                }
                let sigma = greenwood.sqrt();
                let se = if survival > 0.0 { survival * sigma } else { 0.0 };
                let (lower, upper) = log_log_limits(survival, sigma);
                KmStep { time, at_risk, events, censored, survival, se, lower, upper }
            })
            .collect();
        KaplanMeier { steps }
    }

    /// S(t): the survival of the last step at or before t, 1 before the first step.
    pub fn survival_at(&self, t: f64) -> f64 {
        match self.steps.partition_point(|s| s.time <= t) {
            0 => 1.0,
            i => self.steps[i - 1].survival,
        }
    }

    /// The restricted mean survival time: the area under S from 0 to `tau` (the step
    /// function continued flat beyond its last step; 0 for tau ≤ 0).
    pub fn restricted_mean(&self, tau: f64) -> f64 {
        if tau <= 0.0 {
            return 0.0;
        }
        let (mut area, mut from, mut level) = (0.0, 0.0, 1.0);
        for step in self.steps.iter().take_while(|s| s.time < tau) {
            area += level * (step.time - from);
            (from, level) = (step.time, step.survival);
        }
        area + level * (tau - from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn obs(entry: f64, time: f64, event: bool) -> Observation {
        Observation { entry, time, event }
    }

    /// Seven patients, no delayed entry: events at 1, 3, 3, 4; censored at 2, 3, 5.
    fn seven() -> Vec<Observation> {
        let data = [
            (1.0, true),
            (2.0, false),
            (3.0, true),
            (3.0, true),
            (3.0, false),
            (4.0, true),
            (5.0, false),
        ];
        data.into_iter().map(|(t, e)| Observation::from_start(t, e)).collect()
    }

    #[test]
    fn hand_computed_estimate_greenwood_and_log_log_limits() {
        // t  n  d  c   S                      Greenwood sum Σ d/(n(n−d))
        // 1  7  1  0   6/7                    1/42
        // 2  6  0  1   6/7                    1/42
        // 3  5  2  1   6/7·3/5 = 18/35        1/42 + 2/15 = 11/70
        // 4  2  1  0   18/35·1/2 = 9/35       11/70 + 1/2 = 23/35
        // 5  1  0  1   9/35                   23/35
        // se = S·√Σ: 6/7·√(1/42) = 0.132260014, 18/35·√(11/70) = 0.203869277,
        // 9/35·√(23/35) = 0.208451181.
        // Log-log limits S^exp(±1.959964·√Σ/|ln S|):
        //   t=1: ln(6/7) = −0.154151, √Σ = 0.154303, exponent e^±1.961850:
        //        lower (6/7)^7.11139 = 0.334054, upper (6/7)^0.140620 = 0.978561;
        //   t=3: ln(18/35) = −0.665008, √Σ = 0.396412, e^±1.168347:
        //        lower 0.117760, upper 0.813249;
        //   t=4: ln(9/35) = −1.358123, √Σ = 0.810643, e^±1.169922:
        //        lower 0.012584, upper 0.656016.
        let km = KaplanMeier::estimate(&seven());
        let table: Vec<_> =
            km.steps.iter().map(|s| (s.time, s.at_risk, s.events, s.censored)).collect();
        assert_eq!(
            table,
            [
                (1.0, 7.0, 1.0, 0.0),
                (2.0, 6.0, 0.0, 1.0),
                (3.0, 5.0, 2.0, 1.0),
                (4.0, 2.0, 1.0, 0.0),
                (5.0, 1.0, 0.0, 1.0)
            ]
        );
        let expected = [
            (6.0 / 7.0, 0.132_260_014_253_221_6, 0.334_053_879_292_222_1, 0.978_561_058_526_175_5),
            (6.0 / 7.0, 0.132_260_014_253_221_6, 0.334_053_879_292_222_1, 0.978_561_058_526_175_5),
            (
                18.0 / 35.0,
                0.203_869_277_272_823_6,
                0.117_759_583_916_573_2,
                0.813_248_607_575_758_5,
            ),
            (
                9.0 / 35.0,
                0.208_451_181_439_999_94,
                0.012_584_262_070_462_77,
                0.656_015_963_204_494_6,
            ),
            (
                9.0 / 35.0,
                0.208_451_181_439_999_94,
                0.012_584_262_070_462_77,
                0.656_015_963_204_494_6,
            ),
        ];
        for (step, (s, se, lo, hi)) in km.steps.iter().zip(expected) {
            assert!(close(step.survival, s), "{step:?}");
            assert!(close(step.se, se), "{step:?}");
            assert!(close(step.lower, lo) && close(step.upper, hi), "{step:?}");
        }
    }

    #[test]
    fn ties_put_events_before_censorings() {
        // At t = 3 two events and one censoring: the censored patient is still at risk, so
        // the factor is 1 − 2/5, not 1 − 2/4.
        let km = KaplanMeier::estimate(&seven());
        let tied = km.steps[2];
        assert_eq!((tied.at_risk, tied.events, tied.censored), (5.0, 2.0, 1.0));
        assert!(close(tied.survival, km.steps[1].survival * 3.0 / 5.0));
        // All at risk having the event: S reaches 0, and the interval and se collapse on it.
        let all = KaplanMeier::estimate(&[obs(0.0, 1.0, true), obs(0.0, 2.0, true)]);
        let last = all.steps[1];
        assert_eq!((last.survival, last.se, last.lower, last.upper), (0.0, 0.0, 0.0, 0.0));
        // No event yet: S = 1 with a collapsed interval.
        let none = KaplanMeier::estimate(&[obs(0.0, 1.0, false), obs(0.0, 2.0, true)]);
        let first = none.steps[0];
        assert_eq!((first.survival, first.se, first.lower, first.upper), (1.0, 0.0, 1.0, 1.0));
    }

    #[test]
    fn delayed_entry_changes_the_risk_set() {
        // A: (0, 2] event; B: (0, 5] event; C: (3, 4] event; D: (1, 6] censored;
        // E: (2, 3] censored.
        // t  risk set   n  d  c   S              Greenwood sum
        // 2  A B D      3  1  0   2/3            1/6    (E enters at 2: not at risk at 2)
        // 3  B D E      3  0  1   2/3            1/6    (C enters at 3: not at risk at 3)
        // 4  B C D      3  1  0   4/9            1/3
        // 5  B D        2  1  0   2/9            5/6
        // 6  D          1  0  1   2/9            5/6
        // se: 2/3·√(1/6) = 0.272165527, 4/9·√(1/3) = 0.256600120, 2/9·√(5/6) = 0.202860206;
        // log-log limits (as in the test above): t=2 (0.054073, 0.945206),
        // t=4 (0.037876, 0.818001), t=5 (0.007141, 0.632691).
        let data = [
            obs(0.0, 2.0, true),
            obs(0.0, 5.0, true),
            obs(3.0, 4.0, true),
            obs(1.0, 6.0, false),
            obs(2.0, 3.0, false),
        ];
        let km = KaplanMeier::estimate(&data);
        let at_risk: Vec<f64> = km.steps.iter().map(|s| s.at_risk).collect();
        assert_eq!(at_risk, [3.0, 3.0, 3.0, 2.0, 1.0]);
        let expected = [
            (2.0 / 3.0, 0.272_165_526_975_908_7, 0.054_073_426_786_516_67, 0.945_206_387_272_047),
            (2.0 / 3.0, 0.272_165_526_975_908_7, 0.054_073_426_786_516_67, 0.945_206_387_272_047),
            (
                4.0 / 9.0,
                0.256_600_119_639_833_65,
                0.037_875_635_321_769_94,
                0.818_001_157_593_768_6,
            ),
            (
                2.0 / 9.0,
                0.202_860_206_483_394_84,
                0.007_141_287_080_297_746,
                0.632_691_374_579_959_7,
            ),
            (
                2.0 / 9.0,
                0.202_860_206_483_394_84,
                0.007_141_287_080_297_746,
                0.632_691_374_579_959_7,
            ),
        ];
        for (step, (s, se, lo, hi)) in km.steps.iter().zip(expected) {
            assert!(close(step.survival, s), "{step:?}");
            assert!(close(step.se, se) && close(step.lower, lo) && close(step.upper, hi));
        }
        // Without delayed entry C and E are at risk at 2 as well: 5 at risk, S(2) = 4/5.
        let from_start: Vec<Observation> =
            data.iter().map(|o| Observation::from_start(o.time, o.event)).collect();
        let plain = KaplanMeier::estimate(&from_start);
        assert_eq!(plain.steps[0].at_risk, 5.0);
        assert!(close(plain.steps[0].survival, 4.0 / 5.0));
        assert!(close(km.survival_at(2.0), 2.0 / 3.0));
    }

    #[test]
    fn survival_at_is_right_continuous() {
        let km = KaplanMeier::estimate(&seven());
        assert_eq!(km.survival_at(0.0), 1.0);
        assert_eq!(km.survival_at(0.999), 1.0);
        assert!(close(km.survival_at(1.0), 6.0 / 7.0));
        assert!(close(km.survival_at(2.5), 6.0 / 7.0));
        assert!(close(km.survival_at(3.0), 18.0 / 35.0));
        assert!(close(km.survival_at(100.0), 9.0 / 35.0));
        assert_eq!(KaplanMeier::estimate(&[]).survival_at(3.0), 1.0);
    }

    #[test]
    fn restricted_mean_is_the_area_under_the_steps() {
        // S = 1 on [0, 1), 6/7 on [1, 3), 18/35 on [3, 4), 9/35 from 4 on:
        // RMST(5) = 1 + 2·6/7 + 18/35 + 9/35 = 122/35; RMST(4.5) = (35 + 60 + 18 + 4.5)/35;
        // RMST(7) = 122/35 + 2·9/35 = 4 (flat past the last step); RMST(0.5) = 0.5.
        let km = KaplanMeier::estimate(&seven());
        assert!(close(km.restricted_mean(5.0), 122.0 / 35.0));
        assert!(close(km.restricted_mean(4.5), 117.5 / 35.0));
        assert!(close(km.restricted_mean(7.0), 4.0));
        assert!(close(km.restricted_mean(3.0), 1.0 + 12.0 / 7.0));
        assert!(close(km.restricted_mean(0.5), 0.5));
        assert_eq!(km.restricted_mean(0.0), 0.0);
    }
}
