//! The BLOB API with Netmon's names and signatures (SDK d.2).
//!
//! Conventions: every function returns an NMERR number. A NULL pointer argument that the function
//! needs answers `NMERR_INVALID_PARAMETER`; a NULL, destroyed or forged HBLOB answers
//! `NMERR_INVALID_BLOB`. Output arguments are written only on success. Pointers returned into a
//! BLOB stay valid until that entry is changed or removed, or the BLOB is destroyed.

use super::*;
use crate::blob::filters::{self, ListFilter};
use crate::blob::names::*;
use crate::blob::{netinfo, store, text as blobtext, values, Blob, EnumRequest};
use crate::types::*;
use core::ffi::c_char;

// Structures with padding (TRIGGER, PATTERNMATCH, NETWORKINFO) are written into the caller's
// memory field by field over zeroed bytes, so the padding the caller sees is always zero.

/// Writes `v` into `*dst` over zeroed bytes (see above).
///
/// # Safety
/// `dst` points to writable, aligned storage for one PATTERNMATCH.
unsafe fn put_pattern(dst: *mut PATTERNMATCH, v: &PATTERNMATCH) {
    // SAFETY: dst points to a writable PATTERNMATCH (checked by the caller).
    unsafe {
        core::ptr::write_bytes(dst, 0, 1);
        (*dst).Flags = v.Flags;
        (*dst).OffsetBasis = v.OffsetBasis;
        (*dst).Port = v.Port;
        (*dst).Offset = v.Offset;
        (*dst).Length = v.Length;
        (*dst).PatternToMatch = v.PatternToMatch;
    }
}

/// Writes `v` into `*dst` over zeroed bytes (see above).
///
/// # Safety
/// `dst` points to writable, aligned storage for one EXPRESSION.
unsafe fn put_expression(dst: *mut EXPRESSION, v: &EXPRESSION) {
    // SAFETY: dst points to a writable EXPRESSION; every write stays inside it.
    unsafe {
        core::ptr::write_bytes(dst, 0, 1);
        (*dst).nAndExps = v.nAndExps;
        for (i, a) in v.AndExp.iter().enumerate() {
            let d = core::ptr::addr_of_mut!((*dst).AndExp[i]);
            (*d).nPatternMatches = a.nPatternMatches;
            for (j, p) in a.PatternMatch.iter().enumerate() {
                put_pattern(core::ptr::addr_of_mut!((*d).PatternMatch[j]), p);
            }
        }
    }
}

/// Writes `v` into `*dst` over zeroed bytes (see above).
///
/// # Safety
/// `dst` points to writable, aligned storage for one TRIGGER.
unsafe fn put_trigger(dst: *mut TRIGGER, v: &TRIGGER) {
    // SAFETY: dst points to a writable TRIGGER; every write stays inside it.
    unsafe {
        core::ptr::write_bytes(dst, 0, 1);
        (*dst).TriggerActive = v.TriggerActive;
        (*dst).TriggerType = v.TriggerType;
        (*dst).TriggerAction = v.TriggerAction;
        (*dst).TriggerFlags = v.TriggerFlags;
        put_pattern(core::ptr::addr_of_mut!((*dst).TriggerPatternMatch), &v.TriggerPatternMatch);
        (*dst).TriggerBufferSize = v.TriggerBufferSize;
        (*dst).TriggerReserved = v.TriggerReserved;
        (*dst).TriggerCommandLine = v.TriggerCommandLine;
    }
}

/// Writes `v` into `*dst` over zeroed bytes (see above).
///
/// # Safety
/// `dst` points to writable, aligned storage for one NETWORKINFO.
unsafe fn put_network_info(dst: *mut NETWORKINFO, v: &NETWORKINFO) {
    // SAFETY: dst points to a writable NETWORKINFO.
    unsafe {
        core::ptr::write_bytes(dst, 0, 1);
        (*dst).PermanentAddr = v.PermanentAddr;
        (*dst).CurrentAddr = v.CurrentAddr;
        (*dst).Reserved = v.Reserved;
        (*dst).LinkSpeed = v.LinkSpeed;
        (*dst).MacType = v.MacType;
        (*dst).MaxFrameSize = v.MaxFrameSize;
        (*dst).Flags = v.Flags;
        (*dst).TimestampScaleFactor = v.TimestampScaleFactor;
        (*dst).NodeName = v.NodeName;
        (*dst).PModeSupported = v.PModeSupported;
        (*dst).Comment = v.Comment;
    }
}

/// Sets one entry from C name strings.
///
/// # Safety
/// `owner`, `category` and `tag` are NULL or NUL-terminated strings readable for the call.
unsafe fn set_value(h: HBLOB, owner: *const c_char, category: *const c_char, tag: *const c_char, value: &[u8]) -> NmResult<()> {
    // SAFETY: C strings per this function's contract.
    let (o, c, t) = (text!(owner), text!(category), text!(tag));
    store::try_with(blob_handle(h), |st| st.blob.set(o, c, t, value))
}

/// Reads one entry by C name strings.
///
/// # Safety
/// As `set_value`.
unsafe fn get_value(h: HBLOB, owner: *const c_char, category: *const c_char, tag: *const c_char) -> NmResult<String> {
    // SAFETY: C strings per this function's contract.
    let (o, c, t) = (text!(owner), text!(category), text!(tag));
    store::try_with(blob_handle(h), |st| st.blob.get_str(o, c, t))
}

