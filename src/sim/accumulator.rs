//! Running sums over patients, so that nothing per patient is kept after it is accounted for.
//!
//! Sums of squares and cross-products are kept alongside the sums so that Monte Carlo standard
//! errors of every mean, of increments against the comparator (paired, same patients) and of
//! net monetary benefit at any threshold can be derived afterwards without the patients.

use crate::accounting::discount::ceiling;
use crate::accounting::record::Outcomes;
use crate::contracts::cohort::CalendarSums;

/// Sums over the patients of one arm.
#[derive(Clone, Debug, PartialEq)]
pub struct ArmSums {
    /// Σ cost by category.
    pub categories: Vec<f64>,
    /// Σc, Σc², Σq, Σq², Σcq over patients (c total cost, q QALYs).
    pub cost: f64,
    pub cost2: f64,
    pub qaly: f64,
    pub qaly2: f64,
    pub cost_qaly: f64,
    pub ly: f64,
    pub ly2: f64,
    pub lyu: f64,
    pub lyu2: f64,
    /// The same for the per-patient differences from the comparator arm.
    pub dcost: f64,
    pub dcost2: f64,
    pub dqaly: f64,
    pub dqaly2: f64,
    pub dcost_dqaly: f64,
    pub dly: f64,
    pub dly2: f64,
}

impl ArmSums {
    pub fn new(categories: usize) -> Self {
        ArmSums {
            categories: vec![0.0; categories],
            cost: 0.0,
            cost2: 0.0,
            qaly: 0.0,
            qaly2: 0.0,
            cost_qaly: 0.0,
            ly: 0.0,
            ly2: 0.0,
            lyu: 0.0,
            lyu2: 0.0,
            dcost: 0.0,
            dcost2: 0.0,
            dqaly: 0.0,
            dqaly2: 0.0,
            dcost_dqaly: 0.0,
            dly: 0.0,
            dly2: 0.0,
        }
    }

    /// Add one patient's total cost and outcomes, and the comparator's (cost, outcomes). Costs
    /// by category are posted to `categories` directly by the ledger.
    #[inline]
    pub fn add(&mut self, total: f64, o: &Outcomes, comparator: (f64, &Outcomes)) {
        self.cost += total;
        self.cost2 += total * total;
        self.qaly += o.qaly;
        self.qaly2 += o.qaly * o.qaly;
        self.cost_qaly += total * o.qaly;
        self.ly += o.ly;
        self.ly2 += o.ly * o.ly;
        self.lyu += o.ly_undiscounted;
        self.lyu2 += o.ly_undiscounted * o.ly_undiscounted;
        let dc = total - comparator.0;
        let dq = o.qaly - comparator.1.qaly;
        let dl = o.ly - comparator.1.ly;
        self.dcost += dc;
        self.dcost2 += dc * dc;
        self.dqaly += dq;
        self.dqaly2 += dq * dq;
        self.dcost_dqaly += dc * dq;
        self.dly += dl;
        self.dly2 += dl * dl;
    }

    /// Record a contract arm's difference from its list arm for one patient whose drug cost
    /// changes by `delta` (the patient's list-arm total `list`, outcomes `o`, comparator
    /// total `reference`). Contract arms store only these corrections, so patients the
    /// contract does not touch cost nothing; [`ArmSums::merge`] onto the list arm's sums gives
    /// the contract arm's sums. Health outcomes are the list arm's, so their sums need none.
    ///
    /// `theirs` is the comparator's difference under the same contract when the arm's
    /// increments are against it ([`crate::model::Model::references`]), else 0: the increment
    /// moves from `list − comparator` to `list + delta − (comparator + theirs)`.
    #[inline]
    pub fn add_correction(
        &mut self,
        list: f64,
        (delta, theirs): (f64, f64),
        o: &Outcomes,
        comparator: (f64, &Outcomes),
    ) {
        let dc = list - comparator.0;
        let dq = o.qaly - comparator.1.qaly;
        let moved = delta - theirs;
        self.cost += delta;
        self.cost2 += delta * (2.0 * list + delta);
        self.cost_qaly += delta * o.qaly;
        self.dcost += moved;
        self.dcost2 += moved * (2.0 * dc + moved);
        self.dcost_dqaly += moved * dq;
    }

