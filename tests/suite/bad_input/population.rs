//! `[population]` and its life table: a table that cannot be read is an error naming the CSV,
//! its line and column, what was expected and what was found; ages outside the table, a
//! maximum age inside it and unknown names are errors at the scenario's field.

use super::harness::{BUNDLED, bundled_without_population, loc, rejected, rejected_beside};

/// The bundled scenario with its `[population]` table replaced by `table` (at the end).
fn with_population(table: &str) -> String {
    format!("{}\n[population]\n{table}\n", bundled_without_population())
}

const TABLE_KEYS: &str = "share_female = 0.4\nbackground_mortality = \"added\"\n";

/// Each fault of a life table CSV: the message names the CSV, its line and column.
#[test]
fn a_life_table_that_cannot_be_read_is_located_in_its_csv() {
    let cases: [(&str, &str); 6] = [
        // A gap: age 2 missing.
        (
            "age,male_qx,female_qx\n0,0.01,0.01\n1,0.01,0.01\n3,0.01,0.01\n",
            "line 4, column 1: expected age 2 (consecutive ages), found 3",
        ),
        // Ages going down.
        (
            "age,male_qx,female_qx\n5,0.01,0.01\n4,0.01,0.01\n",
            "line 3, column 1: expected age 6 (consecutive ages), found 4",
        ),
        // q_x above 1.
        (
            "age,male_qx,female_qx\n0,0.01,1.5\n",
            "line 2, column 3: expected q_x in [0, 1], found 1.5",
        ),
        // q_x below 0.
        (
            "age,male_qx,female_qx\n0,-0.1,0.5\n",
            "line 2, column 2: expected q_x in [0, 1], found -0.1",
        ),
        // A cell that is not a number.
        (
            "age,male_qx,female_qx\n0,0.01,n/a\n",
            "line 2, column 3: expected a probability q_x, found `n/a`",
        ),
        // A missing column.
        (
            "age,male_qx\n0,0.01\n",
            "line 1: expected the header `age,male_qx,female_qx`, found `age,male_qx`",
        ),
    ];
    for (csv, says) in cases {
        let text = with_population(&format!(
            "age = \"0 years\"\nlife_table = \"table.csv\"\n{TABLE_KEYS}"
        ));
        let r = rejected_beside(text.as_bytes(), &[("table.csv", csv)]);
        let table = std::path::Path::new(&r.path).with_file_name("table.csv");
        r.diag(loc(&text, "life_table = \"table.csv\"", "\"table.csv\""), "population.life_table")
            .says(&[&format!("life table {}, {says}", table.display())]);
        r.expect_count(1);
    }
    // A table that is not there.
    let text =
        with_population(&format!("age = \"60 years\"\nlife_table = \"gone.csv\"\n{TABLE_KEYS}"));
    let r = rejected(&text);
    r.diag(loc(&text, "life_table = \"gone.csv\"", "\"gone.csv\""), "population.life_table")
        .says(&["cannot read life table", "gone.csv"])
        .helps(&["relative to the folder of the scenario"]);
    r.expect_count(1);
}

