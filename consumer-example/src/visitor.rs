//! Who the visitor is: their wallet token from a bearer header or a cookie, the cookie that
//! keeps a new one, and the idempotency key they send with a retry.

use std::fmt;

use wallet_client::api::IDEMPOTENCY_KEY_BYTES_MAX;

/// The cookie that holds the visitor's wallet token.
pub const COOKIE_NAME: &str = "wallet_token";

/// The response header that hands a newly issued token to clients that do not keep cookies.
pub const TOKEN_HEADER: &str = "X-Wallet-Token";

/// The request header whose value becomes the charge's idempotency key.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// The longest token taken from a request, in bytes; the service's tokens are far shorter.
pub const USER_TOKEN_BYTES_MAX: usize = 128;

/// The most `name=value` pairs of a `Cookie` header looked at.
pub const COOKIE_PAIRS_MAX: usize = 64;

/// How long the browser keeps the token cookie: 400 days, the longest browsers allow.
///
/// A lost token is a lost wallet, so the cookie lives as long as it may.
pub const COOKIE_MAX_AGE_SECONDS: u32 = 400 * 24 * 60 * 60;

/// Returns the visitor's token: from `Authorization: Bearer <token>` when that header holds
/// one, else from the `wallet_token` cookie.
///
/// A value that cannot be a token the service issued (empty, too long, or with characters a
/// token never has) counts as no token, so the visitor is issued a new one without asking the
/// wallet about the bad one first.
pub fn user_token<'a>(authorization: Option<&'a str>, cookie: Option<&'a str>) -> Option<&'a str> {
    authorization.and_then(bearer_token).or_else(|| cookie.and_then(cookie_token))
}

fn bearer_token(authorization: &str) -> Option<&str> {
    // The scheme's name is case-insensitive (RFC 9110, section 11.1).
    let (scheme, token) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return None;
    }
    Some(token.trim()).filter(|token| is_plausible_token(token))
}

fn cookie_token(cookie: &str) -> Option<&str> {
    cookie
        .split(';')
        .take(COOKIE_PAIRS_MAX)
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|token| is_plausible_token(token))
}

/// Tells whether `token` could be one the service issued. Its tokens are URL-safe base64
/// behind a short prefix; anything else is refused here so it never reaches a header or a log.
fn is_plausible_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= USER_TOKEN_BYTES_MAX
        && token.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte))
}

/// Returns the `Set-Cookie` value that keeps `token` for this site.
///
/// `HttpOnly` keeps the token from scripts, `SameSite=Lax` keeps it off cross-site
/// sub-requests, and `Secure` is added for HTTPS requests (it would lose the cookie on a plain
/// HTTP development server).
pub fn set_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE_NAME}={token}; Max-Age={COOKIE_MAX_AGE_SECONDS}; Path=/; HttpOnly; \
         SameSite=Lax{secure}"
    )
}

/// Returns the idempotency key of a request's `Idempotency-Key` header, if it has one.
///
/// # Errors
///
/// [`InvalidIdempotencyKey`] when the header is empty or longer than the wallet accepts.
pub fn idempotency_key(header: Option<&str>) -> Result<Option<&str>, InvalidIdempotencyKey> {
    match header {
        None => Ok(None),
        Some(key) if key.is_empty() || key.len() > IDEMPOTENCY_KEY_BYTES_MAX => {
            Err(InvalidIdempotencyKey)
        }
        Some(key) => Ok(Some(key)),
    }
}

/// An `Idempotency-Key` header the wallet would refuse: empty or too long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidIdempotencyKey;

impl fmt::Display for InvalidIdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the Idempotency-Key header must be 1 to {IDEMPOTENCY_KEY_BYTES_MAX} bytes")
    }
}

