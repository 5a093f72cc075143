//! Domain list input: reads list files (or standard input) line by line, turns each line
//! into a DNS name to scan, reports lines that are not one, and drops repeats — without
//! ever holding the whole list in memory.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::hash::{DefaultHasher, Hasher as _};
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, bail};

/// Lines longer than this many bytes (without the line end and a byte-order mark) are not
/// domain names; the rest of such a line is skipped without being buffered.
pub const MAX_LINE: usize = 4096;

/// Bytes of a line kept while reading: room for a byte-order mark (3) and a CR (1) on top of
/// [`MAX_LINE`], plus one byte so that an over-long line is still seen as over-long once
/// those are stripped.
const STORED: usize = MAX_LINE + 5;

/// Longest stretch of a line quoted in messages, in characters.
const QUOTE: usize = 80;

type Reader = Box<dyn Source>;

/// A list being read: lines, and whether the next line is already in memory.
trait Source: BufRead + Send {
    /// Whether some of the input is buffered, so reading on cannot block.
    fn buffered(&self) -> bool;
}

impl<R: io::Read + Send> Source for BufReader<R> {
    fn buffered(&self) -> bool {
        !self.buffer().is_empty()
    }
}

/// Lists held in memory, as the tests build them.
#[cfg(test)]
impl Source for io::Cursor<Vec<u8>> {
    fn buffered(&self) -> bool {
        true
    }
}

/// An opened set of lists, read lazily, file after file, as [`InputEvent`]s.
///
/// Repeats are found through a set of 64-bit hashes of the names seen rather than the names
/// themselves: 8 bytes a name instead of a ~40-byte `String`, which matters at 10⁸ names.
/// Two different names hash alike with probability about n²/2⁶⁵ ≈ 3·10⁻⁴ for n = 10⁸, and
/// a collision only makes the later name be reported as a duplicate (and not scanned).
pub struct DomainLists {
    pending: std::vec::IntoIter<(Arc<str>, Reader)>,
    current: Option<Current>,
    /// Reused for every line; holds at most [`STORED`] bytes of one.
    buf: Vec<u8>,
    seen: HashSet<u64>,
}

struct Current {
    source: Arc<str>,
    reader: Reader,
    line: u64,
}

impl fmt::Debug for DomainLists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DomainLists")
            .field(
                "current",
                &self.current.as_ref().map(|c| (&c.source, c.line)),
            )
            .field(
                "pending",
                &self
                    .pending
                    .as_slice()
                    .iter()
                    .map(|(s, _)| s)
                    .collect::<Vec<_>>(),
            )
            .field("seen", &self.seen.len())
            .finish()
    }
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
    /// The file could not be read further (I/O error); the rest of that file is lost.
    ReadError { source: Arc<str>, error: io::Error },
}

/// A domain to scan, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDomain {
    /// ASCII, lower-case, A-labels, no trailing dot.
    pub domain: String,
    /// The path as the user gave it, or `-` for standard input.
    pub source: Arc<str>,
    /// 1-based.
    pub line: u64,
    /// Set when the line was not already a plain domain: how it was turned into one.
    pub rewritten: Option<Rewrite>,
}

/// How a line that was not a plain domain was turned into one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub how: RewriteKind,
    /// The line as written (trimmed, comment removed).
    pub original: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteKind {
    /// The host of a URL.
    Url,
    /// The domain of an e-mail address.
    Email,
    /// An internationalised name converted to A-labels.
    Idn,
}

impl Rewrite {
    /// A note for stderr, e.g.
    /// `FILE:LINE: took host "www.example.co.jp" from URL "https://www.example.co.jp/path"`.
    pub fn describe(&self, d: &InputDomain) -> String {
        let took = match self.how {
            RewriteKind::Url => "took host",
            RewriteKind::Email => "took domain",
            RewriteKind::Idn => "took A-labels",
        };
        format!(
            "{}:{}: {took} \"{}\" from {self}",
            d.source, d.line, d.domain
        )
    }
}

/// What the name was taken from: `URL "…"`, `e-mail address "…"`, `internationalised name "…"`.
impl fmt::Display for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.how {
            RewriteKind::Url => "URL",
            RewriteKind::Email => "e-mail address",
            RewriteKind::Idn => "internationalised name",
        };
        write!(f, "{what} \"{}\"", quote(&self.original))
    }
}

/// A line that is not a domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub source: Arc<str>,
    pub line: u64,
    /// The line (trimmed); lossily decoded if it was not UTF-8, only its start if too long.
    pub text: String,
    pub reason: String,
}

/// `FILE:LINE: reason (text: "…")`.
impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} (text: \"{}\")",
            self.source,
            self.line,
            self.reason,
            quote(&self.text)
        )
    }
}

impl std::error::Error for InputError {}

