//! Request extractors whose rejections become JSON errors, and the one
//! error type handlers return.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A handler's error: an ORM error (its own status and body) or a request
/// that could not be read (400 with the fields at fault).
#[derive(Debug)]
pub enum ApiError {
    /// From the ORM.
    Orm(orm_core::Error),
    /// A malformed body, path or query.
    BadRequest(Value),
    /// A request refused before it was read: a body over the size limit
    /// (413) or of another content type than JSON (415).
    Refused(StatusCode, Value),
}

impl From<orm_core::Error> for ApiError {
    fn from(e: orm_core::Error) -> Self {
        ApiError::Orm(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Orm(e) => e.into_response(),
            ApiError::BadRequest(body) => (StatusCode::BAD_REQUEST, axum::Json(body)).into_response(),
            ApiError::Refused(status, body) => (status, axum::Json(body)).into_response(),
        }
    }
}

/// Turn serde's message ("role: unknown variant `boss`, ..." or "unknown
/// field `nmae`, ...") into `{"error": ..., "fields": {field: [message]}}`.
fn bad_input(text: &str) -> ApiError {
    let detail = text
        .split_once("target type: ")
        .or_else(|| text.split_once("Failed to deserialize query string: "))
        .map(|(_, d)| d)
        .unwrap_or(text);
    let detail = detail.split(" at line ").next().unwrap_or(detail).trim();
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_owned);
    let (field, message) = match detail.split_once(": ") {
        Some((path, msg)) if !path.contains(' ') && path != "." => (Some(path.to_owned()), msg.to_owned()),
        _ if detail.starts_with("unknown field") || detail.starts_with("missing field") => {
            (quoted(detail), detail.to_owned())
        }
        _ => (None, detail.to_owned()),
    };
    let mut body = json!({"error": "Invalid request body"});
    match field {
        Some(f) => body["fields"] = json!({ f: [message] }),
        None => body["detail"] = json!(message),
    }
    ApiError::BadRequest(body)
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::Refused(
                r.status(),
                json!({"error": "Request body too large", "detail": r.body_text()}),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::Refused(
                r.status(),
                json!({"error": "Unsupported media type", "detail": "send the body as application/json"}),
            ),
            _ => bad_input(&r.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let mut e = bad_input(&r.body_text());
        if let ApiError::BadRequest(body) = &mut e {
            body["error"] = json!("Invalid query string");
        }
        e
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::BadRequest(json!({"error": "Invalid path", "detail": r.body_text()}))
    }
}

/// `axum::Json` with JSON errors.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Ok(Json(axum::Json::<T>::from_request(req, state).await?.0))
    }
}

/// `axum::extract::Query` with JSON errors.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Ok(Query(
            axum::extract::Query::<T>::from_request_parts(parts, state).await?.0,
        ))
    }
}

/// `axum::extract::Path` with JSON errors.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Ok(Path(
            axum::extract::Path::<T>::from_request_parts(parts, state).await?.0,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: ApiError) -> Value {
        match e {
            ApiError::BadRequest(b) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn serde_messages_name_the_field() {
        let b = body(bad_input(
            "Failed to deserialize the JSON body into the target type: role: unknown variant `boss`, expected `admin` or `member` at line 1 column 40",
        ));
        assert!(b["fields"]["role"][0].as_str().unwrap().contains("unknown variant"));
        let b = body(bad_input(
            "Failed to deserialize the JSON body into the target type: unknown field `nmae`, expected one of `name`, `email`, `role` at line 1 column 7",
        ));
        assert!(b["fields"]["nmae"].is_array(), "{b}");
        let b = body(bad_input(
            "Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 20",
        ));
        assert!(b["fields"]["email"].is_array(), "{b}");
    }
}
