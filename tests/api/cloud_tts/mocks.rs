//! Stand-ins for the cloud TTS APIs: audio bodies in each provider's format,
//! a throwaway RSA key generated at test time (never a real credential), a
//! service-account file pointing at the mock token endpoint, and the mocks
//! themselves. Shared by the API tests and `tests/providers.rs`.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine as _;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const AZURE_KEY: &str = "test-azure-key-do-not-leak";
pub const GOOGLE_API_KEY: &str = "test-google-key-do-not-leak";
pub const ACCESS_TOKEN: &str = "ya29.test-access-token-do-not-leak";
pub const CLIENT_EMAIL: &str = "tts-test@example-project.iam.gserviceaccount.com";
pub const AZURE_PATH: &str = "/cognitiveservices/v1";
pub const GOOGLE_PATH: &str = "/v1/text:synthesize";
pub const TOKEN_PATH: &str = "/token";

/// (PKCS#8 private key PEM, SPKI public key PEM), generated once per test binary.
pub fn test_key() -> &'static (String, String) {
    static KEY: OnceLock<(String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("rsa key");
        let public = rsa::RsaPublicKey::from(&private);
        (
            private
                .to_pkcs8_pem(LineEnding::LF)
                .expect("pkcs8 pem")
                .to_string(),
            public.to_public_key_pem(LineEnding::LF).expect("spki pem"),
        )
    })
}

/// A service-account key file like the ones Google issues, with our token URI.
pub fn write_service_account(dir: &Path, token_uri: &str) -> PathBuf {
    let file = dir.join("google-credentials.json");
    let body = json!({
        "type": "service_account",
        "project_id": "example-project",
        "private_key_id": "test-key-id",
        "private_key": test_key().0,
        "client_email": CLIENT_EMAIL,
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    });
    std::fs::write(&file, serde_json::to_vec_pretty(&body).unwrap()).unwrap();
    file
}

/// A recognisable ramp of `n` samples.
pub fn samples(n: usize) -> Vec<i16> {
    (0..n).map(|i| ((i % 200) as i16 - 100) * 100).collect()
}

/// Bare little-endian PCM, as Azure's `raw-*` formats return.
pub fn pcm_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// A 16-bit mono WAV, as Google's LINEAR16 returns.
pub fn wav_bytes(samples: &[i16], rate: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
        for s in samples {
            w.write_sample(*s).unwrap();
        }
        w.finalize().unwrap();
    }
    cursor.into_inner()
}

/// Google's JSON reply carrying `samples` at `rate`.
pub fn google_audio(samples: &[i16], rate: u32) -> ResponseTemplate {
    let audio = base64::engine::general_purpose::STANDARD.encode(wav_bytes(samples, rate));
    ResponseTemplate::new(200).set_body_json(json!({ "audioContent": audio }))
}

/// Azure's reply carrying `samples`.
pub fn azure_audio(samples: &[i16]) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "audio/x-wav")
        .set_body_bytes(pcm_bytes(samples))
}

/// The token endpoint, answering any well-formed JWT-bearer grant.
pub async fn mount_token_endpoint(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ACCESS_TOKEN,
            "expires_in": 3599,
            "token_type": "Bearer",
        })))
        .mount(server)
        .await;
}

/// Requests the server received on `path`.
pub async fn requests_to(server: &MockServer, wanted: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == wanted)
        .collect()
}

pub fn body_json(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("JSON body")
}

pub fn header_str<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Check a token request: a JWT-bearer grant whose RS256 assertion verifies
/// with the test key and carries the claims Google requires.
pub fn assert_valid_token_request(request: &Request, token_uri: &str) {
    let form: Vec<(String, String)> = form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| {
        form.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("form field {k}"))
    };
    assert_eq!(
        get("grant_type"),
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let assertion = get("assertion");
    let header = jsonwebtoken::decode_header(&assertion).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some("test-key-id"));
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(test_key().1.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[token_uri]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    let claims = jsonwebtoken::decode::<Value>(&assertion, &key, &validation)
        .expect("assertion verifies with the service account's public key")
        .claims;
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/cloud-platform"
    );
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp - iat <= 3600 && exp > iat);
}
