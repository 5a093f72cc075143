//! The scan engine: a stream of domains from the input, through bounded concurrency, to
//! the single writer. Per domain, SPF, DMARC, MX and the MTA-STS and TLS-RPT records run
//! at once, each under a deadline; then the checks of the MX hosts (`mailhost`) and the
//! fetch of an MTA-STS policy, and last the verdict on the policy against the hosts.

use std::collections::HashSet;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

use crate::dmarc::{DmarcReport, DmarcResolver};
use hickory_resolver::proto::rr::rdata::TLSA;

use crate::bimi::{BimiReport, BimiStatus};
use crate::dane;
use crate::dkim::DkimReport;
use crate::dns::{Dns, Outcome, Secured, TempFail, TempFailKind, scope};
use crate::exit::Signal;
use crate::input::{self, DomainLists, InputEvent};
use crate::mailhost::{HostChecks, TlsaLookups, judge_dane};
use crate::mta_sts::MtaStsReport;
use crate::mta_sts::fetch::{FetchSettings, PolicyFetcher};
use crate::mx::{self, MxReport, MxResolver};
use crate::output::Writer;
use crate::progress::Progress;
use crate::psl::SuffixList;
use crate::record::{DomainRecord, Part, SCHEMA, now_rfc3339};
use crate::scandir::InputCounts;
use crate::shard::Shard;
use crate::smtp::prober::StarttlsOptions;
use crate::spf::analysis::{SpfReport, analyse};
use crate::spf::expand::Expander;
use crate::spf::tree::{Finding, FindingKind, SpfNode, Via};
use crate::tls_rpt::TlsRptReport;
use crate::{bimi, dkim, dnssec, mta_sts, tls_rpt};

/// Limits of a scan, with the defaults a scan through a public resolver wants.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Domains in flight at once.
    pub concurrency: NonZeroUsize,
    /// Wall time allowed for each of a domain's SPF, DMARC and MX parts.
    pub domain_timeout: Duration,
    /// Shared include subtrees kept for reuse across domains.
    pub memo_capacity: u64,
    /// For RFC 7489 Organizational Domains.
    pub suffix_list: SuffixList,
    /// STARTTLS probing of MX hosts; off unless set (the command line sets it).
    pub starttls: Option<StarttlsOptions>,
    /// The fetch of MTA-STS policies; off unless set (the command line sets it). The
    /// TXT records are read either way.
    pub mta_sts: Option<FetchSettings>,
    /// Parts of the record not looked at (`--skip`): null in the record.
    pub skip: Vec<Part>,
    /// The DKIM selectors asked, in order; `None`: DKIM not looked at (null in the
    /// record), as with `--skip dkim`.
    pub dkim_selectors: Option<Arc<[String]>>,
    /// The BIMI record asked is `<bimi_selector>._bimi.<domain>`.
    pub bimi_selector: String,
    /// Also fetch the policy of a domain that publishes no MTA-STS record, to warn of a
    /// policy no sender looks for (`check`: one HTTPS connection per domain is too
    /// many for a scan).
    pub unpublished_policies: bool,
    /// The time recorded for every domain instead of the clock's (`--scan-time`).
    pub scan_time: Option<String>,
    /// Passes over the domains that ended in temperror, after the first.
    pub retry_temperror: u32,
}

impl ScanOptions {
    pub(crate) const DEFAULT_CONCURRENCY: usize = 256;
    pub(crate) const DEFAULT_DOMAIN_TIMEOUT: Duration = Duration::from_secs(60);
    /// Large providers' include trees number in the thousands; a bound keeps a zone scan,
    /// where most include targets are one customer's own, from filling memory.
    pub(crate) const DEFAULT_MEMO_CAPACITY: u64 = 10_000;
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            concurrency: NonZeroUsize::new(Self::DEFAULT_CONCURRENCY).unwrap_or(NonZeroUsize::MIN),
            domain_timeout: Self::DEFAULT_DOMAIN_TIMEOUT,
            memo_capacity: Self::DEFAULT_MEMO_CAPACITY,
            suffix_list: SuffixList::bundled(),
            starttls: None,
            mta_sts: None,
            skip: Vec::new(),
            // A scan's default (`--dkim`): the selectors cost up to one question each.
            dkim_selectors: None,
            bimi_selector: bimi::DEFAULT_SELECTOR.to_owned(),
            unpublished_policies: false,
            scan_time: None,
            retry_temperror: 0,
        }
    }
}