/// Ages the table cannot cover, a maximum age inside the table, an unknown bundled table, an
/// unknown mode and an unknown key: every error at once, each at its field.
#[test]
fn population_fields_are_checked_against_the_table() {
    let text = with_population(
        "age = { mean = \"62 years\", sd = \"9 years\", min = \"40 years\", max = \"112 years\" }\n\
         share_female = 1.2\nlife_table = \"us_2020\"\nbackground_mortality = \"floored\"\nsex = \"any\"\n\
         utility_norms = \"eq5d\"\n",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "max = \"112 years\"", "\"112 years\""), "population.age.max")
        .says(&["below its maximum age, 110 years, found 112 years"]);
    r.diag(loc(&text, "share_female = 1.2", "1.2"), "population.share_female")
        .says(&["expected a probability between 0 and 1, found 1.2"]);
    r.diag(loc(&text, "= \"floored\"", "\"floored\""), "population.background_mortality")
        .says(&["expected \"added\" or \"floor\", found \"floored\""]);
    r.diag(loc(&text, "sex = \"any\"", "sex"), "population.sex").says(&["unknown key `sex`"]);
    r.diag(loc(&text, "utility_norms = \"eq5d\"", "\"eq5d\""), "population.utility_norms")
        .says(&["expected \"ara_brazier_2010\" or a .csv path, found \"eq5d\""]);
    r.expect_count(5);

    let text = with_population(&format!(
        "age = \"101 years\"\nlife_table = \"us_2019\"\nmax_age = \"100 years\"\n{TABLE_KEYS}"
    ));
    let r = rejected(&text);
    r.diag(loc(&text, "life_table = \"us_2019\"", "\"us_2019\""), "population.life_table")
        .says(&["expected a bundled life table or a .csv path, found \"us_2019\""])
        .helps(&["bundled tables: us_2020"]);
    r.expect_count(1);

    let text = with_population(&format!(
        "age = \"60 years\"\nlife_table = \"us_2020\"\nmax_age = \"100 years\"\n{TABLE_KEYS}"
    ));
    let r = rejected(&text);
    r.diag(loc(&text, "max_age = \"100 years\"", "\"100 years\""), "population.max_age")
        .says(&["expected a maximum age above the life table's last year of age (it ends at 101 years), found 100 years"]);
    r.expect_count(1);

    // A parameter whose draws leave the table.
    let text = with_population(&format!(
        "age = \"pop_age\"\nlife_table = \"us_2020\"\n{TABLE_KEYS}"
    ))
    .replacen(
        "[parameters]\n",
        "[parameters]\npop_age = { dist = \"gamma\", mean = \"105 years\", se = \"5 years\" }\n",
        1,
    );
    let r = rejected(&text);
    r.diag(loc(&text, "age = \"pop_age\"", "\"pop_age\""), "population.age")
        .says(&["found parameter `pop_age` (gamma), whose draws and range span [0, inf] years"])
        .helps(&["bound the parameter"]);
    r.expect_count(1);

    // Below a table's first age.
    let csv = "age,male_qx,female_qx\n40,0.01,0.01\n41,0.02,0.02\n";
    let text =
        with_population(&format!("age = \"35 years\"\nlife_table = \"table.csv\"\n{TABLE_KEYS}"));
    let r = rejected_beside(text.as_bytes(), &[("table.csv", csv)]);
    r.diag(loc(&text, "age = \"35 years\"", "\"35 years\""), "population.age")
        .says(&["expected an age from the life table's first age, 40 years", "found 35 years"]);
    r.expect_count(1);
}

/// A norms CSV that cannot be read is located in it; a table that starts after the youngest
/// patient's age is refused at its field.
#[test]
fn utility_norms_that_cannot_be_used_are_located() {
    let cases: [(&str, &str); 3] = [
        ("age,male,female\n60,0.8,1.2\n", "line 2, column 3: expected a norm in (0, 1], found 1.2"),
        (
            "age,male,female\n60,0.8,0.8\n62,0.8,0.8\n",
            "line 3, column 1: expected age 61 (consecutive ages), found 62",
        ),
        ("age,male\n60,0.8\n", "line 1: expected the header `age,male,female`, found `age,male`"),
    ];
    for (csv, says) in cases {
        let text = with_population(&format!(
            "age = \"60 years\"\nlife_table = \"us_2020\"\nutility_norms = \"norms.csv\"\n{TABLE_KEYS}"
        ));
        let r = rejected_beside(text.as_bytes(), &[("norms.csv", csv)]);
        let norms = std::path::Path::new(&r.path).with_file_name("norms.csv");
        r.diag(
            loc(&text, "utility_norms = \"norms.csv\"", "\"norms.csv\""),
            "population.utility_norms",
        )
        .says(&[&format!("utility norms {}, {says}", norms.display())]);
        r.expect_count(1);
    }
    let text = with_population(&format!(
        "age = \"55 years\"\nlife_table = \"us_2020\"\nutility_norms = \"norms.csv\"\n{TABLE_KEYS}"
    ));
    let r = rejected_beside(text.as_bytes(), &[("norms.csv", "age,male,female\n60,0.8,0.8\n")]);
    r.diag(
        loc(&text, "utility_norms = \"norms.csv\"", "\"norms.csv\""),
        "population.utility_norms",
    )
    .says(&["expected norms from the youngest patient's age, 55 years, found a table from age 60"]);
    r.expect_count(1);
}

/// The bundled scenario with a `[population]` (ECOG from `profiles.csv` when `profiles` is
/// given) and an edit of the osimertinib regimen's first line.
fn with_covariates(population: &str, regimen: &str) -> String {
    let text = super::harness::apply(
        &bundled_without_population(),
        &[("name = \"osimertinib\"\n", &format!("name = \"osimertinib\"\n{regimen}\n"))],
    );
    format!(
        "{text}\n[population]\n{population}\nlife_table = \"us_2020\"\nbackground_mortality = \"added\"\n"
    )
}

