//! The floor of `floor_default` (the bundled default scenario, scenarios/nsclc_egfr.toml, at
//! its base-case values) batched: patients go through in blocks, their up-front draws and
//! first-line chemotherapy courses held as structures of arrays, and the transcendental
//! functions every patient needs (the logarithms of the exponential variates, the Weibull
//! powers of the responders, the discount factors of the course) taken in tight loops over
//! the block, where independent calls overlap and, for the logarithms and exponentials
//! (written here as branch-free versions of fdlibm's, within 1 ulp of the C library's),
//! vectorise. The rest of each patient's two trajectories (second line, test, osimertinib
//! after the wait, contracts, sums) is `floor_common::finish`, as in the plain floor: the same
//! model, the same outputs.
//!
//! ```sh
//! cargo run --release --example floor_default_soa -- [PATIENTS] [THREADS]
//! ```

#[path = "floor_common/mod.rs"]
pub mod floor_common;

use floor_common::{
    ChemoCourse, Draws, Model, Person, Sums, UNIFORMS, chemo_clock, chemo_course, factor_times,
    finish, floor_chemo, main_with,
};
use rand::Rng;
use rand::rngs::Xoshiro256PlusPlus;

/// Patients per block.
pub const BLOCK: usize = 64;

/// The up-front uniforms per patient (`floor_common::UNIFORMS`), by field.
const EGFR: usize = 0;
const RESPONSE: usize = 1;
const PROGRESSION: usize = 2;
const DEATH: usize = 3;
const AFTER: usize = 4;
const COMPARATOR_EVENTS: usize = 5;
const SECOND_LINE: usize = 6;
const TEST: usize = 7;
const TESTED_EVENTS: usize = 8;

/// A block's up-front draws and first-line courses, field by field.
struct Block {
    /// The generator's words (as a double's bits), then the uniforms: [field][patient].
    u: [[f64; BLOCK]; UNIFORMS],
    /// The chemotherapy's progression clock E/HR, then its progression time.
    clock: [f64; BLOCK],
    responder: [bool; BLOCK],
    /// The block's responders (their Weibull powers are taken together).
    responders: [u16; BLOCK],
    course: [ChemoCourse; BLOCK],
    /// −ρ·min(P, D, H) and −ρ·min(D, H), then their exponentials.
    pf: [f64; BLOCK],
    end: [f64; BLOCK],
    people: Vec<Person>,
}

impl Block {
    fn new() -> Box<Block> {
        Box::new(Block {
            u: [[0.0; BLOCK]; UNIFORMS],
            clock: [0.0; BLOCK],
            responder: [false; BLOCK],
            responders: [0; BLOCK],
            course: [ChemoCourse::default(); BLOCK],
            pf: [0.0; BLOCK],
            end: [0.0; BLOCK],
            people: (0..BLOCK).map(|_| Person::default()).collect(),
        })
    }

    /// Simulate the block's first `n` patients into `sums`.
    fn run(&mut self, m: &Model, n: usize, rng: &mut Xoshiro256PlusPlus, sums: &mut Sums) {
        // (Known to be within the arrays, so that indexing them needs no checks.)
        let n = n.min(BLOCK);
        // The generator's words (it is sequential), then the uniforms, field by field: the
        // top 52 bits as the mantissa of a double in [1, 2), less 1, centred in their cell
        // (one bit fewer than `floor_common::uniform`'s 53: bit operations vectorise where an
        // integer conversion does not).
        for field in &mut self.u {
            for u in &mut field[..n] {
                *u = f64::from_bits(rng.next_u64());
            }
        }
        for field in &mut self.u {
            for u in &mut field[..n] {
                let mantissa = u.to_bits() >> 12;
                *u = f64::from_bits(ONE | mantissa) - (1.0 - HALF_CELL);
            }
        }
        // The exponential variates −ln U, each field in one loop.
        for field in [PROGRESSION, DEATH, AFTER] {
            for u in &mut self.u[field][..n] {
                *u = -ln(*u);
            }
        }
        // The progression clocks; non-responders' times at once, responders' powers together.
        let mut responders = 0;
        for i in 0..n {
            let (responder, h) = chemo_clock(m, &self.draws(m, i));
            self.responder[i] = responder;
            self.clock[i] = h / m.chemo.non_responder_rate;
            if responder {
                self.clock[i] = h;
                self.responders[responders] = i as u16;
                responders += 1;
            }
        }
        let (scale, power) = (m.chemo.responder_scale, 1.0 / floor_common::WEIBULL_SHAPE);
        for &i in &self.responders[..responders] {
            let h = &mut self.clock[i as usize];
            *h = scale * h.powf(power);
        }
        // The courses, the floor (which never binds on chemotherapy within the horizon: a
        // comparison each), and the times of the discount factors.
        for i in 0..n {
            let d = self.draws(m, i);
            let mut c = chemo_course(m, &d, self.responder[i], self.clock[i]);
            let person = &mut self.people[i];
            person.reset();
            floor_chemo(m, (person, rng), &mut c);
            let (pf_end, end) = factor_times(m, &c);
            self.pf[i] = -m.rho * pf_end;
            self.end[i] = -m.rho * end;
            self.course[i] = c;
        }
        // The discount factors d(min(P, D, H)) and d(min(D, H)).
        for x in [&mut self.pf, &mut self.end] {
            for y in &mut x[..n] {
                *y = exp(*y);
            }
        }
        // Each patient's two trajectories.
        for i in 0..n {
            let d = self.draws(m, i);
            let mut c = self.course[i];
            (c.pf_factor, c.death_factor) = (self.pf[i], self.end[i]);
            finish(m, (&mut self.people[i], rng), &d, &c, sums);
        }
    }

