//! Self-checks of the independent machinery (no binary needed): the quadrature, erfc and the
//! branch formulas against closed forms.

use super::expectations::{branch, branch_survival};
use super::model::{
    ADMINISTRATION, ADVERSE_EVENTS, AdverseEvent, CATEGORY_NAMES, DEATH_COST, DISCOUNT_COSTS,
    DISCOUNT_OUTCOMES, DRUG_A, Drug, HORIZON, MONTH, PD_COST, PD_UTILITY, PF_COST, PF_UTILITY,
    POST_PROGRESSION, Regimen, STATE_PD, STATE_PF, TERMINAL_CARE,
};
use super::numerics::{Dist, erfc, integrate};

#[test]
fn quadrature_and_special_functions_are_accurate() {
    // ∫_0^1 x^0.2 dx = 1/1.2 (endpoint singularity of the derivative, as in Weibull densities)
    let v = integrate(&|x| x.powf(0.2), 0.0, 1.0);
    assert!((v - 1.0 / 1.2).abs() < 1e-9, "{v}");
    // ∫_0^15 e^{-3x} dx
    let v = integrate(&|x| (-3.0 * x).exp(), 0.0, 15.0);
    assert!((v - (1.0 - (-45.0f64).exp()) / 3.0).abs() < 1e-12, "{v}");
    // Weibull and log-logistic densities integrate to 1 − S; Gompertz with negative shape to
    // 1 − S too (the cure fraction stays out).
    for d in [
        Dist::Weibull { shape: 1.2, scale: 10.0 * MONTH },
        Dist::Weibull { shape: 1.4, scale: 20.0 * MONTH },
        Dist::LogLogistic { shape: 2.5, scale: 9.0 * MONTH },
        Dist::LogNormal { meanlog: (3.0 * MONTH).ln(), sdlog: 0.8 },
        Dist::Gompertz { shape: -0.3, rate: 0.6 },
    ] {
        let v = integrate(&|t| d.dens(t), 0.0, 15.0);
        assert!((v - (1.0 - d.surv(15.0))).abs() < 1e-9, "{d:?}: {v}");
    }
    // Medians by construction.
    assert!(
        (Dist::LogNormal { meanlog: (3.0 * MONTH).ln(), sdlog: 0.8 }.surv(3.0 * MONTH) - 0.5).abs()
            < 1e-15
    );
    assert!(
        (Dist::LogLogistic { shape: 2.5, scale: 9.0 * MONTH }.surv(9.0 * MONTH) - 0.5).abs()
            < 1e-15
    );
    // Gompertz cure fraction exp(−rate/|shape|) = e^-2.
    let g = Dist::Gompertz { shape: -0.3, rate: 0.6 };
    assert!((g.surv(1e3) - (-2.0f64).exp()).abs() < 1e-12);
    // erfc reference values (Abramowitz & Stegun table 7.1 / mpmath).
    for (x, want) in [
        (0.0, 1.0),
        (0.5, 0.4795001221869535),
        (1.0, 0.15729920705028513),
        (2.0, 0.004677734981047266),
        (3.0, 2.209049699858544e-05),
        (-1.0, 1.8427007929497148),
    ] {
        assert!((erfc(x) - want).abs() < 1e-15 + 1e-13 * want, "erfc({x}) = {} vs {want}", erfc(x));
    }
}

