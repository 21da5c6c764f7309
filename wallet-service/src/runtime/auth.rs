//! Who is calling: the app every API call is made under.
//!
//! A service binding's `props` are set by the platform and win over anything in the request;
//! only an HTTP call without them may prove itself with an app token.

use wallet_client::api::ErrorCode;
use wasm_bindgen::JsValue;
use worker::{Context, Env, Request};

use super::error::ApiError;
use crate::app_auth::{AppId, BindingProps, verify_app_token};

/// Returns the app making an HTTP call.
pub(crate) fn http_caller(request: &Request, env: &Env, ctx: &Context) -> Result<AppId, ApiError> {
    if let Ok(props) = ctx.props::<BindingProps>() {
        return app_from_props(&props);
    }

    let header = request.headers().get("Authorization").ok().flatten().ok_or_else(|| {
        unauthenticated(
            "no app identity: call through a service binding whose props name the app, \
             or send an app token as a bearer token",
        )
    })?;
    // The scheme is case-insensitive (RFC 9110, section 11.1).
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or_else(|| unauthenticated("the Authorization header is not a bearer token"))?;
    let secret = super::config::strong(env, "APP_TOKEN_SECRET")?;
    verify_app_token(secret.as_bytes(), token.trim()).map_err(|error| {
        tracing::warn!(reason = %error, "app token refused");
        unauthenticated(&error.to_string())
    })
}

/// Returns the app making an RPC call, from the `props` of the binding it came through.
///
/// RPC reaches the service only through a binding, so there is no token to fall back on.
pub(crate) fn rpc_caller(props: &JsValue) -> Result<AppId, ApiError> {
    let text = js_sys::JSON::stringify(props).ok().and_then(|text| text.as_string());
    let props: BindingProps =
        text.and_then(|text| serde_json::from_str(&text).ok()).ok_or_else(|| {
            unauthenticated("no app identity: the service binding's props must name the app")
        })?;
    app_from_props(&props)
}

fn app_from_props(props: &BindingProps) -> Result<AppId, ApiError> {
    AppId::new(&props.app)
        .ok_or_else(|| unauthenticated("the service binding's props.app is not a valid app id"))
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::reject(ErrorCode::AppUnauthenticated, message)
}
