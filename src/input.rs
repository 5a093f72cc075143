//! Domain list input: reads list files (or standard input) line by line, turns each line
//! into a DNS name to scan, reports lines that are not one, and drops repeats — without
//! ever holding the whole list in memory.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::io::{self, BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};

/// Lines longer than this are not domain names; the rest of such a line is skipped
/// without being buffered.
pub const MAX_LINE: usize = 4096;

/// An opened set of lists, read lazily, file after file.
pub struct DomainLists {
    sources: std::vec::IntoIter<(Arc<str>, Box<dyn BufRead + Send>)>,
    current: Option<(Arc<str>, Box<dyn BufRead + Send>)>,
    line: u64,
    buf: Vec<u8>,
    /// 64-bit hashes of the names seen: 8 bytes a name instead of a ~40-byte string.
    /// Two different names colliding is about 3·10⁻⁴ likely over 10⁸ names, and would
    /// only make one of them be reported as a duplicate.
    seen: HashSet<u64>,
}

/// What reading the lists produced, in order.
#[derive(Debug)]
pub enum InputEvent {
    /// An accepted, new (not seen before) domain.
    Domain(InputDomain),
    /// A line that was skipped; the scan goes on.
    Invalid(InputError),
    /// A domain already seen earlier in this run (counted, not scanned again).
    Duplicate {
        source: Arc<str>,
        line: u64,
        domain: String,
    },
    /// The file could not be read further; the rest of that file is lost.
    ReadError { source: Arc<str>, error: io::Error },
}

/// A domain to scan, and where it came from.
#[derive(Debug, Clone)]
pub struct InputDomain {
    /// ASCII, lower-case, A-labels, no trailing dot.
    pub domain: String,
    pub source: Arc<str>,
    /// 1-based.
    pub line: u64,
    /// Set when the line was not already a plain domain: how it was turned into one.
    pub rewritten: Option<Rewrite>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub how: RewriteKind,
    pub original: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteKind {
    Url,
    Email,
    Idn,
}

impl Rewrite {
    /// A note for stderr: `FILE:LINE: took host "…" from URL "…"`.
    pub fn describe(&self, d: &InputDomain) -> String {
        let what = match self.how {
            RewriteKind::Url => "took host",
            RewriteKind::Email => "took domain",
            RewriteKind::Idn => "converted to A-labels:",
        };
        let from = match self.how {
            RewriteKind::Url => "from URL ",
            RewriteKind::Email => "from e-mail address ",
            RewriteKind::Idn => "from ",
        };
        format!(
            "{}:{}: {what} \"{}\" {from}\"{}\"",
            d.source,
            d.line,
            d.domain,
            shorten(&self.original)
        )
    }
}

/// A line that is not a domain name.
#[derive(Debug, Clone)]
pub struct InputError {
    pub source: Arc<str>,
    pub line: u64,
    pub text: String,
    pub reason: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} (line: \"{}\")",
            self.source,
            self.line,
            self.reason,
            shorten(&self.text)
        )
    }
}

/// At most 80 characters, control characters escaped, for messages.
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(80).flat_map(char::escape_debug).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

impl DomainLists {
    /// Opens every list up front, so a missing file stops the run before any scanning.
    /// `-` is standard input, at most once.
    pub fn open(paths: &[PathBuf]) -> anyhow::Result<Self> {
        let mut sources: Vec<(Arc<str>, Box<dyn BufRead + Send>)> = Vec::new();
        let mut stdin = false;
        for path in paths {
            if is_stdin(path) {
                if stdin {
                    bail!("standard input (-) can be given only once");
                }
                stdin = true;
                sources.push((Arc::from("-"), Box::new(BufReader::new(io::stdin()))));
            } else {
                let file = File::open(path)
                    .with_context(|| format!("opening the domain list {}", path.display()))?;
                sources.push((
                    Arc::from(path.display().to_string()),
                    Box::new(BufReader::new(file)),
                ));
            }
        }
        Ok(Self {
            sources: sources.into_iter(),
            current: None,
            line: 0,
            buf: Vec::new(),
            seen: HashSet::new(),
        })
    }

