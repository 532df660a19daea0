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
