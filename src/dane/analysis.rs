//! The verdict of an MX host's DANE (RFC 7672): whether a DANE SMTP client uses its TLSA
//! records, and whether the chain the STARTTLS probe captured matches one of them
//! ([`judge`]); and a domain's roll-up over its hosts ([`rollup`]).

use std::time::SystemTime;

use hickory_resolver::proto::rr::rdata::TLSA;
use ring::digest;
use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::parse::{self, Association, Entry, Matching, Selector, Usage};
use super::{DaneFinding, DaneFindingKind, DaneRollup, DaneStatus, HostDane, TlsaEntry};
use crate::dns::{Dnssec, Outcome, Secured, TempFailKind};
use crate::hostname::mx_matches;
use crate::smtp::{Starttls, StarttlsStatus};

/// Records whose mismatch a `no_match` detail explains; the others are counted.
const EXPLAINED_RECORDS: usize = 3;
/// Names of a leaf quoted when it is not valid for the host; the others are counted.
const QUOTED_NAMES: usize = 3;
/// Characters of a text from the network (a certificate's name, the probe's error)
/// quoted in a detail.
const QUOTED_CHARS: usize = 80;

impl HostDane {
    fn new(tlsa_name: &str, dnssec: Dnssec) -> Self {
        Self {
            status: DaneStatus::None,
            tlsa_name: tlsa_name.to_owned(),
            dnssec,
            records: Vec::new(),
            matched: None,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn set(mut self, status: DaneStatus, kind: DaneFindingKind, detail: String) -> Self {
        self.status = status;
        self.errors.push(DaneFinding::new(kind, detail));
        self
    }
}

/// The DANE verdict of MX host `host` (lower-case, no trailing dot) from the answer to
/// `tlsa_name` (`_25._tcp.<host>`), the DNSSEC state of the domain's MX answer, and the
/// host's STARTTLS probe (`None` when it was not probed), at `now`.
///
/// The TLSA base domain is `host` even when `tlsa_name` is an alias (RFC 7672 §2.2.3).
/// DANE-TA(2) name checks accept it and `domain`, the next-hop domain whose MX records
/// named the host: RFC 7672 §3.2.2 adds it after a secure MX lookup, and records are
/// usable only after one.
pub(crate) fn judge(
    host: &str,
    domain: &str,
    tlsa_name: &str,
    answer: &Secured<TLSA>,
    mx_rrset: Dnssec,
    probe: Option<&Starttls>,
    now: SystemTime,
) -> HostDane {
    let report = HostDane::new(tlsa_name, answer.dnssec);
    let records = match &answer.outcome {
        Outcome::NxDomain | Outcome::NoData => return report,
        Outcome::Answer(aliased) if aliased.records.is_empty() => return report,
        Outcome::Answer(aliased) => &aliased.records,
        // RFC 7672 §2.1.1: a bogus answer is a lookup error; the sender treats the host
        // as unreachable rather than fall back to opportunistic TLS.
        Outcome::TempFail(failure)
            if failure.kind == TempFailKind::Bogus || answer.dnssec == Dnssec::Bogus =>
        {
            return report.set(
                DaneStatus::Fail,
                DaneFindingKind::Bogus,
                format!(
                    "TLSA {tlsa_name}: {failure}; DANE senders treat the host as \
                     unreachable (RFC 7672 §2.1.1)"
                ),
            );
        }
        Outcome::TempFail(failure) => {
            return report.set(
                DaneStatus::Unknown,
                DaneFindingKind::Temperror,
                format!("TLSA {tlsa_name}: {failure}"),
            );
        }
    };
    let entries = parse::entries(records);
    let secure = answer.dnssec == Dnssec::Secure;
    let mut report = HostDane {
        records: entries
            .iter()
            .map(|entry| TlsaEntry {
                record: entry.text.clone(),
                usable: secure && entry.read.is_ok(),
                problem: entry.read.as_ref().err().map(|p| p.detail.clone()),
            })
            .collect(),
        ..report
    };
    match answer.dnssec {
        Dnssec::Secure => {}
        // RFC 6698 §4.1 and RFC 7672 §2.2: only a secure RRset is used; an insecure one
        // leaves the sender with opportunistic TLS, as if nothing were published.
        Dnssec::Insecure => {
            return report.set(
                DaneStatus::Unusable,
                DaneFindingKind::InsecureTlsa,
                format!(
                    "the TLSA RRset at {tlsa_name} is not DNSSEC-signed (insecure): senders \
                     do not use it (RFC 7672 §2.2)"
                ),
            );
        }
        Dnssec::Bogus => {
            return report.set(
                DaneStatus::Fail,
                DaneFindingKind::Bogus,
                format!(
                    "the TLSA RRset at {tlsa_name} failed DNSSEC validation; DANE senders \
                     treat the host as unreachable (RFC 7672 §2.1.1)"
                ),
            );
        }
        Dnssec::Unknown => {
            return report.set(
                DaneStatus::Unknown,
                DaneFindingKind::Temperror,
                format!(
                    "the DNSSEC state of the TLSA answer at {tlsa_name} is not known (the \
                     resolver does not say it validated), so whether senders use the \
                     records is not known"
                ),
            );
        }
    }

    let usable: Vec<(&str, &Association)> = entries
        .iter()
        .filter_map(|entry| Some((entry.text.as_str(), entry.read.as_ref().ok()?)))
        .collect();
    if usable.is_empty() {
        report.status = DaneStatus::Unusable;
        report.errors.extend(record_problems(&entries));
    }
    // RFC 7672 §2.2.1: with an insecure MX RRset an attacker picks the MX host, so DANE
    // cannot authenticate delivery to the domain and senders need not use it.
    match mx_rrset {
        Dnssec::Secure => {}
        Dnssec::Insecure => {
            report = report.set(
                DaneStatus::Unusable,
                DaneFindingKind::InsecureMx,
                "the domain's MX RRset is insecure (not DNSSEC-signed): DANE cannot \
                 authenticate delivery to the domain, and senders need not use it for its \
                 hosts (RFC 7672 §2.2.1)"
                    .to_owned(),
            );
        }
        // Whether senders use the records turns on a state nobody knows.
        Dnssec::Unknown | Dnssec::Bogus => {
            return report.set(
                DaneStatus::Unknown,
                DaneFindingKind::Temperror,
                format!(
                    "the DNSSEC state of the domain's MX answer is {}, so whether senders \
                     use DANE for its hosts is not known (RFC 7672 §2.2.1)",
                    mx_rrset.as_str()
                ),
            );
        }
    }
    if report.status == DaneStatus::Unusable {
        return report;
    }
    if usable.len() == 1 {
        report.warnings.push(DaneFinding::new(
            DaneFindingKind::SingleRecord,
            "one usable TLSA record: publish the next key's or certificate's record \
             beside it before a change, so that senders' cached RRsets still match (RFC \
             7671 §8.1)",
        ));
    }

    let Some(probe) = probe else {
        return report.set(
            DaneStatus::Unknown,
            DaneFindingKind::NotProbed,
            "the host was not probed, so its certificate chain is not known".to_owned(),
        );
    };
    let reason = || {
        probe
            .error
            .as_deref()
            .map_or_else(String::new, |e| format!(" ({})", clip(e)))
    };
    match probe.status {
        StarttlsStatus::Ok => {}
        // RFC 7672 §2.2: secure TLSA records commit the host to STARTTLS; a DANE sender
        // does not deliver without it.
        StarttlsStatus::NotOffered | StarttlsStatus::HandshakeFailed => {
            let what = if probe.status == StarttlsStatus::NotOffered {
                "the host does not offer STARTTLS".to_owned()
            } else {
                format!("the TLS handshake failed{}", reason())
            };
            return report.set(
                DaneStatus::Fail,
                DaneFindingKind::NoStarttls,
                format!(
                    "{what}, while its TLSA records commit it to TLS: DANE senders do not \
                     deliver to it (RFC 7672 §2.2)"
                ),
            );
        }
        StarttlsStatus::Refused
        | StarttlsStatus::Timeout
        | StarttlsStatus::ProtocolError
        | StarttlsStatus::Skipped => {
            return report.set(
                DaneStatus::Unknown,
                DaneFindingKind::NotProbed,
                format!(
                    "the probe got no certificate chain: {}{}",
                    probe.status.as_str(),
                    reason()
                ),
            );
        }
    }
    if probe.chain.is_empty() {
        return report.set(
            DaneStatus::Unknown,
            DaneFindingKind::NotProbed,
            "the probe kept no certificate chain".to_owned(),
        );
    }

    let chain = Chain::new(&probe.chain);
    let mut misses = Vec::new();
    for (text, association) in &usable {
        match chain.matches(association, &[host, domain], now) {
            Ok(()) => {
                report.status = DaneStatus::Ok;
                report.matched = Some((*text).to_owned());
                return report;
            }
            Err(why) => misses.push(format!("{}: {why}", parse::quoted(text))),
        }
    }
    let more = misses.len().saturating_sub(EXPLAINED_RECORDS);
    misses.truncate(EXPLAINED_RECORDS);
    let mut detail = format!(
        "no usable TLSA record matches the chain the host presented ({} certificates), and \
         DANE senders do not deliver to it (RFC 7672 §3.2): {}",
        probe.chain.len(),
        misses.join("; ")
    );
    if more > 0 {
        detail.push_str(&format!("; and {more} more records"));
    }
    report.set(DaneStatus::Fail, DaneFindingKind::NoMatch, detail)
}

/// One error per kind of record problem, quoting the first record of each kind.
fn record_problems(entries: &[Entry]) -> Vec<DaneFinding> {
    let mut findings: Vec<(DaneFinding, usize)> = Vec::new();
    for entry in entries {
        let Err(problem) = &entry.read else { continue };
        match findings.iter_mut().find(|(f, _)| f.kind == problem.kind) {
            Some((_, count)) => *count += 1,
            None => findings.push((
                DaneFinding::new(
                    problem.kind,
                    format!("{}: {}", parse::quoted(&entry.text), problem.detail),
                ),
                0,
            )),
        }
    }
    findings
        .into_iter()
        .map(|(mut finding, more)| {
            if more > 0 {
                finding
                    .detail
                    .push_str(&format!(" (and {more} more records)"));
            }
            finding
        })
        .collect()
}

/// A domain's DANE across its MX hosts' verdicts, over the hosts that published TLSA
/// records: `n/a` when none did (or there is no host); `some` or `none` when one is
/// `fail` or `unusable` (as some host is `ok` or not); otherwise `unknown` when a
/// host's verdict is not known, and `all` when every one is `ok`. A host whose verdict
/// is not known is never counted as failing, nor as passing.
pub fn rollup<'a>(hosts: impl IntoIterator<Item = &'a HostDane>) -> DaneRollup {
    let published: Vec<DaneStatus> = hosts
        .into_iter()
        .map(|host| host.status)
        .filter(|status| *status != DaneStatus::None)
        .collect();
    let any = |wanted: &[DaneStatus]| published.iter().any(|s| wanted.contains(s));
    if published.is_empty() {
        DaneRollup::NotApplicable
    } else if any(&[DaneStatus::Fail, DaneStatus::Unusable]) {
        if any(&[DaneStatus::Ok]) {
            DaneRollup::Some
        } else {
            DaneRollup::None
        }
    } else if any(&[DaneStatus::Unknown]) {
        DaneRollup::Unknown
    } else {
        DaneRollup::All
    }
}

/// The presented chain, end-entity first, each certificate parsed once.
struct Chain<'a> {
    certs: Vec<Presented<'a>>,
}