ffi_fn! {
    /// Creates an empty BLOB and stores its handle in `*phBlob`. Destroy it with DestroyBlob.
    #[must_use]
    fn CreateBlob(phBlob: *mut HBLOB) -> DWORD {
        let out = out!(phBlob);
        *out = to_hblob(store::create(Blob::new())?);
        Ok(())
    }
}

ffi_fn! {
    /// Destroys a BLOB and everything it owns (including every pointer handed out from it).
    fn DestroyBlob(hBlob: HBLOB) -> DWORD {
        store::destroy(blob_handle(hBlob))
    }
}

ffi_fn! {
    /// Creates a new BLOB holding a copy of every entry of `hSrcBlob`.
    #[must_use]
    fn DuplicateBlob(hSrcBlob: HBLOB, hBlobThatWillBeCreated: *mut HBLOB) -> DWORD {
        let out = out!(hBlobThatWillBeCreated);
        let copy = store::snapshot(blob_handle(hSrcBlob))?;
        *out = to_hblob(store::create(copy)?);
        Ok(())
    }
}

ffi_fn! {
    /// Copies every entry of `hSrcBlob` into `hDstBlob`; entries in both take the source's value.
    fn MergeBlob(hDstBlob: HBLOB, hSrcBlob: HBLOB) -> DWORD {
        let src = store::snapshot(blob_handle(hSrcBlob))?;
        // In place: pointers into entries the merge does not change stay valid. (It cannot fail
        // half-way: the source's names and values are valid by construction.)
        store::try_with(blob_handle(hDstBlob), |st| st.blob.merge(&src))
    }
}

ffi_fn! {
    /// Stores `pString` at Owner:Category:Tag, creating missing levels and replacing a value.
    fn SetStringInBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, pString: *const c_char) -> DWORD {
        let v = text!(pString);
        // SAFETY: the exported function's name arguments, under the shared contract.
        unsafe { set_value(hBlob, pOwnerName, pCategoryName, pTagName, v) }
    }
}

ffi_fn! {
    /// Points `*ppString` at the stored value (owned by the BLOB; do not modify or free).
    /// `NMERR_BLOB_ENTRY_DOES_NOT_EXIST` when the owner, category or tag is missing.
    #[must_use]
    fn GetStringFromBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, ppString: *mut *const c_char) -> DWORD {
        let (o, c, t) = (text!(pOwnerName), text!(pCategoryName), text!(pTagName));
        let out = out!(ppString);
        *out = store::try_with(blob_handle(hBlob), |st| st.blob.get(o, c, t).map(|v| v.as_ptr()))?;
        Ok(())
    }
}

ffi_fn! {
    /// Stores a NUL-terminated UTF-16 string (as hex text of its code units).
    fn SetWStringInBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, pwString: *const WCHAR) -> DWORD {
        if pwString.is_null() {
            return Err(NMERR_INVALID_PARAMETER);
        }
        let mut units = Vec::new();
        // SAFETY: pwString is a NUL-terminated WCHAR string (C contract).
        unsafe {
            let mut p = pwString;
            while *p != 0 {
                units.push(*p);
                p = p.add(1);
            }
        }
        // SAFETY: the exported function's name arguments, under the shared contract.
        unsafe { set_value(hBlob, pOwnerName, pCategoryName, pTagName, values::format_wide(&units).as_bytes()) }
    }
}

ffi_fn! {
    /// Points `*ppwString` at the decoded NUL-terminated UTF-16 string (owned by the BLOB).
    /// `NMERR_BLOB_CONVERSION_ERROR` when the value is not a stored wide string.
    #[must_use]
    fn GetWStringFromBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, ppwString: *mut *mut WCHAR) -> DWORD {
        let (o, c, t) = (text!(pOwnerName), text!(pCategoryName), text!(pTagName));
        let out = out!(ppwString);
        *out = store::try_with(blob_handle(hBlob), |st| {
            let tag = st.blob.tag_mut(o, c, t).ok_or(NMERR_BLOB_ENTRY_DOES_NOT_EXIST)?;
            if tag.wide.is_none() {
                tag.wide = Some(values::parse_wide(&tag.value.to_string_lossy())?);
            }
            Ok(tag.wide.as_mut().map_or(core::ptr::null_mut(), |w| w.as_mut_ptr()))
        })?;
        Ok(())
    }
}

