//! The remedy of every finding kind: one exhaustive match per part, so that a new kind
//! does not compile until it has one.
//!
//! Each fix says what a mail administrator changes, in a sentence or two; the cite names
//! the section the rule rests on, checked against the specification's text. Where a
//! finding is a failure to measure (a temperror, a host not reached), the fix says so.

use super::{Remedy, State, Subject};
use crate::bimi::BimiFindingKind;
use crate::dane::DaneFindingKind;
use crate::dkim::DkimFindingKind;
use crate::dmarc::FindingKind as DmarcKind;
use crate::mta_sts::StsFindingKind;
use crate::mx::MxFindingKind;
use crate::spf::tree::FindingKind as SpfKind;
use crate::tls_rpt::RptFindingKind;

/// What to do about `subject`, and the section that says so.
pub fn remedy(subject: Subject) -> Remedy {
    let (fix, cite) = match subject {
        Subject::Spf(k) => spf(k),
        Subject::Dmarc(k) => dmarc(k),
        Subject::Mx(k) => mx(k),
        Subject::MtaSts(k) => mta_sts(k),
        Subject::TlsRpt(k) => tls_rpt(k),
        Subject::Dane(k) => dane(k),
        Subject::Dkim(k) => dkim(k),
        Subject::Bimi(k) => bimi(k),
        Subject::State(s) => state(s),
    };
    Remedy { fix, cite }
}

type Entry = (&'static str, &'static str);

fn spf(kind: SpfKind) -> Entry {
    match kind {
        SpfKind::MultipleRecords => (
            "Merge the SPF records into one TXT record beginning \"v=spf1\" and delete the others.",
            "RFC 7208 §3.2",
        ),
        SpfKind::Syntax => (
            "Correct the term the detail names: one syntax error anywhere makes the whole record a permerror.",
            "RFC 7208 §4.6",
        ),
        SpfKind::TooManyLookups => (
            "Flatten or drop includes until the tree needs at most 10 DNS lookups; the detail names the term that made the 11th.",
            "RFC 7208 §4.6.4",
        ),
        SpfKind::TooManyVoidLookups => (
            "Remove the terms whose names do not exist or have no records; at most two may find nothing, and the detail names the 3rd.",
            "RFC 7208 §4.6.4",
        ),
        SpfKind::DanglingInclude => (
            "Remove the include whose domain has no SPF record, or point it at the provider's current SPF domain.",
            "RFC 7208 §5.2",
        ),
        SpfKind::RedirectMissing => (
            "Point redirect= at a domain that publishes an SPF record, or replace it with the domain's own terms and an all.",
            "RFC 7208 §6.1",
        ),
        SpfKind::IncludeLoop => (
            "Remove the include or redirect that leads back to a domain already on its path.",
            "RFC 7208 §4.6.4",
        ),
        SpfKind::TooManyMxNames => (
            "Replace the mx term the detail names with ip4, ip6 or a terms: its domain has more than 10 MX names.",
            "RFC 7208 §4.6.4",
        ),
        SpfKind::Temperror => (
            "Run the check again; if the lookup keeps failing, check that every authoritative server of the zone named in the detail answers.",
            "RFC 7208 §4.4",
        ),
        SpfKind::PassAll => (
            "Replace +all with -all (or ~all while testing) once every host that sends for the domain is listed.",
            "RFC 7208 §5.1",
        ),
        SpfKind::NeutralAll => (
            "End the record in -all, or ~all while testing, so that receivers can tell forged mail from the domain's own.",
            "RFC 7208 §2.1",
        ),
        SpfKind::NoAll => (
            "End the record with -all (or ~all while testing), or a redirect=, so that unlisted hosts do not get a neutral result.",
            "RFC 7208 §4.7",
        ),
        SpfKind::PtrUsed => (
            "Replace the ptr term with ip4, ip6, a or mx terms for the hosts it was meant to cover.",
            "RFC 7208 §5.5",
        ),
        SpfKind::BroadRange => (
            "Narrow the range the detail names to the addresses that really send the domain's mail.",
            "RFC 7208 §5.6",
        ),
        SpfKind::RecordTooLong => (
            "Shorten the record below 450 octets, e.g. by moving ranges into an include of the domain's own, so that its answer fits UDP.",
            "RFC 7208 §3.4",
        ),
        SpfKind::TermsAfterAll => (
            "Move the terms before the all term, or delete them: receivers never evaluate what follows all.",
            "RFC 7208 §5.1",
        ),
        SpfKind::RedirectIgnored => (
            "Remove either the all term or the redirect=: while the record has an all term, receivers ignore the redirect.",
            "RFC 7208 §5.1",
        ),
        SpfKind::UnexpandableMacro => (
            "Replace macros that need the client IP, sender or HELO name with fixed names where possible, so that the lookups can be counted in advance.",
            "RFC 7208 §7.2",
        ),
        SpfKind::WalkTruncated => (
            "Cut the tree's DNS-querying terms down to at most 10; past 40 the walk stopped querying, so the count shown is a floor.",
            "RFC 7208 §4.6.4",
        ),
    }
}