/// Scans single domains; shared by all tasks of a run.
#[derive(Clone)]
pub struct Scanner {
    expander: Expander,
    dmarc: DmarcResolver,
    mx: MxResolver,
    /// For the MTA-STS and TLS-RPT records.
    dns: Dns,
    /// The checks of each domain's MX hosts (STARTTLS); none when probing is off.
    host_checks: Option<HostChecks>,
    /// None when policies are not fetched.
    policies: Option<PolicyFetcher>,
    /// None with `--skip dane`.
    tlsa: Option<TlsaLookups>,
    /// DKIM selectors the domain lists give their domains (`selectors=`).
    listed_selectors: ListedSelectors,
    options: ScanOptions,
}

impl Scanner {
    pub fn new(dns: Dns, options: ScanOptions) -> Self {
        let expander = Expander::new(dns.clone(), options.memo_capacity);
        let dmarc = DmarcResolver::new(
            dns.clone(),
            options.suffix_list.clone(),
            DmarcResolver::DEFAULT_SHARED_CAPACITY,
        );
        let mx = MxResolver::new(dns.clone(), mx::DEFAULT_HOST_CACHE_CAPACITY);
        Self {
            expander,
            dmarc,
            mx,
            host_checks: options.starttls.as_ref().map(HostChecks::new),
            policies: options
                .mta_sts
                .as_ref()
                .map(|settings| PolicyFetcher::new(dns.clone(), settings.clone())),
            tlsa: (!options.skip.contains(&Part::Dane)).then(|| TlsaLookups::new(dns.clone())),
            listed_selectors: ListedSelectors::default(),
            dns,
            options,
        }
    }

    /// Everything about one domain (lower-case, no trailing dot).
    pub async fn scan(&self, domain: &str) -> DomainRecord {
        self.scan_in_place(domain, None).await
    }

