//! Counter-based random numbers: every draw is a pure function of
//! (seed, sample, patient, process, index).
//!
//! Why not one generator per thread: results would depend on how patients are split among
//! threads. Why not one generator per patient: adding a test to one strategy would shift every
//! later draw of that patient. Here a draw is addressed, not consumed, so outputs are identical
//! for any thread count, chunking or sharding, and a new random process moves no other draw.
//! The mixing function is the SplitMix64 finaliser (Steele, Lea & Flood 2014), which passes
//! BigCrush on counter input; keys are mixed in stages so that structured keys decorrelate.
//!
//! A process can also be read as a [`Stream`] of words, which implements rand's generator
//! traits: rand's and rand_distr's samplers then draw from an addressed process (its k-th word
//! is the one behind the process's k-th uniform), reproducibly whatever else is drawn. The
//! engine's own draws stay by inversion of one uniform per event (the time-to-event and the
//! parameter distributions' quantiles): common random numbers across strategies, the Gaussian
//! copula of correlated PSA parameters and one-way ranges at the distribution's own quantiles
//! all need a draw that is a monotone function of one uniform, which rejection samplers are
//! not.

use std::convert::Infallible;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijective avalanche mix of 64 bits.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a hash of a name, so that processes are keyed by what they belong to, not by position.
pub fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix64(h)
}

/// What a random process is for. Combined with a name hash or line number into a [`Process`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum ProcessKind {
    /// Biomarker group membership (keyed by group name).
    Biomarker = 1,
    /// A test's failure draw (keyed by test name).
    TestFailure = 2,
    /// A test's reading of one biomarker (keyed by test name and biomarker name).
    TestReading = 3,
    /// Latent responsiveness (keyed by line of therapy).
    Response = 4,
    /// Time to progression (keyed by line).
    Progression = 5,
    /// Time to death before progression (keyed by line).
    DeathBeforeProgression = 6,
    /// Survival after progression (keyed by line).
    PostProgression = 7,
    /// Time to toxicity discontinuation (keyed by line).
    Discontinuation = 8,
    /// Occurrence of an adverse event (keyed by regimen name and event name).
    AdverseEvent = 9,
    /// Whether a contract records a failure (keyed by contract name).
    Documentation = 10,
    /// How a scan reads response (keyed by line).
    ResponseReading = 11,
    /// When a member leaves a commercial payer.
    Enrolment = 12,
    /// When a patient enters the population during a cohort-level contract's term.
    Arrival = 13,
    /// A parameter's PSA draw (keyed by parameter name; drawn per sample, not per patient).
    Parameter = 14,
    /// How many lesions a patient has.
    Lesions = 15,
    /// A biomarker group's status in one metastatic lesion (keyed by group; index = lesion).
    LesionStatus = 16,
    /// Which lesion a tissue biopsy samples.
    Biopsy = 17,
    /// How much ctDNA the tumour sheds: one uniform per patient, shared by plasma tests.
    Shedding = 18,
    /// Whether the patient is tested at all (shared by every strategy).
    Uptake = 19,
    /// When a responder's response becomes visible on immunotherapy.
    TimeToResponse = 20,
    /// Whether a responder shows pseudo-progression at the first scan.
    PseudoProgression = 21,
    /// Whether a patient with a detected progression is fit for a second line.
    SecondLineFit = 22,
    /// Whether molecular monitoring can see the patient's progression (keyed by line).
    Monitoring = 23,
    /// One transition of a pathway after progression (keyed by pathway, from and to state
    /// names; index = the patient's transition count in the pathway).
    PathwayTransition = 24,
    /// Age at diagnosis (`[population]`).
    Age = 25,
    /// Sex (`[population]`).
    Sex = 26,
    /// Death from general-population mortality (`[population]`).
    BackgroundDeath = 27,
    /// Whether a background candidate is kept under a floored mortality (index = candidate).
    BackgroundFloor = 28,
    /// The moment at which a patient's death hazard is checked against the general
    /// population's (keyed by strategy index; base case).
    BackgroundCheck = 29,
    /// A stated covariate's level (keyed by the covariate's name; `[population]`).
    Covariate = 30,
    /// Which profile of `population.profiles` a patient is.
    Profile = 31,
    /// A registry's data in one PSA sample (keyed by registry name and size; drawn per
    /// sample, not per patient).
    Registry = 32,
}

/// The address of one random process of a patient, precomputed when the model is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Process(u64);

impl Process {
    pub fn new(kind: ProcessKind, key: u64) -> Self {
        Process(mix64((kind as u64).wrapping_mul(GOLDEN) ^ mix64(key)))
    }

    /// A process keyed by two names (e.g. a test and the biomarker it reads).
    pub fn named2(kind: ProcessKind, a: &str, b: &str) -> Self {
        Self::new(kind, name_hash(a) ^ name_hash(b).rotate_left(17))
    }

    pub fn named(kind: ProcessKind, name: &str) -> Self {
        Self::new(kind, name_hash(name))
    }
}

/// The largest double below 1.
const ONE_BELOW: f64 = 1.0 - f64::EPSILON / 2.0;

/// The random-number key of one simulated patient in one PSA sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PatientKey(u64);

/// The key of a run (seed) and PSA sample (0 = base case).
#[derive(Clone, Copy, Debug)]
pub struct SampleKey(u64);

impl SampleKey {
    pub fn new(seed: u64, sample: u64) -> Self {
        SampleKey(mix64(mix64(seed ^ GOLDEN) ^ sample.wrapping_mul(GOLDEN).wrapping_add(1)))
    }

