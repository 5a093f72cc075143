//! Pure reading of one DMARC policy record: splitting the text into tags, reading it
//! under RFC 7489 and RFC 9989 ([`super::reading`]), and finding what is wrong or notable
//! in it. No I/O.

use super::details;
use super::reading::{Checked, Known, read};
use super::record::{Finding, FindingKind, Malformed, Record, ReportUri, Spec, Validity, WSP};
use super::uri::uri_elements;

/// `dmarc-version` as the first tag (RFC 7489 §6.3, RFC 9989 §4.7): name `v` in either
/// case, white space around "=", the value exactly `DMARC1`.
///
/// White space before the `v` makes it no DMARC record: RFC 7489 §6.6.3 and RFC 9989
/// §4.10 discard "records that do not start with a "v" tag", and the grammar has no
/// leading WSP.
pub(crate) fn is_dmarc_record(text: &str) -> bool {
    is_version(text.split(';').next().unwrap_or_default())
}

fn is_version(first_segment: &str) -> bool {
    !first_segment.starts_with(WSP)
        && split_tag(first_segment.trim_end_matches(WSP))
            .is_ok_and(|(name, value)| name.eq_ignore_ascii_case("v") && value == "DMARC1")
}

/// Reads a record under both specifications. Texts that are not DMARC records (see
/// [`is_dmarc_record`]) get [`Validity::NotDmarcRecord`] and one finding saying why.
pub(crate) fn parse(text: &str) -> Record {
    let mut segments = text.split(';');
    let first = segments.next().unwrap_or_default();
    if !is_version(first) {
        return Record::ignored(
            Validity::NotDmarcRecord,
            Vec::new(),
            vec![not_dmarc(text, first)],
        );
    }
    // (segment index, finding), so that findings come out in record order.
    let mut findings = Vec::new();
    let mut tags = vec![Checked::new(0, "v", "DMARC1")];
    for (pos, segment) in segments.enumerate() {
        let pos = pos + 1;
        let segment = segment.trim_matches(WSP);
        // `;;` and a trailing `;` leave empty segments, which the grammar allows.
        if segment.is_empty() {
            continue;
        }
        match split_tag(segment) {
            Ok((name, value)) => tags.push(Checked::new(pos, name, value)),
            Err(why) => findings.push((pos, malformed(segment, why))),
        }
    }
    let names = tags
        .iter()
        .map(|t| (t.name.clone(), t.value.to_owned()))
        .collect();
    for (i, tag) in tags.iter().enumerate() {
        if tags[..i].iter().any(|earlier| earlier.name == tag.name) {
            findings.push((tag.pos, duplicate(tag)));
        }
    }
    if findings
        .iter()
        .any(|(_, f)| f.kind == FindingKind::DuplicateTag)
    {
        return Record::ignored(Validity::InvalidDuplicateTag, names, in_order(findings));
    }
    tag_findings(&tags, &mut findings);
    let findings = in_order(findings);
    let noted = |spec: Spec| findings.iter().any(|f| f.spec.covers(spec));
    Record {
        tags: names,
        rfc7489: read(&tags, Spec::Rfc7489, noted(Spec::Rfc7489)),
        rfc9989: read(&tags, Spec::Rfc9989, noted(Spec::Rfc9989)),
        findings,
    }
}

fn in_order(mut findings: Vec<(usize, Finding)>) -> Vec<Finding> {
    findings.sort_by_key(|(pos, _)| *pos);
    findings.into_iter().map(|(_, f)| f).collect()
}

/// `dmarc-tag = 1*ALPHA equals 1*dmarc-value` → (name, value) of a segment that has no
/// surrounding white space. The value's characters are left to each tag's own rule.
fn split_tag(segment: &str) -> Result<(&str, &str), Malformed> {
    let (name, value) = segment.split_once('=').ok_or(Malformed::NoEquals)?;
    let name = name.trim_end_matches(WSP);
    let value = value.trim_start_matches(WSP);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphabetic()) {
        Err(Malformed::BadName)
    } else if value.is_empty() {
        Err(Malformed::EmptyValue)
    } else {
        Ok((name, value))
    }
}

