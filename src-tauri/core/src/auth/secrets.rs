//! Where the CXone credentials live: the OS keychain ([`KeyringStore`]), the environment ([`EnvStore`], for headless
//! servers), or memory ([`MemoryStore`], tests). Secrets are wrapped in [`SecretString`] so `Debug` never prints them.
//!
//! The store API is synchronous because the keychain is (a D-Bus round trip); async callers use
//! `tokio::task::spawn_blocking`, as [`super::token::OAuthTokenSource`] does.

use std::collections::HashMap;
use std::sync::Mutex;

/// The app id, used as the keychain service name.
pub const KEYCHAIN_SERVICE: &str = "com.supervisorassist.app";
/// Environment variable holding the OAuth client id.
pub const ENV_CLIENT_ID: &str = "CXONE_CLIENT_ID";
/// Environment variable holding the OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "CXONE_CLIENT_SECRET";
/// Environment variable holding the access key id (access-key flow).
pub const ENV_ACCESS_KEY_ID: &str = "CXONE_ACCESS_KEY_ID";
/// Environment variable holding the access key secret (access-key flow).
pub const ENV_ACCESS_KEY_SECRET: &str = "CXONE_ACCESS_KEY_SECRET";

/// A string that never shows up in `Debug`/`Display` output; read it with [`SecretString::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself: only for the wire, never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

/// An id and its secret: an OAuth client, or a CXone access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl ClientCredentials {
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: SecretString::new(client_secret),
        }
    }
}

/// Which pair of credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// The OAuth application's client id/secret.
    Client,
    /// A CXone access key id/secret (access-key flow only).
    AccessKey,
}

impl CredentialKind {
    fn account(self) -> &'static str {
        match self {
            Self::Client => "cxone-client",
            Self::AccessKey => "cxone-access-key",
        }
    }
}

/// Why the store could not answer; each message says what the user can do.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SecretStoreError {
    #[error("the keychain is locked; unlock it (log in to the desktop session) or set CXONE_CLIENT_ID/CXONE_CLIENT_SECRET")]
    Locked,
    #[error("no keychain is available ({0}); start a Secret Service (e.g. gnome-keyring) or set CXONE_CLIENT_ID/CXONE_CLIENT_SECRET")]
    Unavailable(String),
    #[error("this credential store is read-only; change the environment variables instead")]
    ReadOnly,
    #[error("the stored credentials are unreadable ({0}); enter them again in Settings")]
    Corrupt(String),
}

/// Get/set/delete credentials. `Ok(None)` = nothing stored.
pub trait SecretStore: Send + Sync {
    fn get(&self, kind: CredentialKind) -> Result<Option<ClientCredentials>, SecretStoreError>;
    fn set(
        &self,
        kind: CredentialKind,
        credentials: &ClientCredentials,
    ) -> Result<(), SecretStoreError>;
    /// Deleting what is absent is not an error.
    fn delete(&self, kind: CredentialKind) -> Result<(), SecretStoreError>;
}

/// The OS keychain via `keyring` (Secret Service on Linux); one entry per kind holding `{"id","secret"}` as JSON.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new(KEYCHAIN_SERVICE)
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredPair {
    id: String,
    secret: String,
}

impl KeyringStore {
    /// A store under `service` (tests use a unique one; the app uses [`KEYCHAIN_SERVICE`]).
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, kind: CredentialKind) -> Result<keyring::Entry, SecretStoreError> {
        keyring::Entry::new(&self.service, kind.account()).map_err(map_keyring_error)
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, kind: CredentialKind) -> Result<Option<ClientCredentials>, SecretStoreError> {
        let stored = match self.entry(kind)?.get_password() {
            Ok(text) => text,
            Err(keyring::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(map_keyring_error(e)),
        };
        let pair: StoredPair = serde_json::from_str(&stored)
            .map_err(|_| SecretStoreError::Corrupt(format!("{kind:?} entry is not JSON")))?;
        Ok(Some(ClientCredentials::new(pair.id, pair.secret)))
    }

    fn set(
        &self,
        kind: CredentialKind,
        credentials: &ClientCredentials,
    ) -> Result<(), SecretStoreError> {
        let pair = StoredPair {
            id: credentials.client_id.clone(),
            secret: credentials.client_secret.expose().to_owned(),
        };
        let text =
            serde_json::to_string(&pair).map_err(|e| SecretStoreError::Corrupt(e.to_string()))?;
        self.entry(kind)?
            .set_password(&text)
            .map_err(map_keyring_error)
    }

    fn delete(&self, kind: CredentialKind) -> Result<(), SecretStoreError> {
        match self.entry(kind)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e)),
        }
    }
}

