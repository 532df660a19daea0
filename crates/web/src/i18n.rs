//! The message catalogue: every piece of interface text, in zh-CN (first)
//! and English. One macro row per message makes a missing translation a
//! compile error rather than a blank on screen.

use serde::Serialize;

/// A language zhibo's pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    pub const COOKIE: &'static str = "zhibo_lang";

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" | "zh-cn" => Some(Lang::ZhCn),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    /// The value for `<html lang>` and the language cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn msg(self) -> &'static Msg {
        match self {
            Lang::ZhCn => &ZH_CN,
            Lang::En => &EN,
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }
}

macro_rules! catalogue {
    ($($key:ident: $zh:literal, $en:literal;)*) => {
        /// Every message, by key. Templates read `t.key`.
        #[derive(Debug)]
        pub struct Msg { $(pub $key: &'static str,)* }

        pub static ZH_CN: Msg = Msg { $($key: $zh,)* };
        pub static EN: Msg = Msg { $($key: $en,)* };

        /// (key, zh-CN, en) for every message, for checks over the whole catalogue.
        pub static ALL: &[(&str, &str, &str)] = &[$((stringify!($key), $zh, $en),)*];
    };
}

catalogue! {
    app_name: "直播工作室", "Live Studio";
    lang_switch: "English", "中文";
    nav_dashboard: "工作台", "Dashboard";
    nav_products: "商品", "Products";
    nav_live: "直播", "Live";
    nav_orders: "订单", "Orders";
    nav_reports: "数据", "Reports";
    nav_planning: "策划", "Planning";
    nav_supply: "供应链", "Supply chain";
    nav_training: "实训", "Training";
    nav_settings: "店铺设置", "Shop settings";
    nav_account: "我的账号", "My account";
    sign_in: "登录", "Sign in";
    sign_out: "退出登录", "Sign out";
    username: "用户名", "Username";
    password: "密码", "Password";
    sign_in_title: "登录直播工作室", "Sign in to the live studio";
    sign_in_failed: "用户名或密码不正确", "Wrong username or password";
    sign_in_too_many: "尝试次数过多，请稍后再试", "Too many attempts; try again later";
    welcome: "欢迎", "Welcome";
    your_role: "你的角色", "Your role";
    shop: "店铺", "Shop";
    role_owner: "店主", "Owner";
    role_operator: "运营", "Operator";
    role_streamer: "主播", "Streamer";
    role_assistant: "场控", "Live assistant";
    role_teacher: "教师", "Teacher";
    role_student: "学员", "Student";
    role_viewer: "观众", "Viewer";
    dashboard_areas: "你可以使用的功能", "What you can use";
    dashboard_products: "商品数", "Products";
    dashboard_accounts: "账号数", "Accounts";
    area_products_desc: "商品库、SKU、库存与促销", "Product library, SKUs, stock and promotions";
    area_live_desc: "直播场次与中控台", "Shows and the live console";
    area_orders_desc: "订单、发货与售后", "Orders, shipping and after-sales";
    area_reports_desc: "直播数据与复盘", "Show data and reviews";
    area_planning_desc: "排期、脚本与流程", "Schedules, scripts and run sheets";
    area_supply_desc: "供应商、批次与库存风险", "Suppliers, batches and stock risk";
    area_training_desc: "按技能标准练习与考核", "Practice and assessment by the skill standard";
    area_not_open: "此功能正在建设中，暂未开放。", "This area is being built and is not open yet.";
    area_coming_with: "将随以下工作交付", "Arrives with";
    products_title: "商品库", "Product library";
    product_title: "商品名称", "Title";
    product_selling_points: "卖点", "Selling points";
    product_price: "售价", "Price";
    product_list_price: "划线价", "List price";
    products_empty: "还没有商品", "No products yet";
    settings_title: "店铺设置", "Shop settings";
    settings_shop_name: "店铺名称", "Shop name";
    settings_unpaid_timeout: "未付款订单自动关闭（分钟）", "Close unpaid orders after (minutes)";
    settings_default_language: "默认语言", "Default language";
    settings_saved: "已保存", "Saved";
    settings_accounts: "账号", "Accounts";
    display_name: "显示名", "Display name";
    role: "角色", "Role";
    save: "保存", "Save";
    account_title: "我的账号", "My account";
    change_password: "修改密码", "Change password";
    current_password: "当前密码", "Current password";
    new_password: "新密码", "New password";
    confirm_password: "确认新密码", "Confirm new password";
    password_changed: "密码已修改，其他设备已退出登录", "Password changed; other devices were signed out";
    password_wrong_current: "当前密码不正确", "The current password is wrong";
    password_mismatch: "两次输入的新密码不一致", "The two new passwords differ";
    error_title: "出错了", "Something went wrong";
    error_back: "返回工作台", "Back to the dashboard";
    forbidden: "你的角色无权访问此页面", "Your role may not open this page";
    not_found: "页面不存在", "Page not found";
    form_expired: "表单已过期，请刷新页面后重试", "The form has expired; reload the page and try again";
    skip_to_content: "跳到正文", "Skip to content";
}

impl Msg {
    pub fn role_name(&self, role: zhibo_domain::Role) -> &'static str {
        use zhibo_domain::Role::*;
        match role {
            Owner => self.role_owner,
            Operator => self.role_operator,
            Streamer => self.role_streamer,
            Assistant => self.role_assistant,
            Teacher => self.role_teacher,
            Student => self.role_student,
            Viewer => self.role_viewer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_message_is_blank_and_english_is_not_chinese() {
        for (key, zh, en) in ALL {
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{key} is blank");
            let en_has_han = en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            // the language switch names the *other* language on purpose
            if *key != "lang_switch" {
                assert!(!en_has_han, "{key}: English text holds Chinese: {en}");
            }
        }
    }

    #[test]
    fn language_codes_round_trip() {
        for lang in [Lang::ZhCn, Lang::En] {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
        }
        assert_eq!(Lang::parse("fr"), None);
    }
}
