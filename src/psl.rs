//! The Public Suffix List, for RFC 7489 Organizational Domains (§3.2) and for grouping
//! adoption figures by suffix: a copy ships in the binary (`data/public_suffix_list.dat`), and `--psl FILE` loads another.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use publicsuffix::{List, Psl as _};

/// The bundled snapshot; its header says when it was taken.
const BUNDLED: &str = include_str!("../data/public_suffix_list.dat");

/// A parsed suffix list, cheap to clone.
#[derive(Clone)]
pub struct SuffixList {
    list: Arc<List>,
    origin: Arc<str>,
}

impl std::fmt::Debug for SuffixList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SuffixList")
    }
}

impl SuffixList {
    /// The snapshot that ships with the program.
    pub fn bundled() -> Self {
        Self::parse(BUNDLED, "built-in snapshot of 2025-05-26")
            .unwrap_or_else(|e| panic!("the bundled suffix list is broken: {e}"))
    }

    /// A list in the publicsuffix.org file format, e.g. a fresh download or Debian's
    /// `/usr/share/publicsuffix/public_suffix_list.dat`.
    pub(crate) fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the suffix list {}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
            .with_context(|| format!("{} is not a suffix list", path.display()))
    }

    fn parse(text: &str, origin: &str) -> anyhow::Result<Self> {
        let list: List = text.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(!list.is_empty(), "no rules");
        Ok(Self {
            list: Arc::new(list),
            origin: origin.into(),
        })
    }

    /// Where the list came from, for `scan.json`.
    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// The Organizational Domain of `domain` (lower-case A-labels, no trailing dot) by
    /// RFC 7489 §3.2: the longest matching public suffix plus one label. A name that is
    /// itself a public suffix has no such label; it is then its own Organizational
    /// Domain, which is what a receiver querying `_dmarc.<suffix>` would do.
    pub fn organizational_domain(&self, domain: &str) -> String {
        self.registrable_domain(domain)
            .unwrap_or_else(|| domain.to_owned())
    }

    /// Public suffix plus one label, or `None` when `domain` is a suffix itself. Rules
    /// from both the ICANN and the private sections apply, as in the list's own tests.
    pub(crate) fn registrable_domain(&self, domain: &str) -> Option<String> {
        let found = self.list.domain(domain.as_bytes())?;
        std::str::from_utf8(found.as_bytes())
            .ok()
            .map(str::to_ascii_lowercase)
    }

    /// The longest public suffix of `domain` (`co.jp` for `example.co.jp`); an unlisted
    /// top-level domain is its own suffix, by the list's implicit `*` rule.
    pub(crate) fn public_suffix(&self, domain: &str) -> Option<String> {
        let found = self.list.suffix(domain.as_bytes())?;
        std::str::from_utf8(found.as_bytes())
            .ok()
            .map(str::to_ascii_lowercase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        input: Option<String>,
        expected_registrable_domain: Option<String>,
    }

    /// The suffix list project's own test cases (`tests/data/psl-tests.json`), with
    /// inputs turned into A-labels first, as the scanner's input module does.
    #[test]
    fn psl_project_vectors() {
        let vectors: Vec<Vector> =
            serde_json::from_str(include_str!("../tests/data/psl-tests.json")).unwrap();
        let list = SuffixList::bundled();
        let mut run = 0;
        for v in &vectors {
            let Some(input) = &v.input else { continue };
            // Names with empty labels never reach the analysers: input rejects them.
            if input.starts_with('.') || input.contains("..") {
                continue;
            }
            let ascii = idna::domain_to_ascii(input).unwrap();
            let want = v
                .expected_registrable_domain
                .as_deref()
                .map(|d| idna::domain_to_ascii(d).unwrap());
            assert_eq!(list.registrable_domain(&ascii), want, "{input}");
            run += 1;
        }
        assert!(run > 60, "only {run} vectors ran");
    }

    #[test]
    fn a_suffix_is_its_own_organizational_domain() {
        let list = SuffixList::bundled();
        assert_eq!(list.organizational_domain("co.jp"), "co.jp");
        assert_eq!(
            list.organizational_domain("a.b.example.co.jp"),
            "example.co.jp"
        );
        // Not in the list: the default rule "*" makes the last label the suffix.
        assert_eq!(
            list.organizational_domain("x.y.example.test"),
            "example.test"
        );
    }
}