    /// Add another block's sums (blocks are merged in a fixed order for reproducibility).
    pub fn merge(&mut self, other: &ArmSums) {
        for (s, c) in self.categories.iter_mut().zip(&other.categories) {
            *s += c;
        }
        self.cost += other.cost;
        self.cost2 += other.cost2;
        self.qaly += other.qaly;
        self.qaly2 += other.qaly2;
        self.cost_qaly += other.cost_qaly;
        self.ly += other.ly;
        self.ly2 += other.ly2;
        self.lyu += other.lyu;
        self.lyu2 += other.lyu2;
        self.dcost += other.dcost;
        self.dcost2 += other.dcost2;
        self.dqaly += other.dqaly;
        self.dqaly2 += other.dqaly2;
        self.dcost_dqaly += other.dcost_dqaly;
        self.dly += other.dly;
        self.dly2 += other.dly2;
    }
}

/// Integer counts per cell, tallied in 16 bits and carried into 64 bits when a cell fills.
///
/// The engine adds one to a cell of several of these per patient (survival grids, spend
/// histograms), at cells it cannot predict: 16-bit cells keep four times as many of them in the
/// first-level cache as 64-bit ones. A chunk's tallies rarely carry (a chunk has 2,048 patients);
/// totals hold everything in 64 bits, so no count ever wraps. Equality is of the counts.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    recent: Vec<u16>,
    carried: Vec<u64>,
}

impl Tally {
    pub fn new(cells: usize) -> Self {
        Tally { recent: vec![0; cells], carried: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }

    #[inline]
    pub fn add(&mut self, cell: usize) {
        let c = &mut self.recent[cell];
        *c += 1;
        if *c == u16::MAX {
            self.carry(cell);
        }
    }

    #[cold]
    fn carry(&mut self, cell: usize) {
        if self.carried.is_empty() {
            self.carried = vec![0; self.recent.len()];
        }
        self.carried[cell] += u64::from(std::mem::take(&mut self.recent[cell]));
    }

    /// The count of one cell.
    pub fn get(&self, cell: usize) -> u64 {
        u64::from(self.recent[cell]) + self.carried.get(cell).copied().unwrap_or(0)
    }

    /// Every cell's count.
    pub fn counts(&self) -> Vec<u64> {
        (0..self.len()).map(|k| self.get(k)).collect()
    }

    /// Add another tally's counts (of the same cells, or empty).
    pub fn merge(&mut self, other: &Tally) {
        if other.is_empty() {
            return;
        }
        if self.is_empty() {
            *self = Tally::new(other.len());
        }
        if self.carried.is_empty() {
            self.carried = vec![0; self.recent.len()];
        }
        for (c, r) in self.carried.iter_mut().zip(&other.recent) {
            *c += u64::from(*r);
        }
        for (c, o) in self.carried.iter_mut().zip(&other.carried) {
            *c += o;
        }
    }
}

impl PartialEq for Tally {
    fn eq(&self, other: &Tally) -> bool {
        self.counts() == other.counts()
    }
}

/// A line of therapy a patient can start (lines.csv): the regimen given while waiting for the
/// first test's results, the first line, the second line, or a treated state of a pathway
/// after progression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Line {
    Bridging,
    First,
    Second,
    Pathway,
}

impl Line {
    /// Its name in lines.csv.
    pub fn name(self) -> &'static str {
        match self {
            Line::Bridging => "bridging",
            Line::First => "first",
            Line::Second => "second",
            Line::Pathway => "pathway",
        }
    }

    /// Where a line on a regimen is counted among a strategy's [`LineSums`]: bridging, first and
    /// second lines by regimen (`regimens` of them), then every pathway state (`regimen` is
    /// then the state's slot among every pathway's states).
    #[inline]
    pub fn slot(self, regimen: usize, regimens: usize) -> usize {
        match self {
            Line::Bridging => regimen,
            Line::First => regimens + regimen,
            Line::Second => 2 * regimens + regimen,
            Line::Pathway => 3 * regimens + regimen,
        }
    }
}

/// One line of therapy over a strategy's patients: how many started it, how many of them
/// responded, and Σ and Σ² of their time on treatment (years, undiscounted, within the
/// horizon; a patient's stays in a pathway state summed).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LineSums {
    pub started: u64,
    pub responded: u64,
    pub time: f64,
    pub time2: f64,
}

impl LineSums {
    #[inline]
    pub fn add(&mut self, responded: bool, time: f64) {
        self.started += 1;
        self.responded += u64::from(responded);
        self.time += time;
        self.time2 += time * time;
    }

