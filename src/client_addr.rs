//! The client's address. Behind a load balancer the TCP peer is the
//! balancer, and the client is named in `X-Forwarded-For`. That header is
//! written by whoever sends the request, so it is believed only as far as
//! proxies the operator trusts wrote it: the client is the rightmost hop
//! that is not a trusted proxy. With no trusted proxies (the default) the
//! header is ignored and the peer is the client.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// The networks whose requests may name the client (`COMMONS_TRUSTED_PROXIES`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of CIDRs (`10.0.0.0/8`) or single addresses.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{item:?} is not an address or a CIDR such as 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client of an HTTP request, as text.
    pub fn client_of(&self, req: &poem::Request) -> Option<String> {
        let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        self.client(peer, forwarded).map(|ip| ip.to_string())
    }

    /// The client of a request from `peer` carrying these `X-Forwarded-For`
    /// header values (in the order received).
    pub fn client<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        let peer = peer?.to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A hop that does not parse was not written by a proxy we
            // trust: the last trusted hop before it is the best we know.
            let Some(ip) = parse_hop(hop) else {
                return Some(client);
            };
            client = ip;
            if !self.trusts(ip) {
                return Some(ip);
            }
        }
        Some(client)
    }
}

/// An address as proxies write it: bare, or with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("address"))
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), ["198.51.100.1"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_name_another_client() {
        let lb = TrustedProxies::parse("10.0.0.0/8").expect("cidr");
        assert_eq!(
            lb.client(ip("203.0.113.9"), ["198.51.100.1"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let lb = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").expect("cidrs");
        // The client put a spoofed address first; the balancer appended the real one.
        assert_eq!(
            lb.client(ip("10.1.2.3"), ["198.51.100.1, 203.0.113.9", "192.0.2.7"]),
            ip("203.0.113.9")
        );
        assert_eq!(lb.client(ip("10.1.2.3"), []), ip("10.1.2.3"));
        assert_eq!(
            lb.client(ip("10.1.2.3"), ["garbage, 10.9.9.9"]),
            ip("10.9.9.9")
        );
        assert_eq!(
            lb.client(ip("::ffff:10.1.2.3"), ["203.0.113.9:4711"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn bad_entries_are_refused() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.internal").is_err());
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
    }
}
