//! General-population mortality from a life table (`age,male_qx,female_qx`, single years of
//! age): the hazard is constant within each year of age, h_x = −ln(1 − q_x), so survival is
//! exact and a time of death is drawn by inverting the piecewise-linear cumulative hazard (no
//! cycles). Beyond the table's last age the last age's hazard continues until `max_age`, when
//! everyone still alive dies.
//!
//! The foundation of background mortality (general-population death competing with, or
//! flooring, the disease's); a bundled table for the United States is [`LifeTable::us_2020`].

use std::fmt;

/// The bundled United States period life table 2020 (assets/life_tables, with its source).
const US_2020: &str = include_str!("../assets/life_tables/us_ssa_period_2020_qx.csv");

/// Sex, for the table's column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// A life table's yearly hazards from its first age.
#[derive(Clone, Debug, PartialEq)]
pub struct LifeTable {
    /// The first age of the table (whole years).
    pub first_age: u32,
    male: Column,
    female: Column,
    /// The age at which everyone still alive dies (at least one year past the table's end).
    pub max_age: f64,
}

/// A life table that cannot be read, with where and what.
#[derive(Clone, Debug, PartialEq)]
pub struct LifeTableError {
    /// 1-based line, and 1-based column (field) if one field is at fault.
    pub line: usize,
    pub column: Option<usize>,
    pub expected: String,
    pub found: String,
}

impl fmt::Display for LifeTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column {c}: ", self.line)?,
            None => write!(f, "line {}: ", self.line)?,
        }
        write!(f, "expected {}, found {}", self.expected, self.found)
    }
}

impl std::error::Error for LifeTableError {}

const HEADER: [&str; 3] = ["age", "male_qx", "female_qx"];

/// A CSV of two values by single year of age and sex (a life table's q_x, population utility
/// norms): its header, and how its errors name a value and its range.
pub struct ByAge {
    pub header: [&'static str; 3],
    pub value: &'static str,
    pub range: &'static str,
}

impl ByAge {
    /// Read `header`, then one row per whole age, consecutive from the first, each value
    /// passing `ok` (a byte-order mark and CRLF line ends accepted): the header's line index,
    /// the first age and the male and female columns.
    pub fn read(
        &self,
        text: &str,
        ok: impl Fn(f64) -> bool,
    ) -> Result<(usize, u32, Vec<f64>, Vec<f64>), LifeTableError> {
        let error = |line: usize, column: Option<usize>, expected: &str, found: String| {
            LifeTableError { line, column, expected: expected.to_string(), found }
        };
        let wanted = format!("the header `{}`", self.header.join(","));
        // A byte-order mark (spreadsheets' "CSV UTF-8") is not part of the header.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let Some((h, header)) = lines.next() else {
            return Err(error(1, None, &wanted, "nothing".into()));
        };
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        if names != self.header {
            return Err(error(h + 1, None, &wanted, format!("`{}`", header.trim())));
        }
        let (mut first_age, mut male, mut female) = (None, Vec::new(), Vec::new());
        for (i, row) in lines {
            let line = i + 1;
            let cells: Vec<&str> = row.split(',').map(str::trim).collect();
            if cells.len() != 3 {
                return Err(error(line, None, "3 fields", format!("{}", cells.len())));
            }
            let age: u32 = cells[0].parse().map_err(|_| {
                error(line, Some(1), "a whole age in years", format!("`{}`", cells[0]))
            })?;
            let want = first_age.map_or(age, |a: u32| a + male.len() as u32);
            if age != want {
                let expected = format!("age {want} (consecutive ages)");
                return Err(error(line, Some(1), &expected, format!("{age}")));
            }
            first_age.get_or_insert(age);
            for (column, out) in [(2, &mut male), (3, &mut female)] {
                let cell = cells[column - 1];
                let x: f64 = cell
                    .parse()
                    .map_err(|_| error(line, Some(column), self.value, format!("`{cell}`")))?;
                if !ok(x) {
                    return Err(error(line, Some(column), self.range, format!("{x}")));
                }
                out.push(x);
            }
        }
        let Some(first_age) = first_age else {
            return Err(error(h + 2, None, "a row per age", "none".into()));
        };
        Ok((h, first_age, male, female))
    }
}

