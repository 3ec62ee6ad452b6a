//! Ogg/Opus with `opus-pure` (pure Rust, no libopus or cmake). The encoder runs at 48 kHz —
//! the rate every Opus decoder outputs — in 20 ms VoIP-tuned frames; pages are kept small so a
//! streaming client gets bytes soon after each sentence. The end is trimmed exactly
//! (RFC 7845 §4.4) so the decoded duration equals the input duration.

use opus_pure::{Application, OggOpusWriter, OpusEncoder, OpusHead, MAX_PACKET_BYTES};

use super::AudioError;

/// The rate the encoder runs at.
pub const OPUS_RATE: u32 = 48_000;
/// Samples per 20 ms frame at 48 kHz.
const FRAME: usize = 960;
/// Page payload target: about half a second at the bit rate below.
const PAGE_TARGET: usize = 2_048;
const BITRATE: i32 = 32_000;

fn err(e: opus_pure::Error) -> AudioError {
    AudioError::Encoder(format!("opus: {e}"))
}

/// An Ogg/Opus stream being written to memory.
pub struct OpusStream {
    encoder: OpusEncoder,
    writer: OggOpusWriter<Vec<u8>>,
    pre_skip: u64,
    /// Samples (48 kHz) not yet filling a whole frame.
    pending: Vec<f32>,
    /// All real samples pushed so far.
    total: u64,
    packet: Vec<u8>,
}

impl OpusStream {
    pub fn new() -> Result<Self, AudioError> {
        let mut encoder = OpusEncoder::new(OPUS_RATE as i32, 1, Application::Voip).map_err(err)?;
        encoder.bitrate_bps = BITRATE;
        let head = OpusHead::for_encoder(&encoder, OPUS_RATE);
        let pre_skip = u64::from(head.pre_skip);
        let mut writer = OggOpusWriter::new(Vec::new(), head).map_err(err)?;
        writer.set_page_target(PAGE_TARGET);
        Ok(OpusStream {
            encoder,
            writer,
            pre_skip,
            pending: Vec::new(),
            total: 0,
            packet: vec![0u8; MAX_PACKET_BYTES],
        })
    }

    fn encode_frame(&mut self, frame: &[f32], duration: Option<u32>) -> Result<(), AudioError> {
        let n = self
            .encoder
            .encode(frame, FRAME, &mut self.packet)
            .map_err(err)?;
        let packet = self.packet.get(..n).unwrap_or_default();
        match duration {
            Some(d) => self.writer.write_packet_with_duration(packet, d),
            None => self.writer.write_packet(packet),
        }
        .map_err(err)
    }

    fn drain(&mut self) -> Vec<u8> {
        self.writer
            .get_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Encode 48 kHz samples; returns the complete pages written so far.
    pub fn push(&mut self, samples: &[f32]) -> Result<Vec<u8>, AudioError> {
        self.total += samples.len() as u64;
        self.pending.extend_from_slice(samples);
        let whole = self.pending.len() / FRAME * FRAME;
        let ready: Vec<f32> = self.pending.drain(..whole).collect();
        for frame in ready.chunks_exact(FRAME) {
            self.encode_frame(frame, None)?;
        }
        Ok(self.drain())
    }

    /// Pad through the encoder delay, trim the end to the real length, write the EOS page.
    pub fn finish(mut self) -> Result<Vec<u8>, AudioError> {
        let mut out = self.drain();
        let final_granule = self.pre_skip + self.total;
        // Silence that flushes the encoder's look-ahead, rounded up to whole frames.
        let mut tail = std::mem::take(&mut self.pending);
        let needed = (tail.len() as u64 + self.pre_skip).div_ceil(FRAME as u64) as usize * FRAME;
        tail.resize(needed.max(FRAME), 0.0);
        let frames = tail.len() / FRAME;
        for (i, frame) in tail.chunks_exact(FRAME).enumerate() {
            if i + 1 == frames {
                let granule = u64::try_from(self.writer.granule()).unwrap_or(0);
                let duration = final_granule.saturating_sub(granule);
                let duration = u32::try_from(duration.min(FRAME as u64)).unwrap_or(0);
                self.encode_frame(frame, Some(duration))?;
            } else {
                self.encode_frame(frame, None)?;
            }
        }
        out.extend(self.writer.finish().map_err(err)?);
        Ok(out)
    }
}
