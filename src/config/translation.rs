//! Item translations (issue 23, addendum §5): which provider translates an
//! item's text, into which languages, and where the provider is. Off by
//! default (`none`): a self-hoster turns it on with a LibreTranslate URL or
//! Google credentials. Google reuses the TTS engine's credentials
//! (`GOOGLE_APPLICATION_CREDENTIALS` / `GOOGLE_API_KEY`); timeouts, retries
//! and the circuit breaker are the TTS engines' (`TTS_REQUEST_TIMEOUT_SECONDS`…).

use std::fmt;

use super::{invalid, parse_language_list, redacted, Raw, SettingsError};

/// Which service translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranslationProviderKind {
    /// Translation is off: the POST routes answer 503.
    None,
    /// Google Cloud Translation, Basic edition (v2).
    Google,
    /// A LibreTranslate server (self-hosted, open source).
    LibreTranslate,
}

impl TranslationProviderKind {
    /// The `TRANSLATION_PROVIDER` spelling, also stored with each translation.
    pub fn name(self) -> &'static str {
        match self {
            TranslationProviderKind::None => "none",
            TranslationProviderKind::Google => "google",
            TranslationProviderKind::LibreTranslate => "libretranslate",
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct TranslationSettings {
    /// `TRANSLATION_PROVIDER`: `google`, `libretranslate` or `none` (default).
    pub provider: TranslationProviderKind,
    /// `TRANSLATION_SUPPORTED_LANGUAGES`: target languages a translation
    /// may be asked for (exact, case-sensitive codes).
    pub supported_languages: Vec<String>,
    /// `GOOGLE_TRANSLATE_ENDPOINT`: base URL of the v2 API.
    pub google_endpoint: String,
    /// `LIBRETRANSLATE_URL`: base URL of the LibreTranslate server.
    pub libretranslate_url: Option<String>,
    /// `LIBRETRANSLATE_API_KEY` (secret), for servers that require one.
    pub libretranslate_api_key: Option<String>,
}

impl fmt::Debug for TranslationSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TranslationSettings")
            .field("provider", &self.provider)
            .field("supported_languages", &self.supported_languages)
            .field("google_endpoint", &self.google_endpoint)
            .field("libretranslate_url", &self.libretranslate_url)
            .field(
                "libretranslate_api_key",
                &redacted(&self.libretranslate_api_key),
            )
            .finish()
    }
}

pub(super) fn parse_translation(raw: &Raw) -> Result<TranslationSettings, SettingsError> {
    let provider = match raw
        .get("translation_provider")?
        .trim()
        .to_lowercase()
        .as_str()
    {
        "" | "none" | "off" => TranslationProviderKind::None,
        "google" | "gcp" => TranslationProviderKind::Google,
        "libretranslate" | "libre" => TranslationProviderKind::LibreTranslate,
        _ => {
            return Err(invalid(
                "translation_provider",
                "expected one of google, libretranslate, none",
            ))
        }
    };
    let supported_languages = parse_language_list(
        "translation_supported_languages",
        &raw.get("translation_supported_languages")?,
    )?;
    let libretranslate_url = raw
        .optional("libretranslate_url")
        .map(|u| u.trim().trim_end_matches('/').to_string());
    if let Some(url) = &libretranslate_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(invalid(
                "libretranslate_url",
                "expected an http:// or https:// URL",
            ));
        }
    }
    if provider == TranslationProviderKind::LibreTranslate && libretranslate_url.is_none() {
        return Err(invalid(
            "libretranslate_url",
            "required when TRANSLATION_PROVIDER=libretranslate",
        ));
    }
    Ok(TranslationSettings {
        provider,
        supported_languages,
        google_endpoint: raw
            .get("google_translate_endpoint")?
            .trim()
            .trim_end_matches('/')
            .to_string(),
        libretranslate_url,
        libretranslate_api_key: raw
            .optional("libretranslate_api_key")
            .map(|k| k.trim().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    use super::*;

    fn translation(vars: &[(&str, &str)]) -> Result<TranslationSettings, SettingsError> {
        Settings::from_vars(vars.iter().copied()).map(|s| s.translation)
    }

    #[test]
    fn defaults_are_off_with_the_originals_languages() {
        let t = translation(&[]).unwrap();
        assert_eq!(t.provider, TranslationProviderKind::None);
        assert_eq!(t.supported_languages, ["en", "fi", "zh-CN", "zh-TW"]);
        assert_eq!(t.google_endpoint, "https://translation.googleapis.com");
    }

    #[test]
    fn libretranslate_needs_a_url_and_hides_its_key() {
        assert!(translation(&[("TRANSLATION_PROVIDER", "libretranslate")]).is_err());
        let t = translation(&[
            ("TRANSLATION_PROVIDER", "LibreTranslate"),
            ("LIBRETRANSLATE_URL", "http://127.0.0.1:5000/"),
            ("LIBRETRANSLATE_API_KEY", "sekrit"),
            ("TRANSLATION_SUPPORTED_LANGUAGES", "en,sv"),
        ])
        .unwrap();
        assert_eq!(t.provider, TranslationProviderKind::LibreTranslate);
        assert_eq!(
            t.libretranslate_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(t.supported_languages, ["en", "sv"]);
        assert!(!format!("{t:?}").contains("sekrit"));
        assert!(translation(&[("TRANSLATION_PROVIDER", "deepl")]).is_err());
    }
}
