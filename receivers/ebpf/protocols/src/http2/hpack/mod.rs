//! HPACK (RFC 7541): the header compression of HTTP/2, decoding side.
//!
//! One [`Decoder`] per direction of a connection, as each endpoint's encoder
//! keeps its own dynamic table. A header block is decoded field by field;
//! the fields are handed to a callback and never stored, except what the
//! dynamic table must keep.
//!
//! Joining a connection late (or after bytes were lost) leaves the dynamic
//! table unknown: a reference to an entry the decoder does not hold makes the
//! block [`Decoded::incomplete`] instead of an error, and the fields it could
//! read are still handed out. See `table.rs` for why a held index is never
//! the wrong entry.

pub mod huffman;
mod static_table;
mod table;

#[cfg(test)]
mod tests;

pub use static_table::STATIC;
pub use table::{DEFAULT_MAX, KEPT_MAX};

use table::Table;

/// Why a header block is not HPACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HpackError {
    /// An integer longer than 32 bits.
    Integer,
    /// Index 0, which no representation uses.
    ZeroIndex,
    /// A string or integer runs past the end of a block that is all there.
    Truncated,
    /// A Huffman string that is not one.
    Huffman,
}

/// What decoding a block found besides its fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Some field could not be read: an index into the part of the dynamic
    /// table this decoder does not know, or the block was cut.
    pub incomplete: bool,
}

/// The decoding state of one direction: its dynamic table, and the limit
/// the other end set for it.
#[derive(Default)]
pub struct Decoder {
    table: Table,
    /// SETTINGS_HEADER_TABLE_SIZE as the decoding end last announced it;
    /// `None` when it was not seen (sonde joined the connection late).
    limit: Option<usize>,
    /// Decoded strings of the field at hand: its name, then its value.
    scratch: Vec<u8>,
}

/// Where a field's name is.
#[derive(Clone, Copy)]
enum Name {
    Static(&'static [u8]),
    /// The first `n` bytes of the scratch buffer.
    Scratch(usize),
    Unknown,
}

/// A value read off a block: `None` when the block ended first.
type Read<T> = Result<Option<T>, HpackError>;

impl Decoder {
    /// The connection starts: an empty table of the default size, whose
    /// limit is the default until the decoding end says otherwise (a
    /// server's SETTINGS may come before the client's preface).
    pub fn start(&mut self) {
        self.table = Table::default();
        self.limit.get_or_insert(DEFAULT_MAX);
    }

    /// Bytes of this direction were lost: whatever they added is unknown.
    pub fn lose_track(&mut self) {
        self.table.clear();
    }

    /// The decoding end announced SETTINGS_HEADER_TABLE_SIZE `value`: the
    /// encoder's table may not grow past it (RFC 7541 §4.2).
    pub fn set_limit(&mut self, value: u32) {
        self.limit = Some(value as usize);
    }

    /// Entries held, and their RFC 7541 size.
    pub fn table_state(&self) -> (usize, usize) {
        (self.table.len(), self.table.size())
    }

    /// The fields of one header block, to `on(name, value)`; fields whose
    /// name or value is unknown are skipped and make the result incomplete.
    /// `cut`: the block's end was not captured; running out of bytes then
    /// ends the block as incomplete instead of failing. A block that is not
    /// HPACK fails, and leaves the table unknown.
    pub fn decode(
        &mut self,
        block: &[u8],
        cut: bool,
        mut on: impl FnMut(&[u8], &[u8]),
    ) -> Result<Decoded, HpackError> {
        let mut decoded = Decoded::default();
        let mut pos = 0;
        while pos < block.len() {
            match self.field(block, pos, &mut decoded, &mut on) {
                Ok(Some(next)) => pos = next,
                Ok(None) if cut => {
                    decoded.incomplete = true;
                    break;
                }
                Ok(None) => {
                    self.table.clear();
                    return Err(HpackError::Truncated);
                }
                Err(e) => {
                    self.table.clear();
                    return Err(e);
                }
            }
        }
        if cut {
            // What the uncaptured rest added to the table is unknown.
            decoded.incomplete = true;
            self.table.clear();
        }
        Ok(decoded)
    }

