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

use zhibo_domain::event::{Actor, Event};
use zhibo_domain::{Fen, ProductId};

use super::{Room, Then};
use crate::lineup::LineupFrame;
use crate::protocol::{ErrorCode, ProtocolError};

impl Room {
    /// A simulated viewer's order, paid in the audience model: logged as
    /// `sim.order.paid` (no `order.` prefix, so nothing that folds real
    /// orders takes it) and counted in the figures' simulated orders and
    /// GMV only. No order row, no stock moved: the buyer is not a person.
    pub(super) fn simulated_order(
        &mut self,
        actor: Actor,
        product: ProductId,
        amount: i64,
    ) -> Result<(), ProtocolError> {
        if !matches!(actor, Actor::Sim(_)) {
            return Err(ProtocolError::new(
                ErrorCode::Forbidden,
                "只有模拟观众可以提交模拟订单 / only simulated viewers place simulated orders",
            ));
        }
        self.entry(product)?;
        if amount < 0 {
            return Err(ProtocolError {
                code: ErrorCode::BadMessage,
                message: "金额不能为负 / the amount cannot be negative".into(),
                field: Some("amount_fen"),
            });
        }
        self.figures.simulated_order_paid(amount);
        let payload = serde_json::json!({ "product": product, "simulated": true });
        self.append_with_amount("sim.order.paid", actor, Some(Fen(amount)), payload, Then::Nothing);
        Ok(())
    }

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
