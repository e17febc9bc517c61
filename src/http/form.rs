//! `application/x-www-form-urlencoded` bodies and query strings as ordered pairs.

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::Request;

use super::body::{self, BodyError};

/// Decoded pairs, in order, duplicates kept (so that they can be refused).
#[derive(Debug, Clone, Default)]
pub struct Form(pub Vec<(String, String)>);

impl Form {
    pub fn parse(bytes: &[u8]) -> Option<Form> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .ok()
            .map(Form)
    }

    pub fn from_query<B>(req: &Request<B>) -> Option<Form> {
        Form::parse(req.uri().query().unwrap_or("").as_bytes())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first parameter that appears more than once, if any.
    pub fn repeated(&self) -> Option<&str> {
        self.0
            .iter()
            .enumerate()
            .find(|(i, (k, _))| self.0[..*i].iter().any(|(seen, _)| seen == k))
            .map(|(_, (k, _))| k.as_str())
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[derive(Debug)]
pub enum FormError {
    TooLarge,
    Unreadable,
    NotForm,
}

impl From<BodyError> for FormError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge(_) => FormError::TooLarge,
            BodyError::Read => FormError::Unreadable,
        }
    }
}

/// Reads and decodes a form body of at most `limit` bytes.
pub async fn read(req: Request<Incoming>, limit: usize) -> Result<Form, FormError> {
    let bytes = read_body(req, limit).await?;
    Form::parse(&bytes).ok_or(FormError::NotForm)
}

/// The raw body of at most `limit` bytes; a declared `Content-Length` over it fails at once.
pub async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, FormError> {
    let declared = body::header(&req, hyper::header::CONTENT_LENGTH).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(FormError::TooLarge);
    }
    Ok(body::read_limited(req.into_body(), limit).await?)
}

/// Is the request's media type `application/x-www-form-urlencoded`?
pub fn is_form<B>(req: &Request<B>) -> bool {
    body::header(req, hyper::header::CONTENT_TYPE).is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    })
}
