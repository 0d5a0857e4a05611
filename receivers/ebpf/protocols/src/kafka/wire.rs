//! Reading Kafka's primitive types (kafka.apache.org/protocol, "Protocol
//! Primitive Types") from a message that may be only partly at hand:
//! big-endian integers, unsigned varints, strings and arrays in their classic
//! (int16/int32 length) and compact (varint length + 1) forms, record sets,
//! and tagged fields.

/// Why a read stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The bytes at hand end: at least `short` more are needed to go on.
    /// `in_records`: the read was skipping a record set, whose bytes are
    /// never waited for.
    Short { short: usize, in_records: bool },
    /// The bytes cannot be this field: a negative length, a varint of more
    /// than 5 bytes, a length past the end of the message.
    Invalid,
}

pub type Read<T> = Result<T, Stop>;

/// A cursor over a message body (everything after the 4-byte size).
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    /// The bytes of the body at hand (a prefix of it, or all of it).
    bytes: &'a [u8],
    pos: usize,
    /// The body's length on the wire, by its size field.
    len: usize,
    /// Compact strings and arrays, and tagged fields (a flexible version).
    pub compact: bool,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], len: usize) -> Self {
        Reader {
            bytes,
            pos: 0,
            len,
            compact: false,
        }
    }

    /// Bytes of the body on the wire after the cursor (at hand or not).
    fn left(&self) -> usize {
        self.len.saturating_sub(self.pos)
    }

    pub fn take(&mut self, n: usize) -> Read<&'a [u8]> {
        if n > self.left() {
            return Err(Stop::Invalid);
        }
        match self.bytes.get(self.pos..self.pos + n) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => Err(Stop::Short {
                short: self.pos + n - self.bytes.len(),
                in_records: false,
            }),
        }
    }

    /// Skip `n` bytes of a record set: when they are not all at hand the
    /// stop says so, and the caller stops there rather than wait.
    fn skip_bulk(&mut self, n: usize) -> Read<()> {
        match self.take(n) {
            Err(Stop::Short { short, .. }) => Err(Stop::Short {
                short,
                in_records: true,
            }),
            other => other.map(|_| ()),
        }
    }

    pub fn i8(&mut self) -> Read<i8> {
        Ok(self.take(1)?[0] as i8)
    }

    pub fn i16(&mut self) -> Read<i16> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    pub fn i32(&mut self) -> Read<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn uuid(&mut self) -> Read<[u8; 16]> {
        let mut id = [0u8; 16];
        id.copy_from_slice(self.take(16)?);
        Ok(id)
    }

    /// An unsigned varint of at most 32 bits (5 bytes).
    pub fn uvarint(&mut self) -> Read<u32> {
        let mut value = 0u32;
        for i in 0..5 {
            let b = self.take(1)?[0];
            if i == 4 && b > 0x0f {
                return Err(Stop::Invalid);
            }
            value |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Stop::Invalid)
    }

    /// A length in the form of this version: compact (varint, 0 for null)
    /// or classic (`classic` bytes, -1 for null). `None` is null.
    fn length(&mut self, classic: usize) -> Read<Option<usize>> {
        let n: i64 = if self.compact {
            i64::from(self.uvarint()?) - 1
        } else if classic == 2 {
            i64::from(self.i16()?)
        } else {
            i64::from(self.i32()?)
        };
        match n {
            -1 => Ok(None),
            n if n < 0 => Err(Stop::Invalid),
            n => usize::try_from(n).map(Some).map_err(|_| Stop::Invalid),
        }
    }

    /// A (nullable) string, compact in flexible versions.
    pub fn string(&mut self) -> Read<Option<&'a [u8]>> {
        match self.length(2)? {
            Some(n) => self.take(n).map(Some),
            None => Ok(None),
        }
    }

    /// A classic nullable string whatever the version (the request header's
    /// client id).
    pub fn classic_string(&mut self) -> Read<Option<&'a [u8]>> {
        let compact = std::mem::replace(&mut self.compact, false);
        let s = self.string();
        self.compact = compact;
        s
    }

    /// An array's element count (`None`: null). Each element takes at least
    /// `min_element` bytes, so a count the message cannot hold is invalid.
    pub fn array(&mut self, min_element: usize) -> Read<Option<usize>> {
        let n = self.length(4)?;
        if n.is_some_and(|n| n.saturating_mul(min_element.max(1)) > self.left()) {
            return Err(Stop::Invalid);
        }
        Ok(n)
    }

    /// Skip an array of `width`-byte integers.
    pub fn skip_int_array(&mut self, width: usize) -> Read<()> {
        let n = self.array(width)?.unwrap_or(0);
        self.take(n * width).map(|_| ())
    }

    /// Skip a (nullable) record set or byte string.
    pub fn skip_records(&mut self) -> Read<()> {
        match self.length(4)? {
            Some(n) => self.skip_bulk(n),
            None => Ok(()),
        }
    }

    /// The tagged fields that end a structure in flexible versions.
    pub fn tagged_fields(&mut self) -> Read<()> {
        if !self.compact {
            return Ok(());
        }
        let count = self.uvarint()?;
        for _ in 0..count {
            self.uvarint()?;
            let size = self.uvarint()? as usize;
            self.take(size)?;
        }
        Ok(())
    }
}