    pub fn merge(&mut self, o: &LineSums) {
        self.started += o.started;
        self.responded += o.responded;
        self.time += o.time;
        self.time2 += o.time2;
    }
}

/// The check of one strategy's disease death hazards against the general population's: Σ
/// over patients of the time alive within the horizon, and of that time for the patients
/// whose death hazard from the disease alone, at a random moment of it, was below the general
/// population's (docs, Model → Population and background mortality).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BelowBackground {
    pub time: f64,
    pub below: f64,
}

/// Counts for the monthly survival grid of one strategy. `os` cell b counts patients who die
/// after exactly b grid points (b = number of grid times m/12 strictly before death), so the
/// share alive at grid time m is `Σ_{b > m} os[b] / n`. Integer counts: exact in any order.
#[derive(Clone, Debug, PartialEq)]
pub struct SurvivalCounts {
    pfs: Tally,
    os: Tally,
}

impl SurvivalCounts {
    /// `months` is the last grid month (⌊12·horizon⌋).
    pub fn new(months: usize) -> Self {
        SurvivalCounts { pfs: Tally::new(months + 2), os: Tally::new(months + 2) }
    }

    #[inline]
    pub(crate) fn bin(len: usize, t: f64) -> usize {
        // Grid points m/12 (m = 0..len-2) strictly before t: m < 12t ⇔ m ≤ ⌈12t⌉ − 1, capped
        // at the last bin; 0 for t ≤ 0 (and a NaN). The ceiling as in `cycles_before`, without
        // a branch on t (a death beyond the horizon is a coin flip to the processor).
        let x = (t * 12.0).max(0.0).min((len - 1) as f64);
        ceiling(x) as usize
    }

    #[inline]
    pub fn add(&mut self, pf_end: f64, death: f64) {
        let len = self.os.len();
        self.pfs.add(Self::bin(len, pf_end));
        self.os.add(Self::bin(len, death));
    }

    pub fn merge(&mut self, other: &SurvivalCounts) {
        self.pfs.merge(&other.pfs);
        self.os.merge(&other.os);
    }

    /// Counts of progression-free survival ends per grid bin.
    pub fn pfs(&self) -> Vec<u64> {
        self.pfs.counts()
    }

    /// Counts of deaths per grid bin.
    pub fn os(&self) -> Vec<u64> {
        self.os.counts()
    }

    /// Share surviving past each grid month, from counts.
    pub fn curve(counts: &[u64], n: u64) -> Vec<f64> {
        let months = counts.len() - 1;
        let mut alive = n;
        let mut out = Vec::with_capacity(months);
        for c in counts.iter().take(months) {
            alive -= c;
            out.push(alive as f64 / n as f64);
        }
        out
    }
}

/// Counts for the monthly occupancy of one state of a pathway after progression, for one
/// strategy: stays by the grid bin of their entry and of their exit (bins as in
/// [`SurvivalCounts`]), so the share in the state at grid time m is (entries in bins ≤ m −
/// exits in bins ≤ m) / n — a stay holds grid time m/12 when entry ≤ m/12 < exit.
#[derive(Clone, Debug, PartialEq)]
pub struct StateCounts {
    entries: Tally,
    exits: Tally,
}

impl StateCounts {
    /// `months` is the last grid month (⌊12·horizon⌋).
    pub fn new(months: usize) -> Self {
        StateCounts { entries: Tally::new(months + 2), exits: Tally::new(months + 2) }
    }

    #[inline]
    pub fn add(&mut self, entry: f64, exit: f64) {
        let len = self.entries.len();
        self.entries.add(SurvivalCounts::bin(len, entry));
        self.exits.add(SurvivalCounts::bin(len, exit));
    }

    pub fn merge(&mut self, other: &StateCounts) {
        self.entries.merge(&other.entries);
        self.exits.merge(&other.exits);
    }

    /// How many patients are in the state at each grid month.
    pub fn occupancy(&self) -> Vec<u64> {
        let (entries, exits) = (self.entries.counts(), self.exits.counts());
        let mut inside: u64 = 0;
        let mut out = Vec::with_capacity(entries.len() - 1);
        for (e, x) in entries.iter().zip(&exits).take(entries.len() - 1) {
            // Every stay exits in a bin at or after its entry's: never below zero.
            inside = inside + e - x;
            out.push(inside);
        }
        out
    }
}

