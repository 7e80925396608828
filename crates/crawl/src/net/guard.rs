//! The SSRF guard's address check.
//!
//! An audit job crawls sites nobody here controls. A page that links to `http://169.254.169.254/`
//! (a cloud metadata service) or to `http://10.0.0.5/admin` must not make us fetch it. So every
//! address we connect to is judged here, *after* DNS resolution (a public name can resolve to a
//! private address) and for IP-literal URLs too (they skip DNS). Addresses the user allowed
//! explicitly — the targets of `--resolve`, or everything with `--allow-private` — pass.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// `127.0.0.0/8` and `::1`: this machine.
    Loopback,
    /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16` (RFC 1918) and IPv6 site-local `fec0::/10`.
    Private,
    /// `169.254.0.0/16` (where cloud metadata services answer) and `fe80::/10`.
    LinkLocal,
    /// `fc00::/7`: IPv6's private ranges.
    UniqueLocal,
    /// `100.64.0.0/10`: carrier-grade NAT's shared space, inside an operator's network.
    SharedCgnat,
    /// `224.0.0.0/4` and `ff00::/8`.
    Multicast,
    /// `0.0.0.0/8` and `::`: connecting to them reaches this machine on many systems.
    Unspecified,
    /// `255.255.255.255`.
    Broadcast,
    /// `240.0.0.0/4`, the IETF's `192.0.0.0/24` and the benchmarking `198.18.0.0/15`: never a web
    /// site.
    Reserved,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24` and `2001:db8::/32`: examples in
    /// documentation, never a real host.
    Documentation,
}

impl AddressClass {
    /// The class in words, for messages (`link-local`, `shared (CGNAT)`).
    pub fn as_str(self) -> &'static str {
        match self {
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local",
            AddressClass::UniqueLocal => "unique-local",
            AddressClass::SharedCgnat => "shared (CGNAT)",
            AddressClass::Multicast => "multicast",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Reserved => "reserved",
            AddressClass::Documentation => "documentation",
        }
    }
}

/// The class of a non-public address, `None` for a public one. IPv4-mapped and NAT64 IPv6 forms
/// (`::ffff:127.0.0.1`, `64:ff9b::7f00:1`) are judged as the IPv4 address they carry.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return classify_v4(v4);
            }
            classify_v6(v6)
        }
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) => AddressClass::Private,
        (172, 16..=31, _) => AddressClass::Private,
        (192, 168, _) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        (100, 64..=127, _) => AddressClass::SharedCgnat,
        (0, _, _) => AddressClass::Unspecified,
        (224..=239, _, _) => AddressClass::Multicast,
        _ if ip.is_broadcast() => AddressClass::Broadcast,
        (240..=255, _, _) => AddressClass::Reserved,
        // IETF protocol assignments and benchmarking networks are never a web site.
        (192, 0, 0) => AddressClass::Reserved,
        (198, 18..=19, _) => AddressClass::Reserved,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        _ => return None,
    })
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    let seg0 = ip.segments()[0];
    if ip.is_loopback() {
        Some(AddressClass::Loopback)
    } else if ip.is_unspecified() {
        Some(AddressClass::Unspecified)
    } else if seg0 & 0xffc0 == 0xfe80 {
        Some(AddressClass::LinkLocal)
    } else if seg0 & 0xfe00 == 0xfc00 {
        Some(AddressClass::UniqueLocal)
    } else if seg0 & 0xff00 == 0xff00 {
        Some(AddressClass::Multicast)
    } else if seg0 == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some(AddressClass::Documentation)
    } else if seg0 & 0xffc0 == 0xfec0 {
        // Deprecated site-local addresses still route privately on some networks.
        Some(AddressClass::Private)
    } else {
        None
    }
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) or
/// NAT64 (`64:ff9b::a.b.c.d`) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(tail);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail);
    }
    None
}

/// Which addresses this crawl may connect to.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    /// `--allow-private`: everything may be reached.
    pub allow_private: bool,
    /// `--resolve` targets: these exact addresses may be reached.
    pub allowed: HashSet<IpAddr>,
}

/// A refused connection, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refused to connect to {addr}: it is a {class} address (allow it with --resolve HOST={addr} or --allow-private)"
)]
pub struct ForbiddenAddress {
    /// The address refused: the one DNS gave or the URL named, not the host name.
    pub addr: IpAddr,
    /// Why it is not public, in words ([`AddressClass::as_str`]).
    pub class: &'static str,
}

