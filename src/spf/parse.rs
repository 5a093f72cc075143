//! Pure SPF record parser: record selection (RFC 7208 §4.5), term syntax (§4.6, §5, §6,
//! ABNF of §12), macro-string syntax (§7.1) and the static part of macro expansion (§7.3).
//!
//! Nothing here touches the network. The parser is strict: RFC 7208 §4.6 requires a
//! syntax error anywhere in the record to make the whole record a permerror, even in
//! terms evaluation would never reach, so the first bad term fails the parse.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{
    DomainSpec, DualCidr, MacroPart, Mechanism, Modifier, Qualifier, Record, Term, TermKind,
};

/// The version term, compared case-insensitively (ABNF literals are case-insensitive, §12).
const VERSION: &[u8] = b"v=spf1";

/// Longest domain name in presentation format without the trailing root dot (§7.3).
const MAX_DOMAIN_LEN: usize = 253;

/// Why a record could not be parsed. Any such error makes the record a permerror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// The offending term as written; for [`ParseErrorKind::BadVersion`] the first
    /// space-delimited token of the record.
    pub term: String,
    /// Byte offset of `term` in the record text.
    pub offset: usize,
}

/// The kinds of syntax error [`parse`] reports, named in snake_case (`invalid_ip4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum ParseErrorKind {
    /// A byte outside 7-bit ASCII (§3.1 restricts records to ASCII).
    NotAscii,
    /// A control character (tab, CR, LF, NUL…) inside a term: terms are separated by
    /// SP only (§12), so `a\tmx` is one malformed term, not two.
    ControlCharacter,
    /// The record does not begin with `v=spf1` followed by a space or its end (§4.5).
    BadVersion,
    /// A term that is neither a known mechanism nor shaped like a modifier (§4.6.1).
    UnknownMechanism,
    /// A qualifier with nothing after it, e.g. `-`.
    MissingMechanism,
    /// `all` followed by an argument, e.g. `all:example.com`.
    UnexpectedArgument,
    /// A CIDR length on a mechanism that takes none (`all`, `include`, `exists`, `ptr`).
    UnexpectedCidr,
    /// `include` or `exists` without the mandatory `:domain-spec`.
    MissingDomainSpec,
    /// A `:` or `=` with an empty domain-spec after it.
    EmptyDomainSpec,
    /// A domain-spec that does not end in `.toplabel` or a macro (§7.1).
    InvalidDomainSpec,
    /// Malformed macro: bad letter, unterminated `%{`, a lone `%`, bad transformer (§7.1, §7.3).
    InvalidMacro,
    /// `%{c}`, `%{r}` or `%{t}` in a domain-spec: they are for explanation text only (§7.2).
    ExplanationOnlyMacro,
    /// CIDR length out of range, with leading zeros, or in a form the mechanism forbids.
    InvalidCidr,
    /// `ip4` or `ip6` without an address.
    MissingAddress,
    /// Not a full dotted-quad IPv4 address.
    InvalidIp4,
    /// Not an RFC 4291 §2.2 IPv6 address.
    InvalidIp6,
    /// A modifier whose name is empty or has characters outside the §12 `name` rule.
    InvalidModifier,
    /// `redirect=` or `exp=` given more than once (§6).
    DuplicateModifier,
}

