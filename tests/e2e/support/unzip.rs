//! Just enough of ZIP and DEFLATE (RFC 1951) to read a Terraform plan file, so a test can look
//! inside the entries rather than at compressed bytes. Every entry's CRC-32 is checked, so a
//! decoding mistake fails the test instead of hiding what a search should have found.

/// One file of an archive.
#[derive(Debug, Clone)]
pub struct ZipEntry {
    pub name: String,
    /// Whether it was deflated (else stored).
    pub deflated: bool,
    /// The Unix file type and mode (`0o100755` for an executable file) when the archive was made
    /// on Unix (the high byte of "version made by" is 3), else `None`.
    pub unix_mode: Option<u32>,
    /// The MS-DOS modification time as (date, time), as stored in the central directory.
    pub dos_date_time: (u16, u16),
    pub data: Vec<u8>,
}

/// All entries of a ZIP archive (stored or deflated; no ZIP64, no encryption).
pub fn read_zip(bytes: &[u8]) -> Result<Vec<ZipEntry>, String> {
    const EOCD: u32 = 0x0605_4b50;
    const CENTRAL: u32 = 0x0201_4b50;
    const LOCAL: u32 = 0x0403_4b50;
    let eocd = (0..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| le32(bytes, i) == Some(EOCD))
        .ok_or("no end-of-central-directory record: not a ZIP file")?;
    let count = le16(bytes, eocd + 10).ok_or("truncated EOCD")? as usize;
    let mut at = le32(bytes, eocd + 16).ok_or("truncated EOCD")? as usize;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        if le32(bytes, at) != Some(CENTRAL) {
            return Err(format!("no central directory header at {at}"));
        }
        let field = |off: usize| le16(bytes, at + off).ok_or("truncated central header");
        let field32 = |off: usize| le32(bytes, at + off).ok_or("truncated central header");
        let made_on = field(4)? >> 8;
        let method = field(10)?;
        let dos_date_time = (field(14)?, field(12)?);
        let crc = field32(16)?;
        let compressed = field32(20)? as usize;
        let size = field32(24)? as usize;
        let name_len = field(28)? as usize;
        let extra_len = field(30)? as usize;
        let comment_len = field(32)? as usize;
        let external = field32(38)?;
        let local = field32(42)? as usize;
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or("truncated file name")?;
        let name = String::from_utf8_lossy(name).into_owned();
        at += 46 + name_len + extra_len + comment_len;

        if le32(bytes, local) != Some(LOCAL) {
            return Err(format!("{name}: no local header at {local}"));
        }
        let local_name = le16(bytes, local + 26).ok_or("truncated local header")? as usize;
        let local_extra = le16(bytes, local + 28).ok_or("truncated local header")? as usize;
        let start = local + 30 + local_name + local_extra;
        let raw = bytes
            .get(start..start + compressed)
            .ok_or_else(|| format!("{name}: data runs past the end"))?;
        let data = match method {
            0 => raw.to_vec(),
            8 => inflate(raw).map_err(|e| format!("{name}: {e}"))?,
            m => return Err(format!("{name}: compression method {m} not supported")),
        };
        if data.len() != size {
            return Err(format!("{name}: {} bytes, header says {size}", data.len()));
        }
        if crc32(&data) != crc {
            return Err(format!("{name}: CRC-32 mismatch"));
        }
        entries.push(ZipEntry {
            name,
            deflated: method == 8,
            unix_mode: (made_on == 3).then_some(external >> 16),
            dos_date_time,
            data,
        });
    }
    Ok(entries)
}

fn le16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
}