impl AddressPolicy {
    /// `Ok` for a public address, a `--resolve` target (in its IPv4-mapped form too) or anything
    /// under `--allow-private`; otherwise the refusal, with the address's class.
    pub fn check(&self, ip: IpAddr) -> Result<(), ForbiddenAddress> {
        if self.allow_private || self.allowed.contains(&ip) {
            return Ok(());
        }
        // `::ffff:127.0.0.1` is allowed when `127.0.0.1` is.
        if let IpAddr::V6(v6) = ip
            && embedded_v4(v6).is_some_and(|v4| self.allowed.contains(&IpAddr::V4(v4)))
        {
            return Ok(());
        }
        match classify(ip) {
            None => Ok(()),
            Some(class) => Err(ForbiddenAddress {
                addr: ip,
                class: class.as_str(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(addr: &str) -> Option<AddressClass> {
        classify(addr.parse().unwrap())
    }

    #[test]
    fn every_forbidden_range() {
        use AddressClass::*;
        let cases = [
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.1", Private),
            ("10.255.255.255", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("0.0.0.0", Unspecified),
            ("255.255.255.255", Broadcast),
            ("::1", Loopback),
            ("::", Unspecified),
            ("fe80::1", LinkLocal),
            ("febf::1", LinkLocal),
            ("fc00::1", UniqueLocal),
            ("fdff::1", UniqueLocal),
            ("ff02::1", Multicast),
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("::127.0.0.1", Loopback),
        ];
        for (addr, class) in cases {
            assert_eq!(verdict(addr), Some(class), "{addr}");
        }
    }

    #[test]
    fn public_addresses_and_range_edges_pass() {
        for addr in [
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "169.253.255.255",
            "192.167.255.255",
            "11.0.0.1",
            "2a00:1450:4009:81d::200e",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(verdict(addr), None, "{addr}");
        }
    }

    /// The host of a URL as the client would connect to it, judged without connecting.
    fn url_verdict(url: &str) -> Option<AddressClass> {
        let url = url::Url::parse(url).unwrap();
        classify(crate::net::ip_literal(&url).expect("an IP literal"))
    }

    #[test]
    fn numeric_url_forms_are_canonicalised_and_refused() {
        use AddressClass::*;
        for (url, class) in [
            ("http://2130706433/", Loopback),
            ("http://0x7f.1/", Loopback),
            ("http://127.1/", Loopback),
            ("http://0177.0.0.1/", Loopback),
            ("http://0x7f000001/", Loopback),
            ("http://2130706434:8080/latest/meta-data/", Loopback),
            ("http://0xa9fea9fe/", LinkLocal),
            ("http://169.254.43518/", LinkLocal),
            ("http://0/", Unspecified),
            ("http://10.1/", Private),
            ("http://0300.0250.1.1/", Private),
            ("http://[::ffff:127.0.0.1]/", Loopback),
            ("http://[::ffff:7f00:1]/", Loopback),
            ("http://[::ffff:a9fe:a9fe]/", LinkLocal),
            ("http://[0:0:0:0:0:ffff:192.168.0.1]/", Private),
            ("http://[fe80::1%25eth0]/", LinkLocal),
            ("http://[::]/", Unspecified),
        ] {
            let parsed = url::Url::parse(url);
            match parsed {
                // `url` refuses zone ids outright: nothing to connect to.
                Err(_) => assert!(url.contains('%'), "{url} should parse"),
                Ok(_) => assert_eq!(url_verdict(url), Some(class), "{url}"),
            }
        }
        assert_eq!(url_verdict("http://8.8.8.8/"), None);
        assert_eq!(
            url_verdict("http://134744072/"),
            None,
            "8.8.8.8 in decimal is public"
        );
    }

    #[test]
    fn the_rest_of_the_reserved_space() {
        use AddressClass::*;
        for (addr, class) in [
            ("172.20.1.1", Private),
            ("192.168.255.255", Private),
            ("169.254.0.1", LinkLocal),
            ("100.100.100.200", SharedCgnat),
            ("240.0.0.1", Reserved),
            ("192.0.0.8", Reserved),
            ("198.18.0.1", Reserved),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("fec0::1", Private),
            ("2001:db8::1", Documentation),
            ("::ffff:0.0.0.0", Unspecified),
            ("::ffff:100.64.0.1", SharedCgnat),
            ("::ffff:224.0.0.1", Multicast),
            ("::ffff:192.168.1.1", Private),
            ("::ffff:172.16.0.1", Private),
            ("64:ff9b::10.0.0.1", Private),
            ("64:ff9b::127.0.0.1", Loopback),
        ] {
            assert_eq!(verdict(addr), Some(class), "{addr}");
        }
        for addr in [
            "1.1.1.1",
            "81.2.69.142",
            "2606:4700:4700::1111",
            "64:ff9b::8.8.8.8",
        ] {
            assert_eq!(verdict(addr), None, "{addr}");
        }
    }

    #[test]
    fn policy_allows_only_the_resolve_targets() {
        let mut policy = AddressPolicy::default();
        policy.allowed.insert("127.0.0.1".parse().unwrap());
        assert!(policy.check("127.0.0.1".parse().unwrap()).is_ok());
        assert!(policy.check("::ffff:127.0.0.1".parse().unwrap()).is_ok());
        let err = policy.check("127.0.0.2".parse().unwrap()).unwrap_err();
        assert_eq!(err.class, "loopback");
        assert!(err.to_string().contains("--resolve"));
        assert!(policy.check("10.0.0.1".parse().unwrap()).is_err());
        assert!(policy.check("93.184.216.34".parse().unwrap()).is_ok());
        policy.allow_private = true;
        assert!(policy.check("10.0.0.1".parse().unwrap()).is_ok());
    }
}
