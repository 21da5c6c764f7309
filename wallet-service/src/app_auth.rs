//! Which app is calling: the identity every API call is made under and every entry records.
//!
//! Inside the account an app calls through a service binding whose `props` name it; the
//! platform sets those, so nothing outside the account can forge them. From outside, an app
//! sends an app token: a JWT signed with HS256 whose `sub` is the app id.

use std::collections::HashSet;
use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The longest app id, in bytes.
const APP_ID_BYTES_MAX: usize = 64;

/// The name of an app that calls the wallet: 1 to 64 of `a-z`, `0-9`, `-`, `_` and `.`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AppId(String);

impl AppId {
    /// Returns the app id `name`, if it is well formed.
    pub fn new(name: &str) -> Option<AppId> {
        let well_formed = !name.is_empty()
            && name.len() <= APP_ID_BYTES_MAX
            && name.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            });
        well_formed.then(|| AppId(name.to_owned()))
    }

    /// Returns the id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `props` a service binding carries: `{"app": "<id>"}`.
#[derive(Debug, Deserialize)]
pub struct BindingProps {
    /// The calling app's id.
    pub app: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<u64>,
}

/// Why an app token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppTokenError {
    /// The token is not a JWT signed with the app-token secret, or it has expired.
    Invalid,
    /// The token's `sub` is not a well-formed app id.
    BadAppId,
}

impl fmt::Display for AppTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AppTokenError::Invalid => "the app token is invalid or expired",
            AppTokenError::BadAppId => "the app token's subject is not a valid app id",
        })
    }
}

impl std::error::Error for AppTokenError {}

/// Returns an app token for `app`, valid until `expires_at_seconds` if given.
///
/// # Errors
///
/// Fails when the secret is empty.
pub fn mint_app_token(
    secret: &[u8],
    app: &AppId,
    issued_at_seconds: u64,
    expires_at_seconds: Option<u64>,
) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = Claims { sub: app.0.clone(), iat: issued_at_seconds, exp: expires_at_seconds };
    let key = EncodingKey::from_secret(secret)?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
}

/// Returns the app an app token names, if `secret` signed it and it has not expired.
///
/// Only HS256 is accepted, whatever the token's header says, so a token cannot choose a weaker
/// algorithm. Tokens without `exp` never expire; operators who want expiry mint with one.
///
/// # Errors
///
/// Fails when the token is not valid.
pub fn verify_app_token(secret: &[u8], token: &str) -> Result<AppId, AppTokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims = HashSet::from(["sub".to_owned()]);
    validation.leeway = 0;
    let key = DecodingKey::from_secret(secret).map_err(|_| AppTokenError::Invalid)?;
    let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|_| AppTokenError::Invalid)?;
    AppId::new(&data.claims.sub).ok_or(AppTokenError::BadAppId)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app token secret of thirty-two bytes!";
    const NOW: u64 = 1_780_000_000;

    fn app(name: &str) -> AppId {
        AppId::new(name).unwrap_or_else(|| panic!("{name} is not a valid app id"))
    }

    fn mint(app: &AppId, expires: Option<u64>) -> String {
        mint_app_token(SECRET, app, NOW, expires).unwrap()
    }

    #[test]
    fn a_minted_token_names_its_app() {
        let token = mint(&app("search-api"), None);

        assert_eq!(verify_app_token(SECRET, &token), Ok(app("search-api")));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = mint_app_token(b"another secret", &app("x"), NOW, None).unwrap();

        assert_eq!(verify_app_token(SECRET, &token), Err(AppTokenError::Invalid));
    }

    #[test]
    fn an_expired_token_is_refused_and_an_unexpired_one_accepted() {
        let expired = mint(&app("x"), Some(NOW - 1));
        let far_future = mint(&app("x"), Some(u64::from(u32::MAX)));

        assert_eq!(verify_app_token(SECRET, &expired), Err(AppTokenError::Invalid));
        assert_eq!(verify_app_token(SECRET, &far_future), Ok(app("x")));
    }

    #[test]
    fn an_unsigned_token_is_refused() {
        // {"alg":"none"} with a valid-looking body and no signature.
        let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwiaWF0IjoxfQ.";

        assert_eq!(verify_app_token(SECRET, token), Err(AppTokenError::Invalid));
    }

    #[test]
    fn app_ids_are_restricted_to_a_safe_alphabet() {
        for bad in ["", "Upper", "has space", "emoji-🦀", &"a".repeat(65)] {
            assert_eq!(AppId::new(bad), None, "{bad} was accepted");
        }
        assert!(AppId::new("billing.v2_eu-1").is_some());
    }
}