/// Whether rua holds a syntactically valid URI: the condition of the p=none fallback.
fn has_valid_rua(tags: &[Checked<'_>]) -> bool {
    tags.iter()
        .filter(|t| t.known == Some(Known::Rua))
        .any(|t| t.uris().iter().any(|u| u.valid))
}

/// Findings about the tags after v, pushed with their segment index.
fn tag_findings(tags: &[Checked<'_>], out: &mut Vec<(usize, Finding)>) {
    use FindingKind::*;
    let valid_rua = has_valid_rua(tags);
    let has_ruf = tags.iter().any(|t| t.known == Some(Known::Ruf));
    for (i, tag) in tags.iter().enumerate().skip(1) {
        let (name, value) = (tag.name.as_str(), tag.value);
        let mut push = |kind, spec, value: &str, detail| {
            out.push((
                tag.pos,
                Finding::new(kind, spec, Some(name), Some(value), detail),
            ));
        };
        let Some(known) = tag.known else {
            push(
                UnknownTag,
                Spec::Both,
                value,
                details::unknown_tag(name, value),
            );
            continue;
        };
        if !known.defined_in(Spec::Rfc9989) {
            let detail = details::historic_tag(known, name, value);
            push(HistoricTag, Spec::Rfc9989, value, detail);
        }
        if !known.defined_in(Spec::Rfc7489) {
            let detail = details::new_tag(known, name, value);
            push(NewTag, Spec::Rfc7489, value, detail);
        }
        let invalid: Vec<Spec> = Spec::READINGS
            .into_iter()
            .filter(|&spec| tag.invalid_in(spec))
            .collect();
        if let Some(&first) = invalid.first() {
            let spec = if invalid.len() == Spec::READINGS.len() {
                Spec::Both
            } else {
                first
            };
            let detail = details::invalid_tag_value(known, spec, name, value, valid_rua);
            push(InvalidTagValue, spec, value, detail);
        }
        match known {
            Known::P if i != 1 => {
                for spec in Spec::READINGS {
                    let detail = details::policy_not_second(spec, value, valid_rua);
                    push(PolicyNotSecond, spec, value, detail);
                }
            }
            Known::Rua | Known::Ruf => {
                for (raw, uri) in uri_elements(value).zip(tag.uris()) {
                    for (kind, spec, detail) in uri_findings(name, raw, uri) {
                        push(kind, spec, raw, detail);
                    }
                }
            }
            Known::Fo if !has_ruf => push(
                FoWithoutRuf,
                Spec::Both,
                value,
                details::fo_without_ruf(value),
            ),
            _ => {}
        }
    }
    if !tags.iter().any(|t| t.known == Some(Known::P)) {
        out.push((
            usize::MAX,
            Finding::new(
                MissingPolicy,
                Spec::Both,
                Some("p"),
                None,
                details::missing_policy(valid_rua),
            ),
        ));
    }
}

/// Findings about one rua or ruf element, `raw` as written (with any `!size`).
fn uri_findings(tag: &str, raw: &str, uri: &ReportUri) -> Vec<(FindingKind, Spec, String)> {
    let mut found = Vec::new();
    if !uri.valid {
        let detail = details::invalid_uri(tag, raw, uri);
        found.push((FindingKind::InvalidUri, Spec::Both, detail));
    } else if uri.scheme.as_deref() != Some("mailto") {
        let detail = details::non_mailto_uri(tag, raw, uri);
        found.push((FindingKind::NonMailtoUri, Spec::Both, detail));
    } else if uri.address.is_none() {
        let detail = details::invalid_mailto_address(tag, raw);
        found.push((FindingKind::InvalidMailtoAddress, Spec::Both, detail));
    }
    if uri.size_limit.is_some() {
        let detail = details::obsolete_size_limit(tag, raw, uri);
        found.push((FindingKind::ObsoleteSizeLimit, Spec::Rfc9989, detail));
    }
    found
}

fn malformed(segment: &str, why: Malformed) -> Finding {
    let detail = details::malformed_tag(segment, why);
    Finding::new(
        FindingKind::MalformedTag,
        Spec::Both,
        None,
        Some(segment),
        detail,
    )
}

fn duplicate(tag: &Checked<'_>) -> Finding {
    let name = tag.name.as_str();
    let detail = details::duplicate_tag(name, tag.value);
    Finding::new(
        FindingKind::DuplicateTag,
        Spec::Both,
        Some(name),
        Some(tag.value),
        detail,
    )
}

/// Why `text`, whose first segment is `first`, is no DMARC record.
fn not_dmarc(text: &str, first: &str) -> Finding {
    let trimmed = text.trim_start_matches(WSP);
    let version = split_tag(first.trim_matches(WSP)).ok();
    let (tag, value, detail) = if trimmed.len() < text.len() && is_dmarc_record(trimmed) {
        (None, None, details::leading_white_space())
    } else if let Some((name, value)) = version.filter(|(n, _)| n.eq_ignore_ascii_case("v")) {
        (Some("v"), Some(value), details::wrong_version(name, value))
    } else {
        (None, None, details::no_version())
    };
    Finding::new(FindingKind::NotDmarcRecord, Spec::Both, tag, value, detail)
}

#[cfg(test)]
mod tests;
