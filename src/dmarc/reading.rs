//! What each specification makes of a record's tags, RFC 7489 and RFC 9989 side by side:
//! the tags it defines, the values it accepts, and the defaults it fills in. Where the
//! two differ, one `match` on [`Spec`] holds both rules.

use strum::EnumString;

use super::record::{Alignment, Policy, Psd, Reading, ReportUri, Spec, Validity, WSP, digits};
use super::uri::uri_elements;

/// The tags of RFC 7489 §6.3 and RFC 9989 §4.7 (its registry, §9.3), parsed from their
/// lower-cased names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString)]
#[strum(serialize_all = "lowercase")]
pub(super) enum Known {
    V,
    P,
    Sp,
    Np,
    Adkim,
    Aspf,
    Fo,
    Psd,
    T,
    Rua,
    Ruf,
    Pct,
    Rf,
    Ri,
}

impl Known {
    /// Whether `spec` defines the tag (for [`Spec::Both`]: both do).
    pub(super) fn defined_in(self, spec: Spec) -> bool {
        match self {
            // np comes from RFC 9091, psd and t are new in RFC 9989 (Appendix C.5.1).
            Self::Np | Self::Psd | Self::T => spec == Spec::Rfc9989,
            // Historic in the RFC 9989 registry (§9.3, Appendix C.5.2).
            Self::Pct | Self::Rf | Self::Ri => spec == Spec::Rfc7489,
            _ => true,
        }
    }

    fn is_policy(self) -> bool {
        matches!(self, Self::P | Self::Sp | Self::Np)
    }

    /// What receivers use instead of an invalid value; `None` for the tags whose value
    /// cannot be invalid (v, rua, ruf) or whose failure has wider effects (p, sp, np).
    pub(super) fn default_value(self) -> Option<&'static str> {
        match self {
            Self::Adkim | Self::Aspf => Some("r"),
            Self::Psd => Some("u"),
            Self::T => Some("n"),
            Self::Fo => Some("0"),
            Self::Pct => Some("100"),
            Self::Rf => Some("afrf"),
            Self::Ri => Some("86400"),
            Self::V | Self::P | Self::Sp | Self::Np | Self::Rua | Self::Ruf => None,
        }
    }
}

/// A tag's value as a reading takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Version,
    Policy(Policy),
    Alignment(Alignment),
    Psd(Psd),
    Test(bool),
    Fo(Vec<String>),
    Pct(u8),
    Rf(Vec<String>),
    Ri(u32),
    Uris(Vec<ReportUri>),
}

/// The single check of a tag value, for both readings: `None` when the tag is not defined
/// by `spec` or the value breaks the tag's rule there (for [`Spec::Both`]: in either).
fn validate(known: Known, value: &str, spec: Spec) -> Option<Value> {
    if !known.defined_in(spec) {
        return None;
    }
    Some(match known {
        Known::V => (value == "DMARC1").then_some(Value::Version)?,
        Known::P | Known::Sp | Known::Np => Value::Policy(value.parse().ok()?),
        Known::Adkim | Known::Aspf => Value::Alignment(value.parse().ok()?),
        Known::Psd => Value::Psd(value.parse().ok()?),
        Known::T => Value::Test(match value {
            "y" | "Y" => true,
            "n" | "N" => false,
            _ => return None,
        }),
        Known::Fo => Value::Fo(failure_options(value, spec)?),
        Known::Rua | Known::Ruf => Value::Uris(uri_elements(value).map(ReportUri::parse).collect()),
        // RFC 7489 §6.4 `dmarc-percent = "pct" *WSP "=" *WSP 1*3DIGIT`, 0 to 100 (§6.3).
        Known::Pct => Value::Pct(
            digits(value)
                .filter(|d| d.len() <= 3)?
                .parse()
                .ok()
                .filter(|&n| n <= 100)?,
        ),
        // RFC 7489 §6.3 "registered reporting formats only", and afrf is the only one.
        Known::Rf => Value::Rf(
            value
                .split(':')
                .map(|f| f.trim_matches(WSP).to_ascii_lowercase())
                .map(|f| (f == "afrf").then_some(f))
                .collect::<Option<_>>()?,
        ),
        // RFC 7489 §6.3: "plain-text 32-bit unsigned integer".
        Known::Ri => Value::Ri(digits(value)?.parse().ok()?),
    })
}

/// fo, lower-cased. RFC 7489 §6.4: `("0" / "1" / "d" / "s") *(*WSP ":" *WSP (...))`.
/// RFC 9989 §4.8 `dmarc-fo` allows no WSP, makes 0 and 1 mutually exclusive, and lets d
/// and s appear at most once each; a value meeting that meets RFC 7489's rule too.
fn failure_options(value: &str, spec: Spec) -> Option<Vec<String>> {
    let rfc7489 = spec == Spec::Rfc7489;
    let options: Vec<String> = value
        .split(':')
        .map(|o| if rfc7489 { o.trim_matches(WSP) } else { o })
        .map(str::to_ascii_lowercase)
        .collect();
    if !options
        .iter()
        .all(|o| matches!(o.as_str(), "0" | "1" | "d" | "s"))
    {
        return None;
    }
    let count = |set: &[&str]| options.iter().filter(|o| set.contains(&o.as_str())).count();
    let repeats = count(&["0", "1"]) > 1 || count(&["d"]) > 1 || count(&["s"]) > 1;
    (rfc7489 || !repeats).then_some(options)
}

