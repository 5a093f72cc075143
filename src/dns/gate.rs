//! The admission of tries to the wire: the congestion window of [`super::pacing`] (under
//! `--dns-in-flight`) and `--qps`, and the place each admitted try holds until it ends or
//! is presumed lost.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;

use super::pacing::Pacing;
use super::{ResolverSettings, TempFailKind};

pub(crate) struct Gate {
    state: Mutex<State>,
    /// Wakes a try waiting for a place when one frees or the window grows.
    freed: Notify,
    /// `--qps`: a token bucket over all queries, for resolvers that limit each client.
    rate: Option<DefaultDirectRateLimiter>,
}

struct State {
    pacing: Pacing,
    /// Tries holding a place in the window.
    in_flight: usize,
    /// Tries presumed lost and still waited for.
    lost: usize,
}

impl State {
    /// Whether another try may go out: a place in the window, and all tries still
    /// waited for under twice the window. Tries presumed lost leave the window to live
    /// domains' questions, but the resolver still holds them: as many again as the
    /// window may wait, and after distress the halved window halves that bound too.
    fn admits(&self) -> bool {
        let window = self.pacing.window();
        self.in_flight < window && self.in_flight + self.lost < 2 * window
    }
}

/// The figures of the window, for `scan.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WindowFigures {
    pub smallest: usize,
    pub decreases: u64,
}

impl Gate {
    pub(crate) fn new(settings: &ResolverSettings) -> Self {
        Self {
            state: Mutex::new(State {
                pacing: Pacing::new(settings.max_in_flight, settings.timeout),
                in_flight: 0,
                lost: 0,
            }),
            freed: Notify::new(),
            rate: settings
                .max_qps
                .map(|qps| RateLimiter::direct(Quota::per_second(qps))),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is a few numbers, consistent after every statement: a panic while
        // holding the lock cannot leave it half-changed.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a token and a place in the window. `expected`: whether an answer is
    /// expected, which makes a failure of this try a sign of distress (see `pacing`).
    pub(crate) async fn enter(&self, expected: bool) -> Place<'_> {
        if let Some(rate) = &self.rate {
            rate.until_ready().await;
        }
        loop {
            let notified = self.freed.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before looking, so a place freed in between still wakes us.
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if state.admits() {
                    state.in_flight += 1;
                    let rto = state.pacing.rto();
                    drop(state);
                    super::scope::note_sent();
                    return Place {
                        gate: self,
                        sent: Instant::now(),
                        expected,
                        held: Held::Window,
                        rto,
                    };
                }
            }
            notified.await;
        }
    }

    /// How long a try may go unanswered before it is presumed lost.
    pub(crate) fn rto(&self) -> Duration {
        self.lock().pacing.rto()
    }

    /// How long try `retry` (0 for the first) of a question waits for its answer.
    pub(crate) fn try_timeout(&self, retry: usize) -> Duration {
        self.lock().pacing.try_timeout(retry)
    }

    pub(crate) fn figures(&self) -> WindowFigures {
        let state = self.lock();
        WindowFigures {
            smallest: state.pacing.smallest(),
            decreases: state.pacing.decreases(),
        }
    }

    fn release(&self, held: Held) {
        let mut state = self.lock();
        match held {
            Held::Window => state.in_flight -= 1,
            Held::Lost => state.lost -= 1,
            Held::Nothing => return,
        }
        drop(state);
        if held == Held::Window {
            self.freed.notify_one();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Window,
    Lost,
    Nothing,
}

/// How a try ended, as far as the window is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// A response: records, NXDOMAIN, NODATA, or an error code other than these below.
    Answer,
    /// SERVFAIL or REFUSED: distress when an answer was expected, else an answer.
    Refused,
    /// No answer within the try's timeout: distress when an answer was expected.
    TimedOut,
    /// Neither (the socket refused to send, the answer was unreadable): no signal.
    Other,
}

impl Ending {
    /// The ending of a try that failed with `kind`.
    pub(crate) fn of_failure(kind: TempFailKind) -> Self {
        match kind {
            TempFailKind::Timeout => Self::TimedOut,
            TempFailKind::Servfail | TempFailKind::Refused => Self::Refused,
            _ => Self::Other,
        }
    }
}

/// One try's place; how the try ended is told through [`Place::ended`], and a place
/// dropped without it (the question given up) is simply freed.
pub(crate) struct Place<'a> {
    gate: &'a Gate,
    sent: Instant,
    expected: bool,
    held: Held,
    /// The RTO when the try was admitted.
    rto: Duration,
}

