//! The report's two charts, drawn with plotters as SVG: adoption lines over the periods
//! and stacked DMARC policy bars, each share with its 95% Wilson interval and its
//! population. Colours are Okabe–Ito's, told apart with the common colour-vision
//! deficiencies; the charts still print in black and white: lines differ by marker
//! shape, bar parts by lightness and a hatch.

use std::fmt::Write as _;
use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::html::escape;
use super::wilson;
use crate::stats::Figure;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 500;
/// The legend is below the plot, so that it never covers a line or a bar: its entries in
/// two columns, rows this far apart, then the note.
const LEGEND_ROW: i32 = 32;
const FONT: &str = "sans-serif";
// plotters' SVG backend writes `font-size` as these sizes / 1.24: 18 → 14.5 px.
const TITLE_SIZE: f64 = 24.0;
const LABEL_SIZE: f64 = 18.0;
/// The population under each period label: 16 → 12.9 px.
const SMALL_SIZE: f64 = 16.0;
/// At most this many period labels on the x axis; more would overlap.
const MAX_X_LABELS: usize = 8;
/// The width of the plot inside the axes: the chart less the y label area and margins.
const PLOT_WIDTH: usize = WIDTH as usize - Y_LABEL_AREA as usize - 2 * MARGIN as usize;
const Y_LABEL_AREA: u32 = 72;
const X_LABEL_AREA: u32 = 64;
const MARGIN: u32 = 12;

/// The Okabe–Ito palette (Okabe and Ito 2008, "Color Universal Design"): colours that
/// stay distinct for deuteranopes, protanopes and tritanopes.
mod okabe_ito {
    use plotters::style::RGBColor;

    pub(super) const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    pub(super) const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    pub(super) const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    pub(super) const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    pub(super) const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    pub(super) const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    pub(super) const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    pub(super) const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
}

/// How one adoption line is told apart without colour.
#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
    /// A hollow circle.
    Ring,
    Diamond,
    /// A hollow square.
    Frame,
    /// A triangle pointing down.
    Wedge,
}

/// Colour and marker per line, by the line's place in [`super::LINES`]; a line keeps
/// its look when another is left out. The colours' lightness (CIE L* 0, 46, 71, 58, 54,
/// 61, 70, 89) differs too, but the marker is what tells lines apart in grey.
const LINE_LOOKS: [(RGBColor, Marker); 8] = [
    (okabe_ito::BLACK, Marker::Circle),
    (okabe_ito::BLUE, Marker::Triangle),
    (okabe_ito::ORANGE, Marker::Square),
    (okabe_ito::GREEN, Marker::Cross),
    (okabe_ito::VERMILLION, Marker::Ring),
    (okabe_ito::REDDISH_PURPLE, Marker::Diamond),
    (okabe_ito::SKY_BLUE, Marker::Frame),
    (okabe_ito::YELLOW, Marker::Wedge),
];
const LINE_WIDTH: u32 = 3;
/// The legend's sample whisker, which stands for every line's.
const NEUTRAL: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Interval whiskers are thinner than the lines, so a whisker is never taken for one.
const WHISKER_WIDTH: u32 = 2;
/// Half the width of a whisker's end caps, in pixels.
const CAP: i32 = 5;
/// The lines' points (and whiskers) at one period are spread apart by this share of
/// the space between periods, at most [`MAX_DODGE_PX`], so whiskers do not overlap;
/// the eight lines then span 70% of it, and a point is nearer its own period's label
/// than the next one's.
const DODGE: f64 = 0.1;
const MAX_DODGE_PX: f64 = 14.0;

/// One line of an adoption chart: its figure per period, `None` where the group has no
/// row. Shares of an empty population (0 of 0) are not drawn.
pub(super) struct Line {
    pub(super) name: &'static str,
    /// Index into [`LINE_LOOKS`].
    pub(super) look: usize,
    pub(super) values: Vec<Option<Figure>>,
}

/// How a bar part is filled: a colour, or white with grey hatching.
#[derive(Clone, Copy)]
pub(super) enum Fill {
    Solid(RGBColor),
    Hatched,
}