/// Sums of a contract arm's settlements over patients (zero for list arms).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContractSums {
    /// Patients treated with the contracted drug, and how many of them triggered the contract.
    pub treated: u64,
    pub triggered: u64,
    /// Payer: drug spend at list, payments under the contract, refunds, administration.
    pub list_spend: f64,
    pub paid: f64,
    pub refunded: f64,
    pub admin: f64,
    /// Σ and Σ² of net drug spend (paid − refunded) over treated patients.
    pub net: f64,
    pub net2: f64,
    /// Manufacturer's net revenue at its own rate.
    pub manufacturer: f64,
    /// Σ ∂cost/∂price (for the threshold price).
    pub units: f64,
    /// Net drug spend per treated patient on a log grid (see [`SpendHistogram`]); empty for
    /// list arms.
    pub spend: SpendHistogram,
    /// Cohort-level contracts: the arm's sums per population and calendar year of the term
    /// (empty otherwise).
    pub calendar: CalendarSums,
}

/// Counts of per-patient amounts on a logarithmic grid from 1 to 1e9 (1,024 bins, each 2.05 %
/// wide), so that quantiles need no per-patient storage and merge exactly in any order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpendHistogram {
    counts: Tally,
}

impl SpendHistogram {
    pub const BINS: usize = 1024;
    const TOP: f64 = 1e9;

    fn ratio_log() -> f64 {
        Self::TOP.ln() / (Self::BINS - 1) as f64
    }

    /// Bin 0 holds amounts below 1; bin k ≥ 1 holds [e^{(k−1)·w}, e^{k·w}); the last bin is open.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if self.counts.is_empty() {
            self.counts = Tally::new(Self::BINS);
        }
        self.counts.add(BIN_TABLE.bin(x));
    }

    /// The bin of x by its definition, ⌊ln x / w⌋ + 1 (capped), with a logarithm.
    pub fn bin_by_logarithm(x: f64) -> usize {
        if x < 1.0 { 0 } else { ((x.ln() / Self::ratio_log()) as usize + 1).min(Self::BINS - 1) }
    }

    /// The bin of x as [`Self::add`] finds it (from a table, without a logarithm).
    pub fn bin(x: f64) -> usize {
        BIN_TABLE.bin(x)
    }

    pub fn merge(&mut self, o: &SpendHistogram) {
        self.counts.merge(&o.counts);
    }

    /// The upper edge of the bin holding the q-quantile: at most 2.05 % above the exact
    /// sample quantile (amounts below 1 report 1; above 1e9, the last edge).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let counts = self.counts.counts();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let target = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (k, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= target {
                // Bin 0 holds amounts below 1 (in practice no spend): report 0.
                return Some(if k == 0 { 0.0 } else { (k as f64 * Self::ratio_log()).exp() });
            }
        }
        Some(Self::TOP)
    }
}

/// Mantissa bits below the table index: 2⁶ slices per octave, each at most 1.6 % wide, inside
/// a 2.05 % bin, so a slice holds at most one bin edge. Fewer, wider slices keep the table
/// (about 1,900 slices, 19 KB) in the first-level cache beside the arms' histograms; with 2⁸ slices
/// its misses were a visible share of settling a contract.
const SLICE_SHIFT: u32 = 46;

/// [`SpendHistogram::bin_by_logarithm`] without the logarithm (it runs for every contract arm
/// of every treated patient): amounts from 1 to 1e9 are cut into slices by their leading bits;
/// a slice knows its first bin and the one edge, if any, inside it. The edges are the first
/// doubles at which ⌊ln x / w⌋ steps up, found with the same logarithm, so both give the same
/// bin for every amount (tested on both sides of every edge).
struct BinTable {
    first: u64,
    base: Vec<u16>,
    edge: Vec<f64>,
}

static BIN_TABLE: std::sync::LazyLock<BinTable> = std::sync::LazyLock::new(BinTable::new);