impl ParseErrorKind {
    /// Stable snake_case identifier, for machine-readable output.
    pub fn as_str(&self) -> &'static str {
        self.into()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug-quoted, because the term may hold the very CR/NUL/BOM the error is about.
        let t = &self.term;
        let o = self.offset;
        let name = mechanism_name(&self.term);
        match self.kind {
            ParseErrorKind::NotAscii => write!(
                f,
                "non-ASCII character in {t:?} at offset {o}; SPF records must be plain \
                 7-bit ASCII text"
            ),
            ParseErrorKind::ControlCharacter => write!(
                f,
                "control character in {t:?} at offset {o}; terms must be separated by plain \
                 spaces, not tabs or line breaks"
            ),
            ParseErrorKind::BadVersion => write!(
                f,
                "record does not begin with \"v=spf1\" followed by a space (found {t:?} at \
                 offset {o})"
            ),
            ParseErrorKind::UnknownMechanism => {
                write!(f, "unknown mechanism {t:?} at offset {o}")?;
                if name == "redirect" || name == "exp" {
                    write!(
                        f,
                        "; \"{name}\" is a modifier and is written with \"=\", e.g. \
                         \"{name}=_spf.example.com\""
                    )?;
                } else if self.term.contains('=') && self.term.starts_with(is_qualifier) {
                    f.write_str("; modifiers take no +, -, ~ or ? prefix")?;
                }
                Ok(())
            }
            ParseErrorKind::MissingMechanism => {
                write!(
                    f,
                    "qualifier {t:?} at offset {o} is not followed by a mechanism"
                )
            }
            ParseErrorKind::UnexpectedArgument => write!(
                f,
                "unexpected argument in {t:?} at offset {o}; \"{name}\" takes no argument"
            ),
            ParseErrorKind::UnexpectedCidr => write!(
                f,
                "unexpected CIDR prefix length in {t:?} at offset {o}; only a, mx, ip4 and \
                 ip6 take one"
            ),
            ParseErrorKind::MissingDomainSpec => write!(
                f,
                "missing domain in {t:?} at offset {o}; write it as \"{name}:<domain>\""
            ),
            ParseErrorKind::EmptyDomainSpec => {
                write!(f, "empty domain in {t:?} at offset {o}")
            }
            ParseErrorKind::InvalidDomainSpec => {
                write!(
                    f,
                    "invalid domain in {t:?} at offset {o}; a domain must end in a valid \
                     top-level label such as \".com\" (or in a macro)"
                )?;
                if argument_is_ip(&self.term) {
                    f.write_str("; to authorise an IP address use ip4: or ip6:")?;
                }
                Ok(())
            }
            ParseErrorKind::InvalidMacro => write!(
                f,
                "invalid macro in {t:?} at offset {o}; a \"%\" must begin \"%{{letter}}\", \
                 \"%%\", \"%_\" or \"%-\" (write a literal percent sign as \"%%\")"
            ),
            ParseErrorKind::ExplanationOnlyMacro => write!(
                f,
                "macro %{{c}}, %{{r}} or %{{t}} in {t:?} at offset {o} is only allowed in \
                 explanation text, not in a domain"
            ),
            ParseErrorKind::InvalidCidr => write!(
                f,
                "invalid CIDR prefix length in {t:?} at offset {o}; IPv4 allows /0 to /32, \
                 IPv6 /0 to /128 (written //0 to //128 after a or mx), without leading zeros"
            ),
            ParseErrorKind::MissingAddress => write!(
                f,
                "missing IP address in {t:?} at offset {o}; write it as \"{name}:<address>\""
            ),
            ParseErrorKind::InvalidIp4 => write!(
                f,
                "invalid IPv4 address in {t:?} at offset {o}; write all four parts, e.g. \
                 \"ip4:192.0.2.0/24\""
            ),
            ParseErrorKind::InvalidIp6 => {
                write!(f, "invalid IPv6 address in {t:?} at offset {o}")
            }
            ParseErrorKind::InvalidModifier => write!(
                f,
                "invalid modifier name in {t:?} at offset {o}; a name starts with a letter \
                 and contains only letters, digits, \"-\", \"_\" and \".\""
            ),
            ParseErrorKind::DuplicateModifier => write!(
                f,
                "repeated modifier {t:?} at offset {o}; \"redirect=\" and \"exp=\" may each \
                 appear only once"
            ),
        }
    }
}

impl std::error::Error for ParseError {}

/// Lower-cased mechanism or modifier name of a term, for error messages.
fn mechanism_name(term: &str) -> String {
    let body = term.strip_prefix(is_qualifier).unwrap_or(term);
    let end = body.find([':', '/', '=']).unwrap_or(body.len());
    body[..end].to_ascii_lowercase()
}

/// Whether the argument of a term such as `a:192.0.2.1/24` is an IP address: the
/// classic mistake of putting an address where a domain belongs.
fn argument_is_ip(term: &str) -> bool {
    let Some((_, arg)) = term.split_once([':', '=']) else {
        return false;
    };
    let addr = arg.split_once('/').map_or(arg, |(addr, _)| addr);
    addr.parse::<IpAddr>().is_ok()
}

fn is_qualifier(c: char) -> bool {
    matches!(c, '+' | '-' | '?' | '~')
}

