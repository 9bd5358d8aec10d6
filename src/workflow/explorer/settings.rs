//! The page's settings turned into scenario layers: each changed control's text read by its
//! type and written as TOML, one `--set` per control (the payer's two controls as one), so
//! that the scenario reader judges every value as it judges a file and names the control's
//! layer in its errors.

use super::Problem;
use crate::scenario::controls::{Control, Target, Type};

/// One layer of settings: the control it came from (`None`: the explorer's own, such as the
/// patient count) and its `KEY=VALUE` text.
#[derive(Clone, Debug, PartialEq)]
pub struct Set {
    pub key: Option<String>,
    pub text: String,
}

/// The sets for `settings` (control key → text; keys the scenario does not offer are
/// refused), in the order of the controls.
pub fn sets(
    controls: &[&Control],
    settings: &[(String, String)],
) -> Result<Vec<Set>, Vec<Problem>> {
    let mut problems = Vec::new();
    for (key, _) in settings {
        if !controls.iter().any(|c| &c.key == key) {
            problems
                .push(Problem::at(key, format!("no control `{}` in this scenario", quoted(key))));
        }
    }
    let text_of =
        |key: &str| settings.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let mut out = Vec::new();
    let mut payer_done = false;
    for c in controls {
        match c.target {
            Target::Payer => {
                if payer_done
                    || !controls
                        .iter()
                        .any(|p| p.target == Target::Payer && text_of(&p.key).is_some())
                {
                    continue;
                }
                payer_done = true;
                match payer(controls, &text_of) {
                    Ok(set) => out.push(set),
                    Err(p) => problems.extend(p),
                }
            }
            _ => {
                let Some(text) = text_of(&c.key) else { continue };
                match literal(c, text) {
                    Ok(value) => {
                        // A parameter written as a table keeps its distribution: only its
                        // base-case value moves.
                        let key = match c.target {
                            Target::Parameter { table: true } => format!("{}.value", c.key),
                            _ => c.key.clone(),
                        };
                        out.push(Set { key: Some(c.key.clone()), text: format!("{key}={value}") });
                    }
                    Err(message) => problems.push(Problem::at(&c.key, message)),
                }
            }
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// The payer's perspective and turnover as one inline table (an inline table replaces the
/// scenario's `[payer]` whole, so a national payer carries no turnover).
fn payer<'a>(
    controls: &[&Control],
    text_of: &impl Fn(&str) -> Option<&'a str>,
) -> Result<Set, Vec<Problem>> {
    let value = |key: &str| {
        let c = controls.iter().find(|c| c.key == key);
        text_of(key).map(str::to_string).or_else(|| c.map(|c| c.value.clone()))
    };
    let perspective = value("payer.perspective").unwrap_or_else(|| "national".into());
    let control = controls.iter().find(|c| c.key == "payer.perspective");
    if let Some(c) = control
        && !c.choices.contains(&perspective)
    {
        return Err(vec![Problem::at(
            &c.key,
            format!("expected one of {}, found `{}`", c.choices.join(", "), quoted(&perspective)),
        )]);
    }
    let mut table = format!("perspective = {}", string(&perspective));
    if perspective == "commercial" {
        let turnover = value("payer.turnover").unwrap_or_default();
        let n = number(&turnover).map_err(|m| vec![Problem::at("payer.turnover", m)])?;
        table.push_str(&format!(", turnover = {n}"));
    }
    for (key, value, commercial_only) in control.map(|c| &c.carried[..]).unwrap_or_default() {
        if !commercial_only || perspective == "commercial" {
            table.push_str(&format!(", {key} = {value}"));
        }
    }
    // The key of the set is the perspective's: the reader's errors about the table land there,
    // except the turnover's (located on its own value).
    Ok(Set { key: Some("payer.perspective".into()), text: format!("payer={{ {table} }}") })
}

/// A control's text as a TOML value, or what is wrong with it.
pub fn literal(c: &Control, text: &str) -> Result<String, String> {
    let text = text.trim();
    match c.kind {
        Type::Number => number(text),
        Type::Duration | Type::Text => Ok(string(text)),
        Type::Choice => {
            if c.choices.iter().any(|x| x == text) {
                Ok(string(text))
            } else {
                Err(format!("expected one of {}, found `{}`", c.choices.join(", "), quoted(text)))
            }
        }
        Type::Numbers => {
            let items: Vec<String> = text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(number)
                .collect::<Result<_, _>>()?;
            match items.len() {
                0 => Err("expected at least one number".into()),
                n if n > MOST_NUMBERS => {
                    Err(format!("expected at most {MOST_NUMBERS} numbers, found {n}"))
                }
                _ => Ok(format!("[{}]", items.join(", "))),
            }
        }
        Type::Bool => match text {
            "true" | "false" => Ok(text.to_string()),
            _ => Err(format!("expected true or false, found `{}`", quoted(text))),
        },
        Type::Toml => {
            let doc = format!("x = {text}");
            match doc.parse::<toml::Table>() {
                Ok(_) if !text.contains('\n') => Ok(text.to_string()),
                Ok(_) => Err("expected a TOML value on one line".into()),
                Err(_) => Err(format!("expected a TOML value, found `{}`", quoted(text))),
            }
        }
    }
}

/// The most numbers a list control takes (thresholds: each adds a column to every answer).
const MOST_NUMBERS: usize = 50;

/// Text quoted in a message: at most 80 characters, cut with "…".
fn quoted(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// A decimal number as a TOML number (an integer as written; else the double's shortest
/// exact text, so that the scenario reads the same double the page sent).
fn number(text: &str) -> Result<String, String> {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return Ok(i.to_string());
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(format!("{x:?}")),
        _ => Err(format!("expected a number, found `{}`", quoted(text))),
    }
}

/// A TOML basic string.
fn string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::controls::{Control, Target, Type};

    fn control(key: &str, kind: Type) -> Control {
        Control {
            key: key.into(),
            label: key.into(),
            kind,
            value: String::new(),
            range: None,
            choices: vec!["national".into(), "commercial".into()],
            help: None,
            enabled_when: None,
            target: Target::Key,
            carried: Vec::new(),
        }
    }

    #[test]
    fn numbers_are_written_as_the_double_the_page_sent() {
        let c = control("x", Type::Number);
        for (text, toml) in
            [("0.15", "0.15"), ("14763", "14763"), (" 2 ", "2"), ("1e-7", "1e-7"), ("2.50", "2.5")]
        {
            let written = literal(&c, text).unwrap();
            assert_eq!(written, toml);
            let back: toml::Table = format!("x = {written}").parse().unwrap();
            let x = back["x"].as_float().or(back["x"].as_integer().map(|i| i as f64)).unwrap();
            assert_eq!(x, text.trim().parse::<f64>().unwrap());
        }
        for bad in ["abc", "inf", "NaN", "", "1,5"] {
            assert!(literal(&c, bad).unwrap_err().contains("expected a number"), "{bad}");
        }
    }

    #[test]
    fn each_type_reads_its_text() {
        assert_eq!(literal(&control("d", Type::Duration), "9 months").unwrap(), "\"9 months\"");
        assert_eq!(literal(&control("t", Type::Text), "say \"hi\"").unwrap(), "'say \"hi\"'");
        assert_eq!(
            literal(&control("n", Type::Numbers), "100000, 150000.5").unwrap(),
            "[100000, 150000.5]"
        );
        assert!(literal(&control("n", Type::Numbers), "100000, x").is_err());
        assert_eq!(literal(&control("c", Type::Choice), "commercial").unwrap(), "\"commercial\"");
        assert!(
            literal(&control("c", Type::Choice), "private")
                .unwrap_err()
                .contains("national, commercial")
        );
        assert_eq!(literal(&control("b", Type::Bool), "true").unwrap(), "true");
        assert!(literal(&control("b", Type::Bool), "yes").is_err());
        assert_eq!(
            literal(&control("v", Type::Toml), "[{ above = 1, pay = 0.5 }]").unwrap(),
            "[{ above = 1, pay = 0.5 }]"
        );
        assert!(literal(&control("v", Type::Toml), "[1, ").is_err());
    }

    #[test]
    fn unknown_keys_are_refused_and_the_payer_is_one_table() {
        let mut perspective = control("payer.perspective", Type::Choice);
        perspective.target = Target::Payer;
        perspective.value = "national".into();
        perspective.carried = vec![
            ("population".into(), "1000".into(), false),
            ("portable".into(), "true".into(), true),
        ];
        let mut turnover = control("payer.turnover", Type::Number);
        turnover.target = Target::Payer;
        turnover.value = "0.2".into();
        let discount = control("contracts.d.discount", Type::Number);
        let controls = [&perspective, &turnover, &discount];
        let setting = |k: &str, v: &str| (k.to_string(), v.to_string());
        let problems = sets(&controls, &[setting("contracts.x.discount", "0.1")]).unwrap_err();
        assert_eq!(
            problems,
            vec![Problem::at(
                "contracts.x.discount",
                "no control `contracts.x.discount` in this scenario"
            )]
        );
        let commercial = sets(
            &controls,
            &[setting("payer.perspective", "commercial"), setting("contracts.d.discount", "0.3")],
        )
        .unwrap();
        let texts: Vec<&str> = commercial.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "payer={ perspective = \"commercial\", turnover = 0.2, population = 1000, portable = true }",
                "contracts.d.discount=0.3"
            ]
        );
        // A national payer carries neither turnover nor portability.
        let national = sets(&controls, &[setting("payer.turnover", "0.5")]).unwrap();
        assert_eq!(national[0].text, "payer={ perspective = \"national\", population = 1000 }");
        assert!(
            sets(
                &controls,
                &[setting("payer.perspective", "commercial"), setting("payer.turnover", "x")]
            )
            .is_err()
        );
    }
}