ffi_fn! {
    /// Enumerates entries, one per call. Start with `*pRestartKey` = 0 (or INITIAL_RESTART_KEY); the
    /// requested names bound the walk (NULL = any; a category needs an owner, a tag a category) and are
    /// ignored on later calls, which pass back the updated key. Returned pointers are owned by the
    /// BLOB. At the end (or when nothing matches) answers `NMERR_BLOB_ENTRY_DOES_NOT_EXIST` and sets
    /// `*pRestartKey` to 0. A walk past 64 owners, 1024 categories of an owner or 16384 tags of a
    /// category answers `NMERR_OUT_OF_RANGE` (key unchanged) on the call that would return the first
    /// entry the key cannot reach.
    #[must_use]
    fn GetStringsFromBlob(
        hBlob: HBLOB,
        pRequestedOwnerName: *const c_char,
        pRequestedCategoryName: *const c_char,
        pRequestedTagName: *const c_char,
        ppReturnedOwnerName: *mut *const c_char,
        ppReturnedCategoryName: *mut *const c_char,
        ppReturnedTagName: *mut *const c_char,
        ppReturnedString: *mut *const c_char,
        pRestartKey: *mut DWORD,
) -> DWORD {
        let (ro, rc, rt, rv, key) = (out!(ppReturnedOwnerName), out!(ppReturnedCategoryName), out!(ppReturnedTagName), out!(ppReturnedString), out!(pRestartKey));
        let req = EnumRequest { owner: opt_text!(pRequestedOwnerName), category: opt_text!(pRequestedCategoryName), tag: opt_text!(pRequestedTagName) };
        let found = store::with(blob_handle(hBlob), |st| {
            st.blob.enumerate(req, *key).map(|(e, next)| (e.owner.as_ptr(), e.category.as_ptr(), e.tag.as_ptr(), e.value.as_ptr(), next))
        })?;
        match found {
            Ok((o, c, t, v, next)) => {
                (*ro, *rc, *rt, *rv, *key) = (o, c, t, v, next);
                Ok(())
            }
            Err(e) => {
                if e == NMERR_BLOB_ENTRY_DOES_NOT_EXIST {
                    *key = 0;
                }
                Err(e)
            }
        }
    }
}

ffi_fn! {
    /// Removes one level: category NULL (tag must be NULL too) removes the owner with all its entries;
    /// tag NULL removes the category; otherwise the tag. Levels left empty go with it.
    /// `NMERR_BLOB_OWNER_NOT_FOUND`, `NMERR_BLOB_CATEGORY_NOT_FOUND`,
    /// `NMERR_BLOB_ENTRY_DOES_NOT_EXIST` for what is missing; `NMERR_AMBIGUOUS_SPECIFIER` for a tag
    /// without a category.
    fn RemoveFromBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char) -> DWORD {
        let o = text!(pOwnerName);
        let (c, t) = (opt_text!(pCategoryName), opt_text!(pTagName));
        store::try_with(blob_handle(hBlob), |st| st.blob.remove(o, c, t))
    }
}

ffi_fn! {
    /// Takes the BLOB for the calling thread: other threads' calls on it wait until UnlockBlob.
    /// Nestable (`NMERR_LOCK_NESTING_TOO_DEEP` past 65536).
    #[must_use]
    fn LockBlob(hBlob: HBLOB) -> DWORD {
        store::lock(blob_handle(hBlob))
    }
}

ffi_fn! {
    /// Releases one LockBlob; `NMERR_NOT_LOCKED` when the calling thread does not hold the BLOB.
    fn UnlockBlob(hBlob: HBLOB) -> DWORD {
        store::unlock(blob_handle(hBlob))
    }
}

/// The names in a NULL-terminated array of C strings; `NMERR_INVALID_PARAMETER` for NULL.
///
/// # Safety
/// `table` is NULL or points to an array of NUL-terminated strings ended by a NULL pointer, all
/// unchanged while the result is used (`'a`).
unsafe fn known_names<'a>(table: *const *const c_char) -> NmResult<Vec<&'a [u8]>> {
    if table.is_null() {
        return Err(NMERR_INVALID_PARAMETER);
    }
    let mut out = Vec::new();
    // SAFETY: a NULL-terminated array of C strings (C contract).
    unsafe {
        let mut p = table;
        while !(*p).is_null() {
            out.push(text_ref(&*p)?);
            p = p.add(1);
        }
    }
    Ok(out)
}

fn copy_unknown(src: HBLOB, dst: HBLOB, keep: impl Fn(&crate::blob::EntryRef) -> bool, found: NmErr) -> NmResult<()> {
    let blob = store::snapshot(blob_handle(src))?;
    let dst = blob_handle(dst);
    if !store::exists(dst) {
        return Err(NMERR_INVALID_BLOB);
    }
    let mut unknown = Blob::new();
    for e in blob.entries().filter(|e| keep(e)) {
        unknown.set(e.owner.to_bytes(), e.category.to_bytes(), e.tag.to_bytes(), e.value.to_bytes())?;
    }
    if unknown.is_empty() {
        return Ok(());
    }
    store::try_with(dst, |st| st.blob.merge(&unknown))?;
    Err(found)
}

ffi_fn! {
    /// Copies the entries of `pOwnerName`'s categories that are not in the NULL-terminated
    /// `pKnownCategoriesTable` into `hUnknownCategoriesBlob`. Answers `NMERR_UNKNOWN_CATEGORY` when
    /// it copied any, `NMERR_SUCCESS` when every category is known (or the owner is absent).
    fn FindUnknownBlobCategories(hBlob: HBLOB, pOwnerName: *const c_char, pKnownCategoriesTable: *const *const c_char, hUnknownCategoriesBlob: HBLOB) -> DWORD {
        let owner = text!(pOwnerName);
        // SAFETY: the argument is NULL or a NULL-terminated array of C strings (its contract).
        let known = unsafe { known_names(pKnownCategoriesTable)? };
        copy_unknown(
            hBlob,
            hUnknownCategoriesBlob,
            |e| crate::blob::names_equal(e.owner.to_bytes(), owner) && !known.iter().any(|k| crate::blob::names_equal(k, e.category.to_bytes())),
            NMERR_UNKNOWN_CATEGORY,
        )
    }
}

