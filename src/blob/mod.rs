//! The BLOB model in safe Rust: owner → category → tag → string value.
//!
//! Names match case-insensitively (the Windows convention) and keep the case they were first
//! written with; entries keep their insertion order, which is also the enumeration order.
//! Strings are kept as `CString`s so the C boundary can hand out pointers into the BLOB that stay
//! valid until that entry is changed or removed, or the BLOB is destroyed.

pub mod filters;
pub mod names;
pub mod netinfo;
pub mod store;
pub mod text;
pub mod values;

use crate::nmerr::*;
use std::ffi::{CStr, CString};

/// One tag and its value.
#[derive(Clone, Debug)]
pub struct Tag {
    pub name: CString,
    pub value: CString,
    /// Decoded form handed out by GetWStringFromBlob (NUL-terminated), kept with the value.
    pub(crate) wide: Option<Vec<u16>>,
}

#[derive(Clone, Debug)]
pub struct Category {
    pub name: CString,
    pub tags: Vec<Tag>,
}

#[derive(Clone, Debug)]
pub struct Owner {
    pub name: CString,
    pub categories: Vec<Category>,
}

/// A BLOB's entries.
#[derive(Clone, Debug, Default)]
pub struct Blob {
    pub owners: Vec<Owner>,
}

/// One entry as the enumeration returns it.
#[derive(Clone, Copy, Debug)]
pub struct EntryRef<'a> {
    pub owner: &'a CStr,
    pub category: &'a CStr,
    pub tag: &'a CStr,
    pub value: &'a CStr,
}

fn same(a: &CStr, b: &[u8]) -> bool {
    a.to_bytes().eq_ignore_ascii_case(b)
}

/// A name must be non-empty; NUL cannot occur (it comes from a C string or was checked).
fn check_name(name: &[u8]) -> NmResult<()> {
    if name.is_empty() || name.contains(&0) {
        return Err(NMERR_INVALID_PARAMETER);
    }
    Ok(())
}

fn cstring(bytes: &[u8]) -> NmResult<CString> {
    CString::new(bytes).map_err(|_| NMERR_BLOB_STRING_INVALID)
}

// Restart keys of GetStringsFromBlob (stateless): the scope of the walk in the top 2 bits, then
// the position of the next entry: owner index (6 bits), category index (10), tag index (14).
const SCOPE_ANY: u32 = 0;
const SCOPE_OWNER: u32 = 1;
const SCOPE_CATEGORY: u32 = 2;
/// Returned after the last entry; the next call reports the end of the walk.
const KEY_END: u32 = 3 << 30;
/// Returned when the next entry's position does not fit a key; the next call answers
/// NMERR_OUT_OF_RANGE.
const KEY_OVERFLOW: u32 = (3 << 30) | 1;
const OWNER_LIMIT: usize = 1 << 6;
const CATEGORY_LIMIT: usize = 1 << 10;
const TAG_LIMIT: usize = 1 << 14;

/// Which entries a first call of GetStringsFromBlob asks for.
#[derive(Clone, Copy, Debug, Default)]
pub struct EnumRequest<'a> {
    pub owner: Option<&'a [u8]>,
    pub category: Option<&'a [u8]>,
    pub tag: Option<&'a [u8]>,
}

impl Blob {
    pub fn new() -> Self {
        Blob::default()
    }

    fn owner_index(&self, owner: &[u8]) -> Option<usize> {
        self.owners.iter().position(|o| same(&o.name, owner))
    }

    fn find(&self, owner: &[u8], category: &[u8], tag: &[u8]) -> Option<(usize, usize, usize)> {
        let oi = self.owner_index(owner)?;
        let ci = self.owners[oi].categories.iter().position(|c| same(&c.name, category))?;
        let ti = self.owners[oi].categories[ci].tags.iter().position(|t| same(&t.name, tag))?;
        Some((oi, ci, ti))
    }

    /// The tag entry, if present.
    pub fn tag(&self, owner: &[u8], category: &[u8], tag: &[u8]) -> Option<&Tag> {
        let (o, c, t) = self.find(owner, category, tag)?;
        Some(&self.owners[o].categories[c].tags[t])
    }

    pub(crate) fn tag_mut(&mut self, owner: &[u8], category: &[u8], tag: &[u8]) -> Option<&mut Tag> {
        let (o, c, t) = self.find(owner, category, tag)?;
        Some(&mut self.owners[o].categories[c].tags[t])
    }

    /// The value at owner/category/tag, or `NMERR_BLOB_ENTRY_DOES_NOT_EXIST`.
    pub fn get(&self, owner: &[u8], category: &[u8], tag: &[u8]) -> NmResult<&CStr> {
        self.tag(owner, category, tag).map(|t| t.value.as_c_str()).ok_or(NMERR_BLOB_ENTRY_DOES_NOT_EXIST)
    }