struct Presented<'a> {
    der: &'a [u8],
    /// `None` when the certificate does not parse: its SPKI cannot be selected, and no
    /// link through it can be verified.
    parsed: Option<X509Certificate<'a>>,
}

impl<'a> Chain<'a> {
    fn new(chain: &'a [CertificateDer<'static>]) -> Self {
        let certs = chain
            .iter()
            .map(|der| Presented {
                der: der.as_ref(),
                parsed: X509Certificate::from_der(der.as_ref())
                    .ok()
                    .map(|(_, cert)| cert),
            })
            .collect();
        Self { certs }
    }

    /// Whether `association` authenticates this chain for one of `names` (the reference
    /// identifiers) at `now`, or why not.
    fn matches(
        &self,
        association: &Association,
        names: &[&str],
        now: SystemTime,
    ) -> Result<(), String> {
        match association.usage {
            Usage::DaneEe => self.matches_ee(association),
            Usage::DaneTa => self.matches_ta(association, names, now),
        }
    }

    /// RFC 7672 §3.1.1 and §3.2.1: DANE-EE(3) binds the key to the name by itself; the
    /// leaf's names and validity dates are not checked.
    fn matches_ee(&self, association: &Association) -> Result<(), String> {
        let leaf = &self.certs[0];
        match leaf.selected(association.selector) {
            Some(bytes) if digest_matches(association, bytes) => Ok(()),
            Some(bytes) => Err(format!(
                "not the leaf's {} (its {} is {})",
                part(association.selector),
                algorithm(association.matching),
                parse::quoted_hex(&digest_of(association.matching, bytes))
            )),
            None => Err("the leaf certificate cannot be parsed".to_owned()),
        }
    }

    /// RFC 7672 §3.1.2 and RFC 7671 §5.2.2: a DANE-TA(2) record names a certificate the
    /// server must send in its chain; the chain must lead from the leaf up to it, and the
    /// leaf must be valid for the host (§3.2.2, §3.2.3). The leaf may itself be the trust
    /// anchor. Each certificate that matches is tried as the anchor.
    fn matches_ta(
        &self,
        association: &Association,
        names: &[&str],
        now: SystemTime,
    ) -> Result<(), String> {
        let mut first_miss = None;
        for (depth, cert) in self.certs.iter().enumerate() {
            if !cert
                .selected(association.selector)
                .is_some_and(|bytes| digest_matches(association, bytes))
            {
                continue;
            }
            match self.anchored_at(depth, names, now) {
                Ok(()) => return Ok(()),
                Err(why) => {
                    first_miss.get_or_insert_with(|| {
                        format!("matched the certificate at depth {depth} but {why}")
                    });
                }
            }
        }
        Err(first_miss.unwrap_or_else(|| {
            format!(
                "matches no certificate of the presented chain ({} certificates; the trust \
                 anchor must be sent, RFC 7671 §5.2.2)",
                self.certs.len()
            )
        }))
    }

    /// Whether the chain from the leaf up to the certificate at `depth`, taken as trust
    /// anchor, is valid for one of `hosts` at `now`.
    ///
    /// RFC 7672 §3.2.2 asks for name checks and says nothing of expiry for DANE-TA(2)
    /// (§3.1.1 waives it only for DANE-EE(3)); RFC 6698 §2.1.1 has the chain pass PKIX
    /// path validation with the record as trust anchor, which checks the validity dates of
    /// every certificate below the anchor (RFC 5280 §6.1.3) but not the anchor's own,
    /// which is a name and a key only (RFC 5280 §6.1.1).
    fn anchored_at(&self, depth: usize, hosts: &[&str], now: SystemTime) -> Result<(), String> {
        let parsed = |i: usize| {
            self.certs[i]
                .parsed
                .as_ref()
                .ok_or_else(|| format!("the certificate at depth {i} cannot be parsed"))
        };
        for i in 0..depth {
            let (child, issuer) = (parsed(i)?, parsed(i + 1)?);
            if child.verify_signature(Some(issuer.public_key())).is_err() {
                return Err(format!(
                    "the certificate at depth {i} is not signed by the one at depth {}",
                    i + 1
                ));
            }
        }
        let now = OffsetDateTime::from(now);
        for i in 0..depth {
            let validity = parsed(i)?.validity();
            let (not_before, not_after) = (
                validity.not_before.to_datetime(),
                validity.not_after.to_datetime(),
            );
            if now > not_after {
                return Err(format!(
                    "the certificate at depth {i} expired on {}",
                    not_after.date()
                ));
            }
            if now < not_before {
                return Err(format!(
                    "the certificate at depth {i} is not valid before {}",
                    not_before.date()
                ));
            }
        }
        let names = leaf_names(parsed(0)?)?;
        if names
            .iter()
            .any(|name| hosts.iter().any(|host| mx_matches(name, host)))
        {
            return Ok(());
        }
        let host = hosts.join(" or ");
        let mut quoted: Vec<String> = names.iter().take(QUOTED_NAMES).map(|n| clip(n)).collect();
        if names.len() > QUOTED_NAMES {
            quoted.push(format!("{} more", names.len() - QUOTED_NAMES));
        }
        Err(if quoted.is_empty() {
            format!("the leaf names no host, so it is not valid for {host}")
        } else {
            format!(
                "the leaf is not valid for {host} (it names {})",
                quoted.join(", ")
            )
        })
    }
}