/// The parts of a policy bar, bottom to top, with their fill; the same order as the
/// counts of a [`Bar`]. Neighbours differ in grey too: black, L* 46, L* 71, hatched.
pub(super) const BAR_PARTS: [(&str, Fill); 4] = [
    ("reject", Fill::Solid(okabe_ito::BLACK)),
    ("quarantine", Fill::Solid(okabe_ito::BLUE)),
    ("none", Fill::Solid(okabe_ito::ORANGE)),
    ("absent or no policy", Fill::Hatched),
];
const HATCH: RGBColor = RGBColor(0x88, 0x88, 0x88);
/// Pixels between hatch lines.
const HATCH_STEP: i32 = 8;

/// One period's policy bar: the count of each of [`BAR_PARTS`] out of `of` domains
/// whose DMARC is known (more than 0).
pub(super) struct Bar {
    pub(super) counts: [u64; 4],
    pub(super) of: u64,
}

/// The boundaries inside a bar, by the parts below them: each is a share of its own
/// (reject; reject or quarantine; any policy), and gets its interval unless it is the
/// boundary below it again.
const BOUNDARIES: [&str; 3] = ["reject", "reject or quarantine", "any policy"];

/// Something to hover over in the chart: an invisible shape with a `<title>`, which
/// browsers show as a tooltip (plotters draws no titles, so these are added after).
struct Hover {
    shape: String,
    title: String,
}

/// A line chart of percentages over `periods`: a marker per share with its 95% Wilson
/// interval, lines joining the shares of consecutive periods, and under each period
/// label the population the shares are of.
pub(super) fn adoption(title: &str, periods: &[&str], lines: &[Line]) -> anyhow::Result<String> {
    let mut svg = String::new();
    let mut hovers = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let rows = legend_rows(lines.len());
        let (plot, legend) = root.split_vertically(HEIGHT - legend_height(rows));
        let dodge = DODGE.min(MAX_DODGE_PX * periods.len() as f64 / PLOT_WIDTH as f64);
        // The population under each period: one n, or the range where lines differ.
        let populations: Vec<Option<String>> = (0..periods.len())
            .map(|i| {
                let ns = lines
                    .iter()
                    .filter_map(|line| line.values[i].filter(|f| f.of > 0).map(|f| f.of));
                let (min, max) = (ns.clone().min()?, ns.max()?);
                Some(match min == max {
                    true => format!("n={min}"),
                    false => format!("n={min}–{max}"),
                })
            })
            .collect();
        let axis = PeriodAxis::new(periods, &populations);
        let mut chart = percent_chart(&plot, title, axis)?;
        for line in lines {
            let (colour, marker) = LINE_LOOKS[line.look];
            // Centred on the period: the looks spread evenly either side.
            let middle = (LINE_LOOKS.len() - 1) as f64 / 2.0;
            let shift = (line.look as f64 - middle) * dodge;
            let drawn: Vec<(usize, Figure)> = line
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, f)| f.filter(|f| f.of > 0).map(|f| (i, f)))
                .collect();
            let point = |(i, f): &(usize, Figure)| (*i as f64 + shift, percent(f.count, f.of));
            // A period without a share breaks the line: nothing was seen there.
            for run in drawn.chunk_by(|a, b| b.0 == a.0 + 1) {
                if run.len() > 1 {
                    let points: Vec<(f64, f64)> = run.iter().map(point).collect();
                    chart.draw_series(std::iter::once(PathElement::new(
                        points,
                        colour.stroke_width(LINE_WIDTH),
                    )))?;
                }
            }
            for share in &drawn {
                let (x, y) = point(share);
                let (low, high) = interval(share.1.count, share.1.of);
                let (px, low) = chart.backend_coord(&(x, low));
                let high = chart.backend_coord(&(x, high)).1;
                plot.draw(&whisker(px, low, high, colour.stroke_width(WHISKER_WIDTH)))?;
                let (cx, cy) = chart.backend_coord(&(x, y));
                hovers.push(Hover {
                    shape: format!(
                        "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"10\" data-series=\"{}\" \
                         data-period=\"{}\"",
                        escape(line.name),
                        escape(periods[share.0]),
                    ),
                    title: format!(
                        "{}, {}: {} of {} {} ({}); 95% Wilson interval {}",
                        line.name,
                        periods[share.0],
                        share.1.count,
                        share.1.of,
                        population(share.1.denominator),
                        share.1.share(),
                        interval_text(share.1.count, share.1.of),
                    ),
                });
            }
            let points: Vec<(f64, f64)> = drawn.iter().map(point).collect();
            draw_marks(&mut chart, marker, colour, &points)?;
        }
        draw_populations(&plot, &chart, &populations)?;
        draw_legend(
            &legend,
            lines.iter().map(|line| {
                let (colour, marker) = LINE_LOOKS[line.look];
                (line.name, move |area: &Area<'_>, (x, y): (i32, i32)| {
                    area.draw(&PathElement::new(
                        [(x, y), (x + 44, y)],
                        colour.stroke_width(LINE_WIDTH),
                    ))?;
                    legend_mark(area, marker, colour, (x + 22, y))
                })
            }),
        )?;
        legend_note(&legend, rows, |area, (x, y)| {
            area.draw(&whisker(
                x + 22,
                y + 10,
                y - 10,
                NEUTRAL.stroke_width(WHISKER_WIDTH),
            ))
        })?;
        root.present()?;
    }
    Ok(with_hovers(svg, &hovers))
}

