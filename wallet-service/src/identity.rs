//! User tokens, the wallets they lead to, and the references that tie a Stripe payment to a
//! wallet.
//!
//! A token is a random secret. The wallet id is a hash of it, so a token leads to its wallet's
//! object without any lookup, and the service never stores a token in any form. The client
//! reference is the wallet id with an HMAC tag: it names the wallet, reveals nothing of the
//! token, and cannot be made up for another wallet without the server's secret.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The prefix of every user token; it makes a leaked token easy to recognise and scan for.
pub const USER_TOKEN_PREFIX: &str = "wut_";

/// The bytes of randomness in a user token: 192 bits.
const SECRET_BYTES: usize = 24;

/// The length of the secret in unpadded base64: four characters for every three bytes.
const SECRET_BASE64_CHARS: usize = 32;

/// The bytes of a wallet id: 128 bits.
const WALLET_ID_BYTES: usize = 16;

/// The bytes of a client reference's HMAC tag: 128 bits.
const REFERENCE_TAG_BYTES: usize = 16;

/// The prefix of client references; the digit is the format's version.
const CLIENT_REFERENCE_PREFIX: &str = "wr1_";

/// A visitor's bearer credential for one wallet.
#[derive(Clone, PartialEq, Eq)]
pub struct UserToken {
    secret: [u8; SECRET_BYTES],
}

impl UserToken {
    /// Returns a new token from the platform's cryptographic random source.
    ///
    /// # Errors
    ///
    /// Fails when the random source fails.
    pub fn generate() -> Result<UserToken, getrandom::Error> {
        let mut secret = [0; SECRET_BYTES];
        getrandom::fill(&mut secret)?;
        Ok(UserToken { secret })
    }

    /// Parses a token as [`UserToken::encode`] writes it.
    ///
    /// # Errors
    ///
    /// Fails when `text` is not a token of this format.
    pub fn parse(text: &str) -> Result<UserToken, InvalidUserToken> {
        let encoded = text.strip_prefix(USER_TOKEN_PREFIX).ok_or(InvalidUserToken)?;
        // The length is checked before decoding so that an oversized input costs nothing.
        if encoded.len() != SECRET_BASE64_CHARS {
            return Err(InvalidUserToken);
        }
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| InvalidUserToken)?;
        let secret = bytes.try_into().map_err(|_| InvalidUserToken)?;
        Ok(UserToken { secret })
    }

    /// Returns the token as sent to and from callers: the prefix, then the secret in
    /// unpadded URL-safe base64, safe in a cookie or a header.
    pub fn encode(&self) -> String {
        format!("{USER_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(self.secret))
    }

    /// Returns the id of the wallet this token opens.
    pub fn wallet_id(&self) -> WalletId {
        let digest =
            Sha256::new_with_prefix(b"wallet-id/v1\0").chain_update(self.secret).finalize();
        let mut id = [0; WALLET_ID_BYTES];
        id.iter_mut().zip(digest).for_each(|(byte, digest_byte)| *byte = digest_byte);
        WalletId(id)
    }
}

impl fmt::Debug for UserToken {
    // The secret is left out so that a token never reaches a log by way of `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserToken(..)")
    }
}

/// A string that is not a user token this service issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidUserToken;

impl fmt::Display for InvalidUserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("user_token is not a token this service issues")
    }
}

impl std::error::Error for InvalidUserToken {}

/// The public name of a wallet: a hash of its token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct WalletId([u8; WALLET_ID_BYTES]);

impl WalletId {
    /// Parses the 32 lowercase hex digits [`WalletId`]'s `Display` writes.
    pub fn parse(text: &str) -> Option<WalletId> {
        if text.len() != WALLET_ID_BYTES * 2 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let mut id = [0; WALLET_ID_BYTES];
        hex::decode_to_slice(text, &mut id).ok()?;
        Some(WalletId(id))
    }
}

impl fmt::Display for WalletId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for WalletId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WalletId({self})")
    }
}

/// The key that signs and checks client references.
#[derive(Clone)]
pub struct ReferenceKey {
    mac: Hmac<Sha256>,
}

impl ReferenceKey {
    /// Returns the key for `secret`, which should hold at least 32 random bytes.
    pub fn new(secret: &[u8]) -> ReferenceKey {
        // OK because HMAC takes keys of any length; `new_from_slice` never fails for it.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        ReferenceKey { mac }
    }