impl Presented<'_> {
    /// The part of the certificate a record's selector names.
    fn selected(&self, selector: Selector) -> Option<&[u8]> {
        match selector {
            Selector::Cert => Some(self.der),
            Selector::Spki => self.parsed.as_ref().map(|cert| cert.public_key().raw),
        }
    }
}

/// The names a DANE-TA(2) leaf is checked with (RFC 7672 §3.2.3): its DNS-IDs (DNS
/// names of the subjectAltName), or, only when it has none, its subject CNs.
fn leaf_names(leaf: &X509Certificate<'_>) -> Result<Vec<String>, String> {
    let san = leaf
        .subject_alternative_name()
        .map_err(|_| "the leaf's subjectAltName cannot be read".to_owned())?;
    let dns_ids: Vec<String> = san
        .iter()
        .flat_map(|ext| ext.value.general_names.iter())
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            _ => None,
        })
        .collect();
    if !dns_ids.is_empty() {
        return Ok(dns_ids);
    }
    Ok(leaf
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_owned))
        .collect())
}

fn digest_of(matching: Matching, bytes: &[u8]) -> Vec<u8> {
    match matching {
        Matching::Full => bytes.to_vec(),
        Matching::Sha256 => digest::digest(&digest::SHA256, bytes).as_ref().to_vec(),
        Matching::Sha512 => digest::digest(&digest::SHA512, bytes).as_ref().to_vec(),
    }
}

fn digest_matches(association: &Association, bytes: &[u8]) -> bool {
    digest_of(association.matching, bytes) == association.data
}

fn part(selector: Selector) -> &'static str {
    match selector {
        Selector::Cert => "certificate",
        Selector::Spki => "SPKI",
    }
}

fn algorithm(matching: Matching) -> &'static str {
    match matching {
        Matching::Full => "DER",
        Matching::Sha256 => "SHA2-256",
        Matching::Sha512 => "SHA2-512",
    }
}

/// `text` cut to [`QUOTED_CHARS`] characters, marked with `…` when cut.
fn clip(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
