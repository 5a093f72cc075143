//! Which addresses are not public, and why: the IANA IPv4 and IPv6 Special-Purpose
//! Address Registries (RFC 6890 and its updates), with multicast, and, for IPv6,
//! everything outside global unicast. std's `IpAddr::is_global` is not stable, and the
//! crates that offer one lag the registries (3fff::/20 and 5f00::/16 are from 2024) or
//! call IPv4-mapped addresses global whatever they map.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public: the registry's name for its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ThisNetwork,
    PrivateUse,
    SharedAddressSpace,
    Loopback,
    LinkLocal,
    ProtocolAssignments,
    Documentation,
    Benchmarking,
    SixToFourRelay,
    Multicast,
    Reserved,
    LimitedBroadcast,
    Unspecified,
    LocalUseTranslation,
    DiscardOnly,
    Teredo,
    SegmentRouting,
    UniqueLocal,
    NotGlobalUnicast,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThisNetwork => "\"this network\"",
            Self::PrivateUse => "private-use",
            Self::SharedAddressSpace => "shared address space",
            Self::Loopback => "loopback",
            Self::LinkLocal => "link-local",
            Self::ProtocolAssignments => "for IETF protocol assignments",
            Self::Documentation => "for documentation",
            Self::Benchmarking => "for benchmarking",
            Self::SixToFourRelay => "the deprecated 6to4 relay anycast",
            Self::Multicast => "multicast",
            Self::Reserved => "reserved",
            Self::LimitedBroadcast => "limited broadcast",
            Self::Unspecified => "unspecified",
            Self::LocalUseTranslation => "local-use IPv4/IPv6 translation",
            Self::DiscardOnly => "discard-only",
            Self::Teredo => "Teredo",
            Self::SegmentRouting => "for SRv6 SIDs",
            Self::UniqueLocal => "unique-local",
            Self::NotGlobalUnicast => "outside global unicast 2000::/3",
        }
    }
}

/// IPv6 forms that carry an IPv4 address, which is the one judged: a connection to
/// them reaches that IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// ::ffff:0:0/96 (RFC 4291 §2.5.5.2): the IPv4 address itself, on a dual-stack host.
    Ipv4Mapped,
    /// 64:ff9b::/96 (RFC 6052 §2.1): through a NAT64, which may reach private space too.
    Nat64,
    /// 2002::/16 (RFC 3056 §2): through a 6to4 relay.
    SixToFour,
}

impl Embedding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4Mapped => "IPv4-mapped",
            Self::Nat64 => "NAT64-translated",
            Self::SixToFour => "6to4 for",
        }
    }

    fn ipv4(self, addr: Ipv6Addr) -> Ipv4Addr {
        match self {
            Self::Ipv4Mapped | Self::Nat64 => Ipv4Addr::from_bits(addr.to_bits() as u32),
            Self::SixToFour => Ipv4Addr::from_bits((addr.to_bits() >> 80) as u32),
        }
    }
}

/// An address that is not public, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPublic {
    pub address: IpAddr,
    /// The IPv4 address judged in place of an IPv6 one that embeds it.
    pub embedded: Option<(Embedding, Ipv4Addr)>,
    pub kind: Kind,
    /// Where the block is defined, e.g. `RFC 1918`.
    pub rfc: &'static str,
}

impl fmt::Display for NotPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is ", self.address)?;
        if let Some((how, ipv4)) = self.embedded {
            write!(f, "{} {ipv4}, ", how.as_str())?;
        }
        write!(f, "{} ({})", self.kind.as_str(), self.rfc)
    }
}

/// What a registry row says of its block.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    /// Globally reachable, carved out of a larger block that is not.
    Public,
    Not(Kind, &'static str),
    Embeds(Embedding),
}

use Kind::*;
use Verdict::{Embeds, Not, Public};

const fn v4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    Ipv4Addr::new(a, b, c, d).to_bits()
}

