//! Reading request bodies with a hard size limit, and the request facts handlers need.

use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::Request;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    #[error("could not read the request body")]
    Read,
}

/// The whole body, or [`BodyError::TooLarge`] as soon as it passes `limit` bytes.
pub async fn read_limited(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge(limit))
        }
        Err(_) => Err(BodyError::Read),
    }
}

/// The peer address of the connection, set by the server on every request.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// The client's address: the TCP peer, or with `trust_proxy` the right-most `X-Forwarded-For`
/// entry.
///
/// The right-most entry is the one the trusted proxy wrote (nginx's `$remote_addr`, appended by
/// `$proxy_add_x_forwarded_for` or set alone): it is the address that proxy saw. Every entry
/// left of it arrived from the client and is whatever the client chose to send, so trusting the
/// left-most (as many frameworks do) lets anyone pick a fresh address, and a fresh rate-limit
/// budget, per request. Several `X-Forwarded-For` header lines are one list, in order. When the
/// right-most entry is not an address, the TCP peer (the proxy) is used: every such request then
/// shares one budget, which fails closed.
pub fn client_ip<B>(req: &Request<B>, trust_proxy: bool) -> IpAddr {
    let peer = req
        .extensions()
        .get::<PeerAddr>()
        .map(|p| p.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if !trust_proxy {
        return peer;
    }
    req.headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .map(|last_line| {
            last_line
                .to_str()
                .ok()
                .and_then(|v| v.rsplit(',').next())
                .and_then(|entry| parse_forwarded_address(entry.trim()))
                .unwrap_or(peer)
        })
        .unwrap_or(peer)
}

/// `192.0.2.1`, `2001:db8::1` or `[2001:db8::1]`.
fn parse_forwarded_address(entry: &str) -> Option<IpAddr> {
    let bare = entry
        .strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .unwrap_or(entry);
    bare.parse().ok()
}

/// A header as a string, if present and valid UTF-8.
pub fn header<B>(req: &Request<B>, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(forwarded: &[&str]) -> Request<()> {
        let mut builder = Request::builder();
        for line in forwarded {
            builder = builder.header("x-forwarded-for", *line);
        }
        let mut req = builder.body(()).unwrap();
        req.extensions_mut()
            .insert(PeerAddr("10.0.0.9:443".parse().unwrap()));
        req
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forged_left_most_forwarded_entry_is_ignored_for_the_one_the_proxy_appended() {
        let req = request(&["203.0.113.99, 198.51.100.7"]);
        assert_eq!(client_ip(&req, true), ip("198.51.100.7"));
        // Header lines are one list: the last line's last entry is the proxy's.
        let req = request(&["203.0.113.99", "1.2.3.4, [2001:db8::5]"]);
        assert_eq!(client_ip(&req, true), ip("2001:db8::5"));
    }

    #[test]
    fn unparseable_proxy_entry_falls_back_to_the_peer_and_untrusted_headers_are_ignored() {
        assert_eq!(client_ip(&request(&["198.51.100.7, junk"]), true), ip("10.0.0.9"));
        assert_eq!(client_ip(&request(&[]), true), ip("10.0.0.9"));
        assert_eq!(client_ip(&request(&["198.51.100.7"]), false), ip("10.0.0.9"));
    }
}
