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
fn plain_http_and_ws_are_refused_except_for_loopback_hosts() {
    for (key, value, field) in [
        (
            "SUPERVISOR_ASSIST_BASE_URL",
            "http://acme.example",
            "base_url",
        ),
        (
            "SUPERVISOR_ASSIST_TOKEN_URL",
            "http://10.0.0.5/oauth/token",
            "token_url",
        ),
        (
            "SUPERVISOR_ASSIST_EVENTS_URL",
            "ws://acme.example/events",
            "events_url",
        ),
        (
            "SUPERVISOR_ASSIST_BASE_URL",
            "http://127.0.0.1.example",
            "base_url",
        ),
    ] {
        let err = Config::load(
            None,
            &env(&[("SUPERVISOR_ASSIST_TENANT", "acme"), (key, value)]),
        )
        .unwrap_err();
        assert_eq!(err.field(), Some(field), "{key}={value}: {err}");
        assert!(err.to_string().contains("unencrypted"), "{err}");
    }
    for (key, value) in [
        ("SUPERVISOR_ASSIST_BASE_URL", "http://127.0.0.1:8080"),
        ("SUPERVISOR_ASSIST_BASE_URL", "http://localhost:8080"),
        ("SUPERVISOR_ASSIST_TOKEN_URL", "http://[::1]:9/oauth/token"),
        ("SUPERVISOR_ASSIST_EVENTS_URL", "ws://127.0.0.2:9/events"),
    ] {
        let loaded = Config::load(
            None,
            &env(&[("SUPERVISOR_ASSIST_TENANT", "acme"), (key, value)]),
        );
        assert!(loaded.is_ok(), "{key}={value}: {loaded:?}");
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

#[test]
fn config_errors_echo_secrets_never_the_value_or_the_line() {
    const SECRET: &str = "S3cr3t-Value";
    // (config text, what the error must say).
    let cases: &[(String, &[&str])] = &[
        (
            format!("tenant = \"acme\"\nclient_secret = \"{SECRET}\"\n"),
            &["line 2", "`client_secret`", "unknown key"],
        ),
        (
            format!("[ranking]\ntop_k = \"{SECRET}\"\n"),
            &[
                "line 2",
                "`ranking.top_k`",
                "wrong type, expected a whole number",
            ],
        ),
        (
            format!("kb_poll_interval_secs = \"{SECRET}\"\n"),
            &["line 1", "`kb_poll_interval_secs`", "wrong type"],
        ),
        (
            format!("ranking = {{ dense_weight = 0.5, top_k = \"{SECRET}\" }}\n"),
            &["line 1", "`ranking.top_k`", "wrong type"],
        ),
        (
            // A string before the bad value on the same line cannot be taken for a key.
            format!(
                "pipeline = {{ auto_approve = \"k,{SECRET}={{\", min_score = \"{SECRET}\" }}\n"
            ),
            &["line 1", "`pipeline.min_score`", "expected a number"],
        ),
        (
            format!("tenant = \"acme\"\nclient_secret = {SECRET}\n"),
            &["line 2", "`client_secret`", "in quotes"],
        ),
        (
            format!("client_secret \"{SECRET}\"\n"),
            &["line 1", "`client_secret`", "expected `=`"],
        ),
        (
            format!("tenant = \"acme\"\n\nclient_secret = \"{SECRET}\n"),
            &["line 3", "`client_secret`", "string"],
        ),
        (
            format!("tenant = \"acme\"\ntenant = \"{SECRET}\"\n"),
            &["line 2", "`tenant`", "duplicate key"],
        ),
        (
            "[ranking]\ntop_k = -3\n".to_owned(),
            &["line 2", "`ranking.top_k`", "invalid value"],
        ),
    ];
    for (text, expected) in cases {
        let err = RawConfig::from_toml(text).unwrap_err();
        for part in *expected {
            assert!(err.contains(part), "{text:?}: {err:?} lacks {part:?}");
        }
        assert!(!err.contains("S3cr3t"), "{text:?}: {err:?}");
        assert!(!err.contains('\n') && !err.contains('|'), "{err:?}");
    }
    // A secret pasted on a line of its own parses as a key; it is not shown as one.
    for pasted in ["dGhpc2lzU2VjcmV0==", "hunter2 = ", "S3cr3tValue"] {
        let err = RawConfig::from_toml(&format!("tenant = \"acme\"\n{pasted}\n")).unwrap_err();
        let shown = pasted.trim_end_matches([' ', '=']);
        assert!(err.contains("line 2") && !err.contains(shown), "{err:?}");
    }
    // Through the file: the path, the line and the key, not the value.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!("tenant = \"acme\"\nclient_secret = \"{SECRET}\"\n"),
    )
    .unwrap();
    let err = Config::load(Some(&path), &HashMap::new())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("config.toml") && err.contains("line 2") && err.contains("client_secret"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}