/// IPv4 blocks; the longest matching prefix decides.
const IPV4: &[(u32, u8, Verdict)] = &[
    (v4(0, 0, 0, 0), 8, Not(ThisNetwork, "RFC 791 §3.2")),
    (v4(10, 0, 0, 0), 8, Not(PrivateUse, "RFC 1918")),
    (v4(100, 64, 0, 0), 10, Not(SharedAddressSpace, "RFC 6598")),
    (v4(127, 0, 0, 0), 8, Not(Loopback, "RFC 1122 §3.2.1.3")),
    (v4(169, 254, 0, 0), 16, Not(LinkLocal, "RFC 3927")),
    (v4(172, 16, 0, 0), 12, Not(PrivateUse, "RFC 1918")),
    (
        v4(192, 0, 0, 0),
        24,
        Not(ProtocolAssignments, "RFC 6890 §2.1"),
    ),
    // Port Control Protocol anycast (RFC 7723) and TURN anycast (RFC 8155).
    (v4(192, 0, 0, 9), 32, Public),
    (v4(192, 0, 0, 10), 32, Public),
    (v4(192, 0, 2, 0), 24, Not(Documentation, "RFC 5737")),
    (v4(192, 88, 99, 0), 24, Not(SixToFourRelay, "RFC 7526")),
    (v4(192, 168, 0, 0), 16, Not(PrivateUse, "RFC 1918")),
    (v4(198, 18, 0, 0), 15, Not(Benchmarking, "RFC 2544")),
    (v4(198, 51, 100, 0), 24, Not(Documentation, "RFC 5737")),
    (v4(203, 0, 113, 0), 24, Not(Documentation, "RFC 5737")),
    (v4(224, 0, 0, 0), 4, Not(Multicast, "RFC 5771")),
    (v4(240, 0, 0, 0), 4, Not(Reserved, "RFC 1112 §4")),
    (
        v4(255, 255, 255, 255),
        32,
        Not(LimitedBroadcast, "RFC 919 §7"),
    ),
];

#[expect(clippy::too_many_arguments, reason = "the eight groups of an address")]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16) -> u128 {
    Ipv6Addr::new(a, b, c, d, e, f, g, h).to_bits()
}