/// The tables bundled with vbpsim, by the name a scenario gives them (`life_table = "…"`).
pub const BUNDLED: &[&str] = &["us_2020"];

/// The maximum age of a bundled table when the scenario does not state one.
pub const DEFAULT_MAX_AGE: f64 = 110.0;

/// h·d, 0 when d = 0 (also for an infinite h: no time in a year where q_x = 1).
fn times(h: f64, d: f64) -> f64 {
    if d == 0.0 { 0.0 } else { h * d }
}

/// One sex's column of a table, with what its searches need.
#[derive(Clone, Debug, PartialEq)]
struct Column {
    /// h_x per year of age from the table's first age (infinite where q_x = 1).
    hazards: Vec<f64>,
    /// The cumulative hazard from the first age to each whole age `first_age + k`
    /// (k = 0..=len), so that a death is found by a search instead of a walk year by year.
    cumulated: Vec<f64>,
    /// Where the search for a cumulative hazard starts.
    guide: Guide,
}

impl Column {
    fn new(hazards: Vec<f64>) -> Column {
        let cumulated: Vec<f64> = std::iter::once(0.0)
            .chain(hazards.iter().scan(0.0, |total, x| {
                *total += x;
                Some(*total)
            }))
            .collect();
        let guide = Guide::new(&cumulated);
        Column { hazards, cumulated, guide }
    }
}

/// Where to start looking for the year in which a cumulative hazard is reached: the range of
/// the table's finite cumulative hazards cut into [`Guide::BUCKETS`] equal buckets, and for
/// each the year holding the bucket's lower bound. A death's year is then found from its
/// bucket's year by a step or two instead of a binary search over the table, a chain of
/// dependent loads (the base case ran 2–4 % faster: Performance → General-population
/// mortality). The steps make the result the search's whatever the start: the guide only
/// sets how many there are.
#[derive(Clone, Debug, PartialEq)]
struct Guide {
    /// Buckets per unit of cumulative hazard (0 when no finite cumulative hazard exceeds 0:
    /// every search starts at `start[0]`).
    per_unit: f64,
    /// (16 bits: 2 KB per sex in the cache beside the table. A table of more than 65,535
    /// years starts its later buckets at year 65,535, still a year of the table.)
    start: Vec<u16>,
}

impl Guide {
    const BUCKETS: usize = 1024;

    fn new(cum: &[f64]) -> Guide {
        let last = cum.len() - 2;
        let top = cum.iter().copied().filter(|c| c.is_finite()).fold(0.0, f64::max);
        let width = top / Self::BUCKETS as f64;
        let per_unit = if width > 0.0 { 1.0 / width } else { 0.0 };
        let start = (0..Self::BUCKETS)
            .map(|j| {
                let at = j as f64 * width;
                // The year k with cum[k] ≤ at < cum[k + 1] (cum[0] = 0 ≤ at), at most the last.
                let k = cum.partition_point(|&c| c <= at).saturating_sub(1).min(last);
                k.min(usize::from(u16::MAX)) as u16
            })
            .collect();
        Guide { per_unit, start }
    }
}

/// The year k ≤ `last` with cum[k] ≤ `target` < cum[k + 1], for 0 ≤ `target` < cum[last + 1]
/// (`cum` non-decreasing from cum[0] = 0), found from the guide's start for the target's
/// bucket: down while the start's cumulative hazard exceeds the target, then up while the
/// next one does not. It ends at the last k with cum[k] ≤ target, the year a binary search
/// finds, from any start in 0..=last.
#[inline]
fn year_reaching(cum: &[f64], last: usize, guide: &Guide, target: f64) -> usize {
    // (The cast saturates: a target past the guide's range takes its last bucket.)
    let bucket = ((target * guide.per_unit) as usize).min(Guide::BUCKETS - 1);
    let mut k = guide.start[bucket] as usize;
    while k > 0 && cum[k] > target {
        k -= 1;
    }
    while k < last && cum[k + 1] <= target {
        k += 1;
    }
    k
}

