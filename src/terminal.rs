//! Text for people at a terminal: network and list text escaped so that it cannot move
//! the cursor, clear the screen or reorder a line; colour where it helps; the width to
//! wrap to.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Whether `c` must not reach a terminal as itself: C0 controls, DEL and C1 controls
/// (ECMA-48: they start escape sequences, move the cursor, erase), and the Unicode
/// bidirectional formatting characters (UAX #9), which reorder the text displayed after
/// them so that a line can read differently from what it holds.
fn unsafe_char(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // ALM, LRM, RLM; LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI.
        | '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character written as a visible escape (`\x1b`, `\r`,
/// `\u{202e}`); borrowed when there is none, which is nearly always.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) && u32::from(c) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Displays its text escaped (see [`escape`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&escape(self.0))
    }
}

thread_local! {
    /// Set while text is made for somewhere other than the terminal (a page).
    static UNWRAPPED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `make` with [`width`] `None` on this thread: text made for a file, not for the
/// terminal standard output may be.
pub fn unwrapped<T>(make: impl FnOnce() -> T) -> T {
    UNWRAPPED.set(true);
    let made = make();
    UNWRAPPED.set(false);
    made
}

/// The width to wrap standard output's text to: the terminal's; `None` when it is a pipe
/// or a file, whose lines stay whole for grep and scripts.
pub fn width() -> Option<usize> {
    use std::io::IsTerminal as _;
    if UNWRAPPED.get() {
        return None;
    }
    // Asked once per run, not once per wrapped line (each asking is two ioctls).
    static WIDTH: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
    *WIDTH.get_or_init(|| {
        std::io::stdout()
            .is_terminal()
            .then(|| textwrap::termwidth().max(40))
    })
}

/// `1,141`: a whole number with thousands separators, as the progress bar shows rates.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Styles of the verdict words of `check`; anstream drops them where colour is not
/// wanted (not a terminal, `NO_COLOR`).
pub mod style {
    use anstyle::{AnsiColor, Style};

    pub const GOOD: Style = AnsiColor::Green.on_default().bold();
    pub(crate) const BAD: Style = AnsiColor::Red.on_default().bold();
    pub(crate) const UNKNOWN: Style = AnsiColor::Yellow.on_default().bold();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        for (raw, shown) in [
            ("v=DMARC1; p=reject", "v=DMARC1; p=reject"),
            ("\u{1b}[2J", "\\x1b[2J"),
            ("\u{1b}]0;title\u{7}", "\\x1b]0;title\\x07"),
            ("ok\rDMARC ok", "ok\\rDMARC ok"),
            ("a\u{8}b", "a\\x08b"),
            ("x\u{7f}\u{9b}", "x\\x7f\\x9b"),
            ("abc\u{202e}fed", "abc\\u{202e}fed"),
            ("\u{2066}\u{2069}", "\\u{2066}\\u{2069}"),
            ("tab\there\nline", "tab\\there\\nline"),
            ("日本語 ü", "日本語 ü"),
        ] {
            assert_eq!(escape(raw), shown, "{raw:?}");
            assert!(!escape(raw).contains(unsafe_char), "{raw:?}");
        }
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(format!("[{:<6}]", Escaped("a\u{1b}")), "[a\\x1b ]");
    }

    #[test]
    fn thousands_separators() {
        for (n, want) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1141, "1,141"),
            (1_000_000, "1,000,000"),
        ] {
            assert_eq!(thousands(n), want);
        }
    }
}