    /// One representation at `pos`; the position after it.
    fn field(
        &mut self,
        block: &[u8],
        pos: usize,
        decoded: &mut Decoded,
        on: &mut impl FnMut(&[u8], &[u8]),
    ) -> Read<usize> {
        let first = block[pos];
        if first & 0x80 != 0 {
            // Indexed Header Field (§6.1).
            let Some((index, next)) = integer(block, pos, 7)? else {
                return Ok(None);
            };
            match index {
                0 => return Err(HpackError::ZeroIndex),
                1..=61 => {
                    let (name, value) = STATIC[index - 1];
                    on(name.as_bytes(), value.as_bytes());
                }
                _ => match self.table.get(index - 62) {
                    Some((Some(name), value)) => on(name, value),
                    _ => decoded.incomplete = true,
                },
            }
            return Ok(Some(next));
        }
        if first & 0xe0 == 0x20 {
            // Dynamic Table Size Update (§6.3), bounded by the setting.
            let Some((size, next)) = integer(block, pos, 5)? else {
                return Ok(None);
            };
            self.table
                .set_max_size(self.limit.map_or(size, |limit| size.min(limit)));
            return Ok(Some(next));
        }
        // Literal Header Field with Incremental Indexing (§6.2.1, 01 and a
        // 6-bit index), without Indexing (0000, 4 bits), Never Indexed (0001).
        let indexing = first & 0xc0 == 0x40;
        let prefix = if indexing { 6 } else { 4 };
        let Some((index, mut next)) = integer(block, pos, prefix)? else {
            return Ok(None);
        };
        self.scratch.clear();
        let name = match index {
            0 => {
                let Some(after) = string(block, next, &mut self.scratch)? else {
                    return Ok(None);
                };
                next = after;
                Name::Scratch(self.scratch.len())
            }
            1..=61 => Name::Static(STATIC[index - 1].0.as_bytes()),
            _ => match self.table.get(index - 62) {
                Some((Some(name), _)) => {
                    self.scratch.extend_from_slice(name);
                    Name::Scratch(name.len())
                }
                _ => Name::Unknown,
            },
        };
        let Some(after) = string(block, next, &mut self.scratch)? else {
            return Ok(None);
        };
        let name_len = match name {
            Name::Scratch(n) => n,
            _ => 0,
        };
        let (scratch_name, value) = self.scratch.split_at(name_len);
        let name = match name {
            Name::Static(name) => Some(name),
            Name::Scratch(_) => Some(scratch_name),
            Name::Unknown => None,
        };
        match name {
            Some(name) => on(name, value),
            None => decoded.incomplete = true,
        }
        if indexing {
            self.table.insert(name, value);
        }
        Ok(Some(after))
    }
}

/// An integer with an `n`-bit prefix starting at `block[pos]` (§5.1), and
/// the position after it.
fn integer(block: &[u8], pos: usize, n: u8) -> Read<(usize, usize)> {
    let Some(&first) = block.get(pos) else {
        return Ok(None);
    };
    let max = (1u32 << n) - 1;
    let mut value = u32::from(first) & max;
    if value < max {
        return Ok(Some((value as usize, pos + 1)));
    }
    let mut shift = 0u32;
    for (i, &b) in block.iter().enumerate().skip(pos + 1) {
        let add = u64::from(b & 0x7f) << shift;
        let sum = u64::from(value) + add;
        if shift > 28 || sum > u64::from(u32::MAX) {
            return Err(HpackError::Integer);
        }
        value = sum as u32;
        if b & 0x80 == 0 {
            return Ok(Some((value as usize, i + 1)));
        }
        shift += 7;
    }
    Ok(None)
}

/// A string literal at `pos` (§5.2), appended to `out` decoded; the
/// position after it.
fn string(block: &[u8], pos: usize, out: &mut Vec<u8>) -> Read<usize> {
    let Some(&first) = block.get(pos) else {
        return Ok(None);
    };
    let Some((len, start)) = integer(block, pos, 7)? else {
        return Ok(None);
    };
    let Some(raw) = start.checked_add(len).and_then(|end| block.get(start..end)) else {
        return Ok(None);
    };
    if first & 0x80 != 0 {
        huffman::decode(raw, out).map_err(|_| HpackError::Huffman)?;
    } else {
        out.extend_from_slice(raw);
    }
    Ok(Some(start + len))
}
