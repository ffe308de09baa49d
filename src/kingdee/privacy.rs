//! Kingdee's encrypted personal fields ("隐私数据解密", notes §6).
//!
//! Answers that carry personal data (mobile, phone, address, ID numbers) may carry it as
//! Base64 of AES-256-CBC with PKCS#7 padding, under the `client_secret` as ASCII key bytes
//! (32 characters) and a fixed IV. Which endpoints and fields encrypt is not fully
//! documented, so answers are walked whole: every personal field whose text decrypts is
//! replaced by its plaintext, everything else is kept as received.

use aes::cipher::{block_padding::Pkcs7, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use base64::Engine as _;
use serde_json::Value;

/// Kingdee's fixed initialisation vector.
pub const IV: &[u8; 16] = b"5e8y6w45ju8w9jq8";

/// The keys that hold personal data in Kingdee's answers.
pub const PERSONAL_FIELDS: [&str; 10] = [
    "mobile",
    "phone",
    "tel",
    "telephone",
    "address",
    "detail_address",
    "id_card",
    "idcard",
    "id_number",
    "id_no",
];

type Decryptor = cbc::Decryptor<aes::Aes256>;
type Encryptor = cbc::Encryptor<aes::Aes256>;

/// The plaintext of `text` if it is a Kingdee ciphertext under `secret`: Base64 of whole AES
/// blocks that decrypt with valid padding to printable UTF-8. None for anything else (a
/// plaintext mobile is 11 digits, never Base64 of whole blocks).
pub fn decrypt(secret: &str, text: &str) -> Option<String> {
    let text = text.trim();
    // The shortest ciphertext is one block: 24 Base64 characters.
    if text.len() < 24 || !text.len().is_multiple_of(4) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    if bytes.is_empty() || !bytes.len().is_multiple_of(16) {
        return None;
    }
    let plain = Decryptor::new_from_slices(secret.as_bytes(), IV)
        .ok()?
        .decrypt_padded_vec::<Pkcs7>(&bytes)
        .ok()?;
    let plain = String::from_utf8(plain).ok()?;
    // A wrong key passes the padding check now and then; its output is never clean text.
    (!plain.is_empty() && !plain.chars().any(char::is_control)).then_some(plain)
}

/// `plain` encrypted as Kingdee does (the sandbox uses this). None when `secret` is not 32
/// bytes, the one key length Kingdee's scheme has.
pub fn encrypt(secret: &str, plain: &str) -> Option<String> {
    let encrypted = Encryptor::new_from_slices(secret.as_bytes(), IV)
        .ok()?
        .encrypt_padded_vec::<Pkcs7>(plain.as_bytes());
    Some(base64::engine::general_purpose::STANDARD.encode(encrypted))
}

/// Replaces, anywhere in `answer`, the text of every personal field that decrypts under
/// `secret` by its plaintext. Returns how many were decrypted.
pub fn decrypt_answer(secret: &str, answer: &mut Value) -> usize {
    match answer {
        Value::Object(map) => map
            .iter_mut()
            .map(|(key, value)| match value {
                Value::String(text) if PERSONAL_FIELDS.contains(&key.as_str()) => {
                    match decrypt(secret, text) {
                        Some(plain) => {
                            *text = plain;
                            1
                        }
                        None => 0,
                    }
                }
                other => decrypt_answer(secret, other),
            })
            .sum(),
        Value::Array(items) => items.iter_mut().map(|v| decrypt_answer(secret, v)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Kingdee's published example (notes §6).
    const KEY: &str = "75eb3c7cd5974c3018d6934e142b5f81";

    #[test]
    fn kingdees_published_example_decrypts() {
        assert_eq!(
            decrypt(KEY, "bsiV0ZrykeIH/5ZZ65lX5A==").as_deref(),
            Some("18599999999")
        );
        assert_eq!(
            encrypt(KEY, "18599999999").as_deref(),
            Some("bsiV0ZrykeIH/5ZZ65lX5A==")
        );
    }

    #[test]
    fn plaintext_and_foreign_ciphertext_stay_as_they_are() {
        for text in [
            "13333333333",
            "410",
            "",
            "XXXXXXXXXXXXXXXXXXXXXXXX",
            "南京西路",
        ] {
            assert_eq!(decrypt(KEY, text), None, "{text:?}");
        }
        let other_key = "00000000000000000000000000000000";
        assert_eq!(decrypt(other_key, "bsiV0ZrykeIH/5ZZ65lX5A=="), None);
        assert_eq!(decrypt("short-key", "bsiV0ZrykeIH/5ZZ65lX5A=="), None);
        assert_eq!(encrypt("short-key", "x"), None);
    }

    #[test]
    fn answers_are_walked_whole() {
        let secret = "fake-client-secret-32-bytes-long";
        let cipher = encrypt(secret, "13333333333").unwrap();
        let address = encrypt(secret, "南京西路1号").unwrap();
        let mut answer = json!({"count": 1, "rows": [
            {"id": "1", "mobile": cipher, "address": address, "name": cipher, "remark": "13333333333"}
        ]});
        assert_eq!(decrypt_answer(secret, &mut answer), 2);
        let row = &answer["rows"][0];
        assert_eq!(row["mobile"], "13333333333");
        assert_eq!(row["address"], "南京西路1号");
        assert_eq!(
            row["name"], cipher,
            "not a personal field: kept as received"
        );
    }
}