    /// Reads one line into `buf` (without its end), storing at most `MAX_LINE + 1` bytes.
    /// Returns `Ok(false)` at the end of the source.
    fn read_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        let mut any = false;
        loop {
            let chunk = reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(any);
            }
            any = true;
            let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], Some(i + 1)),
                None => (chunk, None),
            };
            let room = (MAX_LINE + 1).saturating_sub(buf.len());
            buf.extend_from_slice(&part[..part.len().min(room)]);
            let used = done.unwrap_or(chunk.len());
            reader.consume(used);
            if done.is_some() {
                return Ok(true);
            }
        }
    }

    fn event(&mut self, source: &Arc<str>) -> Option<InputEvent> {
        let line = self.line;
        let mut bytes = self.buf.as_slice();
        if line == 1 {
            bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
        }
        let invalid = |text: String, reason: String| {
            Some(InputEvent::Invalid(InputError {
                source: Arc::clone(source),
                line,
                text,
                reason,
            }))
        };
        if bytes.len() > MAX_LINE {
            let text = String::from_utf8_lossy(&bytes[..80]).into_owned();
            return invalid(text, format!("line too long (over {MAX_LINE} bytes)"));
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            return invalid(
                String::from_utf8_lossy(bytes).into_owned(),
                "not valid UTF-8".into(),
            );
        };
        match normalise_line(text) {
            Ok(None) => None,
            Err(reason) => invalid(text.trim().to_owned(), reason),
            Ok(Some((domain, rewritten))) => {
                let mut hasher = DefaultHasher::new();
                domain.hash(&mut hasher);
                if self.seen.insert(hasher.finish()) {
                    Some(InputEvent::Domain(InputDomain {
                        domain,
                        source: Arc::clone(source),
                        line,
                        rewritten,
                    }))
                } else {
                    Some(InputEvent::Duplicate {
                        source: Arc::clone(source),
                        line,
                        domain,
                    })
                }
            }
        }
    }
}

impl Iterator for DomainLists {
    type Item = InputEvent;

    fn next(&mut self) -> Option<InputEvent> {
        loop {
            if self.current.is_none() {
                self.current = Some(self.sources.next()?);
                self.line = 0;
            }
            let (source, mut reader) = self.current.take()?;
            let mut buf = std::mem::take(&mut self.buf);
            let read = Self::read_line(reader.as_mut(), &mut buf);
            self.buf = buf;
            match read {
                Ok(false) => continue,
                Err(error) => return Some(InputEvent::ReadError { source, error }),
                Ok(true) => {
                    self.line += 1;
                    self.current = Some((Arc::clone(&source), reader));
                    if let Some(event) = self.event(&source) {
                        return Some(event);
                    }
                }
            }
        }
    }
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Candidate lines (not blank, not comments) in the lists, for a progress bar's total;
/// `None` when a list is standard input.
pub fn count_candidates(paths: &[PathBuf]) -> io::Result<Option<u64>> {
    let mut total = 0;
    for path in paths {
        if is_stdin(path) {
            return Ok(None);
        }
        let mut reader = BufReader::new(File::open(path)?);
        let mut buf = Vec::new();
        while DomainLists::read_line(&mut reader, &mut buf)? {
            let line = buf.trim_ascii();
            if !line.is_empty() && !line.starts_with(b"#") {
                total += 1;
            }
        }
    }
    Ok(Some(total))
}

/// Turns one line into a domain name: `Ok(None)` for a blank or comment line, the name
/// and how it was derived, or why the line is not a domain.
pub fn normalise_line(line: &str) -> Result<Option<(String, Option<Rewrite>)>, String> {
    let line = line.trim_start_matches('\u{feff}');
    // A domain never contains '#', so anything after whitespace and '#' is a comment.
    let line = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    };
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let original = line.to_owned();
    let (host, mut how) = if line.contains("://") {
        (url_host(line)?, Some(RewriteKind::Url))
    } else if let Some((_, domain)) = line.rsplit_once('@') {
        (
            domain.trim_end_matches('>').to_owned(),
            Some(RewriteKind::Email),
        )
    } else {
        (line.to_owned(), None)
    };
    if host.chars().any(char::is_whitespace) {
        return Err("spaces inside the name".into());
    }
    let host = host.strip_suffix('.').unwrap_or(&host);
    if host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok()
    {
        return Err("an IP address, not a domain name".into());
    }
    let ascii = if host.is_ascii() {
        host.to_ascii_lowercase()
    } else {
        how.get_or_insert(RewriteKind::Idn);
        // UTS 46 processing; underscores are kept (`_dmarc.example.jp` is scannable).
        idna::domain_to_ascii(host)
            .map_err(|_| format!("not a valid internationalised name: \"{}\"", shorten(host)))?
    };
    check_domain(&ascii)?;
    Ok(Some((ascii, how.map(|how| Rewrite { how, original }))))
}

