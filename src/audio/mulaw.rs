//! G.711 μ-law companding (ITU-T G.711 §A.2), written out because it is a dozen lines of
//! arithmetic: telephony gateways want 8-bit μ-law, usually at 8 kHz.

const BIAS: i32 = 0x84;
const CLIP: i32 = 32_635;

/// One 16-bit linear sample → one μ-law byte.
pub fn encode(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    // Position of the highest set bit above bit 7 gives the segment (0..=7).
    let mut exponent = 7;
    let mut mask = 0x4000;
    while exponent > 0 && s & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

/// One μ-law byte → 16-bit linear (for tests and clients).
pub fn decode(byte: u8) -> i16 {
    let u = i32::from(!byte);
    let sign = u & 0x80;
    let exponent = (u >> 4) & 0x07;
    let mantissa = u & 0x0F;
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(encode(0), 0xFF);
        assert_eq!(encode(-1), 0x7F);
        assert_eq!(encode(i16::MAX), 0x80);
        assert_eq!(encode(i16::MIN), 0x00);
        assert_eq!(decode(0xFF), 0);
    }

    #[test]
    fn round_trip_error_is_within_the_segment_step() {
        for s in (-32_000i32..32_000).step_by(37) {
            let x = s as i16;
            let back = i32::from(decode(encode(x)));
            let step = (i32::from(x).abs() / 16).max(8);
            assert!((back - s).abs() <= step, "{s} -> {back}");
        }
    }
}
