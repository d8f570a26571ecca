//! Parsing: the header, and one pass over the type section recording where
//! each type starts. Everything else reads the bytes on demand.

use std::path::Path;
use std::sync::OnceLock;

use crate::error::BtfError;
use crate::kind::{Kind, HDR_LEN, MAGIC, TYPE_HDR};
use crate::names::{EnumTable, NameTable};

/// The bytes BTF was parsed from: a vector, or anything else that owns
/// bytes (a memory map of `/sys/kernel/btf/vmlinux`, made by the caller).
enum Storage {
    Vec(Vec<u8>),
    Other(Box<dyn AsRef<[u8]> + Send + Sync>),
}

impl Storage {
    #[inline]
    fn get(&self) -> &[u8] {
        match self {
            Storage::Vec(v) => v,
            Storage::Other(b) => (**b).as_ref(),
        }
    }
}

/// Parsed BTF. Owns its bytes; type ids run from 1 to [`Btf::len`].
pub struct Btf {
    data: Storage,
    /// Absolute offset of each type's `struct btf_type`; index 0 (void) is
    /// unused.
    offsets: Vec<u32>,
    strs_start: usize,
    strs_end: usize,
    /// Type name -> type ids, built on the first [`Btf::find`].
    pub(crate) type_names: OnceLock<NameTable>,
    /// Enumerator name -> (enum type id, index), built on the first
    /// [`Btf::enum_value`].
    pub(crate) enumerators: OnceLock<EnumTable>,
}

impl std::fmt::Debug for Btf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Btf")
            .field("types", &self.len())
            .field("bytes", &self.data.get().len())
            .finish()
    }
}

/// The common part of a type, decoded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawType {
    /// Absolute offset of the `struct btf_type`.
    pub off: usize,
    pub name_off: u32,
    pub kind: Kind,
    pub vlen: usize,
    pub kflag: bool,
    /// `size` or `type`, depending on the kind.
    pub size_or_type: u32,
}

impl RawType {
    /// Absolute offset of the data that follows `struct btf_type`.
    pub fn extra(&self) -> usize {
        self.off + TYPE_HDR
    }
}

