//! WAV encoding of engine output.
//!
//! Why 16-bit PCM: every player and browser decodes it, it is half the size of float WAV, and
//! size-based duration estimates (`bytes / (rate · 2)`) are right for it. (The original service
//! wrote scipy's 32-bit float WAV; we deliberately do not copy that.)

use super::to_i16;
use std::io::Cursor;

/// Bytes of the canonical 16-bit PCM mono WAV header this module writes (the one `hound`
/// writes too).
pub const HEADER_BYTES: usize = 44;

/// Where the header holds the RIFF chunk's size and the data chunk's size.
const RIFF_SIZE_AT: usize = 4;
const DATA_SIZE_AT: usize = 40;

/// The sizes a header written before the length is known holds: "up to the end of the
/// stream", as ffmpeg writes to a pipe (players and browsers read such a file to its end). The
/// data size is the largest whole number of samples rather than ffmpeg's `0xFFFFFFFF`, which
/// strict readers (hound) refuse as half a sample.
const STREAMING_RIFF_SIZE: u32 = u32::MAX;
const STREAMING_DATA_SIZE: u32 = u32::MAX - 1;

/// Why audio could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// A sample rate of 0 Hz.
    #[error("invalid sample rate 0 Hz")]
    ZeroSampleRate,
    /// More audio than a RIFF file can hold (4 GiB).
    #[error("audio too long for a WAV file ({0} samples)")]
    TooLong(usize),
}

/// Sample rate and length in seconds of a WAV file held in memory (only
/// its header is parsed).
pub fn rate_and_seconds(wav: &[u8]) -> Result<(u32, f64), hound::Error> {
    let reader = hound::WavReader::new(Cursor::new(wav))?;
    let rate = reader.spec().sample_rate;
    Ok((rate, f64::from(reader.duration()) / f64::from(rate.max(1))))
}

/// The header of a 16-bit PCM mono WAV file at `sample_rate` Hz holding `data_bytes` bytes of
/// samples, or of a stream whose length is not known yet (`None`).
pub fn header(sample_rate: u32, data_bytes: Option<u32>) -> [u8; HEADER_BYTES] {
    let streaming = (STREAMING_RIFF_SIZE, STREAMING_DATA_SIZE);
    let (riff, data) = data_bytes
        .and_then(|data| sizes(u64::from(data)))
        .unwrap_or(streaming);
    let mut h = [0u8; HEADER_BYTES];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&riff.to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&1u16.to_le_bytes()); // mono
    h[24..28].copy_from_slice(&sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&sample_rate.wrapping_mul(2).to_le_bytes()); // bytes per second
    h[32..34].copy_from_slice(&2u16.to_le_bytes()); // bytes per frame
    h[34..36].copy_from_slice(&16u16.to_le_bytes()); // bits per sample
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

/// The RIFF and data chunk sizes of a file with `data_bytes` bytes of samples; `None` when
/// they do not fit a RIFF file (the streaming sizes then stay, which say "to the end").
fn sizes(data_bytes: u64) -> Option<(u32, u32)> {
    let data = u32::try_from(data_bytes).ok()?;
    let riff = u32::try_from(data_bytes + (HEADER_BYTES - 8) as u64).ok()?;
    Some((riff, data))
}

/// Bytes to write over ones already sent, `at` bytes from the start of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patch {
    pub at: u64,
    pub bytes: [u8; 4],
}

impl Patch {
    /// Write the patch into `file` (the file, or its start, in memory); false when the bytes it
    /// overwrites are not all there.
    pub fn apply(&self, file: &mut [u8]) -> bool {
        let field = usize::try_from(self.at)
            .ok()
            .and_then(|at| file.get_mut(at..at.checked_add(self.bytes.len())?));
        match field {
            Some(field) => {
                field.copy_from_slice(&self.bytes);
                true
            }
            None => false,
        }
    }

    /// Where the patch ends, from the start of the file.
    pub fn end(&self) -> u64 {
        self.at + self.bytes.len() as u64
    }
}

/// What to write over a streaming header once a stream of `data_bytes` bytes of samples has
/// ended, so the stored file has its true sizes; none when the sizes do not fit.
pub fn size_patches(data_bytes: u64) -> Vec<Patch> {
    match sizes(data_bytes) {
        Some((riff, data)) => vec![
            Patch {
                at: RIFF_SIZE_AT as u64,
                bytes: riff.to_le_bytes(),
            },
            Patch {
                at: DATA_SIZE_AT as u64,
                bytes: data.to_le_bytes(),
            },
        ],
        None => Vec::new(),
    }
}

/// Encodes mono `samples` (nominally in [-1, 1]; values outside are clamped, NaN becomes 0) as a
/// 16-bit PCM mono WAV file at `sample_rate` Hz.
pub fn encode_wav_pcm16(samples: &[f32], sample_rate: u32) -> Result<Vec<u8>, WavError> {
    if sample_rate == 0 {
        return Err(WavError::ZeroSampleRate);
    }
    let too_long = || WavError::TooLong(samples.len());
    let data_bytes = samples
        .len()
        .checked_mul(2)
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| sizes(u64::from(*d)).is_some())
        .ok_or_else(too_long)?;
    let mut out = Vec::with_capacity(HEADER_BYTES + data_bytes as usize);
    out.extend_from_slice(&header(sample_rate, Some(data_bytes)));
    out.extend(samples.iter().flat_map(|s| to_i16(*s).to_le_bytes()));
    Ok(out)
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
    fn header_is_the_one_hound_writes() {
        let samples = [0.25f32, -0.75, 0.0];
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 24_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cursor = Cursor::new(Vec::new());
        {
            let mut writer = hound::WavWriter::new(&mut cursor, spec).unwrap();
            for &s in &samples {
                writer.write_sample(to_i16(s)).unwrap();
            }
            writer.finalize().unwrap();
        }
        assert_eq!(
            encode_wav_pcm16(&samples, 24_000).unwrap(),
            cursor.into_inner()
        );
    }

    #[test]
    fn a_streaming_header_patched_with_its_sizes_is_the_exact_file() {
        let samples = [0.1f32; 1_000];
        let exact = encode_wav_pcm16(&samples, 16_000).unwrap();
        let mut streamed = header(16_000, None).to_vec();
        assert_eq!(&streamed[4..8], &[0xff; 4]);
        assert_eq!(&streamed[40..44], &[0xfe, 0xff, 0xff, 0xff]);
        // A strict reader takes it as a file of (at most) 2^31 - 1 samples.
        let reader = hound::WavReader::new(Cursor::new(streamed.clone())).unwrap();
        assert_eq!(reader.len(), u32::MAX / 2);
        streamed.extend_from_slice(&exact[HEADER_BYTES..]);
        assert_ne!(streamed, exact);
        for patch in size_patches(2_000) {
            assert!(patch.apply(&mut streamed));
        }
        assert_eq!(streamed, exact);
        assert!(
            size_patches(u64::from(u32::MAX)).is_empty(),
            "too long to say"
        );
    }

    #[test]
    fn zero_rate_is_rejected() {
        assert!(matches!(
            encode_wav_pcm16(&[0.0], 0),
            Err(WavError::ZeroSampleRate)
        ));
    }
}
