//! The `Stripe-Signature` scheme: an HMAC-SHA256, keyed with the endpoint's signing secret, of
//! the timestamp, a period, and the raw body.
//!
//! The header lists the timestamp `t` and one or more `v1` signatures (several while a secret
//! is being rolled); any one matching is enough. Other schemes (`v0`) are ignored, as Stripe
//! asks.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signed timestamp may be from the current time, as Stripe's libraries allow.
pub const TOLERANCE_SECONDS: i64 = 300;

/// The longest `Stripe-Signature` header read, in bytes.
const HEADER_BYTES_MAX: usize = 4096;

/// Why a webhook's signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// There is no `Stripe-Signature` header.
    Missing,
    /// The header is not a list of `key=value` pairs with one integer `t`.
    Malformed,
    /// The header holds no `v1` signature.
    NoV1Signature,
    /// The timestamp is further than [`TOLERANCE_SECONDS`] from now: possibly a replay.
    OutsideTolerance,
    /// No `v1` signature matches the body: it was changed, or signed with another secret.
    Mismatch,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureError::Missing => "the Stripe-Signature header is missing",
            SignatureError::Malformed => "the Stripe-Signature header is malformed",
            SignatureError::NoV1Signature => "the Stripe-Signature header has no v1 signature",
            SignatureError::OutsideTolerance => {
                "the Stripe-Signature timestamp is outside the tolerance"
            }
            SignatureError::Mismatch => "no Stripe-Signature v1 signature matches the body",
        })
    }
}

impl std::error::Error for SignatureError {}

/// Checks that `payload` is what Stripe signed with `secret`, at a time within the tolerance
/// of `now_seconds`.
///
/// # Errors
///
/// Returns what is wrong with the header; the payload must then be ignored.
pub fn verify(
    payload: &[u8],
    header: Option<&str>,
    secret: &str,
    now_seconds: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    if header.len() > HEADER_BYTES_MAX {
        return Err(SignatureError::Malformed);
    }

    let mut timestamp = None;
    let mut signatures = Vec::new();
    for pair in header.split(',') {
        let (key, value) = pair.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            // The text is kept as sent: Stripe signs the header's own digits.
            "t" if timestamp.is_none() => {
                let seconds = value.parse::<i64>().map_err(|_| SignatureError::Malformed)?;
                timestamp = Some((value, seconds));
            }
            "t" => return Err(SignatureError::Malformed),
            // A value that is not hex cannot match; it is skipped like an unknown scheme so
            // that one bad entry does not hide a good one.
            "v1" => signatures.extend(hex::decode(value).ok()),
            _ => {}
        }
    }
    let (timestamp_text, timestamp) = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoV1Signature);
    }

    // The signature is checked before the timestamp: a forged header learns nothing about the
    // tolerance, and an old but genuine event is reported as old rather than as forged.
    let mac = signed_payload_mac(payload, secret, timestamp_text);
    if !signatures.iter().any(|signature| mac.clone().verify_slice(signature).is_ok()) {
        return Err(SignatureError::Mismatch);
    }
    if now_seconds.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(SignatureError::OutsideTolerance);
    }
    Ok(())
}

/// Returns the `Stripe-Signature` header Stripe would send with `payload` at `timestamp`.
///
/// The service only verifies; this is for building test fixtures and for replaying an event by
/// hand against a local service.
pub fn header(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let timestamp = timestamp.to_string();
    let signature = signed_payload_mac(payload, secret, &timestamp).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(signature))
}

fn signed_payload_mac(payload: &[u8], secret: &str, timestamp: &str) -> Hmac<Sha256> {
    // OK because HMAC takes keys of any length; `new_from_slice` never fails for it.
    let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.chain_update(timestamp).chain_update(b".").chain_update(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const NOW: i64 = 1_780_000_000;
    const PAYLOAD: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    #[test]
    fn accepts_a_signature_made_as_stripe_makes_it() {
        let header = header(PAYLOAD, SECRET, NOW);

        assert_eq!(verify(PAYLOAD, Some(&header), SECRET, NOW), Ok(()));
    }

    #[test]
    fn matches_a_signature_computed_independently() {
        // printf '%s' "1780000000.$PAYLOAD" | openssl dgst -sha256 -hmac whsec_test_secret
        let expected = "t=1780000000,\
            v1=fa14066f8e16025d4d730417e4ea80a5de0d5ab852db66a7445a4ad2d4240fee";

        assert_eq!(header(PAYLOAD, SECRET, NOW), expected);
    }

    #[test]
    fn accepts_any_one_of_several_v1_signatures() {
        let good = header(PAYLOAD, SECRET, NOW);
        let good_signature = good.split("v1=").nth(1).unwrap_or_default();
        let header = format!("t={NOW},v1={},v0=abc,v1={good_signature}", "0".repeat(64));

        assert_eq!(verify(PAYLOAD, Some(&header), SECRET, NOW), Ok(()));
    }

    #[test]
    fn refuses_a_tampered_body() {
        let header = header(PAYLOAD, SECRET, NOW);

        let result = verify(br#"{"id":"evt_2"}"#, Some(&header), SECRET, NOW);

        assert_eq!(result, Err(SignatureError::Mismatch));
    }

    #[test]
    fn refuses_another_secret() {
        let header = header(PAYLOAD, "whsec_other", NOW);

        assert_eq!(verify(PAYLOAD, Some(&header), SECRET, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn refuses_timestamps_outside_the_tolerance_in_either_direction() {
        let old = header(PAYLOAD, SECRET, NOW - TOLERANCE_SECONDS - 1);
        let future = header(PAYLOAD, SECRET, NOW + TOLERANCE_SECONDS + 1);
        let edge = header(PAYLOAD, SECRET, NOW - TOLERANCE_SECONDS);

        assert_eq!(verify(PAYLOAD, Some(&old), SECRET, NOW), Err(SignatureError::OutsideTolerance));
        assert_eq!(
            verify(PAYLOAD, Some(&future), SECRET, NOW),
            Err(SignatureError::OutsideTolerance)
        );
        assert_eq!(verify(PAYLOAD, Some(&edge), SECRET, NOW), Ok(()));
    }

    #[test]
    fn refuses_missing_and_malformed_headers() {
        let cases = [
            (None, SignatureError::Missing),
            (Some(String::new()), SignatureError::Malformed),
            (Some("t=abc,v1=00".to_owned()), SignatureError::Malformed),
            (Some(format!("t={NOW},t={NOW},v1=00")), SignatureError::Malformed),
            (Some(format!("t={NOW}")), SignatureError::NoV1Signature),
            (Some(format!("t={NOW},v0=00")), SignatureError::NoV1Signature),
            (Some("v1=00".to_owned()), SignatureError::Malformed),
            (
                Some(format!("t={NOW},v1={}", "0".repeat(HEADER_BYTES_MAX))),
                SignatureError::Malformed,
            ),
        ];

        for (header, expected) in cases {
            let result = verify(PAYLOAD, header.as_deref(), SECRET, NOW);

            assert_eq!(result, Err(expected), "{header:?}");
        }
    }
}
