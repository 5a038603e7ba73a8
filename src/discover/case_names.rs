//! Case ids interned in compact memory: a log of 10⁶ cases must not cost 10⁶ `String`s.
//!
//! An `Interner` of `String`s holds each name twice (the vector and the hash map's key), each
//! with its own allocation: about 130 bytes per case with allocator and table slack, which made
//! case names the largest memory of `discover` on big logs (issue #23). Here all names are
//! concatenated in one `String` with their end offsets, and the hash table holds only the
//! index of each name (4 bytes), comparing by the text in the arena: about 20 bytes per case
//! for the short ids logs use. Numbering is the same (first come, first numbered), so the
//! cases sort, and the scenario comes out, exactly as before.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// Names mapped to dense indices, first come first numbered.
#[derive(Clone, Default)]
pub struct CaseNames {
    pub names: Names,
    table: HashTable<u32>,
    hasher: std::collections::hash_map::RandomState,
}

/// The names by index (`names[i]` is a `&str`).
#[derive(Clone, Default)]
pub struct Names {
    text: String,
    ends: Vec<usize>,
}

impl Names {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| &self[i])
    }
}

impl std::ops::Index<usize> for Names {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

impl std::fmt::Debug for CaseNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CaseNames({} names, {} bytes)", self.len(), self.names.text.len())
    }
}

impl CaseNames {
    /// The index of `name`, numbering it if new.
    pub fn get(&mut self, name: &str) -> u32 {
        let h = self.hasher.hash_one(name);
        let names = &self.names;
        if let Some(&i) = self.table.find(h, |&i| &names[i as usize] == name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.text.push_str(name);
        self.names.ends.push(self.names.text.len());
        let (names, hasher) = (&self.names, &self.hasher);
        self.table.insert_unique(h, i, |&j| hasher.hash_one(&names[j as usize]));
        i
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Frees the slack left by growth (once all names are in).
    pub fn shrink_to_fit(&mut self) {
        self.names.text.shrink_to_fit();
        self.names.ends.shrink_to_fit();
        let (names, hasher) = (&self.names, &self.hasher);
        self.table.shrink_to_fit(|&j| hasher.hash_one(&names[j as usize]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_as_the_string_interner_does() {
        let mut c = CaseNames::default();
        let mut plain = super::super::log::Interner::default();
        let ids = ["c1", "c2", "", "c1", "客户-7", "c2", "c10", "", "c1"];
        for id in ids {
            assert_eq!(c.get(id), plain.get(id), "{id}");
        }
        assert_eq!(c.len(), 5);
        let got: Vec<&str> = c.names.iter().collect();
        assert_eq!(got, plain.names);
        assert_eq!(&c.names[4], "c10");
        // Many names: the table grows (rehashing from the arena) without losing any.
        for i in 0..10_000 {
            c.get(&format!("case {i}"));
        }
        assert_eq!(c.get("case 1234"), 5 + 1234);
        c.shrink_to_fit();
        assert_eq!(c.get("客户-7"), 3);
        assert_eq!(c.get("case 9999"), 5 + 9999);
        assert_eq!(c.len(), 10_005);
    }
}