/// RFC 7208 §4.5 record selection: indices of the TXT record texts (each already the
/// concatenation of its character-strings, §3.3) that are SPF records, i.e. begin with
/// `v=spf1` (case-insensitive) followed by a space or the end of the string.
///
/// Selection deliberately looks at nothing else: a selected record with a syntax error
/// (even non-ASCII bytes) is still *the* SPF record and yields a permerror, it must not
/// be skipped as if it were some other TXT record.
pub fn select_records(txts: &[String]) -> Vec<usize> {
    txts.iter()
        .enumerate()
        .filter(|(_, txt)| has_version(txt.as_bytes()))
        .map(|(i, _)| i)
        .collect()
}

fn has_version(bytes: &[u8]) -> bool {
    bytes.len() >= VERSION.len()
        && bytes[..VERSION.len()].eq_ignore_ascii_case(VERSION)
        && bytes.get(VERSION.len()).is_none_or(|&b| b == b' ')
}

/// Parses a whole SPF record text, which must start with the version `v=spf1`
/// (case-insensitive).
///
/// The whole record is checked (§4.6: syntax errors anywhere are errors), and the first
/// offending term is reported.
pub fn parse(text: &str) -> Result<Record, ParseError> {
    if !has_version(text.as_bytes()) {
        let first = text.split(' ').next().unwrap_or_default();
        return Err(ParseError {
            kind: ParseErrorKind::BadVersion,
            term: first.to_owned(),
            offset: 0,
        });
    }
    let mut terms = Vec::new();
    let mut seen_redirect = false;
    let mut seen_exp = false;
    for (offset, term) in split_terms(text, VERSION.len()) {
        let error = |kind| ParseError {
            kind,
            term: term.to_owned(),
            offset,
        };
        let kind = parse_term(term).map_err(error)?;
        let seen = match &kind {
            TermKind::Modifier(Modifier::Redirect(_)) => Some(&mut seen_redirect),
            TermKind::Modifier(Modifier::Exp(_)) => Some(&mut seen_exp),
            _ => None,
        };
        if let Some(seen) = seen {
            if *seen {
                return Err(error(ParseErrorKind::DuplicateModifier));
            }
            *seen = true;
        }
        terms.push(Term {
            text: term.to_owned(),
            offset,
            kind,
        });
    }
    Ok(Record { terms })
}

/// Terms from `start` on, with their byte offsets: `1*SP` separates, trailing SP is
/// allowed (§12 `record = version terms *SP`), and only SP counts as a separator.
fn split_terms(text: &str, start: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = start;
    std::iter::from_fn(move || {
        let rest = text.get(pos..)?;
        let begin = pos + (rest.len() - rest.trim_start_matches(' ').len());
        let tail = text.get(begin..).filter(|t| !t.is_empty())?;
        let len = tail.find(' ').unwrap_or(tail.len());
        pos = begin + len;
        Some((begin, &tail[..len]))
    })
}

fn parse_term(term: &str) -> Result<TermKind, ParseErrorKind> {
    if !term.is_ascii() {
        return Err(ParseErrorKind::NotAscii);
    }
    // After splitting on SP every remaining byte must be visible (%x21-7E): that is the
    // whole alphabet of mechanisms, modifier names and macro-literals.
    if term.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(ParseErrorKind::ControlCharacter);
    }
    // §4.6.1: a modifier has "=" right after its name, before any ":" or "/". Testing
    // that before the name's validity makes `1up=foo` a bad modifier, not a mechanism.
    if !term.starts_with(is_qualifier)
        && let Some(eq) = term
            .find([':', '/', '='])
            .filter(|&i| term.as_bytes()[i] == b'=')
    {
        return parse_modifier(&term[..eq], &term[eq + 1..]).map(TermKind::Modifier);
    }
    let (qualifier, body) = match term.as_bytes().first() {
        Some(b'+') => (Qualifier::Pass, &term[1..]),
        Some(b'-') => (Qualifier::Fail, &term[1..]),
        Some(b'~') => (Qualifier::SoftFail, &term[1..]),
        Some(b'?') => (Qualifier::Neutral, &term[1..]),
        _ => (Qualifier::Pass, term),
    };
    if body.is_empty() {
        return Err(ParseErrorKind::MissingMechanism);
    }
    parse_mechanism(body).map(|m| TermKind::Directive(qualifier, m))
}

