//! Configuration: a raw, all-optional TOML shape ([`RawConfig`]) plus `SUPERVISOR_ASSIST_<KEY>` environment overrides,
//! validated into [`Config`] (typed URLs, durations, checked ranges).
//!
//! No OS directory lookups happen here: the shell passes the file path (or none) and the environment as a map.
//! A bad value yields one [`ConfigError`] naming the field, e.g. ``config `ranking.top_k`: must be between 1 and 50``.
//!
//! | key | default | meaning |
//! |---|---|---|
//! | `tenant` | — (required unless the three URLs are set) | CXone tenant name |
//! | `base_url` | `https://{tenant}.cxone.com` | API base (assist, knowledge) |
//! | `token_url` | `{base_url}/oauth/token` (`access_key` flow: `https://cxone.niceincontact.com/auth/token`) | OAuth token endpoint |
//! | `events_url` | `wss://{tenant}.cxone.com/api/v2/interactions/events` | interactions WebSocket |
//! | `scopes` | `interactions:read assist:write knowledge:read` | requested scopes |
//! | `kb_poll_interval_secs` | 300 | KB poll period (5..=86400) |
//! | `data_dir` | the shell's default | where sled and indexes live |
//! | `auth_flow` | `client_credentials` | or `access_key` |
//! | `client_auth` | `form` | or `basic` |
//! | `request_timeout_secs` / `connect_timeout_secs` | 15 / 10 | HTTP timeouts |
//! | `ping_interval_secs` / `pong_timeout_secs` | 20 / 10 | WebSocket keep-alive |
//! | `max_frame_bytes` | 1048576 | larger frames are skipped |
//! | `[ranking] dense_weight` / `bm25_weight` / `top_k` | 0.6 / 0.4 / 3 | hybrid ranking |
//! | `[pipeline] min_score` / `debounce_ms` / `window_turns` / `window_seconds` / `auto_approve` | 0.35 / 300 / 6 / 0 (off) / `none` | suggestion behaviour (`auto_approve = "score>=0.9"`) |
//! | `[pipeline] idle_call_minutes` | 30 (1–1440) | a call with no event for this long counts as ended (lost `ended` frame): its pending cards expire |
//!
//! Environment keys are the TOML keys upper-cased, nested tables joined by `_`:
//! `SUPERVISOR_ASSIST_BASE_URL`, `SUPERVISOR_ASSIST_RANKING_TOP_K`, `SUPERVISOR_ASSIST_PIPELINE_MIN_SCORE`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

mod toml_error;
pub use toml_error::describe_toml_error;

/// Prefix of every environment override.
pub const ENV_PREFIX: &str = "SUPERVISOR_ASSIST_";
/// Scopes the seed requests; the default for `scopes`.
pub const DEFAULT_SCOPES: &str = "interactions:read assist:write knowledge:read";
/// CXone's documented token endpoint for the access-key flow.
pub const ACCESS_KEY_TOKEN_URL: &str = "https://cxone.niceincontact.com/auth/token";

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file named by the user could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a wrongly typed / unknown key (the message names the line and key,
    /// never the value).
    #[error("config file {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    /// A value is present but unusable.
    #[error("config `{field}`: {message}")]
    Invalid { field: String, message: String },
}

impl ConfigError {
    fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The offending field, when one value is to blame.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// The file format: every key optional, unknown keys rejected.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub tenant: Option<String>,
    pub base_url: Option<String>,
    pub token_url: Option<String>,
    pub events_url: Option<String>,
    pub scopes: Option<String>,
    pub kb_poll_interval_secs: Option<u64>,
    pub data_dir: Option<PathBuf>,
    /// `client_credentials` (default) or `access_key`.
    pub auth_flow: Option<String>,
    /// `form` (default) or `basic`: how client credentials travel to the token endpoint.
    pub client_auth: Option<String>,
    pub request_timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
    pub ping_interval_secs: Option<u64>,
    pub pong_timeout_secs: Option<u64>,
    pub max_frame_bytes: Option<usize>,
    #[serde(default)]
    pub ranking: RawRanking,
    #[serde(default)]
    pub pipeline: RawPipeline,
}

/// `[ranking]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawRanking {
    pub dense_weight: Option<f32>,
    pub bm25_weight: Option<f32>,
    pub top_k: Option<usize>,
}

/// `[pipeline]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    pub min_score: Option<f32>,
    pub debounce_ms: Option<u64>,
    pub window_turns: Option<usize>,
    /// Only turns that changed within this many seconds join the query window (0 = no age limit).
    pub window_seconds: Option<u64>,
    /// `none` or `score>=X`.
    pub auto_approve: Option<String>,
    /// A call with no event for this many minutes counts as ended (its `ended` frame was lost).
    pub idle_call_minutes: Option<u64>,
}

