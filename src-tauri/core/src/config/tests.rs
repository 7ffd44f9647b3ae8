//! Unit tests of configuration loading and validation.

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_derive_from_tenant() {
    let config = Config::load(None, &env(&[("SUPERVISOR_ASSIST_TENANT", "acme")])).unwrap();
    assert_eq!(config.base_url.as_str(), "https://acme.cxone.com/");
    assert_eq!(
        config.token_url.as_str(),
        "https://acme.cxone.com/oauth/token"
    );
    assert_eq!(
        config.events_url.as_str(),
        "wss://acme.cxone.com/api/v2/interactions/events"
    );
    assert_eq!(config.scopes, DEFAULT_SCOPES);
    assert_eq!(
        config.ranking,
        RankingConfig {
            dense_weight: 0.6,
            bm25_weight: 0.4,
            top_k: 3
        }
    );
    assert_eq!(config.pipeline.min_score, 0.35);
    assert_eq!(config.pipeline.debounce, Duration::from_millis(300));
    assert_eq!(config.pipeline.auto_approve, AutoApprove::Off);
    assert_eq!(
        config.pipeline.window_max_age, None,
        "age limit off by default"
    );
    assert_eq!(config.ping_interval, Duration::from_secs(20));
    assert_eq!(config.auth_flow, AuthFlow::ClientCredentials);
}

#[test]
fn toml_keys_and_env_overrides() {
    let mut raw = RawConfig::from_toml(
        "tenant = \"acme\"\nbase_url = \"http://127.0.0.1:8080/x\"\n[ranking]\ntop_k = 5\n[pipeline]\nauto_approve = \"score>=0.9\"\n",
    )
    .unwrap();
    raw.apply_env(&env(&[
        ("SUPERVISOR_ASSIST_RANKING_TOP_K", "7"),
        ("SUPERVISOR_ASSIST_PIPELINE_WINDOW_SECONDS", "90"),
        ("SUPERVISOR_ASSIST_UNRELATED", "x"),
    ]))
    .unwrap();
    let config = raw.validate().unwrap();
    assert_eq!(
        config.pipeline.window_max_age,
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        config.token_url.as_str(),
        "http://127.0.0.1:8080/x/oauth/token"
    );
    assert_eq!(config.ranking.top_k, 7);
    assert_eq!(config.pipeline.auto_approve, AutoApprove::ScoreAtLeast(0.9));
}

#[test]
fn access_key_flow_defaults_to_cxone_token_url() {
    let config = Config::load(
        None,
        &env(&[
            ("SUPERVISOR_ASSIST_TENANT", "a"),
            ("SUPERVISOR_ASSIST_AUTH_FLOW", "access_key"),
        ]),
    )
    .unwrap();
    assert_eq!(config.token_url.as_str(), ACCESS_KEY_TOKEN_URL);
}

#[test]
fn every_bad_value_names_its_field() {
    let cases = [
        ("SUPERVISOR_ASSIST_BASE_URL", "not a url", "base_url"),
        ("SUPERVISOR_ASSIST_EVENTS_URL", "https://x/y", "events_url"),
        ("SUPERVISOR_ASSIST_RANKING_TOP_K", "0", "ranking.top_k"),
        ("SUPERVISOR_ASSIST_RANKING_TOP_K", "three", "ranking.top_k"),
        (
            "SUPERVISOR_ASSIST_RANKING_DENSE_WEIGHT",
            "1.5",
            "ranking.dense_weight",
        ),
        (
            "SUPERVISOR_ASSIST_PIPELINE_MIN_SCORE",
            "NaN",
            "pipeline.min_score",
        ),
        (
            "SUPERVISOR_ASSIST_PIPELINE_AUTO_APPROVE",
            "always",
            "pipeline.auto_approve",
        ),
        ("SUPERVISOR_ASSIST_AUTH_FLOW", "magic", "auth_flow"),
        ("SUPERVISOR_ASSIST_CLIENT_AUTH", "digest", "client_auth"),
        ("SUPERVISOR_ASSIST_TENANT", "bad tenant", "tenant"),
    ];
    for (key, value, field) in cases {
        let err = Config::load(
            None,
            &env(&[("SUPERVISOR_ASSIST_TENANT", "acme"), (key, value)]),
        )
        .unwrap_err();
        assert_eq!(err.field(), Some(field), "{key}={value}: {err}");
        assert!(err.to_string().contains(field));
    }
}

#[test]
fn missing_tenant_is_named() {
    let err = Config::load(None, &HashMap::new()).unwrap_err();
    assert_eq!(err.field(), Some("tenant"));
}

#[test]
fn unknown_or_mistyped_toml_key_names_the_key() {
    let err = RawConfig::from_toml("[ranking]\ntopk = 3\n").unwrap_err();
    assert!(err.contains("topk"), "{err}");
    let err = RawConfig::from_toml("kb_poll_interval_secs = \"soon\"\n").unwrap_err();
    assert!(err.contains("kb_poll_interval_secs"), "{err}");
}

#[test]
fn file_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    assert!(matches!(
        Config::load(Some(&path), &HashMap::new()),
        Err(ConfigError::Read { .. })
    ));
    std::fs::write(&path, "tenant = \"acme\"\nranking = 3\n").unwrap();
    let err = Config::load(Some(&path), &HashMap::new()).unwrap_err();
    assert!(
        matches!(err, ConfigError::Syntax { .. }) && err.to_string().contains("ranking"),
        "{err}"
    );
}