    /// [`Self::scan`], holding `place` among the domains scanned at once until the
    /// domain's first DNS question has gone unanswered for a while (`dns::scope`).
    async fn scan_in_place(
        &self,
        domain: &str,
        place: Option<OwnedSemaphorePermit>,
    ) -> DomainRecord {
        let start = Instant::now();
        let limit = self.options.domain_timeout;
        // One instant for the parts: they start together, and at the deadline all of
        // them end in the same turn, none freeing DNS places for another's questions.
        let deadline = tokio::time::Instant::now() + limit;
        let parts = async {
            tokio::join!(
                within(
                    deadline,
                    async { analyse(self.expander.expand(domain).await) },
                    || { spf_timed_out(domain, limit) }
                ),
                within(deadline, self.dmarc.fetch(domain), || {
                    dmarc_timed_out(domain, limit)
                }),
                within(deadline, self.mx.fetch(domain), || mx_timed_out(
                    domain, limit
                )),
                within(deadline, self.mta_sts_record(domain), || {
                    Some(MtaStsReport::temperror(deadline_detail(
                        "MTA-STS lookup",
                        domain,
                        limit,
                    )))
                }),
                within(deadline, self.tls_rpt_record(domain), || {
                    Some(TlsRptReport::temperror(deadline_detail(
                        "TLS-RPT lookup",
                        domain,
                        limit,
                    )))
                }),
                within(deadline, self.dkim(domain), || {
                    dkim::analysis::pruned(domain, &late("DKIM lookups", domain, limit))
                }),
                within(deadline, self.bimi_txt(domain), || {
                    Some(late("BIMI lookup", domain, limit))
                }),
            )
        };
        // Asked once, before the scan (`Dns::check_validation`); a scanner whose resolver
        // was never asked says `not_known`.
        let validation = self.dns.validation();
        let scoped = scope::for_domain(domain, place, parts).await;
        let (spf, dmarc, mut mx, mut sts, mut tls_rpt, dkim, bimi_txt) = scoped.output;
        let bimi = match bimi_txt {
            Some(answer) => Some(self.bimi(domain, answer, &dmarc, deadline, limit).await),
            None => None,
        };
        let dnssec = dnssec::report(domain, &scoped.seen, validation);
        mx::check_null_mx_spf(&mut mx, spf.record.as_deref());
        // After the DNS parts, outside their deadline: a probe waits its turn for one of
        // the scan's few SMTP connections, and both it and the fetch have their own
        // deadlines.
        let tlsa_hosts = match &self.tlsa {
            Some(_) => TlsaLookups::hosts(&mx),
            None => Vec::new(),
        };
        let probes = async {
            if let Some(checks) = &self.host_checks {
                checks.run(&mut mx).await;
            }
        };
        // DNS questions again: under the domain's deadline.
        let tlsa = async {
            let lookups = self.tlsa.as_ref()?;
            Some(
                within(deadline, lookups.answers(&tlsa_hosts), || {
                    tlsa_timed_out(&tlsa_hosts, limit)
                })
                .await,
            )
        };
        let (fetched, (), tlsa) = tokio::join!(self.policy(domain, sts.as_ref()), probes, tlsa);
        if let Some(answers) = tlsa {
            let mx_rrset = dnssec.parts.mx.unwrap_or(crate::dns::Dnssec::Unknown);
            judge_dane(&mut mx, domain, &tlsa_hosts, &answers, mx_rrset);
        }
        if let Some(sts) = &mut sts {
            if let Some(fetched) = fetched {
                if sts.wants_policy() {
                    mta_sts::analysis::add_policy(sts, &fetched);
                } else {
                    mta_sts::analysis::note_unpublished_policy(sts, &fetched);
                }
            }
            mta_sts::analysis::judge_hosts(sts, &mx);
        }
        let sts_published = sts
            .as_ref()
            .is_some_and(|s| s.record.is_some() || !s.records.is_empty());
        if let Some(tls_rpt) = &mut tls_rpt
            && sts_published
        {
            tls_rpt::analysis::note_missing(tls_rpt, "an MTA-STS record is published");
        }
        DomainRecord {
            schema: SCHEMA,
            domain: domain.to_owned(),
            scanned_at: self.options.scan_time.clone().unwrap_or_else(now_rfc3339),
            elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
            attempts: 1,
            spf,
            dmarc,
            mx,
            mta_sts: sts,
            tls_rpt,
            dnssec: Some(dnssec),
            dkim,
            bimi,
        }
    }

    /// None when `--skip` leaves the part out.
    async fn mta_sts_record(&self, domain: &str) -> Option<MtaStsReport> {
        if self.options.skip.contains(&Part::MtaSts) {
            return None;
        }
        let name = format!("{}.{domain}", mta_sts::TXT_LABEL);
        Some(mta_sts::analysis::from_txt(
            domain,
            self.dns.txt(&name).await,
        ))
    }

    async fn tls_rpt_record(&self, domain: &str) -> Option<TlsRptReport> {
        if self.options.skip.contains(&Part::TlsRpt) {
            return None;
        }
        let name = format!("{}.{domain}", tls_rpt::TXT_LABEL);
        Some(tls_rpt::analysis::from_txt(
            domain,
            self.dns.txt(&name).await,
        ))
    }