/// The deaths of one person from a life table (see [`LifeTable::deaths`]).
#[derive(Clone, Copy, Debug)]
pub struct Deaths<'a> {
    column: &'a Column,
    first: f64,
    end: f64,
    max_age: f64,
    age: f64,
    limit: f64,
    /// The cumulative hazard from the table's first age to `age`, and to the end of the
    /// search (`age + limit`, at most `max_age`).
    base: f64,
    until: f64,
}

impl Deaths<'_> {
    /// The cumulative hazard from the table's first age to age `x` (below `max_age`).
    #[inline]
    fn cumulative_to(&self, x: f64) -> f64 {
        let (h, cum) = (&self.column.hazards[..], &self.column.cumulated[..]);
        let last = h.len() - 1;
        if x >= self.end {
            cum[last + 1] + times(h[last], x - self.end)
        } else {
            // Truncation is the floor here (x − first ≥ 0; a younger age takes year 0).
            let k = ((x - self.first) as usize).min(last);
            cum[k] + times(h[k], x - (self.first + k as f64))
        }
    }

    /// Years from `age` until the cumulative hazard from `age` reaches `e`, if before `limit`
    /// (infinite otherwise); `max_age − age` if the table's hazard never reaches it.
    #[inline]
    pub fn time(&self, e: f64) -> f64 {
        let before = |t: f64| if t < self.limit { t } else { f64::INFINITY };
        let (h, cum) = (&self.column.hazards[..], &self.column.cumulated[..]);
        let last = h.len() - 1;
        let target = self.base + e;
        if !(target < self.until) {
            // Not before the limit, or alive at the maximum age (then dead there).
            return before((self.max_age - self.age).max(0.0));
        }
        let death = if target >= cum[last + 1] {
            self.end + (target - cum[last + 1]) / h[last]
        } else {
            // The year k with cum[k] ≤ target < cum[k + 1] (its hazard is not 0).
            let k = year_reaching(cum, last, &self.column.guide, target);
            self.first + k as f64 + if h[k].is_finite() { (target - cum[k]) / h[k] } else { 0.0 }
        };
        before((death.max(self.age) - self.age).min(self.max_age - self.age))
    }
}

impl LifeTable {
    /// The bundled United States period life table 2020 (ages 0–100), with `max_age` 110.
    pub fn us_2020() -> LifeTable {
        LifeTable::parse(US_2020, DEFAULT_MAX_AGE).expect("the bundled life table is valid")
    }

    /// A bundled table by name (see [`BUNDLED`]) with everyone dead at `max_age`; `None` for
    /// an unknown name.
    pub fn bundled(name: &str, max_age: f64) -> Option<Result<LifeTable, LifeTableError>> {
        match name {
            "us_2020" => Some(LifeTable::parse(US_2020, max_age)),
            _ => None,
        }
    }

    /// The table with everyone still alive dead at `max_age` instead; `None` unless `max_age`
    /// lies beyond the table's end ([`Self::end_age`]).
    pub fn with_max_age(mut self, max_age: f64) -> Option<LifeTable> {
        (max_age > self.end_age()).then(|| {
            self.max_age = max_age;
            self
        })
    }

    /// The end of the table's last year of age (its last age + 1): beyond it the last age's
    /// hazard goes on until `max_age`.
    pub fn end_age(&self) -> f64 {
        f64::from(self.first_age) + self.male.hazards.len() as f64
    }