impl BinTable {
    fn new() -> Self {
        let by_log = SpendHistogram::bin_by_logarithm;
        let step =
            |x: f64, up: bool| f64::from_bits(if up { x.to_bits() + 1 } else { x.to_bits() - 1 });
        // edges[k − 1]: the first amount in bin k + 1 (k = 1 … BINS − 2).
        let edges: Vec<f64> = (1..SpendHistogram::BINS - 1)
            .map(|k| {
                let mut e = (k as f64 * SpendHistogram::ratio_log()).exp();
                while by_log(e) > k {
                    e = step(e, false);
                }
                while by_log(e) <= k {
                    e = step(e, true);
                }
                e
            })
            .collect();
        let first = 1.0f64.to_bits() >> SLICE_SHIFT;
        let last = edges[edges.len() - 1].to_bits() >> SLICE_SHIFT;
        let (mut base, mut edge) = (Vec::new(), Vec::new());
        let mut next = 0;
        for slice in first..=last {
            let lo = f64::from_bits(slice << SLICE_SHIFT);
            while next < edges.len() && edges[next] <= lo {
                next += 1;
            }
            base.push((next + 1) as u16);
            let hi = f64::from_bits((slice + 1) << SLICE_SHIFT);
            edge.push(if next < edges.len() && edges[next] < hi {
                edges[next]
            } else {
                f64::INFINITY
            });
        }
        BinTable { first, base, edge }
    }

    #[inline]
    fn bin(&self, x: f64) -> usize {
        if x < 1.0 {
            return 0;
        }
        let i = ((x.to_bits() >> SLICE_SHIFT) - self.first) as usize;
        match (self.base.get(i), self.edge.get(i)) {
            (Some(&b), Some(&e)) => b as usize + usize::from(x >= e),
            _ => SpendHistogram::BINS - 1,
        }
    }
}

impl ContractSums {
    pub fn merge(&mut self, o: &ContractSums) {
        self.treated += o.treated;
        self.triggered += o.triggered;
        self.list_spend += o.list_spend;
        self.paid += o.paid;
        self.refunded += o.refunded;
        self.admin += o.admin;
        self.net += o.net;
        self.net2 += o.net2;
        self.manufacturer += o.manufacturer;
        self.units += o.units;
        self.spend.merge(&o.spend);
        self.calendar.merge(&o.calendar);
    }
}

/// The sums of one simulated sample: per arm and per strategy, for `patients` patients.
///
/// A contract arm's `categories` hold its differences from its strategy's list arm (the same
/// patients): contracted drug payments minus list payments, refunds, administration. The
/// analysis adds them to the list arm's categories.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleSums {
    pub patients: u64,
    pub arms: Vec<ArmSums>,
    pub contracts: Vec<ContractSums>,
    /// Per contract: Σ over patients of the comparator's ∂cost/∂price of the contracted drug
    /// at list (non-zero only when the comparator gives the drug).
    pub comparator_units: Vec<f64>,
    /// Per strategy: its survival grid's counts (the base case only: empty otherwise).
    pub survival: Vec<SurvivalCounts>,
    /// With `[population]` in the base case, one: the same patients' deaths from
    /// general-population mortality alone (their background death B), for the survival plot's
    /// overlay; else empty.
    pub general_population: Vec<SurvivalCounts>,
    /// Per strategy, in the base case with `[population]` (else empty): the check of the
    /// disease's death hazards against the general population's.
    pub below_background: Vec<BelowBackground>,
    /// Per strategy, per state of every pathway after progression (in `Prepared::pathways`
    /// order, state by state): its monthly occupancy counts (empty without pathways, and outside
    /// the base case).
    pub states: Vec<Vec<StateCounts>>,
    /// Per strategy, per line slot ([`Line::slot`]): the lines of therapy its patients started.
    pub lines: Vec<Vec<LineSums>>,
    /// Budget impact (empty without one): Σ over patients of the undiscounted spend in each
    /// calendar year after entry, per arm, year and cost category (cell (arm·Y + y)·C + c;
    /// contract arms hold differences from their list arm, as `arms` do).
    pub budget: Vec<f64>,
    /// Budget impact (empty without one): per strategy's list arm and calendar year after
    /// entry, the patients' clinical events ([`BUDGET_EVENTS`]: alive at the year's end,
    /// first progressions and deaths in it), cell (arm·Y + y)·E + e.
    pub budget_events: Vec<u64>,
    /// Per level of every subgroup, when counted (`Prepared::count_subgroups`, with
    /// `[subgroups]`; else empty): its patients' sums per arm.
    pub subgroups: Vec<SubgroupSums>,
    /// Budget impact: per cohort-contract arm, its patients' paid cycles, treatments, starts
    /// and successes per calendar year after entry (population 0; empty for other arms).
    pub budget_calendar: Vec<CalendarSums>,
    /// Contract designs (`Prepared::designs`; else empty): per design, strategy and
    /// candidate settled one by one, its sums ([`super::design::PointSums`]).
    pub designs: Vec<super::design::PointSums>,
    /// Contract designs with a budget impact: per design point and calendar year after entry,
    /// Σ of the yearly increments of (a, b, l, admin) (see [`super::design::DesignScratch::budget`]).
    pub design_budget: Vec<[f64; 4]>,
}