/// Which OAuth grant the token source uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFlow {
    /// The seed's client-credentials grant (what the simulator speaks).
    ClientCredentials,
    /// CXone's access-key flow: `grant_type=password`, client creds in Basic, access key as username/password.
    AccessKey,
}

/// How client credentials are sent in the client-credentials grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` / `client_secret` in the form body (the seed).
    Form,
    /// HTTP Basic.
    Basic,
}

/// Whether cards skip the supervisor (the queue's own policy type).
pub use crate::queue::AutoApprove;

/// Hybrid ranking settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RankingConfig {
    pub dense_weight: f32,
    pub bm25_weight: f32,
    pub top_k: usize,
}

/// Pipeline behaviour settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// Confidence threshold below which no card is suggested.
    pub min_score: f32,
    pub debounce: Duration,
    pub window_turns: usize,
    /// Age limit of the query window (`None` = turns only).
    pub window_max_age: Option<Duration>,
    pub auto_approve: AutoApprove,
    /// A call with no event for this long counts as ended.
    pub idle_timeout: Duration,
}

/// Validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub tenant: Option<String>,
    pub base_url: Url,
    pub token_url: Url,
    pub events_url: Url,
    pub scopes: String,
    pub kb_poll_interval: Duration,
    /// Where sled and indexes live; `None` means the shell's default.
    pub data_dir: Option<PathBuf>,
    pub auth_flow: AuthFlow,
    pub client_auth: ClientAuth,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub ping_interval: Duration,
    pub pong_timeout: Duration,
    pub max_frame_bytes: usize,
    pub ranking: RankingConfig,
    pub pipeline: PipelineConfig,
}

impl Config {
    /// Reads `path` (if any), applies `SUPERVISOR_ASSIST_*` overrides from `env`, validates.
    pub fn load(path: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut raw = match path {
            Some(path) => RawConfig::from_file(path)?,
            None => RawConfig::default(),
        };
        raw.apply_env(env)?;
        raw.validate()
    }
}

