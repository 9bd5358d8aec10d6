//! Contracts: unknown kinds and drugs, terms that are checked or could never apply, every error
//! of a contract at once, and cohort-level terms.

use super::harness::{BUNDLED, apply, edit, loc, rejected};

// ---------------------------------------------------------------------------------------------
// Contracts

#[test]
fn unknown_contract_kind_suggests_the_nearest() {
    let text = edit("kind = \"money_back\"", "kind = \"money_bak\"");
    let r = rejected(&text);
    r.diag(loc(&text, "kind = \"money_bak\"", "\"money_bak\""), "contracts[2].kind")
        .says(&["expected one of list, discount, money_back", "found \"money_bak\""])
        .helps(&["did you mean `money_back`?"]);
    r.expect_count(1);
}

#[test]
fn contract_on_an_undefined_drug_lists_the_drugs() {
    let text = edit(
        "name = \"discount_20\"\ndrug = \"osimertinib\"",
        "name = \"discount_20\"\ndrug = \"osimertinb\"",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "drug = \"osimertinb\"", "\"osimertinb\""), "contracts[1].drug")
        .says(&["undefined drug `osimertinb`"])
        .helps(&["did you mean `osimertinib`?", "pemetrexed, carboplatin, osimertinib"]);
}

#[test]
fn contract_on_a_drug_no_strategy_gives_is_refused() {
    // Point test_and_treat's rule at chemotherapy: no strategy gives first-line osimertinib.
    let text = edit(
        "rules = [{ positive = \"EGFR\", treat = \"osimertinib\" }]",
        "rules = [{ positive = \"EGFR\", treat = \"platinum_pemetrexed\" }]",
    );
    let r = rejected(&text);
    // Each contract covers first-line osimertinib only (`regimens`), which no strategy gives
    // now (chemo_for_all's osimertinib after progression is another regimen).
    let covered = "name = \"list_price\"\ndrug = \"osimertinib\"\nregimens = [\"osimertinib\"]";
    r.diag(loc(&text, covered, "[\"osimertinib\"]"), "contracts[0].regimens")
        .says(&["no strategy treats with a regimen the contract covers (`osimertinib`)"]);
    r.expect_count(5);
}

#[test]
fn a_contract_may_not_be_named_list() {
    let text = edit("name = \"list_price\"", "name = \"list\"");
    let r = rejected(&text);
    r.diag(loc(&text, "name = \"list\"\ndrug", "\"list\""), "contracts[0].name")
        .says(&["`list` names the list-price arm"]);
}

#[test]
fn contract_terms_are_checked() {
    let text = apply(
        BUNDLED,
        &[
            ("refund = 1.0\n", "refund = 1.5\n"),
            ("window = \"6 months\"", "window = 6"),
            ("max_cycles = 26\n", "max_cycles = 26\nmax_paid = \"2 years\"\n"),
        ],
    );
    let r = rejected(&text);
    r.diag(loc(&text, "refund = 1.5", "1.5"), "contracts[2].refund")
        .says(&["expected a probability between 0 and 1, found 1.5"]);
    r.diag(loc(&text, "window = 6", "6"), "contracts[2].window").says(&["found a bare number 6"]);
    r.says_somewhere(&[
        "expected exactly one of `max_paid` (a duration) or `max_cycles` (a number)",
    ]);
    r.expect_count(3);
}

/// Every problem of a contract is reported, not just the first (regression: a bad refund hid
/// errors in `admin` and `documentation_error`; an unknown kind hid everything else).
#[test]
fn all_errors_of_a_contract_are_reported() {
    let text = apply(
        BUNDLED,
        &[
            ("refund = 1.0\n", "refund = 2\n"),
            ("documentation_error = 0.05\n", "documentation_error = 1.5\n"),
            (
                "admin = { per_patient = 250, per_assessment = 50 }",
                "admin = { per_patient = -250, per_assessment = 50 }",
            ),
        ],
    );
    let r = rejected(&text);
    r.diag(loc(&text, "refund = 2", "2"), "contracts[2].refund");
    r.diag(loc(&text, "documentation_error = 1.5", "1.5"), "contracts[2].documentation_error");
    r.diag(loc(&text, "per_patient = -250", "-250"), "contracts[2].admin.per_patient");
    r.expect_count(3);

    let text = apply(
        BUNDLED,
        &[
            ("kind = \"money_back\"", "kind = \"moneyback\""),
            ("documentation_error = 0.05\n", "documentation_error = 1.5\n"),
        ],
    );
    let r = rejected(&text);
    r.diag(loc(&text, "documentation_error = 1.5", "1.5"), "contracts[2].documentation_error");
    r.expect_count(2);
}

