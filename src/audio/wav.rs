//! WAV encoding of engine output.
//!
//! Why 16-bit PCM: every player and browser decodes it, it is half the size of float WAV, and
//! size-based duration estimates (`bytes / (rate · 2)`) are right for it. (The original service
//! wrote scipy's 32-bit float WAV; we deliberately do not copy that.)

use super::to_i16;
use std::io::Cursor;

/// Bytes of the canonical 16-bit PCM mono WAV header `hound` writes.
const HEADER_BYTES: usize = 44;

/// Why audio could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// A sample rate of 0 Hz.
    #[error("invalid sample rate 0 Hz")]
    ZeroSampleRate,
    /// More audio than a RIFF file can hold (4 GiB).
    #[error("audio too long for a WAV file ({0} samples)")]
    TooLong(usize),
    /// The encoder failed.
    #[error("WAV encoding failed: {0}")]
    Encode(#[from] hound::Error),
}

/// Sample rate and length in seconds of a WAV file held in memory (only
/// its header is parsed).
pub fn rate_and_seconds(wav: &[u8]) -> Result<(u32, f64), hound::Error> {
    let reader = hound::WavReader::new(Cursor::new(wav))?;
    let rate = reader.spec().sample_rate;
    Ok((rate, f64::from(reader.duration()) / f64::from(rate.max(1))))
}

/// Encodes mono `samples` (nominally in [-1, 1]; values outside are clamped, NaN becomes 0) as a
/// 16-bit PCM mono WAV file at `sample_rate` Hz.
pub fn encode_wav_pcm16(samples: &[f32], sample_rate: u32) -> Result<Vec<u8>, WavError> {
    if sample_rate == 0 {
        return Err(WavError::ZeroSampleRate);
    }
    let too_long = || WavError::TooLong(samples.len());
    let data_bytes = samples.len().checked_mul(2).ok_or_else(too_long)?;
    let total = data_bytes.checked_add(HEADER_BYTES).ok_or_else(too_long)?;
    if u32::try_from(total).is_err() {
        return Err(too_long());
    }
    let sample_count = u32::try_from(samples.len()).map_err(|_| too_long())?;

    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = Cursor::new(Vec::with_capacity(total));
    {
        let mut writer = hound::WavWriter::new(&mut cursor, spec)?;
        let mut pcm = writer.get_i16_writer(sample_count);
        for &s in samples {
            pcm.write_sample(to_i16(s));
        }
        pcm.flush()?;
        writer.finalize()?;
    }
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_samples() {
        let bytes =
            encode_wav_pcm16(&[0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -3.0, f32::NAN], 16_000).unwrap();
        assert_eq!(bytes.len(), 44 + 8 * 2);
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(&bytes[8..12], b"WAVE");
        assert_eq!(
            u16::from_le_bytes([bytes[20], bytes[21]]),
            1,
            "PCM format tag"
        );
        assert_eq!(u16::from_le_bytes([bytes[22], bytes[23]]), 1, "mono");
        assert_eq!(
            u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]),
            16_000
        );
        assert_eq!(
            u16::from_le_bytes([bytes[34], bytes[35]]),
            16,
            "bits per sample"
        );

        let mut reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        let decoded: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(
            decoded,
            vec![0, 16384, -16384, 32767, -32767, 32767, -32767, 0]
        );
    }

    #[test]
    fn empty_audio_is_a_valid_file() {
        let bytes = encode_wav_pcm16(&[], 22_050).unwrap();
        assert_eq!(bytes.len(), 44);
        let reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        assert_eq!(reader.spec().sample_rate, 22_050);
        assert_eq!(reader.len(), 0);
    }

    #[test]
    fn zero_rate_is_rejected() {
        assert!(matches!(
            encode_wav_pcm16(&[0.0], 0),
            Err(WavError::ZeroSampleRate)
        ));
    }
}
