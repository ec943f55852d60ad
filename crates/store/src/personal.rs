//! Personal data at rest: every stored copy of a petitioner's name, phone
//! and id number is sealed with an AEAD (XChaCha20-Poly1305) under the
//! node's personal-data key, and opened only at the store's boundary, so
//! nothing above the store sees ciphertext and nothing below it (the
//! database files, their WAL, a dump) sees plaintext.
//!
//! A sealed value is self-describing:
//!
//! ```text
//! version (1 byte, = 1) | key id (4 bytes) | nonce (24 random bytes) | ciphertext + tag (16 bytes)
//! ```
//!
//! The key id is the first 4 bytes of SHA-256 of the key (8 hex digits), so
//! a reader knows which key sealed a value. The associated data binds the
//! header and the value's place (e.g. `case_petitioners/<case id>`): a
//! sealed value copied to another case or another table does not open.
//!
//! A [`Keyring`] holds the current key (every write) and any previous keys
//! (reads of values sealed before a rotation); [`crate::Store::rekey_personal_data`]
//! reseals everything under the current key so a previous key can be retired.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use sha2::{Digest, Sha256};

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u8 = 1;
const KEY_ID_BYTES: usize = 4;
const NONCE_BYTES: usize = 24;
const HEADER_BYTES: usize = 1 + KEY_ID_BYTES + NONCE_BYTES;
const TAG_BYTES: usize = 16;
/// Domain separation: the associated data starts with this.
const AD_PREFIX: &[u8] = b"fengqiao.personal-data\0";

/// The text the built-in development key is derived from.
const DEVELOPMENT_SEED: &[u8] = b"fengqiao development personal-data key; never use in production";

/// Which key sealed a value: the first 4 bytes of SHA-256 of the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_BYTES]);

impl KeyId {
    /// The id as stored in `key_id` columns: 8 lowercase hex digits.
    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the personal-data key file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the personal-data key {origin} must be 64 hex digits (32 bytes)")]
    Format { origin: String },
    #[error("two personal-data keys have the same key id {0}")]
    DuplicateId(KeyId),
}

/// A 32-byte personal-data key. Its `Debug` shows only its id.
#[derive(Clone)]
pub struct PersonalDataKey {
    id: KeyId,
    cipher: XChaCha20Poly1305,
}

impl PersonalDataKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let digest = Sha256::digest(bytes);
        let mut id = [0u8; KEY_ID_BYTES];
        id.copy_from_slice(&digest[..KEY_ID_BYTES]);
        PersonalDataKey { id: KeyId(id), cipher: XChaCha20Poly1305::new(&bytes.into()) }
    }

    /// A key written as 64 hex digits (surrounding whitespace ignored);
    /// `origin` names where it came from in the error.
    pub fn from_hex(text: &str, origin: &str) -> Result<Self, KeyError> {
        let format = || KeyError::Format { origin: origin.to_owned() };
        let bytes = hex::decode(text.trim()).map_err(|_| format())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| format())?;
        Ok(PersonalDataKey::from_bytes(bytes))
    }

    /// Reads a key file holding 64 hex digits.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| KeyError::Read { path: path.display().to_string(), source })?;
        PersonalDataKey::from_hex(&text, &format!("in {}", path.display()))
    }

    /// The built-in development key: public, for demos and tests only.
    pub fn development() -> Self {
        PersonalDataKey::from_bytes(Sha256::digest(DEVELOPMENT_SEED).into())
    }

    pub fn id(&self) -> KeyId {
        self.id
    }
}

impl fmt::Debug for PersonalDataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonalDataKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Why a sealed value did not open. None of these carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("not a sealed value of a known format")]
    Format,
    #[error("sealed under key {0}, which this node does not hold")]
    UnknownKey(KeyId),
    #[error("sealed under key {0} but does not authenticate: tampered with, or moved from another row")]
    Tampered(KeyId),
}

/// The current personal-data key and any previous ones.
#[derive(Clone)]
pub struct Keyring {
    inner: Arc<KeyringInner>,
}

struct KeyringInner {
    current: PersonalDataKey,
    previous: Vec<PersonalDataKey>,
    development: bool,
}

impl Keyring {
    /// Writes use `current`; reads take whichever key a value names.
    pub fn new(current: PersonalDataKey, previous: Vec<PersonalDataKey>) -> Result<Self, KeyError> {
        let development = current.id == PersonalDataKey::development().id;
        let mut ids = vec![current.id];
        for key in &previous {
            if ids.contains(&key.id) {
                return Err(KeyError::DuplicateId(key.id));
            }
            ids.push(key.id);
        }
        Ok(Keyring { inner: Arc::new(KeyringInner { current, previous, development }) })
    }

    /// Only the built-in development key.
    pub fn development() -> Self {
        Keyring {
            inner: Arc::new(KeyringInner {
                current: PersonalDataKey::development(),
                previous: Vec::new(),
                development: true,
            }),
        }
    }

    /// Whether writes use the public development key.
    pub fn is_development(&self) -> bool {
        self.inner.development
    }

