//! Individual patient data rebuilt from a published Kaplan–Meier curve, by the algorithm of
//! Guyot, Ades, Ouwens & Welton (2012), "Enhanced secondary analysis of survival data:
//! reconstructing the data from published Kaplan-Meier survival curves", BMC Medical Research
//! Methodology 12:9.
//!
//! A publication gives the curve (digitised as points (t_k, S_k)) and a table of numbers at
//! risk at a few times; the events and censorings behind them are not given. Within each
//! interval between two at-risk times the algorithm spreads a number of censorings evenly,
//! then inverts the Kaplan–Meier product at each digitised point: the events there are the
//! whole number that takes the rebuilt curve closest to the digitised one given who is still
//! at risk. The number censored is corrected, and the interval rebuilt, until the number left
//! at risk at the next at-risk time is the published one. After the last at-risk time there is
//! no count to match: the number censored is the one that gives the reported total of events,
//! or else continues the censoring rate seen so far. Whoever is still at risk at the curve's
//! end is censored there.
//!
//! The result goes to the same fits as trial data: see [`super::km`] for its estimate.

use std::collections::BTreeMap;
use std::ops::Range;

use super::km::Observation;

/// A Kaplan–Meier curve read off a figure: (time, survival) from (0, 1), times never
/// decreasing (two points at one time are the top and bottom of a drop), survival never rising.
#[derive(Clone, Debug, PartialEq)]
pub struct Digitised {
    pub points: Vec<(f64, f64)>,
}

/// A figure's table of numbers at risk: `counts[i]` people followed at `times[i]`, the first
/// time 0 (the number of patients).
#[derive(Clone, Debug, PartialEq)]
pub struct AtRisk {
    pub times: Vec<f64>,
    pub counts: Vec<u64>,
}

/// The most patients a reconstruction takes: more than any trial arm, and a bound on the time
/// and memory a mistyped count could cost (one observation each).
pub const MOST_PATIENTS: u64 = 1_000_000;

/// A curve or at-risk table that cannot be reconstructed from, with the row (1-based) at fault
/// and what was expected there.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum GuyotError {
    #[error(
        "the digitised curve has {points} point(s), the last at time {end}; expected at least 2 \
         points reaching past time 0"
    )]
    TooShort { points: usize, end: f64 },
    #[error("digitised point 1: expected (0, 1), where every survival curve starts; found ({}, {})", found.0, found.1)]
    Start { found: (f64, f64) },
    #[error(
        "digitised point {row}: expected a finite time not before {previous} (times never \
         decrease); found {found}"
    )]
    TimeOutOfOrder { row: usize, previous: f64, found: f64 },
    #[error("digitised point {row}: expected a survival in [0, 1], found {found}")]
    SurvivalOutOfRange { row: usize, found: f64 },
    #[error(
        "digitised point {row}: expected a survival of at most {previous} (a survival curve \
         never rises); found {found}"
    )]
    SurvivalRising { row: usize, previous: f64, found: f64 },
    #[error(
        "digitised point {row}: expected survival 1 at time 0 (events need time after entry); \
         found {found}"
    )]
    DropAtStart { row: usize, found: f64 },
    #[error(
        "the at-risk table has {times} time(s) and {counts} count(s); expected one count per time"
    )]
    AtRiskLengths { times: usize, counts: usize },
    #[error("the at-risk table is empty; expected at least the number at risk at time 0")]
    AtRiskEmpty,
    #[error("at-risk row 1: expected time 0, found {found}")]
    AtRiskStart { found: f64 },
    #[error("at-risk row 1: expected a positive number at risk at time 0, found 0")]
    NoPatients,
    #[error("at-risk row 1: expected at most {MOST_PATIENTS} patients, found {found}")]
    TooManyPatients { found: u64 },
    #[error(
        "at-risk row {row}: expected a finite time after {previous} (times increase); found {found}"
    )]
    AtRiskTimeOutOfOrder { row: usize, previous: f64, found: f64 },
    #[error(
        "at-risk row {row}: expected a time within the digitised curve (up to {curve_end}); \
         found {found}"
    )]
    AtRiskBeyondCurve { row: usize, curve_end: f64, found: f64 },
    #[error(
        "at-risk row {row}: expected at most {previous} at risk (people only leave); found {found}"
    )]
    AtRiskRising { row: usize, previous: u64, found: u64 },
    #[error(
        "total events: expected at most the {patients} patients at risk at time 0, found {found}"
    )]
    TooManyEvents { patients: u64, found: u64 },
}

