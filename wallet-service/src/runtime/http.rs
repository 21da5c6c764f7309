//! Reading bodies within their limits and writing JSON answers.

use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize as _, Serialize};
use wallet_client::api::{
    BalanceRequest, CaptureHoldRequest, ChargeRequest, ErrorCode, IdentifyRequest,
    PlaceHoldRequest, ReleaseHoldRequest, TransactionsRequest,
};
use wallet_client::money::{AMOUNT_RULE, Amount};
use worker::{Request, Response};

use super::error::ApiError;

/// Reads the whole body, refusing it as soon as it passes `bytes_max`.
///
/// The declared length is checked first so that an honest oversized request is refused
/// without reading it; the running count catches bodies that declare no length or lie.
pub(crate) async fn read_body(
    request: &mut Request,
    bytes_max: usize,
) -> Result<Vec<u8>, ApiError> {
    let too_large =
        || ApiError::reject(ErrorCode::BodyTooLarge, format!("the body is over {bytes_max} bytes"));
    let declared = request.headers().get("Content-Length").ok().flatten();
    if declared.and_then(|length| length.parse::<usize>().ok()).is_some_and(|n| n > bytes_max) {
        return Err(too_large());
    }

    let mut body = Vec::new();
    let Ok(mut stream) = request.stream() else {
        // A request without a body has no stream.
        return Ok(body);
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(ApiError::internal("reading the request body"))?;
        if body.len().saturating_add(chunk.len()) > bytes_max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A request body of the wallet API.
pub(crate) trait Body: DeserializeOwned {
    /// Whether the body has an `amount`, which is checked on its own to get its own code.
    const HAS_AMOUNT: bool = false;
}

impl Body for IdentifyRequest {}
impl Body for BalanceRequest {}
impl Body for TransactionsRequest {}
impl Body for ReleaseHoldRequest {}

impl Body for ChargeRequest {
    const HAS_AMOUNT: bool = true;
}

impl Body for PlaceHoldRequest {
    const HAS_AMOUNT: bool = true;
}

impl Body for CaptureHoldRequest {
    const HAS_AMOUNT: bool = true;
}

/// Parses a JSON request body, telling a malformed document, a bad amount and a wrong shape
/// apart, each with its own code.
pub(crate) fn parse_json<T: Body>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
        ApiError::reject(ErrorCode::MalformedJson, format!("the body is not valid JSON: {error}"))
    })?;
    // The amount is checked on its own first so that every bad amount gets `invalid_amount`,
    // whatever else is wrong with the body.
    if T::HAS_AMOUNT
        && let Some(amount) = value.get("amount")
        && Amount::deserialize(amount).is_err()
    {
        return Err(ApiError::reject(ErrorCode::InvalidAmount, AMOUNT_RULE));
    }
    serde_json::from_value(value)
        .map_err(|error| ApiError::reject(ErrorCode::InvalidRequest, error.to_string()))
}

/// Returns `body` as JSON with `status`.
pub(crate) fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let response = Response::from_json(body).map_err(ApiError::internal("writing a response"))?;
    Ok(response.with_status(status))
}

/// Returns a JSON document that is already text.
pub(crate) fn raw_json(body: &str) -> Result<Response, ApiError> {
    let mut response = Response::ok(body).map_err(ApiError::internal("writing a response"))?;
    response
        .headers_mut()
        .set("Content-Type", "application/json")
        .map_err(ApiError::internal("writing a response"))?;
    Ok(response)
}