    /// The DKIM key records of `domain`: `_domainkey.<domain>` first (NXDOMAIN means
    /// nothing beneath it, RFC 8020), then each selector at once. None when off.
    async fn dkim(&self, domain: &str) -> Option<DkimReport> {
        if self.options.skip.contains(&Part::Dkim) {
            return None;
        }
        // `--dkim`'s selectors, then those the list gives this domain; DKIM is looked at
        // when either names one.
        let listed = self.listed_selectors.get(domain);
        let given = &self.options.dkim_selectors;
        if given.is_none() && listed.is_none() {
            return None;
        }
        let domainkey = self.dns.txt(&dkim::domainkey_name(domain)).await;
        if let Some(report) = dkim::analysis::pruned(domain, &domainkey) {
            return Some(report);
        }
        // Built only below an existing `_domainkey`: most domains are pruned above.
        let mut selectors: Vec<String> = given.iter().flat_map(|s| s.iter().cloned()).collect();
        for selector in listed.iter().flatten() {
            if !selectors.contains(selector) {
                selectors.push(selector.clone());
            }
        }
        // Boxed: the selector questions' state lives only while they are asked.
        let answers = Box::pin(futures::future::join_all(selectors.iter().map(
            |selector| async move {
                let name = dkim::selector_name(selector, domain);
                (selector.clone(), self.dns.txt_aliased(&name).await)
            },
        )))
        .await;
        Some(dkim::analysis::report(domain, &domainkey, answers))
    }

    /// The BIMI part from the answer at the domain's own name, or, when it holds no
    /// BIMI record, from the Organizational Domain's (draft §7.2 step 5: receivers MUST
    /// look there next), asked under the domain's deadline.
    async fn bimi(
        &self,
        domain: &str,
        answer: Outcome<Vec<String>>,
        dmarc: &DmarcReport,
        deadline: tokio::time::Instant,
        limit: Duration,
    ) -> BimiReport {
        let selector = &self.options.bimi_selector;
        let mut report = bimi::analysis::from_txt(selector, domain, answer, dmarc);
        report.from = Some(domain.to_owned());
        let org = self.options.suffix_list.organizational_domain(domain);
        if report.status != BimiStatus::None || org == domain {
            return report;
        }
        let name = bimi::record_name(selector, &org);
        let answer = within(deadline, self.dns.txt(&name), || {
            late("BIMI lookup", &org, limit)
        })
        .await;
        let mut inherited = bimi::analysis::from_txt(selector, &org, answer, dmarc);
        inherited.from = Some(org);
        inherited
    }

    /// The TXT answer at the BIMI record's name; None with `--skip bimi`.
    async fn bimi_txt(&self, domain: &str) -> Option<Outcome<Vec<String>>> {
        if self.options.skip.contains(&Part::Bimi) {
            return None;
        }
        let name = bimi::record_name(&self.options.bimi_selector, domain);
        Some(self.dns.txt(&name).await)
    }

    /// The policy of `domain`, when its record asks for one, or when it has none and
    /// unpublished policies are looked for.
    async fn policy(
        &self,
        domain: &str,
        sts: Option<&MtaStsReport>,
    ) -> Option<Arc<mta_sts::fetch::Fetched>> {
        let fetcher = self.policies.as_ref()?;
        let sts = sts?;
        let wanted = sts.wants_policy()
            || (self.options.unpublished_policies && sts.status == mta_sts::MtaStsStatus::None);
        if !wanted {
            return None;
        }
        // Boxed: most domains fetch nothing, and the fetch's state would otherwise
        // be carried by every domain's scan (thousands are in flight).
        Some(Box::pin(fetcher.fetch(domain)).await)
    }
}

/// `work`, or `late()` once `deadline` has passed. The deadline is looked at before the
/// work is polled again: `tokio::time::timeout` polls the work first, so a part woken
/// after its deadline (by a DNS place another ended part just freed) would still send
/// its next question, only to drop it, and free the place for the next ended part: a
/// burst of questions nobody waits for, past `--dns-in-flight`.
///
/// The work is boxed before the returned future exists: an `async fn` keeps its argument
/// and the copy `select!` polls side by side, so each part would weigh twice its size in
/// every domain's scan (thousands are in flight), where the box costs one allocation.
fn within<T>(
    deadline: tokio::time::Instant,
    work: impl Future<Output = T>,
    late: impl FnOnce() -> T,
) -> impl Future<Output = T> {
    let work = Box::pin(work);
    async move {
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(deadline) => late(),
            done = work => done,
        }
    }
}

