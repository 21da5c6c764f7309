//! The Worker: routes requests to the domain and maps its answers to HTTP.
//!
//! Built for wasm32 only. Everything here is glue: parse, call the domain or a wallet's
//! Durable Object, map the result. The rules live in the domain modules.

mod api;
mod auth;
mod config;
mod error;
mod http;
mod logging;
// The `durable_object` macro generates undocumented glue that `missing_docs` would flag.
#[allow(missing_docs)]
mod object;
pub mod rpc;
mod webhook;

use std::future::Future;

use serde::Serialize;
use wallet_client::api::{ErrorCode, REQUEST_BODY_BYTES_MAX};
use worker::{Context, Env, Method, Request, Response, event};

use self::error::ApiError;
use crate::app_auth::AppId;
use crate::openapi::ROUTES;

pub use self::object::WalletObject;

/// The committed OpenAPI document, which a test keeps equal to what the code generates.
const OPENAPI_JSON: &str = include_str!("../../../openapi.json");

#[event(fetch)]
async fn fetch(request: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    logging::init();
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
        (Method::Post, "/v1/identify") => serve(request, env, ctx, api::identify).await,
        (Method::Post, "/v1/balance") => serve(request, env, ctx, api::balance).await,
        (Method::Post, "/v1/charge") => serve(request, env, ctx, api::charge).await,
        (Method::Post, "/v1/transactions") => serve(request, env, ctx, api::transactions).await,
        (Method::Post, "/v1/holds") => serve(request, env, ctx, api::place_hold).await,
        (Method::Post, "/v1/holds/capture") => serve(request, env, ctx, api::capture_hold).await,
        (Method::Post, "/v1/holds/release") => serve(request, env, ctx, api::release_hold).await,
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

/// Serves one wallet API route: who is calling, then the body, then the operation.
async fn serve<Q, A, F, Fut>(
    mut request: Request,
    env: &Env,
    ctx: &Context,
    operation: F,
) -> Result<Response, ApiError>
where
    Q: http::Body,
    A: Serialize,
    F: FnOnce(Env, AppId, Q) -> Fut,
    Fut: Future<Output = Result<A, ApiError>>,
{
    let app = auth::http_caller(&request, env, ctx)?;
    let body = http::read_body(&mut request, REQUEST_BODY_BYTES_MAX).await?;
    let body: Q = http::parse_json(&body)?;

    let answer = operation(env.clone(), app, body).await?;
    http::json(200, &answer)
}