    /// The value as UTF-8 text (lossy), for the typed readers.
    pub fn get_str(&self, owner: &[u8], category: &[u8], tag: &[u8]) -> NmResult<String> {
        Ok(String::from_utf8_lossy(self.get(owner, category, tag)?.to_bytes()).into_owned())
    }

    pub fn contains(&self, owner: &[u8], category: &[u8], tag: &[u8]) -> bool {
        self.find(owner, category, tag).is_some()
    }

    /// Stores `value`, creating missing levels and replacing an existing value.
    pub fn set(&mut self, owner: &[u8], category: &[u8], tag: &[u8], value: &[u8]) -> NmResult<()> {
        check_name(owner)?;
        check_name(category)?;
        check_name(tag)?;
        let value = cstring(value)?;
        let oi = match self.owner_index(owner) {
            Some(i) => i,
            None => {
                self.owners.push(Owner { name: cstring(owner)?, categories: Vec::new() });
                self.owners.len() - 1
            }
        };
        let o = &mut self.owners[oi];
        let ci = match o.categories.iter().position(|c| same(&c.name, category)) {
            Some(i) => i,
            None => {
                o.categories.push(Category { name: cstring(category)?, tags: Vec::new() });
                o.categories.len() - 1
            }
        };
        let c = &mut o.categories[ci];
        match c.tags.iter_mut().find(|t| same(&t.name, tag)) {
            Some(t) => {
                t.value = value;
                t.wide = None;
            }
            None => c.tags.push(Tag { name: cstring(tag)?, value, wide: None }),
        }
        Ok(())
    }

    /// Sets a text value (convenience for the typed writers).
    pub fn set_str(&mut self, owner: &str, category: &str, tag: &str, value: &str) -> NmResult<()> {
        self.set(owner.as_bytes(), category.as_bytes(), tag.as_bytes(), value.as_bytes())
    }

    /// RemoveFromBlob: category `None` removes the owner, tag `None` the category, else the tag.
    /// Levels left empty are removed with it.
    pub fn remove(&mut self, owner: &[u8], category: Option<&[u8]>, tag: Option<&[u8]>) -> NmResult<()> {
        if category.is_none() && tag.is_some() {
            return Err(NMERR_AMBIGUOUS_SPECIFIER);
        }
        let oi = self.owner_index(owner).ok_or(NMERR_BLOB_OWNER_NOT_FOUND)?;
        let Some(category) = category else {
            self.owners.remove(oi);
            return Ok(());
        };
        let o = &mut self.owners[oi];
        let ci = o.categories.iter().position(|c| same(&c.name, category)).ok_or(NMERR_BLOB_CATEGORY_NOT_FOUND)?;
        match tag {
            None => {
                o.categories.remove(ci);
            }
            Some(tag) => {
                let c = &mut o.categories[ci];
                let ti = c.tags.iter().position(|t| same(&t.name, tag)).ok_or(NMERR_BLOB_ENTRY_DOES_NOT_EXIST)?;
                c.tags.remove(ti);
                if c.tags.is_empty() {
                    o.categories.remove(ci);
                }
            }
        }
        if self.owners[oi].categories.is_empty() {
            self.owners.remove(oi);
        }
        Ok(())
    }

    /// Every entry, in enumeration order.
    pub fn entries(&self) -> impl Iterator<Item = EntryRef<'_>> {
        self.owners.iter().flat_map(|o| {
            o.categories.iter().flat_map(move |c| c.tags.iter().map(move |t| EntryRef { owner: &o.name, category: &c.name, tag: &t.name, value: &t.value }))
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries().count()
    }

    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// MergeBlob: every entry of `src` is copied in; entries present in both take `src`'s value.
    pub fn merge(&mut self, src: &Blob) -> NmResult<()> {
        for e in src.entries() {
            self.set(e.owner.to_bytes(), e.category.to_bytes(), e.tag.to_bytes(), e.value.to_bytes())?;
        }
        Ok(())
    }

    fn entry_at(&self, o: usize, c: usize, t: usize) -> EntryRef<'_> {
        let ow = &self.owners[o];
        let ca = &ow.categories[c];
        let ta = &ca.tags[t];
        EntryRef { owner: &ow.name, category: &ca.name, tag: &ta.name, value: &ta.value }
    }

    /// First entry at or after position (o, c, t) that stays inside `scope`.
    fn first_from(&self, scope: u32, mut o: usize, mut c: usize, mut t: usize) -> Option<(usize, usize, usize)> {
        while o < self.owners.len() {
            let cats = &self.owners[o].categories;
            while c < cats.len() {
                if t < cats[c].tags.len() {
                    return Some((o, c, t));
                }
                if scope == SCOPE_CATEGORY {
                    return None;
                }
                c += 1;
                t = 0;
            }
            if scope != SCOPE_ANY {
                return None;
            }
            o += 1;
            c = 0;
            t = 0;
        }
        None
    }

