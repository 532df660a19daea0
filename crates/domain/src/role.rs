//! Who may do what. A role is what an account is; a permission is what a
//! route or a WebSocket message needs. Every route names one permission and
//! the web layer checks it, so the whole access table is this file.

use serde::{Deserialize, Serialize};

/// The kinds of account zhibo knows. Staff roles follow a live-commerce
/// team; teacher and student are the training side; a viewer is a buyer
/// account on the public live page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 店主: the shop's owner; everything, including shop settings and accounts.
    Owner,
    /// 运营: runs catalog, promotions, shows, orders and reports.
    Operator,
    /// 主播: presents the show; reads the lineup and prompter.
    Streamer,
    /// 场控/助理: runs the live console during a show.
    Assistant,
    /// 教师: runs classes, exercises and the grade book.
    Teacher,
    /// 学员: practises on the same tools inside a class.
    Student,
    /// 观众/买家: watches and buys on the viewer page; no back office.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 7] =
        [Role::Owner, Role::Operator, Role::Streamer, Role::Assistant, Role::Teacher, Role::Student, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Operator => "operator",
            Role::Streamer => "streamer",
            Role::Assistant => "assistant",
            Role::Teacher => "teacher",
            Role::Student => "student",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The access table. Students practise with the working tools (catalog,
    /// console, planning) inside their class, but never the shop's settings,
    /// accounts or real orders.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match permission {
            SignedIn => true,
            BackOffice => self != Viewer,
            ShopSettings => self == Owner,
            Catalog | Planning => matches!(self, Owner | Operator | Teacher | Student),
            LiveConsole => matches!(self, Owner | Operator | Streamer | Assistant | Teacher | Student),
            Orders | SupplyChain => matches!(self, Owner | Operator),
            Reports => matches!(self, Owner | Operator | Streamer | Assistant | Teacher | Student),
            Training => matches!(self, Owner | Teacher | Student),
            Teach => matches!(self, Owner | Teacher),
        }
    }
}

/// What a route or a message requires of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Any signed-in account (own profile, password change, sign-out).
    SignedIn,
    /// Any staff, teacher or student page (the dashboard).
    BackOffice,
    /// The shop's settings and accounts.
    ShopSettings,
    /// 商品: products, stock, promotions.
    Catalog,
    /// 直播: shows and the live console.
    LiveConsole,
    /// 订单: orders and after-sales.
    Orders,
    /// 数据: reports and 复盘.
    Reports,
    /// 策划: planning, run sheets, scripts.
    Planning,
    /// 供应链: suppliers, batches, stock risk.
    SupplyChain,
    /// 实训: exercises, as a student sees them.
    Training,
    /// Running classes and the grade book.
    Teach,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }

    #[test]
    fn only_the_owner_opens_shop_settings() {
        for role in Role::ALL {
            assert_eq!(role.can(Permission::ShopSettings), role == Role::Owner, "{role:?}");
        }
    }

    #[test]
    fn a_viewer_has_no_back_office_and_no_console() {
        assert!(!Role::Viewer.can(Permission::BackOffice));
        assert!(!Role::Viewer.can(Permission::LiveConsole));
        assert!(Role::Viewer.can(Permission::SignedIn));
    }
}
