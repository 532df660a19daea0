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
    product_platform: "平台数据", "Platform figures";
    product_platform_hint: "抄录自抖店、视频号小店、快手小店等平台后台，供选品评分使用；不知道就留空，评分时按中等水平计。", "Copied from the platform's shop backend (Douyin, WeChat Channels, Kuaishou) for selection scoring; leave blank when unknown and scoring counts it as middling.";
    product_return_rate: "退货率（%）", "Return rate (%)";
    product_review_score: "商品评分（0–5分）", "Review score (0–5 stars)";
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
    selection_title: "选品评分", "Product selection";
    selection_desc: "按销量、退货、评价和毛利给商品打分（0–1000），权重可调；并按毛利率和价格带建议商品角色。", "Scores products (0–1000) on sales, returns, reviews and margin with weights you set, and suggests each product's role from its margin and price band.";
    selection_weights: "权重", "Weights";
    selection_sales: "销量", "Sales";
    selection_returns: "退货", "Returns";
    selection_reviews: "评价", "Reviews";
    selection_margin: "毛利", "Margin";
    selection_days: "统计天数", "Days of sales";
    selection_apply: "重新评分", "Score again";
    selection_rank: "排名", "Rank";
    selection_cost: "成本", "Cost";
    selection_sold: "销量（件）", "Units sold";
    selection_score: "得分", "Score";
    selection_points: "销量+退货+评价+毛利", "sales + returns + reviews + margin";
    selection_role: "建议角色", "Suggested role";
    selection_missing: "退货率和商品评分取自各商品的平台数据（在商品资料中填写或导入）；未填写的按中等水平（退货15%、3.5分）计分，表中显示为“—”。", "Return rates and review scores come from each product's platform figures (entered on the product or imported); where blank they count as middling (15% returns, 3.5 stars) and show as “—”.";
    selection_return_rate: "退货率", "Return rate";
    selection_review: "商品评分", "Review score";
    nav_promotions: "促销", "Promotions";
    area_promotions_desc: "满减、满件折、优惠券、直播价与赠品", "Spend-and-save, multi-buy, coupons, live prices and gifts";
    promo_title: "促销活动", "Promotions";
    promo_timezone_note: "所有时间均为北京时间（UTC+08:00）。", "All times are Beijing time (UTC+08:00).";
    promo_flash_note: "秒杀请在直播中控台设置。", "Set flash sales from the live console.";
    promo_new_kind: "新建{}", "New {}";
    promo_back: "返回促销列表", "Back to promotions";
    promo_empty: "还没有促销活动", "No promotions yet";
    promo_kind: "类型", "Kind";
    promo_name: "名称", "Name";
    promo_window: "时间（北京时间）", "Window (Beijing time)";
    promo_rule: "规则", "Rule";
    promo_budget_spent: "预算 / 已花费", "Budget / spent";
    promo_coupons_claimed: "已领 / 总量", "Claimed / total";
    promo_status: "状态", "Status";
    promo_status_in_force: "进行中", "In force";
    promo_status_not_started: "未开始", "Not started";
    promo_status_ended: "已结束", "Ended";
    promo_status_off: "已停用", "Switched off";
    promo_switch: "启用或停用", "Switch on or off";
    promo_switch_off: "停用", "Switch off";
    promo_switch_on: "启用", "Switch on";
    promo_no_budget: "不限", "No limit";
    promo_rule_unreadable: "规则无法读取", "The stored rule cannot be read";
    promo_claim_window: "领取", "Claim";
    promo_use_window: "使用", "Use";
    promo_basics: "基本信息", "Basics";
    promo_starts_at: "开始时间", "Starts";
    promo_ends_at: "结束时间", "Ends";
    promo_claim_starts_at: "开始领取", "Claiming opens";
    promo_claim_ends_at: "停止领取", "Claiming closes";
    promo_use_starts_at: "开始使用", "Usable from";
    promo_use_ends_at: "停止使用", "Usable until";
    promo_tiers: "档位（最多3档，不用的行留空）", "Tiers (up to 3; leave unused rows empty)";
    promo_tier: "第{}档", "Tier {}";
    promo_form_tiers: "阶梯满减，如满300减40、满500减80", "Tiers, e.g. spend 300 save 40, spend 500 save 80";
    promo_form_repeating: "每满减，如每满100减10", "Repeating, e.g. 10 off every 100";
    promo_threshold_yuan: "满（元）", "Spend (yuan)";
    promo_off_yuan: "减（元）", "Save (yuan)";
    promo_every_yuan: "每满（元）", "Every (yuan)";
    promo_max_times: "最多次数（可不填）", "At most this many times (optional)";
    promo_items: "件数", "Items";
    promo_zhe: "折扣（折，如9或8.5）", "Rate in zhe (9 = 10% off, 8.5 = 15% off)";
    promo_scope: "适用商品", "Products covered";
    promo_scope_shop: "全店商品", "The whole shop";
    promo_scope_products: "指定商品（在下面勾选）", "Chosen products (tick them below)";
    promo_coupon_threshold: "使用门槛（元，0为无门槛）", "Minimum spend (yuan, 0 for none)";
    promo_benefit: "优惠方式", "Benefit";
    promo_benefit_amount: "减固定金额", "A fixed amount off";
    promo_benefit_percent: "按比例打折", "A percentage off";
    promo_amount_off: "减免金额（元）", "Amount off (yuan)";
    promo_percent_off: "减免百分比（10即9折）", "Percent off (10 means 10% off)";
    promo_cap: "最多优惠（元，可不填）", "Cap (yuan, optional)";
    promo_total_quantity: "发放总量（张）", "Total to issue";
    promo_per_buyer: "每人限领（张）", "Limit per buyer";
    promo_product: "商品", "Product";
    promo_choose: "请选择", "Choose";
    promo_live_price: "直播价（元）", "Live price (yuan)";
    promo_show: "直播场次编号（可不填，不填则所有场次适用）", "Show number (optional; empty for every show)";
    promo_no_products: "店里还没有商品，请先到商品库添加。", "The shop has no products yet; add some in the product library first.";
    promo_gift_threshold: "满多少元赠送（元）", "Spend at least (yuan)";
    promo_gift_sku: "赠品（商品与规格）", "Gift (product and SKU)";
    promo_gift_quantity: "赠送数量", "Gift quantity";
    promo_budget_legend: "预算", "Budget";
    promo_budget: "预算（元，可不填）", "Budget (yuan, optional)";
    promo_create: "创建", "Create";
    exchange_title: "批量导入导出", "Import and export";
    products_exchange: "批量导入/导出", "Import / export";
    export_title: "导出商品", "Export products";
    export_desc: "每个SKU一行，商品信息在每行重复，库存为当前库存。导出的文件也是导入模板。", "One row per SKU with the product's columns repeated on each row and the stock as it is now. An export is also an import template.";
    export_xlsx: "下载 XLSX", "Download XLSX";
    export_csv: "下载 CSV", "Download CSV";
    import_title: "导入商品", "Import products";
    import_rule_rows: "每个SKU一行；标题相同的行是同一商品的SKU（不必相邻），每行的规格须不同。商品信息（状态、副标题、卖点、类目等）在每行重复，或只填在其中一行。", "One row per SKU; rows with the same title are one product's SKUs (they need not be adjacent), each with different specs. Product columns (status, subtitle, selling points, category…) repeat on each row or are filled on one of them only.";
    import_rule_values: "金额以元为单位（如 199 或 19.90，最多两位小数）；规格写成“颜色=红, 尺码=M”；状态为 draft/草稿、on_sale/在售 或 off_sale/下架，不填为草稿；卖点每行一条；库存为期初库存，记为采购入库。", "Amounts in yuan (199 or 19.90, at most two decimals); specs as name=value pairs separated by commas; status draft, on_sale or off_sale, blank for draft; one selling point per line; stock is the opening stock, recorded as a purchase.";
    import_rule_all: "先预览：列出每个问题（行号、列、原因），不写入任何内容；确认后一次全部导入，有任何问题则一个也不导入。导入只新建商品，不修改已有商品。", "Preview first: every problem is listed with its row, column and reason, and nothing is written. Confirming imports everything at once, or nothing if anything is wrong. An import only creates new products; it never changes existing ones.";
    import_columns: "列（表头可用中文、英文或两者）", "Columns (headers in Chinese, English or both)";
    import_required: "必填", "required";
    import_file: "CSV 或 XLSX 文件（不超过 5 MB）", "CSV or XLSX file (at most 5 MB)";
    import_preview: "上传并预览", "Upload and preview";
    import_needs_js: "上传文件需要启用 JavaScript。", "Uploading a file needs JavaScript.";
    import_summary: "文件 {file}：{products} 个商品，{skus} 个SKU", "File {file}: {products} products, {skus} SKUs";
    import_issues: "发现 {} 个问题，未写入任何内容。请修改文件后重新上传。", "{} problem(s) found; nothing was written. Fix the file and upload it again.";
    import_row: "行", "Row";
    import_column: "列", "Column";
    import_reason: "原因", "Reason";
    import_ready: "没有发现问题。确认后将一次导入以下全部商品；此前不会写入任何内容。", "No problems found. Confirming imports all of the products below at once; nothing has been written yet.";
    import_valid_for: "预览在 {} 分钟内有效。", "The preview is valid for {} minutes.";
    import_confirm: "确认导入", "Confirm import";
    import_rows: "所在行", "Rows";
    import_opening_stock: "期初库存", "Opening stock";
    import_done: "已导入 {products} 个商品、{skus} 个SKU。", "Imported {products} products with {skus} SKUs.";
    import_changed: "预览之后店铺有了变化，以下问题使导入无法进行，未写入任何内容。", "The shop changed after the preview; because of the problems below nothing was imported.";
    import_to_products: "查看商品列表", "Go to the product list";
    show_list_title: "直播场次", "Shows";
    show_new: "新建场次", "New show";
    show_edit: "编辑场次", "Edit show";
    show_empty: "还没有直播场次。", "No shows yet.";
    show_title: "场次标题", "Title";
    show_state: "状态", "State";
    show_scheduled_start: "开播时间", "Scheduled start";
    show_streamer: "主播", "Streamer";
    show_assistant: "场控", "Assistant";
    show_lineup_count: "货盘商品数", "Products in the lineup";
    show_back: "← 返回场次列表", "← Back to the shows";
    show_start: "开播", "Start the show";
    show_end: "下播", "End the show";
    show_started_at: "开播于", "Started at";
    show_ended_at: "下播于", "Ended at";
    show_budget_label: "促销预算", "Promotion budget";
    show_no_budget: "未设", "Not set";
    show_intro: "简介", "Intro";
    show_lineup: "货盘", "Lineup";
    show_no_lineup: "货盘为空。", "The lineup is empty.";
    show_product: "商品", "Product";
    show_role: "角色", "Role";
    show_price: "售价", "Price";
    show_live_price_col: "直播价", "Live price";
    show_push_time: "讲解时间", "Push time";
    show_talking_points: "话术要点", "Talking points";
    show_run_sheet: "流程单", "Run sheet";
    show_no_run_sheet: "流程单为空。", "The run sheet is empty.";
    show_planned_time: "计划时间", "Planned time";
    show_kind: "环节", "Segment";
    show_segment_title: "环节名称", "Segment title";
    show_minutes: "时长（分钟）", "Length (minutes)";
    show_basics: "基本信息", "Basics";
    show_budget: "促销预算（元，可不填）", "Promotion budget (yuan, optional)";
    show_lineup_note: "按讲解顺序填写，空行会被忽略。直播价不得高于商品售价；讲解时间为开播后第几分钟。", "List the products in presenting order; blank rows are ignored. The live price may not be above the product's price; the push time is in minutes after the start.";
    show_live_price: "直播价（元）", "Live price (yuan)";
    show_push_offset: "讲解时间（开播后分钟）", "Push at (minutes after the start)";
    show_run_sheet_note: "各环节时间不得重叠，空行会被忽略。", "Segments may not overlap; blank rows are ignored.";
    show_start_offset: "开始（开播后分钟）", "Starts (minutes after the start)";
    show_nobody: "未指定", "Not assigned";
    show_choose: "请选择", "Choose";
    show_create: "创建场次", "Create the show";
    show_save: "保存", "Save";
    room_live: "直播间", "Live room";
    room_online: "在线", "Online";
    room_follow: "关注", "Follow";
    room_like: "点赞", "Likes";
    room_presenting: "讲解中", "Presenting";
    room_stock_left: "剩余", "Left:";
    room_bag: "购物袋", "Shopping bag";
    room_say: "说点什么…", "Say something…";
    room_send: "发送", "Send";
    room_video_soon: "直播画面将随视频功能上线；评论、点赞和商品卡已经实时可用。", "The video arrives with the media work; comments, likes and product cards already work live.";
    console_title: "中控台", "Live console";
    console_open_viewer: "打开观众页", "Open the viewer page";
    console_comments: "评论", "Comments";
    console_lineup: "商品清单", "Lineup";
    console_current_card: "当前讲解", "Presenting now";
    console_unpush: "收起商品卡", "Take the card down";
    console_live_price: "直播价", "Live price";
    console_stock: "库存", "Stock";
    console_push: "弹出讲解", "Push card";
    console_list: "上架", "List";
    console_delist: "下架", "Delist";
    console_hide: "隐藏", "Hide";
    console_mute: "禁言10分钟", "Mute 10 min";
    console_none: "无", "none";
    console_topic: "置顶话题", "Pinned topic";
    console_pin: "置顶/清除", "Pin / clear";
    moderation_title: "评论审核", "Comment moderation";
    moderation_intro: "直播间评论先经敏感词过滤：词表与评论都会统一全角半角、大小写、去掉夹在字间的空格、标点和零宽字符，并把常见形近字母数字（如 0→o、1→i）视为同一字符。", "Room comments pass a sensitive-word filter first: the list and the comments are both folded (full width, case, spaces, punctuation and zero-width characters between letters dropped, look-alikes such as 0→o and 1→i treated as one).";
    moderation_words: "敏感词（每行一个）", "Sensitive words (one per line)";
    moderation_mode: "命中后", "On a hit";
    moderation_block: "直接拦截（仅发送者收到提示）", "Block (only the sender is told)";
    moderation_hold: "先审后发（仅中控台可见，通过后才公开）", "Hold for review (only the console sees it until approved)";
    moderation_count: "当前词数", "Words now";
    room_share: "分享", "Share";
    room_share_copied: "链接已复制", "Link copied";
    room_share_copy: "复制下面的链接分享", "Copy this link to share";
    room_close: "关闭", "Close";
    room_sheet_breakdown: "价格明细", "Price breakdown";
    room_sheet_payable: "到手价", "You pay";
    room_sheet_specs: "规格", "Options";
    room_coupons: "优惠券", "Coupons";
    room_claim: "领券", "Claim";
    room_claimed: "已领取", "Claimed";
    room_sign_in_to_claim: "登录后领券", "Sign in to claim";
    console_lottery: "福袋", "Lottery";
    console_lottery_prize: "奖品", "Prize";
    console_lottery_winners: "中奖人数", "Winners";
    console_lottery_join: "参与方式", "How to join";
    console_lottery_by_keyword: "评论口令", "Comment the keyword";
    console_lottery_by_follow: "关注", "Follow";
    console_lottery_keyword: "口令", "Keyword";
    console_lottery_seconds: "时长（秒）", "Length (seconds)";
    console_lottery_open: "开启福袋", "Open the lottery";
    console_lottery_draw: "立即开奖", "Draw now";
    console_red_packet: "红包", "Red packet";
    console_red_packet_total: "总额（元）", "Total (yuan)";
    console_red_packet_count: "个数", "Shares";
    console_red_packet_send: "发红包", "Send";
    console_poll: "投票", "Poll";
    console_poll_question: "问题", "Question";
    console_poll_options: "选项（每行一个，2–6 个）", "Options, one a line (2–6)";
    console_poll_open: "发起投票", "Open the poll";
    console_poll_close: "结束投票", "Close the poll";
    console_run_sheet: "流程单", "Run sheet";
    console_run_sheet_overrun: "超时", "Overrun";
    console_run_sheet_end: "结束本环节", "End this segment";
    console_run_sheet_segment: "环节", "Segment";
    console_run_sheet_planned: "计划", "Planned";
    console_run_sheet_minutes: "分钟", "Minutes";
    console_questions: "问题队列", "Questions";
    console_held: "待审评论", "Held for review";
    console_held_words: "敏感词", "Words";
    console_held_edit: "编辑词表", "Edit the list";
    console_order: "排序", "Order";
    console_move_up: "上移", "Move up";
    console_move_down: "下移", "Move down";
    console_move_to: "移到第几位", "Move to position";
    console_move: "移动", "Move";
    console_apply: "采纳", "Apply";
    console_welcome: "欢迎语", "Welcome line";
    console_welcome_hint: "{name} 处填入进场观众的昵称", "{name} is replaced by the names of viewers who enter";
    console_set: "设置", "Set";
    console_pinned_comment: "置顶评论", "Pinned comment";
    console_pin_comment: "置顶", "Pin";
    console_unpin_comment: "取消置顶", "Unpin";
    console_mute_for: "禁言", "Mute";
    console_minutes: "分钟", "min";
    console_ban: "封禁", "Ban";
    console_ban_confirm: "确定封禁该观众吗？封禁后其评论和点赞都会被拒绝。", "Ban this viewer? Their comments and likes will be refused from now on.";
    console_preview: "观众端预览", "What viewers see";
    room_pinned_comment: "置顶", "Pinned";
    show_automation: "流程单自动化", "Run-sheet automation";
    show_automation_note: "按流程单自动执行：某段开始时推送讲解卡（填段号与商品）；每隔 N 分钟开福袋（从开播或某段开始计，次数留空为直到下播）；到点置顶提醒（北京时间，如 20:30，可附优惠券）。空行会被忽略。", "Carried out by the room: push a card when a segment starts (segment number and product); open a lottery every N minutes (from the show's start or a segment's; leave times blank to repeat until the end); pin a reminder at a clock time (Beijing time, e.g. 20:30, optionally naming a coupon). Blank rows are ignored.";
    show_auto_kind: "动作", "Action";
    show_auto_when: "何时", "When";
    show_auto_what: "内容", "What";
    show_auto_segment: "段号", "Segment";
    show_auto_every: "间隔（分钟）", "Every (minutes)";
    show_auto_times: "次数", "Times";
    show_auto_at: "时间", "At";
    show_auto_prize: "奖品", "Prize";
    show_auto_winners: "中奖人数", "Winners";
    show_auto_keyword: "口令", "Keyword";
    show_auto_duration: "时长（秒）", "Duration (s)";
    show_auto_text: "提醒文字", "Reminder text";
    show_auto_coupon: "优惠券", "Coupon";
    console_automation: "自动执行", "Automatic actions";
    flash_sale: "秒杀", "Flash sale";
    flash_buy: "立即抢购", "Buy now";
    flash_left: "剩余", "Left";
    flash_starts_in: "距开抢", "Starts in";
    flash_running: "抢购中", "On now";
    flash_ended: "已结束", "Ended";
    flash_address: "收货地址（请在开抢前填好）", "Delivery address (fill it in before the sale starts)";
    flash_name: "收货人", "Name";
    flash_phone: "手机号", "Mobile";
    flash_region: "所在地区", "Region";
    flash_detail: "详细地址", "Street address";
    flash_won: "抢到了！待支付订单", "Got it! Order to pay";
    flash_sign_in: "登录后才能抢购", "Sign in to buy";
    flash_limit: "每人限购", "Limit per buyer";
    console_flash_open: "开秒杀", "Open a flash sale";
    console_flash_stop: "停止秒杀", "Stop the flash sale";
    console_flash_sku: "SKU 编号", "SKU id";
    console_flash_price: "秒杀价（元）", "Price (yuan)";
    console_flash_quantity: "数量", "Quantity";
    console_flash_countdown: "倒计时（秒）", "Countdown (s)";
    console_flash_duration: "时长（秒，可空）", "Duration (s, optional)";
    console_flash_stats: "已售 / 处理中 / 剩余 / 尝试 / 每秒尝试", "Sold / committing / left / attempts / attempts per s";
    console_stock_view: "实时库存", "Live stock";
    console_stock_rate: "近一分钟", "Last minute";
    console_stock_warning: "一分钟内将售罄", "Sells out within a minute";
    orders_show: "直播场次", "Show";
    orders_status: "状态", "Status";
    orders_all: "全部", "All";
    orders_product_id: "商品编号", "Product id";
    orders_from: "从", "From";
    orders_to: "到", "To";
    orders_filter: "筛选", "Filter";
    orders_export: "导出 Excel", "Export to Excel";
    orders_count: "共 {n} 单", "{n} orders";
    orders_none: "没有订单", "No orders";
    orders_col_id: "订单号", "Order";
    orders_col_placed: "下单时间", "Placed";
    orders_col_buyer: "收货人", "Buyer";
    orders_col_items: "商品", "Items";
    orders_col_total: "实付", "Total";
    orders_col_actions: "操作", "Actions";
    orders_tracking: "运单号", "Tracking no.";
    orders_reason: "原因", "Reason";
    orders_gift: "赠品", "gift";
    cart_title: "购物车", "Cart";
    cart_sign_in: "登录后购买", "Sign in to buy";
    cart_empty: "购物车是空的", "The cart is empty";
    cart_subtotal: "商品金额", "Subtotal";
    cart_discount: "优惠", "Discount";
    cart_payable: "应付", "Payable";
    cart_address: "收货地址", "Shipping address";
    cart_name: "收货人", "Name";
    cart_phone: "手机号", "Mobile";
    cart_region: "所在地区", "Region";
    cart_region_hint: "省 市 区", "Province, city, district";
    cart_detail: "详细地址", "Street address";
    cart_payment: "支付方式", "Payment";
    cart_sandbox: "沙箱支付（测试，不扣款）", "Sandbox payment (test, no money moves)";
    cart_place_order: "提交订单", "Place order";
    cart_pay_sandbox: "沙箱支付", "Pay (sandbox)";
    cart_option: "规格", "Option";
    cart_default_spec: "默认", "Default";
    cart_quantity: "数量", "Quantity";
    cart_add: "加入购物车", "Add to cart";
    cart_added: "已加入购物车", "Added to cart";
    cart_remove: "删除", "Remove";
    cart_order: "订单", "Order";
    cart_placed: "已下单，请在时限内支付", "Order placed: pay before it expires";
    cart_paid: "支付成功（沙箱）", "Paid (sandbox)";
    my_orders: "我的订单", "My orders";
    my_orders_sign_in: "登录后查看", "Sign in to see your orders";
    my_orders_none: "还没有订单", "No orders yet";
    my_orders_pay: "支付", "Pay";
    my_orders_cancel: "取消", "Cancel";
    preflight_title: "开播前检查", "Pre-flight check";
    preflight_intro: "开播前花两分钟：试摄像头和麦克风，测上行带宽，再用本场推流码推一次测试流。每一项通过后变绿。", "Two minutes before going live: test the camera and microphone, measure the upload, then push a test stream with this show's key. Each item turns green when it passes.";
    preflight_devices: "摄像头和麦克风", "Camera and microphone";
    preflight_devices_start: "开始测试摄像头和麦克风", "Test the camera and microphone";
    preflight_devices_stop: "停止测试", "Stop the test";
    preflight_device: "设备", "Device";
    preflight_resolution: "分辨率", "Resolution";
    preflight_frame_rate: "帧率", "Frame rate";
    preflight_mic_level: "麦克风音量", "Microphone level";
    preflight_mic_hint: "对着麦克风说几句话，音量条应随声音跳动。", "Say a few words: the bar should move with your voice.";
    preflight_denied: "浏览器拒绝了摄像头或麦克风权限：点地址栏左侧的图标允许后重试。", "The browser refused the camera or microphone: allow them from the icon left of the address bar and try again.";
    preflight_no_device: "没有找到摄像头或麦克风：检查连接线，或在系统设置里启用设备。", "No camera or microphone found: check the cable or enable the device in the system settings.";
    preflight_no_camera: "没有找到摄像头", "No camera found";
    preflight_no_mic: "没有找到麦克风", "No microphone found";
    preflight_busy: "设备正被其他程序占用（例如 OBS 或会议软件），关闭后重试。", "The device is in use by another program (such as OBS or a meeting app): close it and try again.";
    preflight_insecure: "浏览器只在 HTTPS 或本机地址下允许使用摄像头和麦克风。", "Browsers allow the camera and microphone only over HTTPS or on localhost.";
    preflight_bandwidth: "上行带宽", "Upload bandwidth";
    preflight_bandwidth_start: "测试上行带宽", "Test the upload";
    preflight_bandwidth_rule: "建议码率 = 实测上行的 70%，最高 6000 kbps（给音频和网络波动留余量）。低于 1500 kbps 时请把分辨率降到 720p 或更低。", "Recommended bitrate = 70% of the measured upload, at most 6000 kbps (room for audio and a wobbly network). Below 1500 kbps, lower the resolution to 720p or less.";
    preflight_measured: "实测上行", "Measured upload";
    preflight_recommended: "OBS 建议码率", "Recommended OBS bitrate";
    preflight_bandwidth_failed: "测速失败", "The upload test failed";
    preflight_push: "测试推流", "Test push";
    preflight_push_hint: "在 OBS 里填入中控台给出的服务器和推流码，点“开始推流”推几秒钟即可。", "In OBS, enter the server and stream key from the console and press Start Streaming for a few seconds.";
    preflight_server: "推流服务器", "RTMP server";
    preflight_ingest_off: "推流服务未开启", "RTMP ingest is off";
    preflight_push_live: "正在收到推流", "Receiving the push now";
    preflight_push_ended: "测试推流已结束", "The test push has ended";
    preflight_push_none: "还没有收到推流", "No push received yet";
    preflight_codec: "编码", "Codec";
    preflight_bitrate: "码率", "Bitrate";
    preflight_checklist: "检查清单", "Checklist";
    preflight_check_camera: "摄像头有画面", "The camera gives a picture";
    preflight_check_mic: "麦克风有声音", "The microphone picks up sound";
    preflight_check_bandwidth: "上行带宽足够（建议码率不低于 1500 kbps）", "The upload is enough (recommended bitrate at least 1500 kbps)";
    preflight_check_key: "本场已有推流码", "The show has a stream key";
    preflight_check_push: "zhibo 已收到本场推流码的测试推流", "zhibo has received a test push with this show's key";
    preflight_waiting: "等待中", "Waiting";
    preflight_passed: "通过", "Passed";
    preflight_failed: "未通过", "Not passed";
    preflight_all_passed: "全部通过，可以开播", "All passed: ready to go live";
    preflight_make_key: "去中控台生成推流码", "Make a key on the console";
    reminders_title: "提醒", "Reminders";
    reminders_coupon: "领券提醒", "Coupon reminder";
    reminders_send: "发送给未领券的观众", "Send to viewers who have not claimed";
    reminders_no_coupon: "现在没有可领取的优惠券", "No coupon can be claimed now";
    reminders_cart: "提醒加购未下单", "Remind waiting carts";
    reminders_carts_waiting: "在线且加购未下单", "Online with items waiting in the cart";
    reminders_auto: "购物车 5 分钟未变且未下单时，直播间会自动提醒一次", "A cart left 5 minutes without an order gets one reminder automatically";
    reminders_last: "最近发送", "Last sent";
    reminders_targeted: "人收到", "people reached";
    reminders_automatic: "自动", "automatic";
    reminder_coupon_text: "主播提醒：这张券你还没领", "The host reminds you: this coupon is still yours to claim";
    reminder_claim_now: "立即领取", "Claim now";
    reminder_sign_in: "登录后领取", "Sign in to claim";
    reminder_cart_text: "购物车里还有商品，别错过直播价", "Items are waiting in your cart: don't miss the live price";
    reminder_open_cart: "去购物车", "Open the cart";
    reminder_dismiss: "关闭提醒", "Dismiss";
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