fn parse_modifier(name: &str, value: &str) -> Result<Modifier, ParseErrorKind> {
    let mut chars = name.chars();
    let name_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err(ParseErrorKind::InvalidModifier);
    }
    if name.eq_ignore_ascii_case("redirect") {
        Ok(Modifier::Redirect(domain_spec(value)?))
    } else if name.eq_ignore_ascii_case("exp") {
        // §6.2 says an empty or failing exp= is ignored at evaluation time, but that is
        // about the lookup; the term itself must still match `"exp" "=" domain-spec`,
        // and the suite (exp-empty-domain, exp-syntax-error) wants a permerror.
        Ok(Modifier::Exp(domain_spec(value)?))
    } else {
        // Evaluation ignores unknown modifiers, but their value must still be a valid
        // macro-string (suite: unknown-modifier-syntax). All macro letters, c/r/t
        // included, belong to the `macro-string` grammar.
        parse_macro_string(value, false)?;
        Ok(Modifier::Unknown {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }
}

fn parse_mechanism(body: &str) -> Result<Mechanism, ParseErrorKind> {
    let name_end = body.find([':', '/']).unwrap_or(body.len());
    let (name, rest) = body.split_at(name_end);
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "all" => match rest.as_bytes().first() {
            None => Ok(Mechanism::All),
            Some(b'/') => Err(ParseErrorKind::UnexpectedCidr),
            Some(_) => Err(ParseErrorKind::UnexpectedArgument),
        },
        "include" | "exists" => {
            let spec = rest
                .strip_prefix(':')
                .ok_or(ParseErrorKind::MissingDomainSpec)?;
            let spec = domain_spec_without_cidr(spec)?;
            Ok(if name == "include" {
                Mechanism::Include(spec)
            } else {
                Mechanism::Exists(spec)
            })
        }
        "ptr" => match rest.as_bytes().first() {
            None => Ok(Mechanism::Ptr(None)),
            Some(b':') => Ok(Mechanism::Ptr(Some(domain_spec_without_cidr(&rest[1..])?))),
            Some(_) => Err(ParseErrorKind::UnexpectedCidr),
        },
        "a" | "mx" => {
            let (spec, cidr) = split_dual_cidr(rest)?;
            let spec = match spec.strip_prefix(':') {
                Some(spec) => Some(domain_spec(spec)?),
                None if spec.is_empty() => None,
                // Something between the name and the CIDR that is not `:domain`, such as
                // the first "/16" of `a/16/24`.
                None => return Err(ParseErrorKind::InvalidCidr),
            };
            Ok(if name == "a" {
                Mechanism::A(spec, cidr)
            } else {
                Mechanism::Mx(spec, cidr)
            })
        }
        "ip4" => {
            let (addr, cidr) = split_ip_network(rest)?;
            let addr = addr
                .parse::<Ipv4Addr>()
                .map_err(|_| ParseErrorKind::InvalidIp4)?;
            Ok(Mechanism::Ip4(
                addr,
                cidr.map(|c| cidr_length(c, 32)).transpose()?,
            ))
        }
        "ip6" => {
            let (addr, cidr) = split_ip_network(rest)?;
            let addr = addr
                .parse::<Ipv6Addr>()
                .map_err(|_| ParseErrorKind::InvalidIp6)?;
            Ok(Mechanism::Ip6(
                addr,
                cidr.map(|c| cidr_length(c, 128)).transpose()?,
            ))
        }
        _ => Err(ParseErrorKind::UnknownMechanism),
    }
}

/// `":" network [ "/" digits ]` of ip4/ip6 → (network, digits). The network holds no "/",
/// so the first "/" starts the CIDR, and a second one (`ip4:192.0.2.1//32`, the dual form
/// that only a/mx accept) lands in the digits and fails there.
fn split_ip_network(rest: &str) -> Result<(&str, Option<&str>), ParseErrorKind> {
    let network = rest
        .strip_prefix(':')
        .filter(|n| !n.is_empty())
        .ok_or(ParseErrorKind::MissingAddress)?;
    Ok(match network.split_once('/') {
        Some((addr, cidr)) => (addr, Some(cidr)),
        None => (network, None),
    })
}

/// Value of a CIDR length written without its "/". The ABNF (§12) allows no leading
/// zeros and at most 2 (IPv4) or 3 (IPv6) digits; the suite's cidr4-032 relies on that.
fn cidr_length(digits: &str, max: u8) -> Result<u8, ParseErrorKind> {
    let well_formed = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    match digits.parse::<u8>() {
        Ok(n) if well_formed && n <= max => Ok(n),
        _ => Err(ParseErrorKind::InvalidCidr),
    }
}

/// Splits `"/" 1*DIGIT` off the end of `s`: (text before the "/", digits).
fn strip_slash_digits(s: &str) -> Option<(&str, &str)> {
    let head = s.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &s[head.len()..];
    let before = head.strip_suffix('/')?;
    (!digits.is_empty()).then_some((before, digits))
}

