//! Generation-checked handle tables (docs/architecture.md, Threads and locks).
//!
//! A handle is a pointer-sized integer: bits 0-23 hold the slot index + 1, bits 24-55 the slot's
//! generation, bits 56-63 the table's tag. It is never a pointer into Rust memory, so a NULL,
//! forged, destroyed or other-table handle is detected by looking it up, never by dereferencing.
//!
//! The table lock is held only to find or change a slot; callers get an `Arc` to the entry and
//! lock the entry's own mutex (if it has one) after the table lock is released.

use parking_lot::RwLock;
use std::sync::Arc;

const INDEX_BITS: u32 = 24;
const GEN_BITS: u32 = 32;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;
/// Largest number of live entries a table holds (index 0 is reserved so a handle is never 0).
pub const MAX_ENTRIES: usize = (INDEX_MASK - 1) as usize;

struct Slot<T> {
    generation: u32,
    value: Option<Arc<T>>,
}

struct Inner<T> {
    slots: Vec<Slot<T>>,
    free: Vec<usize>,
    live: usize,
}

/// A table of `Arc<T>` entries addressed by opaque handles.
pub struct HandleTable<T> {
    tag: u8,
    inner: RwLock<Inner<T>>,
}

impl<T> HandleTable<T> {
    /// An empty table whose handles carry `tag` (distinct per table).
    pub const fn new(tag: u8) -> Self {
        HandleTable { tag, inner: RwLock::new(Inner { slots: Vec::new(), free: Vec::new(), live: 0 }) }
    }

    fn encode(&self, index: usize, generation: u32) -> u64 {
        ((self.tag as u64) << (INDEX_BITS + GEN_BITS)) | (((generation as u64) & GEN_MASK) << INDEX_BITS) | ((index as u64 + 1) & INDEX_MASK)
    }

    fn decode(&self, handle: u64) -> Option<(usize, u32)> {
        if (handle >> (INDEX_BITS + GEN_BITS)) as u8 != self.tag {
            return None;
        }
        let index = (handle & INDEX_MASK) as usize;
        if index == 0 {
            return None;
        }
        Some((index - 1, ((handle >> INDEX_BITS) & GEN_MASK) as u32))
    }

    /// Stores `value` and returns its handle, or `None` when the table is full.
    pub fn insert(&self, value: T) -> Option<u64> {
        let mut inner = self.inner.write();
        let index = match inner.free.pop() {
            Some(i) => i,
            None => {
                if inner.slots.len() >= MAX_ENTRIES {
                    return None;
                }
                inner.slots.push(Slot { generation: 1, value: None });
                inner.slots.len() - 1
            }
        };
        let slot = &mut inner.slots[index];
        slot.value = Some(Arc::new(value));
        let generation = slot.generation;
        inner.live += 1;
        Some(self.encode(index, generation))
    }

    /// The entry behind `handle`, if the handle is live.
    pub fn get(&self, handle: u64) -> Option<Arc<T>> {
        let (index, generation) = self.decode(handle)?;
        let inner = self.inner.read();
        let slot = inner.slots.get(index)?;
        if slot.generation != generation {
            return None;
        }
        slot.value.clone()
    }

    /// Removes the entry behind `handle`; the handle (and every copy of it) is dead afterwards.
    pub fn remove(&self, handle: u64) -> Option<Arc<T>> {
        let (index, generation) = self.decode(handle)?;
        let mut inner = self.inner.write();
        let slot = inner.slots.get_mut(index)?;
        if slot.generation != generation || slot.value.is_none() {
            return None;
        }
        let value = slot.value.take();
        // Never reuse generation 0 of a slot, and never hand out the same handle twice.
        slot.generation = slot.generation.wrapping_add(1).max(1);
        inner.free.push(index);
        inner.live -= 1;
        value
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.inner.read().live
    }

    /// True when no entry is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_get_remove() {
        let t = HandleTable::new(7);
        let h = t.insert(42).unwrap();
        assert_ne!(h, 0);
        assert_eq!(*t.get(h).unwrap(), 42);
        assert_eq!(t.len(), 1);
        assert_eq!(*t.remove(h).unwrap(), 42);
        assert!(t.get(h).is_none(), "stale handle");
        assert!(t.remove(h).is_none(), "double remove");
        let h2 = t.insert(43).unwrap();
        assert_ne!(h, h2, "reused slot gets a new generation");
        assert!(t.get(h).is_none());
        assert_eq!(*t.get(h2).unwrap(), 43);
    }

    #[test]
    fn forged_and_foreign_handles() {
        let a = HandleTable::new(1);
        let b: HandleTable<&str> = HandleTable::new(2);
        let ha = a.insert("a").unwrap();
        assert!(b.get(ha).is_none(), "other table");
        assert!(a.get(0).is_none());
        assert!(a.get(u64::MAX).is_none());
        assert!(a.get(ha + 1).is_none(), "index out of range");
        assert!(a.get(ha ^ (1 << 30)).is_none(), "wrong generation");
        for x in [1u64, 0xdead_beef, 0x0100_0000_0000_0001, 0x7fff_ffff_ffff] {
            let _ = a.get(x);
        }
    }
}