fn dmarc(kind: DmarcKind) -> Entry {
    match kind {
        DmarcKind::NotDmarcRecord => (
            "Begin the record with exactly \"v=DMARC1;\", with nothing before it.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::MalformedTag => (
            "Write every tag as name=value with a non-empty value, and separate tags with \";\".",
            "RFC 9989 §4.8",
        ),
        DmarcKind::DuplicateTag => (
            "Keep one of each tag: a tag given twice makes the whole record invalid.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::MissingPolicy => (
            "Add p=none, p=quarantine or p=reject right after \"v=DMARC1;\".",
            "RFC 7489 §6.3",
        ),
        DmarcKind::PolicyNotSecond => (
            "Move the p tag right after \"v=DMARC1;\": RFC 7489 receivers find no policy elsewhere.",
            "RFC 7489 §6.4",
        ),
        DmarcKind::InvalidTagValue => (
            "Change the value to one its tag allows (the detail gives the rule); receivers otherwise use a default or drop the policy.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::UnknownTag => (
            "Correct the tag's spelling or remove it: receivers ignore tags they do not know.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::HistoricTag => (
            "Remove pct, rf and ri, which RFC 9989 receivers ignore; to test a policy use t=y instead of pct.",
            "RFC 9989 §9.3",
        ),
        DmarcKind::NewTag => (
            "Make p and sp say what RFC 7489 receivers should do too: they ignore np, psd and t.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::InvalidUri => (
            "Write each report address as a URI, e.g. mailto:dmarc@example.com, with any \"!\" or \",\" inside it as %21 or %2C.",
            "RFC 9989 §4.8",
        ),
        DmarcKind::NonMailtoUri => (
            "Give a mailto: URI for the reports: receivers need support no other scheme.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::InvalidMailtoAddress => (
            "Put a complete e-mail address after mailto:, e.g. mailto:dmarc-reports@example.com.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::ObsoleteSizeLimit => (
            "Remove the \"!size\" suffix from the report URI: RFC 9989 reporters ignore it.",
            "RFC 9989 §4.8",
        ),
        DmarcKind::FoWithoutRuf => (
            "Add a ruf tag for failure reports, or remove fo, which does nothing without one.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::MultipleRecords => (
            "Publish exactly one v=DMARC1 TXT record at the _dmarc name; merge or delete the others.",
            "RFC 9989 §4.10",
        ),
        DmarcKind::Temperror => (
            "Run the check again; if the lookup keeps failing, check that every authoritative server of the zone answers for the _dmarc name.",
            "RFC 9989 §4.10.1",
        ),
        DmarcKind::UnauthorizedDestination => (
            "Have the report domain publish \"v=DMARC1\" at <policy domain>._report._dmarc.<its domain>, or remove the address.",
            "RFC 7489 §7.1",
        ),
        DmarcKind::DestinationUnchecked => (
            "List at most two report addresses per tag, and run the check again if a destination's lookup failed.",
            "RFC 7489 §6.2",
        ),
        DmarcKind::PNone => (
            "Once aggregate reports show all legitimate mail passing, move to p=quarantine and then p=reject.",
            "RFC 9989 §5.1.7",
        ),
        DmarcKind::NoRua => (
            "Add rua=mailto:<mailbox> so that receivers send aggregate reports of who sends as the domain.",
            "RFC 9989 §5.1.3",
        ),
        DmarcKind::SpWeakerThanP => (
            "Raise sp to p's policy, or remove sp so that subdomains get p.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::NpWeakerThanP => (
            "Raise np to at least p's policy, or remove it: non-existent subdomains send no legitimate mail.",
            "RFC 9989 §4.7",
        ),
        DmarcKind::PctBelow100 => (
            "Remove pct (or set pct=100) so that RFC 7489 receivers apply the policy to all failing mail.",
            "RFC 7489 §6.3",
        ),
        DmarcKind::TestMode => (
            "Remove t=y (or set t=n) once the policy is tested, so that receivers apply it in full.",
            "RFC 9989 §4.7",
        ),
    }
}

