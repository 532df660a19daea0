//! Typed identifiers, so a user id can never be passed where a room id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An account: staff, teacher, student or buyer.
    UserId
);
id_type!(
    /// A shop (店铺): owns a catalog, accounts and live rooms.
    ShopId
);
id_type!(
    /// A live room: the unit that owns an event log.
    RoomId
);
/// A show (直播场次) is a live room: its id is the room's.
pub type ShowId = RoomId;

id_type!(
    /// A product (商品) of a shop's library.
    ProductId
);
id_type!(
    /// One SKU of a product: a priced, stocked combination of specs (颜色=红, 尺码=M).
    SkuId
);
id_type!(
    /// A stored product image (original and thumbnail).
    ImageId
);
id_type!(
    /// A promotion (促销活动): live price, 满减, 满件折, gift or flash sale.
    PromotionId
);
id_type!(
    /// A coupon template (优惠券) that buyers claim and redeem.
    CouponId
);
id_type!(
    /// An order (订单): one buyer's purchase of one or more SKUs.
    OrderId
);
id_type!(
    /// A flash sale (秒杀) opened from a show's live console.
    FlashSaleId
);
