//! Covariates and their effects (`population.profiles`, `population.covariates`, effects keyed
//! by covariate level; docs: Model → Covariates and their effects) against closed forms.
//!
//! covariates.toml: ECOG and sex from four weighted profiles (weights 1, 2, 3, 4 for female/0,
//! male/0, female/1, male/1), smoking from stated shares 0.3, 0.45, 0.25. Every hazard is
//! exponential, so the hazard ratios of a patient's levels make each transition exponential
//! with the product as its rate's factor: the rate estimated from the simulated event times
//! (events over time at risk, standard error rate/√events) recovers it. Response odds ratios
//! give p·OR/(1 − p + p·OR). Tolerances are 4 standard errors.

use crate::support::{fixture_text, load};
use vbpsim::rng::SampleKey;
use vbpsim::scenario::Scenario;
use vbpsim::sim::Prepared;
use vbpsim::sim::patient::{
    FIRST_LINE, LineDraws, LineProcesses, simulate as simulate_patient, tumour,
};

const FIXTURE: &str = "covariates/covariates.toml";
/// covariates.toml's rates per year: progression, death before progression, death after
/// progression, the pathway's death.
const PROGRESSION: f64 = 0.1 * 12.0;
const DEATH_PF: f64 = 0.02 * 12.0;
const DEATH_PD: f64 = 0.1 * 12.0;
const PATHWAY: f64 = 0.1 * 12.0;
const RESPONSE: f64 = 0.4;
const N: u64 = 200_000;

fn close(got: f64, want: f64, se: f64, what: &str) {
    assert!(se > 0.0, "{what}: a standard error of 0");
    assert!((got - want).abs() < 4.0 * se, "{what}: {got} vs {want} (se {se})");
}

/// A rate from events and time at risk, with its standard error.
fn rate(events: f64, exposure: f64) -> (f64, f64) {
    let r = events / exposure;
    (r, r / events.sqrt())
}

fn binomial(p: f64) -> f64 {
    (p * (1.0 - p) / N as f64).sqrt()
}

/// The bit of a covariate's level, read from the model's covariates (sex: bits 0 and 1).
fn bit(s: &Scenario, covariate: &str, level: &str) -> u32 {
    let p = s.model.population.as_ref().unwrap();
    if covariate == "sex" {
        return if level == "female" { 0 } else { 1 };
    }
    let c = p.covariates.iter().find(|c| c.name == covariate).unwrap();
    c.first_bit + c.levels.iter().position(|l| l == level).unwrap() as u32
}