/// A question cut by the per-domain deadline, as an outcome.
fn late<T>(what: &str, domain: &str, limit: Duration) -> Outcome<T> {
    Outcome::TempFail(TempFail {
        kind: TempFailKind::Timeout,
        detail: deadline_detail(what, domain, limit),
    })
}

fn deadline_detail(what: &str, domain: &str, limit: Duration) -> String {
    format!(
        "{what} for {domain} not finished within the per-domain deadline of {}s",
        limit.as_secs()
    )
}

fn spf_timed_out(domain: &str, limit: Duration) -> SpfReport {
    let mut root = SpfNode::new(domain.to_owned(), Via::Root, None);
    root.entry_error(Finding::new(
        FindingKind::Temperror,
        deadline_detail("SPF evaluation", domain, limit),
    ));
    analyse(root)
}

fn dmarc_timed_out(domain: &str, limit: Duration) -> DmarcReport {
    DmarcReport::temperror(deadline_detail("DMARC discovery", domain, limit))
}

/// Every host's TLSA answer as a failure: the lookups did not end by the deadline.
fn tlsa_timed_out(hosts: &[String], limit: Duration) -> Vec<Arc<Secured<TLSA>>> {
    hosts
        .iter()
        .map(|host| {
            Arc::new(Secured {
                outcome: late("TLSA lookup", &dane::tlsa_name(host), limit),
                dnssec: crate::dns::Dnssec::Unknown,
            })
        })
        .collect()
}

fn mx_timed_out(domain: &str, limit: Duration) -> MxReport {
    MxReport::temperror(deadline_detail("MX lookup", domain, limit))
}

/// The DKIM selectors of the domains a list gives its own (`example.jp selectors=s1`),
/// filled as the domains are read, before each is scanned; only such domains take room.
#[derive(Clone, Default)]
struct ListedSelectors(Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>>);

impl ListedSelectors {
    fn insert(&self, domain: String, selectors: Vec<String>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(domain, selectors);
    }

    fn get(&self, domain: &str) -> Option<Vec<String>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(domain)
            .cloned()
    }
}

/// Input events handed from the reading thread to the scan at a time, and batches that
/// may wait: a few thousand names read ahead, whatever the list's length.
const INPUT_BATCH: usize = 256;
const INPUT_BATCHES: usize = 8;

/// How long the domains in flight may take to finish after an interruption.
pub(crate) const GRACE: Duration = Duration::from_secs(5);

/// Which of the input's domains a run scans.
#[derive(Debug, Default)]
pub struct Selection {
    /// A resumed scan's finished domains (`input::name_hash`).
    pub done: Option<HashSet<u64>>,
    pub shard: Option<Shard>,
}

/// Domains that may wait on silent name servers, outside the scan's concurrency, for
/// each domain scanned at once (`dns::scope`): a list with a share of dead delegations
/// keeps its pace while they wait, and a list of nothing else still has a bound.
const STEPPED_ASIDE_PER_PLACE: usize = 4;

/// Scans `domains`, the scan's concurrency at a time, until `stop` fires; each record
/// says which pass over the list produced it. A domain whose name servers do not answer
/// gives its place to the next one while it waits (up to [`STEPPED_ASIDE_PER_PLACE`]
/// such domains per place); one not started when `stop` fires is not scanned.
fn scan_all(
    domains: impl futures::Stream<Item = String>,
    scanner: &Arc<Scanner>,
    stop: &watch::Receiver<Option<Signal>>,
    pass: u32,
) -> impl futures::Stream<Item = DomainRecord> {
    let concurrency = scanner.options.concurrency.get();
    let places = Arc::new(Semaphore::new(concurrency));
    let scanner = Arc::clone(scanner);
    let stop = stop.clone();
    domains
        .take_until(stopped(stop.clone()))
        .map(move |domain| {
            let scanner = Arc::clone(&scanner);
            let places = Arc::clone(&places);
            let stop = stop.clone();
            async move {
                // The semaphore is never closed, so only a stop ends the wait unplaced.
                let place = tokio::select! {
                    biased;
                    () = stopped(stop) => return None,
                    place = places.acquire_owned() => place.ok(),
                };
                // Boxed once placed: a domain waiting for its place takes a few words,
                // not a whole scan's state (thousands wait at a time).
                let mut report = Box::pin(scanner.scan_in_place(&domain, place)).await;
                report.attempts = pass;
                Some(report)
            }
        })
        .buffer_unordered(concurrency.saturating_mul(1 + STEPPED_ASIDE_PER_PLACE))
        .filter_map(futures::future::ready)
}

