//! The settings window's commands: the config TOML (in the app config dir) and write-only credentials.
//!
//! The form maps onto assist-core's `RawConfig` keys (`base_url`, `token_url`, `[ranking] dense_weight`,
//! `[pipeline] auto_approve = "score>=0.85"`, ...). Saving merges into the existing file so keys the form does not
//! show are kept. Credentials go to the keychain and never come back: the window only learns `saved: true/false`.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri::State;
use toml::{Table, Value};

use crate::backend::SecretInput;
use crate::error::CommandError;
use crate::state::ShellState;

/// What the settings form shows and edits (no secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsForm {
    pub tenant: String,
    pub base_url: String,
    pub token_url: String,
    pub events_url: String,
    pub kb_poll_interval_secs: u64,
    pub dense_weight: f32,
    pub bm25_weight: f32,
    /// `None`: every card waits for the supervisor; `Some(x)`: cards scoring at least `x` are approved automatically.
    pub auto_approve_min_score: Option<f32>,
}

impl Default for SettingsForm {
    fn default() -> Self {
        Self {
            tenant: String::new(),
            base_url: String::new(),
            token_url: String::new(),
            events_url: String::new(),
            kb_poll_interval_secs: 300,
            dense_weight: 0.6,
            bm25_weight: 0.4,
            auto_approve_min_score: None,
        }
    }
}

/// Whether credentials are in the keychain (the only thing the window learns about them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CredentialsState {
    pub saved: bool,
}

fn invalid(field: &str, message: &str) -> CommandError {
    CommandError::new("invalid_input", format!("{field}: {message}"))
}

fn check_url(field: &str, value: &str, schemes: &[&str]) -> Result<(), CommandError> {
    if value.is_empty() {
        return Ok(());
    }
    let parsed = url::Url::parse(value).map_err(|e| invalid(field, &e.to_string()))?;
    if !schemes.contains(&parsed.scheme()) {
        return Err(invalid(
            field,
            &format!("must start with {}", schemes.join(" or ")),
        ));
    }
    Ok(())
}

impl SettingsForm {
    /// Checks ranges and URL schemes; empty URLs mean "use the default".
    pub fn validate(&self) -> Result<(), CommandError> {
        check_url("base URL", &self.base_url, &["https", "http"])?;
        check_url("token URL", &self.token_url, &["https", "http"])?;
        check_url("events URL", &self.events_url, &["wss", "ws"])?;
        if !(10..=86_400).contains(&self.kb_poll_interval_secs) {
            return Err(invalid(
                "poll interval",
                "must be between 10 and 86400 seconds",
            ));
        }
        let weights_ok = |w: f32| (0.0..=1.0).contains(&w);
        if !weights_ok(self.dense_weight)
            || !weights_ok(self.bm25_weight)
            || self.dense_weight + self.bm25_weight <= 0.0
        {
            return Err(invalid(
                "hybrid weights",
                "each must be between 0 and 1, not both 0",
            ));
        }
        if let Some(score) = self.auto_approve_min_score {
            if !(score > 0.0 && score <= 1.0) {
                return Err(invalid(
                    "auto-approve",
                    "the minimum score must be in (0, 1]",
                ));
            }
        }
        Ok(())
    }