#[test]
fn branch_formulas_match_closed_forms_for_exponentials() {
    // All clocks exponential: closed forms, horizon included. Progression λp and death before
    // progression λd from diagnosis (a = λp + λd, so P(M > t) = e^{−at}), post-progression λs
    // from progression, toxicity stop λx from treatment start t0; discount ρ.
    let (lp, ld, ls, lx) = (1.3, 0.2, 0.9, 0.5);
    let ae = AdverseEvent { probability: 0.3, cost: 700.0, qaly_loss: 0.04 };
    let reg = Regimen {
        name: "exp",
        drug: Drug {
            category: DRUG_A,
            price: 1.0,
            cycle: 0.1,
            max_cycles: Some(5),
            administration: 2.0,
        },
        response_if_m: 1.0,
        response_otherwise: 1.0,
        progression_responder: Dist::Exponential { rate: lp },
        progression_non_responder: Dist::Exponential { rate: lp },
        death_before_progression: Dist::Exponential { rate: ld },
        post_progression: Dist::Exponential { rate: ls },
        post_progression_cost: 0.0,
        discontinuation: Some(Dist::Exponential { rate: lx }),
        adverse_events: vec![ae],
    };
    // A wait long enough that P(untreated) = 1 − e^{−a·t0} ≈ 0.14 matters.
    let t0 = 0.1;
    let m = branch(&reg, true, t0);
    let h = HORIZON;
    let a = lp + ld;
    let treated = (-a * t0).exp();
    let close = |got: f64, want: f64, what: &str| {
        assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{what}: {got} vs {want}");
    };

    // Progression-free and progressed time within H, discounted at log-rate ρ (ρ = 0: plain
    // time), from diagnosis whatever t0:
    // pf = ∫_0^H e^{−(a+ρ)u} du;
    // pd = ∫_0^H λp e^{−(a+ρ)u} (1 − e^{−(λs+ρ)(H−u)})/(λs+ρ) du.
    let flows = |rho: f64| {
        let ar = a + rho;
        let lsr = ls + rho;
        let pf = (1.0 - (-ar * h).exp()) / ar;
        let pd = lp / lsr
            * ((1.0 - (-ar * h).exp()) / ar - ((-lsr * h).exp() - (-ar * h).exp()) / (ar - lsr));
        (pf, pd)
    };
    let ro = (1.0f64 + DISCOUNT_OUTCOMES).ln();
    let rc = (1.0f64 + DISCOUNT_COSTS).ln();
    let (pf_u, pd_u) = flows(0.0);
    close(m.ly_undiscounted, pf_u + pd_u, "undiscounted LYs");
    let (pf_o, pd_o) = flows(ro);
    close(m.ly, pf_o + pd_o, "LYs");
    // QALYs: adverse events at t0, only if treated.
    let want_qaly = PF_UTILITY * pf_o + PD_UTILITY * pd_o
        - treated * ae.probability * ae.qaly_loss * (-ro * t0).exp();
    close(m.qaly, want_qaly, "QALYs");
    let (pf_c, pd_c) = flows(rc);
    close(m.cost[STATE_PF], PF_COST * pf_c, "progression-free cost");
    close(m.cost[STATE_PD], PD_COST * pd_c, "progressed cost");
    // Second moment of the progression-free cost: E[I(min(M, H))²] with I(x) = (1 − e^{−ρx})/ρ
    // = ∫_0^H 2 I(m) e^{−ρm} e^{−am} dm
    // = (2/ρ)·[(1 − e^{−(a+ρ)H})/(a+ρ) − (1 − e^{−(a+2ρ)H})/(a+2ρ)].
    let want_pf_sq = 2.0 / rc
        * ((1.0 - (-(a + rc) * h).exp()) / (a + rc)
            - (1.0 - (-(a + 2.0 * rc) * h).exp()) / (a + 2.0 * rc));
    close(m.cost_sq[STATE_PF], PF_COST * PF_COST * want_pf_sq, "progression-free cost²");
    // Terminal care: E[d(D); D < H] = λd (1 − e^{−(a+ρ)H})/(a+ρ) + λs·pd(ρ) (the second term:
    // death after progression has density λs e^{−λs v}, where pd integrates e^{−λs v}).
    let want_term = DEATH_COST * (ld * (1.0 - (-(a + rc) * h).exp()) / (a + rc) + ls * pd_c);
    close(m.cost[TERMINAL_CARE], want_term, "terminal care");

    // Drug: paid at t0 + 0.1k, k < 5, if T_p, T_d > t0 + 0.1k and T_x > 0.1k:
    // Σ_k d_c(t0 + 0.1k)·e^{−a(t0 + 0.1k)}·e^{−λx·0.1k}. Administration 2 per cycle.
    let want_drug: f64 = (0..5)
        .map(|k| {
            let s = 0.1 * k as f64;
            (-rc * (t0 + s) - a * (t0 + s) - lx * s).exp()
        })
        .sum();
    close(m.cost[DRUG_A], want_drug, "drug");
    close(m.cost[ADMINISTRATION], 2.0 * want_drug, "administration");
    // Adverse event at t0 if treated: mean p·c·d_c(t0)·e^{−a t0}, second moment
    // p·(c·d_c(t0))²·e^{−a t0}.
    let ae_cost = ae.cost * (-rc * t0).exp();
    close(m.cost[ADVERSE_EVENTS], treated * ae.probability * ae_cost, "adverse events");
    close(
        m.cost_sq[ADVERSE_EVENTS],
        treated * ae.probability * ae_cost * ae_cost,
        "adverse events²",
    );

    // Without a wait everybody is treated; the trajectory is the same.
    let m0 = branch(&reg, true, 0.0);
    close(m0.cost[ADVERSE_EVENTS], ae.probability * ae.cost, "adverse events, t0 = 0");
    for k in [STATE_PF, STATE_PD, POST_PROGRESSION, TERMINAL_CARE] {
        assert_eq!(m0.cost[k], m.cost[k], "{}", CATEGORY_NAMES[k]);
        assert_eq!(m0.cost_sq[k], m.cost_sq[k], "{}²", CATEGORY_NAMES[k]);
    }
    assert_eq!((m0.ly, m0.ly_undiscounted), (m.ly, m.ly_undiscounted));

    // Survival from diagnosis: pfs(t) = e^{−at},
    // os(t) = e^{−at} + λp (e^{−λs t} − e^{−at})/(a − λs).
    for t in [0.05, 0.25, 1.0, 5.0] {
        let (os, pfs) = branch_survival(&reg, true, t);
        close(pfs, (-a * t).exp(), "pfs");
        let want_os = (-a * t).exp() + lp * ((-ls * t).exp() - (-a * t).exp()) / (a - ls);
        close(os, want_os, "os");
    }
}
