//! report.html: a self-contained page (inline SVG plots, no fetches), with the scenario, the
//! decision, the key tables, every plot and the manifest — and, in headless Chromium, a page
//! that renders without console messages and is not blank.

use crate::cdp::chromium;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run_default(dir: &Path) -> PathBuf {
    let out = dir.join("o");
    let status = assert_cmd::Command::cargo_bin("vbpsim")
        .unwrap()
        .args(["run", "--quiet", "--patients", "3000", "--samples", "12", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    out
}

#[test]
fn the_report_is_one_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_default(dir.path());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for h in [
        "Scenario",
        "Decision",
        "Warnings",
        // With a PSA the probabilistic results lead, the deterministic base case after them.
        "Summary: means over the 12 PSA samples (probabilistic; per patient, discounted)",
        "Deterministic base case (every parameter at its point value)",
        "Contracts: means over the PSA samples (probabilistic, per patient)",
        "Efficiency frontier (means over the PSA samples)",
        "Budget impact (totals, undiscounted)",
        "Plots",
        "Appendix: run manifest (run.json, without timings and thread count)",
    ] {
        // Each section, listed at the top and linked.
        let at = html.find(&format!("\">{h}</h2>")).unwrap_or_else(|| panic!("section {h}"));
        let id = html[..at].rsplit("<h2 id=\"").next().unwrap();
        assert!(html.contains(&format!("<li><a href=\"#{id}\">{h}</a></li>")), "{h} listed");
    }
    let probabilistic = html.find(">Summary: means over the 12 PSA samples").unwrap();
    assert!(probabilistic < html.find(">Deterministic base case").unwrap());
    let contracts = html.find(">Contracts: means over the PSA samples").unwrap();
    assert!(contracts < html.find(">Contracts in the deterministic base case</h3>").unwrap());
    // Tables for readers: headers in words with units, money grouped by thousands.
    assert!(html.contains("<th>Incremental NMB at 100,000 (USD)</th>"));
    assert!(html.contains("<th>ICER (USD/QALY)</th>"));
    let cells = html.split("<td class=\"n\">").skip(1).map(|c| c.split('<').next().unwrap());
    let grouped = cells
        .filter(|c| {
            let digits = c.trim_start_matches('-');
            let groups: Vec<&str> = digits.split(',').collect();
            groups.len() > 1
                && (1..=3).contains(&groups[0].len())
                && groups[1..].iter().all(|g| g.len() == 3)
                && digits.chars().all(|ch| ch.is_ascii_digit() || ch == ',')
        })
        .count();
    assert!(grouped > 20, "cells grouped by thousands: {grouped}");
    // Every plot of the folder, inline.
    let plots: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".svg"))
        .collect();
    assert!(plots.len() >= 7, "{plots:?}");
    assert_eq!(html.matches("<svg").count(), plots.len());
    for p in &plots {
        let stem = p.trim_end_matches(".svg");
        assert!(html.contains(&format!("<figure id=\"{stem}\">")), "{stem} inline");
    }
    // The decision, in words, with the PSA probability (tests/suite/headline.rs checks its
    // numbers against the CSVs).
    assert!(html.contains(
        "<p>Decision (means over 12 PSA samples; prices and rankings from the base case):</p>"
    ));
    assert!(html.contains("of the samples)</li>"));
    assert!(
        html.contains("adopting test_and_treat at list price changes the payer&#39;s spend")
            || html.contains("adopting test_and_treat at list price changes the payer's spend")
    );
    // Nothing is fetched: no scripts, stylesheets or addresses (the SVG namespaces are names,
    // not fetches).
    for banned in ["<script", "<link", "src=", "<iframe", "url("] {
        assert!(!html.contains(banned), "report.html contains {banned}");
    }
    let addresses = html.matches("http").count();
    let namespaces = html.matches("http://www.w3.org/").count();
    assert_eq!(addresses, namespaces, "only XML namespaces mention http");
    // The manifest, escaped.
    assert!(html.contains("&quot;tool&quot;: &quot;vbpsim&quot;"));
}