/// Maps keyring failures to what the user can do about them.
fn map_keyring_error(error: keyring::Error) -> SecretStoreError {
    match error {
        keyring::Error::NoStorageAccess(_) => SecretStoreError::Locked,
        keyring::Error::NoDefaultStore => {
            SecretStoreError::Unavailable("no Secret Service on the session bus".into())
        }
        keyring::Error::PlatformFailure(e) => SecretStoreError::Unavailable(e.to_string()),
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => {
            SecretStoreError::Corrupt("not UTF-8".into())
        }
        other => SecretStoreError::Unavailable(other.to_string()),
    }
}

/// Credentials from environment variables (`CXONE_CLIENT_ID`/`CXONE_CLIENT_SECRET`, `CXONE_ACCESS_KEY_ID`/`..._SECRET`).
/// Read-only; the environment is passed in as a map.
#[derive(Clone, Default)]
pub struct EnvStore {
    vars: HashMap<String, String>,
}

impl std::fmt::Debug for EnvStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvStore").finish_non_exhaustive()
    }
}

impl EnvStore {
    /// Keeps only the four credential variables of `env`.
    pub fn from_env_map(env: &HashMap<String, String>) -> Self {
        let keys = [
            ENV_CLIENT_ID,
            ENV_CLIENT_SECRET,
            ENV_ACCESS_KEY_ID,
            ENV_ACCESS_KEY_SECRET,
        ];
        let vars = keys
            .iter()
            .filter_map(|k| env.get(*k).map(|v| ((*k).to_owned(), v.clone())))
            .collect();
        Self { vars }
    }

    /// Whether the client id/secret pair is set (then the app may skip the keychain).
    pub fn has_client_credentials(&self) -> bool {
        matches!(self.get(CredentialKind::Client), Ok(Some(_)))
    }
}

impl SecretStore for EnvStore {
    fn get(&self, kind: CredentialKind) -> Result<Option<ClientCredentials>, SecretStoreError> {
        let (id_key, secret_key) = match kind {
            CredentialKind::Client => (ENV_CLIENT_ID, ENV_CLIENT_SECRET),
            CredentialKind::AccessKey => (ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET),
        };
        let value = |k: &str| self.vars.get(k).filter(|v| !v.trim().is_empty());
        match (value(id_key), value(secret_key)) {
            (Some(id), Some(secret)) => Ok(Some(ClientCredentials::new(id.trim(), secret.clone()))),
            (None, None) => Ok(None),
            _ => Err(SecretStoreError::Corrupt(format!(
                "set both {id_key} and {secret_key}, or neither"
            ))),
        }
    }

    fn set(&self, _: CredentialKind, _: &ClientCredentials) -> Result<(), SecretStoreError> {
        Err(SecretStoreError::ReadOnly)
    }

    fn delete(&self, _: CredentialKind) -> Result<(), SecretStoreError> {
        Err(SecretStoreError::ReadOnly)
    }
}

/// In-memory store for tests and demo mode.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<CredentialKind, ClientCredentials>>,
}

