//! When each viewer is next looked at: one list of viewers per second of
//! the show. The model does not step every viewer every second; it draws
//! the second of a viewer's next possible event and files the viewer
//! under it (docs/sim.md, "Skipping quiet seconds").
//!
//! A viewer may be filed twice (a redraw does not search for the old
//! entry, which would cost more than it saves); the model keeps the one
//! second that counts in the viewer's own state and passes over the
//! others.

#[derive(Debug, Clone, Default)]
pub(super) struct Calendar {
    /// Viewers (indices) to look at, by second.
    seconds: Vec<Vec<u32>>,
    /// Emptied lists kept for their capacity.
    spare: Vec<Vec<u32>>,
}

impl Calendar {
    pub(super) fn new(duration_s: u32) -> Calendar {
        Calendar { seconds: vec![Vec::new(); duration_s as usize], spare: Vec::new() }
    }

    /// Files viewer `v` under second `at`; a second past the show's end is
    /// not kept (the show's end makes everyone leave).
    #[inline]
    pub(super) fn file(&mut self, at: u32, v: u32) {
        if let Some(list) = self.seconds.get_mut(at as usize) {
            if list.capacity() == 0
                && let Some(spare) = self.spare.pop()
            {
                *list = spare;
            }
            list.push(v);
        }
    }

    /// The viewers filed under second `t`, in the order they were filed.
    /// Hand the list back with [`Calendar::give_back`].
    pub(super) fn take(&mut self, t: u32) -> Vec<u32> {
        self.seconds.get_mut(t as usize).map(std::mem::take).unwrap_or_default()
    }

    pub(super) fn give_back(&mut self, mut list: Vec<u32>) {
        if list.capacity() > 0 {
            list.clear();
            self.spare.push(list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_come_back_in_filing_order_and_past_the_end_is_dropped() {
        let mut c = Calendar::new(10);
        c.file(3, 7);
        c.file(3, 2);
        c.file(4, 1);
        c.file(10, 5);
        assert_eq!(c.take(3), vec![7, 2]);
        assert!(c.take(3).is_empty());
        let four = c.take(4);
        assert_eq!(four, vec![1]);
        c.give_back(four);
        c.file(6, 9);
        assert_eq!(c.take(6), vec![9]);
        assert!(c.take(10).is_empty());
    }
}
