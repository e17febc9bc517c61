//! Building responses: JSON, HTML, plain text and redirects, with the headers each needs.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};

pub type HttpResponse = Response<Body>;

/// A response body of up to three buffers sent one after another: an answer rendered once per
/// process goes out as its stored bytes between the two small parts of its per-request
/// envelope, without being copied into one buffer first (hyper sends the parts in one
/// vectored write, after a `Content-Length` of their sum).
#[derive(Debug, Default)]
pub struct Body {
    parts: [Bytes; 3],
    next: usize,
}

impl Body {
    pub fn new(bytes: impl Into<Bytes>) -> Body {
        Body {
            parts: [bytes.into(), Bytes::new(), Bytes::new()],
            next: 0,
        }
    }

    /// `before`, `middle` and `after`, in that order.
    pub fn framed(before: Bytes, middle: Bytes, after: Bytes) -> Body {
        Body {
            parts: [before, middle, after],
            next: 0,
        }
    }

    fn remaining(&self) -> &[Bytes] {
        &self.parts[self.next..]
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        while let Some(part) = this.parts.get_mut(this.next) {
            this.next += 1;
            if !part.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(std::mem::take(part)))));
            }
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.remaining().iter().all(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining().iter().map(|p| p.len() as u64).sum())
    }
}

pub fn json(status: StatusCode, value: &impl serde::Serialize) -> HttpResponse {
    json_bytes(
        status,
        serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec()),
    )
}

/// JSON already serialised (or encoded: the caller sets `Content-Encoding`).
pub fn json_bytes(status: StatusCode, body: Vec<u8>) -> HttpResponse {
    json_body(status, Body::new(body))
}

/// JSON in a body already made (see [`Body::framed`]).
pub fn json_body(status: StatusCode, body: Body) -> HttpResponse {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// JSON that must never be cached: anything carrying a token or about one (RFC 6749 §5.1).
pub fn json_no_store(status: StatusCode, value: &impl serde::Serialize) -> HttpResponse {
    let mut resp = json(status, value);
    no_store(&mut resp);
    resp
}

pub fn text(status: StatusCode, body: impl Into<String>) -> HttpResponse {
    let mut resp = Response::new(Body::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

pub fn empty(status: StatusCode) -> HttpResponse {
    let mut resp = Response::new(Body::default());
    *resp.status_mut() = status;
    resp
}

/// An HTML page, framed by nobody and cached by nobody.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    let mut resp = Response::new(Body::new(body));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self' https: http://127.0.0.1:* http://localhost:* http://[::1]:*; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    // `same-origin`, not `no-referrer`: the page URL (authorization request, state) still never
    // reaches another origin, but the forms' own posts keep a real `Origin` header, which the
    // cross-site check needs (under `no-referrer` browsers send `Origin: null`).
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    no_store(&mut resp);
    resp
}

/// 302 to `location`. Only GET routes redirect: no POST endpoint ever answers 30x, except the
/// browser-facing consent and login forms whose whole purpose is to send the browser on.
pub fn redirect(location: &str) -> HttpResponse {
    let mut resp = empty(StatusCode::FOUND);
    match HeaderValue::from_str(location) {
        Ok(v) => {
            resp.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => return text(StatusCode::BAD_REQUEST, "invalid redirect target"),
    }
    no_store(&mut resp);
    resp
}

pub fn no_store(resp: &mut HttpResponse) {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// 503 with a JSON body: the database is unreachable. Never a stack trace.
pub fn unavailable() -> HttpResponse {
    let mut resp = json(
        StatusCode::SERVICE_UNAVAILABLE,
        &serde_json::json!({ "error": "temporarily_unavailable", "error_description": "the service cannot reach its database; try again shortly" }),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    resp
}

/// 500 with a JSON body and nothing else: a bug, told to nobody but the log.
pub fn internal_error() -> HttpResponse {
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        &serde_json::json!({ "error": "server_error", "error_description": "the server hit an unexpected condition" }),
    )
}

pub fn not_found() -> HttpResponse {
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({ "error": "not_found" }),
    )
}

pub fn method_not_allowed(allow: &'static str) -> HttpResponse {
    let mut resp = json(
        StatusCode::METHOD_NOT_ALLOWED,
        &serde_json::json!({ "error": "method_not_allowed" }),
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;
    use hyper::body::Body as _;

    #[tokio::test]
    async fn a_framed_body_sends_its_parts_in_order_and_announces_their_sum() {
        let body = Body::framed(
            Bytes::from_static(b"{\"id\":7,\"result\":"),
            Bytes::from_static(b"[1,2]"),
            Bytes::from_static(b"}"),
        );
        assert_eq!(body.size_hint().exact(), Some(23));
        assert!(!body.is_end_stream());
        let collected = body.collect().await.unwrap().to_bytes();
        assert_eq!(&collected[..], b"{\"id\":7,\"result\":[1,2]}");
    }

    #[tokio::test]
    async fn empty_parts_send_no_frame() {
        let mut body = Body::framed(Bytes::new(), Bytes::from_static(b"x"), Bytes::new());
        let frame = body.frame().await.unwrap().unwrap();
        assert_eq!(frame.into_data().unwrap(), Bytes::from_static(b"x"));
        assert!(body.is_end_stream());
        assert!(body.frame().await.is_none());
        assert!(Body::default().is_end_stream());
        assert_eq!(Body::default().size_hint().exact(), Some(0));
    }
}