impl MemoryStore {
    /// A store already holding client credentials.
    pub fn with_client(client_id: &str, client_secret: &str) -> Self {
        let store = Self::default();
        store.lock().insert(
            CredentialKind::Client,
            ClientCredentials::new(client_id, client_secret),
        );
        store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CredentialKind, ClientCredentials>> {
        // A poisoned map of plain values is still consistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, kind: CredentialKind) -> Result<Option<ClientCredentials>, SecretStoreError> {
        Ok(self.lock().get(&kind).cloned())
    }
    fn set(
        &self,
        kind: CredentialKind,
        credentials: &ClientCredentials,
    ) -> Result<(), SecretStoreError> {
        self.lock().insert(kind, credentials.clone());
        Ok(())
    }
    fn delete(&self, kind: CredentialKind) -> Result<(), SecretStoreError> {
        self.lock().remove(&kind);
        Ok(())
    }
}

/// Environment first (explicit operator choice on headless servers), then the keychain; writes go to the keychain.
pub struct LayeredStore {
    env: EnvStore,
    keychain: Box<dyn SecretStore>,
}

impl LayeredStore {
    pub fn new(env: EnvStore, keychain: Box<dyn SecretStore>) -> Self {
        Self { env, keychain }
    }
}

impl SecretStore for LayeredStore {
    fn get(&self, kind: CredentialKind) -> Result<Option<ClientCredentials>, SecretStoreError> {
        match self.env.get(kind)? {
            Some(found) => Ok(Some(found)),
            None => self.keychain.get(kind),
        }
    }
    fn set(
        &self,
        kind: CredentialKind,
        credentials: &ClientCredentials,
    ) -> Result<(), SecretStoreError> {
        self.keychain.set(kind, credentials)
    }
    fn delete(&self, kind: CredentialKind) -> Result<(), SecretStoreError> {
        self.keychain.delete(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let creds = ClientCredentials::new("demo-client", "s3cr3t-value");
        let shown = format!("{creds:?}");
        assert!(shown.contains("demo-client") && shown.contains("[redacted]"));
        assert!(!shown.contains("s3cr3t-value"));
    }

    #[test]
    fn memory_store_round_trip() {
        let store = MemoryStore::default();
        assert_eq!(store.get(CredentialKind::Client).unwrap(), None);
        let creds = ClientCredentials::new("id", "secret");
        store.set(CredentialKind::Client, &creds).unwrap();
        assert_eq!(store.get(CredentialKind::Client).unwrap(), Some(creds));
        assert_eq!(store.get(CredentialKind::AccessKey).unwrap(), None);
        store.delete(CredentialKind::Client).unwrap();
        assert_eq!(store.get(CredentialKind::Client).unwrap(), None);
    }

    #[test]
    fn env_store_reads_pairs_and_refuses_half_pairs_and_writes() {
        let env: HashMap<String, String> = [
            (ENV_CLIENT_ID, "cid"),
            (ENV_CLIENT_SECRET, "cs"),
            (ENV_ACCESS_KEY_ID, "kid"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let store = EnvStore::from_env_map(&env);
        assert_eq!(
            store.get(CredentialKind::Client).unwrap(),
            Some(ClientCredentials::new("cid", "cs"))
        );
        assert!(
            matches!(store.get(CredentialKind::AccessKey), Err(SecretStoreError::Corrupt(m)) if m.contains(ENV_ACCESS_KEY_SECRET))
        );
        assert_eq!(
            store.set(CredentialKind::Client, &ClientCredentials::new("a", "b")),
            Err(SecretStoreError::ReadOnly)
        );
        assert!(store.has_client_credentials());
    }

    #[test]
    fn layered_store_prefers_env_and_writes_to_keychain() {
        let keychain = MemoryStore::with_client("kc-id", "kc-secret");
        let layered = LayeredStore::new(EnvStore::default(), Box::new(keychain));
        assert_eq!(
            layered
                .get(CredentialKind::Client)
                .unwrap()
                .unwrap()
                .client_id,
            "kc-id"
        );
        let env: HashMap<String, String> = [
            (ENV_CLIENT_ID.to_string(), "env-id".to_string()),
            (ENV_CLIENT_SECRET.to_string(), "x".to_string()),
        ]
        .into();
        let layered = LayeredStore::new(
            EnvStore::from_env_map(&env),
            Box::new(MemoryStore::default()),
        );
        assert_eq!(
            layered
                .get(CredentialKind::Client)
                .unwrap()
                .unwrap()
                .client_id,
            "env-id"
        );
        layered
            .set(CredentialKind::AccessKey, &ClientCredentials::new("k", "v"))
            .unwrap();
        assert_eq!(
            layered
                .get(CredentialKind::AccessKey)
                .unwrap()
                .unwrap()
                .client_id,
            "k"
        );
    }

    #[test]
    fn keyring_errors_become_actionable_messages() {
        let locked = map_keyring_error(keyring::Error::NoStorageAccess(Box::new(
            std::io::Error::other("locked"),
        )));
        assert_eq!(locked, SecretStoreError::Locked);
        assert!(locked.to_string().contains("CXONE_CLIENT_ID"));
        let absent = map_keyring_error(keyring::Error::NoDefaultStore);
        assert!(
            matches!(absent, SecretStoreError::Unavailable(_))
                && absent.to_string().contains("gnome-keyring")
        );
    }
}