    /// Read a table from CSV text: the header `age,male_qx,female_qx`, then one row per whole
    /// age, consecutive from the first, each q_x in [0, 1]. `max_age` must lie beyond the last
    /// age.
    pub fn parse(text: &str, max_age: f64) -> Result<LifeTable, LifeTableError> {
        let column = ByAge { header: HEADER, value: "a probability q_x", range: "q_x in [0, 1]" };
        let ok = |q: f64| (0.0..=1.0).contains(&q);
        let (h, first_age, male, female) = column.read(text, ok)?;
        let hazard = |q: Vec<f64>| q.into_iter().map(|q| -(-q).ln_1p()).collect::<Vec<f64>>();
        let (male, female) = (hazard(male), hazard(female));
        let end = f64::from(first_age) + male.len() as f64;
        if !(max_age > end) {
            let expected = format!("a maximum age above the table's end, {end}");
            let error = LifeTableError {
                line: h + 1 + male.len(),
                column: None,
                expected,
                found: format!("{max_age}"),
            };
            return Err(error);
        }
        let (male, female) = (Column::new(male), Column::new(female));
        Ok(LifeTable { first_age, male, female, max_age })
    }

    fn column(&self, sex: Sex) -> &Column {
        match sex {
            Sex::Male => &self.male,
            Sex::Female => &self.female,
        }
    }

    fn hazards(&self, sex: Sex) -> &[f64] {
        &self.column(sex).hazards
    }

