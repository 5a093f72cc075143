//! The questions of one scanned domain share a fate. A lame delegation leaves every name
//! at or under the domain unanswered (the apex TXT and MX, `_dmarc`, the A and AAAA of
//! its own mail hosts), so the first such question goes alone: the others wait, outside
//! the window of questions in flight, until it is answered, and when it times out they
//! end at once as temporary failures that say they were not asked and why. Names outside
//! the domain (include targets, other domains' mail hosts) are asked as usual.
//!
//! The scope is carried by the Tokio task-local [`SCOPE`] around a domain's scan, so the
//! analysers, which share caches across domains, need not pass it along.

use std::future::Future;
use std::sync::{Arc, Mutex};

use hickory_resolver::proto::rr::RecordType;
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};

use super::{Dnssec, Outcome, TempFail, TempFailKind};

tokio::task_local! {
    static SCOPE: Arc<DomainScope>;
}

/// Runs `work` (the DNS part of the scan of `domain`, lower-case, no trailing dot) with
/// its questions under one scope. `place` is the domain's place among those scanned at
/// once: given up (see [`DomainScope::step_aside`]) while the domain waits on name
/// servers that do not answer, so that dead domains do not hold up live ones, and
/// handed back with the output otherwise.
pub async fn for_domain<F: Future>(
    domain: &str,
    place: Option<OwnedSemaphorePermit>,
    work: F,
) -> Scoped<F::Output> {
    let scope = Arc::new(DomainScope {
        domain: domain.to_ascii_lowercase(),
        state: watch::Sender::new(State::Fresh),
        place: Mutex::new(place),
        sent: Notify::new(),
        seen: Mutex::new(Seen::default()),
    });
    let output = SCOPE.scope(Arc::clone(&scope), work).await;
    let place = scope.place.lock().unwrap_or_else(|e| e.into_inner()).take();
    let seen = std::mem::take(&mut *scope.seen.lock().unwrap_or_else(|e| e.into_inner()));
    Scoped {
        output,
        place,
        seen,
    }
}

/// What [`for_domain`] hands back.
pub struct Scoped<T> {
    pub output: T,
    pub place: Option<OwnedSemaphorePermit>,
    /// The DNSSEC state of the answers to the domain's own names.
    pub seen: Seen,
}

/// The DNSSEC state of each question asked at a name under a scanned domain.
#[derive(Debug, Default)]
pub struct Seen(Vec<(String, RecordType, Dnssec)>);

impl Seen {
    /// Questions kept: a domain asks a handful at its own names (apex TXT and MX,
    /// `_dmarc`, the MTA-STS and TLS-RPT records, its hosts' addresses); a hostile
    /// zone's long CNAME chains or SPF tree under itself must not grow the list.
    const CAPACITY: usize = 64;

    fn add(&mut self, name: &str, rtype: RecordType, dnssec: Dnssec) {
        if self.0.len() < Self::CAPACITY {
            let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
            self.0.push((name, rtype, dnssec));
        }
    }

    /// The state of the answers to `rtype` questions at `name` (lower-case, no
    /// trailing dot) taken together; `None` when none was asked.
    pub fn state(&self, name: &str, rtype: RecordType) -> Option<Dnssec> {
        Dnssec::all(
            self.0
                .iter()
                .filter(|(n, t, _)| *t == rtype && n == name)
                .map(|&(_, _, state)| state),
        )
    }
}

pub(super) struct DomainScope {
    domain: String,
    state: watch::Sender<State>,
    place: Mutex<Option<OwnedSemaphorePermit>>,
    /// Told when a try of this domain gets its place in the window: while the first
    /// question is out it is the only one the domain asks, so this is when it left.
    sent: Notify,
    seen: Mutex<Seen>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// No question under the domain yet.
    Fresh,
    /// The first question is out; the others wait for it.
    Probing,
    /// The name servers were heard from; `answered`: with records, NXDOMAIN or NODATA
    /// (not only error codes).
    Open { answered: bool },
    /// A question under the domain timed out, and none had been answered before.
    Silent(TempFail),
}

/// What a question under a scope does.
pub(super) enum Turn {
    /// Not under a scanned domain, or no scope: asked as usual, no answer presumed.
    Outside,
    /// The domain's first question: asked, and its outcome settles the others'.
    First(Arc<DomainScope>),
    /// Asked; `expected` when the domain's name servers have answered before.
    Ask {
        scope: Arc<DomainScope>,
        expected: bool,
    },
    /// Not asked: the domain's name servers did not answer an earlier question.
    NotAsked(TempFail),
}