ffi_fn! {
    /// Copies the tags of Owner:Category that are not in the NULL-terminated `pKnownTagsTable` into
    /// `hUnknownTagsBlob`. Answers `NMERR_UNKNOWN_TAG` when it copied any, else `NMERR_SUCCESS`.
    fn FindUnknownBlobTags(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pKnownTagsTable: *const *const c_char, hUnknownTagsBlob: HBLOB) -> DWORD {
        let (owner, category) = (text!(pOwnerName), text!(pCategoryName));
        // SAFETY: the argument is NULL or a NULL-terminated array of C strings (its contract).
        let known = unsafe { known_names(pKnownTagsTable)? };
        copy_unknown(
            hBlob,
            hUnknownTagsBlob,
            |e| {
                crate::blob::names_equal(e.owner.to_bytes(), owner)
                    && crate::blob::names_equal(e.category.to_bytes(), category)
                    && !known.iter().any(|k| crate::blob::names_equal(k, e.tag.to_bytes()))
            },
            NMERR_UNKNOWN_TAG,
        )
    }
}

fn io_error(e: &std::io::Error, other: NmErr) -> NmErr {
    match e.kind() {
        std::io::ErrorKind::NotFound => NMERR_FILE_NOT_FOUND,
        std::io::ErrorKind::PermissionDenied => NMERR_ACCESS_DENIED,
        _ if e.raw_os_error() == Some(libc::ENOTDIR) => NMERR_PATH_NOT_FOUND,
        _ => other,
    }
}

ffi_fn! {
    /// Saves the BLOB to a file in the text form (`#NMBLOB 1` then `Owner:Category:Tag=Value` lines).
    /// `NMERR_PATH_NOT_FOUND` (missing directory), `NMERR_ACCESS_DENIED`, `NMERR_FILE_WRITE_ERROR`.
    fn WriteBlobToFile(hBlob: HBLOB, pFileName: *const c_char) -> DWORD {
        let path = text!(pFileName);
        let bytes = blobtext::serialize(&store::snapshot(blob_handle(hBlob))?);
        let path = std::path::Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path));
        std::fs::write(path, bytes).map_err(|e| match io_error(&e, NMERR_FILE_WRITE_ERROR) {
            NMERR_FILE_NOT_FOUND => NMERR_PATH_NOT_FOUND,
            x => x,
        })
    }
}

ffi_fn! {
    /// Reads a BLOB saved by WriteBlobToFile into a new BLOB. `NMERR_FILE_NOT_FOUND`,
    /// `NMERR_ACCESS_DENIED`, `NMERR_FILE_READ_ERROR`; content errors as UnMarshalBlob.
    #[must_use]
    fn ReadBlobFromFile(phBlob: *mut HBLOB, pFileName: *const c_char) -> DWORD {
        let path = text!(pFileName);
        let out = out!(phBlob);
        let path = std::path::Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path));
        let bytes = std::fs::read(path).map_err(|e| io_error(&e, NMERR_FILE_READ_ERROR))?;
        *out = to_hblob(store::create(blobtext::parse(&bytes)?)?);
        Ok(())
    }
}

ffi_fn! {
    /// Flattens the BLOB into bytes (the text form). `*ppBytes` is owned by the BLOB and stays valid
    /// until the next MarshalBlob on it or DestroyBlob.
    #[must_use]
    fn MarshalBlob(hBlob: HBLOB, pSize: *mut DWORD, ppBytes: *mut *mut BYTE) -> DWORD {
        let (size, bytes) = (out!(pSize), out!(ppBytes));
        let (n, p) = store::try_with(blob_handle(hBlob), |st| {
            st.marshalled = blobtext::serialize(&st.blob);
            let n = u32::try_from(st.marshalled.len()).map_err(|_| NMERR_OUT_OF_RANGE)?;
            Ok((n, st.marshalled.as_mut_ptr()))
        })?;
        (*size, *bytes) = (n, p);
        Ok(())
    }
}

ffi_fn! {
    /// Creates a BLOB from `Size` bytes made by MarshalBlob. `NMERR_BLOB_CONVERSION_ERROR` (not a
    /// marshalled BLOB, bad line or escape), `NMERR_UPLEVEL_BLOB` (newer version),
    /// `NMERR_BLOB_STRING_INVALID` (NUL byte, unterminated last line),
    /// `NMERR_BLOB_ENTRY_ALREADY_EXISTS` (an entry twice).
    #[must_use]
    fn UnMarshalBlob(phBlob: *mut HBLOB, Size: DWORD, pBytes: *mut BYTE) -> DWORD {
        let out = out!(phBlob);
        if pBytes.is_null() && Size != 0 {
            return Err(NMERR_INVALID_PARAMETER);
        }
        let bytes: &[u8] = if Size == 0 {
            &[]
        } else {
            // SAFETY: pBytes is non-NULL (checked) and holds Size readable bytes (its contract).
            unsafe { core::slice::from_raw_parts(pBytes, Size as usize) }
        };
        *out = to_hblob(store::create(blobtext::parse(bytes)?)?);
        Ok(())
    }
}

