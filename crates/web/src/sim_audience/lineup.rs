//! Fitting a scenario's products to a real room's lineup: the model judges
//! the prices, list prices and stock the room really has, and its product
//! numbers are translated to the room's product ids and back.
//!
//! A scenario product is matched to the lineup product of the same title;
//! the rest are paired in order with the lineup products left over. A
//! scenario product with no partner keeps its own figures, and what
//! simulated viewers do with it never reaches the room (there is nothing
//! to click).

use std::collections::BTreeMap;
use zhibo_domain::Fen;
use zhibo_sim::Scenario;

use super::signals::RoomProduct;

/// Scenario product index ↔ room product id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductMap {
    to_room: Vec<Option<i64>>,
    from_room: BTreeMap<i64, usize>,
}

impl ProductMap {
    pub fn room(&self, index: usize) -> Option<i64> {
        self.to_room.get(index).copied().flatten()
    }

    pub fn index(&self, product: i64) -> Option<usize> {
        self.from_room.get(&product).copied()
    }

    /// How many scenario products have a room product.
    pub fn matched(&self) -> usize {
        self.from_room.len()
    }
}

/// Pairs the scenario's products with the room's and copies the room's
/// live price, list price and stock into the scenario.
pub fn fit(scenario: &mut Scenario, room: &[RoomProduct]) -> ProductMap {
    let mut to_room: Vec<Option<usize>> = vec![None; scenario.products.len()];
    let mut taken = vec![false; room.len()];
    for (i, p) in scenario.products.iter().enumerate() {
        if let Some(r) = room.iter().enumerate().position(|(k, r)| !taken[k] && r.title == p.title) {
            to_room[i] = Some(r);
            taken[r] = true;
        }
    }
    let mut free = (0..room.len()).filter(|k| !taken[*k]);
    for slot in to_room.iter_mut().filter(|s| s.is_none()) {
        match free.next() {
            Some(k) => *slot = Some(k),
            None => break,
        }
    }
    let mut map = ProductMap::default();
    for (i, slot) in to_room.iter().enumerate() {
        let Some(k) = *slot else {
            map.to_room.push(None);
            continue;
        };
        let r = &room[k];
        let p = &mut scenario.products[i];
        let price = r.live_price.max(1);
        p.price = Fen(price);
        // The model anchors on the list price and divides by it: never
        // below the price (a product with no 划线价 has no anchor).
        p.list_price = Fen(r.list_price.max(price));
        p.stock = u32::try_from(r.stock.max(0)).unwrap_or(u32::MAX);
        map.to_room.push(Some(r.product));
        map.from_room.insert(r.product, i);
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(product: i64, title: &str) -> RoomProduct {
        RoomProduct { product, title: title.into(), list_price: 0, live_price: 500, stock: -3 }
    }

    #[test]
    fn titles_match_first_then_the_rest_pair_in_order() {
        let mut scenario = zhibo_sim::default_scenario();
        let titles: Vec<String> = scenario.products.iter().map(|p| p.title.clone()).collect();
        // The room has the second scenario product under its own title, and one unknown product.
        let lineup = [room(10, "另一件商品"), room(20, &titles[1])];
        let map = fit(&mut scenario, &lineup);
        assert_eq!(map.room(1), Some(20));
        assert_eq!(map.room(0), Some(10));
        assert_eq!(map.room(2), None);
        assert_eq!((map.index(10), map.index(20), map.index(30)), (Some(0), Some(1), None));
        assert_eq!(map.matched(), 2);
        // The room's figures, with a list price never below the price and no negative stock.
        let p = &scenario.products[1];
        assert_eq!((p.price, p.list_price, p.stock), (Fen(500), Fen(500), 0));
    }
}