/// Check the digitised curve: at least two points, from (0, 1) to a time after 0, times never
/// decreasing and finite, survival in [0, 1] and never rising, and no drop at time 0.
fn check_curve(curve: &Digitised) -> Result<(), GuyotError> {
    let points = &curve.points;
    let Some(&first) = points.first() else {
        return Err(GuyotError::TooShort { points: 0, end: 0.0 });
    };
    if first != (0.0, 1.0) {
        return Err(GuyotError::Start { found: first });
    }
    for (i, pair) in points.windows(2).enumerate() {
        let (row, (t0, s0), (t, s)) = (i + 2, pair[0], pair[1]);
        if !(t.is_finite() && t >= t0) {
            return Err(GuyotError::TimeOutOfOrder { row, previous: t0, found: t });
        }
        if !(0.0..=1.0).contains(&s) {
            return Err(GuyotError::SurvivalOutOfRange { row, found: s });
        }
        if s > s0 {
            return Err(GuyotError::SurvivalRising { row, previous: s0, found: s });
        }
        if t == 0.0 && s < 1.0 {
            return Err(GuyotError::DropAtStart { row, found: s });
        }
    }
    let end = curve_end(curve);
    if points.len() < 2 || end <= 0.0 {
        return Err(GuyotError::TooShort { points: points.len(), end });
    }
    Ok(())
}

/// The time of the last digitised point: the end of the curve's follow-up.
fn curve_end(curve: &Digitised) -> f64 {
    curve.points.last().map_or(0.0, |p| p.0)
}

/// The digitised curve as a step function at t: the survival of its last point at or before t.
fn curve_at(curve: &Digitised, t: f64) -> f64 {
    let k = curve.points.partition_point(|p| p.0 <= t);
    k.checked_sub(1).map_or(1.0, |k| curve.points[k].1)
}

/// The digitised curve just before t: the survival of its last point before t.
fn curve_before(curve: &Digitised, t: f64) -> f64 {
    let k = curve.points.partition_point(|p| p.0 < t);
    k.checked_sub(1).map_or(1.0, |k| curve.points[k].1)
}

/// Check the at-risk table against a curve ending at `curve_end`: one count per time, from
/// time 0 with someone at risk, times increasing within the curve, counts never rising.
fn check_at_risk(table: &AtRisk, curve_end: f64) -> Result<(), GuyotError> {
    let (times, counts) = (&table.times, &table.counts);
    if times.len() != counts.len() {
        return Err(GuyotError::AtRiskLengths { times: times.len(), counts: counts.len() });
    }
    match (times.first(), counts.first()) {
        (None, _) | (_, None) => return Err(GuyotError::AtRiskEmpty),
        (Some(&t), _) if t != 0.0 => return Err(GuyotError::AtRiskStart { found: t }),
        (_, Some(0)) => return Err(GuyotError::NoPatients),
        (_, Some(&found)) if found > MOST_PATIENTS => {
            return Err(GuyotError::TooManyPatients { found });
        }
        _ => {}
    }
    for i in 1..times.len() {
        let (row, t) = (i + 1, times[i]);
        if !(t.is_finite() && t > times[i - 1]) {
            return Err(GuyotError::AtRiskTimeOutOfOrder { row, previous: times[i - 1], found: t });
        }
        if t > curve_end {
            return Err(GuyotError::AtRiskBeyondCurve { row, curve_end, found: t });
        }
        if counts[i] > counts[i - 1] {
            let (previous, found) = (counts[i - 1], counts[i]);
            return Err(GuyotError::AtRiskRising { row, previous, found });
        }
    }
    Ok(())
}

