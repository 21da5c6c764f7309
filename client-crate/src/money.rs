//! Amounts of money in the wallet's currency, in integer minor units (cents for USD).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// The largest magnitude any amount or balance may have: 2^53 − 1.
///
/// JavaScript carries numbers as `f64`, which represents every integer up to this bound
/// exactly and no further, so values past it could silently change on their way through a
/// JavaScript caller.
pub const MINOR_UNITS_MAX: i64 = 9_007_199_254_740_991;

/// A positive amount of money in minor units, from 1 to [`MINOR_UNITS_MAX`].
///
/// Deserialising accepts only a JSON integer in that range: strings, fractions, zero and
/// negative numbers are refused, so an `Amount` that exists is always valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(i64);

impl Amount {
    /// Returns the amount for `minor_units`, or `None` outside 1 to [`MINOR_UNITS_MAX`].
    pub const fn new(minor_units: i64) -> Option<Amount> {
        if minor_units >= 1 && minor_units <= MINOR_UNITS_MAX {
            Some(Amount(minor_units))
        } else {
            None
        }
    }

    /// Returns the amount in minor units.
    pub const fn minor_units(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

/// The message every refused amount gets, so that callers see one rule whatever they sent.
pub const AMOUNT_RULE: &str =
    "amount must be an integer number of minor units from 1 to 9007199254740991";

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
        struct AmountVisitor;

        impl Visitor<'_> for AmountVisitor {
            type Value = Amount;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(AMOUNT_RULE)
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Amount, E> {
                Amount::new(value).ok_or_else(|| E::custom(AMOUNT_RULE))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Amount, E> {
                i64::try_from(value)
                    .ok()
                    .and_then(Amount::new)
                    .ok_or_else(|| E::custom(AMOUNT_RULE))
            }

            // Fractions are refused even when they are whole (`5.0`): a caller that sends a
            // float has a float somewhere in its arithmetic, and money must not.
            fn visit_f64<E: de::Error>(self, _value: f64) -> Result<Amount, E> {
                Err(E::custom(AMOUNT_RULE))
            }
        }

        deserializer.deserialize_any(AmountVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Amount, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn accepts_integers_within_the_javascript_safe_range() {
        assert_eq!(parse("1").ok(), Amount::new(1));
        assert_eq!(parse("9007199254740991").ok(), Amount::new(MINOR_UNITS_MAX));
    }

    #[test]
    fn refuses_zero_negative_fractional_huge_and_non_numbers() {
        for json in ["0", "-1", "1.5", "5.0", "9007199254740992", "1e3", "\"5\"", "null", "true"] {
            assert!(parse(json).is_err(), "{json} was accepted");
        }
    }
}
