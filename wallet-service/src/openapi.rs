//! The service's OpenAPI description, generated from the wire types and the route table.
//!
//! `openapi.json` at the top of the workspace is this document; a test fails when the two
//! differ, and `wallet-admin openapi` writes it anew.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};
use wallet_client::api::{
    BalanceRequest, BalanceResponse, CaptureHoldRequest, ChargeRequest, ChargeResponse, EntryKind,
    ErrorBody, ErrorCode, ErrorResponse, HoldResponse, HoldStatus, IdentifyRequest,
    IdentifyResponse, InsufficientFundsResponse, LedgerEntry, PlaceHoldRequest, ReleaseHoldRequest,
    TransactionsRequest, TransactionsResponse,
};

/// A route the service answers, with every error code it can answer with.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    /// The HTTP method, uppercase.
    pub method: &'static str,
    /// The path.
    pub path: &'static str,
    /// The error codes this route can answer with.
    pub errors: &'static [ErrorCode],
}

use ErrorCode::{
    AppUnauthenticated, BalanceLimitExceeded, BodyTooLarge, HoldAmountExceeded, HoldNotActive,
    HoldNotFound, IdempotencyKeyReused, InsufficientFunds, InternalError, InvalidAmount,
    InvalidCursor, InvalidEvent, InvalidRequest, InvalidSignature, InvalidUserToken, MalformedJson,
    MethodNotAllowed, ServiceMisconfigured,
};

/// Every route, in the order of the documentation.
pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: "/v1/identify",
        errors: &[
            MalformedJson,
            InvalidRequest,
            AppUnauthenticated,
            MethodNotAllowed,
            BodyTooLarge,
            ServiceMisconfigured,
            InternalError,
        ],
    },
    Route {
        method: "POST",
        path: "/v1/balance",
        errors: &[
            MalformedJson,
            InvalidRequest,
            InvalidUserToken,
            AppUnauthenticated,
            MethodNotAllowed,
            BodyTooLarge,
            ServiceMisconfigured,
            InternalError,
        ],
    },
    Route {
        method: "POST",
        path: "/v1/charge",
        errors: &[
            MalformedJson,
            InvalidRequest,
            InvalidAmount,
            InvalidUserToken,
            AppUnauthenticated,
            InsufficientFunds,
            MethodNotAllowed,
            IdempotencyKeyReused,
            BodyTooLarge,
            BalanceLimitExceeded,
            ServiceMisconfigured,
            InternalError,
        ],
    },
    Route {
        method: "POST",
        path: "/v1/transactions",
        errors: &[
            MalformedJson,
            InvalidRequest,
            InvalidUserToken,
            InvalidCursor,
            AppUnauthenticated,
            MethodNotAllowed,
            BodyTooLarge,
            ServiceMisconfigured,
            InternalError,
        ],
    },
    Route {
        method: "POST",
        path: "/v1/holds",
        errors: &[
            MalformedJson,
            InvalidRequest,
            InvalidAmount,
            InvalidUserToken,
            AppUnauthenticated,
            InsufficientFunds,
            MethodNotAllowed,
            IdempotencyKeyReused,
            BodyTooLarge,
            ServiceMisconfigured,
            InternalError,
        ],
    },
    Route {
        method: "POST",
        path: "/v1/holds/capture",
        errors: &[
            MalformedJson,
            InvalidRequest,
            InvalidAmount,
            InvalidUserToken,
            AppUnauthenticated,
            HoldNotFound,
            MethodNotAllowed,
            HoldNotActive,
            BodyTooLarge,
            BalanceLimitExceeded,
            HoldAmountExceeded,
            ServiceMisconfigured,
            InternalError,
        ],
    },
    Route {
        method: "POST",
        path: "/v1/holds/release",
        errors: &[
            MalformedJson,
            InvalidRequest,
            InvalidUserToken,
            AppUnauthenticated,
            HoldNotFound,
            MethodNotAllowed,
            HoldNotActive,
            BodyTooLarge,
            ServiceMisconfigured,
            InternalError,
        ],
    },
    Route {
        method: "POST",
        path: "/stripe-webhook",
        errors: &[
            InvalidSignature,
            InvalidEvent,
            MethodNotAllowed,
            BodyTooLarge,
            ServiceMisconfigured,
            InternalError,
        ],
    },
    Route { method: "GET", path: "/healthz", errors: &[MethodNotAllowed] },
    Route { method: "GET", path: "/openapi.json", errors: &[MethodNotAllowed] },
];

/// The answer to a Stripe webhook call that Stripe should not retry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookReceipt {
    /// Always true.
    pub received: bool,
    /// What the event did: `credited`, `already_credited`, `unapplied` (recorded for the
    /// operator, not credited), `unmatched` (no valid `client_reference_id`) or `ignored`.
    pub action: String,
    /// Why, for `unapplied` and `ignored` (`currency_mismatch`, `unhandled_event_type`, …).
    pub reason: Option<String>,
}

