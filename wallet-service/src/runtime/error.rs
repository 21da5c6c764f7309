//! The one place where failures become HTTP responses.

use wallet_client::api::{ErrorBody, ErrorCode, ErrorResponse, InsufficientFundsResponse};
use worker::Response;

/// Why a request failed, with everything its response needs.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The caller's request was refused. Not logged: it is the caller's error, not ours.
    Rejected { code: ErrorCode, message: String },
    /// A charge was refused for want of funds.
    InsufficientFunds { balance: i64, payment_link: String },
    /// A secret or setting the request needs is missing or malformed.
    Misconfigured { name: &'static str, problem: &'static str },
    /// Something failed inside the service.
    Internal { context: &'static str, detail: String },
}

impl ApiError {
    pub(crate) fn reject(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::Rejected { code, message: message.into() }
    }

    /// Returns a function that wraps a lower error as an internal failure of `context`.
    pub(crate) fn internal<E: std::fmt::Display>(context: &'static str) -> impl Fn(E) -> ApiError {
        move |error| ApiError::Internal { context, detail: error.to_string() }
    }

    /// Returns the HTTP status and the body the error answers with, logging it when it is
    /// the service's failure rather than the caller's.
    pub(crate) fn into_parts(self) -> (u16, serde_json::Value) {
        let (code, message) = match self {
            ApiError::Rejected { code, message } => (code, message),
            ApiError::InsufficientFunds { balance, payment_link } => {
                let body = InsufficientFundsResponse {
                    error: ErrorBody {
                        code: ErrorCode::InsufficientFunds,
                        message: format!(
                            "the available balance of {balance} is too low for this amount"
                        ),
                    },
                    balance,
                    payment_link,
                };
                return (ErrorCode::InsufficientFunds.status(), to_value(&body));
            }
            ApiError::Misconfigured { name, problem } => {
                tracing::error!(secret = name, problem, "service misconfigured");
                // The name is safe to tell: it is in the documentation. The value never is.
                (ErrorCode::ServiceMisconfigured, format!("the service's {name} {problem}"))
            }
            ApiError::Internal { context, detail } => {
                tracing::error!(context, detail, "internal error");
                (
                    ErrorCode::InternalError,
                    "the service failed; retry with the same idempotency key".to_owned(),
                )
            }
        };
        (code.status(), to_value(&ErrorResponse { error: ErrorBody { code, message } }))
    }

    pub(crate) fn into_response(self) -> worker::Result<Response> {
        let (status, body) = self.into_parts();
        Ok(Response::from_json(&body)?.with_status(status))
    }
}

fn to_value<T: serde::Serialize>(body: &T) -> serde_json::Value {
    // OK because these bodies are plain structs of strings and integers, which always
    // serialise; `Null` is never reached.
    serde_json::to_value(body).unwrap_or(serde_json::Value::Null)
}
