//! The Worker: routes requests to the domain and maps its answers to HTTP.
//!
//! Built for wasm32 only. Everything here is glue: parse, call the domain or a wallet's
//! Durable Object, map the result. The rules live in the domain modules.

mod api;
mod config;
mod error;
mod http;
mod logging;
// The `durable_object` macro generates undocumented glue that `missing_docs` would flag.
#[allow(missing_docs)]
mod object;
mod webhook;

use wallet_client::api::ErrorCode;
use worker::{Context, Env, Method, Request, Response, event};

use self::error::ApiError;
use crate::openapi::ROUTES;

pub use self::object::WalletObject;

/// The committed OpenAPI document, which a test keeps equal to what the code generates.
const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

#[event(start)]
fn start() {
    logging::init();
}

#[event(fetch)]
async fn fetch(request: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    // Every failure becomes a response here, so the runtime never answers with its own error
    // page and every error body has a code.
    match route(request, &env, &ctx).await {
        Ok(response) => Ok(response),
        Err(error) => error.into_response(),
    }
}

async fn route(request: Request, env: &Env, ctx: &Context) -> Result<Response, ApiError> {
    let path = request.path();
    let method = request.method();
    match (&method, path.as_str()) {
        (Method::Post, "/v1/identify") => api::identify(request, env, ctx).await,
        (Method::Post, "/v1/balance") => api::balance(request, env, ctx).await,
        (Method::Post, "/v1/charge") => api::charge(request, env, ctx).await,
        (Method::Post, "/v1/transactions") => api::transactions(request, env, ctx).await,
        (Method::Post, "/stripe-webhook") => webhook::receive(request, env).await,
        (Method::Get, "/healthz") => {
            http::json(200, &crate::openapi::Health { status: "ok".to_owned() })
        }
        (Method::Get, "/openapi.json") => http::raw_json(OPENAPI_JSON),
        _ => Err(match ROUTES.iter().find(|route| route.path == path) {
            Some(route) => ApiError::reject(
                ErrorCode::MethodNotAllowed,
                format!("{path} takes {}, not {method}", route.method),
            ),
            None => ApiError::reject(ErrorCode::NotFound, format!("there is no route {path}")),
        }),
    }
}