/// The answer of `GET /healthz`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// The OpenAPI document of the service.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Wallet service",
        description = "A shared prepaid wallet for Cloudflare Workers. Apps identify visitors by \
            an anonymous user token, charge their balance in minor units, and send them to a \
            Stripe Payment Link to add funds. Apps call through a service binding whose `props` \
            name them (`{\"app\": \"<id>\"}`), or over HTTPS with an app token as bearer token. \
            Amounts are integers from 1 to 2^53 - 1. Every error body is \
            `{\"error\": {\"code\", \"message\"}}`; each code has one HTTP status. A \
            JavaScript Worker bound to the service can also call the same operations as Workers \
            RPC methods (`identify`, `balance`, `charge`, `transactions`, `placeHold`, \
            `captureHold`, `releaseHold`) with the same request bodies; they resolve to the same \
            response bodies, errors included."
    ),
    paths(
        identify,
        balance,
        charge,
        transactions,
        place_hold,
        capture_hold,
        release_hold,
        stripe_webhook,
        healthz,
        openapi_json
    ),
    components(schemas(
        IdentifyRequest,
        IdentifyResponse,
        BalanceRequest,
        BalanceResponse,
        ChargeRequest,
        ChargeResponse,
        TransactionsRequest,
        TransactionsResponse,
        LedgerEntry,
        EntryKind,
        ErrorResponse,
        ErrorBody,
        ErrorCode,
        InsufficientFundsResponse,
        PlaceHoldRequest,
        CaptureHoldRequest,
        ReleaseHoldRequest,
        HoldResponse,
        HoldStatus,
        WebhookReceipt,
        Health,
    )),
    modifiers(&ErrorResponses),
    tags((name = "wallet", description = "Identify visitors, charge and read their wallets"),
         (name = "stripe", description = "Top-ups reported by Stripe"),
         (name = "service", description = "Health and description of the service"))
)]
pub struct ApiDoc;

/// Returns the document as `openapi.json` holds it: pretty-printed, ending in a newline.
///
/// # Errors
///
/// Fails when serialisation fails, which it does not for this document.
pub fn document() -> Result<String, serde_json::Error> {
    let mut json = ApiDoc::openapi().to_pretty_json()?;
    json.push('\n');
    Ok(json)
}

/// Adds the app security schemes and, to every route, one response per error status, listing
/// the codes that status carries on that route.
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "app_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An app token: a JWT (HS256) whose `sub` is the app id, signed with the \
                         service's APP_TOKEN_SECRET. Not needed through a service binding whose \
                         `props` name the app.",
                    ))
                    .build(),
            ),
        );

        for route in ROUTES {
            let Some(item) = openapi.paths.paths.get_mut(route.path) else { continue };
            let operation = match route.method {
                "GET" => item.get.as_mut(),
                _ => item.post.as_mut(),
            };
            if let Some(operation) = operation {
                add_error_responses(operation, route.errors);
            }
        }
    }
}

fn add_error_responses(operation: &mut Operation, errors: &[ErrorCode]) {
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in errors {
        by_status.entry(code.status()).or_default().push(*code);
    }
    for (status, codes) in by_status {
        let listed = codes.iter().map(|code| format!("`{code}`")).collect::<Vec<_>>().join(", ");
        let schema = if codes == [ErrorCode::InsufficientFunds] {
            "InsufficientFundsResponse"
        } else {
            "ErrorResponse"
        };
        let response = ResponseBuilder::new()
            .description(format!("Error codes: {listed}."))
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).build(),
            )
            .build();
        operation.responses.responses.insert(status.to_string(), response.into());
    }
}

/// Returns the wallet behind a user token, or issues a new anonymous token and wallet.
///
/// A visitor without a valid token gets a new one (`created: true`); nothing is stored for
/// a wallet until money moves in it.
#[utoipa::path(
    post, path = "/v1/identify", tag = "wallet", request_body = IdentifyRequest,
    responses((status = 200, description = "The visitor's wallet.", body = IdentifyResponse)),
    security((), ("app_token" = []))
)]
#[allow(dead_code)]
fn identify() {}

/// Returns a wallet's balance.
#[utoipa::path(
    post, path = "/v1/balance", tag = "wallet", request_body = BalanceRequest,
    responses((status = 200, description = "The balance.", body = BalanceResponse)),
    security((), ("app_token" = []))
)]
#[allow(dead_code)]
fn balance() {}