/// IPv6 blocks; the longest matching prefix decides. An address no row matches is
/// public inside 2000::/3 and not outside it.
const IPV6: &[(u128, u8, Verdict)] = &[
    (
        v6(0, 0, 0, 0, 0, 0, 0, 0),
        128,
        Not(Unspecified, "RFC 4291 §2.5.2"),
    ),
    (
        v6(0, 0, 0, 0, 0, 0, 0, 1),
        128,
        Not(Loopback, "RFC 4291 §2.5.3"),
    ),
    (
        v6(0, 0, 0, 0, 0, 0xffff, 0, 0),
        96,
        Embeds(Embedding::Ipv4Mapped),
    ),
    (
        v6(0x64, 0xff9b, 0, 0, 0, 0, 0, 0),
        96,
        Embeds(Embedding::Nat64),
    ),
    (
        v6(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        Not(LocalUseTranslation, "RFC 8215"),
    ),
    (
        v6(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        Not(DiscardOnly, "RFC 6666"),
    ),
    (
        v6(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        Not(ProtocolAssignments, "RFC 2928"),
    ),
    (v6(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, Not(Teredo, "RFC 4380")),
    // Anycast for PCP (RFC 7723), TURN (RFC 8155) and DNS-SD SRP (RFC 9665).
    (v6(0x2001, 1, 0, 0, 0, 0, 0, 1), 128, Public),
    (v6(0x2001, 1, 0, 0, 0, 0, 0, 2), 128, Public),
    (v6(0x2001, 1, 0, 0, 0, 0, 0, 3), 128, Public),
    (
        v6(0x2001, 2, 0, 0, 0, 0, 0, 0),
        48,
        Not(Benchmarking, "RFC 5180"),
    ),
    // AMT (RFC 7450), AS112-v6 (RFC 7535), ORCHIDv2 (RFC 7343), drone DETs (RFC 9374).
    (v6(0x2001, 3, 0, 0, 0, 0, 0, 0), 32, Public),
    (v6(0x2001, 4, 0x112, 0, 0, 0, 0, 0), 48, Public),
    (v6(0x2001, 0x20, 0, 0, 0, 0, 0, 0), 28, Public),
    (v6(0x2001, 0x30, 0, 0, 0, 0, 0, 0), 28, Public),
    (
        v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        Not(Documentation, "RFC 3849"),
    ),
    (
        v6(0x2002, 0, 0, 0, 0, 0, 0, 0),
        16,
        Embeds(Embedding::SixToFour),
    ),
    (
        v6(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        Not(Documentation, "RFC 9637"),
    ),
    (
        v6(0x5f00, 0, 0, 0, 0, 0, 0, 0),
        16,
        Not(SegmentRouting, "RFC 9602"),
    ),
    (
        v6(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        Not(UniqueLocal, "RFC 4193"),
    ),
    (
        v6(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        Not(LinkLocal, "RFC 4291 §2.5.6"),
    ),
    (
        v6(0xff00, 0, 0, 0, 0, 0, 0, 0),
        8,
        Not(Multicast, "RFC 4291 §2.7"),
    ),
];

/// The verdict of the longest prefix in `table` that covers `bits`.
fn longest_match<T>(table: &[(T, u8, Verdict)], bits: T, width: u32) -> Option<Verdict>
where
    T: Copy + PartialEq + std::ops::Shr<u32, Output = T>,
{
    table
        .iter()
        .filter(|(prefix, len, _)| {
            let host = width - u32::from(*len);
            // A shift by the full width overflows; a /0 is never in the tables.
            host < width && *prefix >> host == bits >> host
        })
        .max_by_key(|(_, len, _)| *len)
        .map(|(_, _, verdict)| *verdict)
}

/// `Ok` for a public address, else why it is not.
pub fn classify(address: IpAddr) -> Result<(), NotPublic> {
    let refuse = |embedded, kind, rfc| NotPublic {
        address,
        embedded,
        kind,
        rfc,
    };
    let ipv4 = |ip: Ipv4Addr, embedded| match longest_match(IPV4, ip.to_bits(), 32) {
        Some(Not(kind, rfc)) => Err(refuse(embedded, kind, rfc)),
        _ => Ok(()),
    };
    match address {
        IpAddr::V4(ip) => ipv4(ip, None),
        IpAddr::V6(ip) => match longest_match(IPV6, ip.to_bits(), 128) {
            Some(Public) => Ok(()),
            Some(Not(kind, rfc)) => Err(refuse(None, kind, rfc)),
            Some(Embeds(how)) => {
                let inner = how.ipv4(ip);
                ipv4(inner, Some((how, inner)))
            }
            // IANA allocates global unicast from 2000::/3 only (RFC 3587 §3).
            None if ip.segments()[0] & 0xe000 == 0x2000 => Ok(()),
            None => Err(refuse(None, NotGlobalUnicast, "RFC 3587")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `None`: public.
    fn kind(address: &str) -> Option<Kind> {
        classify(address.parse().unwrap()).err().map(|n| n.kind)
    }

    #[test]
    fn ipv4_blocks_first_last_and_either_side() {
        for (address, want) in [
            ("0.0.0.0", Some(ThisNetwork)),
            ("0.255.255.255", Some(ThisNetwork)),
            ("1.0.0.0", None),
            ("9.255.255.255", None),
            ("10.0.0.0", Some(PrivateUse)),
            ("10.255.255.255", Some(PrivateUse)),
            ("11.0.0.0", None),
            ("100.63.255.255", None),
            ("100.64.0.0", Some(SharedAddressSpace)),
            ("100.127.255.255", Some(SharedAddressSpace)),
            ("100.128.0.0", None),
            ("126.255.255.255", None),
            ("127.0.0.0", Some(Loopback)),
            ("127.255.255.255", Some(Loopback)),
            ("128.0.0.0", None),
            ("169.253.255.255", None),
            ("169.254.0.0", Some(LinkLocal)),
            ("169.254.169.254", Some(LinkLocal)),
            ("169.254.255.255", Some(LinkLocal)),
            ("169.255.0.0", None),
            ("172.15.255.255", None),
            ("172.16.0.0", Some(PrivateUse)),
            ("172.31.255.255", Some(PrivateUse)),
            ("172.32.0.0", None),
            ("191.255.255.255", None),
            ("192.0.0.0", Some(ProtocolAssignments)),
            ("192.0.0.8", Some(ProtocolAssignments)),
            ("192.0.0.9", None),
            ("192.0.0.10", None),
            ("192.0.0.11", Some(ProtocolAssignments)),
            ("192.0.0.255", Some(ProtocolAssignments)),
            ("192.0.1.0", None),
            ("192.0.1.255", None),
            ("192.0.2.0", Some(Documentation)),
            ("192.0.2.255", Some(Documentation)),
            ("192.0.3.0", None),
            ("192.88.98.255", None),
            ("192.88.99.0", Some(SixToFourRelay)),
            ("192.88.99.255", Some(SixToFourRelay)),
            ("192.88.100.0", None),
            ("192.167.255.255", None),
            ("192.168.0.0", Some(PrivateUse)),
            ("192.168.255.255", Some(PrivateUse)),
            ("192.169.0.0", None),
            ("198.17.255.255", None),
            ("198.18.0.0", Some(Benchmarking)),
            ("198.19.255.255", Some(Benchmarking)),
            ("198.20.0.0", None),
            ("198.51.99.255", None),
            ("198.51.100.0", Some(Documentation)),
            ("198.51.100.255", Some(Documentation)),
            ("198.51.101.0", None),
            ("203.0.112.255", None),
            ("203.0.113.0", Some(Documentation)),
            ("203.0.113.255", Some(Documentation)),
            ("203.0.114.0", None),
            ("223.255.255.255", None),
            ("224.0.0.0", Some(Multicast)),
            ("239.255.255.255", Some(Multicast)),
            ("240.0.0.0", Some(Reserved)),
            ("255.255.255.254", Some(Reserved)),
            ("255.255.255.255", Some(LimitedBroadcast)),
        ] {
            assert_eq!(kind(address), want, "{address}");
        }
    }

    #[test]
    fn ipv6_blocks_first_last_and_either_side() {
        for (address, want) in [
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            ("::2", Some(NotGlobalUnicast)),
            // IPv4-compatible (deprecated, RFC 4291 §2.5.5.1): not global unicast.
            ("::8.8.8.8", Some(NotGlobalUnicast)),
            ("::fffe:ffff:ffff", Some(NotGlobalUnicast)),
            ("::ffff:8.8.8.8", None),
            ("::ffff:0.0.0.0", Some(ThisNetwork)),
            ("::ffff:255.255.255.255", Some(LimitedBroadcast)),
            ("::1:0:0:0", Some(NotGlobalUnicast)),
            (
                "64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(NotGlobalUnicast),
            ),
            ("64:ff9b::8.8.8.8", None),
            ("64:ff9b::10.1.2.3", Some(PrivateUse)),
            ("64:ff9b::1:0:0", Some(NotGlobalUnicast)),
            ("64:ff9b:1::", Some(LocalUseTranslation)),
            (
                "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
                Some(LocalUseTranslation),
            ),
            ("64:ff9b:2::", Some(NotGlobalUnicast)),
            ("100::", Some(DiscardOnly)),
            ("100::ffff:ffff:ffff:ffff", Some(DiscardOnly)),
            ("100:0:0:1::", Some(NotGlobalUnicast)),
            (
                "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(NotGlobalUnicast),
            ),
            ("2000::", None),
            ("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001::", Some(Teredo)),
            ("2001:0:ffff:ffff:ffff:ffff:ffff:ffff", Some(Teredo)),
            ("2001:1::", Some(ProtocolAssignments)),
            ("2001:1::1", None),
            ("2001:1::2", None),
            ("2001:1::3", None),
            ("2001:1::4", Some(ProtocolAssignments)),
            ("2001:2::", Some(Benchmarking)),
            ("2001:2:0:ffff:ffff:ffff:ffff:ffff", Some(Benchmarking)),
            ("2001:2:1::", Some(ProtocolAssignments)),
            ("2001:3::", None),
            ("2001:3:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:4::", Some(ProtocolAssignments)),
            (
                "2001:4:111:ffff:ffff:ffff:ffff:ffff",
                Some(ProtocolAssignments),
            ),
            ("2001:4:112::", None),
            ("2001:4:113::", Some(ProtocolAssignments)),
            ("2001:10::", Some(ProtocolAssignments)),
            (
                "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(ProtocolAssignments),
            ),
            ("2001:20::", None),
            ("2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:40::", Some(ProtocolAssignments)),
            (
                "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(ProtocolAssignments),
            ),
            ("2001:200::", None),
            ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2001:db8::", Some(Documentation)),
            (
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(Documentation),
            ),
            ("2001:db9::", None),
            ("2001:4860:4860::8888", None),
            ("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("2002:808:808::", None),
            ("2002:a00:1::", Some(PrivateUse)),
            ("2002:7f00:1:ffff:ffff:ffff:ffff:ffff", Some(Loopback)),
            ("2003::", None),
            ("2620:4f:8000::", None),
            ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("3fff::", Some(Documentation)),
            (
                "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(Documentation),
            ),
            ("3fff:1000::", None),
            ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", None),
            ("4000::", Some(NotGlobalUnicast)),
            (
                "5eff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(NotGlobalUnicast),
            ),
            ("5f00::", Some(SegmentRouting)),
            (
                "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(SegmentRouting),
            ),
            ("5f01::", Some(NotGlobalUnicast)),
            (
                "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(NotGlobalUnicast),
            ),
            ("fc00::", Some(UniqueLocal)),
            ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(UniqueLocal)),
            ("fe00::", Some(NotGlobalUnicast)),
            (
                "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(NotGlobalUnicast),
            ),
            ("fe80::", Some(LinkLocal)),
            ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(LinkLocal)),
            // Deprecated site-local (RFC 3879): outside global unicast.
            ("fec0::", Some(NotGlobalUnicast)),
            (
                "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                Some(NotGlobalUnicast),
            ),
            ("ff00::", Some(Multicast)),
            ("ff0e::1", Some(Multicast)),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Some(Multicast)),
        ] {
            assert_eq!(kind(address), want, "{address}");
        }
    }

    #[test]
    fn the_reason_names_the_block_its_rfc_and_any_embedded_ipv4() {
        for (address, want) in [
            ("10.0.0.5", "10.0.0.5 is private-use (RFC 1918)"),
            (
                "169.254.169.254",
                "169.254.169.254 is link-local (RFC 3927)",
            ),
            (
                "100.64.0.1",
                "100.64.0.1 is shared address space (RFC 6598)",
            ),
            ("127.0.0.1", "127.0.0.1 is loopback (RFC 1122 §3.2.1.3)"),
            ("fd00::25", "fd00::25 is unique-local (RFC 4193)"),
            (
                "::ffff:10.0.0.5",
                "::ffff:10.0.0.5 is IPv4-mapped 10.0.0.5, private-use (RFC 1918)",
            ),
            (
                "64:ff9b::7f00:1",
                "64:ff9b::7f00:1 is NAT64-translated 127.0.0.1, loopback (RFC 1122 §3.2.1.3)",
            ),
            (
                "2002:c0a8:101::1",
                "2002:c0a8:101::1 is 6to4 for 192.168.1.1, private-use (RFC 1918)",
            ),
            (
                "4000::1",
                "4000::1 is outside global unicast 2000::/3 (RFC 3587)",
            ),
        ] {
            let reason = classify(address.parse().unwrap()).unwrap_err();
            assert_eq!(reason.to_string(), want);
        }
    }
}
