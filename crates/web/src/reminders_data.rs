//! What the live room's reminders (docs/protocol.md, 领券提醒 and the cart
//! nudge) need from the store, for `live_ws::ShowRooms`: a coupon viewers
//! may claim now with the accounts that hold a claim of it, and the carts
//! of a show that wait for an order.
//!
//! A coupon is claimable here by the same rule as the viewer page's coupon
//! list (`api::viewer`): the shop's, active, inside its claim window and not
//! all claimed.

use zhibo_domain::{Clock, RoomId};
use zhibo_live::LiveError;
use zhibo_live::data::{CouponClaimers, WaitingCart};
use zhibo_store::Store;
use zhibo_store::promotions::StoredPromotion;

fn data(error: zhibo_store::StoreError) -> LiveError {
    LiveError::Data(error.to_string())
}

fn refused(message: String) -> LiveError {
    LiveError::Refused { field: Some("coupon"), message }
}

/// The coupon and its claimers, or why viewers cannot claim it now.
pub async fn coupon_claimers(
    store: &dyn Store,
    clock: &dyn Clock,
    room: RoomId,
    coupon: i64,
) -> Result<CouponClaimers, LiveError> {
    let Some(shop) = store.first_shop().await.map_err(data)? else { return Err(LiveError::RoomNotFound(room)) };
    let not_found = || refused(format!("本店没有优惠券 {coupon} / no coupon {coupon} in this shop"));
    let record = store.promotion(coupon).await.map_err(data)?.filter(|r| r.shop == shop.id).ok_or_else(not_found)?;
    let Some(limits) = record.coupon else { return Err(not_found()) };
    let StoredPromotion::Coupon(rule) = record.to_domain().map_err(data)? else { return Err(not_found()) };
    let name = record.name.clone();
    if !record.active {
        return Err(refused(format!("优惠券「{name}」已停用 / coupon {name:?} is switched off")));
    }
    if !rule.is_claimable_at(clock.now()) {
        return Err(refused(format!("优惠券「{name}」现在不在领取时间内 / coupon {name:?} cannot be claimed now")));
    }
    let left = limits.total - record.coupon_claimed;
    if left <= 0 {
        return Err(refused(format!("优惠券「{name}」已领完 / coupon {name:?} is all claimed")));
    }
    let claimed_by = store.coupon_claimants(coupon).await.map_err(data)?.into_iter().collect();
    Ok(CouponClaimers { coupon, name, left, claimed_by })
}

/// The show's carts with something in them and no order since they changed.
pub async fn waiting_carts(store: &dyn Store, room: RoomId) -> Result<Vec<WaitingCart>, LiveError> {
    let carts = store.waiting_carts(room).await.map_err(data)?;
    Ok(carts.into_iter().map(|c| WaitingCart { buyer: c.buyer, units: c.units, changed_at: c.changed_at }).collect())
}
