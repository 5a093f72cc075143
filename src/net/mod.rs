//! The one guard on outbound connections to addresses learned from DNS. Anyone can
//! publish an MX, or an MTA-STS policy host, that points at loopback, a private network
//! or a cloud metadata address; by default the scanner connects only to public
//! addresses, and code that opens a socket takes a [`Cleared`] address, which only
//! [`Guard::check`] gives out.

mod special;

pub use special::{Embedding, Kind, NotPublic, classify};

use std::net::IpAddr;

/// Decides whether an address learned from DNS may be connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Guard {
    allow_nonpublic: bool,
}

impl Guard {
    /// Connects only to public addresses: the default (`Guard::default()`).
    #[cfg(test)]
    pub(crate) const PUBLIC_ONLY: Self = Self {
        allow_nonpublic: false,
    };
    /// Connects anywhere (`--allow-nonpublic`): for auditing internal mail servers and
    /// for tests on loopback.
    pub const ALLOW_NONPUBLIC: Self = Self {
        allow_nonpublic: true,
    };

    pub const fn new(allow_nonpublic: bool) -> Self {
        Self { allow_nonpublic }
    }

    pub const fn allows_nonpublic(self) -> bool {
        self.allow_nonpublic
    }

    /// `addr` cleared for a connection, or why it is refused.
    pub fn check(self, addr: IpAddr) -> Result<Cleared, NotPublic> {
        if !self.allow_nonpublic {
            classify(addr)?;
        }
        Ok(Cleared(addr))
    }
}

/// An address the [`Guard`] let through; the only kind of address a connection is
/// opened to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cleared(IpAddr);

impl Cleared {
    pub const fn ip(self) -> IpAddr {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_refuses_what_allow_nonpublic_lets_through() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let public: IpAddr = "8.8.8.8".parse().unwrap();
        assert_eq!(Guard::default(), Guard::PUBLIC_ONLY);
        let refused = Guard::default().check(loopback).unwrap_err();
        assert_eq!(refused.kind, Kind::Loopback);
        assert_eq!(
            Guard::ALLOW_NONPUBLIC.check(loopback).map(Cleared::ip),
            Ok(loopback)
        );
        for guard in [Guard::PUBLIC_ONLY, Guard::ALLOW_NONPUBLIC] {
            assert_eq!(guard.check(public).map(Cleared::ip), Ok(public));
        }
    }
}