/// One stretch of follow-up between two at-risk times (or from the last to the curve's end),
/// with the digitised points that fall in it.
struct Interval {
    start: f64,
    end: f64,
    points: Range<usize>,
}

/// What rebuilding one interval with a given number censored produced.
struct Rebuilt {
    /// Events by time.
    events: Vec<(f64, u64)>,
    censorings: Vec<f64>,
    /// Still at risk at the interval's end.
    remaining: u64,
    /// The rebuilt Kaplan–Meier survival at the interval's end.
    survival: f64,
}

impl Rebuilt {
    fn event_count(&self) -> u64 {
        self.events.iter().map(|e| e.1).sum()
    }

    /// One person censored at `time`, if anyone is left to be.
    fn censor(&mut self, time: f64) {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.censorings.push(time);
        }
    }
}

/// The whole number of events at a digitised point that brings the rebuilt survival
/// (`rebuilt`, with `at_risk` people) nearest the digitised `target`: inverting
/// S_target = S_rebuilt·(1 − d/n). Never negative (the rebuilt curve may already be below),
/// never more than are at risk.
fn events_at(at_risk: u64, target: f64, rebuilt: f64) -> u64 {
    if at_risk == 0 || rebuilt <= 0.0 {
        return 0;
    }
    let d = (at_risk as f64 * (1.0 - target / rebuilt)).round();
    d.clamp(0.0, at_risk as f64) as u64
}

impl Interval {
    /// `censored` censoring times spread evenly inside the interval, as the paper does when
    /// nothing says when within it people were lost to follow-up.
    fn censoring_times(&self, censored: u64) -> impl Iterator<Item = f64> + use<'_> {
        let gap = (self.end - self.start) / (censored as f64 + 1.0);
        (1..=censored).map(move |j| self.start + j as f64 * gap)
    }

    /// Rebuild the interval from `at_risk` people and survival `survival` at its start with
    /// `censored` censorings: at each digitised point, first those censored before it leave,
    /// then its events are found by inverting the KM product (a censoring at the point's
    /// own time is still at risk there, as in the estimate). Censorings past the point where no
    /// one is left are dropped.
    fn rebuild(&self, curve: &Digitised, at_risk: u64, censored: u64, survival: f64) -> Rebuilt {
        let mut out =
            Rebuilt { events: Vec::new(), censorings: Vec::new(), remaining: at_risk, survival };
        let mut pending = self.censoring_times(censored).peekable();
        for &(t, target) in &curve.points[self.points.clone()] {
            while let Some(c) = pending.next_if(|&c| c < t) {
                out.censor(c);
            }
            let d = events_at(out.remaining, target, out.survival);
            if d > 0 {
                out.survival *= 1.0 - d as f64 / out.remaining as f64;
                out.remaining -= d;
                out.events.push((t, d));
            }
        }
        for c in pending {
            out.censor(c);
        }
        out
    }

    /// The paper's first guess at the number censored: those the curve says survive the
    /// interval, n_i·S(end⁻)/S(start), less those published at risk at its end.
    fn first_guess(&self, curve: &Digitised, at_risk: u64, next_at_risk: u64) -> u64 {
        let (from, to) = (curve_at(curve, self.start), curve_before(curve, self.end));
        let survivors = if from > 0.0 { at_risk as f64 * to / from } else { 0.0 };
        (survivors - next_at_risk as f64).round().max(0.0) as u64
    }
}

/// The most corrections of the number censored by the paper's iteration before bisection
/// takes over (it converges in a few when the rebuilt count falls by about one per censoring).
const MOST_STEPS: usize = 100;

/// Rebuilds by number censored, each done once.
struct Trials<F> {
    miss: F,
    tried: BTreeMap<u64, i64>,
}

impl<F: FnMut(u64) -> i64> Trials<F> {
    fn at(&mut self, censored: u64) -> i64 {
        *self.tried.entry(censored).or_insert_with(|| (self.miss)(censored))
    }

