//! Plots: every documented plot is written as PNG and SVG, the PNG decodes to a picture that is
//! not blank and has text (dark glyph pixels in the title band), and the SVG carries its title
//! and axis labels as text. Rendering uses the embedded font, so this holds on a machine
//! without fonts.

use crate::support::{fixture, load, vbpsim};
use std::path::Path;

/// (width, height, RGBA pixels) of a PNG.
fn decode(path: &Path) -> (u32, u32, Vec<[u8; 4]>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|c| match channels {
            3 => [c[0], c[1], c[2], 255],
            4 => [c[0], c[1], c[2], c[3]],
            _ => [c[0], c[0], c[0], 255],
        })
        .collect();
    (info.width, info.height, pixels)
}

fn check_png(path: &Path, size: (u32, u32)) {
    let (w, h, pixels) = decode(path);
    assert_eq!((w, h), size, "{path:?}: size");
    let mut colours: Vec<[u8; 4]> = pixels.clone();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 8, "{path:?}: {} colours — blank?", colours.len());
    let non_white = pixels.iter().filter(|p| p[..3] != [255, 255, 255]).count();
    assert!(non_white > 2_000, "{path:?}: only {non_white} drawn pixels");
    // The title is drawn in the top 45 rows: anti-aliased glyphs leave dark pixels there.
    let title_dark = pixels[..(45 * w) as usize]
        .iter()
        .filter(|p| p[0] < 100 && p[1] < 100 && p[2] < 100)
        .count();
    assert!(title_dark > 50, "{path:?}: no title text ({title_dark} dark pixels)");
}

fn check_svg(path: &Path, words: &[&str]) {
    let svg = std::fs::read_to_string(path).unwrap();
    assert!(svg.starts_with("<svg") || svg.contains("<svg"), "{path:?}: not an SVG");
    assert!(svg.contains("</svg>"), "{path:?}: truncated");
    for w in words {
        assert!(svg.contains(w), "{path:?}: should show {w:?}");
    }
}

#[test]
fn every_plot_is_written_readable_and_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    // A PSA over the osimertinib price, so that the CEAC, CEAF, EVPI and EVPPI are drawn too.
    let text = load("plots/psa.toml", &[]).source.text;
    assert!(text.contains("dist = \"gamma\", mean = 14763"), "the edit applies");
    let file = fixture("plots/psa.toml");
    let run = vbpsim()
        .args(["run", "--quiet", "--patients", "2000", "--samples", "80", "--out"])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let plots: [(&str, &[&str]); 7] = [
        (
            "survival",
            &[
                "Survival from diagnosis",
                "months since diagnosis",
                "share of patients",
                "test_and_treat OS",
            ],
        ),
        ("ce_plane", &["Cost-effectiveness plane", "incremental QALYs", "incremental cost (USD)"]),
        (
            "contracts",
            &["Payer spend and value", "money_back_6m", "refunds", "manufacturer net revenue"],
        ),
        (
            "ceac",
            &["acceptability curves", "willingness to pay (USD per QALY)", "chemo_for_all/list"],
        ),
        // Which arm is optimal where: each set's runs named by their optimal strategy.
        ("ceaf", &["acceptability frontier", "list: chemo_for_all optimal", "discount_20: "]),
        ("evpi", &["perfect information", "EVPI (USD per patient)"]),
        // 80 samples: the EVPPI is estimated.
        ("evppi", &["partial perfect information", "EVPI (all parameters)", "osi_price"]),
    ];
    for (stem, words) in plots {
        check_png(&out.join(format!("{stem}.png")), (900, 560));
        check_svg(&out.join(format!("{stem}.svg")), words);
    }
    // The CE plane marks each arm's mean (a filled and an outlined circle each, one more in
    // the legend) and labels each threshold's line beside its legend entry.
    let plane = std::fs::read_to_string(out.join("ce_plane.svg")).unwrap();
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let arms = summary.lines().filter(|l| l.ends_with(",deterministic")).count() - 1;
    assert_eq!(plane.matches("r=\"6\"").count(), 2 * arms + 1, "{arms} arms' means");
    for l in ["100,000", "150,000"] {
        assert_eq!(plane.matches(&format!("{l} USD/QALY")).count(), 2, "{l}: legend and label");
    }
    // The budget impact: one panel per contract column of test_and_treat (five: two rows),
    // one legend beside them all, with the PSA interval of the net impact.
    check_png(&out.join("budget_impact.png"), (1200, 80 + 2 * 340));
    let budget = std::fs::read_to_string(out.join("budget_impact.svg")).unwrap();
    for entry in ["drugs", "net budget impact", "net budget impact: 95 % PSA interval"] {
        let texts = budget.lines().filter(|l| l.trim() == entry).count();
        assert_eq!(texts, 1, "{entry}: one legend");
    }
    check_svg(
        &out.join("budget_impact.svg"),
        &[
            "Budget impact of test_and_treat",
            "budget year",
            "USD million per year",
            "money_back_6m",
            "net budget impact",
        ],
    );
}

#[test]
fn the_state_occupancy_plot_of_a_pathway_scenario_is_readable_and_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let run = vbpsim()
        .args(["run", "--quiet", "--patients", "2000", "--out"])
        .arg(&out)
        .arg(fixture("pathways/illness_death.toml"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    // One panel per strategy (two: one row of three), as the budget impact's panels.
    check_png(&out.join("states.png"), (1200, 80 + 340));
    check_svg(
        &out.join("states.svg"),
        &[
            "Where patients are at the end of each year",
            "years after diagnosis",
            "share of patients",
            "reset_all",
            "forward_all",
            "second_line",
            "remission",
            "alive",
        ],
    );
}

#[test]
fn the_comparison_plot_is_readable_and_not_blank() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nsclc_egfr.toml");
    // The same at an osimertinib price of 9,000, named `cheaper`.
    let cheaper = fixture("plots/cheaper.toml");
    let out = dir.path().join("o");
    let run = vbpsim()
        .args(["compare", "--quiet", "--patients", "2000", "--out"])
        .arg(&out)
        .arg(&scenario)
        .arg(&cheaper)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    check_png(&out.join("comparison.png"), (900, 560));
    check_svg(
        &out.join("comparison.svg"),
        &[
            "Incremental NMB at 100000 USD/QALY",
            "nsclc_egfr",
            "cheaper",
            "test_and_treat/discount_20",
        ],
    );
}
