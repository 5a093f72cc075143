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
pub(crate) const MAX_LINE: usize = 4096;

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
    /// DKIM selectors the line names for this domain (`example.jp selectors=s1,s2`),
    /// asked besides `--dkim`'s.
    pub selectors: Option<Vec<String>>,
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
    pub(crate) fn describe(&self, d: &InputDomain) -> String {
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
    pub(crate) fn may_block(&self) -> bool {
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
        let (text, selectors) = match split_selectors(text) {
            Ok(split) => split,
            Err(reason) => return invalid(text.trim().to_owned(), reason),
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
                selectors,
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
pub(crate) fn name_hash(domain: &str) -> u64 {
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
pub(crate) fn open_file(path: &Path) -> anyhow::Result<File> {
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
pub(crate) fn count_candidates(paths: &[PathBuf]) -> io::Result<Option<u64>> {
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
/// The attribute that gives a domain its own DKIM selectors: the domain, white space,
/// `selectors=` and a comma-separated list (`example.co.jp selectors=s2023,s2024`).
const SELECTORS_ATTRIBUTE: &str = "selectors=";

/// `line` without a trailing `selectors=` attribute, and the selectors it names (each
/// checked as DNS labels, RFC 6376 §3.1; lower-cased, repeats dropped).
fn split_selectors(line: &str) -> Result<(&str, Option<Vec<String>>), String> {
    let body = content(line);
    let Some((domain, attribute)) = body.split_once(char::is_whitespace) else {
        return Ok((line, None));
    };
    let Some(list) = attribute.trim().strip_prefix(SELECTORS_ATTRIBUTE) else {
        return Ok((line, None));
    };
    let mut selectors: Vec<String> = Vec::new();
    for selector in list.split(',').map(str::trim) {
        let selector = selector.to_ascii_lowercase();
        crate::dns::check_name(&format!("{selector}._domainkey.example.invalid"))
            .map_err(|e| format!("selector {}: {e}", quote(&selector)))?;
        if selector.is_empty() || selector.contains(char::is_whitespace) {
            return Err(format!("selector {}: not a DNS name", quote(&selector)));
        }
        if !selectors.contains(&selector) {
            selectors.push(selector);
        }
    }
    Ok((domain, Some(selectors)))
}

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
pub(crate) enum LineError {
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
pub(crate) fn normalise_line(line: &str) -> Result<Option<(String, Option<Rewrite>)>, LineError> {
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
mod tests;
