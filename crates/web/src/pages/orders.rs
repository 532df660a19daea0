//! 订单 /orders: the shop's order list with filters (show, status, time,
//! product), the moves staff may make on each order (发货 with a tracking
//! number, 签收, 完成, 退款, 取消), and 导出 Excel of the filtered list.
//!
//! The page and the API share the filter (`api::orders::filter_of`) and the
//! move (`api::orders::staff_move`), so both refuse the same things with the
//! same messages.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use zhibo_domain::localtime::{format_shop_time, parse_shop_time};
use zhibo_domain::order::{OrderStatus, Party};
use zhibo_domain::{Fen, Permission, Timestamp};
use zhibo_sheets::{Cell, Table, write_xlsx};
use zhibo_store::orders::{OrderFilter, OrderRecord};

use super::{Layout, PageCtx, render};
use crate::api::orders::{filter_of, staff_move};
use crate::auth::{Access, Routes, Signed};
use crate::error::WebError;
use crate::i18n::Lang;
use crate::state::AppState;

pub fn routes() -> Routes {
    let needs = Access::Needs(Permission::Orders);
    Routes::default().add("/orders", needs, get(list)).add("/orders/export.xlsx", needs, get(export)).add(
        "/orders/{id}/move",
        needs,
        post(move_order),
    )
}

/// The list's query as the filter form sends it (times as `datetime-local`).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub show: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub page: Option<u32>,
}

impl ListQuery {
    fn filter(&self, per_page: u32) -> Result<OrderFilter, WebError> {
        let id = |field: &'static str, text: &str| -> Result<Option<i64>, WebError> {
            match text.trim() {
                "" => Ok(None),
                t => t.parse().map(Some).map_err(|_| WebError::invalid(field, "须为编号 / must be an id number")),
            }
        };
        let time = |field: &'static str, text: &str| -> Result<Option<Timestamp>, WebError> {
            match text.trim() {
                "" => Ok(None),
                t => Ok(Some(parse_shop_time(field, t)?)),
            }
        };
        filter_of(
            id("show", &self.show)?,
            Some(self.status.as_str()),
            id("product", &self.product)?,
            time("from", &self.from)?,
            time("to", &self.to)?,
            self.page,
            Some(per_page),
        )
    }

    /// The same query for links (export, pages).
    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("show", self.show.as_str()),
            ("status", self.status.as_str()),
            ("product", self.product.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ])
        .unwrap_or_default()
    }
}

struct Row {
    id: i64,
    created: String,
    show: String,
    buyer: String,
    items: String,
    total: String,
    status_code: &'static str,
    /// In the page's language.
    status: &'static str,
    tracking: String,
    /// (status code, label in the page's language)
    next: Vec<(&'static str, &'static str)>,
}

struct Choice {
    value: &'static str,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    l: Layout,
    rows: Vec<Row>,
    /// 共 N 单 / N orders.
    count: String,
    q: ListQuery,
    statuses: Vec<Choice>,
    shows: Vec<(i64, String, bool)>,
    export_href: String,
    error: Option<String>,
}

