//! `trend.csv`: one row per period and group, every figure as a count and a percent, with
//! the populations the percents are shares of.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::csv::neutralise;
use crate::stats::Tally;
use crate::stats::trend::Trend;

/// The columns before the figures.
const LEADING: [&str; 19] = [
    "period",
    "group",
    "scans",
    "domains",
    "spf_known",
    "dmarc_known",
    "mx_known",
    "starttls_probed",
    "mta_sts_known",
    "mta_sts_fetched",
    "mta_sts_verified",
    "tls_rpt_known",
    "dnssec_known",
    "dane_known",
    "dane_judged",
    "dkim_known",
    "dkim_with_keys",
    "bimi_known",
    "bimi_valid",
];

/// Writes `trend` as CSV to `path` (`-`: standard output), replacing what was there whole
/// (never through a symbolic link): it is derived from the scans and can always be made
/// again.
pub(crate) fn write_csv(trend: &Trend, path: &Path) -> anyhow::Result<()> {
    if super::is_stdout(path) {
        return write(trend, std::io::stdout().lock()).context("writing to standard output");
    }
    let mut bytes = Vec::new();
    write(trend, &mut bytes).context("formatting the trend as CSV")?;
    crate::scandir::write_atomic(path, &bytes)
        .with_context(|| format!("writing {}", path.display()))
}

fn write(trend: &Trend, out: impl Write) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<String> = LEADING.iter().map(|c| (*c).to_owned()).collect();
    for (name, _) in Tally::default().adoption().figures.named() {
        header.push(name.to_owned());
        header.push(format!("{name}_pct"));
    }
    writer.write_record(&header)?;
    for row in &trend.rows {
        let s = &row.summary;
        let mut cells = vec![
            neutralise(&row.period).into_owned(),
            neutralise(&row.group).into_owned(),
            row.scans.join(" "),
            s.domains.to_string(),
            s.spf_known.to_string(),
            s.dmarc_known.to_string(),
            s.mx_known.to_string(),
            s.starttls_probed.to_string(),
            s.mta_sts_known.to_string(),
            s.mta_sts_fetched.to_string(),
            s.mta_sts_verified.to_string(),
            s.tls_rpt_known.to_string(),
            s.dnssec_known.to_string(),
            s.dane_known.to_string(),
            s.dane_judged.to_string(),
            s.dkim_known.to_string(),
            s.dkim_with_keys.to_string(),
            s.bimi_known.to_string(),
            s.bimi_valid.to_string(),
        ];
        for (_, figure) in s.figures.named() {
            cells.push(figure.count.to_string());
            // Empty, CSV's null, over an empty population.
            cells.push(
                figure
                    .percent
                    .map(|p| format!("{p:.1}"))
                    .unwrap_or_default(),
            );
        }
        writer.write_record(&cells)?;
    }
    writer.flush()?;
    Ok(())
}
