//! Sender Policy Framework (RFC 7208): record types, the pure parser, the static
//! include/redirect expansion over DNS, and the verdicts drawn from the expanded tree.
//!
//! A posture scanner has no client IP, so expansion analyses the worst case: an IP
//! that matches no mechanism, which makes every evaluated DNS-querying term count.

pub mod analysis;
pub mod expand;
pub(crate) mod parse;
pub mod tree;

use std::net::{Ipv4Addr, Ipv6Addr};

pub use parse::{ParseError, ParseErrorKind, parse, select_records};

// RFC 7208 §12 (excerpt):
//
//   record           = version terms *SP
//   version          = "v=spf1"
//   terms            = *( 1*SP ( directive / modifier ) )
//   directive        = [ qualifier ] mechanism
//   qualifier        = "+" / "-" / "?" / "~"
//   mechanism        = ( all / include / a / mx / ptr / ip4 / ip6 / exists )
//   modifier         = redirect / explanation / unknown-modifier
//   unknown-modifier = name "=" macro-string
//   name             = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )

/// A parsed SPF record: its terms in textual order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub terms: Vec<Term>,
}

/// One whitespace-separated term of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The term exactly as written in the record.
    pub text: String,
    /// Byte offset of the term in the record text.
    pub offset: usize,
    pub kind: TermKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermKind {
    Directive(Qualifier, Mechanism),
    Modifier(Modifier),
}

/// `qualifier = "+" / "-" / "?" / "~"`; absent means `+`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    pub(crate) fn symbol(self) -> char {
        match self {
            Self::Pass => '+',
            Self::Fail => '-',
            Self::SoftFail => '~',
            Self::Neutral => '?',
        }
    }
}

/// `dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DualCidr {
    pub v4: Option<u8>,
    pub v6: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    /// `all`
    All,
    /// `include:domain-spec`
    Include(DomainSpec),
    /// `a[:domain-spec][dual-cidr-length]`
    A(Option<DomainSpec>, DualCidr),
    /// `mx[:domain-spec][dual-cidr-length]`
    Mx(Option<DomainSpec>, DualCidr),
    /// `ptr[:domain-spec]` (deprecated, RFC 7208 §5.5)
    Ptr(Option<DomainSpec>),
    /// `ip4:ip4-network[ip4-cidr-length]`
    Ip4(Ipv4Addr, Option<u8>),
    /// `ip6:ip6-network[ip6-cidr-length]`
    Ip6(Ipv6Addr, Option<u8>),
    /// `exists:domain-spec`
    Exists(DomainSpec),
}

impl Mechanism {
    /// Terms that cause DNS queries count towards the limit of 10 (RFC 7208 §4.6.4).
    pub(crate) fn queries_dns(&self) -> bool {
        matches!(
            self,
            Self::Include(_) | Self::A(..) | Self::Mx(..) | Self::Ptr(_) | Self::Exists(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modifier {
    /// `redirect=domain-spec`
    Redirect(DomainSpec),
    /// `exp=domain-spec`
    Exp(DomainSpec),
    /// `name=macro-string`, ignored by evaluation (RFC 7208 §6).
    Unknown { name: String, value: String },
}

/// A `domain-spec`: a macro-string that must expand to a domain name (RFC 7208 §7.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSpec {
    /// The text as written, macros unexpanded.
    pub raw: String,
    /// Parsed pieces of the macro-string.
    pub parts: Vec<MacroPart>,
}

/// A piece of a macro-string (RFC 7208 §7.1).
///
/// ```text
/// macro-string     = *( macro-expand / macro-literal )
/// macro-expand     = ( "%{" macro-letter transformers *delimiter "}" )
///                    / "%%" / "%_" / "%-"
/// transformers     = *DIGIT [ "r" ]
/// delimiter        = "." / "-" / "+" / "," / "/" / "_" / "="
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroPart {
    /// Literal text; `%%`, `%_` and `%-` are already decoded to `%`, ` ` and `%20`.
    Literal(String),
    Macro {
        /// The macro letter, lower-cased (`s l o d i p h c r t v`); `url_escape`
        /// records whether it was written upper-case (RFC 7208 §7.3).
        letter: char,
        url_escape: bool,
        /// Keep only this many right-hand parts (transformer digits); `None` = all.
        digits: Option<u32>,
        reverse: bool,
        /// Delimiters to split on; empty means `.`.
        delimiters: String,
    },
}

impl DomainSpec {
    /// True when the spec contains a macro other than `%{d}`, i.e. one whose value
    /// depends on the client IP, the sender or the HELO name, so a static analyser
    /// cannot know the name that would be queried.
    #[cfg(test)]
    pub(crate) fn needs_client(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, MacroPart::Macro { letter, .. } if *letter != 'd'))
    }

    /// Expands the spec for the current `<domain>`, or `None` when it needs values
    /// a static analyser does not have: a macro other than `%{d}`, whose value depends on
    /// the client IP, the sender or the HELO name.
    pub fn expand(&self, domain: &str) -> Option<String> {
        parse::expand_domain_spec(self, domain)
    }
}
