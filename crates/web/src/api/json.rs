//! [`ApiJson`]: the JSON body extractor of the API. It answers bad bodies
//! with zhibo's error shape and names the field: malformed JSON (400), a
//! missing, unknown or mistyped field (422), the wrong content type (415), a
//! body over the limit (413).

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::{FieldError, WebError};

#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
        if !is_json {
            return Err(WebError::Invalid {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
                message: "请求体须为 JSON（Content-Type: application/json）/ the body must be JSON (Content-Type: application/json)".into(),
                fields: Vec::new(),
            });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large(0)
            } else {
                WebError::invalid("body", rejection.body_text())
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Deserializes a JSON body, turning serde's complaint into a field-named error.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WebError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(de);
    let err = match result {
        Ok(value) => return Ok(value),
        Err(err) => err,
    };
    let path = err.path().to_string();
    let inner = err.into_inner();
    use serde_json::error::Category;
    match inner.classify() {
        Category::Syntax | Category::Eof | Category::Io => Err(WebError::Invalid {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json",
            message: format!(
                "请求体不是有效的 JSON（第{}行第{}列）/ malformed JSON at line {} column {}",
                inner.line(),
                inner.column(),
                inner.line(),
                inner.column()
            ),
            fields: Vec::new(),
        }),
        Category::Data => {
            let text = inner.to_string();
            // serde names a missing or unknown field in backticks; for a
            // missing one the path stops at its parent, so add the name.
            let named = text
                .split('`')
                .nth(1)
                .filter(|_| text.starts_with("missing field") || text.starts_with("unknown field"));
            let field = match (named, path.as_str()) {
                (Some(name), "." | "") => name.to_owned(),
                (Some(name), p) if p == name || p.ends_with(&format!(".{name}")) => p.to_owned(),
                (Some(name), parent) => format!("{parent}.{name}"),
                (None, p) => p.to_owned(),
            };
            let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
            Err(WebError::Invalid {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid",
                message: format!("字段 {field} 有误 / field {field}: {message}"),
                fields: vec![FieldError { field, message }],
            })
        }
    }
}

/// The 413 answer; `limit` is shown when known.
pub fn too_large(limit: usize) -> WebError {
    let limit_text = if limit > 0 { format!(" ({limit} bytes)") } else { String::new() };
    WebError::Invalid {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "too_large",
        message: format!("请求体过大 / the body is too large{limit_text}"),
        fields: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "the fields exist to be deserialized")]
    struct Probe {
        title: String,
        price_fen: i64,
    }

    fn field_of(body: &str) -> (u16, Vec<String>) {
        let e = parse::<Probe>(body.as_bytes()).unwrap_err();
        (e.status().as_u16(), e.fields().iter().map(|f| f.field.clone()).collect())
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        assert_eq!(field_of(r#"{"title":"x"}"#), (422, vec!["price_fen".into()]));
        assert_eq!(field_of(r#"{"title":"x","price_fen":1,"colour":"red"}"#), (422, vec!["colour".into()]));
        assert_eq!(field_of(r#"{"title":"x","price_fen":"ten"}"#), (422, vec!["price_fen".into()]));
        assert_eq!(field_of(r#"{"title":"x","#), (400, vec![]));
    }
}
