//! In-process audio encoders for speech on demand: 16-bit WAV, raw PCM16, G.711 μ-law,
//! Ogg/Opus and MP3, each at a caller-chosen sample rate.
//!
//! Why in process: an ffmpeg subprocess per request costs a fork and a pipe round trip and
//! adds a system dependency; these encoders are pure Rust (Opus, resampler) or bundled C (LAME),
//! and all build offline. Why a streaming encoder: `/v1/audio/speech` and the WebSocket
//! sessions send audio as sentences finish, so every format emits bytes per pushed sentence,
//! and the concatenation of everything emitted is one valid file. WAV, whose header holds the
//! length, starts with a streaming header ("to the end"); the cache stores the same bytes with
//! the true sizes written in ([`StreamEncoder::size_patches`]), every other format exactly the
//! bytes sent.

pub mod mp3;
pub mod mulaw;
pub mod opus;
pub mod resample;
pub mod wav;

use crate::audio::wav::{encode_wav_pcm16, WavError};
use resample::Resampler;

/// An output format of the speech endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// RIFF WAV, 16-bit signed PCM, mono.
    Wav,
    /// Headerless 16-bit signed little-endian PCM, mono.
    Pcm16,
    /// Headerless G.711 μ-law, 8 bits per sample, mono.
    Mulaw,
    /// Ogg-encapsulated Opus (RFC 7845), always 48 kHz inside.
    Opus,
    /// MPEG-1/2 Layer III, mono, constant bit rate.
    Mp3,
}

/// Why audio could not be encoded (or the request cannot be met).
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The format cannot produce this sample rate.
    #[error("{0}")]
    UnsupportedRate(String),
    #[error(transparent)]
    Wav(#[from] WavError),
    /// An encoder or the resampler failed.
    #[error("{0}")]
    Encoder(String),
}

/// Rates an MP3 stream can carry (MPEG-1, 2 and 2.5).
pub const MP3_RATES: [u32; 9] = [
    8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000,
];

/// Highest rate accepted for the PCM-style formats (arbitrary but generous).
pub const MAX_SAMPLE_RATE: u32 = 192_000;

impl AudioFormat {
    /// Every format, in the order `/metadata` lists them.
    pub const ALL: [AudioFormat; 5] = [
        AudioFormat::Wav,
        AudioFormat::Pcm16,
        AudioFormat::Mulaw,
        AudioFormat::Opus,
        AudioFormat::Mp3,
    ];

    /// Parse a format name as the session API spells it (`pcm`, `ulaw` accepted as aliases).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "wav" => Some(AudioFormat::Wav),
            "pcm16" | "pcm" | "pcm_s16le" => Some(AudioFormat::Pcm16),
            "mulaw" | "ulaw" | "mu-law" | "pcm_mulaw" => Some(AudioFormat::Mulaw),
            "opus" | "ogg" => Some(AudioFormat::Opus),
            "mp3" => Some(AudioFormat::Mp3),
            _ => None,
        }
    }

    /// Canonical name (part of the cache key).
    pub fn as_str(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Pcm16 => "pcm16",
            AudioFormat::Mulaw => "mulaw",
            AudioFormat::Opus => "opus",
            AudioFormat::Mp3 => "mp3",
        }
    }

    /// File extension of cached audio.
    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Pcm16 => "pcm",
            AudioFormat::Mulaw => "ulaw",
            AudioFormat::Opus => "opus",
            AudioFormat::Mp3 => "mp3",
        }
    }

    /// MIME type of a response body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Pcm16 => "audio/L16",
            AudioFormat::Mulaw => "audio/basic",
            AudioFormat::Opus => "audio/ogg",
            AudioFormat::Mp3 => "audio/mpeg",
        }
    }

    /// Whether the bytes sent while the audio is made are the bytes stored for later requests.
    /// Not for WAV: the stored copy has its true sizes written over the streaming header.
    pub fn streams_stored_bytes(self) -> bool {
        !matches!(self, AudioFormat::Wav)
    }

    /// The rate the output actually has for a requested rate, or why it cannot.
    /// Opus always runs at 48 kHz (its decoders output 48 kHz); MP3 needs an MPEG rate.
    pub fn output_rate(self, requested: u32) -> Result<u32, AudioError> {
        if requested == 0 || requested > MAX_SAMPLE_RATE {
            return Err(AudioError::UnsupportedRate(format!(
                "sample rate must be between 1 and {MAX_SAMPLE_RATE} Hz"
            )));
        }
        match self {
            AudioFormat::Opus => Ok(opus::OPUS_RATE),
            AudioFormat::Mp3 if !MP3_RATES.contains(&requested) => {
                Err(AudioError::UnsupportedRate(format!(
                    "mp3 supports sample rates {MP3_RATES:?} Hz, not {requested}"
                )))
            }
            _ => Ok(requested),
        }
    }
}