/// The turn of a question for `name`, waiting while the domain's first one is out.
pub(super) async fn turn(name: &str) -> Turn {
    let Ok(scope) = SCOPE.try_with(Arc::clone) else {
        return Turn::Outside;
    };
    if !covers(&scope.domain, name) {
        return Turn::Outside;
    }
    let mut seen = scope.state.subscribe();
    let claimed = scope.state.send_if_modified(|state| {
        let fresh = *state == State::Fresh;
        if fresh {
            *state = State::Probing;
        }
        fresh
    });
    if claimed {
        return Turn::First(scope);
    }
    // The first question always settles the state (when it is dropped unanswered too),
    // so this wait ends; the sender lives in `scope`, which this function holds.
    let settled = seen
        .wait_for(|state| *state != State::Probing)
        .await
        .map(|state| state.clone());
    match settled {
        Ok(State::Silent(failure)) => Turn::NotAsked(failure),
        Ok(State::Open { answered }) => Turn::Ask {
            scope,
            expected: answered,
        },
        _ => Turn::Ask {
            scope,
            expected: false,
        },
    }
}

impl DomainScope {
    /// Records what a question for `name` `rtype` under the domain came to.
    pub(super) fn settle<T>(
        &self,
        name: &str,
        rtype: RecordType,
        outcome: &Outcome<T>,
        dnssec: Dnssec,
    ) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(name, rtype, dnssec);
        self.state.send_if_modified(|state| {
            let next = match (&*state, outcome) {
                (State::Silent(_), _) | (State::Open { answered: true }, _) => return false,
                (_, Outcome::TempFail(f)) if f.kind == TempFailKind::Timeout => {
                    State::Silent(TempFail {
                        kind: TempFailKind::NotAsked,
                        detail: format!(
                            "the name servers of {} did not answer {rtype} {name} ({})",
                            self.domain, f.detail
                        ),
                    })
                }
                (_, Outcome::TempFail(_)) => State::Open { answered: false },
                _ => State::Open { answered: true },
            };
            if *state == next {
                return false;
            }
            *state = next;
            true
        });
    }

    /// The first question was dropped before it ended (the domain's deadline): the
    /// others are asked for themselves. After [`Self::settle`], nothing to do.
    pub(super) fn abandon(&self) {
        self.state.send_if_modified(|state| {
            let probing = *state == State::Probing;
            if probing {
                *state = State::Open { answered: false };
            }
            probing
        });
    }

    /// Ends once the first question has been on the wire for `rto` (time spent waiting
    /// for a place in the window does not count: a live domain queued behind others is
    /// not a dead one).
    pub(super) async fn unanswered_for(&self, rto: impl FnOnce() -> std::time::Duration) {
        self.sent.notified().await;
        tokio::time::sleep(rto()).await;
    }

    /// The first question has gone unanswered for the RTO: the domain gives back its
    /// place among those scanned at once while it waits.
    pub(super) fn step_aside(&self) {
        let place = self.place.lock().unwrap_or_else(|e| e.into_inner()).take();
        drop(place);
    }
}

/// Tells the current domain's scope, if any, that one of its tries got its place in the
/// window (see [`DomainScope::unanswered_for`]).
pub(super) fn note_sent() {
    // Outside a scope there is nobody to tell.
    let _ = SCOPE.try_with(|scope| scope.sent.notify_one());
}

/// Whether `name` is `domain` or under it, ignoring case and a trailing dot.
fn covers(domain: &str, name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() == domain.len() {
        return name.eq_ignore_ascii_case(domain);
    }
    name.len() > domain.len()
        && name.as_bytes()[name.len() - domain.len() - 1] == b'.'
        && name.as_bytes()[name.len() - domain.len()..].eq_ignore_ascii_case(domain.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_domain_and_its_subdomains_only() {
        for (name, covered) in [
            ("example.jp", true),
            ("Example.JP.", true),
            ("_dmarc.example.jp", true),
            ("mail.EXAMPLE.jp", true),
            ("badexample.jp", false),
            ("example.jp.evil", false),
            ("jp", false),
            ("other.jp", false),
        ] {
            assert_eq!(covers("example.jp", name), covered, "{name}");
        }
    }
}
