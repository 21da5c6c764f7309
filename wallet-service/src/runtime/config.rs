//! The service's settings and secrets, read from the Worker's environment.

use wasm_bindgen::JsValue;
use worker::Env;

use super::error::ApiError;
use crate::identity::ReferenceKey;

/// The binding of the wallets' Durable Object namespace.
pub(crate) const WALLET_BINDING: &str = "WALLET";

/// What the wallet API needs on every call.
pub(crate) struct ApiConfig {
    /// The service's currency: three lowercase letters.
    pub(crate) currency: String,
    /// Signs and checks client references.
    pub(crate) reference_key: ReferenceKey,
    /// The Stripe Payment Link visitors pay through.
    pub(crate) payment_link: String,
}

impl ApiConfig {
    pub(crate) fn load(env: &Env) -> Result<ApiConfig, ApiError> {
        Ok(ApiConfig {
            currency: currency(env)?,
            reference_key: ReferenceKey::new(strong(env, "CLIENT_REFERENCE_SECRET")?.as_bytes()),
            payment_link: payment_link(env)?,
        })
    }

    /// Returns the Payment Link that credits `reference`'s wallet.
    pub(crate) fn payment_link_for(&self, reference: &str) -> String {
        let separator = if self.payment_link.contains('?') { '&' } else { '?' };
        format!("{}{separator}client_reference_id={reference}", self.payment_link)
    }
}

/// Returns the string binding `name`, or `None` when it is absent, empty, or not a string.
///
/// An empty value counts as missing: a secret set to nothing protects nothing.
pub(crate) fn string(env: &Env, name: &str) -> Option<String> {
    let env: &JsValue = env.as_ref();
    js_sys::Reflect::get(env, &JsValue::from_str(name))
        .ok()
        .and_then(|value| value.as_string())
        .filter(|value| !value.is_empty())
}

/// Returns the secret `name`, or names it in the error.
pub(crate) fn required(env: &Env, name: &'static str) -> Result<String, ApiError> {
    string(env, name).ok_or(ApiError::Misconfigured { name, problem: "is not set" })
}

/// The fewest bytes a signing secret may have: a shorter one could be guessed offline from a
/// single token or reference it signed.
const SIGNING_SECRET_BYTES_MIN: usize = 32;

/// Returns the signing secret `name`, refusing one too short to resist guessing.
pub(crate) fn strong(env: &Env, name: &'static str) -> Result<String, ApiError> {
    let secret = required(env, name)?;
    if secret.len() < SIGNING_SECRET_BYTES_MIN {
        return Err(ApiError::Misconfigured { name, problem: "is shorter than 32 bytes" });
    }
    Ok(secret)
}

pub(crate) fn currency(env: &Env) -> Result<String, ApiError> {
    let currency = required(env, "CURRENCY")?;
    if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(currency)
    } else {
        Err(ApiError::Misconfigured {
            name: "CURRENCY",
            problem: "is not a lowercase ISO 4217 code such as usd",
        })
    }
}

fn payment_link(env: &Env) -> Result<String, ApiError> {
    let link = required(env, "STRIPE_PAYMENT_LINK")?;
    if link.starts_with("https://") || link.starts_with("http://") {
        Ok(link)
    } else {
        Err(ApiError::Misconfigured { name: "STRIPE_PAYMENT_LINK", problem: "is not a URL" })
    }
}
