//! JS RPC: the API's operations as methods of the service's entrypoint, so that a JavaScript
//! Worker bound to the service calls `await env.WALLET.charge({...})`.
//!
//! workers-rs hands `env` to event handlers but not to exported RPC functions (workers-rs issue
//! #720). The way round it used here: each method is a `#[wasm_bindgen(this)]` function.
//! worker-build installs every exported function on the default entrypoint's prototype, so the
//! runtime calls it as a method of the `WorkerEntrypoint` instance, and `this` is that instance;
//! its `env` and `ctx` (with the binding's `props`) are plain properties read with `Reflect`.
//! This uses only public, documented behaviour of wasm-bindgen and of `WorkerEntrypoint`; it
//! keeps no global state, so every call sees its own `env` and `props`. Were `this` an object
//! other than an entrypoint, the call answers `internal_error` instead of guessing.
//!
//! The methods take the HTTP request bodies and resolve to the HTTP response bodies: success
//! bodies as they are, errors as `{"error": {"code", "message"}}` (with `balance` and
//! `payment_link` for `insufficient_funds`), resolved rather than thrown, because Workers RPC
//! keeps only the message of a thrown error and the code must reach the caller.

use std::future::Future;

use serde::Serialize;
use wallet_client::api::{ErrorCode, REQUEST_BODY_BYTES_MAX};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use worker::Env;

use super::api;
use super::auth::rpc_caller;
use super::error::ApiError;
use super::http::{Body, parse_json};
use crate::app_auth::AppId;

/// `identify`, as `POST /v1/identify`.
#[wasm_bindgen(this)]
pub async fn identify(this: JsValue, request: JsValue) -> JsValue {
    serve(&this, &request, api::identify).await
}

/// `balance`, as `POST /v1/balance`.
#[wasm_bindgen(this)]
pub async fn balance(this: JsValue, request: JsValue) -> JsValue {
    serve(&this, &request, api::balance).await
}

/// `charge`, as `POST /v1/charge`.
#[wasm_bindgen(this)]
pub async fn charge(this: JsValue, request: JsValue) -> JsValue {
    serve(&this, &request, api::charge).await
}

/// `transactions`, as `POST /v1/transactions`.
#[wasm_bindgen(this)]
pub async fn transactions(this: JsValue, request: JsValue) -> JsValue {
    serve(&this, &request, api::transactions).await
}

/// `placeHold`, as `POST /v1/holds`.
#[wasm_bindgen(this, js_name = placeHold)]
pub async fn place_hold(this: JsValue, request: JsValue) -> JsValue {
    serve(&this, &request, api::place_hold).await
}

/// `captureHold`, as `POST /v1/holds/capture`.
#[wasm_bindgen(this, js_name = captureHold)]
pub async fn capture_hold(this: JsValue, request: JsValue) -> JsValue {
    serve(&this, &request, api::capture_hold).await
}

/// `releaseHold`, as `POST /v1/holds/release`.
#[wasm_bindgen(this, js_name = releaseHold)]
pub async fn release_hold(this: JsValue, request: JsValue) -> JsValue {
    serve(&this, &request, api::release_hold).await
}

async fn serve<Q, A, F, Fut>(this: &JsValue, request: &JsValue, operation: F) -> JsValue
where
    Q: Body,
    A: Serialize,
    F: FnOnce(Env, AppId, Q) -> Fut,
    Fut: Future<Output = Result<A, ApiError>>,
{
    super::logging::init();
    let answer = async {
        let (env, app) = entrypoint(this)?;
        // The request goes through the same JSON parsing as an HTTP body, so that RPC and HTTP
        // refuse the same inputs with the same codes.
        let text = js_sys::JSON::stringify(request)
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_else(|| "null".to_owned());
        if text.len() > REQUEST_BODY_BYTES_MAX {
            return Err(ApiError::reject(
                ErrorCode::BodyTooLarge,
                format!("the request is over {REQUEST_BODY_BYTES_MAX} bytes as JSON"),
            ));
        }
        let body: Q = parse_json(text.as_bytes())?;
        let answer = operation(env, app, body).await?;
        serde_json::to_string(&answer).map_err(ApiError::internal("writing an RPC answer"))
    }
    .await;

    let text = answer.unwrap_or_else(|error| error.into_parts().1.to_string());
    js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
}

/// Returns the `env` of the entrypoint the method was called on, and the calling app.
fn entrypoint(this: &JsValue) -> Result<(Env, AppId), ApiError> {
    let property = |object: &JsValue, name: &str| {
        js_sys::Reflect::get(object, &JsValue::from_str(name))
            .ok()
            .filter(|value| !value.is_undefined() && !value.is_null())
    };
    let missing = || ApiError::Internal {
        context: "an RPC method was called",
        detail: "not as a method of the service's entrypoint".to_owned(),
    };
    let env = property(this, "env").ok_or_else(missing)?;
    let ctx = property(this, "ctx").ok_or_else(missing)?;
    let props = property(&ctx, "props").unwrap_or(JsValue::UNDEFINED);

    let app = rpc_caller(&props)?;
    Ok((env.unchecked_into::<Env>(), app))
}