ffi_fn! {
    /// Stores a DWORD (in decimal).
    fn SetDwordInBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, Dword: DWORD) -> DWORD {
        // SAFETY: the exported function's name arguments, under the shared contract.
        unsafe { set_value(hBlob, pOwnerName, pCategoryName, pTagName, values::format_dword(Dword).as_bytes()) }
    }
}

ffi_fn! {
    /// Reads a DWORD (decimal or 0x hex); `NMERR_BLOB_CONVERSION_ERROR` when the value is not one.
    #[must_use]
    fn GetDwordFromBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, pDword: *mut DWORD) -> DWORD {
        let out = out!(pDword);
        // SAFETY: the exported function's name arguments, under the shared contract.
        *out = values::parse_dword(&unsafe { get_value(hBlob, pOwnerName, pCategoryName, pTagName) }?)?;
        Ok(())
    }
}

ffi_fn! {
    /// Stores a BOOL as TRUE/FALSE (any non-zero value is TRUE).
    fn SetBoolInBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, Bool: BOOL) -> DWORD {
        // SAFETY: the exported function's name arguments, under the shared contract.
        unsafe { set_value(hBlob, pOwnerName, pCategoryName, pTagName, values::format_bool(Bool != 0).as_bytes()) }
    }
}

ffi_fn! {
    /// Reads a BOOL (TRUE/FALSE/YES/NO/1/0, any case) as 1 or 0.
    #[must_use]
    fn GetBoolFromBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, pBool: *mut BOOL) -> DWORD {
        let out = out!(pBool);
        // SAFETY: the exported function's name arguments, under the shared contract.
        *out = values::parse_bool(&unsafe { get_value(hBlob, pOwnerName, pCategoryName, pTagName) }?)? as BOOL;
        Ok(())
    }
}

ffi_fn! {
    /// Stores a 6-byte MAC address (12 upper-case hex digits).
    fn SetMacAddressInBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, pMacAddress: *const BYTE) -> DWORD {
        let mac6 = pMacAddress.cast::<[u8; 6]>();
        let mac = input!(mac6);
        // SAFETY: the exported function's name arguments, under the shared contract.
        unsafe { set_value(hBlob, pOwnerName, pCategoryName, pTagName, values::format_mac(mac).as_bytes()) }
    }
}

ffi_fn! {
    /// Reads a MAC address into the caller's 6 bytes (`-` and `:` separators accepted).
    #[must_use]
    fn GetMacAddressFromBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, pMacAddress: *mut BYTE) -> DWORD {
        let mac6 = pMacAddress.cast::<[u8; 6]>();
        let out = out!(mac6);
        // SAFETY: the exported function's name arguments, under the shared contract.
        *out = values::parse_mac(&unsafe { get_value(hBlob, pOwnerName, pCategoryName, pTagName) }?)?;
        Ok(())
    }
}

ffi_fn! {
    /// Stores a CLSID as `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`.
    fn SetClassIDInBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, pClsID: *const CLSID) -> DWORD {
        let id = input!(pClsID);
        // SAFETY: the exported function's name arguments, under the shared contract.
        unsafe { set_value(hBlob, pOwnerName, pCategoryName, pTagName, values::format_guid(id).as_bytes()) }
    }
}

ffi_fn! {
    /// Reads a CLSID (braces optional, any case).
    #[must_use]
    fn GetClassIDFromBlob(hBlob: HBLOB, pOwnerName: *const c_char, pCategoryName: *const c_char, pTagName: *const c_char, pClsID: *mut CLSID) -> DWORD {
        let out = out!(pClsID);
        // SAFETY: the exported function's name arguments, under the shared contract.
        *out = values::parse_guid(&unsafe { get_value(hBlob, pOwnerName, pCategoryName, pTagName) }?)?;
        Ok(())
    }
}

ffi_fn! {
    /// Writes every NETWORKINFO field as its `NPP:NetworkInfo` tag (PermanentAddr as
    /// `NPP:Location:MacAddress`).
    fn SetNetworkInfoInBlob(hBlob: HBLOB, lpNetworkInfo: LPNETWORKINFO) -> DWORD {
        let ni = input!(lpNetworkInfo);
        store::try_with(blob_handle(hBlob), |st| netinfo::set_network_info(&mut st.blob, ni))
    }
}

ffi_fn! {
    /// Fills the caller's NETWORKINFO from the BLOB; absent tags leave their field zero.
    /// `NMERR_BLOB_ENTRY_DOES_NOT_EXIST` when there is no `NPP:NetworkInfo` entry at all,
    /// `NMERR_BLOB_CONVERSION_ERROR` for a malformed value.
    #[must_use]
    fn GetNetworkInfoFromBlob(hBlob: HBLOB, lpNetworkInfo: LPNETWORKINFO) -> DWORD {
        let out = out!(lpNetworkInfo);
        let mut bad = None;
        let ni = store::try_with(blob_handle(hBlob), |st| netinfo::get_network_info(&st.blob, &mut bad))?;
        // SAFETY: `out` is a valid, writable NETWORKINFO (from out!).
        unsafe { put_network_info(out, &ni) };
        Ok(())
    }
}