/// At most [`QUOTE`] characters, with control characters, quotes and backslashes escaped, so
/// that a bad line cannot garble a terminal or the message around it.
fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .by_ref()
        .take(QUOTE)
        .flat_map(char::escape_debug)
        .collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

impl DomainLists {
    /// Opens every list up front, so that a missing file stops the run before any scanning.
    /// `-` is standard input, at most once.
    pub fn open(paths: &[PathBuf]) -> anyhow::Result<Self> {
        let mut sources: Vec<(Arc<str>, Reader)> = Vec::with_capacity(paths.len());
        let mut stdin = false;
        for path in paths {
            if is_stdin(path) {
                if stdin {
                    bail!("standard input (-) can be given only once as a domain list");
                }
                stdin = true;
                // `Stdin`, not its lock: the lock is not `Send`, and reading runs on its own
                // thread.
                sources.push((Arc::from("-"), Box::new(BufReader::new(io::stdin()))));
            } else {
                let file = open_file(path)?;
                sources.push((
                    Arc::from(path.display().to_string()),
                    Box::new(BufReader::new(file)),
                ));
            }
        }
        Ok(Self::from_readers(sources))
    }

    /// Whether the next event may have to wait for input (a pipe or terminal with nothing
    /// buffered): a reader batching events should hand over what it has first.
    pub fn may_block(&self) -> bool {
        self.current.as_ref().is_none_or(|c| !c.reader.buffered())
    }

    fn from_readers(sources: Vec<(Arc<str>, Reader)>) -> Self {
        Self {
            pending: sources.into_iter(),
            current: None,
            buf: Vec::with_capacity(256),
            seen: HashSet::new(),
        }
    }

    /// The event for the line now in `buf`, or `None` for a blank or comment line.
    fn event(&mut self, source: Arc<str>, line: u64) -> Option<InputEvent> {
        let invalid = |text: String, reason: String| {
            Some(InputEvent::Invalid(InputError {
                source: Arc::clone(&source),
                line,
                text,
                reason,
            }))
        };
        let text = match classify(&self.buf) {
            RawLine::TooLong(start) => {
                return invalid(
                    lossy_start(start),
                    format!("line too long (over {MAX_LINE} bytes)"),
                );
            }
            RawLine::NotUtf8(bytes) => {
                return invalid(
                    String::from_utf8_lossy(bytes).trim().to_owned(),
                    "not valid UTF-8".into(),
                );
            }
            RawLine::Text(text) => text,
        };
        let (domain, rewritten) = match normalise_line(text) {
            Ok(None) => return None,
            Ok(Some(found)) => found,
            Err(reason) => return invalid(text.trim().to_owned(), reason.to_string()),
        };
        if self.seen.insert(name_hash(&domain)) {
            Some(InputEvent::Domain(InputDomain {
                domain,
                source,
                line,
                rewritten,
            }))
        } else {
            Some(InputEvent::Duplicate {
                source,
                line,
                domain,
            })
        }
    }
}

/// A 64-bit hash of a domain name, for the sets of names a run has seen (the input's
/// repeats, a resumed scan's finished domains). `DefaultHasher::new()` has fixed keys, so
/// a run is reproducible (unlike `RandomState`); the hashes never leave the process.
pub fn name_hash(domain: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(domain.as_bytes());
    hasher.finish()
}

impl Iterator for DomainLists {
    type Item = InputEvent;

    fn next(&mut self) -> Option<InputEvent> {
        loop {
            let Some(current) = self.current.as_mut() else {
                let (source, reader) = self.pending.next()?;
                self.current = Some(Current {
                    source,
                    reader,
                    line: 0,
                });
                continue;
            };
            match read_line(current.reader.as_mut(), &mut self.buf) {
                Ok(true) => {
                    current.line += 1;
                    let (source, line) = (Arc::clone(&current.source), current.line);
                    if let Some(event) = self.event(source, line) {
                        return Some(event);
                    }
                }
                Ok(false) => self.current = None,
                Err(error) => {
                    // Where a failed read left the stream is unknown, so carrying on could
                    // misnumber or splice lines: give up on this source only.
                    let source = Arc::clone(&current.source);
                    self.current = None;
                    return Some(InputEvent::ReadError { source, error });
                }
            }
        }
    }
}

/// Reads one line into `buf` without its `\n`, keeping at most [`STORED`] bytes of it (the
/// rest is read and dropped). `Ok(false)` at the end of the input.
fn read_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let mut any = false;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any);
        }
        any = true;
        let newline = chunk.iter().position(|&b| b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        let room = STORED.saturating_sub(buf.len());
        buf.extend_from_slice(&part[..part.len().min(room)]);
        let used = newline.map_or(chunk.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            return Ok(true);
        }
    }
}

