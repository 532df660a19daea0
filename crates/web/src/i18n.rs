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
    products_new: "新建商品", "New product";
    product_edit: "编辑商品", "Edit product";
    product_saved: "商品已保存", "Product saved";
    product_subtitle: "副标题", "Subtitle";
    product_selling_points_hint: "每行一条，最多10条，每条不超过40字", "One per line: at most 10, each at most 40 characters";
    product_category: "类目", "Category";
    product_brand: "品牌", "Brand";
    product_status: "状态", "Status";
    product_price_from: "售价（起）", "Price (from)";
    status_draft: "草稿", "Draft";
    status_on_sale: "在售", "On sale";
    status_off_sale: "下架", "Off sale";
    status_all: "全部状态", "All statuses";
    status_to_on_sale: "上架", "Put on sale";
    status_to_off_sale: "下架", "Take off sale";
    status_to_draft: "转为草稿", "Back to draft";
    product_facts: "快速问答信息", "Facts for quick answers";
    product_material: "材质", "Material";
    product_size_chart: "尺码表", "Size chart";
    product_size_chart_hint: "每行一排，用 | 分隔各列，第一行为表头", "One row per line, cells separated by |; the first line is the header";
    product_shipping_hours: "发货时间（付款后多少小时内）", "Ships within (hours after payment)";
    product_shipping_within: "付款后{}小时内发货", "Ships within {} hours of payment";
    product_after_sales: "售后政策", "After-sales policy";
    facts_none: "未填写", "Not given";
    skus_title: "SKU（规格与价格）", "SKUs (specs and prices)";
    sku_specs: "规格", "Specs";
    sku_specs_hint: "写成 名称=值，多个用逗号分隔；无规格留空", "Write name=value, several separated by commas; leave empty for none";
    sku_list_price: "划线价（元）", "List price (yuan)";
    sku_price: "售价（元）", "Price (yuan)";
    sku_cost: "成本（元）", "Cost (yuan)";
    sku_weight: "重量（克）", "Weight (g)";
    sku_barcode: "条码", "Barcode";
    sku_stock: "库存", "Stock";
    sku_add: "添加一行SKU", "Add a SKU row";
    sku_remove: "删除此行", "Remove this row";
    sku_default: "默认规格", "Default";
    sku_row: "第{}行", "Row {}";
    search: "搜索", "Search";
    search_placeholder: "名称、品牌、类目或条码", "Title, brand, category or barcode";
    filter: "筛选", "Filter";
    products_none_found: "没有符合条件的商品", "No product matches";
    product_skus_count: "SKU数", "SKUs";
    product_stock_total: "总库存", "Total stock";
    product_image: "图片", "Image";
    edit: "编辑", "Edit";
    back_to_list: "返回商品库", "Back to the library";
    form_has_errors: "请修改标出的字段：", "Please correct the marked fields:";
    images_title: "商品图片", "Images";
    image_upload: "上传图片", "Upload image";
    image_file: "图片文件（JPEG、PNG或WebP，不超过5 MB）", "Image file (JPEG, PNG or WebP, at most 5 MB)";
    image_uploaded: "图片已上传", "Image uploaded";
    image_delete: "删除图片", "Delete image";
    images_empty: "还没有图片", "No images yet";
    image_needs_js: "上传图片需要启用JavaScript。", "Uploading images needs JavaScript.";
    stock_adjust: "调整库存", "Adjust stock";
    stock_reason: "原因", "Reason";
    stock_delta: "数量（入库为正，出库为负）", "Quantity (positive in, negative out)";
    stock_note: "备注", "Note";
    stock_saved: "库存已更新", "Stock updated";
    reason_purchase: "采购入库", "Purchase";
    reason_sale: "销售", "Sale";
    reason_reservation: "预占", "Reservation";
    reason_release: "释放", "Release";
    reason_count_adjustment: "盘点调整", "Count adjustment";
    reason_manual: "手工调整", "Manual";
    ledger_title: "库存流水（最新在前）", "Stock ledger (latest first)";
    ledger_time: "时间（北京时间）", "Time (Beijing)";
    ledger_delta: "变动", "Change";
    ledger_balance: "结余", "Balance";
    ledger_actor: "操作人", "By";
    ledger_empty: "还没有库存记录", "No stock entries yet";
    actor_system: "系统", "System";
    sku_specs_example: "颜色=红, 尺码=M", "color=red, size=M";
    planning_title: "策划", "Planning";
    planning_budget_title: "促销成本测算", "Promotion budget check";
    planning_budget_desc: "按典型订单和预计订单数，测算开播时生效的促销要花多少钱，并与本场促销预算对比。", "Estimates what the promotions in force at show time will cost, from a typical order and the expected number of orders, against the show's promotion budget.";
    planning_more_soon: "排期、脚本与流程将随后开放。", "Schedules, scripts and run sheets open later.";
    budget_at: "开播时间（北京时间）", "Show time (Beijing time)";
    budget_budget: "本场促销预算（元）", "Promotion budget of the show (yuan)";
    budget_orders: "预计订单数", "Expected orders";
    budget_coupon_use: "用券订单比例（%）", "Orders using a coupon (%)";
    budget_basket: "典型订单", "Typical order";
    budget_product: "商品", "Product";
    budget_quantity: "数量", "Quantity";
    budget_compute: "测算", "Estimate";
    budget_kind: "类型", "Kind";
    budget_promotion: "促销", "Promotion";
    budget_per_order: "每单优惠", "Per order";
    budget_orders_counted: "计入订单数", "Orders counted";
    budget_total: "合计", "Total";
    budget_own_budget: "自身预算", "Own budget";
    budget_over_own: "超出自身预算", "over its own budget";
    budget_total_cost: "预计促销成本", "Expected promotion cost";
    budget_expected_gmv: "预计成交额", "Expected GMV";
    budget_order_payable: "典型订单实付（不用券 / 用券）", "A typical order pays (without / with a coupon)";
    budget_over: "超出预算", "Over budget by";
    budget_within: "在预算之内", "Within budget";
    budget_no_promotions: "该时间没有生效的促销", "No promotion is in force at that time";
    budget_none_choice: "（不选）", "(none)";
    budget_model: "成本 = 每单优惠 × 计入订单数；优惠券只计用券订单且不超过发放量；赠品按成本价计。", "Cost = discount per order × orders counted; coupons count only on orders using one, up to the quantity issued; gifts at cost price.";
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