    /// The number with the smallest miss so far, the smaller number on a tie.
    fn best(self) -> u64 {
        self.tried.into_iter().min_by_key(|&(c, m)| (m.unsigned_abs(), c)).map_or(0, |(c, _)| c)
    }
}

/// The number censored, in 0..=most, for which `miss` (rebuilt minus published, falling as
/// more are censored) is 0. First the paper's iteration: correct the number by the miss and
/// rebuild. Rounding can make it cycle between numbers on either side of the target; then a
/// bisection on the miss's sign. Digitisation can make the target unreachable: then the
/// number with the smallest miss.
fn settle(first: u64, most: u64, miss: impl FnMut(u64) -> i64) -> u64 {
    let mut trials = Trials { miss, tried: BTreeMap::new() };
    let mut censored = first.min(most);
    for _ in 0..MOST_STEPS {
        if trials.tried.contains_key(&censored) {
            break;
        }
        let m = trials.at(censored);
        if m == 0 {
            return censored;
        }
        censored = censored.saturating_add_signed(m).min(most);
    }
    let (mut low, mut high) = (0, most);
    if trials.at(low) > 0 && trials.at(high) < 0 {
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            match trials.at(middle) {
                0 => return middle,
                m if m > 0 => low = middle,
                _ => high = middle,
            }
        }
    }
    trials.best()
}

/// The intervals the at-risk table cuts the curve into, with the indices of their points: a
/// point at an at-risk time belongs to the interval that starts there.
fn intervals(curve: &Digitised, table: &AtRisk) -> Vec<Interval> {
    let first_at_or_after = |t: f64| curve.points.partition_point(|p| p.0 < t);
    let end = curve_end(curve);
    (0..table.times.len())
        .map(|i| {
            let start = table.times[i];
            let (stop, to) = match table.times.get(i + 1) {
                Some(&next) => (next, first_at_or_after(next)),
                None => (end, curve.points.len()),
            };
            Interval { start, end: stop, points: first_at_or_after(start)..to }
        })
        .collect()
}

/// Rebuild individual patient data (everyone followed from time 0, sorted by time, events
/// before censorings at a tied time) from a digitised curve, its at-risk table and, if
/// reported, the total number of events.
pub fn reconstruct(
    curve: &Digitised,
    table: &AtRisk,
    total_events: Option<u64>,
) -> Result<Vec<Observation>, GuyotError> {
    check_curve(curve)?;
    check_at_risk(table, curve_end(curve))?;
    let patients = table.counts[0];
    if let Some(found) = total_events.filter(|&d| d > patients) {
        return Err(GuyotError::TooManyEvents { patients, found });
    }
    let intervals = intervals(curve, table);
    let (mut at_risk, mut survival, mut events, mut censored) = (patients, 1.0, 0u64, 0u64);
    let mut out = Vec::with_capacity(patients as usize);
    for (i, interval) in intervals.iter().enumerate() {
        let rebuild = |c: u64| interval.rebuild(curve, at_risk, c, survival);
        let number = match table.counts.get(i + 1) {
            Some(&next) => {
                let first = interval.first_guess(curve, at_risk, next);
                settle(first, at_risk.saturating_sub(next), |c| {
                    rebuild(c).remaining as i64 - next as i64
                })
            }
            None => {
                let rate = last_censored(curve, interval, censored, at_risk);
                match total_events {
                    Some(total) => {
                        let wanted = total as i64 - events as i64;
                        settle(rate, at_risk, |c| rebuild(c).event_count() as i64 - wanted)
                    }
                    None => rate,
                }
            }
        };
        // When the earlier intervals already reach the total (by rounding), the published code
        // puts no event in the last interval, which leaves the curve's last drops out; here the
        // search censors as many as it can and the drops still give their events.
        let done = rebuild(number);
        events += done.event_count();
        censored += done.censorings.len() as u64;
        (at_risk, survival) = (done.remaining, done.survival);
        out.extend(
            done.events
                .iter()
                .flat_map(|&(t, d)| (0..d).map(move |_| Observation::from_start(t, true))),
        );
        out.extend(done.censorings.iter().map(|&t| Observation::from_start(t, false)));
    }
    let end = curve_end(curve);
    out.extend((0..at_risk).map(|_| Observation::from_start(end, false)));
    out.sort_by(|a, b| a.time.total_cmp(&b.time).then(b.event.cmp(&a.event)));
    Ok(out)
}