    fn encode_key(scope: u32, o: usize, c: usize, t: usize) -> NmResult<u32> {
        if o >= OWNER_LIMIT || c >= CATEGORY_LIMIT || t >= TAG_LIMIT {
            return Err(NMERR_OUT_OF_RANGE);
        }
        Ok((scope << 30) | ((o as u32) << 24) | ((c as u32) << 14) | t as u32)
    }

    /// GetStringsFromBlob. `key` is the restart key (0 or `INITIAL_RESTART_KEY` to start). On
    /// success returns the entry and the key for the next call. At the end of the walk (or when
    /// nothing matches) returns `NMERR_BLOB_ENTRY_DOES_NOT_EXIST`; the caller then stores key 0.
    /// A walk past 64 owners, 1024 categories of an owner or 16384 tags of a category answers
    /// `NMERR_OUT_OF_RANGE` on the call that would return the first entry the key cannot reach.
    pub fn enumerate(&self, req: EnumRequest<'_>, key: u32) -> NmResult<(EntryRef<'_>, u32)> {
        let (scope, o, c, t) = if key == 0 || key == crate::types::INITIAL_RESTART_KEY {
            match (req.owner, req.category, req.tag) {
                (None, None, None) => (SCOPE_ANY, 0, 0, 0),
                (None, _, _) | (Some(_), None, Some(_)) => return Err(NMERR_AMBIGUOUS_SPECIFIER),
                (Some(ow), None, None) => {
                    let oi = self.owner_index(ow).ok_or(NMERR_BLOB_ENTRY_DOES_NOT_EXIST)?;
                    (SCOPE_OWNER, oi, 0, 0)
                }
                (Some(ow), Some(ca), None) => {
                    let oi = self.owner_index(ow).ok_or(NMERR_BLOB_ENTRY_DOES_NOT_EXIST)?;
                    let ci = self.owners[oi].categories.iter().position(|x| same(&x.name, ca)).ok_or(NMERR_BLOB_ENTRY_DOES_NOT_EXIST)?;
                    (SCOPE_CATEGORY, oi, ci, 0)
                }
                (Some(ow), Some(ca), Some(ta)) => {
                    let (o, c, t) = self.find(ow, ca, ta).ok_or(NMERR_BLOB_ENTRY_DOES_NOT_EXIST)?;
                    return Ok((self.entry_at(o, c, t), KEY_END));
                }
            }
        } else {
            let scope = key >> 30;
            if key == KEY_OVERFLOW {
                return Err(NMERR_OUT_OF_RANGE);
            }
            if scope > SCOPE_CATEGORY {
                return Err(NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
            }
            (scope, ((key >> 24) & 0x3F) as usize, ((key >> 14) & 0x3FF) as usize, (key & 0x3FFF) as usize)
        };
        let (o, c, t) = self.first_from(scope, o, c, t).ok_or(NMERR_BLOB_ENTRY_DOES_NOT_EXIST)?;
        let next = match self.first_from(scope, o, c, t + 1) {
            Some((no, nc, nt)) => Self::encode_key(scope, no, nc, nt).unwrap_or(KEY_OVERFLOW),
            None => KEY_END,
        };
        Ok((self.entry_at(o, c, t), next))
    }

    /// Category names of `owner`.
    pub fn categories_of(&self, owner: &[u8]) -> Vec<&CStr> {
        match self.owner_index(owner) {
            Some(oi) => self.owners[oi].categories.iter().map(|c| c.name.as_c_str()).collect(),
            None => Vec::new(),
        }
    }

    /// Entries of owner (and category, if given), in order.
    pub fn entries_under<'a>(&'a self, owner: &'a [u8], category: Option<&'a [u8]>) -> impl Iterator<Item = EntryRef<'a>> {
        self.entries().filter(move |e| same(e.owner, owner) && category.map_or(true, |c| same(e.category, c)))
    }
}