fn rd32(data: &[u8], off: usize) -> Option<u32> {
    let b = data.get(off..off + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl Btf {
    /// Parses BTF data (e.g. the contents of `/sys/kernel/btf/vmlinux`).
    pub fn parse(data: Vec<u8>) -> Result<Btf, BtfError> {
        Btf::parse_storage(Storage::Vec(data))
    }

    /// Parses BTF held by any owner of bytes, e.g. a private read-only
    /// memory map of `/sys/kernel/btf/vmlinux` made by the caller (recent
    /// kernels, 6.18 here, allow `mmap` with `MAP_PRIVATE`; `MAP_SHARED`
    /// gets EACCES). That saves the copy a read makes (~5 ms for 5.5 MB).
    pub fn parse_bytes<B>(data: B) -> Result<Btf, BtfError>
    where
        B: AsRef<[u8]> + Send + Sync + 'static,
    {
        Btf::parse_storage(Storage::Other(Box::new(data)))
    }

    fn parse_storage(storage: Storage) -> Result<Btf, BtfError> {
        let data = storage.get();
        if data.len() < 8 {
            return Err(BtfError::Truncated("header"));
        }
        match u16::from_le_bytes([data[0], data[1]]) {
            MAGIC => {}
            m if m.swap_bytes() == MAGIC => return Err(BtfError::BigEndian),
            _ => return Err(BtfError::BadMagic),
        }
        let hdr_len = rd32(data, 4).unwrap() as usize;
        if hdr_len < HDR_LEN {
            return Err(BtfError::BadHeader("header too short"));
        }
        if data.len() < hdr_len {
            return Err(BtfError::Truncated("header"));
        }
        let field = |i: usize| rd32(data, 8 + 4 * i).unwrap() as usize;
        let (type_off, type_len, str_off, str_len) = (field(0), field(1), field(2), field(3));
        let types_start = hdr_len
            .checked_add(type_off)
            .ok_or(BtfError::BadHeader("type section offset"))?;
        let types_end = types_start
            .checked_add(type_len)
            .ok_or(BtfError::BadHeader("type section length"))?;
        let strs_start = hdr_len
            .checked_add(str_off)
            .ok_or(BtfError::BadHeader("string section offset"))?;
        let strs_end = strs_start
            .checked_add(str_len)
            .ok_or(BtfError::BadHeader("string section length"))?;
        if types_end > data.len() {
            return Err(BtfError::Truncated("type section"));
        }
        if strs_end > data.len() {
            return Err(BtfError::Truncated("string section"));
        }
        if type_off % 4 != 0 {
            return Err(BtfError::BadHeader("type section is not 4-byte aligned"));
        }
        if data.len() > u32::MAX as usize {
            return Err(BtfError::BadHeader("data larger than 4 GiB"));
        }
        let offsets = index_types(&data[..types_end], types_start)?;
        Ok(Btf {
            data: storage,
            offsets,
            strs_start,
            strs_end,
            type_names: OnceLock::new(),
            enumerators: OnceLock::new(),
        })
    }

    /// Reads and parses a BTF file.
    pub fn from_file(path: &Path) -> Result<Btf, BtfError> {
        Btf::parse(std::fs::read(path)?)
    }

    /// The number of types; valid ids are `1..=len()`.
    pub fn len(&self) -> u32 {
        (self.offsets.len() - 1) as u32
    }

    /// True when there are no types at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw bytes this was parsed from.
    pub fn bytes(&self) -> &[u8] {
        self.data.get()
    }

    /// The kind of type `id`; `None` for void (0) and ids out of range.
    pub fn kind(&self, id: u32) -> Option<Kind> {
        self.raw(id).map(|t| t.kind)
    }

    /// The name of type `id` ("" for anonymous types, void and bad ids).
    pub fn name(&self, id: u32) -> &str {
        match self.raw(id) {
            Some(t) => self.str_at(t.name_off),
            None => "",
        }
    }

    /// The string at `off` in the string section ("" when out of range or not
    /// UTF-8).
    pub fn str_at(&self, off: u32) -> &str {
        std::str::from_utf8(self.str_bytes_at(off)).unwrap_or("")
    }

    /// The bytes of the string at `off` (no UTF-8 check).
    pub(crate) fn str_bytes_at(&self, off: u32) -> &[u8] {
        let s = self.strs_from(off);
        let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        &s[..end]
    }

    /// The string section from `off` to its end (empty when out of range).
    pub(crate) fn strs_from(&self, off: u32) -> &[u8] {
        let start = self.strs_start + off as usize;
        if start >= self.strs_end {
            return b"";
        }
        &self.data.get()[start..self.strs_end]
    }

    /// The `name_off` of type `id` (0 for void and bad ids), without
    /// decoding the rest.
    pub(crate) fn name_off(&self, id: u32) -> u32 {
        match self.offsets.get(id as usize) {
            Some(&off) if id != 0 => self.u32_at(off as usize),
            _ => 0,
        }
    }

    /// The common part of type `id`.
    pub(crate) fn raw(&self, id: u32) -> Option<RawType> {
        if id == 0 {
            return None;
        }
        let off = *self.offsets.get(id as usize)? as usize;
        let info = self.u32_at(off + 4);
        Some(RawType {
            off,
            name_off: self.u32_at(off),
            // Checked while indexing.
            kind: Kind::from_raw((info >> 24) & 0x1f).unwrap_or(Kind::Int),
            vlen: (info & 0xffff) as usize,
            kflag: info >> 31 != 0,
            size_or_type: self.u32_at(off + 8),
        })
    }

    /// A little-endian u32 at an absolute offset inside the type section
    /// (which parsing checked is in bounds for every indexed type).
    pub(crate) fn u32_at(&self, off: usize) -> u32 {
        rd32(self.data.get(), off).unwrap_or(0)
    }
}

/// Walks the type section, returning each type's absolute offset (index 0
/// for void). `data` ends at the end of the type section.
fn index_types(data: &[u8], start: usize) -> Result<Vec<u32>, BtfError> {
    // A type is at least 12 bytes; vmlinux averages about 25.
    let mut offsets = Vec::with_capacity((data.len() - start) / 20 + 1);
    offsets.push(0u32);
    let mut off = start;
    while off < data.len() {
        let hdr = data
            .get(off..off + TYPE_HDR)
            .ok_or(BtfError::Truncated("type header"))?;
        let info = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]);
        let raw_kind = (info >> 24) & 0x1f;
        let kind = Kind::from_raw(raw_kind).ok_or(BtfError::UnknownKind {
            id: offsets.len() as u32,
            kind: raw_kind,
        })?;
        let next = off + TYPE_HDR + kind.extra_len((info & 0xffff) as usize);
        if next > data.len() {
            return Err(BtfError::Truncated("type data"));
        }
        if offsets.len() > u32::MAX as usize - 1 {
            return Err(BtfError::TooManyTypes);
        }
        offsets.push(off as u32);
        off = next;
    }
    Ok(offsets)
}
