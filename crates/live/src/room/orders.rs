//! The room's side of selling: order events the web layer committed and
//! appended to this room's log arrive through [`RoomHandle::observe`](super::RoomHandle::observe).
//! A paid order counts into the console's figures (orders, GMV, paying
//! buyers for the conversion rate); any order event that moved stock
//! carries the products' stock after it (`payload.stock`), which the
//! lineup takes and every viewer hears as a `stock` frame in the next
//! batch, exactly as a console's stock change does.
//!
//! The event is already durable, so nothing is appended here: the room only
//! folds it into its hot state.

use zhibo_domain::ProductId;
use zhibo_domain::event::Event;

use super::Room;
use crate::lineup::LineupFrame;

impl Room {
    /// Folds one order event (see the module's doc) into the room.
    pub(super) fn observe_order(&mut self, event: &Event) {
        if event.room != self.id || !event.kind.as_str().starts_with("order.") {
            return;
        }
        if event.kind.as_str() == "order.paid" {
            let amount = event.amount.map_or(0, |a| a.0);
            self.figures.order_paid(&event.actor, amount);
        }
        let Some(stock) = event.payload["stock"].as_array() else { return };
        for item in stock {
            let (Some(product), Some(units)) = (item["product"].as_i64(), item["stock"].as_i64()) else { continue };
            let product = ProductId(product);
            let Some(entry) = self.lineup.iter_mut().find(|e| e.product == product) else { continue };
            if entry.stock == units {
                continue;
            }
            entry.stock = units;
            if let Ok(frame) = serde_json::to_vec(&LineupFrame::Stock { product, stock: units }) {
                self.out.push(frame);
            }
        }
    }
}