/// Stacked bars per period, a part per [`BAR_PARTS`], or no bar where DMARC is known
/// for no domain; whiskers give the 95% Wilson interval of each boundary's share.
pub(super) fn policies(
    title: &str,
    periods: &[&str],
    bars: &[Option<Bar>],
) -> anyhow::Result<String> {
    let mut svg = String::new();
    let mut hovers = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let rows = legend_rows(BAR_PARTS.len());
        let (plot, legend) = root.split_vertically(HEIGHT - legend_height(rows));
        let populations: Vec<Option<String>> = bars
            .iter()
            .map(|bar| bar.as_ref().map(|bar| format!("n={}", bar.of)))
            .collect();
        let axis = PeriodAxis::new(periods, &populations);
        let chart = percent_chart(&plot, title, axis)?;
        for (i, bar) in bars.iter().enumerate() {
            let Some(bar) = bar else { continue };
            let (left, right) = (i as f64 - 0.3, i as f64 + 0.3);
            let mut below = 0;
            for ((name, fill), count) in BAR_PARTS.iter().zip(bar.counts) {
                let (bottom, top) = (percent(below, bar.of), percent(below + count, bar.of));
                let (x0, y0) = chart.backend_coord(&(left, top));
                let (x1, y1) = chart.backend_coord(&(right, bottom));
                draw_part(&plot, *fill, (x0, y0), (x1, y1))?;
                hovers.push(Hover {
                    shape: format!(
                        "<rect x=\"{x0}\" y=\"{y0}\" width=\"{}\" height=\"{}\"",
                        x1 - x0,
                        y1 - y0,
                    ),
                    title: format!(
                        "{name}, {}: {count} of {} domains whose DMARC is known ({:.1}%)",
                        periods[i],
                        bar.of,
                        percent(count, bar.of),
                    ),
                });
                below += count;
            }
            let mut below = 0;
            for (j, (count, boundary)) in bar.counts.iter().zip(BOUNDARIES).enumerate() {
                // Over an empty part a boundary is the one below it again: one whisker.
                if j > 0 && *count == 0 {
                    continue;
                }
                below += count;
                let x = i as f64 + 0.15 * (j as f64 - 1.0);
                let (low, high) = interval(below, bar.of);
                let (px, low) = chart.backend_coord(&(x, low));
                let high = chart.backend_coord(&(x, high)).1;
                // A white whisker in a black halo shows on every fill, black included.
                plot.draw(&whisker(
                    px,
                    low,
                    high,
                    BLACK.stroke_width(WHISKER_WIDTH + 2),
                ))?;
                plot.draw(&whisker(px, low, high, WHITE.stroke_width(WHISKER_WIDTH)))?;
                let (cx, cy) = chart.backend_coord(&(x, percent(below, bar.of)));
                hovers.push(Hover {
                    shape: format!(
                        "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"8\" data-boundary=\"{boundary}\" \
                         data-period=\"{}\"",
                        escape(periods[i]),
                    ),
                    title: format!(
                        "{boundary}, {}: {below} of {} ({:.1}%); 95% Wilson interval {}",
                        periods[i],
                        bar.of,
                        percent(below, bar.of),
                        interval_text(below, bar.of),
                    ),
                });
            }
        }
        draw_populations(&plot, &chart, &populations)?;
        draw_legend(
            &legend,
            BAR_PARTS.iter().map(|&(name, fill)| {
                (name, move |area: &Area<'_>, (x, y): (i32, i32)| {
                    draw_part(area, fill, (x + 8, y - 9), (x + 36, y + 9))
                })
            }),
        )?;
        legend_note(&legend, rows, |area, (x, y)| {
            area.draw(&whisker(
                x + 22,
                y + 10,
                y - 10,
                BLACK.stroke_width(WHISKER_WIDTH + 2),
            ))?;
            area.draw(&whisker(
                x + 22,
                y + 10,
                y - 10,
                WHITE.stroke_width(WHISKER_WIDTH),
            ))
        })?;
        root.present()?;
    }
    Ok(with_hovers(svg, &hovers))
}

