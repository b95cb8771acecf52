//! The `metadata` file: plain TSDL text or LTTng's packetized form, turned into `Metadata`.
//!
//! Owns the metadata packet framing (37-byte headers, content/packet sizes) and the mapping
//! of text offsets back to file offsets, so a syntax error names the byte in the file.

use super::error::ReadError;
use super::types::Metadata;
use super::{model, tsdl};
use std::path::Path;

const PACKET_MAGIC: u32 = 0x75D1_1D57;
const PACKET_HEADER: usize = 37;

/// Metadata text bytes and their (text offset, file offset) runs.
type Unpacked = (Vec<u8>, Vec<(usize, usize)>);

/// The TSDL text of a metadata file and, per text run, the file offset it came from.
pub struct Text {
    pub text: String,
    /// (offset in `text`, offset in the file) at the start of each run.
    runs: Vec<(usize, usize)>,
}

impl Text {
    /// Line number (from 1) of a text offset.
    pub fn line(&self, at: usize) -> usize {
        self.text[..at.min(self.text.len())].matches('\n').count() + 1
    }

    /// File offset of a text offset.
    pub fn file_offset(&self, at: usize) -> usize {
        let i = self
            .runs
            .partition_point(|&(t, _)| t <= at)
            .saturating_sub(1);
        let (t, f) = self.runs.get(i).copied().unwrap_or((0, 0));
        f + (at - t)
    }
}

/// Extracts the TSDL text of a metadata file's bytes.
pub fn text(path: &Path, bytes: &[u8]) -> Result<Text, ReadError> {
    let magic_le = bytes
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let magic_be = bytes
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    // Packets carry the version in their headers: their text needs no signature line
    // (LTTng's never has one), as babeltrace2 reads them.
    let (raw, runs) = if magic_le == Some(PACKET_MAGIC) {
        unpacketize(path, bytes, false)?
    } else if magic_be == Some(PACKET_MAGIC) {
        unpacketize(path, bytes, true)?
    } else if bytes.starts_with(b"/* CTF 1.8") {
        (bytes.to_vec(), vec![(0, 0)])
    } else {
        return Err(ReadError::at(
            path,
            0,
            "metadata does not start with the `/* CTF 1.8 */` signature",
        ));
    };
    // Offsets must stay byte offsets: invalid UTF-8 becomes `?`, one byte for one byte.
    let text = String::from_utf8(raw).unwrap_or_else(|e| {
        let bytes = e
            .into_bytes()
            .into_iter()
            .map(|b| if b < 0x80 { b } else { b'?' })
            .collect();
        String::from_utf8(bytes).unwrap_or_default()
    });
    Ok(Text { text, runs })
}

fn unpacketize(path: &Path, bytes: &[u8], be: bool) -> Result<Unpacked, ReadError> {
    let u32_at = |off: usize| {
        let b = [bytes[off], bytes[off + 1], bytes[off + 2], bytes[off + 3]];
        if be {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    let mut text = Vec::new();
    let mut runs = Vec::new();
    let mut off = 0;
    while off < bytes.len() {
        if bytes.len() - off < PACKET_HEADER {
            return Err(ReadError::at(
                path,
                off as u64,
                "truncated metadata packet header",
            ));
        }
        if u32_at(off) != PACKET_MAGIC {
            return Err(ReadError::at(
                path,
                off as u64,
                format!("bad metadata packet magic 0x{:08X}", u32_at(off)),
            ));
        }
        let content = u32_at(off + 24) as usize / 8;
        let size = u32_at(off + 28) as usize / 8;
        if bytes[off + 35..off + 37] != [1, 8] {
            return Err(ReadError::at(
                path,
                off as u64,
                format!(
                    "metadata packet of CTF version {}.{} (only 1.8 is supported)",
                    bytes[off + 35],
                    bytes[off + 36]
                ),
            ));
        }
        if bytes[off + 32..off + 35] != [0, 0, 0] {
            return Err(ReadError::at(
                path,
                off as u64,
                "compressed, encrypted or checksummed metadata is not supported",
            ));
        }
        if size < PACKET_HEADER
            || content < PACKET_HEADER
            || content > size
            || size > bytes.len() - off
        {
            return Err(ReadError::at(
                path,
                off as u64,
                format!("metadata packet sizes (content {content} bytes, packet {size} bytes) do not fit the file"),
            ));
        }
        runs.push((text.len(), off + PACKET_HEADER));
        text.extend_from_slice(&bytes[off + PACKET_HEADER..off + content]);
        off += size;
    }
    Ok((text, runs))
}

/// The largest metadata file read: an LTTng kernel trace's is about 2 MB.
const MAX_METADATA_BYTES: u64 = 64 << 20;

/// Reads and interprets the metadata file at `path`.
pub fn load(path: &Path) -> Result<Metadata, ReadError> {
    use std::io::Read;
    let cannot = |e: std::io::Error| ReadError::new(path, format!("cannot read metadata: {e}"));
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_METADATA_BYTES {
        return Err(ReadError::new(
            path,
            format!("metadata larger than {MAX_METADATA_BYTES} bytes: refused"),
        ));
    }
    parse(path, &bytes)
}

/// Interprets metadata file bytes; errors name `path`.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Metadata, ReadError> {
    let text = text(path, bytes)?;
    let built = tsdl::parse(&text.text).and_then(|stmts| model::build(&stmts));
    let mut meta = built.map_err(|e| {
        ReadError::at(
            path,
            text.file_offset(e.offset) as u64,
            format!("metadata line {}: {}", text.line(e.offset), e.msg),
        )
    })?;
    for w in &mut meta.warnings {
        let at = w.offset as usize;
        w.line = text.line(at);
        w.offset = text.file_offset(at) as u64;
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(text: &[u8], size: usize) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&PACKET_MAGIC.to_le_bytes());
        p.extend_from_slice(&[0u8; 16]);
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(&(((PACKET_HEADER + text.len()) * 8) as u32).to_le_bytes());
        p.extend_from_slice(&((size * 8) as u32).to_le_bytes());
        p.extend_from_slice(&[0, 0, 0, 1, 8]);
        p.extend_from_slice(text);
        p.resize(size, 0);
        p
    }

    #[test]
    fn packetized_text_is_joined_and_offsets_map_back() {
        let mut file = packet(b"/* CTF 1.8 */ trace {", 64);
        file.extend(packet(b" oops };", 64));
        let t = text(Path::new("m"), &file).unwrap();
        assert_eq!(t.text, "/* CTF 1.8 */ trace { oops };");
        let at = t.text.find("oops").unwrap();
        assert_eq!(&file[t.file_offset(at)..t.file_offset(at) + 4], b"oops");
    }

    #[test]
    fn errors_name_file_offset_and_line() {
        let err = parse(
            Path::new("/t/metadata"),
            b"/* CTF 1.8 */\ntrace { byte_order = le; major = ; };",
        )
        .unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("/t/metadata: byte offset 47: metadata line 2:"),
            "{shown}"
        );
        let err = parse(Path::new("m"), b"trace {};").unwrap_err();
        assert!(err.msg.contains("CTF 1.8"));
    }
}
