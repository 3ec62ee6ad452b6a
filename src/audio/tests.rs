//! Every format decoded back with an independent decoder (hound, opus-pure's decoder,
//! symphonia for MP3): sample rate and duration must be what was asked for.

use std::io::Cursor;

use super::*;

/// 1.0 s of a 440 Hz tone at 16 kHz (the fixture model's rate).
fn tone() -> Vec<f32> {
    (0..16_000)
        .map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / 16_000.0).sin() * 0.5)
        .collect()
}

/// Encode in three pushes, as sentences arrive, and patch the result as the cache stores it.
fn encode_in_parts(format: AudioFormat, rate: u32) -> Vec<u8> {
    let t = tone();
    let mut enc = StreamEncoder::new(format, 16_000, rate).unwrap();
    let mut out = Vec::new();
    for part in [&t[..4_000], &t[4_000..10_000], &t[10_000..]] {
        out.extend(enc.push(part).unwrap());
    }
    for patch in enc.size_patches() {
        assert!(patch.apply(&mut out));
    }
    out.extend(enc.finish().unwrap());
    out
}

/// WAV leaves with its first block (issue 17: a long WAV used to wait for its whole
/// synthesis); what was sent, with the true sizes written in, is the whole-clip file.
#[test]
fn wav_streams_from_the_first_block_and_patches_to_the_exact_file() {
    let t = tone();
    let mut enc = StreamEncoder::new(AudioFormat::Wav, 16_000, 16_000).unwrap();
    let first = enc.push(&t[..4_000]).unwrap();
    assert_eq!(first.len(), wav::HEADER_BYTES + 8_000);
    assert_eq!(&first[..4], b"RIFF");
    assert_eq!(
        &first[40..44],
        &[0xfe, 0xff, 0xff, 0xff],
        "length not known yet"
    );
    let mut sent = first;
    sent.extend(enc.push(&t[4_000..]).unwrap());
    let patches = enc.size_patches();
    assert_eq!(patches.len(), 2);
    assert!(enc.finish().unwrap().is_empty());
    // A streaming header is read to the end of the stream.
    let pcm = &sent[wav::HEADER_BYTES..];
    assert_eq!(pcm.len(), 32_000);
    let whole = encode(AudioFormat::Wav, &t, 16_000, 16_000).unwrap();
    assert_ne!(sent, whole);
    for patch in patches {
        assert!(patch.apply(&mut sent));
    }
    assert_eq!(sent, whole);
    // Nothing pushed: still a valid empty file.
    let empty = StreamEncoder::new(AudioFormat::Wav, 16_000, 8_000).unwrap();
    assert!(empty.size_patches().is_empty());
    let bytes = empty.finish().unwrap();
    assert_eq!(hound::WavReader::new(Cursor::new(bytes)).unwrap().len(), 0);
}

#[test]
fn wav_at_any_rate() {
    for rate in [8_000u32, 16_000, 22_050, 44_100] {
        let bytes = encode_in_parts(AudioFormat::Wav, rate);
        let reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        assert_eq!(reader.spec().sample_rate, rate);
        assert_eq!(reader.spec().bits_per_sample, 16);
        let secs = f64::from(reader.duration()) / f64::from(rate);
        assert!((secs - 1.0).abs() < 0.002, "{rate}: {secs}");
    }
}

#[test]
fn pcm16_is_little_endian_samples() {
    let bytes = encode_in_parts(AudioFormat::Pcm16, 24_000);
    let secs = bytes.len() as f64 / 2.0 / 24_000.0;
    assert!((secs - 1.0).abs() < 0.002, "{secs}");
    let samples: Vec<i16> = bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!((15_500..=17_000).contains(&peak), "peak {peak}");
}

#[test]
fn mulaw_at_8khz_decodes_to_the_tone() {
    let bytes = encode_in_parts(AudioFormat::Mulaw, 8_000);
    let secs = bytes.len() as f64 / 8_000.0;
    assert!((secs - 1.0).abs() < 0.002, "{secs}");
    let peak = bytes
        .iter()
        .map(|b| mulaw::decode(*b).unsigned_abs())
        .max()
        .unwrap();
    assert!((15_000..=17_500).contains(&peak), "peak {peak}");
}

/// Decoded sample count of an Ogg/Opus file at 48 kHz, after pre-skip and end trim.
pub(crate) fn opus_decoded_samples(bytes: &[u8]) -> (u32, usize) {
    let mut reader = opus_pure::OggOpusReader::new(Cursor::new(bytes.to_vec())).unwrap();
    let head = reader.head().clone();
    let mut decoder = head.decoder(48_000).unwrap();
    let mut trim = opus_pure::Trim::new(&head, 48_000, 1).unwrap();
    let mut pcm = vec![0f32; 5_760];
    let mut total = 0;
    while let Some(packet) = reader.read_packet().unwrap() {
        let n = decoder.decode(&packet.data, 5_760, &mut pcm).unwrap();
        total += trim.keep(&packet, &pcm[..n]).len();
    }
    (head.input_sample_rate, total)
}

#[test]
fn opus_round_trips_to_the_exact_length() {
    let bytes = encode_in_parts(AudioFormat::Opus, 16_000);
    assert_eq!(&bytes[..4], b"OggS");
    let (input_rate, samples) = opus_decoded_samples(&bytes);
    assert_eq!(input_rate, 48_000);
    assert_eq!(samples, 48_000);
}

/// (sample rate, decoded frames) of an MP3 file via symphonia.
pub(crate) fn mp3_decoded(bytes: &[u8]) -> (u32, u64) {
    use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .unwrap();
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .unwrap()
        .clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .unwrap();
    let mut frames = 0u64;
    let mut rate = 0;
    while let Ok(packet) = format.next_packet() {
        let decoded = decoder.decode(&packet).unwrap();
        rate = decoded.spec().rate;
        frames += decoded.frames() as u64;
    }
    (rate, frames)
}

#[test]
fn mp3_decodes_at_the_requested_rate() {
    for rate in [16_000u32, 24_000, 44_100] {
        let bytes = encode_in_parts(AudioFormat::Mp3, rate);
        let (decoded_rate, frames) = mp3_decoded(&bytes);
        assert_eq!(decoded_rate, rate);
        let secs = frames as f64 / f64::from(rate);
        // LAME adds its encoder delay and pads the last frame (no LAME tag in a stream).
        assert!((1.0..1.2).contains(&secs), "{rate}: {secs}");
    }
}

#[test]
fn unsupported_rates_are_refused() {
    assert!(AudioFormat::Mp3.output_rate(12_345).is_err());
    assert!(AudioFormat::Wav.output_rate(0).is_err());
    assert_eq!(AudioFormat::Opus.output_rate(8_000).unwrap(), 48_000);
    assert_eq!(AudioFormat::Mulaw.output_rate(8_000).unwrap(), 8_000);
    assert_eq!(AudioFormat::parse("PCM"), Some(AudioFormat::Pcm16));
    assert_eq!(AudioFormat::parse("aac"), None);
}

#[test]
fn empty_input_still_makes_valid_files() {
    for format in [AudioFormat::Wav, AudioFormat::Opus, AudioFormat::Mp3] {
        let bytes = encode(format, &[], 16_000, 24_000).unwrap();
        assert!(
            format == AudioFormat::Mp3 || !bytes.is_empty(),
            "{format:?}"
        );
    }
}