/// The order's lines in one cell; a gift line is marked with `gift`.
fn items(o: &OrderRecord, gift: &str) -> String {
    o.lines
        .iter()
        .map(|l| {
            let mut text = if l.specs.is_empty() {
                format!("{} ×{}", l.product_title, l.quantity)
            } else {
                format!("{}（{}）×{}", l.product_title, l.specs, l.quantity)
            };
            if l.gift.is_some() {
                text.push_str(&format!("（{gift}）"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// A status's name in the page's language.
fn status_name(s: OrderStatus, lang: Lang) -> &'static str {
    match lang {
        Lang::ZhCn => s.zh(),
        Lang::En => s.en(),
    }
}

async fn list(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let shop = signed.user.shop;
    let (orders, total, error) = match q.filter(50) {
        Ok(filter) => (state.store.orders(shop, &filter).await?, state.store.count_orders(shop, &filter).await?, None),
        Err(e) => {
            let named = e.fields().iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>();
            (Vec::new(), 0, Some(if named.is_empty() { e.to_string() } else { named.join("; ") }))
        }
    };
    let shows_of_shop = state.store.shows_of_shop(shop).await?;
    let show_title = |id: Option<zhibo_domain::RoomId>| {
        id.and_then(|id| shows_of_shop.iter().find(|s| s.id == id)).map(|s| s.title.clone()).unwrap_or_default()
    };
    let lang = ctx.layout.lang;
    let t = ctx.layout.t;
    let mut rows = Vec::with_capacity(orders.len());
    for o in &orders {
        rows.push(Row {
            id: o.id.0,
            created: format_shop_time(o.created_at).replace('T', " "),
            show: show_title(o.show),
            buyer: format!("{} {}", o.address.name(), o.address.masked_phone()),
            items: items(o, t.orders_gift),
            total: o.total.to_string(),
            status_code: o.status.as_str(),
            status: status_name(o.status, lang),
            tracking: o.tracking_number.clone().unwrap_or_default(),
            next: o.status.next_for(Party::Staff).map(|s| (s.as_str(), status_name(s, lang))).collect(),
        });
    }
    let statuses = OrderStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str(),
            label: status_name(*s, lang).to_owned(),
            selected: q.status == s.as_str(),
        })
        .collect();
    let shows = shows_of_shop.iter().map(|s| (s.id.0, s.title.clone(), q.show == s.id.0.to_string())).collect();
    let export_href = format!("/orders/export.xlsx?{}", q.query_string());
    let count = t.orders_count.replace("{n}", &total.to_string());
    let page = OrdersPage { l: ctx.layout, rows, count, q, statuses, shows, export_href, error };
    Ok(render(&page)?.into_response())
}

/// The column headers of the export, zh-CN first.
const EXPORT_HEADERS: [&str; 13] = [
    "订单号 Order",
    "下单时间 Placed",
    "状态 Status",
    "直播场次 Show",
    "商品 Items",
    "件数 Units",
    "商品金额 Subtotal",
    "优惠 Discount",
    "实付 Total",
    "收货人 Name",
    "手机 Phone",
    "地址 Address",
    "运单号 Tracking",
];

fn yuan(fen: Fen) -> Cell {
    Cell::from(fen.to_string().replace('¥', ""))
}

/// 导出 Excel: the filtered list, every page of it, as an XLSX file.
async fn export(
    State(state): State<AppState>,
    signed: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let shop = signed.user.shop;
    let mut filter = q.filter(200)?;
    filter.offset = 0;
    filter.limit = OrderFilter::MAX_LIMIT;
    let orders = state.store.orders(shop, &filter).await?;
    let shows = state.store.shows_of_shop(shop).await?;
    let mut table = Table::new(EXPORT_HEADERS.to_vec());
    for o in &orders {
        let show = o.show.and_then(|id| shows.iter().find(|s| s.id == id)).map(|s| s.title.clone()).unwrap_or_default();
        table.push_row(vec![
            Cell::Int(o.id.0),
            Cell::from(format_shop_time(o.created_at).replace('T', " ")),
            Cell::from(format!("{} {}", o.status.zh(), o.status.en())),
            Cell::from(show),
            Cell::from(items(o, "赠品 gift")),
            Cell::Int(i64::try_from(o.units()).unwrap_or(i64::MAX)),
            yuan(o.subtotal),
            yuan(o.discount),
            yuan(o.total),
            Cell::from(o.address.name()),
            Cell::from(o.address.phone()),
            Cell::from(format!("{} {}", o.address.region(), o.address.detail())),
            Cell::from(o.tracking_number.clone().unwrap_or_default()),
        ]);
    }
    let bytes = write_xlsx(&table, "订单 orders").map_err(|e| WebError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"orders.xlsx\""),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    pub to: String,
    #[serde(default)]
    pub tracking_number: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub back: String,
}

/// A staff move from the list; back to the list (with its filters) after.
async fn move_order(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Result<Response, WebError> {
    staff_move(&state, &signed, id, &form.to, Some(&form.tracking_number), Some(&form.note)).await?;
    let back = if form.back.starts_with("/orders") && !form.back.contains("//") { form.back } else { "/orders".into() };
    Ok(Redirect::to(&back).into_response())
}