ffi_fn! {
    /// Converts `NPP:NetworkInfo:MacType` to a MAC_TYPE_* number; a missing or unknown name gives
    /// MAC_TYPE_UNKNOWN (0) with `NMERR_SUCCESS`.
    #[must_use]
    fn GetNPPMacTypeAsNumber(hBlob: HBLOB, lpMacType: LPDWORD) -> DWORD {
        let out = out!(lpMacType);
        *out = store::with(blob_handle(hBlob), |st| {
            st.blob
                .get_str(OWNER_NPP.as_bytes(), CATEGORY_NETWORKINFO.as_bytes(), TAG_MACTYPE.as_bytes())
                .map_or(MAC_TYPE_UNKNOWN, |s| netinfo::mac_type_number(&s))
        })?;
        Ok(())
    }
}

ffi_fn! {
    /// TRUE when the BLOB names a remote NPP: `NPP:Remote:RemoteComputer` is set and differs from
    /// this machine's host name. FALSE otherwise, and for an invalid handle.
    #[must_use]
    fn IsRemoteNPP(hBLOB: HBLOB) -> BOOL, panic => FALSE, {
        let remote = store::with(blob_handle(hBLOB), |st| {
            st.blob.get_str(OWNER_NPP.as_bytes(), CATEGORY_REMOTE.as_bytes(), TAG_REMOTECOMPUTER.as_bytes()).ok()
        });
        match remote {
            Ok(Some(name)) if !name.is_empty() => {
                let local = crate::npp::finder::local_host_name();
                (!name.eq_ignore_ascii_case(&local)) as BOOL
            }
            _ => FALSE,
        }
    }
}

ffi_fn! {
    /// Stores the pattern-match filter in `NPP:Config:PatternMatch`. `NMERR_OUT_OF_RANGE` (with the
    /// tag in the error BLOB) for more than 4 groups or patterns, a Length over 16, an unknown offset
    /// basis or flag.
    fn SetNPPPatternFilterInBlob(hBlob: HBLOB, pExpression: LPEXPRESSION, hErrorBlob: HBLOB) -> DWORD {
        let e = input!(pExpression);
        let err = error_blob(hErrorBlob)?;
        let text = filters::format_expression(e).inspect_err(|_| store::report(err, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, ""))?;
        store::try_with(blob_handle(hBlob), |st| st.blob.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, &text))
    }
}

ffi_fn! {
    /// Reads the pattern-match filter; no filter set gives an EXPRESSION with nAndExps = 0.
    /// `NMERR_BLOB_CONVERSION_ERROR` (the entry copied to the error BLOB) when it is malformed.
    #[must_use]
    fn GetNPPPatternFilterFromBlob(hBlob: HBLOB, pExpression: LPEXPRESSION, hErrorBlob: HBLOB) -> DWORD {
        let out = out!(pExpression);
        let err = error_blob(hErrorBlob)?;
        let stored = store::with(blob_handle(hBlob), |st| st.blob.get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), TAG_PATTERN_DESIGNATOR.as_bytes()).ok())?;
        let e = match stored {
            None => filters::zero_expression(),
            Some(s) => filters::parse_expression(&s).inspect_err(|_| store::report(err, CATEGORY_CONFIG, TAG_PATTERN_DESIGNATOR, &s))?,
        };
        // SAFETY: `out` is a valid, writable EXPRESSION (from out!).
        unsafe { put_expression(out, &e) };
        Ok(())
    }
}

ffi_fn! {
    /// Stores the address-pair filter in `NPP:Config:AddressPair`. `NMERR_OUT_OF_RANGE` for more
    /// than 8 pairs or an unknown address type.
    fn SetNPPAddress2FilterInBlob(hBlob: HBLOB, pAddressTable: LPADDRESSTABLE2) -> DWORD {
        let t = input!(pAddressTable);
        let text = filters::format_address_table(t)?;
        store::try_with(blob_handle(hBlob), |st| st.blob.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, &text))
    }
}

ffi_fn! {
    /// Reads the address-pair filter (nNonMacAddressPairs recomputed); none set gives an empty table.
    /// `NMERR_BLOB_CONVERSION_ERROR` (the entry copied to the error BLOB) when it is malformed.
    #[must_use]
    fn GetNPPAddress2FilterFromBlob(hBlob: HBLOB, pAddressTable: LPADDRESSTABLE2, hErrorBlob: HBLOB) -> DWORD {
        let out = out!(pAddressTable);
        let err = error_blob(hErrorBlob)?;
        let stored = store::with(blob_handle(hBlob), |st| st.blob.get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), TAG_ADDRESS_PAIR.as_bytes()).ok())?;
        *out = match stored {
            None => ADDRESSTABLE2::default(),
            Some(s) => filters::parse_address_table(&s).inspect_err(|_| store::report(err, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, &s))?,
        };
        Ok(())
    }
}