enum Inner {
    /// WAV sent as it is made: a streaming header first (its sizes say "to the end"), then
    /// 16-bit samples; [`StreamEncoder::size_patches`] gives the true sizes for the stored copy.
    Wav {
        started: bool,
        data_bytes: u64,
    },
    Pcm16,
    Mulaw,
    Opus(Box<opus::OpusStream>),
    Mp3(Box<mp3::Mp3Stream>),
}

/// Encodes pushed blocks of engine audio into one continuous file of `format`.
pub struct StreamEncoder {
    format: AudioFormat,
    out_rate: u32,
    resampler: Resampler,
    inner: Inner,
}

impl std::fmt::Debug for StreamEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamEncoder")
            .field("format", &self.format)
            .field("out_rate", &self.out_rate)
            .finish()
    }
}

impl StreamEncoder {
    /// An encoder from `in_rate` engine audio to `format` at (about) `requested_rate`;
    /// see [`AudioFormat::output_rate`].
    pub fn new(format: AudioFormat, in_rate: u32, requested_rate: u32) -> Result<Self, AudioError> {
        let out_rate = format.output_rate(requested_rate)?;
        let resampler = Resampler::new(in_rate, out_rate)?;
        let inner = match format {
            AudioFormat::Wav => Inner::Wav {
                started: false,
                data_bytes: 0,
            },
            AudioFormat::Pcm16 => Inner::Pcm16,
            AudioFormat::Mulaw => Inner::Mulaw,
            AudioFormat::Opus => Inner::Opus(Box::new(opus::OpusStream::new()?)),
            AudioFormat::Mp3 => Inner::Mp3(Box::new(mp3::Mp3Stream::new(out_rate)?)),
        };
        Ok(StreamEncoder {
            format,
            out_rate,
            resampler,
            inner,
        })
    }

    /// Rate of the encoded audio.
    pub fn out_rate(&self) -> u32 {
        self.out_rate
    }

    pub fn format(&self) -> AudioFormat {
        self.format
    }

    /// Encode one block (e.g. a sentence) at the input rate; returns the bytes ready now.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        let resampled = self.resampler.process(samples)?;
        match &mut self.inner {
            Inner::Wav {
                started,
                data_bytes,
            } => {
                let mut out = Vec::with_capacity(wav::HEADER_BYTES + resampled.len() * 2);
                if !*started {
                    out.extend_from_slice(&wav::header(self.out_rate, None));
                    *started = true;
                }
                out.extend(resampled.iter().flat_map(|s| to_i16(*s).to_le_bytes()));
                *data_bytes += (resampled.len() * 2) as u64;
                Ok(out)
            }
            Inner::Pcm16 => Ok(resampled
                .iter()
                .flat_map(|s| to_i16(*s).to_le_bytes())
                .collect()),
            Inner::Mulaw => Ok(resampled
                .iter()
                .map(|s| mulaw::encode(to_i16(*s)))
                .collect()),
            Inner::Opus(stream) => stream.push(&resampled),
            Inner::Mp3(stream) => stream.push(&resampled),
        }
    }

    /// What to write over the bytes already emitted, counted from the start, once
    /// every block is pushed, so a stored copy is exact: a WAV's true sizes in its streaming
    /// header. Nothing for the other formats, or before anything was pushed.
    pub fn size_patches(&self) -> Vec<wav::Patch> {
        match self.inner {
            Inner::Wav {
                started: true,
                data_bytes,
            } => wav::size_patches(data_bytes),
            _ => Vec::new(),
        }
    }

    /// Flush the encoder; returns the final bytes.
    pub fn finish(self) -> Result<Vec<u8>, AudioError> {
        match self.inner {
            Inner::Wav { started: true, .. } => Ok(Vec::new()),
            Inner::Wav { started: false, .. } => Ok(encode_wav_pcm16(&[], self.out_rate)?),
            Inner::Pcm16 | Inner::Mulaw => Ok(Vec::new()),
            Inner::Opus(stream) => stream.finish(),
            Inner::Mp3(stream) => stream.finish(),
        }
    }
}

/// Encode a whole clip in one go.
pub fn encode(
    format: AudioFormat,
    samples: &[f32],
    in_rate: u32,
    requested_rate: u32,
) -> Result<Vec<u8>, AudioError> {
    let mut encoder = StreamEncoder::new(format, in_rate, requested_rate)?;
    let mut out = encoder.push(samples)?;
    for patch in encoder.size_patches() {
        patch.apply(&mut out);
    }
    out.extend(encoder.finish()?);
    Ok(out)
}

/// Float sample → 16-bit PCM (clamped; NaN is silence), symmetric scaling
/// by 32767: the one conversion every encoder and the WAV writer use.
pub(crate) fn to_i16(sample: f32) -> i16 {
    let s = if sample.is_nan() {
        0.0
    } else {
        sample.clamp(-1.0, 1.0)
    };
    // In range by construction: |s · 32767| ≤ 32767.
    (s * f32::from(i16::MAX)).round() as i16
}

#[cfg(test)]
mod tests;