/// Each patient's levels and records under the two strategies.
fn patients(s: &Scenario) -> Vec<(u64, [vbpsim::accounting::record::PatientRecord; 2])> {
    let prep = Prepared::new(&s.model, &s.model.values).unwrap();
    let key = SampleKey::new(43, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    (0..N)
        .map(|i| {
            let pk = key.patient(i);
            let t = tumour(&prep, pk);
            let line = LineDraws::of_patient(&prep, pk, &lines);
            let levels = line.person.unwrap().levels;
            (levels, [0, 1].map(|s| simulate_patient(&prep, pk, &t, &line, s)))
        })
        .collect()
}

#[test]
fn covariate_effects_are_recovered_from_simulated_event_times() {
    let s = load(FIXTURE, &[]);
    let all = patients(&s);
    let (ecog1, female, current) =
        (bit(&s, "ecog", "1"), bit(&s, "sex", "female"), bit(&s, "smoking", "current"));
    let has = |levels: u64, b: u32| levels & (1 << b) != 0;

    // The levels: ECOG and sex come together from the profiles (P(female, ECOG 1) = 3/10, not
    // 0.4 × 0.7), smoking independently from its shares.
    let share =
        |f: &dyn Fn(u64) -> bool| all.iter().filter(|(l, _)| f(*l)).count() as f64 / N as f64;
    for (what, got, want) in [
        ("ECOG 1", share(&|l| has(l, ecog1)), 0.7),
        ("female", share(&|l| has(l, female)), 0.4),
        ("female and ECOG 1", share(&|l| has(l, female) && has(l, ecog1)), 0.3),
        ("male and ECOG 0", share(&|l| !has(l, female) && !has(l, ecog1)), 0.2),
        ("current smoker", share(&|l| has(l, current)), 0.25),
        ("former smoker", share(&|l| has(l, bit(&s, "smoking", "former"))), 0.45),
        ("current smoker and ECOG 1", share(&|l| has(l, current) && has(l, ecog1)), 0.25 * 0.7),
    ] {
        close(got, want, binomial(want), what);
    }
    // Every patient has exactly one level of each covariate.
    for (levels, _) in &all {
        assert_eq!((levels & 0b11).count_ones(), 1);
        assert_eq!(levels.count_ones(), 3, "sex, ECOG, smoking: {levels:b}");
    }

    // Rates by ECOG and sex on the clinical course.
    for (e, f) in [(false, false), (false, true), (true, false), (true, true)] {
        let group: Vec<_> = all
            .iter()
            .filter(|(l, _)| has(*l, ecog1) == e && has(*l, female) == f)
            .map(|(_, r)| &r[0])
            .collect();
        let (mut pf_time, mut progressed, mut died_pf, mut pd_time) = (0.0, 0.0, 0.0, 0.0);
        for r in &group {
            pf_time += r.progression.min(r.death);
            if r.progression.is_finite() {
                progressed += 1.0;
                pd_time += r.death - r.progression;
            } else {
                died_pf += 1.0;
            }
        }
        let what = format!("ECOG 1 {e}, female {f}");
        let hp = if e { 1.5 } else { 1.0 } * if f { 0.8 } else { 1.0 };
        let (got, se) = rate(progressed, pf_time);
        close(got, PROGRESSION * hp, se, &format!("{what}: progression rate"));
        let (got, se) = rate(died_pf, pf_time);
        close(got, DEATH_PF * if e { 2.0 } else { 1.0 }, se, &format!("{what}: death before"));
        let (got, se) = rate(progressed, pd_time);
        close(got, DEATH_PD * if e { 1.25 } else { 1.0 }, se, &format!("{what}: death after"));
    }

    // Response by ECOG and smoking: odds × 0.5 for ECOG 1, × 2 for current smokers.
    for (e, c) in [(false, false), (false, true), (true, false), (true, true)] {
        let group: Vec<_> = all
            .iter()
            .filter(|(l, _)| has(*l, ecog1) == e && has(*l, current) == c)
            .map(|(_, r)| &r[0])
            .collect();
        let n = group.len() as f64;
        let got = group.iter().filter(|r| r.responder).count() as f64 / n;
        let ratio = if e { 0.5 } else { 1.0 } * if c { 2.0 } else { 1.0 };
        let want = RESPONSE * ratio / (1.0 - RESPONSE + RESPONSE * ratio);
        let se = (want * (1.0 - want) / n).sqrt();
        close(got, want, se, &format!("ECOG 1 {e}, current smoker {c}: response"));
    }

    // The pathway's death: hazard ratio 2 for ECOG 1, time ratio 1.5 for current smokers
    // (S(t / 1.5): the rate divided by 1.5).
    for (e, c) in [(false, false), (false, true), (true, false), (true, true)] {
        let (mut events, mut time) = (0.0, 0.0);
        for (l, r) in &all {
            let r = &r[1];
            if has(*l, ecog1) == e && has(*l, current) == c && r.progression.is_finite() {
                events += 1.0;
                time += r.death - r.progression;
            }
        }
        let want = PATHWAY * if e { 2.0 } else { 1.0 } / if c { 1.5 } else { 1.0 };
        let (got, se) = rate(events, time);
        close(got, want, se, &format!("ECOG 1 {e}, current smoker {c}: pathway death rate"));
    }
}

/// A patient's levels by name, sorted.
fn named(s: &Scenario, levels: u64) -> Vec<(String, String)> {
    let p = s.model.population.as_ref().unwrap();
    let mut out: Vec<(String, String)> = (0..64)
        .filter(|b| levels & (1 << b) != 0)
        .map(|b| {
            let (c, l) = p.level_name(b);
            (c.to_string(), l.to_string())
        })
        .collect();
    out.sort();
    out
}

/// State costs times the cost ratios of the patient's levels (1.5 for ECOG 1, 2 for current
/// smokers; smoking is independent of the course, so its mean ratio 0.75 + 0.25·2 = 1.25
/// factors out): 12,000 a year progression-free, 6,000 progressed, no discounting.
#[test]
fn cost_ratios_scale_state_costs() {
    let s = load(FIXTURE, &["scenario.patients = 200000".to_string()]);
    let sim = crate::support::run(&s, &vbpsim::workflow::run::RunOptions::default());
    let mut want = 0.0;
    for (p, e, f) in
        [(0.1, false, true), (0.2, false, false), (0.3, true, true), (0.4, true, false)]
    {
        let lp = PROGRESSION * if e { 1.5 } else { 1.0 } * if f { 0.8 } else { 1.0 };
        let ld = DEATH_PF * if e { 2.0 } else { 1.0 };
        let la = DEATH_PD * if e { 1.25 } else { 1.0 };
        let m = if e { 1.5 } else { 1.0 } * 1.25;
        want += p * m * (12_000.0 / (lp + ld) + 6_000.0 * lp / (lp + ld) / la);
    }
    let cost = &sim.summary[0].cost;
    close(cost.mean, want, cost.mcse.unwrap(), "mean cost of clinical_all");
}

#[test]
fn adding_a_covariate_moves_no_other_draw() {
    let s = load(FIXTURE, &[]);
    let more =
        load(FIXTURE, &["population.covariates.pdl1 = { low = 0.6, high = 0.4 }".to_string()]);
    let (a, b) = (
        Prepared::new(&s.model, &s.model.values).unwrap(),
        Prepared::new(&more.model, &more.model.values).unwrap(),
    );
    let key = SampleKey::new(43, 0);
    let lines = LineProcesses::new(FIRST_LINE);
    let mut high = 0;
    for i in 0..5_000 {
        let pk = key.patient(i);
        let (la, lb) =
            (LineDraws::of_patient(&a, pk, &lines), LineDraws::of_patient(&b, pk, &lines));
        let (pa, pb) = (la.person.unwrap(), lb.person.unwrap());
        assert_eq!((pa.age, pa.sex), (pb.age, pb.sex), "patient {i}");
        // The patient's other levels are as they were.
        let (na, mut nb) = (named(&s, pa.levels), named(&more, pb.levels));
        let pdl1 = nb.iter().position(|(c, _)| c == "pdl1").unwrap();
        high += usize::from(nb.remove(pdl1).1 == "high");
        assert_eq!(na, nb, "patient {i}");
        for strategy in 0..2 {
            let (ra, mut rb) = (
                simulate_patient(&a, pk, &tumour(&a, pk), &la, strategy),
                simulate_patient(&b, pk, &tumour(&b, pk), &lb, strategy),
            );
            // The records differ only in the levels they carry (compared by name above).
            rb.walker.levels = ra.walker.levels;
            assert_eq!(ra, rb, "patient {i}, strategy {strategy}");
        }
    }
    assert!((1_800..2_200).contains(&high), "P(high) = 0.4 of 5,000: {high}");
}

/// The profiles CSV is part of the scenario's identity, and the report and `check` describe
/// the covariates.
#[test]
fn profiles_are_part_of_the_scenarios_identity() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, fixture_text(FIXTURE)).unwrap();
    std::fs::write(
        dir.path().join("zero_mortality.csv"),
        fixture_text("covariates/zero_mortality.csv"),
    )
    .unwrap();
    let identity = |csv: &str| {
        std::fs::write(dir.path().join("profiles.csv"), csv).unwrap();
        let s = vbpsim::scenario::load_with(Some(&file), &[]).unwrap();
        (s.sha256(), s.source.sha256())
    };
    let profiles = fixture_text("covariates/profiles.csv");
    let (a, text_a) = identity(&profiles);
    let (b, text_b) = identity(&profiles.replace("male,1,4", "male,1,5"));
    assert_eq!(text_a, text_b);
    assert_ne!(a, b);
}

