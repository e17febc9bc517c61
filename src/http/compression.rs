//! gzip for the answers rendered once per process (the `tools/list` and `server/discover`
//! results, ~10 KB of JSON that compresses about fivefold), compressed once as well.
//!
//! The JSON-RPC envelope around such a result carries the request's `id`, so no whole body is
//! the same twice. A DEFLATE stream is a sequence of blocks, though, and a block may stand on
//! its own: the result is compressed once ([`flate2`], best level, ending in a sync flush so
//! that it is byte-aligned and not final), and each answer is that block run between two small
//! stored (uncompressed) blocks holding `{"jsonrpc":"2.0","id":…,"result":` and `}`. The gzip
//! trailer's CRC-32 runs over the three parts, so a compressed answer costs a copy of ~2 KB
//! and a CRC of ~12 KB (vectorised: well under a microsecond), not a compression. (Combining
//! a CRC kept for the result with the envelope's, the textbook way, costs more: its GF(2)
//! matrix powers are tens of thousands of operations per answer.) Any gzip decoder reads it
//! as one ordinary member (RFC 1951 §3.2.3, RFC 1952 §2.2).
//!
//! Only gzip is offered: every HTTP client library the MCP SDKs use accepts it, and brotli
//! would shave a few hundred more bytes off a body of ~2 KB at the cost of a second codec.
//!
//! Negotiation follows RFC 9110 §12.5.3: gzip when `Accept-Encoding` lists `gzip` (or
//! `x-gzip`) with a non-zero weight, or `*` with a non-zero weight and no `gzip` entry; else
//! the identity body. `Vary: Accept-Encoding` is on both forms.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use flate2::{Compress, Compression, Crc, FlushCompress};

/// Whether an `Accept-Encoding` value (`None`: the header is absent) accepts gzip.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(value) = accept_encoding else {
        return false;
    };
    let mut gzip = None;
    let mut any = None;
    for entry in value.split(',') {
        let mut parts = entry.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let weight = parts
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, v)| v.trim().parse::<f32>().ok());
        // An unreadable weight refuses the coding rather than guessing.
        let acceptable = weight.is_some_and(|q| q > 0.0);
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(gzip.unwrap_or(true) && acceptable);
        } else if coding == "*" {
            any = Some(any.unwrap_or(true) && acceptable);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// A text compressed as non-final DEFLATE blocks ending byte-aligned.
struct Deflated {
    blocks: Vec<u8>,
}

fn deflate(text: &[u8]) -> Deflated {
    let mut compress = Compress::new(Compression::best(), false);
    let mut blocks = Vec::with_capacity(text.len() / 2 + 64);
    loop {
        let consumed = compress.total_in() as usize;
        blocks.reserve(4096);
        compress
            .compress_vec(&text[consumed..], &mut blocks, FlushCompress::Sync)
            .expect("deflating into a growing buffer cannot fail");
        // Done when all input is in and the flush did not stop for lack of room.
        if compress.total_in() as usize == text.len() && blocks.len() < blocks.capacity() {
            break;
        }
    }
    Deflated { blocks }
}

/// The compressed form of a text rendered once per process, made on first use and kept for
/// the process's life, keyed by the text's (static) address.
fn deflated(text: &'static str) -> Arc<Deflated> {
    static CACHE: OnceLock<Mutex<HashMap<usize, Arc<Deflated>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = text.as_ptr() as usize;
    if let Some(d) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return d.clone();
    }
    // Compressed outside the lock; two first requests may both compress, the result is the same.
    let d = Arc::new(deflate(text.as_bytes()));
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_insert(d)
        .clone()
}

/// Appends `data` as stored DEFLATE blocks (at most 65,535 bytes each), the last one final if
/// `last`. The output is byte-aligned before and after.
fn stored_blocks(out: &mut Vec<u8>, data: &[u8], last: bool) {
    let mut chunks = data.chunks(u16::MAX as usize).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[u8::from(last), 0, 0, 0xff, 0xff]);
        return;
    }
    while let Some(chunk) = chunks.next() {
        let is_final = last && chunks.peek().is_none();
        let len = chunk.len() as u16;
        out.push(u8::from(is_final));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
}

/// The gzip encoding of `prefix`, `middle`, `suffix` concatenated, where `middle` is a text
/// rendered once per process (compressed once, see the module doc).
pub fn gzip_around(prefix: &[u8], middle: &'static str, suffix: &[u8]) -> Vec<u8> {
    let deflated = deflated(middle);
    let mut out = Vec::with_capacity(deflated.blocks.len() + prefix.len() + suffix.len() + 40);
    // RFC 1952 header: magic, CM = deflate, no flags, no mtime, XFL 0, OS unknown.
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    stored_blocks(&mut out, prefix, false);
    out.extend_from_slice(&deflated.blocks);
    stored_blocks(&mut out, suffix, true);
    let mut crc = Crc::new();
    crc.update(prefix);
    crc.update(middle.as_bytes());
    crc.update(suffix);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .expect("a valid gzip member");
        out
    }

    #[test]
    fn a_spliced_member_decompresses_to_the_three_parts_in_order() {
        static MIDDLE: &str = "{\"tools\":[\"search_memories\",\"search_memories\",\"search_memories\"]}";
        let body = gzip_around(b"{\"id\":7,\"result\":", MIDDLE, b"}");
        assert_eq!(
            gunzip(&body),
            format!("{{\"id\":7,\"result\":{MIDDLE}}}").into_bytes()
        );
    }

    #[test]
    fn an_envelope_longer_than_a_stored_block_is_split() {
        static MIDDLE: &str = "[1,2,3]";
        let prefix = vec![b'x'; 70_000];
        let body = gzip_around(&prefix, MIDDLE, b"");
        let mut expected = prefix.clone();
        expected.extend_from_slice(MIDDLE.as_bytes());
        assert_eq!(gunzip(&body), expected);
    }

    #[test]
    fn gzip_is_chosen_only_with_a_non_zero_weight() {
        assert!(!accepts_gzip(None));
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("br, gzip;q=0.5, deflate")));
        assert!(accepts_gzip(Some("X-GZIP")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("gzip; q=0.000")));
        assert!(!accepts_gzip(Some("gzip;q=0, *")));
        assert!(!accepts_gzip(Some("*;q=0")));
        assert!(!accepts_gzip(Some("br, deflate")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("gzip;q=nonsense")));
        assert!(!accepts_gzip(Some("")));
    }
}