/// `count` of `of` in percent (`of` > 0).
fn percent(count: u64, of: u64) -> f64 {
    100.0 * count as f64 / of as f64
}

/// The 95% Wilson interval of `count` of `of` (`of` > 0), in percent.
fn interval(count: u64, of: u64) -> (f64, f64) {
    let (low, high) = wilson::interval(count, of).unwrap_or((0.0, 1.0));
    (100.0 * low, 100.0 * high)
}

fn interval_text(count: u64, of: u64) -> String {
    let (low, high) = interval(count, of);
    format!("{low:.1}–{high:.1}%")
}

/// The population of a figure in words, by its name in `summary.json`.
fn population(denominator: &str) -> &str {
    match denominator {
        "spf_known" => "domains whose SPF is known",
        "dmarc_known" => "domains whose DMARC is known",
        "mx_known" => "domains whose MX is known",
        "starttls_probed" => "domains with an MX host that answered EHLO",
        "mta_sts_known" => "domains whose MTA-STS is known",
        "mta_sts_fetched" => "domains with a fetched MTA-STS policy",
        "mta_sts_verified" => "domains whose MTA-STS holding was verified",
        "tls_rpt_known" => "domains whose TLS-RPT is known",
        "dnssec_known" => "domains whose DNSSEC state is known",
        "dane_known" => "domains whose DANE was checked",
        "dane_judged" => "domains with DANE published and every host judged",
        "dkim_known" => "domains whose DKIM is known, among the selectors asked",
        "dkim_with_keys" => "domains with a DKIM key found",
        "bimi_known" => "domains whose BIMI is known",
        "bimi_valid" => "domains with a valid BIMI record",
        _ => "domains",
    }
}

/// A vertical error bar with end caps, from pixel row `low` to `high` at column `x`.
fn whisker(x: i32, low: i32, high: i32, style: ShapeStyle) -> PathElement<(i32, i32)> {
    PathElement::new(
        [
            (x - CAP, low),
            (x + CAP, low),
            (x, low),
            (x, high),
            (x - CAP, high),
            (x + CAP, high),
        ],
        style,
    )
}

/// A bar part between two pixel corners (upper left, lower right), outlined in black.
fn draw_part(
    area: &Area<'_>,
    fill: Fill,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
) -> DrawResult {
    match fill {
        Fill::Solid(colour) => area.draw(&Rectangle::new([(x0, y0), (x1, y1)], colour.filled()))?,
        Fill::Hatched => {
            area.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.filled()))?;
            // Lines up and to the right, x = c + (y1 − y), cut to the rectangle.
            let height = y1 - y0;
            let mut c = x0 - height + HATCH_STEP / 2;
            while c < x1 {
                let (from, to) = (c.max(x0), (c + height).min(x1));
                if from < to {
                    area.draw(&PathElement::new(
                        [(from, y1 - (from - c)), (to, y1 - (to - c))],
                        HATCH.stroke_width(1),
                    ))?;
                }
                c += HATCH_STEP;
            }
        }
    }
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], BLACK.stroke_width(1)))
}

/// The SVG with the hover shapes added last, so they lie above everything drawn.
fn with_hovers(mut svg: String, hovers: &[Hover]) -> String {
    let Some(end) = svg.rfind("</svg>") else {
        return svg;
    };
    let mut shapes = String::from("<g class=\"hover\" fill=\"transparent\">\n");
    for hover in hovers {
        let _ = writeln!(
            shapes,
            "{}><title>{}</title></{}>",
            hover.shape,
            escape(&hover.title),
            if hover.shape.starts_with("<rect") {
                "rect"
            } else {
                "circle"
            },
        );
    }
    shapes.push_str("</g>\n");
    svg.insert_str(end, &shapes);
    svg
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), DrawingAreaErrorKind<std::io::Error>>;
type PercentChart<'a> = ChartContext<
    'a,
    SVGBackend<'a>,
    Cartesian2d<PeriodAxis, plotters::coord::types::RangedCoordf64>,