    /// Patient `i`'s up-front draws.
    #[inline]
    fn draws(&self, m: &Model, i: usize) -> Draws {
        let u = |field: usize| self.u[field][i];
        Draws {
            egfr: u(EGFR) < m.prevalence,
            response: u(RESPONSE),
            progression: u(PROGRESSION),
            death: u(DEATH),
            after: u(AFTER),
            comparator_events: u(COMPARATOR_EVENTS),
            second_line: u(SECOND_LINE),
            test: u(TEST),
            tested_events: u(TESTED_EVENTS),
        }
    }
}

const TWO_52: f64 = 4_503_599_627_370_496.0;
/// The bits of 1.0, and half a cell of 52 bits, 2^−53.
const ONE: u64 = 0x3ff0_0000_0000_0000;
const HALF_CELL: f64 = 1.0 / 9_007_199_254_740_992.0;

/// ln x for a positive normal double: fdlibm's e_log.c (Sun Microsystems, 1993) without its
/// branches, so that a loop of it vectorises: x = 2^k·m with m in [√½, √2) found from the
/// bits, ln m = f − f²/2 + s·(f²/2 + R(s²)) with f = m − 1, s = f/(2 + f) and fdlibm's
/// polynomial R, k·ln 2 in two parts. Within 1 ulp of the C library's `log` (tested).
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const LG: [f64; 7] = [
        6.666_666_666_666_735e-1,
        3.999_999_999_940_942e-1,
        2.857_142_874_366_239e-1,
        2.222_219_843_214_978_4e-1,
        1.818_357_216_161_805e-1,
        1.531_383_769_920_937_3e-1,
        1.479_819_860_511_658_6e-1,
    ];
    const SQRT_HALF: u64 = 0x3fe6_a09e_667f_3bcd;
    // The bits shifted so that the exponent field counts from √½: k + 1023, and m's bits.
    let shifted = x.to_bits().wrapping_add(0x3ff0_0000_0000_0000 - SQRT_HALF);
    let biased = shifted >> 52;
    let m = f64::from_bits((shifted & 0x000f_ffff_ffff_ffff) + SQRT_HALF);
    let k = f64::from_bits(TWO_52.to_bits() | biased) - (TWO_52 + 1023.0);
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG[1] + w * (LG[3] + w * LG[5]));
    let t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])));
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - (s * (hfsq + (t1 + t2)) + k * LN2_LO)) - f)
}

/// e^x for |x| < 700: fdlibm's e_exp.c without its branches: x = n·ln 2 + r with n the
/// nearest whole number to x/ln 2 (|r| ≤ ln 2/2), e^r by fdlibm's rational approximation,
/// 2^n added to the exponent's bits. Within 1 ulp of the C library's `exp` (tested).
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const INV_LN2: f64 = std::f64::consts::LOG2_E;
    const P: [f64; 5] = [
        1.666_666_666_666_660_2e-1,
        -2.777_777_777_701_559_3e-3,
        6.613_756_321_437_934e-5,
        -1.653_390_220_546_525_2e-6,
        4.138_136_797_057_238_5e-8,
    ];
    // Adding 1.5·2^52 rounds to a whole number, held in the low bits.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let t = x * INV_LN2 + ROUND;
    let n = t.to_bits().wrapping_sub(ROUND.to_bits());
    let nf = t - ROUND;
    let hi = x - nf * LN2_HI;
    let lo = nf * LN2_LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P[0] + rr * (P[1] + rr * (P[2] + rr * (P[3] + rr * P[4]))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    f64::from_bits(y.to_bits().wrapping_add(n << 52))
}

/// Simulate `patients` patients in blocks, on the thread's generator.
pub fn simulate(m: &Model, patients: u64, rng: &mut Xoshiro256PlusPlus) -> Sums {
    let mut sums = Sums::default();
    let mut block = Block::new();
    let mut left = patients;
    while left > 0 {
        let n = left.min(BLOCK as u64) as usize;
        block.run(m, n, rng, &mut sums);
        left -= n as u64;
    }
    sums.patients = patients;
    sums
}

fn main() -> std::process::ExitCode {
    main_with("floor_soa", simulate)
}