/// Hands the finished records of `results` that `keep` returns to the writer, until the
/// stream ends or, once `stop` has fired, [`GRACE`] has passed.
async fn pump(
    results: impl futures::Stream<Item = DomainRecord>,
    mut keep: impl FnMut(DomainRecord) -> Option<DomainRecord>,
    writer: &Writer,
    progress: &Progress,
    stop: &watch::Receiver<Option<Signal>>,
) -> anyhow::Result<()> {
    let mut results = std::pin::pin!(results);
    let mut grace_ends = None;
    loop {
        let grace = async {
            match grace_ends {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            next = results.next() => match next {
                Some(report) => {
                    if let Some(report) = keep(report) {
                        progress.record(&report);
                        writer.send(report).await?;
                    }
                }
                None => return Ok(()),
            },
            () = stopped(stop.clone()), if grace_ends.is_none() => {
                grace_ends = Some(tokio::time::Instant::now() + GRACE);
                progress.println(format!(
                    "{}: finishing the domains in flight (at most {} s)",
                    stop.borrow().map_or("stop", Signal::name),
                    GRACE.as_secs()
                ));
            }
            () = grace => return Ok(()),
        }
    }
}

async fn stopped(mut stop: watch::Receiver<Option<Signal>>) {
    let _ = stop.wait_for(Option::is_some).await;
}

/// Input events, a batch at a time, from the thread that reads the lists.
type InputBatches = mpsc::Receiver<Vec<InputEvent>>;

/// Reads `lists` on a thread of its own (reading may block, on a pipe for one, and must
/// not hold up the runtime), handing the events over in batches: one hand-over (and
/// wake-up of each side) per domain cost as much CPU as reading and checking the line.
fn read_lists(lists: DomainLists) -> std::io::Result<(std::thread::JoinHandle<()>, InputBatches)> {
    let (tx, rx) = mpsc::channel::<Vec<InputEvent>>(INPUT_BATCHES);
    let reader = std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            let mut lists = lists;
            let mut batch = Vec::with_capacity(INPUT_BATCH);
            while let Some(event) = lists.next() {
                batch.push(event);
                // What is read is handed over before a read that may wait, so a slow pipe
                // still has its domains scanned as they come.
                if batch.len() == INPUT_BATCH || lists.may_block() {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(INPUT_BATCH));
                    if tx.blocking_send(full).is_err() {
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = tx.blocking_send(batch);
            }
        })?;
    Ok((reader, rx))
}

