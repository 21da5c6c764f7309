//! Reading the events the webhook is sent, and deciding which of them move money.

use std::fmt;

use serde::Deserialize;

/// The event types that report a paid Checkout Session.
///
/// `checkout.session.completed` reports a card payment, which is paid by then; a delayed
/// method (a bank debit) completes unpaid and is reported paid later by
/// `checkout.session.async_payment_succeeded`. Both name the same session, which is what the
/// ledger credits at most once.
pub const CREDITING_EVENT_TYPES: [&str; 2] =
    ["checkout.session.completed", "checkout.session.async_payment_succeeded"];

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct RawCheckoutSession {
    id: String,
    client_reference_id: Option<String>,
    amount_total: Option<i64>,
    currency: Option<String>,
    payment_status: String,
    #[serde(default)]
    total_details: Option<RawTotalDetails>,
}

#[derive(Deserialize)]
struct RawTotalDetails {
    #[serde(default)]
    amount_shipping: Option<i64>,
    #[serde(default)]
    amount_tax: Option<i64>,
}

/// A paid Checkout Session, as an event reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutPayment {
    /// The event's id (`evt_…`).
    pub event_id: String,
    /// The session's id (`cs_…`).
    pub checkout_session_id: String,
    /// The reference the Payment Link carried, if any.
    pub client_reference_id: Option<String>,
    /// What the payment buys, in the currency's minor unit: `amount_total` less the tax and
    /// shipping Stripe collected with it, which are owed elsewhere and are not credit.
    pub amount: i64,
    /// The currency paid in, lowercase (`usd`).
    pub currency: String,
}

/// What the webhook does with an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Credit a paid Checkout Session.
    Credit(CheckoutPayment),
    /// Acknowledge the event and do nothing.
    Ignore(IgnoreReason),
}

/// Why an event moves no money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IgnoreReason {
    /// The service does not act on this event type.
    UnhandledType,
    /// The session is not paid yet (a delayed payment method) or needed no payment.
    NotPaid,
    /// The session has no amount or currency, as in setup mode.
    NoAmount,
}

impl IgnoreReason {
    /// Returns the reason as reported to Stripe in the webhook's answer.
    pub const fn as_str(self) -> &'static str {
        match self {
            IgnoreReason::UnhandledType => "unhandled_event_type",
            IgnoreReason::NotPaid => "not_paid",
            IgnoreReason::NoAmount => "no_amount",
        }
    }
}

/// A correctly signed body that is not a Stripe event of a known shape.
#[derive(Debug)]
pub struct EventError(serde_json::Error);

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the body is not a Stripe event of the expected shape")
    }
}

impl std::error::Error for EventError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Reads an event whose signature was already verified and says what to do with it.
///
/// # Errors
///
/// Fails when the body is not an event, or a crediting event's object is not a Checkout
/// Session.
pub fn read(payload: &[u8]) -> Result<(String, Action), EventError> {
    let event: RawEvent = serde_json::from_slice(payload).map_err(EventError)?;
    if !CREDITING_EVENT_TYPES.contains(&event.kind.as_str()) {
        return Ok((event.id, Action::Ignore(IgnoreReason::UnhandledType)));
    }

    let session: RawCheckoutSession =
        serde_json::from_value(event.data.object).map_err(EventError)?;
    if session.payment_status != "paid" {
        return Ok((event.id, Action::Ignore(IgnoreReason::NotPaid)));
    }
    let (Some(amount_total), Some(currency)) = (session.amount_total, session.currency) else {
        return Ok((event.id, Action::Ignore(IgnoreReason::NoAmount)));
    };

    let (tax, shipping) = session
        .total_details
        .map_or((0, 0), |d| (d.amount_tax.unwrap_or(0), d.amount_shipping.unwrap_or(0)));
    // A sum that does not fit is left out of range, so the ledger records it instead of
    // crediting it.
    let amount =
        amount_total.checked_sub(tax).and_then(|a| a.checked_sub(shipping)).unwrap_or(i64::MIN);
    let payment = CheckoutPayment {
        event_id: event.id.clone(),
        checkout_session_id: session.id,
        client_reference_id: session.client_reference_id,
        amount,
        currency: currency.to_ascii_lowercase(),
    };
    Ok((event.id, Action::Credit(payment)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn session_event(kind: &str, payment_status: &str) -> Vec<u8> {
        // Trimmed from a real `checkout.session.completed` payload; unknown fields are kept to
        // show they are ignored.
        json!({
            "id": "evt_1QaBcD2eFgHiJkLm",
            "object": "event",
            "api_version": "2024-06-20",
            "created": 1_780_000_000,
            "livemode": false,
            "type": kind,
            "data": {
                "object": {
                    "id": "cs_test_a1B2c3D4",
                    "object": "checkout.session",
                    "amount_subtotal": 500,
                    "amount_total": 500,
                    "client_reference_id": "wr1_abc",
                    "currency": "USD",
                    "customer_details": { "email": "payer@example.com" },
                    "mode": "payment",
                    "payment_link": "plink_1",
                    "payment_status": payment_status,
                    "status": "complete"
                }
            }
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_paid_completed_session_is_credited() {
        let (event_id, action) = read(&session_event("checkout.session.completed", "paid"))
            .unwrap_or_else(|e| {
                panic!("{e}");
            });

        assert_eq!(event_id, "evt_1QaBcD2eFgHiJkLm");
        assert_eq!(
            action,
            Action::Credit(CheckoutPayment {
                event_id: "evt_1QaBcD2eFgHiJkLm".to_owned(),
                checkout_session_id: "cs_test_a1B2c3D4".to_owned(),
                client_reference_id: Some("wr1_abc".to_owned()),
                amount: 500,
                currency: "usd".to_owned(),
            })
        );
    }

    #[test]
    fn tax_and_shipping_collected_with_the_payment_are_not_credited() {
        let mut event: serde_json::Value =
            serde_json::from_slice(&session_event("checkout.session.completed", "paid")).unwrap();
        event["data"]["object"]["amount_total"] = json!(620);
        event["data"]["object"]["total_details"] =
            json!({"amount_discount": 0, "amount_shipping": 20, "amount_tax": 100});

        let action = read(event.to_string().as_bytes()).unwrap().1;

        assert!(matches!(action, Action::Credit(CheckoutPayment { amount: 500, .. })));
    }

    #[test]
    fn a_succeeded_async_payment_is_credited() {
        let action = read(&session_event("checkout.session.async_payment_succeeded", "paid"));

        assert!(matches!(action, Ok((_, Action::Credit(_)))));
    }

    #[test]
    fn an_unpaid_session_is_ignored() {
        let action = read(&session_event("checkout.session.completed", "unpaid"));

        assert!(matches!(action, Ok((_, Action::Ignore(IgnoreReason::NotPaid)))));
    }

    #[test]
    fn other_event_types_are_ignored_whatever_their_object() {
        let payload = json!({"id": "evt_2", "type": "customer.created", "data": {"object": {}}});

        let action = read(payload.to_string().as_bytes());

        assert!(matches!(action, Ok((_, Action::Ignore(IgnoreReason::UnhandledType)))));
    }

    #[test]
    fn a_body_that_is_not_an_event_is_an_error() {
        let crediting_without_session =
            json!({"id": "evt_3", "type": "checkout.session.completed", "data": {"object": {}}});

        assert!(read(b"not json").is_err());
        assert!(read(b"{}").is_err());
        assert!(read(crediting_without_session.to_string().as_bytes()).is_err());
    }
}
