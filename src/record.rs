//! The per-domain record, one JSON object per line of `results.jsonl`, and the form of
//! every time it and `scan.json` hold (RFC 3339 UTC, whole seconds).
//!
//! # Format
//!
//! Field names are a public interface: fields may be added; renaming or removing one
//! bumps [`SCHEMA`].
//!
//! ```text
//! schema        integer, 1
//! domain        the scanned name: ASCII, lower-case, A-labels, no trailing dot
//! scanned_at    RFC 3339 UTC time the domain's scan finished
//! elapsed_ms    wall time spent on the domain (its last attempt)
//! attempts      1, or the `--retry-temperror` pass that produced the record
//! spf           status  none | ok | permerror | temperror
//!               record  the domain's SPF record, or null
//!               errors  [{kind, detail, target?}] in evaluation order; the first decides status.
//!                       kinds: multiple_records syntax too_many_lookups too_many_void_lookups
//!                       dangling_include redirect_missing include_loop too_many_mx_names temperror
//!               warnings [{kind, detail}]: pass_all neutral_all no_all ptr_used broad_range
//!                       record_too_long terms_after_all redirect_ignored unexpandable_macro
//!                       walk_truncated
//!               lookups       DNS-querying terms in the tree (RFC 7208 §4.6.4), worst case
//!               void_lookups  of those, the ones that found nothing
//!               all           effective all term: "-all" "~all" "?all" "+all", or null
//!               dangling_includes  include targets without an SPF record
//!               ip4_addresses IPv4 addresses authorised by ip4 terms in the tree
//!               tree          {domain, via: root|include|redirect, term, record, all, lookups,
//!                              void_lookups, cumulative_lookups, limit_passed_by (the
//!                              term that is lookup 11, on that node only), errors, warnings,
//!                              ip4_addresses, children: [...]}
//! dmarc         status  none | ok | invalid (records at fault) | temperror
//!               record  the record that covers the domain, or null
//!               records every v=DMARC1 record at the name it came from (2+ is a fault)
//!               source  domain | organizational | null;  policy_domain  where it was found
//!               organizational_domain  by RFC 9989 §4.10.2
//!               policy  what RFC 9989 receivers apply to the domain: none | quarantine |
//!                       reject | null (no DMARC processing)
//!               p sp np effective values, defaults filled in;  pct (RFC 7489, default 100)
//!               t adkim aspf fo psd;  testing  pct < 100 or t=y
//!               rua ruf [{uri, scheme, valid, address, domain, size_limit, external,
//!                       authorized: true | false | null}]
//!               errors [{kind, detail, tag?, value?}]  kinds: multiple_records temperror
//!                       invalid_tag_value duplicate_tag missing_policy malformed_tag
//!                       policy_not_second (RFC 7489) invalid_uri invalid_mailto_address
//!               warnings [{kind, detail, tag?, value?}]  kinds: p_none no_rua
//!                       sp_weaker_than_p np_weaker_than_p pct_below_100 test_mode
//!                       unauthorized_destination destination_unchecked unknown_tag
//!                       historic_tag (pct rf ri, RFC 9989) new_tag (np psd t, RFC 7489)
//!                       policy_not_second (RFC 9989) non_mailto_uri obsolete_size_limit
//!                       fo_without_ruf
//!               discovery_differs  the two methods apply different records or policies
//!               discovery  null, or where the methods differ {rfc7489, rfc9989}:
//!                       {policy_domain, source, organizational_domain, queries, policy}
//! mx            status  none (no MX) | ok | null_mx (only "MX 0 .", RFC 7505) | temperror (the
//!                       MX query failed); trouble with one host is in that host's errors
//!               hosts   [{name, preference, addresses, errors}] by preference, then name;
//!                       name: lower-case, no trailing dot, "" for a null MX; addresses: the
//!                       host's A then AAAA addresses, ascending; errors [{kind, detail}]:
//!                       dangling_mx (no A and no AAAA: NXDOMAIN or NODATA, said in detail)
//!                       cname_mx (the name is an alias; addresses still listed)
//!                       ip_literal_mx (an address instead of a name; not looked up)
//!                       temperror (an A or AAAA lookup failed)
//!               implicit_mx  null, or when status is none {addresses}: the domain's own A and
//!                       AAAA addresses, where mail goes without MX (RFC 5321 §5.1)
//!               errors  [{kind, detail}]: temperror (the MX query, or the implicit MX's
//!                       address lookup), null_mx_mixed (a null MX among other MX, RFC 7505 §3)
//!               warnings [{kind, detail}]: null_mx_spf (null MX, SPF not "v=spf1 -all"),
//!                       no_mail_host (no MX and no address), too_many_hosts (only the first
//!                       32 hosts by preference were looked up)
//!               starttls  all | some | none | n/a over the probed hosts that answered
//!                       EHLO; null when probing is off
//!               hosts[].starttls  null when not probed, else {address, status: ok |
//!                       not_offered | handshake_failed | refused | timeout | protocol_error
//!                       | skipped, phase: connect | greeting | ehlo | starttls | handshake
//!                       | null, error, banner, advertised, tls_version, cipher, cert: null |
//!                       {valid, chain_valid, hostname_match, not_after, days_to_expiry,
//!                       expired, issuer, subject, self_signed, error}}; skipped: the
//!                       address is not public and was not connected to (error says
//!                       why, e.g. "not probed: 10.0.0.5 is private-use (RFC 1918);
//!                       --allow-nonpublic probes it"); like an unreachable host it
//!                       counts in no roll-up or figure
//!               dane    (null with --skip dane, and in records of scans before it existed)
//!                       all (every host publishing TLSA records matches them) | some | none
//!                       (a host fails or its records are unusable; some host ok, or none)
//!                       | unknown (published, none fails, some host's verdict not known;
//!                       or the MX lookup failed) | n/a (no host publishes TLSA records)
//!               hosts[].dane  null when not looked at (--skip dane, a host without an
//!                       address), else {status: none (no TLSA RRset) | ok (usable records,
//!                       and the chain the probe captured matches one) | fail (usable
//!                       records and no match, no STARTTLS or a failed handshake, or a
//!                       bogus TLSA answer) | unusable (records senders do not use: an
//!                       insecure RRset, an insecure MX RRset, usage 0/1, a bad digest
//!                       length, an unknown parameter) | unknown (the lookup failed, the
//!                       DNSSEC state is not known, or the host was not probed),
//!                       tlsa_name (_25._tcp.<host>), dnssec (of the TLSA answer),
//!                       records [{record ("3 1 1 <hex>"), usable, problem}], matched (the
//!                       record the chain matched, or null), errors [{kind, detail}]:
//!                       temperror bogus no_match no_starttls not_probed insecure_tlsa
//!                       insecure_mx unusable_usage bad_length unknown_parameter; warnings
//!                       [{kind, detail}]: single_record (one usable record, nothing to
//!                       roll over to, RFC 7671 §8.1)}
//! mta_sts       (null when --skip left it out, and in records of scans before it existed)
//!               status  none (no v=STSv1 TXT at _mta-sts.<domain>) | ok (a valid record and,
//!                       when fetched, a valid policy) | invalid (a record, but no usable
//!                       policy: several records, bad syntax, a policy not fetched or not
//!                       valid) | temperror (the TXT lookup or the fetch failed: DNS failure,
//!                       timeout)
//!               record  the v=STSv1 record, or null;  records  all of them when several
//!               id      the record's id
//!               fetch   null when not fetched (no usable record, --no-mta-sts), else {url,
//!                       status: ok | no_host | dns_temperror | not_public | connect |
//!                       timeout | tls | certificate | http_status | redirect | media_type |
//!                       too_large | encoding | protocol, error, address, http_status,
//!                       content_type, location (a 3xx's, never followed), cert (as
//!                       hosts[].starttls.cert, for mta-sts.<domain>)}
//!               policy  null, or {mode: enforce | testing | none, max_age, mx: [patterns]}
//!               holds   null without an active policy (none, invalid, mode none), else
//!                       holds (every MX host matched by a pattern and, probed, valid TLS
//!                       1.2+ for its name) | would_fail (a host unmatched or without valid
//!                       TLS: enforcing senders refuse it) | unverified (none fails, some
//!                       not known: not probed, probe unanswered, no MX hosts)
//!               hosts   [{name, pattern (the first matching one, or null), tls: valid |
//!                       invalid | unknown, detail}] in the MX part's order
//!               errors [{kind, detail}]  kinds: temperror multiple_records record_syntax
//!                       no_policy (no policy host, or 404) policy_fetch_failed
//!                       policy_syntax would_fail (mode enforce)
//!               warnings [{kind, detail}]  kinds: testing_would_fail short_max_age (under
//!                       a day) duplicate_field policy_without_record (check only)
//! tls_rpt       (null when --skip left it out, and in records of scans before it existed)
//!               status  none | ok | invalid (several records, bad syntax) | temperror
//!               record  the v=TLSRPTv1 record, or null;  records  all of them when several
//!               rua     [{uri, scheme: mailto | https, target (address or host)}]
//!               errors [{kind, detail}]  kinds: temperror multiple_records syntax
//!               warnings [{kind, detail}]  kinds: missing (an MTA-STS record is published,
//!                       TLS-RPT is not)
//! dnssec        (null in records of scans before it existed)
//!               status  secure | insecure | bogus | unknown: the validating resolver's
//!                       verdict (AD bit; SERVFAIL that CD answers is bogus) on the apex TXT
//!                       and MX answers together; unknown when it does not validate or a
//!                       question got no answer, never insecure
//!               validation  validating | not_validating | not_known: the scan's check of
//!                       the resolver (AD on the root's DNSKEY)
//!               parts   {spf, dmarc, mx, mta_sts, tls_rpt}: the state of the answer at each
//!                       part's own record name (TXT at the domain, at _dmarc.<domain>, MX,
//!                       TXT at _mta-sts. and _smtp._tls.<domain>); null when not asked
//! dkim          (null when not looked at: a scan's default without --dkim or a list's
//!               `selectors=`, --dkim off, --skip dkim; and in records of scans before it
//!               existed)
//!               status  found (a key record at a selector asked) | none (none among the
//!                       selectors asked, or _domainkey.<domain> is NXDOMAIN) | not_checked
//!                       (no selector asked) | temperror (the _domainkey question, or every
//!                       selector's, failed); never "the domain has no DKIM"
//!               domainkey  nxdomain (nothing beneath it, RFC 8020: no selector asked) |
//!                       exists | temperror
//!               selectors_asked, selectors_found  in the order asked
//!               keys    [{selector, name, cname (where a CNAME chain led, or null), record,
//!                       key_type: rsa | ed25519 | null, bits, revoked (empty p=), testing
//!                       (t=y), errors [{kind, detail}]: multiple_records syntax
//!                       version_not_first bad_version missing_p bad_key weak_key (RSA under
//!                       1024 bits, RFC 8301 §3.2) unknown_key_type, warnings: short_key
//!                       (RSA 1024-2047 bits) pkcs1_key revoked testing}]
//!               errors  [{kind, detail}]: temperror (a selector's question failed, named)
//! bimi          (null with --skip bimi, and in records of scans before it existed)
//!               status  none | ok | declined (l= and a= empty) | invalid (several records,
//!                       syntax, a URL not https, no location) | temperror
//!               from    the domain whose record was read: the domain, or, when it has
//!                       none, its Organizational Domain (draft §7.2 step 5)
//!               selector, record (or null), records (all when several), location (l=),
//!                       authority (a=)
//!               errors  [{kind, detail}]  kinds: temperror multiple_records syntax not_https
//!                       no_location
//!               warnings [{kind, detail}]  kinds: no_enforcement (DMARC not at the
//!                       enforcement receivers need to show the indicator, draft §7.1)
//!                       dmarc_unknown (DMARC's lookup failed, so that is not known)
//! ```