    /// The id of the key writes use.
    pub fn current_id(&self) -> KeyId {
        self.inner.current.id
    }

    fn key(&self, id: KeyId) -> Option<&PersonalDataKey> {
        std::iter::once(&self.inner.current).chain(&self.inner.previous).find(|key| key.id == id)
    }

    /// Seals `plaintext` for the place `context` names, under the current
    /// key with a fresh random nonce.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let key = &self.inner.current;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let mut sealed = Vec::with_capacity(HEADER_BYTES + plaintext.len() + TAG_BYTES);
        sealed.push(FORMAT_VERSION);
        sealed.extend_from_slice(&key.id.0);
        sealed.extend_from_slice(&nonce);
        let aad = associated_data(&sealed, context);
        let ciphertext = key
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: &aad })
            // XChaCha20-Poly1305 fails only past 256 GiB of plaintext.
            .expect("a personal-data value is far below the AEAD's length limit");
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Opens a value sealed for `context` under any key of the ring.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let id = key_id_of(sealed).ok_or(OpenError::Format)?;
        if sealed.len() < HEADER_BYTES + TAG_BYTES {
            return Err(OpenError::Format);
        }
        let key = self.key(id).ok_or(OpenError::UnknownKey(id))?;
        let nonce =
            XNonce::try_from(&sealed[1 + KEY_ID_BYTES..HEADER_BYTES]).map_err(|_| OpenError::Format)?;
        let aad = associated_data(&sealed[..HEADER_BYTES], context);
        key.cipher
            .decrypt(&nonce, Payload { msg: &sealed[HEADER_BYTES..], aad: &aad })
            .map_err(|_| OpenError::Tampered(id))
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.inner.current.id)
            .field("previous", &self.inner.previous.iter().map(|k| k.id).collect::<Vec<_>>())
            .field("development", &self.inner.development)
            .finish()
    }
}

/// The key id a sealed value names, when it is of a known format.
pub fn key_id_of(sealed: &[u8]) -> Option<KeyId> {
    if sealed.len() < HEADER_BYTES || sealed[0] != FORMAT_VERSION {
        return None;
    }
    let mut id = [0u8; KEY_ID_BYTES];
    id.copy_from_slice(&sealed[1..1 + KEY_ID_BYTES]);
    Some(KeyId(id))
}

fn associated_data(header: &[u8], context: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AD_PREFIX.len() + HEADER_BYTES + context.len());
    aad.extend_from_slice(AD_PREFIX);
    aad.extend_from_slice(&header[..HEADER_BYTES]);
    aad.extend_from_slice(context.as_bytes());
    aad
}

/// Where a petitioner's sealed data lives: bound to its case.
pub(crate) fn petitioner_context(case_id: &str) -> String {
    format!("case_petitioners/{case_id}")
}

/// Where a downlink event's sealed body lives: bound to its target unit.
pub(crate) fn downlink_context(target_unit_id: &str) -> String {
    format!("downlink_events/{target_unit_id}")
}

/// What [`crate::Store::rekey_personal_data`] and the start-up sealing of
/// data stored before migration `0007` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RekeyReport {
    /// Petitioners resealed under the current key.
    pub petitioners: u64,
    /// Downlink event bodies resealed under the current key.
    pub downlink_events: u64,
    /// Values that were plaintext (stored before `0007`) and are now sealed.
    pub plaintext_sealed: u64,
}

/// Rows read per statement while resealing.
pub(crate) const REKEY_PAGE: i64 = 500;

/// Seals what was stored in plaintext before `0007` and reseals everything
/// sealed under a previous key, under the current key; the caller commits.
pub(crate) async fn rekey<W: crate::cases::LedgerWriter>(
    writer: &mut W,
) -> Result<RekeyReport, crate::StoreError> {
    let keyring = writer.keyring().clone();
    let current = keyring.current_id().to_hex();
    let mut report = RekeyReport::default();
    if let Some(rows) = writer.plain_petitioners().await? {
        for (case_id, name, phone, id_number) in rows {
            let petitioner = fengqiao_core::case::Petitioner { name, phone, id_number };
            let sealed = crate::cases::seal_petitioner(&keyring, &case_id, &petitioner)?;
            writer.store_petitioner(&case_id, &current, &sealed).await?;
            report.plaintext_sealed += 1;
        }
        writer.drop_plain_petitioners().await?;
    }
    let mut after = String::new();
    loop {
        let page = writer.petitioners_to_reseal(&current, &after).await?;
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        for (case_id, sealed) in page {
            let petitioner = crate::cases::open_petitioner(&keyring, &case_id, &sealed)?;
            let resealed = crate::cases::seal_petitioner(&keyring, &case_id, &petitioner)?;
            writer.store_petitioner(&case_id, &current, &resealed).await?;
            report.petitioners += 1;
        }
    }
    let mut after = 0;
    loop {
        let page = writer.downlink_to_reseal(&current, after).await?;
        let Some((last, ..)) = page.last() else { break };
        after = *last;
        for (sequence, target, key_id, body) in page {
            let plain = match key_id {
                None => {
                    report.plaintext_sealed += 1;
                    body
                }
                Some(_) => {
                    report.downlink_events += 1;
                    open_downlink(&keyring, sequence, &target, &body)?
                }
            };
            writer
                .put_downlink_body(sequence, &current, &keyring.seal(&downlink_context(&target), &plain))
                .await?;
        }
    }
    Ok(report)
}

