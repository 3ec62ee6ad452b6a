//! MP3 with `mp3lame-encoder` (bundled LAME, LGPL-3.0; builds without system libraries).
//! Mono CBR 64 kbit/s is plenty for speech. Flushed with `FlushGap`: `FlushNoGap` cut the last
//! frame (a 1.0 s tone came back 0.938 s long).

use mp3lame_encoder::{Bitrate, Builder, Encoder, FlushGap, Mode, MonoPcm, Quality};

use super::{to_i16, AudioError};

fn err(what: &str, e: impl std::fmt::Display) -> AudioError {
    AudioError::Encoder(format!("mp3 {what}: {e}"))
}

/// An MP3 stream being written to memory.
pub struct Mp3Stream {
    encoder: Encoder,
}

impl Mp3Stream {
    pub fn new(rate: u32) -> Result<Self, AudioError> {
        let mut builder = Builder::new().ok_or_else(|| err("init", "LAME unavailable"))?;
        builder
            .set_num_channels(1)
            .map_err(|e| err("channels", e))?;
        builder.set_sample_rate(rate).map_err(|e| err("rate", e))?;
        builder
            .set_brate(if rate <= 12_000 {
                Bitrate::Kbps32
            } else {
                Bitrate::Kbps64
            })
            .map_err(|e| err("bitrate", e))?;
        builder.set_mode(Mode::Mono).map_err(|e| err("mode", e))?;
        builder
            .set_quality(Quality::Good)
            .map_err(|e| err("quality", e))?;
        let encoder = builder.build().map_err(|e| err("build", e))?;
        Ok(Mp3Stream { encoder })
    }

    /// Encode samples; returns the frames LAME has completed.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        let pcm: Vec<i16> = samples.iter().map(|s| to_i16(*s)).collect();
        let mut out = Vec::with_capacity(mp3lame_encoder::max_required_buffer_size(pcm.len()));
        self.encoder
            .encode_to_vec(MonoPcm(&pcm), &mut out)
            .map_err(|e| err("encode", e))?;
        Ok(out)
    }

    pub fn finish(mut self) -> Result<Vec<u8>, AudioError> {
        let mut out = Vec::with_capacity(8 * 1024);
        self.encoder
            .flush_to_vec::<FlushGap>(&mut out)
            .map_err(|e| err("flush", e))?;
        Ok(out)
    }
}