/// Case-insensitive name equality, as the BLOB uses it.
pub fn names_equal(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The Linux name of a NIC BLOB (`NPP:Location:Name`).
pub fn nic_name(b: &Blob) -> Option<String> {
    use names::{CATEGORY_LOCATION, OWNER_NPP, TAG_NAME};
    b.get_str(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), TAG_NAME.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Blob {
        let mut b = Blob::new();
        b.set_str("NPP", "Config", "A", "1").unwrap();
        b.set_str("NPP", "Config", "B", "2").unwrap();
        b.set_str("NPP", "Location", "Name", "lo").unwrap();
        b.set_str("App", "X", "Y", "z").unwrap();
        b
    }

    fn walk(b: &Blob, req: EnumRequest) -> Vec<String> {
        let mut out = Vec::new();
        let mut key = 0;
        loop {
            match b.enumerate(req, key) {
                Ok((e, next)) => {
                    out.push(format!(
                        "{}:{}:{}={}",
                        e.owner.to_str().unwrap(),
                        e.category.to_str().unwrap(),
                        e.tag.to_str().unwrap(),
                        e.value.to_str().unwrap()
                    ));
                    key = next;
                }
                Err(e) => {
                    assert_eq!(e, NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
                    return out;
                }
            }
            assert!(out.len() < 100);
        }
    }

    #[test]
    fn set_get_case_insensitive() {
        let mut b = sample();
        assert_eq!(b.get(b"npp", b"CONFIG", b"a").unwrap().to_bytes(), b"1");
        b.set_str("npp", "config", "a", "9").unwrap();
        assert_eq!(b.get(b"NPP", b"Config", b"A").unwrap().to_bytes(), b"9");
        assert_eq!(b.owners[0].name.to_bytes(), b"NPP", "case preserved");
        assert_eq!(b.get(b"NPP", b"Config", b"C"), Err(NMERR_BLOB_ENTRY_DOES_NOT_EXIST));
        assert_eq!(b.set(b"", b"c", b"t", b"v"), Err(NMERR_INVALID_PARAMETER));
    }

    #[test]
    fn enumeration_scopes() {
        let b = sample();
        assert_eq!(walk(&b, EnumRequest::default()).len(), 4);
        assert_eq!(walk(&b, EnumRequest { owner: Some(b"npp"), ..Default::default() }), vec!["NPP:Config:A=1", "NPP:Config:B=2", "NPP:Location:Name=lo"]);
        assert_eq!(walk(&b, EnumRequest { owner: Some(b"NPP"), category: Some(b"config"), tag: None }), vec!["NPP:Config:A=1", "NPP:Config:B=2"]);
        assert_eq!(walk(&b, EnumRequest { owner: Some(b"NPP"), category: Some(b"Config"), tag: Some(b"B") }), vec!["NPP:Config:B=2"]);
        assert_eq!(walk(&b, EnumRequest { owner: Some(b"none"), ..Default::default() }), Vec::<String>::new());
        assert_eq!(b.enumerate(EnumRequest { owner: None, category: Some(b"x"), tag: None }, 0).unwrap_err(), NMERR_AMBIGUOUS_SPECIFIER);
        // the initial key 0xFFFFFFFF starts a walk like 0
        let (e, _) = b.enumerate(EnumRequest::default(), 0xFFFF_FFFF).unwrap();
        assert_eq!(e.tag.to_bytes(), b"A");
        // past the key's reach: 64 owners are walked, the 65th answers OUT_OF_RANGE
        let mut big = Blob::new();
        for i in 0..65 {
            big.set_str(&format!("O{i}"), "C", "T", "v").unwrap();
        }
        let (mut key, mut n) = (0, 0);
        let end = loop {
            match big.enumerate(EnumRequest::default(), key) {
                Ok((_, k)) => {
                    n += 1;
                    key = k;
                }
                Err(e) => break e,
            }
        };
        assert_eq!((n, end), (64, NMERR_OUT_OF_RANGE));
        // a garbage key never panics
        for k in [1u32, 0x3fff_ffff, 0x8000_0000, 0xC000_0001, 0x7777_7777] {
            let _ = b.enumerate(EnumRequest::default(), k);
        }
    }

    #[test]
    fn remove_levels() {
        let mut b = sample();
        assert_eq!(b.remove(b"NPP", None, Some(b"A")), Err(NMERR_AMBIGUOUS_SPECIFIER));
        assert_eq!(b.remove(b"nope", None, None), Err(NMERR_BLOB_OWNER_NOT_FOUND));
        assert_eq!(b.remove(b"NPP", Some(b"nope"), None), Err(NMERR_BLOB_CATEGORY_NOT_FOUND));
        assert_eq!(b.remove(b"NPP", Some(b"Config"), Some(b"nope")), Err(NMERR_BLOB_ENTRY_DOES_NOT_EXIST));
        b.remove(b"NPP", Some(b"Config"), Some(b"A")).unwrap();
        assert_eq!(b.len(), 3);
        b.remove(b"NPP", Some(b"Config"), None).unwrap();
        assert_eq!(b.len(), 2);
        b.remove(b"App", None, None).unwrap();
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn merge_source_wins() {
        let mut a = sample();
        let mut s = Blob::new();
        s.set_str("NPP", "Config", "A", "src").unwrap();
        s.set_str("New", "C", "T", "v").unwrap();
        a.merge(&s).unwrap();
        assert_eq!(a.get(b"NPP", b"Config", b"A").unwrap().to_bytes(), b"src");
        assert_eq!(a.len(), 5);
    }
}