/// The host of a URL line, through the `url` crate (scheme, user info, port, brackets).
fn url_host(line: &str) -> Result<String, String> {
    let url = url::Url::parse(line).map_err(|e| format!("not a valid URL: {e}"))?;
    match url.host() {
        Some(url::Host::Domain(d)) => Ok(d.to_owned()),
        Some(_) => Err("an IP address, not a domain name".into()),
        None => Err("URL without a host".into()),
    }
}

/// Checks a lower-case ASCII name: the DNS limits ([`crate::dns::check_name`]), then what
/// a scannable domain also needs: letters, digits, hyphens and underscores, no label
/// starting or ending with a hyphen, at least two labels, a top-level label not all digits.
fn check_domain(name: &str) -> Result<(), String> {
    crate::dns::check_name(name)?;
    if !name.contains('.') {
        return Err("not a domain name: single label".into());
    }
    for label in name.split('.') {
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!("character {c:?} not allowed in a domain name"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label \"{label}\" starts or ends with a hyphen"));
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("all-numeric top-level label".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn ok(line: &str) -> (String, Option<RewriteKind>) {
        match normalise_line(line) {
            Ok(Some((d, r))) => (d, r.map(|r| r.how)),
            other => panic!("{line:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_names_are_normalised() {
        for (line, want) in [
            ("example.jp", "example.jp"),
            ("  Example.CO.JP.  ", "example.co.jp"),
            ("example.jp\r", "example.jp"),
            ("\u{feff}example.jp", "example.jp"),
            ("example.jp # our main domain", "example.jp"),
            ("example.jp\t# tab comment", "example.jp"),
            ("_dmarc.example.jp", "_dmarc.example.jp"),
            ("xn--r8jz45g.jp", "xn--r8jz45g.jp"),
        ] {
            assert_eq!(ok(line), (want.to_owned(), None), "{line:?}");
        }
    }

    #[test]
    fn blank_and_comment_lines_are_skipped() {
        for line in [
            "",
            "   ",
            "\r",
            "# comment",
            "   # indented comment",
            "\u{feff}",
        ] {
            assert_eq!(
                normalise_line(line).unwrap().map(|(d, _)| d),
                None,
                "{line:?}"
            );
        }
    }

    #[test]
    fn urls_and_addresses_give_their_host() {
        for (line, want, how) in [
            (
                "https://www.example.co.jp/path?q=1",
                "www.example.co.jp",
                RewriteKind::Url,
            ),
            (
                "http://user@host.example.jp:8080/x",
                "host.example.jp",
                RewriteKind::Url,
            ),
            ("HTTPS://Example.JP", "example.jp", RewriteKind::Url),
            ("info@example.co.jp", "example.co.jp", RewriteKind::Email),
            (
                "mailto:info@example.co.jp",
                "example.co.jp",
                RewriteKind::Email,
            ),
            ("<info@Example.co.jp>", "example.co.jp", RewriteKind::Email),
            ("例え.jp", "xn--r8jz45g.jp", RewriteKind::Idn),
            ("ＥＸＡＭＰＬＥ.jp", "example.jp", RewriteKind::Idn),
        ] {
            assert_eq!(ok(line), (want.to_owned(), Some(how)), "{line:?}");
        }
    }

    #[test]
    fn invalid_lines_say_why() {
        let long_label = format!("{}.jp", "a".repeat(64));
        let long_name = format!("{}.jp", vec!["a".repeat(60); 5].join("."));
        for (line, reason) in [
            ("a..b.jp", "empty label"),
            (".example.jp", "empty label"),
            (long_label.as_str(), "label longer than 63 octets"),
            (long_name.as_str(), "longer than 253 octets"),
            ("192.0.2.1", "IP address"),
            ("[2001:db8::1]", "IP address"),
            ("2001:db8::1", "IP address"),
            ("https://192.0.2.1/x", "IP address"),
            ("localhost", "single label"),
            ("com", "single label"),
            ("exa mple.jp", "spaces"),
            ("exa$mple.jp", "not allowed"),
            ("-example.jp", "hyphen"),
            ("example-.jp", "hyphen"),
            ("http://", "URL"),
        ] {
            let err = normalise_line(line).expect_err(line);
            assert!(err.contains(reason), "{line:?}: {err}");
        }
    }

    #[test]
    fn lists_are_read_in_order_with_line_numbers_and_dedupe() {
        let mut a = tempfile::NamedTempFile::new().unwrap();
        a.write_all(b"\xef\xbb\xbf# list a\r\nexample.jp\r\n\r\nbad..name\r\n\xff\xfe.jp\r\nEXAMPLE.jp.\r\nhttps://www.example.jp/\r\n")
            .unwrap();
        let mut b = tempfile::NamedTempFile::new().unwrap();
        b.write_all(b"example.jp\nother.jp").unwrap();
        let long = format!("{}\nlast.jp\n", "x".repeat(10_000));
        let mut c = tempfile::NamedTempFile::new().unwrap();
        c.write_all(long.as_bytes()).unwrap();
        let paths = [
            a.path().to_path_buf(),
            b.path().to_path_buf(),
            c.path().to_path_buf(),
        ];
        let events: Vec<String> = DomainLists::open(&paths)
            .unwrap()
            .map(|e| match e {
                InputEvent::Domain(d) => format!(
                    "domain {} {} {:?}",
                    d.line,
                    d.domain,
                    d.rewritten.map(|r| r.how)
                ),
                InputEvent::Invalid(e) => format!("invalid {} {}", e.line, e.reason),
                InputEvent::Duplicate { line, domain, .. } => format!("duplicate {line} {domain}"),
                InputEvent::ReadError { error, .. } => format!("error {error}"),
            })
            .collect();
        assert_eq!(
            events,
            [
                "domain 2 example.jp None",
                "invalid 4 empty label",
                "invalid 5 not valid UTF-8",
                "duplicate 6 example.jp",
                "domain 7 www.example.jp Some(Url)",
                "duplicate 1 example.jp",
                "domain 2 other.jp None",
                "invalid 1 line too long (over 4096 bytes)",
                "domain 2 last.jp None",
            ]
        );
        assert_eq!(count_candidates(&paths).unwrap(), Some(10));
    }

    #[test]
    fn missing_file_is_a_run_level_error() {
        let err = DomainLists::open(&[PathBuf::from("/nonexistent/list.txt")])
            .err()
            .unwrap();
        assert!(format!("{err:#}").contains("/nonexistent/list.txt"));
        assert!(DomainLists::open(&[PathBuf::from("-"), PathBuf::from("-")]).is_err());
    }

    #[test]
    fn messages_name_file_and_line() {
        let e = InputError {
            source: Arc::from("list.txt"),
            line: 7,
            text: "bad\u{7}..name".into(),
            reason: "empty label".into(),
        };
        assert_eq!(
            e.to_string(),
            "list.txt:7: empty label (line: \"bad\\u{7}..name\")"
        );
    }
}