impl RawConfig {
    /// Parses a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Syntax {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses TOML text; the error message names the line and key at fault and why, never the value or the
    /// source line (see [`describe_toml_error`]).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| describe_toml_error(text, &e))
    }

    /// Applies `SUPERVISOR_ASSIST_<KEY>` overrides; unknown keys are ignored (other tools share the prefix).
    pub fn apply_env(&mut self, env: &HashMap<String, String>) -> Result<(), ConfigError> {
        for (key, value) in env {
            let Some(name) = key.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            if !self.apply_override(&name, value)? {
                tracing::debug!(key = %key, "ignoring unknown configuration environment variable");
            }
        }
        Ok(())
    }

    fn apply_override(&mut self, name: &str, value: &str) -> Result<bool, ConfigError> {
        let text = || Some(value.to_owned());
        match name {
            "tenant" => self.tenant = text(),
            "base_url" => self.base_url = text(),
            "token_url" => self.token_url = text(),
            "events_url" => self.events_url = text(),
            "scopes" => self.scopes = text(),
            "data_dir" => self.data_dir = Some(PathBuf::from(value)),
            "auth_flow" => self.auth_flow = text(),
            "client_auth" => self.client_auth = text(),
            "kb_poll_interval_secs" => self.kb_poll_interval_secs = Some(parse_env(name, value)?),
            "request_timeout_secs" => self.request_timeout_secs = Some(parse_env(name, value)?),
            "connect_timeout_secs" => self.connect_timeout_secs = Some(parse_env(name, value)?),
            "ping_interval_secs" => self.ping_interval_secs = Some(parse_env(name, value)?),
            "pong_timeout_secs" => self.pong_timeout_secs = Some(parse_env(name, value)?),
            "max_frame_bytes" => self.max_frame_bytes = Some(parse_env(name, value)?),
            "ranking_dense_weight" => {
                self.ranking.dense_weight = Some(parse_env("ranking.dense_weight", value)?)
            }
            "ranking_bm25_weight" => {
                self.ranking.bm25_weight = Some(parse_env("ranking.bm25_weight", value)?)
            }
            "ranking_top_k" => self.ranking.top_k = Some(parse_env("ranking.top_k", value)?),
            "pipeline_min_score" => {
                self.pipeline.min_score = Some(parse_env("pipeline.min_score", value)?)
            }
            "pipeline_debounce_ms" => {
                self.pipeline.debounce_ms = Some(parse_env("pipeline.debounce_ms", value)?)
            }
            "pipeline_window_turns" => {
                self.pipeline.window_turns = Some(parse_env("pipeline.window_turns", value)?)
            }
            "pipeline_window_seconds" => {
                self.pipeline.window_seconds = Some(parse_env("pipeline.window_seconds", value)?)
            }
            "pipeline_auto_approve" => self.pipeline.auto_approve = text(),
            "pipeline_idle_call_minutes" => {
                self.pipeline.idle_call_minutes =
                    Some(parse_env("pipeline.idle_call_minutes", value)?)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Fills defaults and checks every value.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let tenant = self.tenant.as_deref().map(validate_tenant).transpose()?;
        let auth_flow = parse_auth_flow(self.auth_flow.as_deref())?;
        let base_url = match &self.base_url {
            Some(url) => parse_url("base_url", url, &["https", "http"])?,
            None => parse_url(
                "base_url",
                &format!("https://{}.cxone.com", need_tenant(&tenant, "base_url")?),
                &["https"],
            )?,
        };
        let token_url = match (&self.token_url, auth_flow) {
            (Some(url), _) => parse_url("token_url", url, &["https", "http"])?,
            (None, AuthFlow::AccessKey) => {
                parse_url("token_url", ACCESS_KEY_TOKEN_URL, &["https"])?
            }
            (None, AuthFlow::ClientCredentials) => join_url("token_url", &base_url, "oauth/token")?,
        };
        let events_url = match &self.events_url {
            Some(url) => parse_url("events_url", url, &["wss", "ws"])?,
            None => {
                let tenant = need_tenant(&tenant, "events_url")?;
                parse_url(
                    "events_url",
                    &format!("wss://{tenant}.cxone.com/api/v2/interactions/events"),
                    &["wss"],
                )?
            }
        };
        Ok(Config {
            tenant,
            base_url,
            token_url,
            events_url,
            scopes: validate_scopes(self.scopes.as_deref())?,
            kb_poll_interval: secs(
                "kb_poll_interval_secs",
                self.kb_poll_interval_secs,
                300,
                5..=86_400,
            )?,
            data_dir: self.data_dir.clone(),
            auth_flow,
            client_auth: parse_client_auth(self.client_auth.as_deref())?,
            request_timeout: secs(
                "request_timeout_secs",
                self.request_timeout_secs,
                15,
                1..=300,
            )?,
            connect_timeout: secs(
                "connect_timeout_secs",
                self.connect_timeout_secs,
                10,
                1..=120,
            )?,
            ping_interval: secs("ping_interval_secs", self.ping_interval_secs, 20, 1..=600)?,
            pong_timeout: secs("pong_timeout_secs", self.pong_timeout_secs, 10, 1..=600)?,
            max_frame_bytes: in_range(
                "max_frame_bytes",
                self.max_frame_bytes.unwrap_or(1 << 20),
                1024..=(64 << 20),
            )?,
            ranking: self.ranking.validate()?,
            pipeline: self.pipeline.validate()?,
        })
    }
}

impl RawRanking {
    fn validate(&self) -> Result<RankingConfig, ConfigError> {
        let dense_weight = unit_interval("ranking.dense_weight", self.dense_weight.unwrap_or(0.6))?;
        let bm25_weight = unit_interval("ranking.bm25_weight", self.bm25_weight.unwrap_or(0.4))?;
        if dense_weight + bm25_weight <= 0.0 {
            return Err(ConfigError::invalid(
                "ranking.dense_weight",
                "dense_weight and bm25_weight cannot both be 0",
            ));
        }
        let top_k = in_range("ranking.top_k", self.top_k.unwrap_or(3), 1..=50)?;
        Ok(RankingConfig {
            dense_weight,
            bm25_weight,
            top_k,
        })
    }
}

impl RawPipeline {
    fn validate(&self) -> Result<PipelineConfig, ConfigError> {
        Ok(PipelineConfig {
            min_score: unit_interval("pipeline.min_score", self.min_score.unwrap_or(0.35))?,
            debounce: Duration::from_millis(in_range(
                "pipeline.debounce_ms",
                self.debounce_ms.unwrap_or(300),
                0..=60_000,
            )?),
            window_turns: in_range(
                "pipeline.window_turns",
                self.window_turns.unwrap_or(6),
                1..=100,
            )?,
            window_max_age: match in_range(
                "pipeline.window_seconds",
                self.window_seconds.unwrap_or(0),
                0..=86_400,
            )? {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
            auto_approve: parse_auto_approve(self.auto_approve.as_deref().unwrap_or("none"))?,
            idle_timeout: Duration::from_secs(
                60 * in_range(
                    "pipeline.idle_call_minutes",
                    self.idle_call_minutes.unwrap_or(30),
                    1..=1440,
                )?,
            ),
        })
    }
}

fn parse_env<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| {
        ConfigError::invalid(
            field,
            format!(
                "`{value}` is not a valid number (from {ENV_PREFIX}{})",
                env_name(field)
            ),
        )
    })
}