/// Shares may be parameters; values that do not sum to 1 (independent draws) are refused at
/// preparation, naming the covariate, rather than drawn from a distorted distribution.
#[test]
fn shares_that_do_not_sum_to_one_are_refused_at_preparation() {
    let s = load(
        FIXTURE,
        &[
            "parameters.p_never = { value = 0.3 }".to_string(),
            "population.covariates.smoking.never = \"p_never\"".to_string(),
        ],
    );
    assert!(Prepared::new(&s.model, &s.model.values).is_ok());
    let slot = s.model.parameters.iter().find(|p| p.name == "p_never").unwrap().slot;
    let mut values = s.model.values.clone();
    values[slot.0 as usize] = 0.35;
    let err = Prepared::new(&s.model, &values).err().unwrap().to_string();
    assert!(err.contains("population.covariates.smoking: shares sum to 1.05"), "{err}");
}

/// A profile's age and sex are the patient's: each row drawn with probability weight/Σ weights
/// (here 1/6, 2/6, 3/6), without weights uniformly.
#[test]
fn profiles_give_each_patient_their_age_and_sex() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    let text = fixture_text(FIXTURE).replace("age = \"50 years\"\n", "");
    std::fs::write(&file, text).unwrap();
    std::fs::write(
        dir.path().join("zero_mortality.csv"),
        fixture_text("covariates/zero_mortality.csv"),
    )
    .unwrap();
    for (csv, want) in [
        (
            "age,sex,ecog,weight\n55,female,0,1\n65.5,male,1,2\n75,male,0,3\n",
            [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0],
        ),
        ("age,sex,ecog\n55,female,0\n65.5,male,1\n75,male,0\n", [1.0 / 3.0; 3]),
    ] {
        std::fs::write(dir.path().join("profiles.csv"), csv).unwrap();
        let s = vbpsim::scenario::load_with(Some(&file), &[]).unwrap();
        let prep = Prepared::new(&s.model, &s.model.values).unwrap();
        let key = SampleKey::new(43, 0);
        let lines = LineProcesses::new(FIRST_LINE);
        let ecog1 = bit(&s, "ecog", "1");
        let mut counts = [0u64; 3];
        for i in 0..N {
            let who = LineDraws::of_patient(&prep, key.patient(i), &lines).person.unwrap();
            let row = match who.age {
                55.0 => 0,
                65.5 => 1,
                75.0 => 2,
                other => panic!("an age no profile has: {other}"),
            };
            // The row's sex and ECOG come with its age.
            let female = who.sex == vbpsim::life_table::Sex::Female;
            assert_eq!(female, row == 0, "patient {i}");
            assert_eq!(who.levels & (1 << ecog1) != 0, row == 1, "patient {i}");
            counts[row] += 1;
        }
        for (row, (&got, &p)) in counts.iter().zip(&want).enumerate() {
            close(got as f64 / N as f64, p, binomial(p), &format!("{csv}: row {row}"));
        }
    }
}
