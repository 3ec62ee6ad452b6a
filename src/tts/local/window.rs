//! The vocoder run in windows of frames, so its memory does not grow with the text.
//!
//! Why it exists: the vocoder (HiFi-GAN) of a VITS graph is where the memory goes. It turns each
//! spectrogram frame into 256 samples through layers of 512 → 32 channels, and ONNX Runtime keeps
//! several of those layers alive at once: a 400-character piece (~1,800 frames, ~30 s of audio)
//! took the full-size MMS model from 355 MB to a 739–809 MB peak, and the peak grows with the
//! piece. The vocoder is a stack of convolutions, so each output sample depends only on the
//! frames within a fixed distance (its reach). Running it on windows of `frames` frames, each
//! with `overlap` frames of context on both sides taken from the neighbours, and keeping only the
//! window's own samples, gives the same audio (the context covers the reach) with memory bounded
//! by the window. On the full-size model the windowed audio equals the whole run exactly
//! (max-abs difference 0 at an overlap of 16 frames, 1.2e-6 at 12, 0.25 at 2).
//!
//! The reach is computed from the Hugging Face `config.json` the export ships with (the
//! `VitsHifiGan` hyper-parameters, transformers' defaults where a key is absent), so a model
//! with wider kernels gets a wider overlap.

use std::ops::Range;

/// How the vocoder is run: windows of `frames` frames with `overlap` frames of context on
/// each side. `frames == 0` runs it on the whole piece at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Windows {
    pub frames: usize,
    pub overlap: usize,
}

impl Windows {
    /// The whole piece in one run.
    pub(crate) const WHOLE: Self = Self {
        frames: 0,
        overlap: 0,
    };

    /// Windows of `frames` frames for a vocoder whose reach is `reach` frames: the overlap is
    /// the reach rounded up plus two frames of margin.
    pub(crate) fn new(frames: usize, reach: f64) -> Self {
        if frames == 0 {
            return Self::WHOLE;
        }
        // Reaches are a few tens of frames; the cast cannot truncate meaningfully.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let overlap = reach.max(0.0).ceil() as usize + 2;
        Self { frames, overlap }
    }

    /// The runs for `total` frames: the frames each run is given (`input`) and, within its
    /// output, the frames that are its own (`keep`, relative to `input.start`).
    pub(crate) fn plan(&self, total: usize) -> Vec<(Range<usize>, Range<usize>)> {
        if self.frames == 0 || total <= self.frames + self.overlap {
            return vec![(0..total, 0..total)];
        }
        (0..total)
            .step_by(self.frames)
            .map(|start| {
                let end = (start + self.frames).min(total);
                let input = start.saturating_sub(self.overlap)..(end + self.overlap).min(total);
                let keep = start - input.start..end - input.start;
                (input, keep)
            })
            .collect()
    }
}

/// How far, in spectrogram frames, one output sample of a HiFi-GAN vocoder sees on each side.
///
/// `config` is the model's `config.json`. The vocoder is `conv_pre` (kernel 7), then per
/// upsampling stage a transposed convolution (kernel `k`, stride `r`) followed by residual
/// blocks run side by side (each: for every dilation `d`, a convolution of dilation `d` and one
/// of dilation 1), then `conv_post` (kernel 7). A convolution of kernel `k` and dilation `d`
/// reaches `(k - 1) d / 2` samples at its stage's rate; a transposed convolution reaches at
/// most `k / r` samples of the rate before it. `None` when the hyper-parameters are malformed.
pub(crate) fn hifigan_reach(config: &serde_json::Value) -> Option<f64> {
    let rates = usizes(config, "upsample_rates", &[8, 8, 2, 2])?;
    let kernels = usizes(config, "upsample_kernel_sizes", &[16, 16, 4, 4])?;
    let block_kernels = usizes(config, "resblock_kernel_sizes", &[3, 7, 11])?;
    let dilations = match config.get("resblock_dilation_sizes") {
        None => vec![vec![1, 3, 5]; block_kernels.len()],
        Some(value) => value
            .as_array()?
            .iter()
            .map(list)
            .collect::<Option<Vec<_>>>()?,
    };
    if rates.len() != kernels.len()
        || block_kernels.len() != dilations.len()
        || rates.contains(&0)
        || block_kernels.is_empty()
    {
        return None;
    }
    let block_reach = block_kernels
        .iter()
        .zip(&dilations)
        .map(|(&k, ds)| ds.iter().map(|&d| half(k) * (d as f64 + 1.0)).sum::<f64>())
        .fold(0.0, f64::max);
    let mut reach = half(7);
    let mut rate = 1.0;
    for (&r, &k) in rates.iter().zip(&kernels) {
        reach += k as f64 / r as f64 / rate;
        rate *= r as f64;
        reach += block_reach / rate;
    }
    Some(reach + half(7) / rate)
}

/// `(k - 1) / 2`: how far a convolution of kernel `k` reaches on each side.
fn half(k: usize) -> f64 {
    k.saturating_sub(1) as f64 / 2.0
}

fn usizes(config: &serde_json::Value, key: &str, default: &[usize]) -> Option<Vec<usize>> {
    match config.get(key) {
        None => Some(default.to_vec()),
        Some(value) => list(value),
    }
}

fn list(value: &serde_json::Value) -> Option<Vec<usize>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mms_vocoder_reaches_about_fourteen_frames() {
        // The MMS config, and an empty one (transformers' defaults are the MMS values).
        let mms = serde_json::json!({
            "upsample_rates": [8, 8, 2, 2],
            "upsample_kernel_sizes": [16, 16, 4, 4],
            "resblock_kernel_sizes": [3, 7, 11],
            "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        });
        let reach = hifigan_reach(&mms).unwrap();
        assert!((14.0..15.0).contains(&reach), "{reach}");
        assert_eq!(hifigan_reach(&serde_json::json!({})), Some(reach));
        // Measured on the full-size model: exact at 16 frames, not at 12.
        assert_eq!(Windows::new(256, reach).overlap, 17);
        // Narrower blocks reach less.
        let tiny =
            serde_json::json!({"resblock_kernel_sizes": [3], "resblock_dilation_sizes": [[1, 3]]});
        assert!(hifigan_reach(&tiny).unwrap() < reach);
        let broken =
            serde_json::json!({"upsample_rates": [8, 0], "upsample_kernel_sizes": [16, 4]});
        assert_eq!(hifigan_reach(&broken), None);
        assert_eq!(
            hifigan_reach(&serde_json::json!({"upsample_rates": "8"})),
            None
        );
    }

    #[test]
    fn windows_cover_every_frame_once_with_context_on_both_sides() {
        let windows = Windows {
            frames: 10,
            overlap: 3,
        };
        let plan = windows.plan(25);
        assert_eq!(plan, [(0..13, 0..10), (7..23, 3..13), (17..25, 3..8)]);
        let mut own = Vec::new();
        for (input, keep) in &plan {
            own.extend(input.start + keep.start..input.start + keep.end);
        }
        assert_eq!(own, (0..25).collect::<Vec<_>>());
        // Short pieces and the whole setting run once.
        assert_eq!(windows.plan(13), [(0..13, 0..13)]);
        assert_eq!(Windows::WHOLE.plan(5000), [(0..5000, 0..5000)]);
    }
}