fn env_name(field: &str) -> String {
    field.replace('.', "_").to_ascii_uppercase()
}

fn validate_tenant(tenant: &str) -> Result<String, ConfigError> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 63
        && tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !tenant.starts_with('-');
    if ok {
        Ok(tenant.to_owned())
    } else {
        Err(ConfigError::invalid(
            "tenant",
            format!("`{tenant}` is not a tenant name (letters, digits and '-')"),
        ))
    }
}

fn need_tenant<'a>(tenant: &'a Option<String>, derived: &str) -> Result<&'a str, ConfigError> {
    tenant.as_deref().ok_or_else(|| {
        ConfigError::invalid(
            "tenant",
            format!("required to derive `{derived}`; set `tenant` or `{derived}`"),
        )
    })
}

fn parse_url(field: &str, text: &str, schemes: &[&str]) -> Result<Url, ConfigError> {
    let url = Url::parse(text.trim())
        .map_err(|e| ConfigError::invalid(field, format!("`{text}` is not a URL: {e}")))?;
    if !schemes.contains(&url.scheme()) {
        let allowed = schemes.join(" or ");
        return Err(ConfigError::invalid(
            field,
            format!("`{text}` must use {allowed}"),
        ));
    }
    if url.host_str().is_none() {
        return Err(ConfigError::invalid(field, format!("`{text}` has no host")));
    }
    if matches!(url.scheme(), "http" | "ws") && !is_loopback(&url) {
        return Err(ConfigError::invalid(
            field,
            format!(
                "`{text}` would send the client secret and tokens unencrypted: use https/wss \
                 (plain http/ws is accepted only for a loopback host, such as the built-in simulator)"
            ),
        ));
    }
    Ok(url)
}

/// `localhost`, 127.0.0.0/8 or `::1`: the only hosts plain `http`/`ws` may name.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn join_url(field: &str, base: &Url, path: &str) -> Result<Url, ConfigError> {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(path)
        .map_err(|e| ConfigError::invalid(field, e.to_string()))
}

fn validate_scopes(scopes: Option<&str>) -> Result<String, ConfigError> {
    let scopes = scopes
        .unwrap_or(DEFAULT_SCOPES)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if scopes.is_empty() {
        return Err(ConfigError::invalid(
            "scopes",
            "must list at least one scope",
        ));
    }
    Ok(scopes)
}

fn parse_auth_flow(value: Option<&str>) -> Result<AuthFlow, ConfigError> {
    match value.unwrap_or("client_credentials") {
        "client_credentials" => Ok(AuthFlow::ClientCredentials),
        "access_key" => Ok(AuthFlow::AccessKey),
        other => Err(ConfigError::invalid(
            "auth_flow",
            format!("`{other}` is not `client_credentials` or `access_key`"),
        )),
    }
}

fn parse_client_auth(value: Option<&str>) -> Result<ClientAuth, ConfigError> {
    match value.unwrap_or("form") {
        "form" => Ok(ClientAuth::Form),
        "basic" => Ok(ClientAuth::Basic),
        other => Err(ConfigError::invalid(
            "client_auth",
            format!("`{other}` is not `form` or `basic`"),
        )),
    }
}

fn parse_auto_approve(value: &str) -> Result<AutoApprove, ConfigError> {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if compact == "none" {
        return Ok(AutoApprove::Off);
    }
    let threshold = compact
        .strip_prefix("score>=")
        .and_then(|x| x.parse::<f32>().ok())
        .filter(|x| x.is_finite() && (0.0..=1.0).contains(x));
    threshold.map(AutoApprove::ScoreAtLeast).ok_or_else(|| {
        ConfigError::invalid(
            "pipeline.auto_approve",
            format!("`{value}` is not `none` or `score>=X` with X in 0..=1"),
        )
    })
}

fn unit_interval(field: &str, value: f32) -> Result<f32, ConfigError> {
    if value.is_finite() && (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::invalid(
            field,
            format!("{value} must be between 0 and 1"),
        ))
    }
}

fn in_range<T>(field: &str, value: T, range: std::ops::RangeInclusive<T>) -> Result<T, ConfigError>
where
    T: PartialOrd + std::fmt::Display,
{
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::invalid(
            field,
            format!(
                "{value} must be between {} and {}",
                range.start(),
                range.end()
            ),
        ))
    }
}

fn secs(
    field: &str,
    value: Option<u64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    in_range(field, value.unwrap_or(default), range).map(Duration::from_secs)
}

#[cfg(test)]
mod tests;