/// A profiles CSV that cannot be read is located in it: a cell that is not a number, a sex
/// that is not one, a row with a missing field, a weight of 0; a profile file without an
/// `age` column needs `age`; `age` given twice is refused.
#[test]
fn profiles_that_cannot_be_read_are_located_in_their_csv() {
    let cases: [(&str, &str); 5] = [
        (
            "age,sex,ecog\n60,female,0\nsixty,male,1\n",
            "line 3, column 1: expected an age in years, found \"sixty\"",
        ),
        (
            "age,sex,ecog\n60,woman,0\n",
            "line 2, column 2: expected \"female\" or \"male\", found \"woman\"",
        ),
        (
            "age,sex,ecog\n60,female,0\n61,male\n",
            "line 3: expected 3 fields, as in the header, found 2",
        ),
        (
            "age,sex,ecog,weight\n60,female,0,0\n",
            "line 2, column 4: expected a weight above 0, found 0",
        ),
        ("age,sex,ecog\n60,female,\n", "line 2, column 3: expected a level, found an empty cell"),
    ];
    for (csv, says) in cases {
        let text = with_covariates("profiles = \"profiles.csv\"", "");
        let r = rejected_beside(text.as_bytes(), &[("profiles.csv", csv)]);
        let file = std::path::Path::new(&r.path).with_file_name("profiles.csv");
        r.diag(
            loc(&text, "profiles = \"profiles.csv\"", "\"profiles.csv\""),
            "population.profiles",
        )
        .says(&[&format!("profiles {}, {says}", file.display())]);
        r.expect_count(1);
    }
    // Without an `age` column the population needs `age`; with a `sex` column, `share_female`
    // is one too many.
    let text = with_covariates("profiles = \"profiles.csv\"\nshare_female = 0.4", "");
    let r = rejected_beside(text.as_bytes(), &[("profiles.csv", "sex,ecog\nfemale,0\nmale,1\n")]);
    r.diag(loc(&text, "[population]", "[population]"), "population.age")
        .says(&["missing field `age`", "(or an `age` column in the profiles)"]);
    r.diag(loc(&text, "share_female = 0.4", "0.4"), "population.share_female")
        .says(&["expected `share_female` once, found it here and as the profiles' `sex` column"]);
    r.expect_count(2);
}

/// Effects that name no covariate or no level of one, shares that do not sum to 1, a
/// covariate with a biomarker's name: errors at their fields, with the names there are.
#[test]
fn effects_name_covariates_and_levels_that_exist() {
    let population = "age = \"60 years\"\nshare_female = 0.4\ncovariates = { ecog = { \"0\" = 0.4, \"1\" = 0.6 } }";
    let text = with_covariates(
        population,
        "prognosis = { ecgo = { \"1\" = { progression = 1.2 } }, ecog = { \"2\" = { progression = 1.3 } } }\nresponse_odds_ratio = { EGFR = 2.0, sex = { female = 0.9 } }",
    );
    let r = rejected(&text);
    r.diag(loc(&text, "ecgo = {", "ecgo"), "regimens[1].prognosis.ecgo")
        .says(&["undefined biomarker or covariate `ecgo`"])
        .helps(&["did you mean `ecog`?"]);
    r.diag(loc(&text, "\"2\" = { progression", "\"2\""), "regimens[1].prognosis.ecog.2")
        .says(&["expected a level of `ecog`, found `2`"])
        .helps(&["levels: 0, 1"]);
    r.diag(loc(&text, "EGFR = 2.0", "EGFR"), "regimens[1].response_odds_ratio.EGFR")
        .says(&["undefined covariate `EGFR`"]);
    r.expect_count(3);

    let text = with_covariates(
        "age = \"60 years\"\nshare_female = 0.4\ncovariates = { ecog = { \"0\" = 0.4, \"1\" = 0.5 }, EGFR = { yes = 0.5, no = 0.5 } }",
        "",
    );
    let r = rejected(&text);
    r.diag(
        loc(&text, "ecog = { \"0\" = 0.4, \"1\" = 0.5 }", "{ \"0\" = 0.4, \"1\" = 0.5 }"),
        "population.covariates.ecog",
    )
    .says(&["expected shares that sum to 1, found a sum of 0.9"]);
    r.diag(loc(&text, "EGFR = { yes", "EGFR"), "population.covariates.EGFR")
        .says(&["expected a covariate name that no biomarker has, found `EGFR`"]);
    r.expect_count(2);
}