/// Splits `dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]` off the end
/// of an a/mx argument.
///
/// Taken from the end because a domain-spec may itself contain "/" and ":" (suite:
/// a-colon-domain, `a:foo:bar/baz.example.com`); it is unambiguous because a valid
/// domain-spec can never end in "/digits" (its last label is a toplabel or a macro).
fn split_dual_cidr(rest: &str) -> Result<(&str, DualCidr), ParseErrorKind> {
    let mut cidr = DualCidr::default();
    let mut rest = rest;
    if let Some((before, digits)) = strip_slash_digits(rest) {
        if let Some(before) = before.strip_suffix('/') {
            cidr.v6 = Some(cidr_length(digits, 128)?);
            rest = before;
            if let Some((before, digits)) = strip_slash_digits(rest) {
                cidr.v4 = Some(cidr_length(digits, 32)?);
                rest = before;
            }
        } else {
            cidr.v4 = Some(cidr_length(digits, 32)?);
            rest = before;
        }
    }
    Ok((rest, cidr))
}

/// A domain-spec for a mechanism that takes no CIDR length; when the spec is only
/// invalid because of a trailing "/24" or "//64", say that instead, which is what the
/// publisher needs to hear.
fn domain_spec_without_cidr(s: &str) -> Result<DomainSpec, ParseErrorKind> {
    match domain_spec(s) {
        Err(ParseErrorKind::InvalidDomainSpec) => {
            let prefix = strip_slash_digits(s).map(|(p, _)| p.strip_suffix('/').unwrap_or(p));
            if prefix.is_some_and(|p| domain_spec(p).is_ok()) {
                Err(ParseErrorKind::UnexpectedCidr)
            } else {
                Err(ParseErrorKind::InvalidDomainSpec)
            }
        }
        other => other,
    }
}

/// `domain-spec = macro-string domain-end`, `domain-end = ( "." toplabel [ "." ] ) /
/// macro-expand` (§7.1). The check is on the text as written: §7.1 leaves names produced
/// by expansion to the DNS (suite: invalid-hello-macro).
fn domain_spec(s: &str) -> Result<DomainSpec, ParseErrorKind> {
    if s.is_empty() {
        return Err(ParseErrorKind::EmptyDomainSpec);
    }
    let (parts, trailing_literal) = parse_macro_string(s, true)?;
    // An empty trailing literal means the text ends in a macro-expand. Note that "%%",
    // "%_" and "%-" are macro-expands too, so the ABNF accepts a spec ending in them.
    let ends_ok = trailing_literal.is_empty() || {
        let t = trailing_literal
            .strip_suffix('.')
            .unwrap_or(trailing_literal);
        t.rsplit_once('.').is_some_and(|(_, top)| is_toplabel(top))
    };
    if !ends_ok {
        return Err(ParseErrorKind::InvalidDomainSpec);
    }
    Ok(DomainSpec {
        raw: s.to_owned(),
        parts,
    })
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" )
/// alphanum )`: LDH, starting and ending alphanumeric, and not all-numeric unless it
/// has a hyphen (so `123` is rejected, which catches `a:192.0.2.1`).
fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b.iter().any(|c| c.is_ascii_alphabetic() || *c == b'-')
}