/// Opens a downlink event's sealed body; the error names the event only.
pub(crate) fn open_downlink(
    keyring: &Keyring,
    sequence: i64,
    target: &str,
    body: &[u8],
) -> Result<Vec<u8>, crate::StoreError> {
    keyring.open(&downlink_context(target), body).map_err(|e| {
        crate::StoreError::PersonalData(format!("downlink event {sequence} (for {target}): {e}"))
    })
}

/// A `downlink_events` row as stored: the body sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SealedDownlinkRow {
    pub sequence: i64,
    pub target_unit_id: String,
    pub key_id: Option<String>,
    pub body: Vec<u8>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl SealedDownlinkRow {
    /// Opens the body (`key_id` NULL: stored in plaintext before `0007` and
    /// not yet sealed by a rekey, which every `fengqiao node` start runs).
    pub(crate) fn open(self, keyring: &Keyring) -> Result<crate::DownlinkRow, crate::StoreError> {
        if self.key_id.is_none() {
            return Err(crate::StoreError::PersonalData(format!(
                "downlink event {} was stored before personal data was sealed; run `fengqiao pii rekey`",
                self.sequence
            )));
        }
        let body = open_downlink(keyring, self.sequence, &self.target_unit_id, &self.body)?;
        Ok(crate::DownlinkRow {
            sequence: self.sequence,
            target_unit_id: self.target_unit_id,
            body,
            created_at: self.created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PersonalDataKey {
        PersonalDataKey::from_bytes([byte; 32])
    }

    #[test]
    fn sealed_values_open_only_in_their_place_and_never_show_the_plaintext() {
        let ring = Keyring::new(key(1), vec![]).unwrap();
        let sealed = ring.seal("case_petitioners/c1", b"Zzqx Leakcheck");
        assert!(!sealed.windows(4).any(|w| w == b"Zzqx"), "plaintext visible in the sealed bytes");
        assert_eq!(sealed.len(), HEADER_BYTES + 14 + TAG_BYTES);
        assert_eq!(key_id_of(&sealed), Some(ring.current_id()));
        assert_eq!(ring.open("case_petitioners/c1", &sealed).unwrap(), b"Zzqx Leakcheck");
        // Moved to another case: refused.
        assert_eq!(ring.open("case_petitioners/c2", &sealed), Err(OpenError::Tampered(ring.current_id())));
        // Two seals of one value differ (fresh nonce).
        assert_ne!(ring.seal("x", b"same"), ring.seal("x", b"same"));
    }

    #[test]
    fn a_flipped_bit_anywhere_is_refused() {
        let ring = Keyring::new(key(1), vec![]).unwrap();
        let sealed = ring.seal("ctx", b"13800138999");
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            let result = ring.open("ctx", &tampered);
            assert!(result.is_err(), "byte {i} flipped still opened");
        }
        assert_eq!(ring.open("ctx", &sealed[..HEADER_BYTES]), Err(OpenError::Format));
        assert_eq!(ring.open("ctx", b"plain text"), Err(OpenError::Format));
    }

    #[test]
    fn rotation_reads_previous_keys_and_writes_the_current_one() {
        let old = Keyring::new(key(1), vec![]).unwrap();
        let sealed_old = old.seal("ctx", b"data");
        let rotated = Keyring::new(key(2), vec![key(1)]).unwrap();
        assert_eq!(rotated.open("ctx", &sealed_old).unwrap(), b"data");
        let sealed_new = rotated.seal("ctx", b"data");
        assert_eq!(key_id_of(&sealed_new), Some(key(2).id()));
        // Without the old key the old value names the key it needs.
        let only_new = Keyring::new(key(2), vec![]).unwrap();
        assert_eq!(only_new.open("ctx", &sealed_old), Err(OpenError::UnknownKey(key(1).id())));
        assert!(matches!(Keyring::new(key(2), vec![key(2)]), Err(KeyError::DuplicateId(_))));
    }

    #[test]
    fn keys_parse_from_64_hex_digits_only() {
        let hex64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let parsed = PersonalDataKey::from_hex(&format!("  {hex64}\n"), "test").unwrap();
        assert_eq!(parsed.id().to_hex().len(), 8);
        assert!(!format!("{parsed:?}").contains("0011"), "Debug shows the key");
        for bad in ["", "00", &hex64[..62], &format!("{hex64}00"), &hex64.replace('a', "g")] {
            assert!(
                matches!(PersonalDataKey::from_hex(bad, "test"), Err(KeyError::Format { .. })),
                "{bad:?}"
            );
        }
        assert!(Keyring::development().is_development());
        assert!(!Keyring::new(parsed, vec![]).unwrap().is_development());
        assert!(Keyring::new(PersonalDataKey::development(), vec![]).unwrap().is_development());
    }
}
