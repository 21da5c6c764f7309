//! `POST /stripe-webhook`: Stripe's report of payments.
//!
//! The ladder is Stripe's: the signature before anything is read, then the event's shape, then
//! the wallet it names, then the ledger, which credits each Checkout Session at most once.
//! Whatever Stripe needs not retry gets a 2xx; only a failure on our side gets a 5xx, so that
//! Stripe delivers the event again later.

use wallet_client::api::ErrorCode;
use worker::{Env, Request, Response};

use super::config::{self, required, strong};
use super::error::ApiError;
use super::http::{json, read_body};
use super::object::call;
use crate::identity::ReferenceKey;
use crate::ledger::TopupOutcome;
use crate::openapi::WebhookReceipt;
use crate::stripe::event::{self, Action};
use crate::stripe::signature;
use crate::wallet::{Command, Reply};

/// The largest event body read, in bytes. Checkout Session events are a few kilobytes.
const WEBHOOK_BODY_BYTES_MAX: usize = 256 * 1024;

pub(crate) async fn receive(mut request: Request, env: &Env) -> Result<Response, ApiError> {
    let secret = required(env, "STRIPE_WEBHOOK_SIGNING_SECRET")?;
    let currency = config::currency(env)?;
    let reference_key = ReferenceKey::new(strong(env, "CLIENT_REFERENCE_SECRET")?.as_bytes());
    let header = request.headers().get("Stripe-Signature").ok().flatten();
    let payload = read_body(&mut request, WEBHOOK_BODY_BYTES_MAX).await?;

    let now_seconds = super::object::now_ms() / 1000;
    if let Err(error) = signature::verify(&payload, header.as_deref(), &secret, now_seconds) {
        tracing::warn!(reason = %error, "stripe webhook signature refused");
        return Err(ApiError::reject(ErrorCode::InvalidSignature, error.to_string()));
    }

    let (event_id, action) = event::read(&payload).map_err(|error| {
        let detail = std::error::Error::source(&error).map(ToString::to_string);
        let message = detail.map_or(error.to_string(), |detail| format!("{error}: {detail}"));
        ApiError::reject(ErrorCode::InvalidEvent, message)
    })?;
    let payment = match action {
        Action::Ignore(reason) => return receipt("ignored", Some(reason.as_str())),
        Action::Credit(payment) => payment,
    };

    let wallet = payment.client_reference_id.as_deref().and_then(|id| reference_key.verify(id));
    let Some(wallet) = wallet else {
        // Paid, but not through a link this service made (or made with another secret): the
        // money is in Stripe and the operator must settle it by hand.
        tracing::error!(
            stripe_event_id = %event_id,
            checkout_session_id = %payment.checkout_session_id,
            amount = payment.amount,
            currency = %payment.currency,
            "paid checkout session has no valid client_reference_id; not credited"
        );
        return receipt("unmatched", Some("invalid_client_reference_id"));
    };

    let command = Command::Topup {
        checkout_session_id: payment.checkout_session_id,
        stripe_event_id: payment.event_id,
        amount: payment.amount,
        currency: payment.currency,
        service_currency: currency,
    };
    match call(env, wallet, &command).await? {
        Reply::Topup { outcome: TopupOutcome::Credited { .. } } => receipt("credited", None),
        Reply::Topup { outcome: TopupOutcome::AlreadyCredited { .. } } => {
            receipt("already_credited", None)
        }
        Reply::Topup { outcome: TopupOutcome::Unapplied { reason } } => {
            receipt("unapplied", Some(reason.as_str()))
        }
        other => Err(super::object::unexpected_reply(&other)),
    }
}

fn receipt(action: &str, reason: Option<&str>) -> Result<Response, ApiError> {
    json(
        200,
        &WebhookReceipt {
            received: true,
            action: action.to_owned(),
            reason: reason.map(str::to_owned),
        },
    )
}