fn mx(kind: MxFindingKind) -> Entry {
    match kind {
        MxFindingKind::DanglingMx => (
            "Give the host an A or AAAA record, or remove the MX record that names it.",
            "RFC 5321 §5.1",
        ),
        MxFindingKind::CnameMx => (
            "Point the MX record at the host's own name (the alias's target), not at an alias.",
            "RFC 5321 §5.1",
        ),
        MxFindingKind::IpLiteralMx => (
            "Replace the address in the MX record with a host name whose A or AAAA record gives that address.",
            "RFC 5321 §5.1",
        ),
        MxFindingKind::Temperror => (
            "Run the check again; if the lookup keeps failing, check that every authoritative server of the zone answers MX, A and AAAA queries.",
            "RFC 5321 §5.1",
        ),
        MxFindingKind::NullMxMixed => (
            "Delete the other MX records if the domain takes no mail, or the null MX (MX 0 .) if it does.",
            "RFC 7505 §3",
        ),
        MxFindingKind::NullMxSpf => (
            "Publish \"v=spf1 -all\" if the domain sends no mail; if it does, replace the null MX, since receivers may reject its mail.",
            "RFC 7505 §4.2",
        ),
        MxFindingKind::NoMailHost => (
            "Publish MX records for the hosts that take the domain's mail, or a null MX (MX 0 .) if it takes none.",
            "RFC 7505 §3",
        ),
        MxFindingKind::TooManyHosts => (
            "Trim the MX records to the hosts that really take the domain's mail; only the first ones by preference were looked up.",
            "RFC 5321 §5.1",
        ),
    }
}

fn mta_sts(kind: StsFindingKind) -> Entry {
    match kind {
        StsFindingKind::Temperror => (
            "Run the check again; if it keeps failing, check that the zone's authoritative servers answer and that the policy host serves HTTPS.",
            "RFC 8461 §3.3",
        ),
        StsFindingKind::MultipleRecords => (
            "Publish exactly one v=STSv1 TXT record at _mta-sts.<domain> and delete the others.",
            "RFC 8461 §3.1",
        ),
        StsFindingKind::RecordSyntax => (
            "Write the record as \"v=STSv1; id=<1 to 32 letters or digits>\", with v first.",
            "RFC 8461 §3.1",
        ),
        StsFindingKind::NoPolicy => (
            "Serve the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt, or remove the _mta-sts record.",
            "RFC 8461 §3.2",
        ),
        StsFindingKind::PolicyFetchFailed => (
            "Serve the policy over HTTPS with a valid certificate for mta-sts.<domain>, status 200 and no redirect; the detail names what failed.",
            "RFC 8461 §3.3",
        ),
        StsFindingKind::PolicySyntax => (
            "Write the policy as CRLF-ended lines version: STSv1, mode, max_age and one mx line per MX host pattern.",
            "RFC 8461 §3.2",
        ),
        StsFindingKind::WouldFail => (
            "Add mx patterns for every MX host and give each a valid certificate, or set mode: testing until they are in place.",
            "RFC 8461 §5",
        ),
        StsFindingKind::TestingWouldFail => (
            "Before switching to mode: enforce, add mx patterns for every MX host and give each a valid certificate.",
            "RFC 8461 §5",
        ),
        StsFindingKind::ShortMaxAge => (
            "Raise max_age to weeks (e.g. 1209600 for 14 days), so that a cached policy outlives an attack on the next fetch.",
            "RFC 8461 §3.2",
        ),
        StsFindingKind::DuplicateField => (
            "Keep one line for each field: senders use the first and ignore the rest.",
            "RFC 8461 §3.2",
        ),
        StsFindingKind::PolicyWithoutRecord => (
            "Publish \"v=STSv1; id=<id>\" at _mta-sts.<domain> so that senders fetch the policy, or stop serving it.",
            "RFC 8461 §3",
        ),
    }
}

