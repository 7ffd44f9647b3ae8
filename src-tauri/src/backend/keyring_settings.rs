//! The settings window's real backend: client credentials in the OS keychain (assist-core's [`KeyringStore`]) and
//! "Test connection" as one token request with assist-core's [`OAuthTokenSource`].
//!
//! Credentials are write-only: [`KeychainSettings::credentials_saved`] answers presence, never the values, and nothing
//! here logs them. A locked or missing keychain comes back as a `{kind, message}` saying what to do
//! (`keychain_locked`, `keychain_unavailable`, `keychain_corrupt`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use assist_core::auth::secrets::{
    ClientCredentials, CredentialKind, EnvStore, KeyringStore, LayeredStore, SecretStore,
    SecretStoreError,
};
use assist_core::auth::token::{build_http_client, OAuthTokenSource, TokenSettings};
use assist_core::auth::TokenSource;
use assist_core::config::Config;
use async_trait::async_trait;

use super::{auth_error, BackendError, SecretInput, SettingsBackend};

/// Settings backed by a secret store (the OS keychain in the app) and the process environment.
pub struct KeychainSettings {
    keychain: Arc<dyn SecretStore>,
    env: HashMap<String, String>,
}

impl KeychainSettings {
    /// The app's keychain entries (service [`crate::runtime::APP_ID`]) and this process's environment.
    pub fn system() -> Self {
        Self::new(
            Arc::new(KeyringStore::new(crate::runtime::APP_ID)),
            std::env::vars().collect(),
        )
    }

    /// Settings over `keychain`; `env` supplies config overrides and `CXONE_CLIENT_ID`/`CXONE_CLIENT_SECRET`.
    pub fn new(keychain: Arc<dyn SecretStore>, env: HashMap<String, String>) -> Self {
        Self { keychain, env }
    }

    /// The token source's store: environment first (as the pipeline reads it), then the keychain.
    fn layered_store(&self) -> Arc<dyn SecretStore> {
        Arc::new(LayeredStore::new(
            EnvStore::from_env_map(&self.env),
            Box::new(SharedStore(Arc::clone(&self.keychain))),
        ))
    }
}

/// Lends an `Arc`'d store to [`LayeredStore`], which owns a `Box`.
struct SharedStore(Arc<dyn SecretStore>);

impl SecretStore for SharedStore {
    fn get(&self, kind: CredentialKind) -> Result<Option<ClientCredentials>, SecretStoreError> {
        self.0.get(kind)
    }
    fn set(
        &self,
        kind: CredentialKind,
        credentials: &ClientCredentials,
    ) -> Result<(), SecretStoreError> {
        self.0.set(kind, credentials)
    }
    fn delete(&self, kind: CredentialKind) -> Result<(), SecretStoreError> {
        self.0.delete(kind)
    }
}

/// Maps a keychain failure onto the UI's `{kind, message}` (the message says what the user can do).
pub fn keychain_error(error: &SecretStoreError) -> BackendError {
    let kind = match error {
        SecretStoreError::Locked => "keychain_locked",
        SecretStoreError::Unavailable(_) => "keychain_unavailable",
        SecretStoreError::ReadOnly => "keychain_read_only",
        SecretStoreError::Corrupt(_) => "keychain_corrupt",
    };
    BackendError::new(kind, error.to_string())
}

#[async_trait]
impl SettingsBackend for KeychainSettings {
    fn save_credentials(
        &self,
        client_id: &str,
        client_secret: &SecretInput,
    ) -> Result<(), BackendError> {
        let credentials = ClientCredentials::new(client_id, client_secret.expose());
        self.keychain
            .set(CredentialKind::Client, &credentials)
            .map_err(|e| {
                tracing::warn!(error = %e, "could not save the client credentials");
                keychain_error(&e)
            })
    }

    fn credentials_saved(&self) -> Result<bool, BackendError> {
        self.keychain
            .get(CredentialKind::Client)
            .map(|found| found.is_some())
            .map_err(|e| keychain_error(&e))
    }

