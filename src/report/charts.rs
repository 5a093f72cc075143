//! The report's two charts, drawn with plotters as SVG: adoption lines over the periods
//! and stacked DMARC policy bars. Both print in black and white: series differ by grey
//! level, marker shape and line width, bars by grey shade inside black outlines.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const WIDTH: u32 = 640;
const HEIGHT: u32 = 460;
/// Below the plot, so the legend never covers a line or a bar.
const LEGEND_HEIGHT: u32 = 80;
const FONT: &str = "sans-serif";
// plotters' SVG backend writes `font-size` as these sizes / 1.24: 18 → 14.5 px.
const TITLE_SIZE: f64 = 24.0;
const LABEL_SIZE: f64 = 18.0;
/// At most this many period labels on the x axis; more would overlap.
const MAX_X_LABELS: usize = 8;
/// The width of the plot inside the axes: the chart less the y label area and margins.
const PLOT_WIDTH: usize = WIDTH as usize - Y_LABEL_AREA as usize - 2 * MARGIN as usize;
const Y_LABEL_AREA: u32 = 72;
const MARGIN: u32 = 12;

/// How one adoption line is told apart without colour.
#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
}

/// Grey level, line width and marker per line, by the line's place in
/// [`super::LINES`]; a line keeps its look when another is left out.
const LINE_LOOKS: [(RGBColor, u32, Marker); 4] = [
    (RGBColor(0x00, 0x00, 0x00), 3, Marker::Circle),
    (RGBColor(0x44, 0x44, 0x44), 2, Marker::Triangle),
    (RGBColor(0x77, 0x77, 0x77), 3, Marker::Square),
    (RGBColor(0x99, 0x99, 0x99), 2, Marker::Cross),
];

/// One line of an adoption chart: a percentage per period, `None` where the period has
/// no domain the figure could be counted on.
pub(super) struct Line {
    pub(super) name: &'static str,
    /// Index into [`LINE_LOOKS`].
    pub(super) look: usize,
    pub(super) values: Vec<Option<f64>>,
}

/// The parts of a policy bar, bottom to top, with their fill; the same order as the
/// shares given to [`policies`].
pub(super) const BAR_PARTS: [(&str, RGBColor); 4] = [
    ("reject", RGBColor(0x33, 0x33, 0x33)),
    ("quarantine", RGBColor(0x77, 0x77, 0x77)),
    ("none", RGBColor(0xbb, 0xbb, 0xbb)),
    ("absent or no policy", RGBColor(0xee, 0xee, 0xee)),
];

/// A line chart of percentages over `periods`, one point per period with a value.
pub(super) fn adoption(title: &str, periods: &[&str], lines: &[Line]) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let (plot, legend) = root.split_vertically(HEIGHT - LEGEND_HEIGHT);
        let mut chart = percent_chart(&plot, title, periods)?;
        for line in lines {
            let (colour, width, marker) = LINE_LOOKS[line.look];
            let style = colour.stroke_width(width);
            let points: Vec<(f64, f64)> = line
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i as f64, v)))
                .collect();
            chart.draw_series(std::iter::once(PathElement::new(points.clone(), style)))?;
            draw_marks(&mut chart, marker, colour, &points)?;
        }
        draw_legend(
            &legend,
            lines.iter().map(|line| {
                let (colour, width, marker) = LINE_LOOKS[line.look];
                (line.name, move |area: &Area<'_>, (x, y): (i32, i32)| {
                    area.draw(&PathElement::new(
                        [(x, y), (x + 44, y)],
                        colour.stroke_width(width),
                    ))?;
                    legend_mark(area, marker, colour, (x + 22, y))
                })
            }),
        )?;
        root.present()?;
    }
    Ok(svg)
}

/// Stacked bars per period: the shares of [`BAR_PARTS`], in percent, or `None` for a
/// period without a bar.
pub(super) fn policies(
    title: &str,
    periods: &[&str],
    bars: &[Option<[f64; 4]>],
) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let (plot, legend) = root.split_vertically(HEIGHT - LEGEND_HEIGHT);
        let mut chart = percent_chart(&plot, title, periods)?;
        for (i, shares) in bars.iter().enumerate() {
            let Some(shares) = shares else { continue };
            let (left, right) = (i as f64 - 0.3, i as f64 + 0.3);
            let mut bottom = 0.0;
            for ((_, fill), share) in BAR_PARTS.iter().zip(shares) {
                let top = bottom + share;
                let corners = [(left, bottom), (right, top)];
                chart.draw_series([
                    Rectangle::new(corners, fill.filled()),
                    Rectangle::new(corners, BLACK.stroke_width(1)),
                ])?;
                bottom = top;
            }
        }
        draw_legend(
            &legend,
            BAR_PARTS.iter().map(|&(name, fill)| {
                (name, move |area: &Area<'_>, (x, y): (i32, i32)| {
                    let corners = [(x + 8, y - 9), (x + 36, y + 9)];
                    area.draw(&Rectangle::new(corners, fill.filled()))?;
                    area.draw(&Rectangle::new(corners, BLACK.stroke_width(1)))
                })
            }),
        )?;
        root.present()?;
    }
    Ok(svg)
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
    fn new(periods: &[&str]) -> Self {
        // About 8 px a character at the label size, plus a gap: long labels (`--by scan`
        // start times) get fewer ticks than weeks or months.
        let longest = periods.iter().map(|p| p.chars().count()).max().unwrap_or(0);
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
    periods: &[&str],
) -> anyhow::Result<PercentChart<'a>> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, TITLE_SIZE))
        .margin(MARGIN)
        .x_label_area_size(56)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(PeriodAxis::new(periods), 0.0..100.0)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, LABEL_SIZE))
        .x_desc("Period")
        .y_desc("Share of domains (%)")
        .bold_line_style(RGBColor(0xcc, 0xcc, 0xcc).stroke_width(1))
        .light_line_style(TRANSPARENT)
        .draw()?;
    Ok(chart)
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
    }
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
    let text =
        TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (name, sample)) in entries.enumerate() {
        let x = 84 + (i % 2) as i32 * 280;
        let y = 20 + (i / 2) as i32 * 32;
        sample(area, (x, y))?;
        area.draw_text(name, &text, (x + 54, y))?;
    }
    Ok(())
}