/// The number censored in the last interval when no total of events pins it (and the first
/// guess when one does): the paper's rule that censoring continues at the average rate of the
/// earlier intervals, measured as the published algorithm measures it, between digitised
/// points: the number censored before the interval, times the span from the interval's first
/// point to the curve's last, over the span from the first point to the last one before the
/// interval; rounded, none if the table has one row, and no more than are at risk. (The
/// published code sums its own per-interval numbers, which its correction can leave below 0;
/// here they are the censorings placed, never negative.)
fn last_censored(
    curve: &Digitised,
    interval: &Interval,
    censored_before: u64,
    at_risk: u64,
) -> u64 {
    let first = interval.points.start;
    if interval.start <= 0.0 || first == 0 || interval.points.is_empty() {
        return 0;
    }
    let time = |k: usize| curve.points[k].0;
    let (before, span) = (time(first - 1) - time(0), time(curve.points.len() - 1) - time(first));
    if !(before > 0.0) {
        return 0;
    }
    ((censored_before as f64 * span / before).round() as u64).min(at_risk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::km::KaplanMeier;

    /// 200 patients with exponential event times (rate 0.1 a month, median 6.9) censored at
    /// uniform times on (0, 60) and at the end of follow-up, 30 months. The quantiles are Weyl
    /// sequences (i·φ mod 1, i·√2 mod 1), evenly spread and jointly independent-looking without
    /// a random number generator.
    fn trial() -> Vec<Observation> {
        let (phi, sqrt2) = ((5f64.sqrt() - 1.0) / 2.0, 2f64.sqrt());
        (1..=200)
            .map(|i| {
                let u = (i as f64 * phi).fract();
                let event_time = -(1.0 - u).ln() / 0.1;
                let censoring = (60.0 * (i as f64 * sqrt2).fract()).min(30.0);
                Observation::from_start(event_time.min(censoring), event_time <= censoring)
            })
            .collect()
    }

    fn at_risk_at(data: &[Observation], t: f64) -> u64 {
        data.iter().filter(|o| o.time >= t).count() as u64
    }

    /// The published figure of `data`: its KM coordinates at every step, and its numbers at
    /// risk every 5 months to the end of follow-up, 30.
    fn figure(data: &[Observation]) -> (Digitised, AtRisk) {
        let km = KaplanMeier::estimate(data);
        let points =
            std::iter::once((0.0, 1.0)).chain(km.steps.iter().map(|s| (s.time, s.survival)));
        let times: Vec<f64> = (0..=6).map(|i| 5.0 * i as f64).collect();
        let counts = times.iter().map(|&t| at_risk_at(data, t)).collect();
        (Digitised { points: points.collect() }, AtRisk { times, counts })
    }

    /// The rebuilt data's worst distance from the digitised curve at its points, its at-risk
    /// numbers at the table's times and its number of events.
    fn compare(curve: &Digitised, table: &AtRisk, rebuilt: &[Observation]) -> (f64, Vec<u64>, u64) {
        let km = KaplanMeier::estimate(rebuilt);
        let worst =
            curve.points.iter().map(|&(t, s)| (km.survival_at(t) - s).abs()).fold(0.0, f64::max);
        let at_risk = table.times.iter().map(|&t| at_risk_at(rebuilt, t)).collect();
        (worst, at_risk, rebuilt.iter().filter(|o| o.event).count() as u64)
    }

    #[test]
    fn reconstruction_reproduces_a_known_curve_and_its_table() {
        let data = trial();
        let true_events = data.iter().filter(|o| o.event).count() as u64;
        let (curve, table) = figure(&data);
        // Why 0.01: each point's events are the whole number that brings the rebuilt curve
        // nearest the digitised one given the n̂ the rebuild has at risk, so the two stay
        // within half a one-event step, Ŝ/(2n̂). For the true data S/n = 1/(200·G(t)), G the
        // censoring survival, at least 1/2 up to 30 months (uniform on 0..60): at most 1/100,
        // half of it 0.005. The bound allows n̂ to fall to half the true n where censorings
        // are spread evenly instead of where they fell (n̂ equals n at each table time). The
        // worst seen is 0.003. (The total of events can miss by one: at the curve's end, 30,
        // the interval has no length and no number censored moves the last rounding.)
        for total in [Some(true_events), None] {
            let rebuilt = reconstruct(&curve, &table, total).expect("a valid figure");
            assert_eq!(rebuilt.len(), 200);
            assert!(rebuilt.windows(2).all(|w| w[0].time <= w[1].time));
            let (worst, at_risk, events) = compare(&curve, &table, &rebuilt);
            assert!(worst <= 0.01, "{total:?}: worst {worst}");
            assert_eq!(at_risk, table.counts, "{total:?}");
            assert!(events.abs_diff(true_events) <= 1, "{total:?}: {events} vs {true_events}");
        }
    }

    #[test]
    fn the_last_interval_takes_the_events_total_or_the_censoring_rate() {
        // The table stops at 25 while the curve runs to 30: after 25 nothing is matched.
        let data = trial();
        let true_events = data.iter().filter(|o| o.event).count() as u64;
        let (curve, mut table) = figure(&data);
        table.times.pop();
        table.counts.pop();
        let inside = |rebuilt: &[Observation], from: f64, to: f64| {
            rebuilt.iter().filter(|o| !o.event && o.time > from && o.time < to).count() as u64
        };
        // Given the total, the events are that total (the rebuild can miss it by one where a
        // censoring more or less moves no rounded event count).
        let rebuilt = reconstruct(&curve, &table, Some(true_events)).expect("a valid figure");
        let (_, at_risk, events) = compare(&curve, &table, &rebuilt);
        assert_eq!(at_risk, table.counts);
        assert!(events.abs_diff(true_events) <= 1, "{events} vs {true_events}");
        // Without it, censoring inside (25, 30) continues the rate of 0..25, the spans
        // measured between digitised points as the published code does: from the first point
        // at or after 25 to the last point, over the first point to the last before 25.
        let rebuilt = reconstruct(&curve, &table, None).expect("a valid figure");
        let before = inside(&rebuilt, 0.0, 25.0);
        let times: Vec<f64> = curve.points.iter().map(|p| p.0).collect();
        let last_before = times.iter().copied().filter(|&t| t < 25.0).fold(0.0, f64::max);
        let first_after =
            times.iter().copied().filter(|&t| t >= 25.0).fold(f64::INFINITY, f64::min);
        let end = times[times.len() - 1];
        assert!(last_before < 25.0 && first_after > 25.0, "the spans differ from the table's");
        let rate = (before as f64 * (end - first_after) / last_before).round() as u64;
        assert_eq!(inside(&rebuilt, 25.0, 30.0 + 1e-9), rate);
        assert_eq!(compare(&curve, &table, &rebuilt).1, table.counts);
    }

    #[test]
    fn a_table_of_one_row_leaves_the_whole_curve_to_the_events_total() {
        let data = trial();
        let true_events = data.iter().filter(|o| o.event).count() as u64;
        let (curve, _) = figure(&data);
        let table = AtRisk { times: vec![0.0], counts: vec![200] };
        let rebuilt = reconstruct(&curve, &table, Some(true_events)).expect("a valid figure");
        assert_eq!(rebuilt.len(), 200);
        let events = rebuilt.iter().filter(|o| o.event).count() as u64;
        assert!(events.abs_diff(true_events) <= 1, "{events} vs {true_events}");
    }

    #[test]
    fn settle_finds_the_exact_number_or_the_nearest() {
        // A miss falling by one per censoring: the paper's step lands on it at once.
        assert_eq!(settle(0, 50, |c| 17 - c as i64), 17);
        // Falling by two: 7 is unreachable exactly; the nearest (6 or 7 ± 1) is kept.
        let c = settle(0, 50, |c| 13 - 2 * c as i64);
        assert!(c == 6 || c == 7, "{c}");
        // Steps of 3 that jump over the zero and cycle (18 → 21 → 18): bisection finds it.
        let jumpy = |c: u64| match c {
            ..20 => 3,
            20 => 0,
            _ => -3,
        };
        assert_eq!(settle(0, 50, jumpy), 20);
    }

    fn curve(points: &[(f64, f64)]) -> Digitised {
        Digitised { points: points.to_vec() }
    }

    fn table(times: &[f64], counts: &[u64]) -> AtRisk {
        AtRisk { times: times.to_vec(), counts: counts.to_vec() }
    }

    #[test]
    fn invalid_figures_are_refused_with_their_row() {
        use GuyotError::*;
        let good = curve(&[(0.0, 1.0), (1.0, 0.9), (2.0, 0.8), (3.0, 0.7)]);
        let good_table = table(&[0.0, 2.0], &[10, 7]);
        let refuse = |c: &Digitised, t: &AtRisk, d: Option<u64>| reconstruct(c, t, d).err();
        assert_eq!(refuse(&good, &good_table, Some(3)), None);
        let cases: Vec<(Digitised, GuyotError)> = vec![
            (curve(&[(0.0, 1.0)]), TooShort { points: 1, end: 0.0 }),
            (curve(&[]), TooShort { points: 0, end: 0.0 }),
            (curve(&[(0.0, 1.0), (0.0, 1.0)]), TooShort { points: 2, end: 0.0 }),
            (curve(&[(0.5, 1.0), (1.0, 0.9)]), Start { found: (0.5, 1.0) }),
            (
                curve(&[(0.0, 1.0), (2.0, 0.9), (1.0, 0.8)]),
                TimeOutOfOrder { row: 3, previous: 2.0, found: 1.0 },
            ),
            (
                curve(&[(0.0, 1.0), (2.0, 0.9), (3.0, 0.95)]),
                SurvivalRising { row: 3, previous: 0.9, found: 0.95 },
            ),
            (curve(&[(0.0, 1.0), (2.0, -0.1)]), SurvivalOutOfRange { row: 2, found: -0.1 }),
            (curve(&[(0.0, 1.0), (0.0, 0.9), (1.0, 0.8)]), DropAtStart { row: 2, found: 0.9 }),
        ];
        for (c, expected) in cases {
            assert_eq!(refuse(&c, &good_table, None), Some(expected));
        }
        let tables: Vec<(AtRisk, GuyotError)> = vec![
            (table(&[0.0, 2.0], &[10]), AtRiskLengths { times: 2, counts: 1 }),
            (table(&[], &[]), AtRiskEmpty),
            (table(&[1.0], &[10]), AtRiskStart { found: 1.0 }),
            (table(&[0.0], &[0]), NoPatients),
            (table(&[0.0], &[MOST_PATIENTS + 1]), TooManyPatients { found: MOST_PATIENTS + 1 }),
            (
                table(&[0.0, 2.0, 2.0], &[10, 7, 6]),
                AtRiskTimeOutOfOrder { row: 3, previous: 2.0, found: 2.0 },
            ),
            (
                table(&[0.0, 2.0, 4.0], &[10, 7, 6]),
                AtRiskBeyondCurve { row: 3, curve_end: 3.0, found: 4.0 },
            ),
            (table(&[0.0, 1.0, 2.0], &[10, 7, 8]), AtRiskRising { row: 3, previous: 7, found: 8 }),
        ];
        for (t, expected) in tables {
            assert_eq!(refuse(&good, &t, None), Some(expected));
        }
        assert_eq!(
            refuse(&good, &good_table, Some(11)),
            Some(TooManyEvents { patients: 10, found: 11 })
        );
        // Messages name the row and what was expected.
        let message = AtRiskRising { row: 3, previous: 7, found: 8 }.to_string();
        assert_eq!(
            message,
            "at-risk row 3: expected at most 7 at risk (people only leave); found 8"
        );
    }
}