    async fn test_connection(&self, config_file: &Path) -> Result<(), BackendError> {
        let file = config_file.exists().then_some(config_file);
        let config = Config::load(file, &self.env)
            .map_err(|e| BackendError::new("config_invalid", e.to_string()))?;
        let http = build_http_client(&config)
            .map_err(|e| BackendError::new("http_client", e.to_string()))?;
        let tokens =
            OAuthTokenSource::new(http, TokenSettings::from(&config), self.layered_store());
        match tokens.token().await {
            Ok(_) => {
                tracing::info!(token_url = %config.token_url, "connection test: token issued");
                Ok(())
            }
            Err(error) => {
                tracing::warn!(error = %error, "connection test failed");
                Err(auth_error(&error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assist_core::auth::secrets::MemoryStore;
    use cxone_sim::{SimConfig, SimServer};
    use std::net::{Ipv4Addr, SocketAddr};

    struct LockedStore;

    impl SecretStore for LockedStore {
        fn get(&self, _: CredentialKind) -> Result<Option<ClientCredentials>, SecretStoreError> {
            Err(SecretStoreError::Locked)
        }
        fn set(&self, _: CredentialKind, _: &ClientCredentials) -> Result<(), SecretStoreError> {
            Err(SecretStoreError::Locked)
        }
        fn delete(&self, _: CredentialKind) -> Result<(), SecretStoreError> {
            Err(SecretStoreError::Locked)
        }
    }

    fn secret(value: &str) -> SecretInput {
        serde_json::from_value(serde_json::json!(value)).unwrap()
    }

    async fn sim() -> SimServer {
        SimServer::start(SimConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..SimConfig::default()
        })
        .await
        .unwrap()
    }

    fn config_for(sim: &SimServer, dir: &tempfile::TempDir) -> std::path::PathBuf {
        let file = dir.path().join("config.toml");
        let text = format!(
            "base_url = \"{}\"\ntoken_url = \"{}\"\nevents_url = \"{}\"\n",
            sim.base_url(),
            sim.token_url(),
            sim.events_url()
        );
        std::fs::write(&file, text).unwrap();
        file
    }

    #[test]
    fn saved_credentials_are_reported_as_present_only() {
        let store = Arc::new(MemoryStore::default());
        let settings = KeychainSettings::new(store.clone(), HashMap::new());
        assert!(!settings.credentials_saved().unwrap());
        settings
            .save_credentials("client", &secret("s3cret"))
            .unwrap();
        assert!(settings.credentials_saved().unwrap());
        let stored = store.get(CredentialKind::Client).unwrap().unwrap();
        assert_eq!(stored.client_secret.expose(), "s3cret");
    }

    #[test]
    fn a_locked_keychain_is_a_clear_error() {
        let settings = KeychainSettings::new(Arc::new(LockedStore), HashMap::new());
        let error = settings.save_credentials("c", &secret("s")).unwrap_err();
        assert_eq!(error.kind, "keychain_locked");
        assert!(error.message.contains("unlock"), "{}", error.message);
        assert_eq!(
            settings.credentials_saved().unwrap_err().kind,
            "keychain_locked"
        );
    }

    #[tokio::test]
    async fn test_connection_fetches_a_token_with_the_saved_credentials() {
        let sim = sim().await;
        let dir = tempfile::tempdir().unwrap();
        let file = config_for(&sim, &dir);
        let defaults = SimConfig::default();
        let store = Arc::new(MemoryStore::default());
        let settings = KeychainSettings::new(store, HashMap::new());
        assert_eq!(
            settings.test_connection(&file).await.unwrap_err().kind,
            "no_credentials"
        );
        settings
            .save_credentials(&defaults.client_id, &secret("wrong"))
            .unwrap();
        assert_eq!(
            settings.test_connection(&file).await.unwrap_err().kind,
            "invalid_client"
        );
        settings
            .save_credentials(&defaults.client_id, &secret(&defaults.client_secret))
            .unwrap();
        settings.test_connection(&file).await.unwrap();
    }

    #[tokio::test]
    async fn test_connection_without_a_usable_config_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let settings = KeychainSettings::new(Arc::new(MemoryStore::default()), HashMap::new());
        let error = settings
            .test_connection(&dir.path().join("absent.toml"))
            .await
            .unwrap_err();
        assert_eq!(error.kind, "config_invalid");
    }
}