    /// The pieces (start age, end age, hazard per year) from age `from_age` to `max_age`: each
    /// year of age of the table, the last one's hazard continued to `max_age`; an age below the
    /// table's first takes the first age's hazard.
    fn segments(&self, sex: Sex, from_age: f64) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        let h = self.hazards(sex);
        let first = f64::from(self.first_age);
        let last = h.len() - 1;
        let start = ((from_age - first).floor().max(0.0) as usize).min(last);
        (start..=last).filter_map(move |k| {
            let lo = if k == start { from_age } else { first + k as f64 };
            let hi = if k == last { self.max_age } else { first + (k + 1) as f64 };
            (hi > lo).then_some((lo, hi, h[k]))
        })
    }

    /// Cumulative hazard from age `age` over the next `t` years (infinite at and past
    /// `max_age`).
    pub fn cumulative_hazard(&self, sex: Sex, age: f64, t: f64) -> f64 {
        let until = age + t;
        if until >= self.max_age {
            return f64::INFINITY;
        }
        let mut total = 0.0;
        for (lo, hi, h) in self.segments(sex, age) {
            if lo >= until {
                break;
            }
            total += h * (hi.min(until) - lo);
        }
        total
    }

    /// Survival to `t` years after age `age`.
    pub fn survival(&self, sex: Sex, age: f64, t: f64) -> f64 {
        (-self.cumulative_hazard(sex, age, t)).exp()
    }

    /// Years from age `age` to death for the uniform `u` ∈ (0, 1]: the t where the cumulative
    /// hazard reaches −ln u, at most `max_age − age`.
    pub fn time_to_death(&self, sex: Sex, age: f64, u: f64) -> f64 {
        self.time_to_death_within(sex, age, u, f64::INFINITY)
    }

    /// [`Self::time_to_death`] when it comes before `limit` years, else infinite: the walk
    /// through the table stops at `limit` (a model's horizon), so a long life costs no more
    /// than the horizon's years of age.
    pub fn time_to_death_within(&self, sex: Sex, age: f64, u: f64, limit: f64) -> f64 {
        self.time_at_hazard_within(sex, age, -u.ln(), limit)
    }

    /// The time t after age `age` at which the cumulative hazard reaches `e`, if before
    /// `limit` years (infinite otherwise); `max_age − age` if the table's hazard never reaches
    /// it.
    pub fn time_at_hazard_within(&self, sex: Sex, age: f64, e: f64, limit: f64) -> f64 {
        self.deaths(sex, age, limit).time(e)
    }

    /// The deaths of a person of `age` within `limit` years, ready to be found for several
    /// cumulative hazards (the candidates of a floored mortality): what does not depend on
    /// the hazard is computed once.
    pub fn deaths(&self, sex: Sex, age: f64, limit: f64) -> Deaths<'_> {
        let mut d = Deaths {
            column: self.column(sex),
            first: f64::from(self.first_age),
            end: self.end_age(),
            max_age: self.max_age,
            age,
            limit,
            base: 0.0,
            until: 0.0,
        };
        d.base = d.cumulative_to(age);
        d.until = d.cumulative_to(self.max_age.min(age + limit));
        d
    }

    /// The hazard per year at age `age` (the year of age it falls in; the last age's beyond
    /// the table; infinite from `max_age`, where everyone still alive dies).
    pub fn hazard_at(&self, sex: Sex, age: f64) -> f64 {
        if age >= self.max_age {
            return f64::INFINITY;
        }
        let h = self.hazards(sex);
        // Truncation is the floor for an age at or above the first (a younger one: year 0).
        let k = (age - f64::from(self.first_age)) as usize;
        h[k.min(h.len() - 1)]
    }

    /// Life expectancy at age `age` (years): ∫ S(t) dt, exact piece by piece.
    pub fn life_expectancy(&self, sex: Sex, age: f64) -> f64 {
        let (mut alive, mut years) = (1.0, 0.0);
        for (lo, hi, h) in self.segments(sex, age) {
            let len = hi - lo;
            if h == 0.0 {
                years += alive * len;
            } else {
                years += alive * -(-h * len).exp_m1() / h;
                alive *= (-h * len).exp();
            }
        }
        years
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The q_x column of a CSV text, read by hand.
    fn column(text: &str, female: bool) -> Vec<f64> {
        let field = if female { 2 } else { 1 };
        text.lines().skip(1).map(|l| l.split(',').nth(field).unwrap().parse().unwrap()).collect()
    }

    /// S(age + t) straight from the CSV's q_x: whole years multiply (1 − q_x), a part f of a
    /// year (1 − q_x)^f (the constant hazard within the year); the last age's q beyond the
    /// table, everyone dead at `max_age`.
    fn survival_from_csv(q: &[f64], age: f64, t: f64, max_age: f64) -> f64 {
        // The left limit at the maximum age (everyone alive then dies there).
        let until = age + t;
        if until > max_age {
            return 0.0;
        }
        let mut s = 1.0;
        let mut x = age;
        while x < until {
            let year = (x.floor() as usize).min(q.len() - 1);
            let next = if year == q.len() - 1 { until } else { (x.floor() + 1.0).min(until) };
            s *= (1.0 - q[year]).powf(next - x);
            x = next;
        }
        s
    }

    #[test]
    fn life_expectancy_is_the_integral_of_the_tables_survival() {
        let table = LifeTable::us_2020();
        assert_eq!((table.first_age, table.male.hazards.len()), (0, 101));
        for (sex, female) in [(Sex::Male, false), (Sex::Female, true)] {
            let q = column(US_2020, female);
            for age in [0.0_f64, 65.0, 99.25, 105.0] {
                // Trapezoid over steps of 1/1000 year to the maximum age.
                let steps = ((110.0 - age) * 1000.0).round() as usize;
                let dt = (110.0 - age) / steps as f64;
                let s = |k: usize| survival_from_csv(&q, age, k as f64 * dt, 110.0);
                let integral: f64 = (0..steps).map(|k| 0.5 * dt * (s(k) + s(k + 1))).sum::<f64>();
                let e = table.life_expectancy(sex, age);
                // The trapezoid's error: dt²/12 × the largest |S''| (hazard² ≤ 1 a year²).
                assert!(
                    (e - integral).abs() < 1e-6 * (110.0 - age),
                    "{sex:?} {age}: {e} vs {integral}"
                );
                let here = table.survival(sex, age, 17.3);
                let csv = survival_from_csv(&q, age, 17.3, 110.0);
                assert!((here - csv).abs() < 1e-12, "{sex:?} {age}: S {here} vs {csv}");
            }
        }
        // 2020 US period life expectancy at birth is about 74 (men) and 80 (women) years.
        let (m, f) =
            (table.life_expectancy(Sex::Male, 0.0), table.life_expectancy(Sex::Female, 0.0));
        assert!((73.0..76.0).contains(&m) && (79.0..82.0).contains(&f), "{m} {f}");
    }

    /// A death searched within a limit is the death when it comes before the limit, else
    /// none; a table with a year where everyone dies (q_x = 1) and one without deaths (q_x =
    /// 0) are inverted too.
    #[test]
    fn a_death_within_a_limit_is_the_death_if_before_it() {
        let table = LifeTable::us_2020();
        for age in [30.0, 64.5, 99.9, 104.0] {
            for u in [0.9, 0.5, 0.01, 1e-9] {
                let t = table.time_to_death(Sex::Female, age, u);
                for limit in [1.0, 10.0, 30.0, 80.0] {
                    let within = table.time_to_death_within(Sex::Female, age, u, limit);
                    assert_eq!(
                        within,
                        if t < limit { t } else { f64::INFINITY },
                        "{age} {u} {limit}"
                    );
                }
            }
        }
        let text = "age,male_qx,female_qx\n50,0,0.1\n51,0,1\n52,0.5,0.5\n";
        let table = LifeTable::parse(text, 60.0).unwrap();
        // With a byte-order mark and CRLF line ends (a spreadsheet's export), the same table.
        let exported = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        assert_eq!(LifeTable::parse(&exported, 60.0).unwrap(), table);
        // Women: past 51 nobody survives; men: no deaths before 52, then −ln 0.5 a year.
        assert_eq!(table.time_to_death(Sex::Female, 50.0, 0.5), 1.0);
        let h = -(0.5f64).ln();
        let t = table.time_to_death(Sex::Male, 50.5, (-h).exp());
        assert!((t - 2.5).abs() < 1e-12, "{t}");
        assert_eq!(table.time_to_death(Sex::Male, 50.0, 1e-300), 10.0);
    }

    #[test]
    fn a_time_of_death_inverts_the_survival() {
        let table = LifeTable::us_2020();
        for sex in [Sex::Male, Sex::Female] {
            for age in [0.0, 60.0, 100.5] {
                for u in [1.0, 0.999, 0.5, 0.1, 1e-6, 1e-300] {
                    let t = table.time_to_death(sex, age, u);
                    assert!(t >= 0.0 && age + t <= table.max_age, "{t}");
                    if age + t < table.max_age {
                        let s = table.survival(sex, age, t);
                        assert!(
                            (s - u).abs() <= 1e-12 * u.max(1e-300) + 1e-15,
                            "{sex:?} {age} {u}: S(T) = {s}"
                        );
                    }
                }
                // The mean of the times over a fine grid of u is the life expectancy.
                let n = 200_000;
                let mean: f64 = (0..n)
                    .map(|i| table.time_to_death(sex, age, (i as f64 + 0.5) / n as f64))
                    .sum::<f64>()
                    / n as f64;
                let e = table.life_expectancy(sex, age);
                assert!((mean - e).abs() < 1e-3, "{sex:?} {age}: {mean} vs {e}");
            }
        }
        // Everyone alive at the maximum age dies there.
        assert_eq!(table.time_to_death(Sex::Male, 109.0, 1e-300), 1.0);
    }

    /// The year a binary search over the whole table finds (the definition).
    fn by_search(cum: &[f64], target: f64) -> usize {
        cum.partition_point(|&c| c <= target) - 1
    }

    /// Every target a search can be asked for in `cum`: its values and their neighbouring
    /// doubles, the middle of each year and a sweep of the range.
    fn targets(cum: &[f64]) -> Vec<f64> {
        let top = cum.iter().copied().filter(|c| c.is_finite()).fold(0.0, f64::max);
        let mut t: Vec<f64> = cum
            .iter()
            .filter(|c| c.is_finite())
            .flat_map(|&c| [c, c.next_down(), c.next_up()])
            .collect();
        t.extend(cum.windows(2).filter(|w| w[1].is_finite()).map(|w| (w[0] + w[1]) / 2.0));
        t.extend((0..5000).map(|k| top * 1.1 * k as f64 / 5000.0));
        t.push(1e-300);
        t
    }

    #[test]
    fn the_guided_year_is_the_binary_searchs_for_every_target() {
        let csv = |rows: &[(f64, f64)]| {
            let mut text = String::from("age,male_qx,female_qx\n");
            for (k, (m, f)) in rows.iter().enumerate() {
                text.push_str(&format!("{},{m},{f}\n", 40 + k));
            }
            LifeTable::parse(&text, 40.0 + rows.len() as f64 + 5.0).unwrap()
        };
        let tables = [
            LifeTable::us_2020(),
            // Years without deaths, then some.
            csv(&[(0.0, 0.0), (0.0, 0.1), (0.01, 0.0), (0.2, 0.5)]),
            // Everyone dead in the third year: its hazard and every cumulative after are ∞.
            csv(&[(0.05, 0.0), (0.1, 0.2), (1.0, 1.0), (0.3, 1.0)]),
            // No deaths at all (never searched: the guide is built without a range), and one
            // row (its year found without a step, from a guide over one year).
            csv(&[(0.0, 0.0), (0.0, 0.0)]),
            csv(&[(0.3, 1.0)]),
        ];
        for table in &tables {
            for sex in [Sex::Male, Sex::Female] {
                let column = table.column(sex);
                let (cum, guide) = (&column.cumulated[..], &column.guide);
                let last = cum.len() - 2;
                // The search is asked only below the table's last cumulative hazard.
                let asked: Vec<f64> =
                    targets(cum).into_iter().filter(|&t| t >= 0.0 && t < cum[last + 1]).collect();
                // Every table that can be searched is.
                assert_eq!(asked.is_empty(), cum[last + 1] == 0.0, "{sex:?}");
                // The guide only sets the start: the same year from the worst starts too.
                let first = Guide { per_unit: 0.0, start: vec![0; Guide::BUCKETS] };
                let at_last = Guide { per_unit: 0.0, start: vec![last as u16; Guide::BUCKETS] };
                for t in asked {
                    let want = by_search(cum, t);
                    assert_eq!(year_reaching(cum, last, guide, t), want, "{sex:?} {t}");
                    assert_eq!(year_reaching(cum, last, &first, t), want, "{sex:?} {t}");
                    assert_eq!(year_reaching(cum, last, &at_last, t), want, "{sex:?} {t}");
                }
            }
        }
    }

    #[test]
    fn bad_tables_are_refused_with_their_line_and_column() {
        let bad = |text: &str, max_age: f64| LifeTable::parse(text, max_age).unwrap_err();
        let e = bad("age,qx\n0,0.1\n", 110.0);
        assert_eq!((e.line, e.column), (1, None));
        assert!(e.to_string().contains("expected the header `age,male_qx,female_qx`"), "{e}");
        let e = bad("age,male_qx,female_qx\n0,0.1,0.1\n2,0.1,0.1\n", 110.0);
        assert_eq!((e.line, e.column), (3, Some(1)));
        assert!(e.to_string().contains("expected age 1 (consecutive ages), found 2"), "{e}");
        let e = bad("age,male_qx,female_qx\n0,0.1,1.5\n", 110.0);
        assert_eq!((e.line, e.column), (2, Some(3)));
        assert!(e.to_string().contains("expected q_x in [0, 1], found 1.5"), "{e}");
        let e = bad("age,male_qx,female_qx\n0,x,0.1\n", 110.0);
        assert_eq!((e.line, e.column), (2, Some(2)));
        let e = bad("age,male_qx,female_qx\n0,0.1\n", 110.0);
        assert!(e.to_string().contains("expected 3 fields, found 2"), "{e}");
        let e = bad("age,male_qx,female_qx\n", 110.0);
        assert!(e.to_string().contains("a row per age"), "{e}");
        let e = bad("age,male_qx,female_qx\n0,0.1,0.1\n1,0.1,0.1\n", 2.0);
        assert!(e.to_string().contains("a maximum age above the table's end, 2"), "{e}");
        // q_x = 1: everyone dies within the year, at its start for the inversion's purposes.
        let t = LifeTable::parse("age,male_qx,female_qx\n0,0,0\n1,1,1\n", 5.0).unwrap();
        assert_eq!(t.survival(Sex::Male, 0.0, 1.5), 0.0);
        assert_eq!(t.time_to_death(Sex::Male, 0.0, 0.5), 1.0);
        assert_eq!(t.life_expectancy(Sex::Female, 0.0), 1.0);
    }
}
