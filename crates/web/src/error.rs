//! The web layer's one error type, and how it is shown.
//!
//! Handlers return [`WebError`]. It renders as the JSON body
//! `{"error": {"code", "message", "fields"?}}` for the API (paths under
//! `/api/`) and as a friendly bilingual page for HTML. The choice is made by
//! [`crate::app`]'s error-rendering middleware from the request path, so a
//! handler never has to know which kind it is.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhibo_domain::DomainError;
use zhibo_store::StoreError;

/// A field that was wrong, with what was wrong with it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The input broke a rule; `fields` says which inputs.
    #[error("{message}")]
    Invalid { status: StatusCode, code: &'static str, message: String, fields: Vec<FieldError> },
    #[error("请先登录 / sign in first")]
    Unauthenticated,
    #[error("你的角色无权执行此操作 / your role may not do this")]
    Forbidden,
    #[error("表单已过期或来源不明，请刷新后重试 / missing or wrong CSRF token; reload and try again")]
    Csrf,
    #[error("不存在 / not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("请求过于频繁，请 {retry_after_secs} 秒后再试 / too many requests; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: i64 },
    #[error("服务器内部错误 / internal error")]
    Internal(#[source] anyhow::Error),
}

impl WebError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> WebError {
        let message = message.into();
        WebError::Invalid {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            fields: vec![FieldError { field: field.into(), message: message.clone() }],
            message,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Invalid { status, .. } => *status,
            WebError::Unauthenticated => StatusCode::UNAUTHORIZED,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WebError::Invalid { code, .. } => code,
            WebError::Unauthenticated => "unauthenticated",
            WebError::Forbidden => "forbidden",
            WebError::Csrf => "csrf",
            WebError::NotFound(_) => "not_found",
            WebError::Conflict(_) => "conflict",
            WebError::TooManyRequests { .. } => "rate_limited",
            WebError::Internal(_) => "internal",
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            WebError::Invalid { fields, .. } => fields,
            _ => &[],
        }
    }

    /// The JSON body for the API.
    pub fn body(&self) -> ErrorBody {
        let fields = self.fields();
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                fields: (!fields.is_empty()).then(|| fields.to_vec()),
            },
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub fields: Option<Vec<FieldError>>,
}

impl From<DomainError> for WebError {
    fn from(e: DomainError) -> Self {
        WebError::invalid(e.field, e.message)
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => WebError::NotFound(what),
            StoreError::Conflict(what) => WebError::Conflict(format!("已存在 / already exists: {what}")),
            other => WebError::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(e.into())
    }
}

/// Marker left in a response's extensions so the error-rendering middleware
/// can turn it into JSON or a page once it knows the request's path.
#[derive(Debug, Clone)]
pub struct RenderedError(pub std::sync::Arc<WebError>);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if let WebError::TooManyRequests { retry_after_secs } = &self
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        response.extensions_mut().insert(RenderedError(std::sync::Arc::new(self)));
        response
    }
}