    /// Reads the form's fields from config TOML text (missing keys keep their defaults).
    pub fn from_table(table: &Table) -> Self {
        let defaults = Self::default();
        let text = |key: &str| {
            table
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let sub = |name: &str, key: &str| {
            table
                .get(name)
                .and_then(Value::as_table)
                .and_then(|t| t.get(key))
                .cloned()
        };
        let float = |v: Option<Value>| {
            v.and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
        };
        let auto = sub("pipeline", "auto_approve").and_then(|v| v.as_str().map(str::to_owned));
        Self {
            tenant: text("tenant"),
            base_url: text("base_url"),
            token_url: text("token_url"),
            events_url: text("events_url"),
            kb_poll_interval_secs: table
                .get("kb_poll_interval_secs")
                .and_then(Value::as_integer)
                .and_then(|i| u64::try_from(i).ok())
                .unwrap_or(defaults.kb_poll_interval_secs),
            dense_weight: float(sub("ranking", "dense_weight"))
                .map_or(defaults.dense_weight, |f| f as f32),
            bm25_weight: float(sub("ranking", "bm25_weight"))
                .map_or(defaults.bm25_weight, |f| f as f32),
            auto_approve_min_score: auto.and_then(|a| {
                a.strip_prefix("score>=")
                    .and_then(|x| x.trim().parse().ok())
            }),
        }
    }

    /// Writes the form's fields into `table`, keeping every other key.
    pub fn merge_into(&self, table: &mut Table) {
        let mut set_text = |key: &str, value: &str| {
            if value.is_empty() {
                table.remove(key);
            } else {
                table.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        };
        set_text("tenant", &self.tenant);
        set_text("base_url", &self.base_url);
        set_text("token_url", &self.token_url);
        set_text("events_url", &self.events_url);
        table.insert(
            "kb_poll_interval_secs".into(),
            Value::Integer(self.kb_poll_interval_secs as i64),
        );
        update_sub_table(table, "ranking", |ranking| {
            ranking.insert(
                "dense_weight".into(),
                Value::Float(round(self.dense_weight)),
            );
            ranking.insert("bm25_weight".into(), Value::Float(round(self.bm25_weight)));
        });
        let auto = match self.auto_approve_min_score {
            Some(score) => format!("score>={}", round(score)),
            None => "none".to_owned(),
        };
        update_sub_table(table, "pipeline", |pipeline| {
            pipeline.insert("auto_approve".into(), Value::String(auto));
        });
    }
}

fn round(value: f32) -> f64 {
    (f64::from(value) * 1000.0).round() / 1000.0
}

fn update_sub_table(table: &mut Table, name: &str, change: impl FnOnce(&mut Table)) {
    let mut sub = match table.remove(name) {
        Some(Value::Table(sub)) => sub,
        _ => Table::new(),
    };
    change(&mut sub);
    table.insert(name.to_owned(), Value::Table(sub));
}

fn read_table(path: &Path) -> Result<Table, CommandError> {
    match std::fs::read_to_string(path) {
        // The line, key and reason only: toml's own message quotes the line, and with it any secret on it.
        Ok(text) => text.parse::<Table>().map_err(|e| {
            let reason = assist_core::config::describe_toml_error(&text, &e);
            CommandError::new("config_syntax", format!("{}: {reason}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Table::new()),
        Err(e) => Err(CommandError::new(
            "config_io",
            format!("cannot read {}: {e}", path.display()),
        )),
    }
}

/// Loads the form from `path` (a missing file gives the defaults).
pub fn load_form(path: &Path) -> Result<SettingsForm, CommandError> {
    read_table(path).map(|table| SettingsForm::from_table(&table))
}

/// Validates and saves `form` into `path` atomically (temp file + rename), keeping other keys.
pub fn save_form(path: &Path, form: &SettingsForm) -> Result<(), CommandError> {
    form.validate()?;
    let mut table = read_table(path)?;
    form.merge_into(&mut table);
    let io_error = |e: std::io::Error| {
        CommandError::new("config_io", format!("cannot write {}: {e}", path.display()))
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_error)?;
    }
    let text = toml::to_string_pretty(&table)
        .map_err(|e| CommandError::new("config_io", e.to_string()))?;
    let temp = path.with_extension("toml.tmp");
    std::fs::write(&temp, text).map_err(io_error)?;
    std::fs::rename(&temp, path).map_err(io_error)?;
    tracing::info!(path = %path.display(), "settings saved");
    Ok(())
}

/// The current settings.
#[tauri::command]
pub fn load_settings(state: State<'_, Arc<ShellState>>) -> Result<SettingsForm, CommandError> {
    load_form(&state.paths.config_file)
}

/// Saves the settings (applied at the next start of the pipeline).
#[tauri::command]
pub fn save_settings(
    state: State<'_, Arc<ShellState>>,
    form: SettingsForm,
) -> Result<SettingsForm, CommandError> {
    save_form(&state.paths.config_file, &form)?;
    load_form(&state.paths.config_file)
}

/// Stores client id and secret in the keychain; answers only whether they are saved.
#[tauri::command]
pub fn save_credentials(
    state: State<'_, Arc<ShellState>>,
    client_id: String,
    client_secret: SecretInput,
) -> Result<CredentialsState, CommandError> {
    if client_id.trim().is_empty() || client_secret.expose().is_empty() {
        return Err(CommandError::new(
            "invalid_input",
            "enter both the client id and the client secret",
        ));
    }
    state
        .settings
        .save_credentials(client_id.trim(), &client_secret)?;
    tracing::info!("client credentials saved in the keychain");
    Ok(CredentialsState {
        saved: state.settings.credentials_saved()?,
    })
}

/// Whether credentials are in the keychain.
#[tauri::command]
pub fn credentials_state(
    state: State<'_, Arc<ShellState>>,
) -> Result<CredentialsState, CommandError> {
    Ok(CredentialsState {
        saved: state.settings.credentials_saved()?,
    })
}

/// Fetches one token with the saved settings and credentials.
#[tauri::command]
pub async fn test_connection(state: State<'_, Arc<ShellState>>) -> Result<String, CommandError> {
    state
        .settings
        .test_connection(&state.paths.config_file)
        .await?;
    Ok("connected: the tenant issued a token".to_owned())
}

/// Opens the log folder in the file manager.
#[tauri::command]
pub fn open_logs(state: State<'_, Arc<ShellState>>) {
    crate::windows::open_folder(&state.paths.log_dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_echo_secrets_load_settings_names_the_line_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "tenant = \"acme\"\nclient_secret = S3cr3t-Value\n").unwrap();
        let err = load_form(&path).unwrap_err();
        assert_eq!(err.kind, "config_syntax");
        assert!(
            err.message.contains("line 2") && err.message.contains("client_secret"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("S3cr3t"), "{}", err.message);
    }
}