>;

/// The x axis: period `i` sits at x = `i`, with half a step of room at both ends and a
/// labelled tick per period, or per k-th period when there are many.
struct PeriodAxis {
    labels: Vec<String>,
    ticks: Vec<f64>,
}

impl PeriodAxis {
    /// Ticks for `periods`, far enough apart for their labels and the `below` each.
    fn new(periods: &[&str], below: &[Option<String>]) -> Self {
        // About 8 px a character at the label size, plus a gap: long labels (`--by scan`
        // start times) get fewer ticks than weeks or months.
        let longest = periods
            .iter()
            .map(|p| p.chars().count())
            .chain(below.iter().flatten().map(|b| b.chars().count()))
            .max()
            .unwrap_or(0);
        let fit = (PLOT_WIDTH / (8 * longest + 16)).clamp(1, MAX_X_LABELS);
        let step = periods.len().div_ceil(fit).max(1);
        Self {
            labels: periods.iter().map(|p| (*p).to_owned()).collect(),
            ticks: (0..periods.len()).step_by(step).map(|i| i as f64).collect(),
        }
    }
}

impl Ranged for PeriodAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (low, high): (i32, i32)) -> i32 {
        let n = self.labels.len().max(1) as f64;
        low + ((value + 0.5) / n * f64::from(high - low)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Only the bold points carry labels; light ones would be unlabelled grid lines.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.labels.len().max(1) as f64 - 0.5
    }
}

impl ValueFormatter<f64> for PeriodAxis {
    fn format_ext(&self, value: &f64) -> String {
        let i = value.round();
        if i >= 0.0 {
            self.labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }
}

/// Axes for 0–100 % over the periods, which sit at x = 0, 1, 2, …
fn percent_chart<'a>(
    area: &Area<'a>,
    title: &str,
    axis: PeriodAxis,
) -> anyhow::Result<PercentChart<'a>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, TITLE_SIZE))
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(axis, 0.0..100.0)?;
    // No x axis title: the periods name themselves, and its row holds the populations.
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, LABEL_SIZE))
        .y_desc("Share of domains (%)")
        .bold_line_style(RGBColor(0xcc, 0xcc, 0xcc).stroke_width(1))
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(chart)
}

