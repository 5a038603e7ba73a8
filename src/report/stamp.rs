//! Provenance stamped into chart files: the scenario's content hash, the seed, the
//! replications and the branchsim version, so that a chart copied into a slide deck can still
//! be traced to the run that drew it. SVG gets an XML comment inside its root element, PNG a
//! standard `tEXt` chunk (`Software` and `Comment`), which image viewers show as metadata.

/// The text stamped into charts.
pub fn note(content_hash: &str, seed: u64, replications: u64, version: &str) -> String {
    format!("branchsim {version}; scenario content hash {content_hash}; seed {seed}; {replications} replications")
}

/// The SVG with `note` as a comment right after its opening `<svg ...>` tag.
pub fn svg(svg: &str, note: &str) -> String {
    // Comments may not contain `--`; the note never does, but keep the file valid regardless.
    let note = note.replace("--", "- -");
    match svg.find("<svg").and_then(|s| svg[s..].find('>').map(|e| s + e + 1)) {
        Some(at) => format!("{}\n<!-- {note} -->{}", &svg[..at], &svg[at..]),
        None => svg.to_string(),
    }
}

/// The PNG with two `tEXt` chunks (`Software`, `Comment`) after its header chunk; bytes that
/// are not a PNG are returned unchanged.
pub fn png(png: &[u8], note: &str, version: &str) -> Vec<u8> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    // Signature, then IHDR: length (4) + type (4) + 13 data bytes + CRC (4).
    let ihdr_end = SIGNATURE.len() + 25;
    if png.len() < ihdr_end || !png.starts_with(SIGNATURE) || &png[12..16] != b"IHDR" {
        return png.to_vec();
    }
    let mut out = Vec::with_capacity(png.len() + note.len() + 64);
    out.extend_from_slice(&png[..ihdr_end]);
    out.extend(text_chunk("Software", &format!("branchsim {version}")));
    out.extend(text_chunk("Comment", note));
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

fn text_chunk(keyword: &str, text: &str) -> Vec<u8> {
    // tEXt is Latin-1: keep the (ASCII) note as is and drop anything else.
    let mut data: Vec<u8> = keyword.bytes().collect();
    data.push(0);
    data.extend(text.bytes().filter(|b| b.is_ascii() && *b != 0));
    let mut chunk = Vec::with_capacity(data.len() + 12);
    chunk.extend((data.len() as u32).to_be_bytes());
    let start = chunk.len();
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(&data);
    let crc = crc32(&chunk[start..]);
    chunk.extend(crc.to_be_bytes());
    chunk
}

/// CRC-32 (ISO 3309, as PNG uses), bit by bit: charts are small.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c: u32 = 0xFFFF_FFFF;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    c ^ 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_reference() {
        // The CRC of an IEND chunk's type, as in every PNG file.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn svg_and_png_carry_the_note() {
        let s = svg("<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\"><text>x</text></svg>", "n -- 1");
        assert!(s.starts_with("<svg width=\"1\" xmlns=\"http://www.w3.org/2000/svg\">\n<!-- n - - 1 -->"));
        assert!(s.ends_with("<text>x</text></svg>"));
        let mut fake = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        fake.extend([0u8; 17]);
        fake.extend(b"rest");
        let p = png(&fake, "seed 1", "0.1.0");
        assert!(p.windows(4).any(|w| w == b"tEXt"));
        assert!(p.ends_with(b"rest"));
        assert_eq!(png(b"not a png", "x", "y"), b"not a png".to_vec());
    }
}