ffi_fn! {
    /// The documented pre-IPv6 form of SetNPPAddress2FilterInBlob: stores a v1 ADDRESSTABLE in the
    /// same `NPP:Config:AddressPair` entry.
    fn SetNPPAddressFilterInBlob(hBlob: HBLOB, pAddressTable: LPADDRESSTABLE) -> DWORD {
        let t = input!(pAddressTable);
        let text = filters::format_address_table(&filters::address_table_from_v1(t)?)?;
        store::try_with(blob_handle(hBlob), |st| st.blob.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, &text))
    }
}

ffi_fn! {
    /// The pre-IPv6 form of GetNPPAddress2FilterFromBlob. `NMERR_BLOB_CONVERSION_ERROR` (entry copied
    /// to the error BLOB) when the filter is malformed or holds an address a v1 ADDRESS cannot carry.
    #[must_use]
    fn GetNPPAddressFilterFromBlob(hBlob: HBLOB, pAddressTable: LPADDRESSTABLE, hErrorBlob: HBLOB) -> DWORD {
        let out = out!(pAddressTable);
        let err = error_blob(hErrorBlob)?;
        let stored = store::with(blob_handle(hBlob), |st| st.blob.get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), TAG_ADDRESS_PAIR.as_bytes()).ok())?;
        *out = match stored {
            None => ADDRESSTABLE::default(),
            Some(s) => filters::parse_address_table(&s)
                .and_then(|t| filters::address_table_to_v1(&t))
                .inspect_err(|_| store::report(err, CATEGORY_CONFIG, TAG_ADDRESS_PAIR, &s))?,
        };
        Ok(())
    }
}

ffi_fn! {
    /// Stores the trigger in `NPP:Trigger:Trigger`; an inactive trigger (TriggerActive FALSE) removes
    /// the tag. `NMERR_ILLEGAL_TRIGGER` (tag in the error BLOB) for an unknown type, action, level or
    /// flag, a bad pattern, or a command line not NUL-terminated within MAX_PATH. The command line
    /// is stored and returned but never executed by this library.
    fn SetNPPTriggerInBlob(hBlob: HBLOB, pTrigger: LPTRIGGER, hErrorBlob: HBLOB) -> DWORD {
        let t = input!(pTrigger);
        let err = error_blob(hErrorBlob)?;
        let text = if t.TriggerActive != 0 {
            Some(filters::format_trigger(t).inspect_err(|_| store::report(err, CATEGORY_TRIGGER, TAG_TRIGGER, ""))?)
        } else {
            None
        };
        store::try_with(blob_handle(hBlob), |st| match text {
            Some(s) => st.blob.set_str(OWNER_NPP, CATEGORY_TRIGGER, TAG_TRIGGER, &s),
            None => {
                let _ = st.blob.remove(OWNER_NPP.as_bytes(), Some(CATEGORY_TRIGGER.as_bytes()), Some(TAG_TRIGGER.as_bytes()));
                Ok(())
            }
        })
    }
}

ffi_fn! {
    /// Reads the trigger; no trigger set gives an all-zero TRIGGER (TriggerActive FALSE).
    /// `NMERR_ILLEGAL_TRIGGER` (the entry copied to the error BLOB) when it is malformed.
    #[must_use]
    fn GetNPPTriggerFromBlob(hBlob: HBLOB, pTrigger: LPTRIGGER, hErrorBlob: HBLOB) -> DWORD {
        let out = out!(pTrigger);
        let err = error_blob(hErrorBlob)?;
        let stored = store::with(blob_handle(hBlob), |st| st.blob.get_str(OWNER_NPP.as_bytes(), CATEGORY_TRIGGER.as_bytes(), TAG_TRIGGER.as_bytes()).ok())?;
        let t = match stored {
            None => filters::zero_trigger(),
            Some(s) => filters::parse_trigger(&s).inspect_err(|_| store::report(err, CATEGORY_TRIGGER, TAG_TRIGGER, &s))?,
        };
        // SAFETY: `out` is a valid, writable TRIGGER (from out!).
        unsafe { put_trigger(out, &t) };
        Ok(())
    }
}

const KNOWN_FILTER_FLAGS: u32 = 0x3F;
const OTHER_FILTER_FLAGS: u32 = CAPTUREFILTER_FLAGS_TRIGGER | CAPTUREFILTER_FLAGS_DISCARD_COMMENTS | CAPTUREFILTER_FLAGS_KEEP_RAW;