/// A line as read, before normalisation.
enum RawLine<'a> {
    /// The first bytes of a line over [`MAX_LINE`].
    TooLong(&'a [u8]),
    NotUtf8(&'a [u8]),
    Text(&'a str),
}

/// Sorts a line read by [`read_line`], without its byte-order mark and CR. A byte-order mark
/// is dropped from any line, not just a file's first: concatenated lists (`cat a b`) carry
/// one in the middle.
fn classify(bytes: &[u8]) -> RawLine<'_> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if bytes.len() <= MAX_LINE {
        return match std::str::from_utf8(bytes) {
            Ok(text) => RawLine::Text(text),
            Err(_) => RawLine::NotUtf8(bytes),
        };
    }
    // A long comment (a licence header, say) is still a comment: its start shows it.
    if bytes.trim_ascii_start().starts_with(b"#") {
        return RawLine::Text("");
    }
    RawLine::TooLong(&bytes[..QUOTE])
}

/// The start of an over-long line, for the message.
fn lossy_start(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim_start().to_owned()
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Opens a list file. A directory is refused here: it opens on Unix, and only reading it
/// fails, which would end the scan as a complete scan of nothing.
pub fn open_file(path: &Path) -> anyhow::Result<File> {
    let file =
        File::open(path).with_context(|| format!("opening the domain list {}", path.display()))?;
    let metadata = file
        .metadata()
        .with_context(|| format!("reading the domain list {}", path.display()))?;
    if metadata.is_dir() {
        bail!(
            "the domain list {} is a directory: give the list files in it instead",
            path.display()
        );
    }
    Ok(file)
}

/// Count of candidate lines (neither blank nor comments) in the lists, for a progress bar's
/// total; `None` when a list is standard input, which cannot be read twice. Reads each file
/// once, without normalising, and counts exactly the lines [`DomainLists`] turns into an
/// event (a domain, a duplicate or an invalid line).
pub fn count_candidates(paths: &[PathBuf]) -> io::Result<Option<u64>> {
    if paths.iter().any(|p| is_stdin(p)) {
        return Ok(None);
    }
    let mut total = 0;
    let mut buf = Vec::with_capacity(256);
    for path in paths {
        let with_path = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let mut reader = BufReader::new(File::open(path).map_err(with_path)?);
        while read_line(&mut reader, &mut buf).map_err(with_path)? {
            let candidate = match classify(&buf) {
                RawLine::TooLong(_) | RawLine::NotUtf8(_) => true,
                RawLine::Text(text) => !content(text).is_empty(),
            };
            total += u64::from(candidate);
        }
    }
    Ok(Some(total))
}

/// The part of a line that may hold a domain: without a byte-order mark, surrounding
/// whitespace, or a comment. Empty for a blank or comment line.
fn content(line: &str) -> &str {
    let line = line.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if line.starts_with('#') {
        return "";
    }
    // A domain never contains '#', so '#' after whitespace starts a comment. Without the
    // whitespace it is kept, so that `a#b.jp` is reported rather than silently cut.
    let mut after_space = false;
    for (i, c) in line.char_indices() {
        if c == '#' && after_space {
            return line[..i].trim_end();
        }
        after_space = c.is_whitespace();
    }
    line.trim_end()
}

/// Why a line of a list is not a domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("e-mail address without a domain")]
    EmailWithoutDomain,
    #[error("spaces inside the name")]
    Spaces,
    /// The name, quoted for a terminal.
    #[error("not a valid internationalised name: \"{0}\"")]
    Idn(String),
    #[error("an IP address, not a domain name")]
    IpAddress,
    #[error("not a valid URL: {0}")]
    Url(url::ParseError),
    #[error("URL host is an IP address, not a domain name")]
    UrlIpHost,
    #[error("URL without a host")]
    UrlWithoutHost,
    #[error(transparent)]
    Name(#[from] crate::dns::NameError),
    #[error("not a domain name: single label")]
    SingleLabel,
    #[error("character {0:?} not allowed in a domain name")]
    Character(char),
    #[error("label \"{0}\" starts or ends with a hyphen")]
    Hyphen(String),
    #[error("all-numeric top-level label")]
    NumericTld,
    #[error("invalid punycode label \"{0}\"")]
    Punycode(String),
    /// The decoded label quoted for a terminal.
    #[error("label \"{label}\" (\"{decoded}\") starts or ends with a hyphen")]
    DecodedHyphen { label: String, decoded: String },
}

/// Pure: turns one line into a domain name. `Ok(None)` for a blank or comment line; the
/// name (ASCII, lower-case, A-labels, no trailing dot) and how it was derived if the line
/// was not a plain domain; or a short reason why the line is not a domain.
pub fn normalise_line(line: &str) -> Result<Option<(String, Option<Rewrite>)>, LineError> {
    let line = content(line);
    if line.is_empty() {
        return Ok(None);
    }
    let (host, mut how) = if line.contains("://") {
        (url_host(line)?, Some(RewriteKind::Url))
    } else if let Some((_, domain)) = line.rsplit_once('@') {
        // `info@example.jp`, `mailto:info@example.jp?subject=…`, `<info@example.jp>`.
        let domain = domain.split(['?', '>']).next().unwrap_or_default();
        if domain.is_empty() {
            return Err(LineError::EmailWithoutDomain);
        }
        (domain.to_owned(), Some(RewriteKind::Email))
    } else {
        (line.to_owned(), None)
    };
    if host.chars().any(char::is_whitespace) {
        return Err(LineError::Spaces);
    }
    let ascii = if host.is_ascii() {
        host.to_ascii_lowercase()
    } else {
        how.get_or_insert(RewriteKind::Idn);
        // UTS 46 also maps full-width letters and ideographic full stops, and keeps
        // underscores (`_dmarc.例え.jp` is scannable).
        idna::domain_to_ascii(&host).map_err(|_| LineError::Idn(quote(&host)))?
    };
    let name = ascii.strip_suffix('.').unwrap_or(&ascii);
    if crate::dns::is_ip_literal(name) {
        return Err(LineError::IpAddress);
    }
    check_domain(name)?;
    let rewritten = how.map(|how| Rewrite {
        how,
        original: line.to_owned(),
    });
    Ok(Some((name.to_owned(), rewritten)))
}

/// The host of a URL line, through the `url` crate (scheme, user info, port, brackets,
/// percent-encoding, IDNA for the special schemes).
fn url_host(line: &str) -> Result<String, LineError> {
    let url = url::Url::parse(line).map_err(LineError::Url)?;
    match url.host() {
        Some(url::Host::Domain(host)) => Ok(host.to_owned()),
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => Err(LineError::UrlIpHost),
        None => Err(LineError::UrlWithoutHost),
    }
}

/// Checks a lower-case ASCII name without trailing dot: the DNS limits
/// ([`crate::dns::check_name`]), then what a scannable domain also needs: at least two
/// labels; letters, digits, hyphens and underscores only; no label starting or ending with
/// a hyphen; a top-level label not all digits (such names are read as IPv4 addresses); and
/// `xn--` labels that are valid punycode.
fn check_domain(name: &str) -> Result<(), LineError> {
    crate::dns::check_name(name)?;
    if !name.contains('.') {
        return Err(LineError::SingleLabel);
    }
    for label in name.split('.') {
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(LineError::Character(c));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(LineError::Hyphen(label.to_owned()));
        }
        check_a_label(label)?;
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(LineError::NumericTld);
    }
    Ok(())
}

