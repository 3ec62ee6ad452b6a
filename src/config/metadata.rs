//! `GET /metadata` (contract addendum §6): the schema version the frontend
//! checks, how long the static sections are cached, the build identity an
//! image may inject at run time, and extra links. Variable names and
//! defaults are the original's.

use std::time::Duration;

use super::{invalid, Raw, SettingsError};

/// Cache lifetime used when `METADATA_CACHE_TTL_SECONDS` is 0 or negative.
const DEFAULT_CACHE_TTL_SECONDS: u64 = 60;

/// What `/metadata` reports besides what other settings already say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataSettings {
    /// `ENVIRONMENT` as configured (`service.environment`), e.g. `production`.
    pub environment: String,
    /// `METADATA_SCHEMA_VERSION` (`service.schema_version`), default `2025-11-22`.
    pub schema_version: String,
    /// `METADATA_CACHE_TTL_SECONDS`: everything but `runtime` is computed at
    /// most once per this long (≤ 0 → 60 s).
    pub cache_ttl: Duration,
    /// `METADATA_COMMIT_SHA`, else `BUILD_COMMIT_SHA`.
    pub commit_sha: Option<String>,
    /// `METADATA_BUILD_BRANCH`, else `BUILD_BRANCH`.
    pub build_branch: Option<String>,
    /// `METADATA_BUILD_TIMESTAMP`, else `BUILD_TIMESTAMP`.
    pub build_timestamp: Option<String>,
    /// `METADATA_ADDITIONAL_LINKS`: a JSON object of strings merged into
    /// `links` (same keys replace the built-in ones), in the given order.
    pub additional_links: Vec<(String, String)>,
}

pub(super) fn parse_metadata(raw: &Raw) -> Result<MetadataSettings, SettingsError> {
    let schema_version = raw.get("metadata_schema_version")?.trim().to_string();
    if schema_version.is_empty() {
        return Err(invalid(
            "metadata_schema_version",
            "expected a version such as 2025-11-22",
        ));
    }
    let ttl = raw
        .get("metadata_cache_ttl_seconds")?
        .trim()
        .parse::<i64>()
        .map_err(|_| invalid("metadata_cache_ttl_seconds", "expected whole seconds"))?;
    let ttl = u64::try_from(ttl)
        .ok()
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_CACHE_TTL_SECONDS);
    let either = |primary: &str, fallback: &str| {
        raw.optional(primary)
            .or_else(|| raw.optional(fallback))
            .map(|v| v.trim().to_string())
    };
    Ok(MetadataSettings {
        environment: raw.get("environment")?.trim().to_string(),
        schema_version,
        cache_ttl: Duration::from_secs(ttl),
        commit_sha: either("metadata_commit_sha", "build_commit_sha"),
        build_branch: either("metadata_build_branch", "build_branch"),
        build_timestamp: either("metadata_build_timestamp", "build_timestamp"),
        additional_links: parse_links(&raw.get("metadata_additional_links")?)?,
    })
}

/// `{"name": "url", …}`; blank means none.
fn parse_links(value: &str) -> Result<Vec<(String, String)>, SettingsError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let expected = || {
        invalid(
            "metadata_additional_links",
            "expected a JSON object of strings such as {\"frontend\": \"https://example.org\"}",
        )
    };
    let object = match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => return Err(expected()),
    };
    object
        .into_iter()
        .map(|(name, url)| match url {
            serde_json::Value::String(url) => Ok((name, url)),
            _ => Err(expected()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::Settings;
    use super::*;

    fn metadata(vars: &[(&str, &str)]) -> MetadataSettings {
        Settings::from_vars(vars.iter().copied()).unwrap().metadata
    }

    #[test]
    fn defaults_are_the_originals() {
        let m = metadata(&[]);
        assert_eq!(m.environment, "development");
        assert_eq!(m.schema_version, "2025-11-22");
        assert_eq!(m.cache_ttl, Duration::from_secs(60));
        assert_eq!(m.commit_sha, None);
        assert_eq!(m.build_branch, None);
        assert_eq!(m.build_timestamp, None);
        assert!(m.additional_links.is_empty());
    }

    #[test]
    fn metadata_variables_win_over_build_variables() {
        let m = metadata(&[
            ("BUILD_COMMIT_SHA", "build-sha"),
            ("METADATA_COMMIT_SHA", "meta-sha"),
            ("BUILD_BRANCH", "main"),
            ("BUILD_TIMESTAMP", "2025-11-28T09:00:00+00:00"),
        ]);
        assert_eq!(m.commit_sha.as_deref(), Some("meta-sha"));
        assert_eq!(m.build_branch.as_deref(), Some("main"));
        assert_eq!(
            m.build_timestamp.as_deref(),
            Some("2025-11-28T09:00:00+00:00")
        );
    }

    #[test]
    fn a_ttl_of_zero_or_less_means_sixty_seconds() {
        for (raw, secs) in [("0", 60), ("-5", 60), ("1", 1), ("300", 300)] {
            let m = metadata(&[("METADATA_CACHE_TTL_SECONDS", raw)]);
            assert_eq!(m.cache_ttl, Duration::from_secs(secs), "{raw}");
        }
    }

    #[test]
    fn links_keep_their_order() {
        let m = metadata(&[(
            "METADATA_ADDITIONAL_LINKS",
            r#"{"zeta": "/z", "docs": "https://docs.example", "alpha": "/a"}"#,
        )]);
        let names: Vec<&str> = m.additional_links.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["zeta", "docs", "alpha"]);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("METADATA_CACHE_TTL_SECONDS", "soon"),
            ("METADATA_ADDITIONAL_LINKS", "[\"/x\"]"),
            ("METADATA_ADDITIONAL_LINKS", "{\"x\": 1}"),
            ("METADATA_ADDITIONAL_LINKS", "{not json"),
            ("METADATA_SCHEMA_VERSION", " "),
        ] {
            let err = Settings::from_vars([(name, value)])
                .unwrap_err()
                .to_string();
            assert!(err.contains(name), "{name}={value}: {err}");
        }
    }
}