use crate::bimi::BimiReport;
use crate::dkim::DkimReport;
use crate::dnssec::DnssecReport;
use serde::{Deserialize, Serialize};

use crate::dmarc::{DmarcReport, DmarcStatus};
use crate::mta_sts::MtaStsReport;
use crate::mx::{MxReport, MxStatus};
use crate::spf::analysis::{SpfReport, SpfStatus};
use crate::tls_rpt::TlsRptReport;

/// A part of the record that `--skip` leaves out (null in the record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    MtaSts,
    TlsRpt,
    Dane,
    Dkim,
    Bimi,
}

/// Version of the record format.
pub(crate) const SCHEMA: u32 = 1;

/// Everything found about one domain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainRecord {
    pub schema: u32,
    pub domain: String,
    pub scanned_at: String,
    pub elapsed_ms: u64,
    /// 1, or the pass of `--retry-temperror` that produced this record.
    #[serde(default = "first_attempt")]
    pub attempts: u32,
    pub spf: SpfReport,
    pub dmarc: DmarcReport,
    pub mx: MxReport,
    /// Null when `--skip` left the part out, and in records of scans made before it
    /// existed.
    #[serde(default)]
    pub mta_sts: Option<MtaStsReport>,
    #[serde(default)]
    pub tls_rpt: Option<TlsRptReport>,
    /// Null in records of scans made before it existed.
    #[serde(default)]
    pub dnssec: Option<DnssecReport>,
    /// Null when not looked at (`--dkim off`, a scan's default; `--skip dkim`), and in
    /// records of scans made before it existed.
    #[serde(default)]
    pub dkim: Option<DkimReport>,
    /// Null with `--skip bimi`, and in records of scans made before it existed.
    #[serde(default)]
    pub bimi: Option<BimiReport>,
}

fn first_attempt() -> u32 {
    1
}

impl DomainRecord {
    /// The domain's own SPF, DMARC or MX lookups could not be finished.
    pub fn temperror(&self) -> bool {
        temperror(self.spf.status, self.dmarc.status, self.mx.status)
    }
}

/// The rule of [`DomainRecord::temperror`], for records read back in part.
pub fn temperror(spf: SpfStatus, dmarc: DmarcStatus, mx: MxStatus) -> bool {
    spf == SpfStatus::Temperror || dmarc == DmarcStatus::Temperror || mx == MxStatus::Temperror
}

/// The current time as RFC 3339 UTC with seconds, e.g. `2026-11-23T07:05:00Z`.
pub(crate) fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}

/// `at` in UTC, RFC 3339 with whole seconds: precise enough and easier on the eye.
pub(crate) fn rfc3339(at: time::OffsetDateTime) -> String {
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_with_whole_seconds() {
        let at = time::OffsetDateTime::parse(
            "2023-04-01T09:30:15.25+09:00",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!(rfc3339(at), "2023-04-01T00:30:15Z");
        let now = now_rfc3339();
        assert!(now.ends_with('Z') && !now.contains('.'), "{now}");
    }
}
