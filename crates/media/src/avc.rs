//! Reading a picture's size out of H.264's sequence parameter set (the SPS
//! inside an FLV AVC sequence header), for the console's health panel.
//! Every read is bounds-checked: a truncated or hostile SPS gives `None`.

/// Width and height in pixels from an `AVCDecoderConfigurationRecord`
/// (the body of an AVC sequence header after its 5-byte FLV prefix).
pub fn resolution_from_config(record: &[u8]) -> Option<(u32, u32)> {
    // version, profile, compatibility, level, length size, SPS count
    let count = *record.get(5)? & 0x1F;
    if count == 0 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([*record.get(6)?, *record.get(7)?]));
    let sps = record.get(8..8 + len)?;
    resolution_from_sps(sps)
}

/// Width and height from one SPS NAL unit (with its header byte).
pub fn resolution_from_sps(nal: &[u8]) -> Option<(u32, u32)> {
    if nal.first()? & 0x1F != 7 {
        return None;
    }
    let rbsp = unescape(&nal[1..]);
    let mut r = Bits { data: &rbsp, at: 0 };
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    r.ue()?; // sps id
    let mut chroma = 1;
    if matches!(profile, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
        chroma = r.ue()?;
        if chroma > 3 {
            return None;
        }
        if chroma == 3 {
            r.bits(1)?;
        }
        r.ue()?; // luma bit depth
        r.ue()?; // chroma bit depth
        r.bits(1)?;
        if r.bits(1)? == 1 {
            for i in 0..if chroma == 3 { 12 } else { 8 } {
                if r.bits(1)? == 1 {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    r.ue()?; // log2 max frame num
    match r.ue()? {
        0 => {
            r.ue()?;
        }
        1 => {
            r.bits(1)?;
            r.se()?;
            r.se()?;
            let cycle = r.ue()?;
            if cycle > 255 {
                return None;
            }
            for _ in 0..cycle {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max ref frames
    r.bits(1)?;
    let width_mbs = r.ue()?.checked_add(1)?;
    let height_units = r.ue()?.checked_add(1)?;
    let frame_mbs_only = r.bits(1)?;
    if frame_mbs_only == 0 {
        r.bits(1)?;
    }
    r.bits(1)?;
    let (mut left, mut right, mut top, mut bottom) = (0, 0, 0, 0);
    if r.bits(1)? == 1 {
        (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
    }
    let field = 2 - frame_mbs_only;
    let (crop_x, crop_y) = match chroma {
        1 => (2, 2 * field),
        2 => (2, field),
        _ => (1, field),
    };
    let width = width_mbs.checked_mul(16)?.checked_sub(crop_x * (left.checked_add(right)?))?;
    let height = height_units.checked_mul(16 * field)?.checked_sub(crop_y * (top.checked_add(bottom)?))?;
    (width > 0 && height > 0 && width <= 16384 && height <= 16384).then_some((width, height))
}

fn skip_scaling_list(r: &mut Bits<'_>, size: u32) -> Option<()> {
    let (mut last, mut next) = (8i64, 8i64);
    for _ in 0..size {
        if next != 0 {
            next = (last + i64::from(r.se()?) + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// Removes emulation-prevention bytes (00 00 03 → 00 00).
fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut zeros = 0;
    for &b in data {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| Some((acc << 1) | self.bit()?))
    }

    /// Unsigned Exp-Golomb; more than 31 leading zeros is not H.264.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.bits(zeros)?;
        Some(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }

    fn se(&mut self) -> Option<i32> {
        let k = i64::from(self.ue()?);
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) } as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_a_real_sps() {
        // x264 baseline-ish SPS for 320x240 (profile 100, 4:2:0)
        let sps = [
            0x67, 0x64, 0x00, 0x0D, 0xAC, 0xD9, 0x41, 0x41, 0xFB, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00,
            0x03, 0x03, 0x20, 0xF1, 0x42, 0x99, 0x60,
        ];
        assert_eq!(resolution_from_sps(&sps), Some((320, 240)));
    }

    #[test]
    fn reads_a_cropped_1080p_sps() {
        // profile 100 level 4.0, 1920x1080 (1088 cropped by 8)
        let sps = [
            0x67, 0x64, 0x00, 0x28, 0xAC, 0xD9, 0x40, 0x78, 0x02, 0x27, 0xE5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00,
            0x00, 0x03, 0x00, 0xF0, 0x3C, 0x60, 0xC6, 0x58,
        ];
        assert_eq!(resolution_from_sps(&sps), Some((1920, 1080)));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = resolution_from_config(&data);
            let mut nal = data.clone();
            nal.insert(0, 0x67);
            if let Some((w, h)) = resolution_from_sps(&nal) {
                prop_assert!(w <= 16384 && h <= 16384);
            }
        }
    }
}
