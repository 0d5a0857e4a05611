//! Reading protobuf fields straight from the bytes, for rows written without decoding
//! the request into structs first (see [`crate::traces::wire`]).
//!
//! Only what well-formed OTLP needs: varint, fixed64, fixed32 and length-delimited
//! fields. Anything else, and any quirk whose meaning takes prost's merge rules (a
//! singular message field sent twice), is [`Fallback`]: the caller then decodes with
//! prost, which has the last word, as everywhere in sonde.

#[inline(always)]
fn varint(buf: &mut &[u8]) -> Result<u64, Fallback> {
    sonde_api::pdata::varint::read(buf).ok_or(Fallback)
}

#[inline(always)]
fn fixed<const N: usize>(buf: &mut &[u8]) -> Result<[u8; N], Fallback> {
    let (head, rest) = buf.split_first_chunk::<N>().ok_or(Fallback)?;
    *buf = rest;
    Ok(*head)
}

/// The bytes hold something this reader leaves to prost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fallback;

/// One field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

impl<'a> Value<'a> {
    pub fn bytes(self) -> Result<&'a [u8], Fallback> {
        match self {
            Value::Bytes(b) => Ok(b),
            _ => Err(Fallback),
        }
    }

    pub fn varint(self) -> Result<u64, Fallback> {
        match self {
            Value::Varint(n) => Ok(n),
            _ => Err(Fallback),
        }
    }

    pub fn fixed64(self) -> Result<u64, Fallback> {
        match self {
            Value::Fixed64(n) => Ok(n),
            _ => Err(Fallback),
        }
    }
}

/// The fields of one message, in wire order.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    buf: &'a [u8],
}

pub fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf }
}

impl<'a> Fields<'a> {
    #[inline(always)]
    fn next_field(&mut self) -> Result<(u32, Value<'a>), Fallback> {
        let key = varint(&mut self.buf)?;
        let number = u32::try_from(key >> 3).map_err(|_| Fallback)?;
        let value = match key & 7 {
            0 => Value::Varint(varint(&mut self.buf)?),
            1 => Value::Fixed64(u64::from_le_bytes(fixed::<8>(&mut self.buf)?)),
            2 => {
                let len = usize::try_from(varint(&mut self.buf)?).map_err(|_| Fallback)?;
                if self.buf.len() < len {
                    return Err(Fallback);
                }
                let (value, rest) = self.buf.split_at(len);
                self.buf = rest;
                Value::Bytes(value)
            }
            5 => Value::Fixed32(u32::from_le_bytes(fixed::<4>(&mut self.buf)?)),
            _ => return Err(Fallback),
        };
        if number == 0 {
            return Err(Fallback);
        }
        Ok((number, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), Fallback>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() {
            return None;
        }
        let field = self.next_field();
        if field.is_err() {
            self.buf = &[];
        }
        Some(field)
    }
}

/// The length-delimited field at the front of `buf` when its key is the one byte
/// `key` (field 1 to 15, wire type 2); `buf` then starts after it.
#[inline(always)]
pub fn leading<'a>(buf: &mut &'a [u8], key: u8) -> Option<&'a [u8]> {
    let (&first, mut rest) = buf.split_first()?;
    if first != key {
        return None;
    }
    let len = usize::try_from(sonde_api::pdata::varint::read(&mut rest)?).ok()?;
    if rest.len() < len {
        return None;
    }
    let (value, after) = rest.split_at(len);
    *buf = after;
    Some(value)
}

/// The length-delimited values of field `number`, in order.
pub fn repeated(buf: &[u8], number: u32) -> impl Iterator<Item = Result<&[u8], Fallback>> {
    fields(buf).filter_map(move |field| match field {
        Ok((n, value)) if n == number => Some(value.bytes()),
        Ok(_) => None,
        Err(e) => Some(Err(e)),
    })
}

/// How many times field `number` occurs.
pub fn count(buf: &[u8], number: u32) -> Result<usize, Fallback> {
    let mut n = 0;
    for field in fields(buf) {
        if field?.0 == number {
            n += 1;
        }
    }
    Ok(n)
}

/// A singular message field, which must occur at most once (twice would be a merge).
pub fn once<'a>(slot: &mut Option<&'a [u8]>, value: Value<'a>) -> Result<(), Fallback> {
    if slot.is_some() {
        return Err(Fallback);
    }
    *slot = Some(value.bytes()?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_wire_type() {
        // 1: varint 150; 2: "hi"; 3: fixed64 7; 4: fixed32 9.
        let buf = [
            0x08, 0x96, 0x01, 0x12, 2, b'h', b'i', 0x19, 7, 0, 0, 0, 0, 0, 0, 0, 0x25, 9, 0, 0, 0,
        ];
        let got: Vec<_> = fields(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            got,
            [
                (1, Value::Varint(150)),
                (2, Value::Bytes(b"hi")),
                (3, Value::Fixed64(7)),
                (4, Value::Fixed32(9)),
            ]
        );
        assert_eq!(count(&buf, 2), Ok(1));
        assert_eq!(repeated(&buf, 2).collect::<Vec<_>>(), [Ok(&b"hi"[..])]);
    }

    #[test]
    fn refuses_what_it_does_not_read() {
        // A group (wire type 3), a length past the end, a truncated fixed64, field 0.
        for buf in [&[0x0b][..], &[0x12, 5, b'a'], &[0x19, 1, 2], &[0x00, 1]] {
            assert_eq!(fields(buf).find(|f| f.is_err()), Some(Err(Fallback)));
        }
        let mut slot = None;
        once(&mut slot, Value::Bytes(b"a")).unwrap();
        assert_eq!(once(&mut slot, Value::Bytes(b"b")), Err(Fallback));
    }
}