    fn tag(&self, wallet: WalletId) -> Hmac<Sha256> {
        self.mac.clone().chain_update(b"client-reference/v1\0").chain_update(wallet.0)
    }

    /// Returns the `client_reference_id` that ties a Stripe payment to `wallet`: at most 200
    /// letters, digits, `-` and `_`, as Stripe requires.
    pub fn client_reference(&self, wallet: WalletId) -> String {
        let tag = self.tag(wallet).finalize().into_bytes();
        let tag: Vec<u8> = tag.into_iter().take(REFERENCE_TAG_BYTES).collect();
        format!("{CLIENT_REFERENCE_PREFIX}{wallet}_{}", hex::encode(tag))
    }

    /// Returns the wallet a `client_reference_id` names, if this key signed it.
    ///
    /// The tag is compared in constant time.
    pub fn verify(&self, reference: &str) -> Option<WalletId> {
        let rest = reference.strip_prefix(CLIENT_REFERENCE_PREFIX)?;
        let (wallet, tag) = rest.split_once('_')?;
        let wallet = WalletId::parse(wallet)?;
        if tag.len() != REFERENCE_TAG_BYTES * 2 {
            return None;
        }
        let tag = hex::decode(tag).ok()?;
        self.tag(wallet).verify_truncated_left(&tag).ok()?;
        Some(wallet)
    }
}

impl fmt::Debug for ReferenceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReferenceKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> UserToken {
        UserToken::generate().unwrap()
    }

    #[test]
    fn a_token_survives_encoding_and_keeps_its_wallet() {
        let token = token();

        let parsed = UserToken::parse(&token.encode());

        assert_eq!(parsed.as_ref().map(UserToken::wallet_id), Ok(token.wallet_id()));
    }

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let first = token().encode();
        let second = token().encode();

        assert_ne!(first, second);
        assert_eq!(first.len(), USER_TOKEN_PREFIX.len() + 32);
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = token().encode();
        let truncated = good.get(..good.len() - 1).unwrap_or_default().to_owned();
        let extended = format!("{good}A");
        let unprefixed = good.replace(USER_TOKEN_PREFIX, "xyz_");
        let bad_alphabet = format!("{USER_TOKEN_PREFIX}{}", "+".repeat(32));

        for text in ["", "wut_", &truncated, &extended, &unprefixed, &bad_alphabet] {
            assert_eq!(UserToken::parse(text), Err(InvalidUserToken), "{text} was accepted");
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let token = token();

        assert!(!format!("{token:?}").contains(&token.encode()[USER_TOKEN_PREFIX.len()..]));
    }

    #[test]
    fn client_reference_names_the_wallet_and_fits_stripe_rules() {
        let key = ReferenceKey::new(b"a secret of at least thirty-two bytes");
        let wallet = token().wallet_id();

        let reference = key.client_reference(wallet);

        assert_eq!(key.verify(&reference), Some(wallet));
        assert!(reference.len() <= 200);
        assert!(reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn client_reference_reveals_nothing_of_the_token() {
        let key = ReferenceKey::new(b"secret");
        let token = token();

        let reference = key.client_reference(token.wallet_id());

        // No run of 6 characters of the token, in either of its spellings, is in the reference.
        let encoded = token.encode()[USER_TOKEN_PREFIX.len()..].to_owned();
        let hex_secret = hex::encode(token.secret);
        for spelling in [&encoded, &hex_secret] {
            for start in 0..spelling.len() - 6 {
                assert!(!reference.contains(&spelling[start..start + 6]), "{spelling} leaked");
            }
        }
    }

    #[test]
    fn forged_or_foreign_client_references_are_refused() {
        let key = ReferenceKey::new(b"secret");
        let other_key = ReferenceKey::new(b"another secret");
        let wallet = token().wallet_id();
        let victim = token().wallet_id();
        let genuine = key.client_reference(wallet);
        let tag = genuine.rsplit_once('_').map(|(_, tag)| tag).unwrap_or_default();
        let swapped = format!("{CLIENT_REFERENCE_PREFIX}{victim}_{tag}");

        assert_eq!(other_key.verify(&genuine), None);
        assert_eq!(key.verify(&swapped), None);
        assert_eq!(key.verify(&genuine.to_uppercase()), None);
        assert_eq!(key.verify(""), None);
        assert_eq!(key.verify(&format!("{genuine}00")), None);
    }
}
