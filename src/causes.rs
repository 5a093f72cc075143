//! Failures counted by their cause, in bounded memory: the DNS failures of a scan and
//! the STARTTLS connections that failed, so that a run can say in words why it measured
//! little.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A cause and how many failures it accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cause {
    pub cause: String,
    pub count: u64,
}

/// Counts by cause. Causes name servers, response codes and error words, not the names
/// asked, so a few distinct ones are expected; past [`Causes::DISTINCT`], new ones are
/// counted together as "other causes".
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Causes(HashMap<String, u64>);

impl Causes {
    pub(crate) const DISTINCT: usize = 64;
    const OTHER: &'static str = "other causes";

    pub(crate) fn add(&mut self, cause: &str, count: u64) {
        if let Some(n) = self.0.get_mut(cause) {
            *n += count;
        } else if self.0.len() >= Self::DISTINCT {
            *self.0.entry(Self::OTHER.to_owned()).or_default() += count;
        } else {
            self.0.insert(cause.to_owned(), count);
        }
    }

    pub(crate) fn merge(&mut self, other: &Self) {
        for (cause, n) in &other.0 {
            self.add(cause, *n);
        }
    }

    /// The `n` most frequent causes, most frequent first (ties by name).
    pub(crate) fn top(&self, n: usize) -> Vec<Cause> {
        let mut top: Vec<Cause> = self
            .0
            .iter()
            .map(|(cause, count)| Cause {
                cause: cause.clone(),
                count: *count,
            })
            .collect();
        top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.cause.cmp(&b.cause)));
        top.truncate(n);
        top
    }
}

impl FromIterator<Cause> for Causes {
    fn from_iter<I: IntoIterator<Item = Cause>>(causes: I) -> Self {
        let mut all = Self::default();
        for c in causes {
            all.add(&c.cause, c.count);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_sorted_and_mergeable() {
        let mut a = Causes::default();
        a.add("timeout", 3);
        a.add("refused", 3);
        a.add("timeout", 1);
        for i in 0..Causes::DISTINCT {
            a.add(&format!("rare {i}"), 1);
        }
        let top = a.top(3);
        assert_eq!(
            top[0],
            Cause {
                cause: "timeout".into(),
                count: 4
            }
        );
        assert_eq!(
            top[1],
            Cause {
                cause: "refused".into(),
                count: 3
            }
        );
        // 62 of the 64 rare ones fit beside the two; the rest are "other causes".
        assert_eq!(
            top[2],
            Cause {
                cause: "other causes".into(),
                count: 2
            }
        );
        let mut b: Causes = a.top(1).into_iter().collect();
        b.merge(&a);
        assert_eq!(b.top(1)[0].count, 8);
    }
}
