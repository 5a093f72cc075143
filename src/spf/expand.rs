//! Static expansion of an SPF record tree over DNS: fetch and parse each record, follow
//! every evaluated `include` and `redirect`, and note per term whether its DNS query was
//! void, failed, or led to a subtree.
//!
//! Evaluation is modelled for a client IP that matches no mechanism (the worst case for
//! the lookup limits): every term before `all` is evaluated, none after it.

use std::sync::Arc;

use futures::future::{BoxFuture, join_all};

use super::analysis::{ip4_addresses, record_warnings};
use super::tree::{Finding, FindingKind, Missing, SpfNode, Step, Via};
use super::{DomainSpec, Mechanism, Modifier, Record, TermKind, parse, select_records};
use crate::cache::Shared;
use crate::dns::{self, Dns, Outcome};

/// Beyond this many DNS-querying terms in evaluation order the walk stops querying: the
/// limit is 10 (RFC 7208 §4.6.4), so a tree this large is a permerror whatever follows,
/// and a hostile tree must not make the scanner send unbounded queries.
pub const WALK_CAP: u32 = 40;

/// RFC 7208 §4.6.4: an `mx` term resolving to more names than this is a permerror.
pub(crate) const MAX_MX_NAMES: usize = 10;

/// Walks SPF trees; one per scan, shared by every domain task.
#[derive(Clone)]
pub struct Expander {
    dns: Dns,
    /// Subtrees of include/redirect targets named directly by the scanned domains: a
    /// provider's `_spf.` record recurs under thousands of domains; concurrent domains
    /// wait for one computation instead of repeating it.
    memo: Option<Shared<String, Arc<SpfNode>, Arc<SpfNode>>>,
}

/// Running state of one walk, in evaluation order.
struct Walk {
    lookups: u32,
}

impl Expander {
    /// `memo_capacity` bounds the number of shared subtrees kept; 0 disables sharing.
    pub fn new(dns: Dns, memo_capacity: u64) -> Self {
        let memo = (memo_capacity > 0).then(|| Shared::new(memo_capacity));
        Self { dns, memo }
    }

    /// Expands the SPF tree of `domain` (lower-case, no trailing dot).
    pub async fn expand(&self, domain: &str) -> SpfNode {
        let mut walk = Walk { lookups: 0 };
        self.node(
            domain.to_owned(),
            Via::Root,
            None,
            Vec::new(),
            &mut walk,
            true,
        )
        .await
    }