/// An `xn--` label given as such must decode to a valid U-label, and that U-label must not
/// start or end with a hyphen (UTS 46 as used by `domain_to_ascii` lets `-例` through).
fn check_a_label(label: &str) -> Result<(), LineError> {
    let Some(encoded) = label.strip_prefix("xn--") else {
        return Ok(());
    };
    let bad = || LineError::Punycode(label.to_owned());
    let decoded = idna::punycode::decode_to_string(encoded).ok_or_else(bad)?;
    if idna::domain_to_ascii(label).is_err() {
        return Err(bad());
    }
    if decoded.starts_with('-') || decoded.ends_with('-') {
        return Err(LineError::DecodedHyphen {
            label: label.to_owned(),
            decoded: quote(&decoded),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read, Write as _};

    use super::*;

    /// The name and rewrite kind of a line that must be accepted.
    fn ok(line: &str) -> (String, Option<RewriteKind>) {
        match normalise_line(line) {
            Ok(Some((d, r))) => (d, r.map(|r| r.how)),
            other => panic!("{line:?}: {other:?}"),
        }
    }

    fn err(line: &str) -> String {
        match normalise_line(line) {
            Err(reason) => reason.to_string(),
            other => panic!("{line:?} should be invalid: {other:?}"),
        }
    }

    /// Events in a compact form for comparisons.
    fn summary(lists: DomainLists) -> Vec<String> {
        lists
            .map(|e| match e {
                InputEvent::Domain(d) => format!(
                    "{}:{} domain {} {:?}",
                    d.source,
                    d.line,
                    d.domain,
                    d.rewritten.map(|r| r.how)
                ),
                InputEvent::Invalid(e) => format!("{}:{} invalid {}", e.source, e.line, e.reason),
                InputEvent::Duplicate {
                    source,
                    line,
                    domain,
                } => format!("{source}:{line} duplicate {domain}"),
                InputEvent::ReadError { source, error } => format!("{source} error {error}"),
            })
            .collect()
    }

    fn from_bytes(sources: &[(&str, &[u8])]) -> DomainLists {
        DomainLists::from_readers(
            sources
                .iter()
                .map(|(name, bytes)| {
                    let reader: Reader = Box::new(Cursor::new(bytes.to_vec()));
                    (Arc::from(*name), reader)
                })
                .collect(),
        )
    }

    #[test]
    fn whitespace_case_and_trailing_dot_are_normalised() {
        for (line, want) in [
            ("example.jp", "example.jp"),
            ("  example.jp\t", "example.jp"),
            ("example.jp\r", "example.jp"),
            ("\u{3000}example.jp\u{3000}", "example.jp"),
            ("Example.CO.JP", "example.co.jp"),
            ("example.jp.", "example.jp"),
            ("EXAMPLE.JP.", "example.jp"),
            ("\u{feff}example.jp", "example.jp"),
            ("_dmarc.example.jp", "_dmarc.example.jp"),
            ("_spf.Example.jp", "_spf.example.jp"),
            ("a-b.example.jp", "a-b.example.jp"),
            ("r3--sn-abc.example.jp", "r3--sn-abc.example.jp"),
            ("1password.com", "1password.com"),
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
            "\t\r",
            "# comment",
            "#",
            "   # indented comment",
            "\t#tab",
            "\u{feff}",
            "\u{feff}# comment after a byte-order mark",
        ] {
            assert_eq!(normalise_line(line), Ok(None), "{line:?}");
        }
    }

    #[test]
    fn trailing_comments_after_whitespace_are_removed() {
        for (line, want) in [
            ("example.jp # our main domain", "example.jp"),
            ("example.jp\t# tab comment", "example.jp"),
            ("example.jp    #no space after", "example.jp"),
            ("example.jp # a # b", "example.jp"),
            ("https://example.jp/#top # comment", "example.jp"),
        ] {
            assert_eq!(ok(line).0, want, "{line:?}");
        }
        // Without whitespace before it, '#' is part of the line and makes it invalid.
        assert!(err("exa#mple.jp").contains("'#' not allowed"));
    }

    #[test]
    fn urls_give_their_host() {
        for (line, want) in [
            ("https://www.example.co.jp/path", "www.example.co.jp"),
            (
                "https://www.example.co.jp/path?q=1#frag",
                "www.example.co.jp",
            ),
            ("http://user@host.example.jp:8080/x", "host.example.jp"),
            ("http://user:pw@example.jp", "example.jp"),
            ("HTTPS://Example.JP", "example.jp"),
            ("https://example.jp./", "example.jp"),
            ("https://例え.jp/", "xn--r8jz45g.jp"),
            ("ftp://files.example.jp/pub", "files.example.jp"),
        ] {
            assert_eq!(
                ok(line),
                (want.to_owned(), Some(RewriteKind::Url)),
                "{line:?}"
            );
        }
        let (_, rewrite) = normalise_line(" HTTPS://Example.JP # c").unwrap().unwrap();
        assert_eq!(
            rewrite,
            Some(Rewrite {
                how: RewriteKind::Url,
                original: "HTTPS://Example.JP".into()
            })
        );
    }

    #[test]
    fn urls_without_a_domain_host_are_invalid() {
        for (line, reason) in [
            ("https://192.0.2.1/x", "IP address"),
            ("http://[2001:db8::1]:8080/", "IP address"),
            ("http://0x7f.1/", "IP address"),
            ("file:///etc/hosts", "without a host"),
            ("http://", "not a valid URL"),
            ("http://exa mple.jp/", "not a valid URL"),
            ("http://user@host:8080/x", "single label"),
        ] {
            let why = err(line);
            assert!(why.contains(reason), "{line:?}: {why}");
        }
    }

    #[test]
    fn email_addresses_give_their_domain() {
        for (line, want) in [
            ("info@example.co.jp", "example.co.jp"),
            ("Info@Example.CO.JP", "example.co.jp"),
            ("mailto:info@example.co.jp", "example.co.jp"),
            ("mailto:info@example.co.jp?subject=hello", "example.co.jp"),
            ("<info@example.co.jp>", "example.co.jp"),
            ("\"a@b\"@example.jp", "example.jp"),
            ("info@例え.jp", "xn--r8jz45g.jp"),
        ] {
            assert_eq!(
                ok(line),
                (want.to_owned(), Some(RewriteKind::Email)),
                "{line:?}"
            );
        }
        assert!(err("info@").contains("without a domain"));
        assert!(err("info@192.0.2.1").contains("IP address"));
        assert!(err("info@[192.0.2.1]").contains("IP address"));
    }

    #[test]
    fn internationalised_names_become_a_labels() {
        for (line, want, how) in [
            ("例え.jp", "xn--r8jz45g.jp", Some(RewriteKind::Idn)),
            ("例え.JP.", "xn--r8jz45g.jp", Some(RewriteKind::Idn)),
            ("例え。jp", "xn--r8jz45g.jp", Some(RewriteKind::Idn)),
            ("ＥＸＡＭＰＬＥ.jp", "example.jp", Some(RewriteKind::Idn)),
            ("ｅｘａｍｐｌｅ．ｊｐ", "example.jp", Some(RewriteKind::Idn)),
            (
                "_dmarc.例え.jp",
                "_dmarc.xn--r8jz45g.jp",
                Some(RewriteKind::Idn),
            ),
            (
                "bücher.example",
                "xn--bcher-kva.example",
                Some(RewriteKind::Idn),
            ),
            // Already A-labels: kept as they are, only validated.
            ("xn--r8jz45g.jp", "xn--r8jz45g.jp", None),
            ("XN--R8JZ45G.JP", "xn--r8jz45g.jp", None),
            (
                "www.xn--bcher-kva.example",
                "www.xn--bcher-kva.example",
                None,
            ),
        ] {
            assert_eq!(ok(line), (want.to_owned(), how), "{line:?}");
        }
        for (line, reason) in [
            ("xn--zz.jp", "invalid punycode label \"xn--zz\""),
            ("xn--example.jp", "invalid punycode label"),
            ("xn--abc-.jp", "hyphen"),
            ("xn----lb7a.jp", "starts or ends with a hyphen"),
            ("-例.jp", "starts or ends with a hyphen"),
            ("例\u{200d}え.jp", "not a valid internationalised name"),
            ("例え.jp/path", "'/' not allowed"),
            ("例え .jp", "spaces"),
        ] {
            let why = err(line);
            assert!(why.contains(reason), "{line:?}: {why}");
        }
    }

    #[test]
    fn names_that_are_not_domains_say_why() {
        let long_label = format!("{}.jp", "a".repeat(64));
        let label_63 = format!("{}.jp", "a".repeat(63));
        let four_labels = [&*"a".repeat(62); 4].join(".");
        let long_name = format!("{four_labels}.jp");
        let name_253 = format!("{}.jp", &four_labels[..250]);
        assert_eq!(name_253.len(), 253);
        assert_eq!(ok(&label_63).0, label_63);
        assert_eq!(ok(&name_253).0, name_253);
        assert_eq!(ok(&format!("{name_253}.")).0, name_253);
        for (line, reason) in [
            ("a..b.jp", "empty label"),
            (".example.jp", "empty label"),
            ("example.jp..", "empty label"),
            (long_label.as_str(), "label longer than 63 octets"),
            (long_name.as_str(), "longer than 253 octets"),
            ("192.0.2.1", "IP address"),
            ("192.0.2.1.", "IP address"),
            ("[2001:db8::1]", "IP address"),
            ("2001:db8::1", "IP address"),
            ("::1", "IP address"),
            ("１９２.０.２.１", "IP address"),
            ("1.2.3", "all-numeric top-level label"),
            ("localhost", "not a domain name: single label"),
            ("com", "not a domain name: single label"),
            ("COM.", "not a domain name: single label"),
            ("exa mple.jp", "spaces inside the name"),
            ("exa\tmple.jp", "spaces inside the name"),
            ("exa$mple.jp", "'$' not allowed"),
            ("example.jp/path", "'/' not allowed"),
            ("example.jp:25", "':' not allowed"),
            ("*.example.jp", "'*' not allowed"),
            (
                "-example.jp",
                "label \"-example\" starts or ends with a hyphen",
            ),
            ("example-.jp", "starts or ends with a hyphen"),
            ("example.-jp", "starts or ends with a hyphen"),
        ] {
            let why = err(line);
            assert!(why.contains(reason), "{line:?}: {why}");
        }
    }

    #[test]
    fn lists_are_read_in_order_with_line_numbers_and_dedupe() {
        let mut a = tempfile::NamedTempFile::new().unwrap();
        a.write_all(
            b"\xef\xbb\xbf# list a\r\n\
              example.jp\r\n\
              \r\n\
              bad..name\r\n\
              \xff\xfe.jp\r\n\
              EXAMPLE.jp. # again\r\n\
              https://www.example.jp/\r\n\
              \xef\xbb\xbfbom.jp\r\n",
        )
        .unwrap();
        let mut b = tempfile::NamedTempFile::new().unwrap();
        // No final newline; duplicates across files and across spellings.
        b.write_all(b"\xef\xbb\xbfexample.jp\n  # comment\ninfo@www.example.jp\nother.jp")
            .unwrap();
        let paths = [a.path().to_path_buf(), b.path().to_path_buf()];
        let (na, nb) = (a.path().display(), b.path().display());
        assert_eq!(
            summary(DomainLists::open(&paths).unwrap()),
            [
                format!("{na}:2 domain example.jp None"),
                format!("{na}:4 invalid empty label"),
                format!("{na}:5 invalid not valid UTF-8"),
                format!("{na}:6 duplicate example.jp"),
                format!("{na}:7 domain www.example.jp Some(Url)"),
                // Where files were concatenated.
                format!("{na}:8 domain bom.jp None"),
                format!("{nb}:1 duplicate example.jp"),
                format!("{nb}:3 duplicate www.example.jp"),
                format!("{nb}:4 domain other.jp None"),
            ]
        );
        // Every event but the domains' is a candidate line too.
        assert_eq!(count_candidates(&paths).unwrap(), Some(9));
    }

    #[test]
    fn events_carry_source_text_and_rewrite() {
        let events: Vec<InputEvent> = from_bytes(&[(
            "list.txt",
            "# x\n  Https://Example.JP/a  # c\nbad!.jp\n".as_bytes(),
        )])
        .collect();
        let [InputEvent::Domain(d), InputEvent::Invalid(e)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(
            *d,
            InputDomain {
                domain: "example.jp".into(),
                source: Arc::from("list.txt"),
                line: 2,
                rewritten: Some(Rewrite {
                    how: RewriteKind::Url,
                    original: "Https://Example.JP/a".into()
                }),
            }
        );
        assert_eq!(e.line, 3);
        assert_eq!(e.text, "bad!.jp");
        assert_eq!(
            e.to_string(),
            "list.txt:3: character '!' not allowed in a domain name (text: \"bad!.jp\")"
        );
    }

    #[test]
    fn long_lines_are_invalid_and_not_buffered() {
        let exact = "a".repeat(MAX_LINE - 3) + ".jp";
        let input = format!(
            "{}\nafter.jp\n\u{feff}{exact}\r\n{exact}x\r\n# {}\nlast.jp",
            "x".repeat(1_000_000),
            "c".repeat(10_000)
        );
        let mut lists = from_bytes(&[("-", input.as_bytes())]);
        let Some(InputEvent::Invalid(first)) = lists.next() else {
            panic!("an over-long line should be invalid");
        };
        assert_eq!(first.reason, "line too long (over 4096 bytes)");
        assert_eq!(first.text, "x".repeat(QUOTE));
        assert!(
            lists.buf.capacity() < 2 * STORED,
            "{}",
            lists.buf.capacity()
        );
        assert_eq!(
            summary(lists),
            [
                "-:2 domain after.jp None",
                // Exactly MAX_LINE bytes (the BOM and the CR do not count): let through by
                // the reader, refused by the name check.
                "-:3 invalid name longer than 253 octets (4096)",
                "-:4 invalid line too long (over 4096 bytes)",
                "-:6 domain last.jp None",
            ]
        );
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(input.as_bytes()).unwrap();
        assert_eq!(
            count_candidates(&[file.path().to_path_buf()]).unwrap(),
            Some(5)
        );
    }

    #[test]
    fn may_block_once_the_buffered_input_is_used_up() {
        /// A pipe that delivers one write of its writer per read.
        struct Trickle(std::vec::IntoIter<&'static [u8]>);
        impl Read for Trickle {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let Some(chunk) = self.0.next() else {
                    return Ok(0);
                };
                out[..chunk.len()].copy_from_slice(chunk);
                Ok(chunk.len())
            }
        }
        let pipe: Reader = Box::new(BufReader::new(Trickle(
            vec![&b"one.jp\ntwo.jp\n"[..], b"three.jp\n"].into_iter(),
        )));
        let mut lists = DomainLists::from_readers(vec![(Arc::from("-"), pipe)]);
        assert!(lists.may_block(), "nothing read yet");
        assert!(matches!(lists.next(), Some(InputEvent::Domain(_))));
        assert!(!lists.may_block(), "two.jp is in the buffer");
        assert!(matches!(lists.next(), Some(InputEvent::Domain(_))));
        assert!(lists.may_block(), "three.jp is not written yet");
        assert!(matches!(lists.next(), Some(InputEvent::Domain(_))));
        assert!(lists.next().is_none());
    }

    #[test]
    fn a_read_error_loses_only_the_rest_of_its_source() {
        /// Gives some lines, then fails.
        struct Failing(Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                match self.0.read(out)? {
                    0 => Err(io::Error::other("disk on fire")),
                    n => Ok(n),
                }
            }
        }
        let failing: Reader = Box::new(BufReader::new(Failing(Cursor::new(
            b"one.jp\ntwo.jp\nthr".to_vec(),
        ))));
        let fine: Reader = Box::new(Cursor::new(b"four.jp\n".to_vec()));
        let lists =
            DomainLists::from_readers(vec![(Arc::from("a"), failing), (Arc::from("b"), fine)]);
        assert_eq!(
            summary(lists),
            [
                "a:1 domain one.jp None",
                "a:2 domain two.jp None",
                "a error disk on fire",
                "b:1 domain four.jp None",
            ]
        );
    }

    #[test]
    fn opening_fails_early_for_missing_files_and_repeated_stdin() {
        let present = tempfile::NamedTempFile::new().unwrap();
        let missing = std::env::temp_dir().join(format!(
            "mailposture-input-missing-{}.txt",
            std::process::id()
        ));
        let err = DomainLists::open(&[present.path().to_path_buf(), missing.clone()])
            .expect_err("a missing list must fail open");
        assert!(
            format!("{err:#}").contains(&missing.display().to_string()),
            "{err:#}"
        );
        let err =
            DomainLists::open(&[PathBuf::from("-"), PathBuf::from("-")]).expect_err("stdin twice");
        assert!(err.to_string().contains("only once"), "{err}");
        let count_err = count_candidates(std::slice::from_ref(&missing)).expect_err("missing file");
        assert!(
            count_err
                .to_string()
                .contains(&missing.display().to_string())
        );
    }

    #[test]
    fn a_directory_is_not_a_list() {
        let dir = tempfile::tempdir().unwrap();
        let err = DomainLists::open(&[dir.path().to_path_buf()]).expect_err("a directory");
        assert!(format!("{err:#}").contains("is a directory"), "{err:#}");
    }

    #[test]
    fn candidates_are_not_counted_for_stdin() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"a.jp\n").unwrap();
        let file = file.path().to_path_buf();
        assert_eq!(
            count_candidates(std::slice::from_ref(&file)).unwrap(),
            Some(1)
        );
        assert_eq!(count_candidates(&[file, PathBuf::from("-")]).unwrap(), None);
        assert_eq!(count_candidates(&[]).unwrap(), Some(0));
    }

    #[test]
    fn candidate_count_matches_the_events() {
        // A file in std's temp dir, as the CLI would get it, rather than a NamedTempFile.
        let path = std::env::temp_dir().join(format!(
            "mailposture-input-count-{}-{:?}.txt",
            std::process::id(),
            std::thread::current().id()
        ));
        let text = "\u{feff}#c\r\na.jp\n\u{3000}\n  #x\nb.jp # y\n\u{feff}\na.jp\n\n\u{feff}x\nc..jp\n\u{fffd}\n";
        std::fs::write(&path, text).unwrap();
        let paths = [path.clone()];
        let events = DomainLists::open(&paths).unwrap().count() as u64;
        let counted = count_candidates(&paths).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(counted, Some(events));
        assert_eq!(events, 6);
    }

    #[test]
    fn duplicates_are_found_by_normalised_name() {
        let lists = from_bytes(&[(
            "l",
            "Example.JP\nexample.jp.\nhttps://example.jp/x\npostmaster@EXAMPLE.jp\n\
             例え.jp\nxn--r8jz45g.jp\nwww.example.jp\n"
                .as_bytes(),
        )]);
        assert_eq!(
            summary(lists),
            [
                "l:1 domain example.jp None",
                "l:2 duplicate example.jp",
                "l:3 duplicate example.jp",
                "l:4 duplicate example.jp",
                "l:5 domain xn--r8jz45g.jp Some(Idn)",
                "l:6 duplicate xn--r8jz45g.jp",
                "l:7 domain www.example.jp None",
            ]
        );
    }

    #[test]
    fn messages_name_file_and_line_and_quote_safely() {
        let e = InputError {
            source: Arc::from("list.txt"),
            line: 7,
            text: "bad\u{7}..\"name\"\n".into(),
            reason: "empty label".into(),
        };
        assert_eq!(
            e.to_string(),
            "list.txt:7: empty label (text: \"bad\\u{7}..\\\"name\\\"\\n\")"
        );
        let long = InputError {
            text: "あ".repeat(200),
            ..e
        };
        assert_eq!(
            long.to_string(),
            format!(
                "list.txt:7: empty label (text: \"{}…\")",
                "あ".repeat(QUOTE)
            )
        );
        assert_eq!(quote(&"a".repeat(QUOTE)), "a".repeat(QUOTE));
    }

    #[test]
    fn rewrites_are_described() {
        let describe = |line: &str| {
            let (domain, rewritten) = normalise_line(line).unwrap().unwrap();
            let rewrite = rewritten.expect("a rewrite");
            let d = InputDomain {
                domain,
                source: Arc::from("list.txt"),
                line: 3,
                rewritten: Some(rewrite.clone()),
            };
            rewrite.describe(&d)
        };
        assert_eq!(
            describe("https://www.example.co.jp/path"),
            "list.txt:3: took host \"www.example.co.jp\" from URL \"https://www.example.co.jp/path\""
        );
        assert_eq!(
            describe("<info@example.co.jp>"),
            "list.txt:3: took domain \"example.co.jp\" from e-mail address \"<info@example.co.jp>\""
        );
        assert_eq!(
            describe("例え.jp"),
            "list.txt:3: took A-labels \"xn--r8jz45g.jp\" from internationalised name \"例え.jp\""
        );
    }

    #[test]
    fn lists_can_move_to_another_thread() {
        fn is_send<T: Send>(_: &T) {}
        let lists = DomainLists::open(&[PathBuf::from("-")]).unwrap();
        is_send(&lists);
        assert!(format!("{lists:?}").contains("\"-\""));
    }
}