/// The domain of an input event that is to be scanned, counting and reporting every
/// event: another shard's domain, one a resumed scan has already, a rewritten line, a
/// bad line, a duplicate, a read error.
fn admit(
    event: InputEvent,
    selection: &Selection,
    counts: &mut InputCounts,
    progress: &Progress,
    verbose_input: bool,
    listed_selectors: &ListedSelectors,
) -> Option<String> {
    match event {
        InputEvent::Domain(d) if selection.shard.is_some_and(|s| !s.contains(&d.domain)) => {
            counts.other_shards += 1;
            progress.skip();
            None
        }
        InputEvent::Domain(d)
            if selection
                .done
                .as_ref()
                .is_some_and(|done| done.contains(&input::name_hash(&d.domain))) =>
        {
            counts.domains += 1;
            counts.already_scanned += 1;
            progress.skip();
            None
        }
        InputEvent::Domain(d) => {
            counts.domains += 1;
            if let Some(rewrite) = &d.rewritten {
                counts.rewritten += 1;
                if verbose_input {
                    progress.println(rewrite.describe(&d));
                }
            }
            if let Some(selectors) = d.selectors {
                listed_selectors.insert(d.domain.clone(), selectors);
            }
            Some(d.domain)
        }
        InputEvent::Invalid(e) => {
            counts.invalid_lines += 1;
            progress.skip();
            progress.println(e.to_string());
            None
        }
        InputEvent::Duplicate { .. } => {
            counts.duplicates += 1;
            progress.skip();
            None
        }
        InputEvent::ReadError { source, error } => {
            counts.read_errors += 1;
            progress.println(format!(
                "{source}: read error, rest of the file skipped: {error}"
            ));
            None
        }
    }
}

/// How a scan's run ended.
#[derive(Debug)]
pub struct RunOutcome {
    pub input: InputCounts,
    /// The signal that stopped the run before the end of its input.
    pub interrupted: Option<Signal>,
}

/// Runs a whole scan: reads `lists` on their own thread, skips the domains `selection`
/// leaves out (other shards', those a resumed scan has), scans with bounded concurrency,
/// hands each record to `writer`, and reports input trouble on stderr. When `stop`
/// resolves (to a signal's name) no new domain is started, and those in flight get
/// [`GRACE`] to finish.
pub async fn run(
    scanner: Arc<Scanner>,
    lists: DomainLists,
    writer: &Writer,
    progress: &Progress,
    verbose_input: bool,
    selection: Selection,
    stop: impl Future<Output = Signal> + Send + 'static,
) -> anyhow::Result<RunOutcome> {
    let (reader, mut rx) = read_lists(lists)?;
    let (stop_tx, stop_rx) = watch::channel(None);
    let stopper = tokio::spawn(async move {
        let _ = stop_tx.send(Some(stop.await));
    });

    let mut counts = InputCounts::default();
    let domains = futures::stream::poll_fn(|cx| rx.poll_recv(cx))
        .flat_map(futures::stream::iter)
        .filter_map(|event| {
            let domain = admit(
                event,
                &selection,
                &mut counts,
                progress,
                verbose_input,
                &scanner.listed_selectors,
            );
            futures::future::ready(domain)
        });
    let retries = scanner.options.retry_temperror;
    let mut retry: Vec<String> = Vec::new();
    // Domains that ended in temperror wait for a later pass instead of being written,
    // while passes remain; an interruption leaves them unwritten, to be resumed.
    let hold_back = |report: DomainRecord, pass: u32, retry: &mut Vec<String>| {
        if pass <= retries && report.temperror() {
            retry.push(report.domain);
            None
        } else {
            Some(report)
        }
    };
    let first = scan_all(domains, &scanner, &stop_rx, 1);
    pump(
        first,
        |r| hold_back(r, 1, &mut retry),
        writer,
        progress,
        &stop_rx,
    )
    .await?;
    for pass in 2..=retries.saturating_add(1) {
        if retry.is_empty() || stop_rx.borrow().is_some() {
            break;
        }
        let batch = std::mem::take(&mut retry);
        progress.println(format!(
            "pass {pass} of {}: {} domains that ended in temperror, again",
            retries + 1,
            batch.len()
        ));
        let again = scan_all(futures::stream::iter(batch), &scanner, &stop_rx, pass);
        pump(
            again,
            |r| hold_back(r, pass, &mut retry),
            writer,
            progress,
            &stop_rx,
        )
        .await?;
    }
    stopper.abort();
    let interrupted = *stop_rx.borrow();
    // A reader blocked on a terminal or pipe would never return: only an input read to
    // its end is waited for.
    if interrupted.is_none() {
        let _ = reader.join();
    }
    Ok(RunOutcome {
        input: counts,
        interrupted,
    })
}