/// Takes an amount from a wallet, atomically.
///
/// With an `idempotency_key`, retrying the same request charges once and answers as the first
/// time did, with `replayed: true`; the same key with a different request is refused with
/// `idempotency_key_reused`. Keys are scoped to the calling app and the wallet and are kept as
/// long as the ledger entry. A refused charge stores nothing, so a retry after a top-up can
/// succeed.
#[utoipa::path(
    post, path = "/v1/charge", tag = "wallet", request_body = ChargeRequest,
    responses(
        (status = 200, description = "The charge was made, now or earlier.", body = ChargeResponse)
    ),
    security((), ("app_token" = []))
)]
#[allow(dead_code)]
fn charge() {}

/// Returns one page of a wallet's ledger, newest entry first; at most 100 entries a page.
#[utoipa::path(
    post, path = "/v1/transactions", tag = "wallet", request_body = TransactionsRequest,
    responses(
        (status = 200, description = "A page of ledger entries.", body = TransactionsResponse)
    ),
    security((), ("app_token" = []))
)]
#[allow(dead_code)]
fn transactions() {}

/// Reserves an amount until it is captured, released, or expires.
///
/// For work whose cost is known only at its end. The hold lowers the available balance (the
/// balance less active holds), which charges and other holds respect; an expired hold releases
/// itself. Placing a hold is idempotent like a charge.
#[utoipa::path(
    post, path = "/v1/holds", tag = "wallet", request_body = PlaceHoldRequest,
    responses(
        (status = 200, description = "The hold, placed now or earlier.", body = HoldResponse)
    ),
    security((), ("app_token" = []))
)]
#[allow(dead_code)]
fn place_hold() {}

/// Takes up to the held amount in one ledger entry and releases the rest.
///
/// Capturing again with the same amount answers as the first capture did. Only the app that
/// placed the hold may capture it.
#[utoipa::path(
    post, path = "/v1/holds/capture", tag = "wallet", request_body = CaptureHoldRequest,
    responses((status = 200, description = "The captured hold.", body = HoldResponse)),
    security((), ("app_token" = []))
)]
#[allow(dead_code)]
fn capture_hold() {}

/// Frees a hold without taking anything. Releasing a released or expired hold changes nothing.
#[utoipa::path(
    post, path = "/v1/holds/release", tag = "wallet", request_body = ReleaseHoldRequest,
    responses((status = 200, description = "The released hold.", body = HoldResponse)),
    security((), ("app_token" = []))
)]
#[allow(dead_code)]
fn release_hold() {}

/// Receives Stripe events. Credits `checkout.session.completed` and
/// `checkout.session.async_payment_succeeded` when paid, exactly once per Checkout Session.
///
/// The body must be the raw event as Stripe sent it, signed in `Stripe-Signature`.
#[utoipa::path(
    post, path = "/stripe-webhook", tag = "stripe",
    request_body(
        content = String, content_type = "application/json", description = "A Stripe event."
    ),
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature of the body.")),
    responses((
        status = 200,
        description = "The event was received; Stripe need not retry.",
        body = WebhookReceipt
    ))
)]
#[allow(dead_code)]
fn stripe_webhook() {}

/// Tells whether the service is up.
#[utoipa::path(
    get, path = "/healthz", tag = "service",
    responses((status = 200, description = "The service is up.", body = Health))
)]
#[allow(dead_code)]
fn healthz() {}

/// Returns this document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "service",
    responses(
        (status = 200, description = "The OpenAPI document.", content_type = "application/json")
    )
)]
#[allow(dead_code)]
fn openapi_json() {}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> serde_json::Value {
        serde_json::from_str(&document().unwrap_or_default()).unwrap_or_default()
    }

    #[test]
    fn committed_openapi_json_is_what_the_code_generates() {
        let committed = include_str!("../../openapi.json");

        let generated = document().unwrap_or_default();

        assert!(
            committed == generated,
            "openapi.json is stale: run `cargo run -p wallet-service --bin wallet-admin -- \
             openapi > openapi.json`"
        );
    }

    #[test]
    fn every_route_is_documented_with_each_of_its_error_statuses() {
        let spec = spec();

        for route in ROUTES {
            let operation = &spec["paths"][route.path][route.method.to_lowercase()];
            assert!(operation.is_object(), "{} {} is missing", route.method, route.path);
            for code in route.errors {
                let response = &operation["responses"][code.status().to_string()];
                let description = response["description"].as_str().unwrap_or_default();
                assert!(
                    description.contains(&format!("`{code}`")),
                    "{} does not document {code}",
                    route.path
                );
            }
        }
    }

    #[test]
    fn every_error_code_is_in_the_spec() {
        let spec = spec();
        let codes = &spec["components"]["schemas"]["ErrorCode"]["enum"];

        for code in ErrorCode::ALL {
            assert!(
                codes.as_array().is_some_and(|codes| codes.iter().any(|c| c == code.as_str())),
                "{code} is missing from the ErrorCode schema"
            );
        }
    }
}