impl SampleSums {
    /// `slots`: contract sums, one per arm and one per `list` contract settled on a list arm
    /// ([`crate::model::Settlement::slot`]).
    pub fn new((arms, slots): (usize, usize), contracts: usize, categories: usize) -> Self {
        SampleSums {
            patients: 0,
            arms: vec![ArmSums::new(categories); arms],
            contracts: vec![ContractSums::default(); slots],
            comparator_units: vec![0.0; contracts],
            survival: Vec::new(),
            general_population: Vec::new(),
            below_background: Vec::new(),
            states: Vec::new(),
            lines: Vec::new(),
            budget: Vec::new(),
            budget_events: Vec::new(),
            budget_calendar: Vec::new(),
            subgroups: Vec::new(),
            designs: Vec::new(),
            design_budget: Vec::new(),
        }
    }

    pub fn merge(&mut self, other: &SampleSums) {
        self.patients += other.patients;
        let mine = (&mut self.arms[..], &mut self.contracts[..], &mut self.comparator_units[..]);
        merge_arms(mine, (&other.arms, &other.contracts, &other.comparator_units));
        for (a, b) in self.survival.iter_mut().zip(&other.survival) {
            a.merge(b);
        }
        for (a, b) in self.general_population.iter_mut().zip(&other.general_population) {
            a.merge(b);
        }
        for (a, b) in self.below_background.iter_mut().zip(&other.below_background) {
            a.time += b.time;
            a.below += b.below;
        }
        for (a, b) in self.states.iter_mut().zip(&other.states) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        for (a, b) in self.lines.iter_mut().zip(&other.lines) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        for (a, b) in self.budget.iter_mut().zip(&other.budget) {
            *a += b;
        }
        for (a, b) in self.budget_events.iter_mut().zip(&other.budget_events) {
            *a += b;
        }
        for (a, b) in self.budget_calendar.iter_mut().zip(&other.budget_calendar) {
            a.merge(b);
        }
        for (a, b) in self.subgroups.iter_mut().zip(&other.subgroups) {
            a.merge(b);
        }
        for (a, b) in self.designs.iter_mut().zip(&other.designs) {
            a.merge(b);
        }
        for (a, b) in self.design_budget.iter_mut().zip(&other.design_budget) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
}

/// The clinical events the budget impact counts per calendar year, in the order of
/// [`SampleSums::budget_events`]' cells.
pub const BUDGET_EVENTS: [&str; 3] = ["alive_at_year_end", "progressions", "deaths"];

/// The sums of the patients in one level of a subgroup: their count and, per arm, their
/// sums (without costs by category) and contract sums (without calendar years); per contract,
/// the comparator's Σ ∂cost/∂price among them.
#[derive(Clone, Debug, PartialEq)]
pub struct SubgroupSums {
    pub patients: u64,
    pub arms: Vec<ArmSums>,
    pub contracts: Vec<ContractSums>,
    pub comparator_units: Vec<f64>,
}

impl SubgroupSums {
    pub fn new((arms, slots): (usize, usize), contracts: usize) -> Self {
        SubgroupSums {
            patients: 0,
            arms: vec![ArmSums::new(0); arms],
            contracts: vec![ContractSums::default(); slots],
            comparator_units: vec![0.0; contracts],
        }
    }

    pub fn merge(&mut self, other: &SubgroupSums) {
        self.patients += other.patients;
        let mine = (&mut self.arms[..], &mut self.contracts[..], &mut self.comparator_units[..]);
        merge_arms(mine, (&other.arms, &other.contracts, &other.comparator_units));
    }
}

/// Add another block's arm sums, contract sums and comparator units (of a sample, or of a
/// subgroup level) to these.
fn merge_arms(
    (arms, contracts, units): (&mut [ArmSums], &mut [ContractSums], &mut [f64]),
    (other_arms, other_contracts, other_units): (&[ArmSums], &[ContractSums], &[f64]),
) {
    for (a, b) in arms.iter_mut().zip(other_arms) {
        a.merge(b);
    }
    for (a, b) in contracts.iter_mut().zip(other_contracts) {
        a.merge(b);
    }
    for (a, b) in units.iter_mut().zip(other_units) {
        *a += b;
    }
}

#[cfg(test)]
mod tests {
    use super::{BIN_TABLE, SpendHistogram, SurvivalCounts, Tally};

