//! Reading the report's SVG charts as plotters writes them (one element per line): the
//! elements of a kind with their attributes, and a line series found by its legend.

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

/// The points of the line series named `name` in the legend: the one polyline drawn
/// with the legend sample's stroke and width, other than the sample itself (axes and
/// ticks are 1 px polylines too, so lines are told apart by both).
pub fn line_points(svg: &str, name: &str) -> Vec<(i64, i64)> {
    let (sample_at, sample) = legend_sample(svg, name, "polyline", "stroke-width", "1");
    let data: Vec<_> = elements(svg, "polyline")
        .into_iter()
        .filter(|(at, a, _)| {
            *at != sample_at
                && a["stroke"] == sample["stroke"]
                && a["stroke-width"] == sample["stroke-width"]
        })
        .collect();
    assert_eq!(data.len(), 1, "lines drawn for {name:?}");
    data[0].1["points"]
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').expect("x,y");
            (x.parse().expect("x"), y.parse().expect("y"))
        })
        .collect()
}