fn tls_rpt(kind: RptFindingKind) -> Entry {
    match kind {
        RptFindingKind::Temperror => (
            "Run the check again; if the lookup keeps failing, check that every authoritative server of the zone answers for _smtp._tls names.",
            "RFC 8460 §3",
        ),
        RptFindingKind::MultipleRecords => (
            "Publish exactly one v=TLSRPTv1 TXT record at _smtp._tls.<domain> and delete the others.",
            "RFC 8460 §3",
        ),
        RptFindingKind::Syntax => (
            "Write the record as \"v=TLSRPTv1; rua=mailto:<mailbox>\" (or an https: URI), with v first.",
            "RFC 8460 §3",
        ),
        RptFindingKind::Missing => (
            "Publish \"v=TLSRPTv1; rua=mailto:<mailbox>\" at _smtp._tls.<domain> to receive reports of senders' TLS failures.",
            "RFC 8460 §3",
        ),
    }
}

fn dane(kind: DaneFindingKind) -> Entry {
    match kind {
        DaneFindingKind::Temperror => (
            "Run the check again through a validating resolver; if it keeps failing, check that the zone's authoritative servers answer TLSA queries.",
            "RFC 7672 §2.1.2",
        ),
        DaneFindingKind::Bogus => (
            "Repair the DNSSEC signatures of the zone holding the TLSA records (re-sign it, or correct its DS at the parent).",
            "RFC 7672 §2.1.1",
        ),
        DaneFindingKind::NoMatch => (
            "Publish a TLSA record for the host's current certificate or key (e.g. 3 1 1 of its public key), keeping the old one until caches expire.",
            "RFC 7672 §3.2",
        ),
        DaneFindingKind::NoStarttls => (
            "Enable STARTTLS on the host, or remove its TLSA records: they commit senders to TLS.",
            "RFC 7672 §2.2",
        ),
        DaneFindingKind::NotProbed => (
            "Run the check again with the host's port 25 reachable, so that its certificate chain can be matched against the TLSA records.",
            "RFC 7672 §3.2",
        ),
        DaneFindingKind::InsecureTlsa => (
            "Sign the zone holding the TLSA records with DNSSEC and publish its DS at the parent: senders ignore unsigned TLSA records.",
            "RFC 7672 §2.2",
        ),
        DaneFindingKind::InsecureMx => (
            "Sign the domain's zone with DNSSEC and publish its DS at the parent, so that its MX records are secure.",
            "RFC 7672 §2.2.1",
        ),
        DaneFindingKind::UnusableUsage => (
            "Replace the usage 0 or 1 record with a DANE-EE (3 1 1) or DANE-TA (2 1 1) record.",
            "RFC 7672 §3.1.3",
        ),
        DaneFindingKind::BadLength => (
            "Recompute the record's data: a SHA2-256 digest (matching type 1) is 32 octets, SHA2-512 (2) is 64, and full data is never empty.",
            "RFC 6698 §2.1.3",
        ),
        DaneFindingKind::UnknownParameter => (
            "Use a defined usage (2 or 3 for SMTP), selector (0 or 1) and matching type (0, 1 or 2).",
            "RFC 6698 §2.1",
        ),
        DaneFindingKind::SingleRecord => (
            "Publish the next key's or certificate's TLSA record beside the current one, at least two TTLs before the change.",
            "RFC 7671 §8.1",
        ),
    }
}

fn dkim(kind: DkimFindingKind) -> Entry {
    match kind {
        DkimFindingKind::Temperror => (
            "Run the check again; if the lookup keeps failing, check that every authoritative server of the zone answers for _domainkey names.",
            "RFC 6376 §6.1.2",
        ),
        DkimFindingKind::MultipleRecords => (
            "Publish exactly one key record at the selector; give other keys their own selectors.",
            "RFC 6376 §6.1.2",
        ),
        DkimFindingKind::Syntax => (
            "Write the record as tag=value pairs separated by \";\", each tag once: verifiers discard a broken record.",
            "RFC 6376 §3.2",
        ),
        DkimFindingKind::VersionNotFirst => (
            "Move v=DKIM1 to the start of the record, or remove it.",
            "RFC 6376 §3.6.1",
        ),
        DkimFindingKind::BadVersion => (
            "Set v=DKIM1 or remove the v tag: verifiers discard records of another version.",
            "RFC 6376 §3.6.1",
        ),
        DkimFindingKind::MissingP => (
            "Add p= with the base64 public key, or an empty p= to revoke the selector.",
            "RFC 6376 §3.6.1",
        ),
        DkimFindingKind::BadKey => (
            "Publish the public key exported by the signer, base64 of its SubjectPublicKeyInfo, whole and of the type k= names.",
            "RFC 6376 §3.6.1",
        ),
        DkimFindingKind::WeakKey => (
            "Generate an RSA key of 2048 bits or more, sign with it under a new selector, and revoke this one.",
            "RFC 8301 §3.2",
        ),
        DkimFindingKind::UnknownKeyType => (
            "Set k=rsa or k=ed25519 to match the key in p=.",
            "RFC 6376 §3.6.1",
        ),
        DkimFindingKind::ShortKey => (
            "Move to an RSA key of at least 2048 bits under a new selector at the next key rotation.",
            "RFC 8301 §3.2",
        ),
        DkimFindingKind::Revoked => (
            "Delete the record once no mail signed with this selector is in transit, or publish a key if the selector is still used.",
            "RFC 6376 §3.6.1",
        ),
        DkimFindingKind::Testing => (
            "Remove t=y once signing works, so that verifiers treat the domain's signatures as real.",
            "RFC 6376 §3.6.1",
        ),
        DkimFindingKind::Pkcs1Key => (
            "Publish the key as a SubjectPublicKeyInfo (as \"openssl rsa -pubout\" writes it), which verifiers accept.",
            "RFC 6376 §3.6.1",
        ),
    }
}