/// A well-formed tag, with its value under each reading.
pub(super) struct Checked<'a> {
    /// Index of its `;`-separated segment, for ordering findings.
    pub(super) pos: usize,
    pub(super) name: String,
    pub(super) value: &'a str,
    pub(super) known: Option<Known>,
    /// Under RFC 7489 and RFC 9989; see [`validate`].
    values: [Option<Value>; 2],
}

impl<'a> Checked<'a> {
    pub(super) fn new(pos: usize, name: &str, value: &'a str) -> Self {
        let name = name.to_ascii_lowercase();
        let known = name.parse::<Known>().ok();
        let values = Spec::READINGS.map(|spec| known.and_then(|k| validate(k, value, spec)));
        Self {
            pos,
            name,
            value,
            known,
            values,
        }
    }

    /// The value under `spec`; for [`Spec::Both`], RFC 9989's when it is valid under
    /// both.
    fn value_in(&self, spec: Spec) -> Option<&Value> {
        let [rfc7489, rfc9989] = &self.values;
        match spec {
            Spec::Rfc7489 => rfc7489.as_ref(),
            Spec::Rfc9989 => rfc9989.as_ref(),
            Spec::Both => rfc7489.as_ref().and(rfc9989.as_ref()),
        }
    }

    /// Whether the value breaks the tag's rule under `spec`, which defines the tag.
    pub(super) fn invalid_in(&self, spec: Spec) -> bool {
        self.known.is_some_and(|k| k.defined_in(spec)) && self.value_in(spec).is_none()
    }

    /// The parsed URI list of a rua or ruf tag (the same under both readings).
    pub(super) fn uris(&self) -> &[ReportUri] {
        match self.value_in(Spec::Rfc9989) {
            Some(Value::Uris(uris)) => uris,
            _ => &[],
        }
    }
}

/// The reading of the well-formed `tags` (v first, no duplicates) under `spec`, one of
/// [`Spec::READINGS`]; `noted`: some finding concerns this reading.
pub(super) fn read(tags: &[Checked<'_>], spec: Spec, noted: bool) -> Reading {
    let mut r = Reading::without_policy(Validity::Valid);
    r.fo = vec!["0".to_owned()];
    let (mut p, mut sp, mut np) = (None, None, None);
    let (mut psd, mut t, mut pct, mut rf, mut ri) = (None, None, None, None, None);
    let mut invalid_policy = false;
    for tag in tags {
        let Some(known) = tag.known.filter(|k| k.defined_in(spec)) else {
            continue; // unknown tags MUST be ignored (RFC 7489 §6.3, RFC 9989 §4.7)
        };
        let Some(value) = tag.value_in(spec) else {
            // Other syntax errors give way to the default (RFC 7489 §6.3, RFC 9989 §4.8).
            invalid_policy |= known.is_policy();
            continue;
        };
        match (known, value) {
            (Known::P, Value::Policy(v)) => p = Some(*v),
            (Known::Sp, Value::Policy(v)) => sp = Some(*v),
            (Known::Np, Value::Policy(v)) => np = Some(*v),
            (Known::Adkim, Value::Alignment(v)) => r.adkim = *v,
            (Known::Aspf, Value::Alignment(v)) => r.aspf = *v,
            (Known::Rua, Value::Uris(v)) => r.rua.clone_from(v),
            (Known::Ruf, Value::Uris(v)) => r.ruf.clone_from(v),
            (_, Value::Fo(v)) => r.fo.clone_from(v),
            (_, Value::Psd(v)) => psd = Some(*v),
            (_, Value::Test(v)) => t = Some(*v),
            (_, Value::Pct(v)) => pct = Some(*v),
            (_, Value::Rf(v)) => rf = Some(v.clone()),
            (_, Value::Ri(v)) => ri = Some(*v),
            // validate() gives each tag its own variant; v needs nothing.
            _ => {}
        }
    }
    // RFC 7489 §6.3: "the "v" and "p" tags MUST be present and MUST appear in that
    // order", so a p elsewhere is no valid p. RFC 9989 §4.7 reads a missing p as p=none.
    let p_lost = spec == Spec::Rfc7489 && !p_is_second(tags);
    if invalid_policy || p_lost {
        if !r.rua.iter().any(|u| u.valid) {
            return Reading::without_policy(Validity::NoDmarcProcessing);
        }
        // "act as if a record containing ... "p=none" was retrieved" (RFC 7489 §6.6.3,
        // RFC 9989 §4.10.1): such a record has no sp or np either.
        (p, sp, np) = (Some(Policy::None), None, None);
        r.outcome = Validity::PNoneFallback;
    } else if noted {
        r.outcome = Validity::ValidWithWarnings;
    }
    let p = p.unwrap_or(Policy::None);
    let sp = sp.unwrap_or(p);
    r.p = Some(p);
    r.sp = Some(sp);
    // Each specification's own tags, with their defaults.
    if spec == Spec::Rfc7489 {
        r.pct = Some(pct.unwrap_or(100));
        r.rf = Some(rf.unwrap_or_else(|| vec!["afrf".to_owned()]));
        r.ri = Some(ri.unwrap_or(86_400));
    } else {
        r.np = Some(np.unwrap_or(sp));
        r.psd = Some(psd.unwrap_or(Psd::Unknown));
        r.t = Some(t.unwrap_or(false));
    }
    r
}

/// Whether p is the first tag after v, as RFC 7489 requires.
fn p_is_second(tags: &[Checked<'_>]) -> bool {
    tags.get(1).is_some_and(|t| t.known == Some(Known::P))
}
