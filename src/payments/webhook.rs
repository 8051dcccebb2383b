//! Stripe's webhook signatures: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=...]`, where
//! each `v1` is HMAC-SHA256 under the endpoint's secret over `<t>.<raw body>`. A signature
//! older than the tolerance is refused even when it matches (a replayed delivery).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default tolerance.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Malformed,
    TooOld,
    Mismatch,
}

impl SignatureError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "the Stripe-Signature header is missing or malformed",
            Self::TooOld => "the Stripe-Signature timestamp is outside the 5-minute tolerance",
            Self::Mismatch => "no signature in Stripe-Signature matches the body",
        }
    }
}

/// Checks `header` against `body` at `now` (unix seconds). The comparison is constant-time
/// (`Mac::verify_slice`).
///
/// # Errors
/// [`SignatureError`].
pub fn verify(header: &str, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(decode_hex(sig).ok_or(SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::TooOld);
    }
    for sig in signatures {
        if mac(secret, timestamp, body).verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// The header Stripe would send for `body` at `timestamp` (the local fake and tests sign so).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_within_the_tolerance_only() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign("whsec_test", 1_000_000, body);
        assert_eq!(verify(&header, body, "whsec_test", 1_000_000 + 299), Ok(()));
        assert_eq!(verify(&header, body, "whsec_test", 1_000_000 + 360), Err(SignatureError::TooOld));
        assert_eq!(verify(&header, b"{}", "whsec_test", 1_000_000), Err(SignatureError::Mismatch));
        assert_eq!(verify(&header, body, "whsec_other", 1_000_000), Err(SignatureError::Mismatch));
        assert_eq!(verify("t=1000000", body, "whsec_test", 1_000_000), Err(SignatureError::Malformed));
        assert_eq!(verify("v1=zz", body, "whsec_test", 1_000_000), Err(SignatureError::Malformed));
        // Several v1 values (a secret being rolled): any one matching is enough.
        let rolled = format!("t=1000000,v1={},{}", "00".repeat(32), header.split_once(',').unwrap().1);
        assert_eq!(verify(&rolled, body, "whsec_test", 1_000_000), Ok(()));
    }
}
