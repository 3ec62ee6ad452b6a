//! Sample-rate conversion with `rubato`'s FFT resampler (band-limited, so no aliasing when the
//! engine's 16 kHz becomes 8 kHz μ-law or 48 kHz Opus). Each pushed block is resampled as a
//! whole clip (`process_all` trims the filter delay), so block lengths scale exactly by the
//! rate ratio; the resampler is built once per stream because construction plans FFTs.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _};

use super::AudioError;

/// Converts mono blocks from one rate to another (a no-op when the rates match).
pub struct Resampler {
    inner: Option<Fft<f32>>,
}

impl Resampler {
    pub fn new(in_rate: u32, out_rate: u32) -> Result<Self, AudioError> {
        if in_rate == 0 || out_rate == 0 {
            return Err(AudioError::UnsupportedRate("sample rate 0 Hz".into()));
        }
        if in_rate == out_rate {
            return Ok(Resampler { inner: None });
        }
        let fft = Fft::<f32>::new(
            in_rate as usize,
            out_rate as usize,
            1024,
            1,
            FixedSync::Both,
        )
        .map_err(|e| AudioError::Encoder(format!("resampler: {e}")))?;
        Ok(Resampler { inner: Some(fft) })
    }

    /// Resample one block.
    pub fn process(&mut self, samples: &[f32]) -> Result<Vec<f32>, AudioError> {
        let Some(fft) = &mut self.inner else {
            return Ok(samples.to_vec());
        };
        if samples.is_empty() {
            return Ok(Vec::new());
        }
        let input = InterleavedSlice::new(samples, 1, samples.len())
            .map_err(|e| AudioError::Encoder(format!("resampler input: {e}")))?;
        let out = fft
            .process_all(&input, samples.len(), None)
            .map_err(|e| AudioError::Encoder(format!("resampler: {e}")))?;
        Ok(out.take_data())
    }
}

/// Resample a whole clip.
pub fn resample(samples: &[f32], in_rate: u32, out_rate: u32) -> Result<Vec<f32>, AudioError> {
    Resampler::new(in_rate, out_rate)?.process(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_scale_with_the_rate_and_a_tone_keeps_its_level() {
        let input: Vec<f32> = (0..16_000)
            .map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin() * 0.5)
            .collect();
        for out_rate in [8_000u32, 22_050, 24_000, 48_000, 11_111] {
            let out = resample(&input, 16_000, out_rate).unwrap();
            let expected = out_rate as usize;
            assert!(
                (out.len() as i64 - expected as i64).abs() <= 1,
                "{out_rate}: {}",
                out.len()
            );
            let peak = out[out.len() / 4..out.len() * 3 / 4]
                .iter()
                .fold(0f32, |m, s| m.max(s.abs()));
            assert!((peak - 0.5).abs() < 0.05, "{out_rate}: peak {peak}");
        }
        assert_eq!(resample(&input, 16_000, 16_000).unwrap(), input);
        assert!(Resampler::new(0, 8_000).is_err());
    }
}
