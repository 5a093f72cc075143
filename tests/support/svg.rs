//! Reading the report's SVG charts as plotters writes them (one element per line): the
//! elements of a kind with their attributes, a line series found by its legend, the
//! hover targets of its points, the interval whiskers and the y axis scale.

use std::collections::HashMap;

/// Attributes of each `<tag …>` element, in document order, with the text content that
/// follows the start tag (plotters writes one element per line).
pub fn elements(svg: &str, tag: &str) -> Vec<(usize, HashMap<String, String>, String)> {
    let open = format!("<{tag} ");
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = svg[from..].find(&open) {
        let start = from + at;
        let end = start + svg[start..].find('>').unwrap();
        let mut attrs = HashMap::new();
        let mut rest = &svg[start + open.len()..end];
        while let Some(eq) = rest.find("=\"") {
            let key = rest[..eq].trim().to_owned();
            let value_end = eq + 2 + rest[eq + 2..].find('"').unwrap();
            attrs.insert(key, rest[eq + 2..value_end].to_owned());
            rest = &rest[value_end + 1..];
        }
        let text = svg[end + 1..]
            .split("</")
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        found.push((start, attrs, text));
        from = end;
    }
    found
}

pub fn point_count(attrs: &HashMap<String, String>) -> usize {
    attrs["points"].split_whitespace().count()
}

/// The value of `attr` on the last `tag` element before the legend text `name` (skipping
/// those where it is `skip`): the legend sample drawn just before the text.
pub fn legend_sample(
    svg: &str,
    name: &str,
    tag: &str,
    attr: &str,
    skip: &str,
) -> (usize, HashMap<String, String>) {
    let texts = elements(svg, "text");
    let (text_at, _, _) = texts
        .iter()
        .find(|(_, _, t)| t == name)
        .unwrap_or_else(|| panic!("no legend text {name:?}"));
    let (at, attrs, _) = elements(svg, tag)
        .into_iter()
        .rfind(|(at, a, _)| at < text_at && a[attr] != skip)
        .unwrap_or_else(|| panic!("no {tag} before {name:?}"));
    (at, attrs)
}

/// The points of the line series named `name` in the legend, left to right: those of
/// the polylines drawn with the legend sample's stroke and width, other than the sample
/// itself (axes and ticks are 1 px polylines too, so lines are told apart by both). A
/// line is broken where a period has no share, so it may be several polylines.
pub fn line_points(svg: &str, name: &str) -> Vec<(i64, i64)> {
    let mut points: Vec<(i64, i64)> = line_segments(svg, name).into_iter().flatten().collect();
    points.sort();
    points
}

/// The polylines of the line series named `name`, each as its points.
pub fn line_segments(svg: &str, name: &str) -> Vec<Vec<(i64, i64)>> {
    let (sample_at, sample) = legend_sample(svg, name, "polyline", "stroke-width", "1");
    elements(svg, "polyline")
        .into_iter()
        .filter(|(at, a, _)| {
            *at != sample_at
                && a["stroke"] == sample["stroke"]
                && a["stroke-width"] == sample["stroke-width"]
        })
        .map(|(_, a, _)| points(&a))
        .collect()
}

/// The stroke colour of the line series named `name`, from its legend sample.
pub fn line_stroke(svg: &str, name: &str) -> String {
    legend_sample(svg, name, "polyline", "stroke-width", "1").1["stroke"].clone()
}

fn points(attrs: &HashMap<String, String>) -> Vec<(i64, i64)> {
    attrs["points"]
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}

/// The hover targets (circles with a `<title>`) whose attribute `key` is `value`: the
/// value of `data-period`, centre and title of each.
pub fn hovers(svg: &str, key: &str, value: &str) -> Vec<(String, (i64, i64), String)> {
    elements(svg, "circle")
        .into_iter()
        .filter(|(_, a, _)| a.get(key).is_some_and(|v| v == value))
        .map(|(_, a, text)| {
            let title = text
                .strip_prefix("<title>")
                .expect("a hover target without a title")
                .to_owned();
            let centre = (a["cx"].parse().unwrap(), a["cy"].parse().unwrap());
            (a["data-period"].clone(), centre, title)
        })
        .collect()
}

/// Interval whiskers drawn in `stroke` at `width`: a cap, the bar, a cap, as one
/// polyline of six points. Each as (x, y at the low end, y at the high end).
pub fn whiskers(svg: &str, stroke: &str, width: &str) -> Vec<(i64, i64, i64)> {
    elements(svg, "polyline")
        .into_iter()
        .filter(|(_, a, _)| a["stroke"] == stroke && a["stroke-width"] == width)
        .map(|(_, a, _)| points(&a))
        .filter(|p| p.len() == 6)
        .map(|p| {
            assert_eq!(p[2].0, p[3].0, "whisker not vertical: {p:?}");
            (p[2].0, p[2].1, p[3].1)
        })
        .collect()
}

/// The pixel row of a percentage, from where the y axis labels `0` and `100` sit.
pub fn y_of_percent(svg: &str) -> impl Fn(f64) -> f64 {
    let texts = elements(svg, "text");
    let row = |label: &str| -> f64 {
        let (_, a, _) = texts
            .iter()
            .find(|(_, a, t)| t == label && a["text-anchor"] == "end")
            .unwrap_or_else(|| panic!("no y axis label {label}"));
        a["y"].parse().unwrap()
    };
    let (zero, hundred) = (row("0"), row("100"));
    move |percent| zero + (hundred - zero) * percent / 100.0
}
