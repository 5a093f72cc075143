//! `diff`: what changed for each domain between two scans (DMARC added or removed, policy
//! stronger or weaker, SPF broken or fixed, new dangling includes, STARTTLS lost or
//! gained, MTA-STS added, removed, in another mode, holding or not, DNSSEC signed,
//! unsigned, bogus or repaired, DANE added, removed, broken or fixed, DKIM keys added,
//! removed or weak, BIMI added, removed or enforced, domains added to or removed from the
//! list), as `diff.csv` rows and counts.
//!
//! The older scan is held in memory in a compact form, the newer one is streamed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::ser::SerializeMap as _;
use strum::IntoStaticStr;

use super::facts::{Facts, read_facts};
use crate::bimi::BimiStatus;
use crate::dane::DaneRollup;
use crate::dkim::DkimStatus;
use crate::dmarc::Policy;
use crate::dmarc::{self, DmarcStatus};
use crate::dns::Dnssec;
use crate::mta_sts::{Holding, Mode, MtaStsStatus};
use crate::mx::MxStatus;
use crate::scandir::history::{self, ScanEntry, Status, list_name};
use crate::scandir::records::ReadCounts;
use crate::smtp::prober::Rollup;
use crate::spf::analysis::SpfStatus;

/// One kind of change, in the order of the `changes` cell and of the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Change {
    /// A DMARC record (valid or not) now covers the domain.
    DmarcAdded,
    /// No DMARC record covers the domain any more.
    DmarcRemoved,
    /// The applied policy went up none < quarantine < reject, or stayed and is no longer
    /// in testing (`pct` < 100 or `t=y`).
    PolicyStrengthened,
    /// The converse of `PolicyStrengthened`.
    PolicyWeakened,
    /// SPF `ok` → `permerror`.
    SpfBroke,
    /// SPF `permerror` → `ok`.
    SpfFixed,
    /// SPF `none` → `ok` or `permerror`.
    SpfAdded,
    /// SPF `ok` or `permerror` → `none`.
    SpfRemoved,
    /// An include target without an SPF record that the older scan did not see.
    NewDanglingInclude,
    /// A dangling include target of the older scan is no longer dangling (or included).
    DanglingIncludeFixed,
    /// The STARTTLS roll-up went down all > some > none.
    StarttlsLost,
    StarttlsGained,
    /// MTA-STS `none` → `ok` or `invalid`: a `v=STSv1` record is published.
    MtaStsAdded,
    /// MTA-STS `ok` or `invalid` → `none`.
    MtaStsRemoved,
    /// The `mode` of the fetched policy differs (both scans fetched one).
    MtaStsModeChanged,
    /// The active policy went `would_fail` → `holds`.
    MtaStsStartedHolding,
    /// The active policy went `holds` → `would_fail`.
    MtaStsStoppedHolding,
    /// The domain's DNSSEC state went `insecure` → `secure`.
    DnssecSigned,
    /// `secure` → `insecure`: the chain of trust no longer reaches the domain.
    DnssecUnsigned,
    /// `secure` or `insecure` → `bogus`: validating resolvers no longer answer for it.
    DnssecBogus,
    /// `bogus` → `secure` or `insecure`.
    DnssecRepaired,
    /// The DANE roll-up went `n/a` → `all`, `some`, `none` or `unknown`: some MX host
    /// publishes TLSA records.
    DaneAdded,
    /// The roll-up went back to `n/a`.
    DaneRemoved,
    /// The roll-up went `all` → `some` or `none`: DANE senders no longer deliver to
    /// every host.
    DaneBroke,
    /// The roll-up went `some` or `none` → `all`.
    DaneFixed,
    /// DKIM `none` → `found`: a key record among the selectors asked.
    DkimAdded,
    /// DKIM `found` → `none`.
    DkimRemoved,
    /// Keys found on both sides, and now a `weak_key` (RSA under 1024 bits, RFC 8301
    /// §3.2) the older scan did not have.
    DkimWeakKey,
    /// BIMI `none` → `ok`, `declined` or `invalid`: a `v=BIMI1` record is published.
    BimiAdded,
    /// BIMI `ok`, `declined` or `invalid` → `none`.
    BimiRemoved,
    /// BIMI `ok` with the `no_enforcement` warning → `ok` without it: DMARC now at the
    /// enforcement receivers ask for before they show the indicator.
    BimiEnforced,
    /// The domain is only in the newer scan.
    AddedToList,
    /// The domain is only in the older scan.
    RemovedFromList,
}

impl Change {
    pub const ALL: [Self; 33] = [
        Self::DmarcAdded,
        Self::DmarcRemoved,
        Self::PolicyStrengthened,
        Self::PolicyWeakened,
        Self::SpfBroke,
        Self::SpfFixed,
        Self::SpfAdded,
        Self::SpfRemoved,
        Self::NewDanglingInclude,
        Self::DanglingIncludeFixed,
        Self::StarttlsLost,
        Self::StarttlsGained,
        Self::MtaStsAdded,
        Self::MtaStsRemoved,
        Self::MtaStsModeChanged,
        Self::MtaStsStartedHolding,
        Self::MtaStsStoppedHolding,
        Self::DnssecSigned,
        Self::DnssecUnsigned,
        Self::DnssecBogus,
        Self::DnssecRepaired,
        Self::DaneAdded,
        Self::DaneRemoved,
        Self::DaneBroke,
        Self::DaneFixed,
        Self::DkimAdded,
        Self::DkimRemoved,
        Self::DkimWeakKey,
        Self::BimiAdded,
        Self::BimiRemoved,
        Self::BimiEnforced,
        Self::AddedToList,
        Self::RemovedFromList,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    fn bit(self) -> u64 {
        1 << self as u32
    }
}

/// A set of changes, one bit per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes(u64);

impl Changes {
    pub fn insert(&mut self, change: Change) {
        self.0 |= change.bit();
    }

