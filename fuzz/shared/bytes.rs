//! A reader that turns fuzz bytes into choices. Past the end it reads zeros, so every input maps
//! to exactly one case and a case replays from its bytes alone (the regression tests rely on it).
#![allow(dead_code)] // each target uses a subset

pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    pub fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((first, rest)) => {
                self.0 = rest;
                *first
            }
            None => 0,
        }
    }

    pub fn choice(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n
    }

    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    pub fn u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        bytes.iter_mut().for_each(|b| *b = self.byte());
        u64::from_le_bytes(bytes)
    }

    /// Up to `max` raw bytes, length first.
    pub fn bytes(&mut self, max: usize) -> &[u8] {
        let len = usize::from(self.byte()).min(max).min(self.0.len());
        let (taken, rest) = self.0.split_at(len);
        self.0 = rest;
        taken
    }

    pub fn text(&mut self, max: usize) -> String {
        String::from_utf8_lossy(self.bytes(max)).into_owned()
    }

    /// Whatever is left.
    pub fn rest(&mut self) -> &[u8] {
        std::mem::take(&mut self.0)
    }
}
