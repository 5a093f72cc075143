//! `--shard I/N`: a stable split of a list into N parts, so that N machines (a
//! Kubernetes Indexed Job, GNU parallel over ssh) scan one list between them and
//! `mailposture merge` joins their scan directories.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Shard `index` of `count`, counted from 0 (as a Kubernetes Indexed Job numbers its
/// pods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// The domain falls in this shard: the first 8 bytes of the SHA-256 of its name
    /// (lower-case A-labels, as the input module writes it), modulo the count. The
    /// same on every machine, platform and version, unlike std's hashers.
    pub fn contains(&self, domain: &str) -> bool {
        let digest = ring::digest::digest(&ring::digest::SHA256, domain.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest.as_ref()[..8]);
        u64::from_be_bytes(first) % u64::from(self.count) == u64::from(self.index)
    }
}

/// Why a text is not a shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("{0:?} is not I/N (e.g. 0/4)")]
    NotIOfN(String),
    #[error("shard {text:?}: I counts from 0 and must be below N (0/{count} … {}/{count})", count.saturating_sub(1))]
    OutOfRange { text: String, count: u32 },
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Self, ShardError> {
        let not = || ShardError::NotIOfN(text.to_owned());
        let (index, count) = text.split_once('/').ok_or_else(not)?;
        let number = |part: &str| part.trim().parse::<u32>().map_err(|_| not());
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 || index >= count {
            return Err(ShardError::OutOfRange {
                text: text.to_owned(),
                count,
            });
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_falls_in_exactly_one_shard_and_shards_are_even() {
        let shards: Vec<Shard> = (0..4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        let mut sizes = [0u32; 4];
        for n in 0..4000 {
            let domain = format!("d{n}.example.jp");
            let owners: Vec<usize> = (0..4).filter(|i| shards[*i].contains(&domain)).collect();
            assert_eq!(owners.len(), 1, "{domain}");
            sizes[owners[0]] += 1;
        }
        // SHA-256 spreads names evenly: each shard within 10% of a quarter.
        assert!(sizes.iter().all(|s| (900..=1100).contains(s)), "{sizes:?}");
    }

    #[test]
    fn the_split_is_fixed() {
        // Shard membership must never change between versions: a list split by one
        // version is merged by another. The expected shards are the first 16 hex digits
        // of `printf %s NAME | sha256sum`, modulo 3.
        for (domain, expected) in [
            ("example.jp", 0),
            ("example.com", 1),
            ("d1.example.jp", 2),
            ("xn--wgv71a.jp", 2),
        ] {
            let owner: Vec<u32> = (0..3)
                .filter(|i| {
                    Shard {
                        index: *i,
                        count: 3,
                    }
                    .contains(domain)
                })
                .collect();
            assert_eq!(owner, [expected], "{domain}");
        }
    }

    #[test]
    fn bad_shards_are_refused() {
        for bad in ["4/4", "1/0", "x/4", "1", "-1/4", "1/4/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!("3/4".parse::<Shard>().unwrap().to_string(), "3/4");
    }
}