    pub fn contains(self, change: Change) -> bool {
        self.0 & change.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`Change::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Change> {
        Change::ALL.into_iter().filter(move |c| self.contains(*c))
    }

    /// `spf_broke;new_dangling_include`.
    pub fn join(self) -> String {
        self.iter()
            .map(Change::as_str)
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// What the comparison keeps of an older record: the ten states (the DMARC policy with
/// its testing flag packed in one byte, MTA-STS's in another, DNSSEC's and DANE's in a
/// third, DKIM's and BIMI's in a fourth) fit beside the boxed slice in 24 bytes, and the
/// slice allocates only for the few domains with dangling includes. Next to its name
/// (a 16-byte `Box<str>` and the name's own allocation, about 32 bytes) and a seen flag,
/// an older domain costs about 72 bytes: diffing a 1,000,000-domain scan peaked 72 MB
/// above diffing a 1-domain one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldFacts {
    spf: SpfStatus,
    dmarc: DmarcStatus,
    policy: PackedPolicy,
    mx_temperror: bool,
    starttls: Option<Rollup>,
    mta_sts: PackedSts,
    signed: PackedSigned,
    auth: PackedAuth,
    dangling: Box<[Box<str>]>,
}

impl From<&Facts> for OldFacts {
    fn from(f: &Facts) -> Self {
        let mut dangling: Vec<Box<str>> = f
            .spf
            .dangling_includes
            .iter()
            .map(|t| t.as_str().into())
            .collect();
        dangling.sort_unstable();
        dangling.dedup();
        Self {
            spf: f.spf.status,
            dmarc: f.dmarc.status,
            policy: PackedPolicy::pack(f.dmarc.policy, f.dmarc.testing),
            mx_temperror: f.mx.status == MxStatus::Temperror,
            starttls: f.mx.starttls,
            mta_sts: PackedSts::pack(StsSide::from(f)),
            signed: PackedSigned::pack(SignedSide::from(f)),
            auth: PackedAuth::pack(AuthSide::from(f)),
            dangling: dangling.into_boxed_slice(),
        }
    }
}

impl OldFacts {
    fn dmarc_present(&self) -> bool {
        self.dmarc.present()
    }
}

/// What `diff` compares and shows of the `mta_sts` part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct StsSide {
    /// Null: a record of a scan made before the part existed.
    status: Option<MtaStsStatus>,
    /// The mode of the policy senders apply (status `ok`, policy fetched).
    mode: Option<Mode>,
    holds: Option<Holding>,
}

impl From<&Facts> for StsSide {
    fn from(f: &Facts) -> Self {
        f.mta_sts.as_ref().map_or_else(Self::default, |s| Self {
            status: Some(s.status),
            mode: s.mode(),
            holds: s.holds,
        })
    }
}

impl StsSide {
    /// Looked for, and not `temperror`.
    fn known(self) -> bool {
        self.status
            .is_some_and(|status| status != MtaStsStatus::Temperror)
    }

    fn present(self) -> bool {
        matches!(self.status, Some(MtaStsStatus::Ok | MtaStsStatus::Invalid))
    }
}

/// A [`StsSide`] in one byte, so that an older domain costs no more than before the part
/// existed: each of its three fields as 0 (null) or 1 + its index in the list of values,
/// in bits 0-2, 3-4 and 5-6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedSts(u8);

const STS_STATUSES: [MtaStsStatus; 4] = [
    MtaStsStatus::None,
    MtaStsStatus::Ok,
    MtaStsStatus::Invalid,
    MtaStsStatus::Temperror,
];
const STS_MODES: [Mode; 3] = [Mode::Enforce, Mode::Testing, Mode::None];
const HOLDINGS: [Holding; 3] = [Holding::Holds, Holding::WouldFail, Holding::Unverified];

impl PackedSts {
    fn pack(side: StsSide) -> Self {
        Self(
            code(&STS_STATUSES, side.status)
                | code(&STS_MODES, side.mode) << 3
                | code(&HOLDINGS, side.holds) << 5,
        )
    }

    fn unpack(self) -> StsSide {
        StsSide {
            status: value(&STS_STATUSES, self.0 & 0b111),
            mode: value(&STS_MODES, self.0 >> 3 & 0b11),
            holds: value(&HOLDINGS, self.0 >> 5 & 0b11),
        }
    }
}

/// What `diff` compares and shows of the `dnssec` part and of the `mx.dane` roll-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct SignedSide {
    /// Null: a record of a scan made before the part existed.
    dnssec: Option<Dnssec>,
    /// Null: the DANE check did not run (`--skip dane`, or a scan made before it).
    dane: Option<DaneRollup>,
}

impl From<&Facts> for SignedSide {
    fn from(f: &Facts) -> Self {
        Self {
            dnssec: f.dnssec.map(|d| d.status),
            dane: f.mx.dane,
        }
    }
}

impl SignedSide {
    /// The DNSSEC state, when it is known: looked for, through a validating resolver,
    /// and answered.
    fn dnssec_known(self) -> Option<Dnssec> {
        self.dnssec.filter(|d| *d != Dnssec::Unknown)
    }
}

/// The change between two known DNSSEC states, if any. The states have no one order (a
/// bogus domain is broken, not less signed), so each pair has its kind, or none.
fn dnssec_change(was: Dnssec, is: Dnssec) -> Option<Change> {
    use Dnssec::{Bogus, Insecure, Secure};
    match (was, is) {
        (Insecure, Secure) => Some(Change::DnssecSigned),
        (Secure, Insecure) => Some(Change::DnssecUnsigned),
        (Secure | Insecure, Bogus) => Some(Change::DnssecBogus),
        (Bogus, Secure | Insecure) => Some(Change::DnssecRepaired),
        _ => None,
    }
}

/// A [`SignedSide`] in one byte, as [`PackedSts`]: each field as 0 (null) or 1 + its
/// index in the list of values, in bits 0-2 and 3-5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedSigned(u8);

const DNSSEC_STATES: [Dnssec; 4] = [
    Dnssec::Secure,
    Dnssec::Insecure,
    Dnssec::Bogus,
    Dnssec::Unknown,
];
const DANE_ROLLUPS: [DaneRollup; 5] = [
    DaneRollup::All,
    DaneRollup::Some,
    DaneRollup::None,
    DaneRollup::Unknown,
    DaneRollup::NotApplicable,
];

impl PackedSigned {
    fn pack(side: SignedSide) -> Self {
        Self(code(&DNSSEC_STATES, side.dnssec) | code(&DANE_ROLLUPS, side.dane) << 3)
    }

    fn unpack(self) -> SignedSide {
        SignedSide {
            dnssec: value(&DNSSEC_STATES, self.0 & 0b111),
            dane: value(&DANE_ROLLUPS, self.0 >> 3 & 0b111),
        }
    }
}

/// 0 for null, else 1 + the value's index in `values`.
fn code<T: PartialEq>(values: &[T], value: Option<T>) -> u8 {
    value
        .and_then(|v| values.iter().position(|x| *x == v))
        .map_or(0, |i| i as u8 + 1)
}

/// The converse of [`code`].
fn value<T: Copy>(values: &[T], code: u8) -> Option<T> {
    values.get(usize::from(code.checked_sub(1)?)).copied()
}

/// The applied DMARC policy (bits 0-1, as [`code`]) and whether it is in testing (bit
/// 2), in one byte: the byte this frees holds DKIM's and BIMI's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedPolicy(u8);

const POLICIES: [Policy; 3] = [Policy::None, Policy::Quarantine, Policy::Reject];

impl PackedPolicy {
    fn pack(policy: Option<Policy>, testing: bool) -> Self {
        Self(code(&POLICIES, policy) | u8::from(testing) << 2)
    }

    fn policy(self) -> Option<Policy> {
        value(&POLICIES, self.0 & 0b11)
    }

    fn testing(self) -> bool {
        self.0 & 0b100 != 0
    }
}

/// What `diff` compares and shows of the `dkim` and `bimi` parts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct AuthSide {
    /// Null: DKIM not looked at (a scan's default), or a scan made before the part.
    dkim: Option<DkimStatus>,
    /// A key of those found is a `weak_key`.
    dkim_weak: bool,
    /// Null: `--skip bimi`, or a scan made before the part.
    bimi: Option<BimiStatus>,
    /// `ok`, with DMARC not at enforcement (`no_enforcement`).
    bimi_unenforced: bool,
}

impl From<&Facts> for AuthSide {
    fn from(f: &Facts) -> Self {
        Self {
            dkim: f.dkim.as_ref().map(|d| d.status),
            dkim_weak: f.dkim.as_ref().is_some_and(|d| d.weak_key()),
            bimi: f.bimi.as_ref().map(|b| b.status),
            bimi_unenforced: f.bimi.as_ref().is_some_and(|b| b.without_enforcement()),
        }
    }
}

impl AuthSide {
    /// `found` or `none`: DKIM looked at with selectors to ask, and answered.
    fn dkim_known(self) -> Option<DkimStatus> {
        self.dkim
            .filter(|d| matches!(d, DkimStatus::Found | DkimStatus::None))
    }

    /// Looked for, and not `temperror`.
    fn bimi_known(self) -> Option<BimiStatus> {
        self.bimi.filter(|b| *b != BimiStatus::Temperror)
    }
}

/// An [`AuthSide`] in one byte, as [`PackedSts`]: the DKIM status in bits 0-2 and its
/// weak key in bit 3, the BIMI status in bits 4-6 and its missing enforcement in bit 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedAuth(u8);

const DKIM_STATES: [DkimStatus; 4] = [
    DkimStatus::Found,
    DkimStatus::None,
    DkimStatus::NotChecked,
    DkimStatus::Temperror,
];
const BIMI_STATES: [BimiStatus; 5] = [
    BimiStatus::None,
    BimiStatus::Ok,
    BimiStatus::Declined,
    BimiStatus::Invalid,
    BimiStatus::Temperror,
];

impl PackedAuth {
    fn pack(side: AuthSide) -> Self {
        Self(
            code(&DKIM_STATES, side.dkim)
                | u8::from(side.dkim_weak) << 3
                | code(&BIMI_STATES, side.bimi) << 4
                | u8::from(side.bimi_unenforced) << 7,
        )
    }

    fn unpack(self) -> AuthSide {
        AuthSide {
            dkim: value(&DKIM_STATES, self.0 & 0b111),
            dkim_weak: self.0 & 0b1000 != 0,
            bimi: value(&BIMI_STATES, self.0 >> 4 & 0b111),
            bimi_unenforced: self.0 & 0b1000_0000 != 0,
        }
    }
}

/// The parts of a record that may be unknown: a part whose status is `temperror` (or,
/// for the newer parts, null or `unknown`) in either scan is not compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Unknown {
    pub spf: u64,
    pub dmarc: u64,
    pub mx: u64,
    /// Null on either side counts here too: a scan made before the part existed.
    pub mta_sts: u64,
    /// The DNSSEC state is `unknown` or null in either scan.
    pub dnssec: u64,
    /// The DANE roll-up is null (not checked) or the MX `temperror` in either scan, or
    /// both scans found TLSA records and either roll-up is `unknown`.
    pub dane: u64,
    /// DKIM is `temperror`, `not_checked` (no selector asked) or null (not looked at) in
    /// either scan.
    pub dkim: u64,
    /// BIMI is `temperror` or null (not looked for) in either scan.
    pub bimi: u64,
}

/// One domain present in both scans, compared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    pub changes: Changes,
    /// Dangling include targets the older scan did not have, sorted.
    pub new_dangling: Vec<String>,
    pub spf_unknown: bool,
    pub dmarc_unknown: bool,
    pub mx_unknown: bool,
    /// The `mta_sts` part is `temperror` or null (not looked for) in either scan.
    pub mta_sts_unknown: bool,
    /// The DNSSEC state is `unknown` or null in either scan.
    pub dnssec_unknown: bool,
    /// The DANE roll-up is null or the MX `temperror` in either scan, or records are
    /// published in both and either roll-up is `unknown`.
    pub dane_unknown: bool,
    /// DKIM is `temperror`, `not_checked` or null in either scan.
    pub dkim_unknown: bool,
    /// BIMI is `temperror` or null in either scan.
    pub bimi_unknown: bool,
}

/// Compares one domain's older and newer record.
pub fn compare(old: &OldFacts, new: &Facts) -> Comparison {
    let mut out = Comparison::default();
    let c = &mut out.changes;

    out.dmarc_unknown =
        old.dmarc == DmarcStatus::Temperror || new.dmarc.status == DmarcStatus::Temperror;
    if !out.dmarc_unknown {
        match (old.dmarc_present(), new.dmarc_present()) {
            (false, true) => c.insert(Change::DmarcAdded),
            (true, false) => c.insert(Change::DmarcRemoved),
            _ => {}
        }
        // From or to no applied policy is DMARC added or removed, not a policy change.
        let old_testing = old.policy.testing();
        if let (Some(was), Some(is)) = (old.policy.policy(), new.dmarc.policy) {
            let (was, is) = (dmarc::strength(was), dmarc::strength(is));
            // In testing, receivers apply the next weaker policy to some messages (RFC
            // 7489 §6.6.4 for `pct` < 100) or to all (RFC 9989 `t=y`): leaving testing
            // strengthens the same policy.
            if is > was || (is == was && old_testing && !new.dmarc.testing) {
                c.insert(Change::PolicyStrengthened);
            } else if is < was || (is == was && !old_testing && new.dmarc.testing) {
                c.insert(Change::PolicyWeakened);
            }
        }
    }

    out.spf_unknown = old.spf == SpfStatus::Temperror || new.spf.status == SpfStatus::Temperror;
    if !out.spf_unknown {
        use SpfStatus::{None, Ok, Permerror};
        match (old.spf, new.spf.status) {
            (Ok, Permerror) => c.insert(Change::SpfBroke),
            (Permerror, Ok) => c.insert(Change::SpfFixed),
            (None, Ok | Permerror) => c.insert(Change::SpfAdded),
            (Ok | Permerror, None) => c.insert(Change::SpfRemoved),
            _ => {}
        }
        let mut now: Vec<&str> = new
            .spf
            .dangling_includes
            .iter()
            .map(String::as_str)
            .collect();
        now.sort_unstable();
        now.dedup();
        out.new_dangling = now
            .iter()
            .filter(|t| old.dangling.binary_search_by(|o| (**o).cmp(t)).is_err())
            .map(|t| (*t).to_owned())
            .collect();
        if !out.new_dangling.is_empty() {
            c.insert(Change::NewDanglingInclude);
        }
        if old
            .dangling
            .iter()
            .any(|o| now.binary_search(&&**o).is_err())
        {
            c.insert(Change::DanglingIncludeFixed);
        }
    }

    // An MX temperror leaves the hosts, and so STARTTLS, unknown.
    out.mx_unknown = old.mx_temperror || new.mx.status == MxStatus::Temperror;
    if !out.mx_unknown
        && let (Some(was), Some(is)) = (rank(old.starttls), rank(new.mx.starttls))
    {
        if is < was {
            c.insert(Change::StarttlsLost);
        } else if is > was {
            c.insert(Change::StarttlsGained);
        }
    }

    let (was, is) = (old.mta_sts.unpack(), StsSide::from(new));
    out.mta_sts_unknown = !was.known() || !is.known();
    if !out.mta_sts_unknown {
        match (was.present(), is.present()) {
            (false, true) => c.insert(Change::MtaStsAdded),
            (true, false) => c.insert(Change::MtaStsRemoved),
            _ => {}
        }
        if let (Some(was), Some(is)) = (was.mode, is.mode)
            && was != is
        {
            c.insert(Change::MtaStsModeChanged);
        }
        // `unverified` on either side says nothing of a change.
        match (was.holds, is.holds) {
            (Some(Holding::WouldFail), Some(Holding::Holds)) => {
                c.insert(Change::MtaStsStartedHolding);
            }
            (Some(Holding::Holds), Some(Holding::WouldFail)) => {
                c.insert(Change::MtaStsStoppedHolding);
            }
            _ => {}
        }
    }

    let (was, is) = (old.signed.unpack(), SignedSide::from(new));
    match (was.dnssec_known(), is.dnssec_known()) {
        (Some(was), Some(is)) => {
            if let Some(change) = dnssec_change(was, is) {
                c.insert(change);
            }
        }
        _ => out.dnssec_unknown = true,
    }

    // An MX temperror leaves the hosts unknown, and the roll-up `n/a` for want of any.
    let dane = |side: SignedSide, mx_temperror: bool| side.dane.filter(|_| !mx_temperror);
    match (
        dane(was, old.mx_temperror),
        dane(is, new.mx.status == MxStatus::Temperror),
    ) {
        (Some(was), Some(is)) => {
            use DaneRollup::{All, NotApplicable, Unknown};
            match (was, is) {
                (NotApplicable, NotApplicable) => {}
                (NotApplicable, _) => c.insert(Change::DaneAdded),
                (_, NotApplicable) => c.insert(Change::DaneRemoved),
                // Published on both sides: a host whose verdict is not known may or may
                // not be the one that fails.
                (Unknown, _) | (_, Unknown) => out.dane_unknown = true,
                (All, DaneRollup::Some | DaneRollup::None) => c.insert(Change::DaneBroke),
                (DaneRollup::Some | DaneRollup::None, All) => c.insert(Change::DaneFixed),
                _ => {}
            }
        }
        _ => out.dane_unknown = true,
    }

    // Both sides speak only of the selectors each scan asked: scans that asked different
    // lists are still compared, and a key under a selector only one asked shows as added
    // or removed.
    let (was, is) = (old.auth.unpack(), AuthSide::from(new));
    match (was.dkim_known(), is.dkim_known()) {
        (Some(was_status), Some(is_status)) => {
            use DkimStatus::{Found, None};
            match (was_status, is_status) {
                (None, Found) => c.insert(Change::DkimAdded),
                (Found, None) => c.insert(Change::DkimRemoved),
                (Found, Found) if is.dkim_weak && !was.dkim_weak => {
                    c.insert(Change::DkimWeakKey);
                }
                _ => {}
            }
        }
        _ => out.dkim_unknown = true,
    }

    match (was.bimi_known(), is.bimi_known()) {
        (Some(was_status), Some(is_status)) => {
            use BimiStatus::{None, Ok};
            match (was_status, is_status) {
                (None, None) => {}
                (None, _) => c.insert(Change::BimiAdded),
                (_, None) => c.insert(Change::BimiRemoved),
                (Ok, Ok) if was.bimi_unenforced && !is.bimi_unenforced => {
                    c.insert(Change::BimiEnforced);
                }
                _ => {}
            }
        }
        _ => out.bimi_unknown = true,
    }
    out
}

/// all (2) > some (1) > none (0); `n/a` (no host answered EHLO) and null (not probed)
/// have no rank, and are not compared.
fn rank(rollup: Option<Rollup>) -> Option<u8> {
    match rollup? {
        Rollup::All => Some(2),
        Rollup::Some => Some(1),
        Rollup::None => Some(0),
        Rollup::NotApplicable => None,
    }
}

/// The columns of `diff.csv`.
pub const COLUMNS: &[&str] = &[
    "domain",
    "changes",
    "old_spf",
    "new_spf",
    "old_dmarc",
    "new_dmarc",
    "old_policy",
    "new_policy",
    "old_testing",
    "new_testing",
    "new_dangling_includes",
    "old_starttls",
    "new_starttls",
    "old_mta_sts",
    "new_mta_sts",
    "old_mta_sts_mode",
    "new_mta_sts_mode",
    "old_mta_sts_holds",
    "new_mta_sts_holds",
    "old_dnssec",
    "new_dnssec",
    "old_dane",
    "new_dane",
    "old_dkim",
    "new_dkim",
    "old_bimi",
    "new_bimi",
];

/// The states a `diff.csv` row shows for one side.
#[derive(Debug, Clone, Copy)]
struct Side {
    spf: SpfStatus,
    dmarc: DmarcStatus,
    policy: Option<Policy>,
    testing: bool,
    starttls: Option<Rollup>,
    mta_sts: StsSide,
    signed: SignedSide,
    auth: AuthSide,
}

impl From<&OldFacts> for Side {
    fn from(o: &OldFacts) -> Self {
        Self {
            spf: o.spf,
            dmarc: o.dmarc,
            policy: o.policy.policy(),
            testing: o.policy.testing(),
            starttls: o.starttls,
            mta_sts: o.mta_sts.unpack(),
            signed: o.signed.unpack(),
            auth: o.auth.unpack(),
        }
    }
}

impl From<&Facts> for Side {
    fn from(f: &Facts) -> Self {
        Self {
            spf: f.spf.status,
            dmarc: f.dmarc.status,
            policy: f.dmarc.policy,
            testing: f.dmarc.testing,
            starttls: f.mx.starttls,
            mta_sts: StsSide::from(f),
            signed: SignedSide::from(f),
            auth: AuthSide::from(f),
        }
    }
}

/// A domain with at least one change; rows are kept until the end to be sorted, so
/// they hold states rather than strings.
#[derive(Debug)]
pub struct Row {
    domain: String,
    changes: Changes,
    old: Option<Side>,
    new: Option<Side>,
    new_dangling: Vec<String>,
}

impl Row {
    /// The row's cells, in [`COLUMNS`] order.
    pub fn cells(&self) -> [String; 27] {
        let spf = |s: Option<Side>| s.map_or("", |s| s.spf.as_str()).to_owned();
        let dmarc = |s: Option<Side>| s.map_or("", |s| s.dmarc.as_str()).to_owned();
        let policy = |s: Option<Side>| {
            s.and_then(|s| s.policy)
                .map_or("", Policy::as_str)
                .to_owned()
        };
        // `testing` only qualifies a policy.
        let testing = |s: Option<Side>| {
            s.filter(|s| s.policy.is_some())
                .map(|s| s.testing.to_string())
                .unwrap_or_default()
        };
        let starttls = |s: Option<Side>| {
            s.and_then(|s| s.starttls)
                .map_or("", Rollup::as_str)
                .to_owned()
        };
        let sts = |s: Option<Side>, cell: fn(StsSide) -> Option<&'static str>| {
            s.and_then(|s| cell(s.mta_sts))
                .unwrap_or_default()
                .to_owned()
        };
        let status: fn(StsSide) -> _ = |s| s.status.map(MtaStsStatus::as_str);
        let mode: fn(StsSide) -> _ = |s| s.mode.map(<&str>::from);
        let holds: fn(StsSide) -> _ = |s| s.holds.map(Holding::as_str);
        let dnssec = |s: Option<Side>| {
            s.and_then(|s| s.signed.dnssec)
                .map_or("", Dnssec::as_str)
                .to_owned()
        };
        let dane = |s: Option<Side>| {
            s.and_then(|s| s.signed.dane)
                .map_or("", DaneRollup::as_str)
                .to_owned()
        };
        let dkim = |s: Option<Side>| {
            s.and_then(|s| s.auth.dkim)
                .map_or("", DkimStatus::as_str)
                .to_owned()
        };
        let bimi = |s: Option<Side>| {
            s.and_then(|s| s.auth.bimi)
                .map_or("", BimiStatus::as_str)
                .to_owned()
        };
        [
            self.domain.clone(),
            self.changes.join(),
            spf(self.old),
            spf(self.new),
            dmarc(self.old),
            dmarc(self.new),
            policy(self.old),
            policy(self.new),
            testing(self.old),
            testing(self.new),
            self.new_dangling.join("; "),
            starttls(self.old),
            starttls(self.new),
            sts(self.old, status),
            sts(self.new, status),
            sts(self.old, mode),
            sts(self.new, mode),
            sts(self.old, holds),
            sts(self.new, holds),
            dnssec(self.old),
            dnssec(self.new),
            dane(self.old),
            dane(self.new),
            dkim(self.old),
            dkim(self.new),
            bimi(self.old),
            bimi(self.new),
        ]
    }
}

/// How many domains have each kind of change; serialised as a map in [`Change::ALL`]
/// order, zeros included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts([u64; Change::ALL.len()]);

// By hand: the standard library derives `Default` for arrays of up to 32 elements.
impl Default for Counts {
    fn default() -> Self {
        Self([0; Change::ALL.len()])
    }
}

impl Counts {
    fn add(&mut self, changes: Changes) {
        for change in changes.iter() {
            self.0[change as usize] += 1;
        }
    }

    pub fn get(&self, change: Change) -> u64 {
        self.0[change as usize]
    }
}

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for change in Change::ALL {
            map.serialize_entry(change.as_str(), &self.get(change))?;
        }
        map.end()
    }
}

/// One of the two scans.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScanSide {
    pub dir: PathBuf,
    /// Distinct domains read.
    pub domains: u64,
    /// It has `scan.json`: the scan finished.
    pub complete: bool,
    /// Lines that were not a record, skipped.
    pub bad_lines: u64,
}

/// The counts printed after a diff (and with `--json`, as JSON).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DiffCounts {
    pub old: ScanSide,
    pub new: ScanSide,
    pub in_both: u64,
    /// Domains with at least one change: the rows of the CSV file.
    pub changed: u64,
    pub changes: Counts,
    /// Domains in both scans where a part was not known in either (`temperror`, null,
    /// and so on, as [`Unknown`] says per part) and so not compared.
    pub unknown: Unknown,
    pub out: PathBuf,
}

impl DiffCounts {
    /// The summary as a short table.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |name: &str, n: u64, note: String| {
            let _ = writeln!(out, "{name:<24} {n:>9}{note}");
        };
        for (name, side) in [("domains in old", &self.old), ("domains in new", &self.new)] {
            let state = if side.complete { "" } else { ", INCOMPLETE" };
            line(
                name,
                side.domains,
                format!("  ({}{state})", side.dir.display()),
            );
        }
        line("domains in both", self.in_both, String::new());
        let out_file = format!("  (rows of {})", self.out.display());
        line("domains changed", self.changed, out_file);
        for change in Change::ALL {
            line(change.as_str(), self.changes.get(change), String::new());
        }
        let u = &self.unknown;
        line("unknown spf", u.spf, "  (temperror in either scan)".into());
        line("unknown dmarc", u.dmarc, String::new());
        line("unknown mx", u.mx, String::new());
        line("unknown mta_sts", u.mta_sts, "  (or not looked for)".into());
        line("unknown dnssec", u.dnssec, "  (or not looked for)".into());
        line("unknown dane", u.dane, "  (or not checked)".into());
        line("unknown dkim", u.dkim, "  (or no selector asked)".into());
        line("unknown bimi", u.bimi, "  (or not looked for)".into());
        out
    }
}

/// A comparison of two scans: the counts, and the changed domains by name.
#[derive(Debug)]
pub(crate) struct Diff {
    pub summary: DiffCounts,
    pub rows: Vec<Row>,
}

/// Compares the scan in `old_dir` with the one in `new_dir`; `out` is where the rows
/// will be written, named in the summary. Both scans are verified first: a damaged one
/// is refused, as its lost records would show as domains removed from or added to the
/// list.
pub(crate) fn compare_scans(old_dir: &Path, new_dir: &Path, out: &Path) -> anyhow::Result<Diff> {
    let old_entry = checked(old_dir)?;
    let new_entry = checked(new_dir)?;
    let names = |e: &ScanEntry| {
        e.lists
            .iter()
            .map(|l| list_name(Path::new(l)))
            .collect::<Vec<_>>()
            .join(",")
    };
    if old_entry.complete && new_entry.complete && names(&old_entry) != names(&new_entry) {
        eprintln!(
            "mailposture: warning: {} is a scan of {} and {} of {}: the domains of only one \
             list show as added or removed",
            old_dir.display(),
            names(&old_entry),
            new_dir.display(),
            names(&new_entry)
        );
    }

    let (old, old_counts) = read_old(old_dir)?;
    let mut seen = vec![false; old.len()];

    let mut rows = Vec::new();
    let (mut counts, mut unknown) = (Counts::default(), Unknown::default());
    let (mut in_both, mut new_only) = (0u64, 0u64);
    let new_counts = read_facts(new_dir, |f| {
        let row = match old.binary_search_by(|o| (*o.0).cmp(&f.domain)) {
            Ok(i) if seen[i] => return,
            Ok(i) => {
                seen[i] = true;
                in_both += 1;
                let was = &old[i].1;
                let c = compare(was, &f);
                unknown.spf += u64::from(c.spf_unknown);
                unknown.dmarc += u64::from(c.dmarc_unknown);
                unknown.mx += u64::from(c.mx_unknown);
                unknown.mta_sts += u64::from(c.mta_sts_unknown);
                unknown.dnssec += u64::from(c.dnssec_unknown);
                unknown.dane += u64::from(c.dane_unknown);
                unknown.dkim += u64::from(c.dkim_unknown);
                unknown.bimi += u64::from(c.bimi_unknown);
                Row {
                    changes: c.changes,
                    old: Some(Side::from(was)),
                    new: Some(Side::from(&f)),
                    new_dangling: c.new_dangling,
                    domain: f.domain,
                }
            }
            Err(_) => {
                new_only += 1;
                let mut changes = Changes::default();
                changes.insert(Change::AddedToList);
                Row {
                    changes,
                    old: None,
                    new: Some(Side::from(&f)),
                    new_dangling: Vec::new(),
                    domain: f.domain,
                }
            }
        };
        if !row.changes.is_empty() {
            counts.add(row.changes);
            rows.push(row);
        }
    })?;
    let old_domains = old.len() as u64;
    for ((domain, was), _) in old.into_iter().zip(seen).filter(|(_, seen)| !seen) {
        let mut changes = Changes::default();
        changes.insert(Change::RemovedFromList);
        counts.add(changes);
        rows.push(Row {
            domain: domain.into(),
            changes,
            old: Some(Side::from(&was)),
            new: None,
            new_dangling: Vec::new(),
        });
    }
    rows.sort_unstable_by(|a, b| a.domain.cmp(&b.domain));

    let side = |entry: &ScanEntry, domains, counts: ReadCounts| ScanSide {
        dir: entry.dir.clone(),
        domains,
        complete: entry.complete,
        bad_lines: counts.bad_lines,
    };
    let summary = DiffCounts {
        old: side(&old_entry, old_domains, old_counts),
        new: side(&new_entry, in_both + new_only, new_counts),
        in_both,
        changed: rows.len() as u64,
        changes: counts,
        unknown,
        out: out.to_path_buf(),
    };
    Ok(Diff { summary, rows })
}

/// The older scan's facts by domain, sorted by domain.
type OldScan = Vec<(Box<str>, OldFacts)>;

/// The older scan's facts by domain, in a sorted vector rather than a hash table: 40
/// bytes a domain and no spare buckets (a table of 1,000,000 entries has 2^21 buckets,
/// and twice that while it grows).
fn read_old(dir: &Path) -> anyhow::Result<(OldScan, ReadCounts)> {
    let mut old: OldScan = Vec::new();
    let counts = read_facts(dir, |f| {
        old.push((f.domain.as_str().into(), OldFacts::from(&f)));
    })?;
    old.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // A scan holds each domain once; should one not, one of its records is compared.
    old.dedup_by(|a, b| a.0 == b.0);
    old.shrink_to_fit();
    Ok((old, counts))
}

/// The scan in `dir`, verified: refused when damaged, warned of when it did not finish.
fn checked(dir: &Path) -> anyhow::Result<ScanEntry> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a scan directory", dir.display());
    }
    let entry = history::verify(dir);
    match entry.status {
        Status::Complete => {}
        Status::Interrupted => eprintln!(
            "mailposture: warning: {} did not finish: the domains it never reached show as \
             added or removed",
            dir.display()
        ),
        Status::Damaged => anyhow::bail!(
            "{} is DAMAGED ({}): its lost records would show as domains removed or added; \
             nothing compared",
            dir.display(),
            entry.damage.as_deref().unwrap_or("unknown")
        ),
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of `diff.csv`'s `changes` cell and of the counts (README), each kind
    /// once, in [`Change::ALL`] order.
    #[test]
    fn change_names_are_the_documented_ones() {
        let names = [
            (Change::DmarcAdded, "dmarc_added"),
            (Change::DmarcRemoved, "dmarc_removed"),
            (Change::PolicyStrengthened, "policy_strengthened"),
            (Change::PolicyWeakened, "policy_weakened"),
            (Change::SpfBroke, "spf_broke"),
            (Change::SpfFixed, "spf_fixed"),
            (Change::SpfAdded, "spf_added"),
            (Change::SpfRemoved, "spf_removed"),
            (Change::NewDanglingInclude, "new_dangling_include"),
            (Change::DanglingIncludeFixed, "dangling_include_fixed"),
            (Change::StarttlsLost, "starttls_lost"),
            (Change::StarttlsGained, "starttls_gained"),
            (Change::MtaStsAdded, "mta_sts_added"),
            (Change::MtaStsRemoved, "mta_sts_removed"),
            (Change::MtaStsModeChanged, "mta_sts_mode_changed"),
            (Change::MtaStsStartedHolding, "mta_sts_started_holding"),
            (Change::MtaStsStoppedHolding, "mta_sts_stopped_holding"),
            (Change::DnssecSigned, "dnssec_signed"),
            (Change::DnssecUnsigned, "dnssec_unsigned"),
            (Change::DnssecBogus, "dnssec_bogus"),
            (Change::DnssecRepaired, "dnssec_repaired"),
            (Change::DaneAdded, "dane_added"),
            (Change::DaneRemoved, "dane_removed"),
            (Change::DaneBroke, "dane_broke"),
            (Change::DaneFixed, "dane_fixed"),
            (Change::DkimAdded, "dkim_added"),
            (Change::DkimRemoved, "dkim_removed"),
            (Change::DkimWeakKey, "dkim_weak_key"),
            (Change::BimiAdded, "bimi_added"),
            (Change::BimiRemoved, "bimi_removed"),
            (Change::BimiEnforced, "bimi_enforced"),
            (Change::AddedToList, "added_to_list"),
            (Change::RemovedFromList, "removed_from_list"),
        ];
        assert_eq!(names.map(|(change, _)| change), Change::ALL);
        for (change, name) in names {
            assert_eq!(change.as_str(), name);
        }
    }

    /// Every kind has a bit of its own in the set.
    #[test]
    fn every_kind_fits_the_set() {
        let mut all = Changes::default();
        for (i, change) in Change::ALL.into_iter().enumerate() {
            assert_eq!(change as usize, i);
            assert!(!all.contains(change));
            all.insert(change);
        }
        assert_eq!(all.iter().collect::<Vec<_>>(), Change::ALL);
    }

    /// Every state of the part survives packing, and the older side stays 24 bytes.
    #[test]
    fn mta_sts_states_pack_into_one_byte() {
        use strum::VariantArray as _;
        fn or_null<T: Copy>(values: &[T]) -> Vec<Option<T>> {
            std::iter::once(None)
                .chain(values.iter().copied().map(Some))
                .collect()
        }
        let mut codes = std::collections::HashSet::new();
        for status in or_null(MtaStsStatus::VARIANTS) {
            for mode in or_null(Mode::VARIANTS) {
                for holds in or_null(Holding::VARIANTS) {
                    let side = StsSide {
                        status,
                        mode,
                        holds,
                    };
                    let packed = PackedSts::pack(side);
                    assert_eq!(packed.unpack(), side);
                    assert!(codes.insert(packed.0));
                }
            }
        }
        assert_eq!(size_of::<OldFacts>(), 24);
    }

    /// Every DNSSEC state and DANE roll-up, or null, survives packing, each pair in a
    /// code of its own.
    #[test]
    fn dnssec_and_dane_states_pack_into_one_byte() {
        use strum::VariantArray as _;
        let mut codes = std::collections::HashSet::new();
        let dnssec = std::iter::once(None).chain(Dnssec::VARIANTS.iter().copied().map(Some));
        for dnssec in dnssec {
            let danes = std::iter::once(None).chain(DaneRollup::VARIANTS.iter().copied().map(Some));
            for dane in danes {
                let side = SignedSide { dnssec, dane };
                let packed = PackedSigned::pack(side);
                assert_eq!(packed.unpack(), side);
                assert!(codes.insert(packed.0));
            }
        }
        assert_eq!(codes.len(), 5 * 6);
    }

    /// Every DKIM and BIMI state, or null, with or without its flag, survives packing,
    /// each in a code of its own; so does every policy with its testing flag.
    #[test]
    fn dkim_bimi_and_policy_states_pack_into_one_byte_each() {
        use strum::VariantArray as _;
        let mut codes = std::collections::HashSet::new();
        let dkims = std::iter::once(None).chain(DkimStatus::VARIANTS.iter().copied().map(Some));
        for dkim in dkims {
            let bimis = std::iter::once(None).chain(BimiStatus::VARIANTS.iter().copied().map(Some));
            for bimi in bimis {
                for (dkim_weak, bimi_unenforced) in
                    [(false, false), (false, true), (true, false), (true, true)]
                {
                    let side = AuthSide {
                        dkim,
                        dkim_weak,
                        bimi,
                        bimi_unenforced,
                    };
                    let packed = PackedAuth::pack(side);
                    assert_eq!(packed.unpack(), side);
                    assert!(codes.insert(packed.0));
                }
            }
        }
        assert_eq!(codes.len(), 5 * 6 * 4);

        let mut codes = std::collections::HashSet::new();
        let policies = std::iter::once(None).chain(Policy::VARIANTS.iter().copied().map(Some));
        for policy in policies {
            for testing in [false, true] {
                let packed = PackedPolicy::pack(policy, testing);
                assert_eq!((packed.policy(), packed.testing()), (policy, testing));
                assert!(codes.insert(packed.0));
            }
        }
        assert_eq!(codes.len(), 4 * 2);
        assert_eq!(size_of::<OldFacts>(), 24);
    }

    /// A record with the given `dkim` and `bimi` parts (JSON), healthy otherwise.
    fn auth_record(dkim: serde_json::Value, bimi: serde_json::Value) -> Facts {
        serde_json::from_value(serde_json::json!({
            "domain": "example.jp",
            "spf": {"status": "ok", "errors": [], "dangling_includes": []},
            "dmarc": {"status": "ok", "policy": "quarantine", "testing": true, "rua": []},
            "mx": {"status": "ok", "starttls": "all", "dane": "n/a"},
            "dkim": dkim,
            "bimi": bimi,
        }))
        .unwrap()
    }

    /// Each DKIM and BIMI kind from a pair of records, and the older record's states,
    /// packed, read back as the newer one's are (the cells of `diff.csv`).
    #[test]
    fn each_dkim_and_bimi_kind_from_records() {
        use serde_json::json;
        let key = |errors: &[&str]| {
            let errors: Vec<_> = errors.iter().map(|k| json!({"kind": k})).collect();
            json!({"revoked": false, "errors": errors})
        };
        let dkim_none = json!({"status": "none", "keys": []});
        let dkim_found = json!({"status": "found", "keys": [key(&[])]});
        let dkim_weak = json!({"status": "found", "keys": [key(&[]), key(&["weak_key"])]});
        let bimi = |status: &str, warnings: &[&str]| {
            let warnings: Vec<_> = warnings.iter().map(|k| json!({"kind": k})).collect();
            json!({"status": status, "warnings": warnings})
        };
        let cases = [
            (
                (dkim_none.clone(), bimi("none", &[])),
                (dkim_found.clone(), bimi("none", &[])),
                Change::DkimAdded,
            ),
            (
                (dkim_found.clone(), bimi("none", &[])),
                (dkim_none.clone(), bimi("none", &[])),
                Change::DkimRemoved,
            ),
            (
                (dkim_found.clone(), bimi("none", &[])),
                (dkim_weak.clone(), bimi("none", &[])),
                Change::DkimWeakKey,
            ),
            (
                (dkim_none.clone(), bimi("none", &[])),
                (dkim_none.clone(), bimi("declined", &[])),
                Change::BimiAdded,
            ),
            (
                (dkim_none.clone(), bimi("invalid", &[])),
                (dkim_none.clone(), bimi("none", &[])),
                Change::BimiRemoved,
            ),
            (
                (dkim_weak.clone(), bimi("ok", &["no_enforcement"])),
                (dkim_weak.clone(), bimi("ok", &[])),
                Change::BimiEnforced,
            ),
        ];
        for ((old_dkim, old_bimi), (new_dkim, new_bimi), want) in cases {
            let old = auth_record(old_dkim, old_bimi);
            let new = auth_record(new_dkim, new_bimi);
            let packed = OldFacts::from(&old);
            let c = compare(&packed, &new);
            assert_eq!(c.changes.iter().collect::<Vec<_>>(), [want], "{old:?}");
            assert!(!c.dkim_unknown && !c.bimi_unknown);
            let row = Row {
                domain: "example.jp".into(),
                changes: c.changes,
                old: Some(Side::from(&packed)),
                new: Some(Side::from(&old)),
                new_dangling: Vec::new(),
            };
            let cells = row.cells();
            let cell = |name: &str| &cells[COLUMNS.iter().position(|c| *c == name).unwrap()];
            for part in ["policy", "testing", "dkim", "bimi"] {
                assert_eq!(cell(&format!("old_{part}")), cell(&format!("new_{part}")));
            }
            assert_eq!(cell("old_testing"), "true");
            assert_eq!(Side::from(&packed).auth, AuthSide::from(&old));
        }
    }
}