    /// Fetches, parses and walks one record. `ancestors` are the domains on the path
    /// from the root, for loop detection; `share` says whether this node's direct
    /// include/redirect targets may come from the memo.
    fn node<'a>(
        &'a self,
        domain: String,
        via: Via,
        term: Option<String>,
        ancestors: Vec<String>,
        walk: &'a mut Walk,
        share: bool,
    ) -> BoxFuture<'a, SpfNode> {
        Box::pin(async move {
            let mut node = SpfNode::new(domain, via, term);
            let Some(record) = self.fetch(&mut node).await else {
                return node;
            };
            node.warnings = record_warnings(&record, node.record.as_deref().unwrap_or(""));
            let mut path = ancestors;
            path.push(node.domain.clone());
            self.walk_terms(&mut node, &record, &path, walk, share)
                .await;
            node
        })
    }

    /// Fetches the node's record (RFC 7208 §4.5); on anything but exactly one SPF
    /// record, notes why on the node and returns `None`.
    async fn fetch(&self, node: &mut SpfNode) -> Option<Record> {
        let txts = match self.dns.txt(&node.domain).await {
            Outcome::Answer(txts) => txts,
            Outcome::TempFail(t) => {
                node.entry_error(Finding::new(
                    FindingKind::Temperror,
                    format!("TXT lookup for {} failed: {t}", node.domain),
                ));
                return None;
            }
            void => {
                node.missing = Some(Missing {
                    void: true,
                    reason: void.describe_failure().unwrap_or_default(),
                });
                return None;
            }
        };
        let selected = select_records(&txts);
        match selected.as_slice() {
            [] => {
                node.missing = Some(Missing {
                    void: false,
                    reason: format!("{} TXT record(s), none beginning \"v=spf1\"", txts.len()),
                });
                None
            }
            [one] => {
                let text = txts[*one].clone();
                let parsed = parse(&text);
                node.record = Some(text);
                match parsed {
                    Ok(record) => Some(record),
                    Err(err) => {
                        node.entry_error(Finding::new(FindingKind::Syntax, err.to_string()));
                        None
                    }
                }
            }
            several => {
                let shown: Vec<String> = several
                    .iter()
                    .map(|&i| format!("\"{}\"", txts[i]))
                    .collect();
                node.entry_error(Finding::new(
                    FindingKind::MultipleRecords,
                    format!(
                        "{} SPF records at {}: {}",
                        several.len(),
                        node.domain,
                        shown.join(", ")
                    ),
                ));
                None
            }
        }
    }

    async fn walk_terms(
        &self,
        node: &mut SpfNode,
        record: &Record,
        path: &[String],
        walk: &mut Walk,
        share: bool,
    ) {
        let all = record.terms.iter().find_map(|t| match t.kind {
            TermKind::Directive(q, Mechanism::All) => Some(format!("{}all", q.symbol())),
            _ => None,
        });
        let has_all = all.is_some();
        node.all = all;
        node.ip4_addresses = ip4_addresses(record);
        // Terms after `all` are never evaluated; `redirect` is ignored when the record
        // has an `all` anywhere (RFC 7208 §6.1) and otherwise evaluated last.
        let mut evaluated: Vec<(&str, Action<'_>)> = Vec::new();
        for term in &record.terms {
            match &term.kind {
                TermKind::Directive(_, Mechanism::All) => break,
                TermKind::Directive(_, Mechanism::Include(spec)) => {
                    evaluated.push((&term.text, Action::Follow(spec, Via::Include)));
                }
                TermKind::Directive(_, mechanism) if mechanism.queries_dns() => {
                    evaluated.push((&term.text, Action::Leaf(mechanism)));
                }
                _ => {}
            }
        }
        if !has_all {
            let redirect = record.terms.iter().find_map(|t| match &t.kind {
                TermKind::Modifier(Modifier::Redirect(spec)) => Some((t.text.as_str(), spec)),
                _ => None,
            });
            if let Some((term, spec)) = redirect {
                evaluated.push((term, Action::Follow(spec, Via::Redirect)));
            }
        }

        // Leaf terms (a, mx, ptr, exists) only need their own query, so ask them all at
        // once; includes and redirects need their subtree in order, because the running
        // lookup count decides where the walk stops.
        // A term's place in the walk is at least `walk.lookups` plus its index here
        // (includes before it only add to that), so a leaf at or past the cap by that
        // count is never queried. Without this, one record of thousands of `a` terms —
        // a 64 KB TXT holds ~3,600 — sent two queries per term however far past the
        // limit it was.
        let start = walk.lookups;
        let domain = node.domain.as_str();
        let leaf_results = join_all(evaluated.iter().enumerate().map(
            |(index, (term, action))| async move {
                let capped =
                    u32::try_from(index).map_or(true, |i| start.saturating_add(i) >= WALK_CAP);
                match action {
                    Action::Leaf(mechanism) => {
                        Some(self.leaf(domain, term, mechanism, capped).await)
                    }
                    Action::Follow(..) => None,
                }
            },
        ))
        .await;

        for ((term, action), leaf) in evaluated.iter().zip(leaf_results) {
            node.lookups += 1;
            walk.lookups += 1;
            let mut step = Step {
                term: (*term).to_owned(),
                void: false,
                error: None,
                child: None,
            };
            match (action, leaf) {
                (Action::Follow(spec, via), _) => {
                    self.follow(node, &mut step, spec, *via, path, walk, share)
                        .await;
                }
                (Action::Leaf(_), Some(leaf)) => {
                    step.void = leaf.void;
                    if let Some(error) = leaf.error {
                        step.error = Some(node.errors.len());
                        node.errors.push(error);
                    }
                    if let Some(warning) = leaf.warning {
                        node.warnings.push(warning);
                    }
                    if leaf.truncated {
                        truncated(node);
                    }
                }
                (Action::Leaf(_), None) => {}
            }
            if step.void {
                node.void_lookups += 1;
            }
            node.steps.push(step);
        }

        node.subtree_lookups =
            node.lookups + node.children.iter().map(|c| c.subtree_lookups).sum::<u32>();
    }

    /// Follows an include or redirect: the step's lookup is already counted.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site pair; a struct would only rename them"
    )]
    async fn follow(
        &self,
        node: &mut SpfNode,
        step: &mut Step,
        spec: &DomainSpec,
        via: Via,
        path: &[String],
        walk: &mut Walk,
        share: bool,
    ) {
        let Some(target) = spec.expand(&node.domain) else {
            node.warnings.push(unexpandable(&step.term));
            return;
        };
        let missing_kind = match via {
            Via::Redirect => FindingKind::RedirectMissing,
            _ => FindingKind::DanglingInclude,
        };
        if let Err(why) = dns::check_name(&target) {
            step.error = Some(node.errors.len());
            node.errors.push(
                Finding::new(
                    missing_kind,
                    format!("{}: target is not a valid domain name ({why})", step.term),
                )
                .with_target(target),
            );
            return;
        }
        if path.contains(&target) {
            node.context_free = false;
            step.error = Some(node.errors.len());
            node.errors.push(Finding::new(
                FindingKind::IncludeLoop,
                format!("{}: {} → {target} loops back", step.term, path.join(" → ")),
            ));
            return;
        }
        if walk.lookups > WALK_CAP {
            truncated(node);
            return;
        }
        let child = self
            .child(target, via, step.term.clone(), path, walk, share)
            .await;
        if let Some(missing) = &child.missing {
            step.void = missing.void;
            step.error = Some(node.errors.len());
            let what = if via == Via::Redirect {
                "redirect target"
            } else {
                "include target"
            };
            node.errors.push(
                Finding::new(
                    missing_kind,
                    format!(
                        "{}: {what} {} has no SPF record ({})",
                        step.term, child.domain, missing.reason
                    ),
                )
                .with_target(child.domain.clone()),
            );
        }
        node.context_free &= child.context_free;
        step.child = Some(node.children.len());
        node.children.push(child);
    }

    /// A subtree, from the memo when it is valid at this point of the walk.
    async fn child(
        &self,
        target: String,
        via: Via,
        term: String,
        path: &[String],
        walk: &mut Walk,
        share: bool,
    ) -> SpfNode {
        if let (true, Some(memo)) = (share, &self.memo) {
            // A subtree with a transient failure goes to the walks that waited for it as
            // the cache's failure, which it never keeps: it must not stand for the rest
            // of the scan.
            let fetch = || async {
                let mut fresh = Walk { lookups: 0 };
                let node = Arc::new(
                    self.node(target.clone(), via, None, Vec::new(), &mut fresh, false)
                        .await,
                );
                if has_temperror(&node) {
                    Err(node)
                } else {
                    Ok(node)
                }
            };
            let shared = memo
                .get_or_try(target.as_str(), fetch, |_| None)
                .await
                .unwrap_or_else(|failed| failed);
            // The memo computed the subtree from its own root; it is the same subtree
            // here unless it loops (possibly back to one of our ancestors) or would
            // cross the walk cap at this depth of the walk.
            if shared.context_free && walk.lookups + shared.subtree_lookups <= WALK_CAP {
                walk.lookups += shared.subtree_lookups;
                let mut node = (*shared).clone();
                node.via = via;
                node.term = Some(term);
                return node;
            }
        }
        self.node(target, via, Some(term), path.to_vec(), walk, false)
            .await
    }

    /// Runs the query of a leaf term (`a`, `mx`, `ptr`, `exists`).
    async fn leaf(&self, domain: &str, term: &str, mechanism: &Mechanism, capped: bool) -> Leaf {
        let mut leaf = Leaf::default();
        if capped {
            leaf.truncated = true;
            return leaf;
        }
        let target = |spec: &Option<DomainSpec>| match spec {
            Some(spec) => spec.expand(domain),
            None => Some(domain.to_owned()),
        };
        let name = match mechanism {
            Mechanism::A(spec, _) | Mechanism::Mx(spec, _) => target(spec),
            Mechanism::Exists(spec) => spec.expand(domain),
            // `ptr` needs the client IP; it is counted, and warned about by the analysis.
            _ => return leaf,
        };
        let Some(name) = name else {
            leaf.warning = Some(unexpandable(term));
            return leaf;
        };
        if dns::check_name(&name).is_err() {
            // Such a name cannot exist: the query would find nothing.
            leaf.void = true;
            return leaf;
        }
        let failure = |what: &str, t: &dns::TempFail| {
            Some(Finding::new(
                FindingKind::Temperror,
                format!("{term}: {what} lookup for {name} failed: {t}"),
            ))
        };
        match mechanism {
            Mechanism::Mx(..) => match self.dns.mx(&name).await {
                Outcome::Answer(mut mxs) => {
                    // A null MX (RFC 7505) names no host; it simply matches nothing.
                    let names = mxs.iter().filter(|m| !m.exchange.is_empty()).count();
                    // Resolvers rotate RRsets; in preference order, the host a failure
                    // names is the same from scan to scan. A host named twice is looked
                    // up once.
                    mxs.sort_by(|a, b| {
                        (a.preference, &a.exchange).cmp(&(b.preference, &b.exchange))
                    });
                    let mut hosts: Vec<&str> = Vec::with_capacity(names);
                    for host in mxs.iter().map(|m| m.exchange.as_str()) {
                        if !host.is_empty() && !hosts.contains(&host) {
                            hosts.push(host);
                        }
                    }
                    if names > MAX_MX_NAMES {
                        // The evaluation stops here with a permerror: no address lookups.
                        leaf.error = Some(Finding::new(
                            FindingKind::TooManyMxNames,
                            format!("{term}: {name} has {names} MX names, limit {MAX_MX_NAMES}"),
                        ));
                    } else {
                        self.mx_hosts(term, &name, &hosts, &mut leaf).await;
                    }
                }
                Outcome::TempFail(t) => leaf.error = failure("MX", &t),
                _ => leaf.void = true,
            },
            Mechanism::Exists(_) => match self.dns.a(&name).await {
                Outcome::Answer(_) => {}
                Outcome::TempFail(t) => leaf.error = failure("A", &t),
                _ => leaf.void = true,
            },
            _ => {
                // An IPv4 client asks A, an IPv6 client AAAA: the term is void only when
                // both are, and it counts at most one void either way (RFC 7208 §4.6.4).
                match self.addresses(&name).await {
                    Ok(void) => leaf.void = void,
                    Err((what, t)) => leaf.error = failure(what, &t),
                }
            }
        }
        leaf
    }

    /// The address lookups of an `mx` term: "check_host() first performs an MX lookup
    /// on the <target-name>. Then it performs an address lookup on each MX name
    /// returned" (RFC 7208 §5.4), for every host, as a client matching none of them
    /// makes a receiver do. A failed lookup is a temperror naming the host (§4.4, §5).
    ///
    /// Void lookups: §4.6.4 limits "the number of "terms" for which DNS queries return
    /// either a positive answer (RCODE 0) with an answer count of 0, or a "Name Error"
    /// (RCODE 3) answer", and the hosts' address lookups are DNS queries of the `mx`
    /// term, so a host with no address (neither A nor AAAA, as for `a`) makes the term
    /// void, once however many of its hosts have none. pyspf counts these lookups too
    /// (its `dns_mx` asks each host through the lookup that counts voids), one per
    /// host; per term matches the RFC's word "terms" and this walk's rule for `a`.
    /// The lookups add nothing to the 10-term count: §4.6.4 counts the `mx` term once
    /// and bounds its hosts by the separate limit of 10 MX names.
    async fn mx_hosts(&self, term: &str, name: &str, hosts: &[&str], leaf: &mut Leaf) {
        let found = join_all(hosts.iter().map(|host| async move {
            if dns::is_ip_literal(host) || dns::check_name(host).is_err() {
                // Such a name cannot exist: its address lookup would find nothing.
                return Ok(true);
            }
            self.addresses(host).await
        }))
        .await;
        for (host, found) in hosts.iter().zip(found) {
            match found {
                Ok(void) => leaf.void |= void,
                Err((what, t)) => {
                    leaf.error = Some(Finding::new(
                        FindingKind::Temperror,
                        format!("{term}: {what} lookup for MX host {host} of {name} failed: {t}"),
                    ));
                    return;
                }
            }
        }
    }

    /// The A and AAAA lookups of `name`: whether both found nothing (void), or the
    /// first that failed.
    async fn addresses(&self, name: &str) -> Result<bool, (&'static str, dns::TempFail)> {
        let (v4, v6) = futures::join!(self.dns.a(name), self.dns.aaaa(name));
        match (v4, v6) {
            (Outcome::TempFail(t), _) => Err(("A", t)),
            (_, Outcome::TempFail(t)) => Err(("AAAA", t)),
            (v4, v6) => Ok(v4.is_void() && v6.is_void()),
        }
    }
}

/// What evaluating a DNS-querying term takes.
enum Action<'a> {
    /// Its own query only (`a`, `mx`, `ptr`, `exists`).
    Leaf(&'a Mechanism),
    /// The target's whole subtree (`include`, `redirect`).
    Follow(&'a DomainSpec, Via),
}

#[derive(Default)]
struct Leaf {
    void: bool,
    error: Option<Finding>,
    warning: Option<Finding>,
    truncated: bool,
}

fn unexpandable(term: &str) -> Finding {
    Finding::new(
        FindingKind::UnexpandableMacro,
        format!(
            "{term}: uses a macro that needs the client IP, sender or HELO name; counted, not followed"
        ),
    )
}

fn truncated(node: &mut SpfNode) {
    node.context_free = false;
    if !node
        .warnings
        .iter()
        .any(|w| w.kind == FindingKind::WalkTruncated)
    {
        node.warnings.push(Finding::new(
            FindingKind::WalkTruncated,
            format!(
                "more than {WALK_CAP} DNS-querying terms: later terms were counted, not queried"
            ),
        ));
    }
}

fn has_temperror(node: &SpfNode) -> bool {
    node.errors.iter().any(|e| e.kind.is_temporary()) || node.children.iter().any(has_temperror)
}