/// `[subgroups]` names what exists, each once; `age` needs a population and its cuts, which
/// increase: every error at its entry.
#[test]
fn subgroups_name_characteristics_that_exist() {
    // Without a population: biomarkers only.
    let text = format!(
        "{}\n[subgroups]\nby = [\"EGRF\", \"sex\", \"EGFR\", \"EGFR\"]\n",
        bundled_without_population()
    );
    let r = rejected(&text);
    r.diag(loc(&text, "by = [\"EGRF\"", "\"EGRF\""), "subgroups.by[0]")
        .says(&["undefined subgroup `EGRF`"])
        .helps(&["did you mean `EGFR`?", "sex, covariates and age need a [population]"]);
    r.diag(loc(&text, "\"sex\", \"EGFR\"", "\"sex\""), "subgroups.by[1]")
        .says(&["undefined subgroup `sex`"]);
    r.diag(loc(&text, "\"EGFR\", \"EGFR\"]", "\"EGFR\"]"), "subgroups.by[3]")
        .says(&["expected each subgroup once, found `EGFR` again"]);
    r.expect_count(3);

    let population = "age = \"60 years\"\nshare_female = 0.4\ncovariates = { ecog = { \"0\" = 0.4, \"1\" = 0.6 } }";
    let text = format!(
        "{}\n[subgroups]\nby = [\"ecog\", \"age\"]\nage_cuts = [\"65 years\", \"50 years\"]\n",
        with_covariates(population, "")
    );
    let r = rejected(&text);
    r.diag(loc(&text, "\"65 years\", \"50 years\"", "\"50 years\""), "subgroups.age_cuts[1]")
        .says(&["expected ages that increase, found 50 years after 65 years"]);
    r.expect_count(1);

    let text = format!("{}\n[subgroups]\nby = [\"age\"]\n", with_covariates(population, ""));
    let r = rejected(&text);
    r.diag(loc(&text, "by = [\"age\"]", "\"age\""), "subgroups.by[0]")
        .says(&["expected `age_cuts` with the `age` subgroup, found none"]);
    r.expect_count(1);
}

/// A `[population]` that cannot be read is the one error: effects and subgroups naming its
/// covariates are not reported again as undefined. With a population, no biomarker may be
/// named `sex` or `age`; `by` needs a subgroup.
#[test]
fn an_unreadable_population_is_one_error() {
    let population = "age = \"60 years\"\nshare_female = 0.4\ncovariates = { ecog = { \"0\" = 0.4, \"1\" = 0.7 } }";
    let text = format!(
        "{}\n[subgroups]\nby = [\"ecog\", \"sex\"]\n",
        with_covariates(population, "prognosis = { ecog = { \"1\" = { progression = 1.3 } } }")
    );
    let r = rejected(&text);
    r.diag(
        loc(&text, "ecog = { \"0\" = 0.4, \"1\" = 0.7 }", "{ \"0\" = 0.4, \"1\" = 0.7 }"),
        "population.covariates.ecog",
    )
    .says(&["expected shares that sum to 1, found a sum of 1.1"]);
    r.expect_count(1);

    let population = "age = \"60 years\"\nshare_female = 0.4";
    let text = with_covariates(population, "").replacen("name = \"EGFR\"", "name = \"sex\"", 1);
    let text =
        text.replace("positive = \"EGFR\"", "positive = \"sex\"").replace("\"EGFR\"]", "\"sex\"]");
    let r = rejected(&text);
    r.diag(loc(&text, "[[biomarkers]]\nname = \"sex\"", "[[biomarkers]]"), "biomarkers[0]")
        .says(&["expected a biomarker name other than `sex` with a [population], found `sex`"]);

    let text = format!("{BUNDLED}\n[subgroups]\nby = []\n");
    let r = rejected(&text);
    r.diag(loc(&text, "by = []", "[]"), "subgroups.by")
        .says(&["expected one subgroup or more, found none"]);
    r.expect_count(1);
}

/// The tables by subgroup list the whole population as `all`: no subgroup may be named so.
#[test]
fn a_subgroup_named_all_is_refused() {
    let text = with_population(
        "age = \"60 years\"\nshare_female = 0.5\nlife_table = \"us_2020\"\ncovariates = { all = { a = 0.5, b = 0.5 } }\n\n[subgroups]\nby = [\"all\"]",
    );
    rejected(&text)
        .diag(loc(&text, "by = [\"all\"]", "\"all\""), "subgroups.by[0]")
        .says(&["expected a subgroup other than `all`, found `all`"])
        .helps(&["the tables by subgroup name the whole population `all`"]);
}