/// Under each labelled period, the population its shares are of.
fn draw_populations(
    area: &Area<'_>,
    chart: &PercentChart<'_>,
    labels: &[Option<String>],
) -> anyhow::Result<()> {
    let text =
        TextStyle::from((FONT, SMALL_SIZE).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
    let ticks = chart.as_coord_spec().x_spec().ticks.clone();
    for tick in ticks {
        let Some(Some(label)) = labels.get(tick as usize) else {
            continue;
        };
        let (x, y) = chart.backend_coord(&(tick, 0.0));
        area.draw_text(label, &text, (x, y + 44))?;
    }
    Ok(())
}

/// Markers about 12 px across at `points` of the chart.
fn draw_marks(
    chart: &mut PercentChart<'_>,
    marker: Marker,
    colour: RGBColor,
    points: &[(f64, f64)],
) -> DrawResult {
    // One draw per shape: plotters' boxed elements would need a 'static backend.
    let at = |p: &(f64, f64)| EmptyElement::at(*p);
    match marker {
        Marker::Circle => chart.draw_series(
            points
                .iter()
                .map(|p| at(p) + Circle::new((0, 0), 6, colour.filled())),
        ),
        Marker::Triangle => chart.draw_series(
            points
                .iter()
                .map(|p| at(p) + TriangleMarker::new((0, 0), 8, colour.filled())),
        ),
        Marker::Square => chart.draw_series(
            points
                .iter()
                .map(|p| at(p) + Rectangle::new([(-5, -5), (5, 5)], colour.filled())),
        ),
        Marker::Cross => chart.draw_series(
            points
                .iter()
                .map(|p| at(p) + Cross::new((0, 0), 6, colour.stroke_width(3))),
        ),
        Marker::Ring => chart.draw_series(
            points
                .iter()
                .map(|p| at(p) + Circle::new((0, 0), 5, colour.stroke_width(3))),
        ),
        Marker::Diamond => chart.draw_series(
            points
                .iter()
                .map(|p| at(p) + Polygon::new(DIAMOND, colour.filled())),
        ),
        Marker::Frame => chart.draw_series(
            points
                .iter()
                .map(|p| at(p) + Rectangle::new([(-5, -5), (5, 5)], colour.stroke_width(3))),
        ),
        Marker::Wedge => chart.draw_series(
            points
                .iter()
                .map(|p| at(p) + Polygon::new(WEDGE, colour.filled())),
        ),
    }
    .map(|_| ())
}

/// The same marker as [`draw_marks`], at a pixel of the legend.
fn legend_mark(area: &Area<'_>, marker: Marker, colour: RGBColor, at: (i32, i32)) -> DrawResult {
    let at = EmptyElement::at(at);
    match marker {
        Marker::Circle => area.draw(&(at + Circle::new((0, 0), 6, colour.filled()))),
        Marker::Triangle => area.draw(&(at + TriangleMarker::new((0, 0), 8, colour.filled()))),
        Marker::Square => area.draw(&(at + Rectangle::new([(-5, -5), (5, 5)], colour.filled()))),
        Marker::Cross => area.draw(&(at + Cross::new((0, 0), 6, colour.stroke_width(3)))),
        Marker::Ring => area.draw(&(at + Circle::new((0, 0), 5, colour.stroke_width(3)))),
        Marker::Diamond => area.draw(&(at + Polygon::new(DIAMOND, colour.filled()))),
        Marker::Frame => {
            area.draw(&(at + Rectangle::new([(-5, -5), (5, 5)], colour.stroke_width(3))))
        }
        Marker::Wedge => area.draw(&(at + Polygon::new(WEDGE, colour.filled()))),
    }
}

/// The diamond marker's corners, about as wide as the other markers.
const DIAMOND: [(i32, i32); 4] = [(0, -7), (7, 0), (0, 7), (-7, 0)];
/// The wedge marker's corners: the triangle marker upside down.
const WEDGE: [(i32, i32); 3] = [(-7, -5), (7, -5), (0, 7)];

/// Rows of a legend of `entries` in two columns; at least two, so that the plots of
/// charts with few entries stay the same height.
fn legend_rows(entries: usize) -> i32 {
    (entries.div_ceil(2) as i32).max(2)
}

/// The legend's height for `rows` of entries: they, the note under them, a margin.
fn legend_height(rows: i32) -> u32 {
    (48 + (rows * LEGEND_ROW)) as u32
}

/// Legend entries in two columns: each draws its sample at the given point, then its
/// name follows to the right.
fn draw_legend<F>(
    area: &Area<'_>,
    entries: impl Iterator<Item = (&'static str, F)>,
) -> anyhow::Result<()>
where
    F: Fn(&Area<'_>, (i32, i32)) -> DrawResult,
{
    for (i, (name, sample)) in entries.enumerate() {
        let x = LEGEND_LEFT + (i % 2) as i32 * 280;
        let y = 20 + (i / 2) as i32 * LEGEND_ROW;
        sample(area, (x, y))?;
        area.draw_text(name, &legend_text(), (x + 54, y))?;
    }
    Ok(())
}

const LEGEND_LEFT: i32 = 84;

fn legend_text() -> TextStyle<'static> {
    TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center))
}

/// The legend's last row: what the whiskers and the `n` under the periods are.
fn legend_note(
    area: &Area<'_>,
    rows: i32,
    sample: impl Fn(&Area<'_>, (i32, i32)) -> DrawResult,
) -> anyhow::Result<()> {
    let (x, y) = (LEGEND_LEFT, 20 + rows * LEGEND_ROW);
    sample(area, (x, y))?;
    area.draw_text(
        "95% Wilson interval; n: domains counted",
        &legend_text(),
        (x + 54, y),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every figure's population is named in words: the arm that catches the rest says
    /// only "domains", which is right for `domains` alone.
    #[test]
    fn every_population_has_words() {
        let adoption = crate::stats::Tally::default().adoption();
        for (name, figure) in adoption.figures.named() {
            if figure.denominator != "domains" {
                assert_ne!(population(figure.denominator), "domains", "{name}");
            }
        }
    }
}