impl Place<'_> {
    /// How long this try may go unanswered before it is presumed lost.
    pub(crate) fn rto(&self) -> Duration {
        self.rto
    }

    /// Tells the window how the try ended, and frees its place.
    pub(crate) fn ended(mut self, ending: Ending) {
        let distress = self.expected && matches!(ending, Ending::Refused | Ending::TimedOut);
        let answered = !distress && matches!(ending, Ending::Answer | Ending::Refused);
        let grew = {
            let mut state = self.gate.lock();
            let before = state.pacing.window();
            if distress {
                state.pacing.distress(self.sent, Instant::now());
            } else if answered {
                state.pacing.answered(self.sent.elapsed());
            }
            state.pacing.window() > before
        };
        self.gate
            .release(std::mem::replace(&mut self.held, Held::Nothing));
        if grew {
            self.gate.freed.notify_one();
        }
    }

    /// The try has gone unanswered for the RTO: it stops counting against the window
    /// (it still counts against twice the window, see `State::admits`).
    pub(crate) fn presumed_lost(&mut self) {
        if self.held != Held::Window {
            return;
        }
        {
            let mut state = self.gate.lock();
            state.in_flight -= 1;
            state.lost += 1;
        }
        self.held = Held::Lost;
        self.gate.freed.notify_one();
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.gate
            .release(std::mem::replace(&mut self.held, Held::Nothing));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(ceiling: usize) -> Gate {
        Gate::new(&ResolverSettings {
            max_in_flight: ceiling,
            ..ResolverSettings::default()
        })
    }

    #[tokio::test]
    async fn places_are_bounded_by_the_window_and_freed_by_every_ending() {
        let gate = gate(4);
        let mut places = Vec::new();
        for _ in 0..4 {
            places.push(gate.enter(false).await);
        }
        // Full: a fifth waits.
        let fifth = gate.enter(false);
        let mut fifth = std::pin::pin!(fifth);
        assert!(futures::poll!(fifth.as_mut()).is_pending());
        // A lost try makes room in the window, and the waiter gets it.
        places[0].presumed_lost();
        let fifth = fifth.await;
        // Lost tries still count against twice the window: with all four lost and the
        // fifth out, three more may go, not four.
        for place in &mut places {
            place.presumed_lost();
        }
        let mut more = Vec::new();
        for _ in 0..3 {
            more.push(gate.enter(false).await);
        }
        {
            let state = gate.lock();
            assert!(!state.admits());
            assert_eq!((state.in_flight, state.lost), (4, 4));
        }
        drop(fifth);
        drop(more);
        for place in places {
            place.ended(Ending::Answer);
        }
        let state = gate.lock();
        assert_eq!((state.in_flight, state.lost), (0, 0));
    }

    #[tokio::test]
    async fn only_expected_failures_shrink_the_window() {
        let gate = gate(768);
        assert_eq!(gate.lock().pacing.window(), 64);
        gate.enter(false).await.ended(Ending::TimedOut);
        gate.enter(false).await.ended(Ending::Refused);
        assert_eq!(gate.figures().decreases, 0);
        gate.enter(true).await.ended(Ending::Refused);
        assert_eq!(
            gate.figures(),
            WindowFigures {
                smallest: 32,
                decreases: 1
            }
        );
    }
}