    #[inline]
    pub fn patient(self, patient: u64) -> PatientKey {
        PatientKey(mix64(self.0 ^ mix64(patient.wrapping_add(GOLDEN))))
    }

    /// The `index`-th uniform of a sample-level process (a parameter's draw), in (0, 1):
    /// the sample's own stream, apart from every patient's.
    pub fn uniform(self, process: Process, index: u64) -> f64 {
        self.own().uniform(process, index)
    }

    /// A sample-level process as a stream of words for rand's samplers.
    pub fn stream(self, process: Process) -> Stream {
        self.own().stream(process)
    }

    /// The sample's own key, apart from every patient's.
    fn own(self) -> PatientKey {
        PatientKey(mix64(self.0 ^ 0xA076_1D64_78BD_642F))
    }
}

impl PatientKey {
    /// The `index`-th uniform of `process` for this patient, in the open interval (0, 1):
    /// the top 53 bits, centred in their cell, so neither 0 nor 1 can occur.
    #[inline]
    pub fn uniform(self, process: Process, index: u64) -> f64 {
        let bits = self.word(process, index);
        // The top cell, (2^53 − 1/2)/2^53, rounds to 1.0: keep it just below 1.
        (((bits >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)).min(ONE_BELOW)
    }

    /// The `index`-th 64-bit word of `process` for this patient.
    #[inline]
    fn word(self, process: Process, index: u64) -> u64 {
        mix64(self.0 ^ process.0 ^ index.wrapping_mul(GOLDEN))
    }

    /// `process` as a stream of words for rand's samplers, from its word 0.
    pub fn stream(self, process: Process) -> Stream {
        Stream { key: self, process, index: 0 }
    }
}

/// One random process of a patient (or of a PSA sample) as a generator: its words 0, 1, 2, …
/// in turn, the same words its uniforms are made of (`uniform(process, k)` is word k's top 53
/// bits). It implements rand's `TryRng` (hence `Rng`), so any sampler of rand or rand_distr can
/// draw from it.
#[derive(Clone, Debug)]
pub struct Stream {
    key: PatientKey,
    process: Process,
    index: u64,
}

impl rand::TryRng for Stream {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|w| (w >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let w = self.key.word(self.process, self.index);
        self.index += 1;
        Ok(w)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let w = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniforms_are_open_and_pinned() {
        let key = SampleKey::new(2026, 0).patient(0);
        let p = Process::new(ProcessKind::Response, 0);
        let u = key.uniform(p, 0);
        assert!(u > 0.0 && u < 1.0);
        // Value-stability pin: changing this value changes every output of every scenario.
        let pinned =
            SampleKey::new(1, 0).patient(1).uniform(Process::new(ProcessKind::Response, 0), 0);
        assert_eq!(pinned.to_bits(), PINNED_BITS, "random streams changed: {pinned}");
    }

    const PINNED_BITS: u64 = 4601415169304859629;

    #[test]
    fn a_stream_gives_the_words_behind_the_uniforms() {
        use rand::Rng;
        let p = Process::named(ProcessKind::Progression, "x");
        for key in [SampleKey::new(2026, 0).patient(3), SampleKey::new(7, 1).patient(0)] {
            let mut stream = key.stream(p);
            for k in 0..100 {
                let w = stream.next_u64();
                let u = ((w >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
                assert_eq!(u.min(ONE_BELOW), key.uniform(p, k), "word {k}");
            }
        }
        let sample = SampleKey::new(2026, 4);
        let mut stream = sample.stream(p);
        let w = stream.next_u64();
        let u = ((w >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
        assert_eq!(u, sample.uniform(p, 0));
        // Bytes are the words in order, little-endian.
        let mut bytes = [0u8; 12];
        sample.stream(p).fill_bytes(&mut bytes);
        assert_eq!(bytes[..8], w.to_le_bytes());
        assert_eq!(u32::from_le_bytes(bytes[8..].try_into().unwrap()) as u64, {
            let mut s = sample.stream(p);
            s.next_u64();
            s.next_u64() & 0xFFFF_FFFF
        });
    }

    #[test]
    fn uniforms_have_the_right_moments_and_no_lag_correlation() {
        // Mean 1/2 (sd 1/sqrt(12 n)), variance 1/12, and patient-to-patient correlation ~ 0.
        let sk = SampleKey::new(7, 3);
        let p = Process::named(ProcessKind::Progression, "x");
        let n = 200_000;
        let us: Vec<f64> = (0..n).map(|i| sk.patient(i).uniform(p, 0)).collect();
        let mean = us.iter().sum::<f64>() / n as f64;
        let var = us.iter().map(|u| (u - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let se = (1.0 / 12.0 / n as f64).sqrt();
        assert!((mean - 0.5).abs() < 4.0 * se, "mean {mean}");
        assert!((var - 1.0 / 12.0).abs() < 4.0 * (1.0 / 180.0 / n as f64).sqrt(), "var {var}");
        let cov = us.windows(2).map(|w| (w[0] - 0.5) * (w[1] - 0.5)).sum::<f64>() / (n - 1) as f64;
        let corr = cov * 12.0;
        assert!(corr.abs() < 4.0 / (n as f64).sqrt(), "lag-1 correlation {corr}");
        // Two processes of the same patient are uncorrelated too.
        let q = Process::named(ProcessKind::DeathBeforeProgression, "x");
        let cov2 = (0..n)
            .map(|i| (us[i as usize] - 0.5) * (sk.patient(i).uniform(q, 0) - 0.5))
            .sum::<f64>()
            / n as f64;
        assert!((cov2 * 12.0).abs() < 4.0 / (n as f64).sqrt(), "cross-process correlation");
    }
}