/// Needs Chromium: `.ci/run` installs Debian's package and sets VBPSIM_REQUIRE_BROWSER=1, so
/// CI always runs it; elsewhere, without a browser, it says so and checks nothing.
#[test]
fn the_report_renders_in_headless_chromium() {
    let required = std::env::var("VBPSIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let Some(browser) = chromium() else {
        assert!(!required, "VBPSIM_REQUIRE_BROWSER=1 but no chromium: `apt-get install chromium`");
        eprintln!(
            "no chromium on the PATH: report.html was not rendered (`apt-get install chromium`)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = run_default(dir.path());
    let page = out.join("report.html").canonicalize().unwrap();
    let shot = dir.path().join("shot.png");
    let result = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
        .args(["--window-size=1200,9000", "--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&result.stderr);
    assert!(result.status.success(), "chromium failed: {log}");
    // The page runs no script, so any console line is an error (a failed load, a parse error).
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let pixels = bytes.len() / channels;
    let dark = bytes.chunks(channels).filter(|p| p[..3].iter().all(|&c| c < 128)).count();
    let coloured = bytes
        .chunks(channels)
        .filter(|p| p[..3].iter().max().unwrap() - p[..3].iter().min().unwrap() > 60)
        .count();
    assert!(dark > pixels / 500, "text is drawn: {dark} dark pixels of {pixels}");
    assert!(coloured > pixels / 1000, "plots are drawn: {coloured} coloured pixels");
}

/// At the width of a printed A4 page (718 CSS pixels inside the default margins) nothing in
/// report.html is wider than the page: no table, figure or paragraph sticks out, so a printout
/// loses no column (threshold prices were cut off). Measured in headless Chromium by a script
/// added to a copy of the page (the report itself runs none), read back from the DOM dump.
/// Melanoma, the bundled scenario with the most arms, contracts and subgroup rows; the
/// compare, sensitivity and design folders' pages; and a run with registries (evsi.csv and
/// renegotiation.csv's tables).
#[test]
fn the_report_fits_a_printed_page() {
    let required = std::env::var("VBPSIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let Some(browser) = chromium() else {
        assert!(!required, "VBPSIM_REQUIRE_BROWSER=1 but no chromium: `apt-get install chromium`");
        eprintln!("no chromium on the PATH: report.html's width was not measured");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let folders: [(&str, &[&str]); 6] = [
        ("default", &["run", "--samples", "12"]),
        ("melanoma", &["run", "scenarios/melanoma_braf.toml", "--samples", "12"]),
        ("compare", &["compare", "scenarios/nsclc_egfr.toml", "scenarios/nsclc_alk.toml"]),
        ("sensitivity", &["sensitivity"]),
        ("design", &["design", "scenarios/design/nsclc_egfr_terms.toml", "--samples", "12"]),
        ("registry", &["run", "scenarios/design/nsclc_egfr_registry.toml", "--samples", "90"]),
    ];
    for (name, args) in folders {
        let out = dir.path().join(name);
        let mut cmd = assert_cmd::Command::cargo_bin("vbpsim").unwrap();
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args(args);
        let status =
            cmd.args(["--quiet", "--patients", "2000", "--out"]).arg(&out).output().unwrap();
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        // Every element whose right edge passes the page's, by tag and text.
        let probe = "<script>\
            const w = document.documentElement.clientWidth;\
            const wide = [...document.body.querySelectorAll('*')]\
              .filter(e => e.getBoundingClientRect().right > w + 0.5)\
              .map(e => e.tagName + ':' + (e.textContent || '').slice(0, 40));\
            document.body.setAttribute('data-page', w);\
            document.body.setAttribute('data-wide', JSON.stringify(wide));\
            </script></body>";
        let probed = dir.path().join(format!("{name}-probed.html"));
        std::fs::write(&probed, html.replace("</body>", probe)).unwrap();
        let result = Command::new(&browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
            .args(["--window-size=718,1000", "--dump-dom"])
            .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
            .arg(format!("file://{}", probed.display()))
            .output()
            .unwrap();
        let dom = String::from_utf8_lossy(&result.stdout);
        assert!(dom.contains("data-page=\"718\""), "{name}: the probe did not run");
        let wide = dom.split("data-wide=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
        assert_eq!(wide, "[]", "{name}: wider than the page: {wide}");
    }
}