impl std::error::Error for InvalidIdempotencyKey {}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "wut_3q2-7wAbCdEfGhIjKlMnOpQrStUvWxYz";

    #[test]
    fn a_bearer_token_is_taken_from_the_authorization_header() {
        let header = format!("Bearer {TOKEN}");

        let token = user_token(Some(&header), None);

        assert_eq!(token, Some(TOKEN));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let header = format!("bearer  {TOKEN} ");

        let token = user_token(Some(&header), None);

        assert_eq!(token, Some(TOKEN));
    }

    #[test]
    fn a_bearer_token_wins_over_the_cookie() {
        let header = format!("Bearer {TOKEN}");
        let cookie = "wallet_token=wut_from_cookie";

        let token = user_token(Some(&header), Some(cookie));

        assert_eq!(token, Some(TOKEN));
    }

    #[test]
    fn the_cookie_is_used_when_authorization_is_another_scheme() {
        let cookie = format!("theme=dark; {COOKIE_NAME}={TOKEN}; lang=en");

        let token = user_token(Some("Basic dXNlcjpwYXNz"), Some(&cookie));

        assert_eq!(token, Some(TOKEN));
    }

    #[test]
    fn a_quoted_cookie_value_is_unquoted() {
        let cookie = format!("{COOKIE_NAME}=\"{TOKEN}\"");

        assert_eq!(user_token(None, Some(&cookie)), Some(TOKEN));
    }

    #[test]
    fn a_cookie_whose_name_only_ends_like_ours_is_ignored() {
        let cookie = format!("old_{COOKIE_NAME}={TOKEN}");

        assert_eq!(user_token(None, Some(&cookie)), None);
    }

    #[test]
    fn no_header_means_no_token() {
        assert_eq!(user_token(None, None), None);
        assert_eq!(user_token(None, Some("")), None);
        assert_eq!(user_token(Some("Bearer"), None), None);
        assert_eq!(user_token(Some("Bearer "), None), None);
    }

    #[test]
    fn a_value_that_cannot_be_a_token_counts_as_none() {
        let too_long = "a".repeat(USER_TOKEN_BYTES_MAX + 1);

        assert_eq!(user_token(Some(&format!("Bearer {too_long}")), None), None);
        assert_eq!(user_token(Some("Bearer wut_a b"), None), None);
        assert_eq!(user_token(None, Some("wallet_token=wut_a\r\nX-Evil: 1")), None);
        assert_eq!(user_token(None, Some("wallet_token=")), None);
    }

    #[test]
    fn a_token_past_the_cookie_pair_limit_is_not_looked_for() {
        let mut cookie = "a=b; ".repeat(COOKIE_PAIRS_MAX);
        cookie.push_str(&format!("{COOKIE_NAME}={TOKEN}"));

        assert_eq!(user_token(None, Some(&cookie)), None);
    }

    #[test]
    fn the_cookie_is_http_only_lax_and_site_wide() {
        let cookie = set_cookie(TOKEN, false);

        assert_eq!(
            cookie,
            format!("wallet_token={TOKEN}; Max-Age=34560000; Path=/; HttpOnly; SameSite=Lax")
        );
    }

    #[test]
    fn the_cookie_is_secure_over_https() {
        assert!(set_cookie(TOKEN, true).ends_with("; SameSite=Lax; Secure"));
    }

    #[test]
    fn an_idempotency_key_is_passed_on_as_sent() {
        assert_eq!(idempotency_key(Some("req-81f3")), Ok(Some("req-81f3")));
        assert_eq!(idempotency_key(None), Ok(None));
    }

    #[test]
    fn an_empty_or_overlong_idempotency_key_is_refused() {
        let overlong = "k".repeat(IDEMPOTENCY_KEY_BYTES_MAX + 1);

        assert_eq!(idempotency_key(Some("")), Err(InvalidIdempotencyKey));
        assert_eq!(idempotency_key(Some(&overlong)), Err(InvalidIdempotencyKey));
        assert!(idempotency_key(Some(&overlong[1..])).is_ok());
    }
}