fn bimi(kind: BimiFindingKind) -> Entry {
    match kind {
        BimiFindingKind::Temperror => (
            "Run the check again; if the lookup keeps failing, check that every authoritative server of the zone answers for _bimi names.",
            "BIMI draft §7.2",
        ),
        BimiFindingKind::MultipleRecords => (
            "Publish exactly one v=BIMI1 record at <selector>._bimi.<domain> and delete the others.",
            "BIMI draft §7.2",
        ),
        BimiFindingKind::Syntax => (
            "Write the record as \"v=BIMI1; l=https://<host>/<logo>.svg\", plus a= for the evidence, each tag once.",
            "BIMI draft §4.2",
        ),
        BimiFindingKind::NotHttps => (
            "Serve the indicator and the evidence document over HTTPS and give their https: URIs in l= and a=.",
            "BIMI draft §4.2",
        ),
        BimiFindingKind::NoLocation => (
            "Give the indicator's https: URI in l=, or leave both l= and a= empty to decline to publish one.",
            "BIMI draft §4.2.1",
        ),
        BimiFindingKind::NoEnforcement => (
            "Move the domain's DMARC policy to p=quarantine or p=reject, with no sp=none and no pct below 100.",
            "BIMI draft §7.1",
        ),
        BimiFindingKind::DmarcUnknown => (
            "Run the check again; if the DMARC lookup keeps failing, check that the zone's authoritative servers answer for _dmarc names.",
            "BIMI draft §7.1",
        ),
    }
}

fn state(state: State) -> Entry {
    match state {
        State::SpfMissing => (
            "Publish one TXT record at the domain listing its senders and ending in -all, or \"v=spf1 -all\" if it sends no mail.",
            "RFC 7208 §2.1",
        ),
        State::DmarcMissing => (
            "Publish \"v=DMARC1; p=none; rua=mailto:<mailbox>\" at _dmarc.<domain>, then tighten p as the reports allow.",
            "RFC 9989 §5.1.4",
        ),
        State::StarttlsNotOffered => (
            "Give the host a certificate and enable STARTTLS (in Postfix, smtpd_tls_security_level = may), so that EHLO offers it.",
            "RFC 3207 §2",
        ),
        State::StarttlsFailed => (
            "Fix the host's TLS set-up (certificate, key, protocol versions, ciphers); the detail names the phase and the error.",
            "RFC 3207 §4",
        ),
        State::StarttlsNotReached => (
            "Nothing is known about TLS here: run the check again, and check that port 25 of the host accepts connections and greets in time.",
            "RFC 5321 §3.1",
        ),
        State::CertificateUntrusted => (
            "Install a certificate from a public CA with its intermediates, so that the chain leads to a trusted root.",
            "RFC 8461 §4.2",
        ),
        State::CertificateWrongName => (
            "Use a certificate whose subject alternative names include the MX host name.",
            "RFC 8461 §4.2",
        ),
        State::CertificateExpired => (
            "Renew the host's certificate, install it with its chain, and automate renewal so that it does not lapse again.",
            "RFC 8461 §4.2",
        ),
        State::DnssecBogus => (
            "Repair the zone's DNSSEC: re-sign it, or make the DS records at the parent match its keys (or remove them if it is no longer signed).",
            "RFC 7672 §2.1.1",
        ),
    }
}

#[cfg(test)]
mod tests {
    use strum::VariantArray as _;

    use super::*;

