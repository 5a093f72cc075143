//! A bounded cache in which everyone asking for one key at the same moment waits for a
//! single computation of it: the DNS answers, SPF subtrees, MX hosts, DMARC policies and
//! STARTTLS probes that a scan shares between domains. A failure goes to those who
//! waited for it and is never kept, so one timeout does not stand for the rest of a scan.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::Equivalent;
use quick_cache::sync::Cache;

/// One computed value, or the failure handed to the askers who waited for it.
struct Slot<V, E> {
    /// When the computation ended.
    at: Instant,
    /// Until when it may serve later askers; `None` for as long as it stays cached.
    until: Option<Instant>,
    result: Result<V, E>,
}

/// Cheap to clone: clones share the entries.
pub(crate) struct Shared<K, V, E = std::convert::Infallible> {
    entries: Arc<Cache<K, Arc<Slot<V, E>>>>,
}

impl<K, V, E> Clone for Shared<K, V, E> {
    fn clone(&self) -> Self {
        Self {
            entries: Arc::clone(&self.entries),
        }
    }
}

impl<K, V, E> Shared<K, V, E>
where
    K: Eq + Hash + Clone,
    V: Clone,
    E: Clone,
{
    /// Keeps at most about `capacity` entries (at least one); the least used go first.
    pub(crate) fn new(capacity: u64) -> Self {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        Self {
            entries: Arc::new(Cache::new(capacity)),
        }
    }

    /// The value for `key`: cached, or being computed by another asker (then waited for),
    /// or computed here by `fetch`. `lifetime` says how long a value may serve later
    /// askers (`None`: while it stays cached).
    pub(crate) async fn get_or_try<Q, F, Fut>(
        &self,
        key: &Q,
        fetch: F,
        lifetime: impl FnOnce(&V) -> Option<Duration>,
    ) -> Result<V, E>
    where
        Q: Hash + Equivalent<K> + ToOwned<Owned = K> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let asked = Instant::now();
        // A stale entry is removed in the first round; the second finds the key free
        // (or someone else's fresh entry).
        for _ in 0..2 {
            match self.entries.get_value_or_guard_async(key).await {
                Ok(slot) => {
                    let fresh = slot.at >= asked
                        || (slot.result.is_ok() && slot.until.is_none_or(|u| u > Instant::now()));
                    if fresh {
                        return slot.result.clone();
                    }
                    self.entries.remove_if(key, |s| Arc::ptr_eq(s, &slot));
                }
                Err(guard) => {
                    let result = fetch().await;
                    let at = Instant::now();
                    let until = match &result {
                        Ok(value) => lifetime(value).map(|ttl| at + ttl),
                        Err(_) => Some(at),
                    };
                    let _ = guard.insert(Arc::new(Slot {
                        at,
                        until,
                        result: result.clone(),
                    }));
                    return result;
                }
            }
        }
        // Only when the key was taken and went stale twice while we asked.
        fetch().await
    }
}

impl<K, V> Shared<K, V, std::convert::Infallible>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    /// [`Self::get_or_try`] for a computation that cannot fail, kept while cached.
    pub(crate) async fn get_or_compute<Q, F, Fut>(&self, key: &Q, compute: F) -> V
    where
        Q: Hash + Equivalent<K> + ToOwned<Owned = K> + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let Ok(value) = self
            .get_or_try(key, || async { Ok(compute().await) }, |_| None)
            .await;
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn waiters_share_one_computation_and_a_failure_is_not_kept() {
        let cache: Shared<String, u32, &'static str> = Shared::new(16);
        let runs = AtomicU32::new(0);
        let fetch = || async {
            runs.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err("timeout")
        };
        let together =
            futures::future::join_all((0..10).map(|_| cache.get_or_try("k", fetch, |_| None)))
                .await;
        assert!(together.iter().all(|r| *r == Err("timeout")));
        assert_eq!(runs.load(Ordering::Relaxed), 1);
        // Later, the failure is not served: the key is computed again.
        let later = cache.get_or_try("k", || async { Ok(7) }, |_| None).await;
        assert_eq!(later, Ok(7));
        assert_eq!(
            cache.get_or_try("k", || async { Ok(8) }, |_| None).await,
            Ok(7)
        );
    }

    #[tokio::test]
    async fn a_value_past_its_lifetime_is_computed_again() {
        let cache: Shared<String, u32, ()> = Shared::new(16);
        let short = |_: &u32| Some(Duration::ZERO);
        assert_eq!(
            cache.get_or_try("k", || async { Ok(1) }, short).await,
            Ok(1)
        );
        assert_eq!(
            cache.get_or_try("k", || async { Ok(2) }, short).await,
            Ok(2)
        );
        let long = |_: &u32| Some(Duration::from_secs(60));
        assert_eq!(cache.get_or_try("j", || async { Ok(1) }, long).await, Ok(1));
        assert_eq!(cache.get_or_try("j", || async { Ok(2) }, long).await, Ok(1));
    }
}