/// Parses a `macro-string` (§7.1) into parts, returning also the literal text that
/// follows the last macro-expand, as written (for the domain-end check).
///
/// In a domain-spec (`in_domain`), `c`, `r` and `t` are rejected: §7.2 allows them only
/// in explanation text (suite: exp-only-macro-char, `exp=%{r}.example.com`).
fn parse_macro_string(s: &str, in_domain: bool) -> Result<(Vec<MacroPart>, &str), ParseErrorKind> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = s;
    while let Some(pct) = rest.find('%') {
        literal.push_str(&rest[..pct]);
        let after = &rest[pct + 1..];
        // §7.3: "%" not followed by "{", "%", "-" or "_" is a syntax error.
        let consumed = match after.as_bytes().first() {
            Some(b'%') => {
                literal.push('%');
                1
            }
            Some(b'_') => {
                literal.push(' ');
                1
            }
            Some(b'-') => {
                literal.push_str("%20");
                1
            }
            Some(b'{') => {
                let close = after.find('}').ok_or(ParseErrorKind::InvalidMacro)?;
                let part = parse_macro_body(&after[1..close], in_domain)?;
                if !literal.is_empty() {
                    parts.push(MacroPart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(part);
                close + 1
            }
            _ => return Err(ParseErrorKind::InvalidMacro),
        };
        rest = &after[consumed..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(MacroPart::Literal(literal));
    }
    Ok((parts, rest))
}

/// The inside of `%{...}`: `macro-letter transformers *delimiter`, with
/// `transformers = *DIGIT [ "r" ]`.
fn parse_macro_body(body: &str, in_domain: bool) -> Result<MacroPart, ParseErrorKind> {
    let mut chars = body.chars();
    let written = chars.next().ok_or(ParseErrorKind::InvalidMacro)?;
    let letter = written.to_ascii_lowercase();
    if !written.is_ascii_alphabetic() || !"slodiphcrtv".contains(letter) {
        return Err(ParseErrorKind::InvalidMacro);
    }
    if in_domain && matches!(letter, 'c' | 'r' | 't') {
        return Err(ParseErrorKind::ExplanationOnlyMacro);
    }
    let rest = chars.as_str();
    let (digits, rest) =
        rest.split_at(rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len());
    let digits = if digits.is_empty() {
        None
    } else {
        // More parts than a name can have behave like "all parts" (§7.3), so an
        // overflowing count can saturate. Zero is explicitly forbidden (§7.3).
        let n = digits.parse::<u32>().unwrap_or(u32::MAX);
        if n == 0 {
            return Err(ParseErrorKind::InvalidMacro);
        }
        Some(n)
    };
    // ABNF literals are case-insensitive (§12), so "R" reverses as well.
    let (reverse, delimiters) = match rest.strip_prefix(['r', 'R']) {
        Some(d) => (true, d),
        None => (false, rest),
    };
    if !delimiters.chars().all(|c| ".-+,/_=".contains(c)) {
        return Err(ParseErrorKind::InvalidMacro);
    }
    Ok(MacroPart::Macro {
        letter,
        url_escape: written.is_ascii_uppercase(),
        digits,
        reverse,
        delimiters: delimiters.to_owned(),
    })
}

/// Expands a domain-spec for the current `<domain>` (RFC 7208 §7), or `None` when it
/// holds a macro other than `d`, whose value needs the client IP, sender or HELO name.
///
/// The result is lower-cased, has no trailing dot, and is cut to 253 characters by
/// dropping whole labels from the left (§7.3).
pub(crate) fn expand_domain_spec(spec: &DomainSpec, domain: &str) -> Option<String> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    let mut out = String::new();
    for part in &spec.parts {
        match part {
            MacroPart::Literal(text) => out.push_str(text),
            MacroPart::Macro {
                letter: 'd',
                url_escape,
                digits,
                reverse,
                delimiters,
            } => {
                let value = transform(domain, *digits, *reverse, delimiters);
                if *url_escape {
                    push_url_escaped(&mut out, &value);
                } else {
                    out.push_str(&value);
                }
            }
            MacroPart::Macro { .. } => return None,
        }
    }
    // The trailing dot goes first: 253 is the limit of the name *without* the root dot
    // (§7.3, RFC 1035 §2.3.4), so a 254-character name ending in "." already fits.
    if out.ends_with('.') {
        out.pop();
    }
    while out.len() > MAX_DOMAIN_LEN {
        // A single label longer than the limit cannot be shortened by dropping labels;
        // it is left for the DNS layer to reject.
        let Some(dot) = out.find('.') else { break };
        out.drain(..=dot);
    }
    out.make_ascii_lowercase();
    Some(out)
}

/// §7.3 transformers: split on the delimiters (default "."), optionally reverse, keep
/// the right-most `digits` parts, and rejoin with ".".
fn transform(value: &str, digits: Option<u32>, reverse: bool, delimiters: &str) -> String {
    let mut parts: Vec<&str> = if delimiters.is_empty() {
        value.split('.').collect()
    } else {
        value.split(|c| delimiters.contains(c)).collect()
    };
    if reverse {
        parts.reverse();
    }
    if let Some(n) = digits.and_then(|n| usize::try_from(n).ok())
        && n > 0
        && n < parts.len()
    {
        parts.drain(..parts.len() - n);
    }
    parts.join(".")
}

/// URL escaping of upper-case macros (§7.3): everything outside RFC 3986 "unreserved".
fn push_url_escaped(out: &mut String, value: &str) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests;