ffi_fn! {
    /// Stores the Etype/SAP filter in `NPP:Config:Saps` and `Etypes` (INCLUDE_ALL flags as the list
    /// mode), `LocalOnly` from CAPTUREFILTER_FLAGS_LOCAL_ONLY and the other flag bits in `FilterFlags`.
    /// Etypes are host-order numbers. `NMERR_INVALID_PARAMETER` for a NULL table with a non-zero count
    /// or an unknown flag bit.
    fn SetNPPEtypeSapFilter(hBlob: HBLOB, nSaps: WORD, nEtypes: WORD, lpSapTable: LPBYTE, lpEtypeTable: LPWORD, FilterFlags: DWORD, hErrorBlob: HBLOB) -> DWORD {
        if (nSaps > 0 && lpSapTable.is_null()) || (nEtypes > 0 && lpEtypeTable.is_null()) || FilterFlags & !KNOWN_FILTER_FLAGS != 0 {
            return Err(NMERR_INVALID_PARAMETER);
        }
        error_blob(hErrorBlob)?;
        let saps: Vec<u16> = if nSaps == 0 {
            vec![]
        } else {
            // SAFETY: the table holds nSaps entries (its contract), checked non-NULL above.
            unsafe { core::slice::from_raw_parts(lpSapTable, nSaps as usize) }.iter().map(|s| *s as u16).collect()
        };
        let etypes: Vec<u16> = if nEtypes == 0 {
            vec![]
        } else {
            // SAFETY: the table holds nEtypes entries (its contract), checked non-NULL above.
            unsafe { core::slice::from_raw_parts(lpEtypeTable, nEtypes as usize) }.to_vec()
        };
        let saps = filters::format_list(&ListFilter { include_all: FilterFlags & CAPTUREFILTER_FLAGS_INCLUDE_ALL_SAPS != 0, values: saps }, 2);
        let etypes = filters::format_list(&ListFilter { include_all: FilterFlags & CAPTUREFILTER_FLAGS_INCLUDE_ALL_ETYPES != 0, values: etypes }, 4);
        store::try_with(blob_handle(hBlob), |st| {
            // In place (no copy-and-swap), so pointers into other entries stay valid.
            let b = &mut st.blob;
            b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_SAPS, &saps)?;
            b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_ETYPES, &etypes)?;
            b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_LOCAL_ONLY, values::format_bool(FilterFlags & CAPTUREFILTER_FLAGS_LOCAL_ONLY != 0))?;
            let other = FilterFlags & OTHER_FILTER_FLAGS;
            if other != 0 {
                b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_FILTER_FLAGS, &format!("0x{other:X}"))?;
            } else {
                let _ = b.remove(OWNER_NPP.as_bytes(), Some(CATEGORY_CONFIG.as_bytes()), Some(TAG_FILTER_FLAGS.as_bytes()));
            }
            Ok(())
        })
    }
}

ffi_fn! {
    /// Reads the Etype/SAP filter. A part that was never set counts as "include all" with no entries.
    /// The tables are owned by the BLOB (valid until the next call of this function on it, or
    /// DestroyBlob); an empty table is NULL. `NMERR_BLOB_CONVERSION_ERROR` (entry copied to the error
    /// BLOB) when a part is malformed.
    #[must_use]
    fn GetNPPEtypeSapFilter(hBlob: HBLOB, pnSaps: *mut WORD, pnEtypes: *mut WORD, ppSapTable: *mut LPBYTE, ppEtypeTable: *mut LPWORD, pFilterFlags: *mut DWORD, hErrorBlob: HBLOB) -> DWORD {
        let (ns, ne, st_, et_, ff) = (out!(pnSaps), out!(pnEtypes), out!(ppSapTable), out!(ppEtypeTable), out!(pFilterFlags));
        let err = error_blob(hErrorBlob)?;
        // A malformed entry is reported after the BLOB's lock is released: the error BLOB may be
        // the same BLOB.
        let mut bad: Option<(&'static str, String)> = None;
        let r = store::try_with(blob_handle(hBlob), |st| {
            let text = |tag: &'static str| st.blob.get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), tag.as_bytes()).ok();
            let mut fail = |tag: &'static str, value: String, e: NmErr| {
                bad = Some((tag, value));
                e
            };
            let mut part = |tag: &'static str, max: u32| -> NmResult<ListFilter> {
                match text(tag) {
                    None => Ok(ListFilter { include_all: true, values: vec![] }),
                    Some(s) => filters::parse_list(&s, max).map_err(|e| fail(tag, s, e)),
                }
            };
            let saps = part(TAG_SAPS, 0xFF)?;
            let etypes = part(TAG_ETYPES, 0xFFFF)?;
            let mut flags = 0;
            if saps.include_all {
                flags |= CAPTUREFILTER_FLAGS_INCLUDE_ALL_SAPS;
            }
            if etypes.include_all {
                flags |= CAPTUREFILTER_FLAGS_INCLUDE_ALL_ETYPES;
            }
            if let Some(s) = text(TAG_LOCAL_ONLY) {
                if values::parse_bool(&s).map_err(|e| fail(TAG_LOCAL_ONLY, s, e))? {
                    flags |= CAPTUREFILTER_FLAGS_LOCAL_ONLY;
                }
            }
            if let Some(s) = text(TAG_FILTER_FLAGS) {
                flags |= values::parse_dword(&s).map_err(|e| fail(TAG_FILTER_FLAGS, s, e))? & OTHER_FILTER_FLAGS;
            }
            st.sap_table = saps.values.iter().map(|v| *v as u8).collect();
            st.etype_table = etypes.values;
            let sp = if st.sap_table.is_empty() { core::ptr::null_mut() } else { st.sap_table.as_mut_ptr() };
            let ep = if st.etype_table.is_empty() { core::ptr::null_mut() } else { st.etype_table.as_mut_ptr() };
            Ok((st.sap_table.len() as u16, st.etype_table.len() as u16, sp, ep, flags))
        });
        if let Some((tag, value)) = &bad {
            store::report(err, CATEGORY_CONFIG, tag, value);
        }
        let r = r?;
        (*ns, *ne, *st_, *et_, *ff) = r;
        Ok(())
    }
}