impl Bits<'_> {
    fn bit(&mut self) -> Result<u32, String> {
        let byte = *self.data.get(self.pos).ok_or("deflate stream ends early")?;
        let b = u32::from(byte >> self.bit) & 1;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.pos += 1;
        }
        Ok(b)
    }

    /// `n` bits, least significant first.
    fn bits(&mut self, n: u32) -> Result<u32, String> {
        let mut v = 0;
        for i in 0..n {
            v |= self.bit()? << i;
        }
        Ok(v)
    }

    fn align(&mut self) {
        if self.bit != 0 {
            self.bit = 0;
            self.pos += 1;
        }
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Self {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        counts[0] = 0;
        let mut offsets = [0usize; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + usize::from(counts[len]);
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[offsets[usize::from(l)]] = sym as u16;
                offsets[usize::from(l)] += 1;
            }
        }
        Huffman { counts, symbols }
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.bit()? as i32;
            let count = i32::from(self.counts[len]);
            if code - count < first {
                return self
                    .symbols
                    .get((index + code - first) as usize)
                    .copied()
                    .ok_or_else(|| "bad Huffman code".to_string());
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("bad Huffman code".into())
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// Decompresses a raw DEFLATE stream.
pub fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut bits = Bits {
        data,
        pos: 0,
        bit: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = bits.bit()? == 1;
        match bits.bits(2)? {
            0 => {
                bits.align();
                let header = data
                    .get(bits.pos..bits.pos + 4)
                    .ok_or("truncated stored block")?;
                let len = usize::from(u16::from_le_bytes([header[0], header[1]]));
                let nlen = u16::from_le_bytes([header[2], header[3]]);
                if len as u16 != !nlen {
                    return Err("stored block length check failed".into());
                }
                let start = bits.pos + 4;
                out.extend_from_slice(
                    data.get(start..start + len)
                        .ok_or("truncated stored block")?,
                );
                bits.pos = start + len;
            }
            1 => {
                let mut lengths = [0u8; 288];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..].fill(8);
                let lit = Huffman::new(&lengths);
                let dist = Huffman::new(&[5u8; 30]);
                codes(&mut bits, &mut out, &lit, &dist)?;
            }
            2 => {
                let nlen = bits.bits(5)? as usize + 257;
                let ndist = bits.bits(5)? as usize + 1;
                let ncode = bits.bits(4)? as usize + 4;
                const ORDER: [usize; 19] = [
                    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                ];
                let mut code_lengths = [0u8; 19];
                for &i in ORDER.iter().take(ncode) {
                    code_lengths[i] = bits.bits(3)? as u8;
                }
                let code = Huffman::new(&code_lengths);
                let mut lengths = Vec::with_capacity(nlen + ndist);
                while lengths.len() < nlen + ndist {
                    let sym = code.decode(&mut bits)?;
                    let (value, repeat) = match sym {
                        0..=15 => (sym as u8, 1),
                        16 => (
                            *lengths.last().ok_or("repeat with no previous length")?,
                            3 + bits.bits(2)?,
                        ),
                        17 => (0, 3 + bits.bits(3)?),
                        18 => (0, 11 + bits.bits(7)?),
                        _ => return Err("bad code length symbol".into()),
                    };
                    for _ in 0..repeat {
                        lengths.push(value);
                    }
                }
                if lengths.len() != nlen + ndist {
                    return Err("code lengths overrun".into());
                }
                let lit = Huffman::new(&lengths[..nlen]);
                let dist = Huffman::new(&lengths[nlen..]);
                codes(&mut bits, &mut out, &lit, &dist)?;
            }
            _ => return Err("reserved block type".into()),
        }
        if last {
            return Ok(out);
        }
    }
}

fn codes(
    bits: &mut Bits<'_>,
    out: &mut Vec<u8>,
    lit: &Huffman,
    dist: &Huffman,
) -> Result<(), String> {
    loop {
        let sym = usize::from(lit.decode(bits)?);
        if sym < 256 {
            out.push(sym as u8);
            continue;
        }
        if sym == 256 {
            return Ok(());
        }
        let i = sym - 257;
        let len = usize::from(*LEN_BASE.get(i).ok_or("bad length symbol")?)
            + bits.bits(u32::from(LEN_EXTRA[i]))? as usize;
        let d = usize::from(dist.decode(bits)?);
        let distance = usize::from(*DIST_BASE.get(d).ok_or("bad distance symbol")?)
            + bits.bits(u32::from(DIST_EXTRA[d]))? as usize;
        if distance > out.len() {
            return Err("distance reaches before the start".into());
        }
        for _ in 0..len {
            out.push(out[out.len() - distance]);
        }
    }
}