    #[test]
    fn survival_bins_count_grid_points_strictly_before() {
        let len = 12 * 40 + 2;
        // Grid points m/12 (m = 0..len-2) strictly before t, capped at the last bin.
        let by_count = |t: f64| (0..len - 1).filter(|&m| (m as f64) < 12.0 * t).count();
        let mut ts: Vec<f64> = (0..100_000).map(|i| f64::from(i) * 0.000_417).collect();
        ts.extend((0..=12 * 41).map(|m| f64::from(m) / 12.0));
        ts.extend([-1.0, -0.0, 1e-300, 39.999_999, 40.0, 40.1, 1e9, f64::INFINITY]);
        for t in ts {
            assert_eq!(SurvivalCounts::bin(len, t), by_count(t).min(len - 1), "t {t}");
        }
        assert_eq!(SurvivalCounts::bin(len, f64::NAN), 0);
    }

    #[test]
    fn tallies_carry_full_cells_without_losing_a_count() {
        let mut t = Tally::new(3);
        for _ in 0..200_000 {
            t.add(1);
        }
        t.add(2);
        assert_eq!(t.counts(), vec![0, 200_000, 1]);
        // 200,000 = 3 × 65,535 + 3,395: three carries, the rest still in 16 bits.
        assert_eq!((t.carried[1], t.recent[1]), (3 * 65_535, 3_395));
        let mut total = Tally::default();
        total.merge(&t);
        total.merge(&Tally::default());
        total.merge(&t);
        assert_eq!(total.counts(), vec![0, 400_000, 2]);
        // Equality is of the counts, however they are held.
        let mut once = Tally::new(3);
        once.merge(&t);
        assert_eq!(once, t);
        assert_ne!(once, total);
    }

    #[test]
    fn the_bin_table_agrees_with_the_logarithm_everywhere() {
        let by_log = SpendHistogram::bin_by_logarithm;
        let near = |x: f64, d: i64| f64::from_bits((x.to_bits() as i64 + d) as u64);
        // Both sides of every edge (where ⌊ln x / w⌋ steps up), a few doubles either way.
        for k in 1..SpendHistogram::BINS - 1 {
            let e = (k as f64 * SpendHistogram::ratio_log()).exp();
            for d in -4..=4 {
                let x = near(e, d);
                assert_eq!(SpendHistogram::bin(x), by_log(x), "near edge {k}: {x:e}");
            }
        }
        // Amounts spread over the whole range, the ends and beyond.
        let mut x = 0.5;
        while x < 4e9 {
            assert_eq!(SpendHistogram::bin(x), by_log(x), "{x:e}");
            x *= 1.000_37;
        }
        for x in [0.0, -3.0, 1.0, 1e9, 2e9, 1e300] {
            assert_eq!(SpendHistogram::bin(x), by_log(x), "{x:e}");
        }
        // Every edge sits in its own slice.
        let edges = BIN_TABLE.edge.iter().filter(|e| e.is_finite()).count();
        assert_eq!(edges, SpendHistogram::BINS - 2);
    }

    #[test]
    fn quantiles_are_within_one_bin_above_the_exact_value() {
        let mut h = SpendHistogram::default();
        let xs: Vec<f64> = (1..=1000).map(|i| 137.0 * f64::from(i)).collect();
        for &x in &xs {
            h.add(x);
        }
        for q in [0.5, 0.95, 0.99] {
            let exact = xs[(q * 1000.0_f64).ceil() as usize - 1];
            let got = h.quantile(q).unwrap();
            assert!(got >= exact && got <= exact * 1.0206, "q {q}: {got} vs {exact}");
        }
        let mut small = SpendHistogram::default();
        small.add(0.0);
        assert_eq!(small.quantile(0.95), Some(0.0));
        assert_eq!(SpendHistogram::default().quantile(0.5), None);
    }
}