    /// Every finding kind of every part, with its part's name.
    fn every_subject() -> Vec<(&'static str, Subject)> {
        let mut all = Vec::new();
        fn add<K: Copy>(
            all: &mut Vec<(&'static str, Subject)>,
            part: &'static str,
            kinds: &[K],
            subject: fn(K) -> Subject,
        ) {
            all.extend(kinds.iter().map(|&k| (part, subject(k))));
        }
        add(&mut all, "spf", SpfKind::VARIANTS, Subject::Spf);
        add(&mut all, "dmarc", DmarcKind::VARIANTS, Subject::Dmarc);
        add(&mut all, "mx", MxFindingKind::VARIANTS, Subject::Mx);
        add(
            &mut all,
            "mta_sts",
            StsFindingKind::VARIANTS,
            Subject::MtaSts,
        );
        add(
            &mut all,
            "tls_rpt",
            RptFindingKind::VARIANTS,
            Subject::TlsRpt,
        );
        add(&mut all, "dane", DaneFindingKind::VARIANTS, Subject::Dane);
        add(&mut all, "dkim", DkimFindingKind::VARIANTS, Subject::Dkim);
        add(&mut all, "bimi", BimiFindingKind::VARIANTS, Subject::Bimi);
        add(&mut all, "state", State::VARIANTS, Subject::State);
        all
    }

    /// `RFC 7208 §4.6.4` or `BIMI draft §7.1`: a four-digit RFC number or the BIMI draft,
    /// then a section of dot-separated numbers.
    fn is_cite(cite: &str) -> bool {
        let section = if let Some(rest) = cite.strip_prefix("RFC ") {
            let Some((number, section)) = rest.split_once(" §") else {
                return false;
            };
            if number.len() != 4 || !number.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            section
        } else if let Some(section) = cite.strip_prefix("BIMI draft §") {
            section
        } else {
            return false;
        };
        section
            .split('.')
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    #[test]
    fn cite_form() {
        for good in ["RFC 7208 §4.6.4", "RFC 8461 §5", "BIMI draft §4.2.1"] {
            assert!(is_cite(good), "{good}");
        }
        for bad in [
            "",
            "RFC 7208",
            "RFC 7208 §",
            "RFC 7208 §4.",
            "RFC 7208 §.4",
            "RFC 7208 §4..6",
            "RFC 720 §4.6",
            "RFC 72080 §4.6",
            "RFC 7208 §4.6 ",
            "RFC 7208 §A.1",
            "rfc 7208 §4.6",
            "BIMI draft §",
            "BIMI §7.1",
            "RFC 7208 §4.6, RFC 7489 §6.3",
        ] {
            assert!(!is_cite(bad), "{bad:?}");
        }
    }

    #[test]
    fn every_kind_has_a_remedy() {
        let all = every_subject();
        // One per variant: nothing left out of the list above.
        assert_eq!(
            all.len(),
            SpfKind::VARIANTS.len()
                + DmarcKind::VARIANTS.len()
                + MxFindingKind::VARIANTS.len()
                + StsFindingKind::VARIANTS.len()
                + RptFindingKind::VARIANTS.len()
                + DaneFindingKind::VARIANTS.len()
                + DkimFindingKind::VARIANTS.len()
                + BimiFindingKind::VARIANTS.len()
                + State::VARIANTS.len()
        );
        for (part, subject) in all {
            let r = remedy(subject);
            let what = format!("{part} {}: {r}", subject.kind());
            assert!(!r.fix.trim().is_empty(), "{what}");
            assert!(r.fix.ends_with('.'), "no full stop: {what}");
            assert!(r.fix.chars().count() <= 220, "too long: {what}");
            assert_eq!(r.fix, r.fix.trim(), "{what}");
            assert!(is_cite(r.cite), "cite: {what}");
        }
    }

    /// Kinds of one part whose fixes may be word for word the same.
    const SHARED: &[(Subject, Subject)] = &[];

    #[test]
    fn no_two_kinds_of_a_part_share_a_fix() {
        let all = every_subject();
        for (i, &(part, a)) in all.iter().enumerate() {
            for &(other, b) in &all[i + 1..] {
                if part != other || remedy(a).fix != remedy(b).fix {
                    continue;
                }
                assert!(
                    SHARED.contains(&(a, b)) || SHARED.contains(&(b, a)),
                    "{part}: {} and {} share their fix",
                    a.kind(),
                    b.kind()
                );
            }
        }
    }
}
