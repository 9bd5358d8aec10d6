//! CSV writing with spreadsheet-formula neutralisation.
//!
//! A cell opened in Excel, LibreOffice or Google Sheets that begins with `=`, `+`, `-` or `@`
//! (or a tab or carriage return) is read as a formula, so a hostile name could run one when an
//! analyst opens the file (OWASP "CSV injection"). Every text cell that begins so is written
//! with a leading apostrophe, which spreadsheets show as text; numbers (a leading `-` included)
//! are left as they are, so R, Python and Excel read them unchanged.

use std::borrow::Cow;
use std::io::Write;

/// The cell as written: neutralised if a spreadsheet would take it for a formula.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    let risky = match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => true,
        Some(b'-') => cell.parse::<f64>().is_err(),
        _ => false,
    };
    if risky { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// A `csv::Writer` whose every cell goes through [`neutralise`].
pub struct Writer<W: Write>(csv::Writer<W>);

impl<W: Write> Writer<W> {
    pub fn from_writer(out: W) -> Self {
        Writer(csv::Writer::from_writer(out))
    }

    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let cells: Vec<String> =
            record.into_iter().map(|c| neutralise(c.as_ref()).into_owned()).collect();
        self.0.write_record(&cells)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for hostile in ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"x\")"] {
            assert_eq!(neutralise(hostile), format!("'{hostile}"));
        }
        for kept in ["-12.5", "-1e-7", "-0", "3", "drug:osimertinib", "list", "", "a=b", "-inf"] {
            assert_eq!(neutralise(kept), kept);
        }
    }
}