#[test]
fn contract_terms_that_could_never_apply_are_refused() {
    let text = apply(
        BUNDLED,
        &[
            ("discount = 0.2\n", "discount = 0.2\nfrom = \"6 months\"\nuntil = \"3 months\"\n"),
            ("assess_at = \"12 weeks\"", "assess_at = \"25 years\""),
        ],
    );
    let r = rejected(&text);
    r.diag(loc(&text, "until = \"3 months\"", "\"3 months\""), "contracts[1].until")
        .says(&["expected `until` after `from`"]);
    r.diag(loc(&text, "assess_at = \"25 years\"", "\"25 years\""), "contracts[3].assess_at")
        .says(&["expected a date before the horizon (20 years)"]);
    r.expect_count(2);
}

#[test]
fn a_drug_listed_twice_in_a_regimen_is_refused() {
    let text = edit(
        "drugs = [{ name = \"osimertinib\", price = \"osi_price\", cycle = \"30 days\" }]",
        "drugs = [{ name = \"osimertinib\", price = \"osi_price\", cycle = \"30 days\" }, { name = \"osimertinib\", price = 100, cycle = \"30 days\" }]",
    );
    let r = rejected(&text);
    r.says_somewhere(&["drug `osimertinib` is listed twice in regimen `osimertinib`"]);
}

/// Cohort-level contracts: the payer's population is required, tiers must rise, the term is a
/// whole number of calendar years within bounds; every problem is reported at once.
#[test]
fn cohort_contract_terms_are_checked() {
    let cohort = "\n[[contracts]]\nname = \"cap\"\ndrug = \"osimertinib\"\nkind = \"expenditure_cap\"\ncap = 5e7\nyears = 0\n\n[[contracts]]\nname = \"pv\"\ndrug = \"osimertinib\"\nkind = \"price_volume\"\ntiers = [{ above = 2000, pay = 0.8 }, { above = 1500, pay = 1.2 }]\nyears = 60\n\n[[contracts]]\nname = \"fixed\"\ndrug = \"osimertinib\"\nkind = \"list\"\nadmin = { per_year = 100000 }\n";
    let text = format!("{BUNDLED}{cohort}");
    let r = rejected(&text);
    r.diag(loc(&text, "years = 0", "0"), "contracts[5].years")
        .says(&["expected a whole number of at least 1, found 0"]);
    r.diag(loc(&text, "years = 60", "60"), "contracts[6].years")
        .says(&["expected at most 50 calendar years, found 60"]);
    r.diag(loc(&text, "{ above = 1500", "1500"), "contracts[6].tiers[1].above")
        .says(&["expected tiers in rising order of `above`: 1500 follows 2000"]);
    r.diag(loc(&text, "pay = 1.2", "1.2"), "contracts[6].tiers[1].pay")
        .says(&["expected a probability between 0 and 1, found 1.2"]);
    r.diag(loc(&text, "admin = { per_year", "{ per_year"), "contracts[7].admin")
        .says(&["`admin.per_year` needs the payer's incident population"])
        .helps(&["population = 5000"]);
    r.expect_count(5);

    // Valid terms: each cohort contract then needs the population too.
    let fixed = cohort
        .replace("years = 0", "years = 3")
        .replace("years = 60", "years = 3")
        .replace("{ above = 1500, pay = 1.2 }", "{ above = 2500, pay = 0.6 }");
    let text = format!("{BUNDLED}{fixed}");
    let r = rejected(&text);
    for (i, kind) in [(5, "expenditure_cap"), (6, "price_volume")] {
        r.diag(
            loc(&text, &format!("kind = \"{kind}\""), &format!("\"{kind}\"")),
            &format!("contracts[{i}].kind"),
        )
        .says(&[&format!("a `{kind}` contract needs the payer's incident population")])
        .helps(&["population = 5000"]);
    }
    r.expect_count(3);

    // A population that cannot be.
    let text = format!("{BUNDLED}{fixed}")
        .replace("perspective = \"national\"", "perspective = \"national\"\npopulation = -3");
    let r = rejected(&text);
    r.diag(loc(&text, "population = -3", "-3"), "payer.population")
        .says(&["expected a whole number of at least 1, found -3"]);
    r.expect_count(1);
}
