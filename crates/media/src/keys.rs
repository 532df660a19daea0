//! Stream keys: random, shown once, stored only as their SHA-256.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new key: `zb-` and 32 hex digits (128 random bits).
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("zb-{}", hex::encode(bytes))
}

/// What the store keeps of a key.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_differ_and_hash_to_64_hex_digits() {
        let (a, b) = (super::generate(), super::generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 35);
        assert_eq!(super::hash(&a).len(), 64);
        assert_eq!(super::hash(&a), super::hash(&a));
    }
}
