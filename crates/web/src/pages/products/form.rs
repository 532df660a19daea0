//! Creating and editing a product with its SKUs in one plain HTML form.
//!
//! SKU rows are repeated fields (`sku_price`, `sku_specs`, …) read by
//! position. Adding or removing a row is a submit button (`action=add_sku`,
//! `action=remove_sku_N`) that sends the form back with what was typed and
//! one row more or less, so it works without JavaScript; nothing is saved
//! until `action=save`. On a mistake the form comes back with every wrong
//! field marked and everything as typed.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use zhibo_domain::catalog::{PlatformFigures, ProductInput, ProductStatus, SkuInput, Specs};
use zhibo_domain::{DomainError, Fen, ProductId};
use zhibo_store::ProductDetail;

use super::{status_name, yuan_text};
use crate::auth::Signed;
use crate::catalog::{Naming, save_product};
use crate::error::{FieldError, WebError};
use crate::pages::{Layout, PageCtx, render};
use crate::state::AppState;

/// What was typed into one SKU row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkuForm {
    pub id: String,
    pub specs: String,
    pub list_price: String,
    pub price: String,
    pub cost: String,
    pub weight_g: String,
    pub barcode: String,
}

/// What was typed into the product form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductForm {
    pub title: String,
    pub subtitle: String,
    pub selling_points: String,
    pub category: String,
    pub brand: String,
    pub status: String,
    pub material: String,
    pub size_chart: String,
    pub shipping_hours: String,
    pub after_sales: String,
    /// 退货率 as a percentage ("12.5"), the platform's figure.
    pub return_rate: String,
    /// 商品评分 in stars ("4.8"), the platform's figure.
    pub review_score: String,
    pub skus: Vec<SkuForm>,
}

/// Which submit button was pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Save,
    AddSku,
    RemoveSku(usize),
}

/// The SKU row fields, in the order of [`SkuForm`].
const SKU_FIELDS: [&str; 7] =
    ["sku_id", "sku_specs", "sku_list_price", "sku_price", "sku_cost", "sku_weight_g", "sku_barcode"];

impl ProductForm {
    /// Reads a posted form. Repeated SKU fields line up by position.
    pub fn from_pairs(pairs: &[(String, String)]) -> (ProductForm, Action) {
        let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let many = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        let columns: Vec<Vec<String>> = SKU_FIELDS.iter().map(|f| many(f)).collect();
        let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
        let cell = |c: usize, r: usize| columns[c].get(r).cloned().unwrap_or_default();
        let skus = (0..rows)
            .map(|r| SkuForm {
                id: cell(0, r),
                specs: cell(1, r),
                list_price: cell(2, r),
                price: cell(3, r),
                cost: cell(4, r),
                weight_g: cell(5, r),
                barcode: cell(6, r),
            })
            .collect();
        let action = match one("action").as_str() {
            "add_sku" => Action::AddSku,
            a => a.strip_prefix("remove_sku_").and_then(|n| n.parse().ok()).map_or(Action::Save, Action::RemoveSku),
        };
        let form = ProductForm {
            title: one("title"),
            subtitle: one("subtitle"),
            selling_points: one("selling_points"),
            category: one("category"),
            brand: one("brand"),
            status: one("status"),
            material: one("material"),
            size_chart: one("size_chart"),
            shipping_hours: one("shipping_hours"),
            after_sales: one("after_sales"),
            return_rate: one(PlatformFigures::RETURN_RATE_FIELD),
            review_score: one(PlatformFigures::REVIEW_FIELD),
            skus,
        };
        (form, action)
    }

    /// A stored product as the form shows it.
    pub fn from_detail(detail: &ProductDetail) -> ProductForm {
        let p = &detail.product;
        let money = |f: Fen| if f.0 == 0 { String::new() } else { yuan_text(f) };
        ProductForm {
            title: p.title.clone(),
            subtitle: p.subtitle.clone(),
            selling_points: p.selling_points.join("\n"),
            category: p.category.clone(),
            brand: p.brand.clone(),
            status: p.status.as_str().to_owned(),
            material: p.facts.material.clone(),
            size_chart: p.facts.size_chart.clone(),
            shipping_hours: p.facts.shipping_hours.map(|h| h.to_string()).unwrap_or_default(),
            after_sales: p.facts.after_sales.clone(),
            return_rate: p.platform.return_rate_text().unwrap_or_default(),
            review_score: p.platform.review_text().unwrap_or_default(),
            skus: detail
                .skus
                .iter()
                .map(|s| SkuForm {
                    id: s.id.to_string(),
                    specs: s.specs.to_string(),
                    list_price: money(s.list_price),
                    price: yuan_text(s.price),
                    cost: money(s.cost),
                    weight_g: if s.weight_g == 0 { String::new() } else { s.weight_g.to_string() },
                    barcode: s.barcode.clone().unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// The form as the domain's input, with what could not even be read
    /// (a price that is not a number) as field errors. Empty list price,
    /// cost and weight mean 0; an empty return rate or review score means
    /// not entered.
    pub fn to_input(&self) -> (ProductInput, Vec<FieldError>) {
        let mut errors = Vec::new();
        let shipping_hours = match self.shipping_hours.trim() {
            "" => None,
            text => text.parse::<i64>().map_err(|_| errors.push(whole_number("shipping_hours", text))).ok(),
        };
        let mut figure = |parse: fn(&str) -> Result<Option<i64>, DomainError>, text: &str| {
            parse(text).map_err(|e| errors.push(FieldError { field: e.field.into(), message: e.message })).ok()?
        };
        let return_rate_permille = figure(PlatformFigures::parse_return_rate, &self.return_rate);
        let review_tenths = figure(PlatformFigures::parse_review, &self.review_score);
        let mut skus = Vec::new();
        for (row, s) in self.skus.iter().enumerate() {
            let mut wrong = |field: &str, message: String| {
                errors.push(FieldError {
                    field: format!("skus[{row}].{field}"),
                    message: format!("SKU {}：{message}", row + 1),
                })
            };
            let id = match s.id.trim() {
                "" => None,
                text => text.parse::<i64>().map_err(|_| wrong("id", format!("没有这个SKU / no such SKU: {text}"))).ok(),
            };
            let specs = Specs::parse_text(&s.specs).map_err(|e| wrong("specs", e.message)).unwrap_or_default();
            let mut money = |field: &'static str, text: &str, optional: bool| {
                if optional && text.trim().is_empty() {
                    return Fen::ZERO;
                }
                Fen::parse_yuan(field, text).map_err(|e| wrong(field, e.message)).unwrap_or_default()
            };
            let list_price = money("list_price", &s.list_price, true);
            let price = money("price", &s.price, false);
            let cost = money("cost", &s.cost, true);
            let weight_g = match s.weight_g.trim() {
                "" => 0,
                text => text
                    .parse::<i64>()
                    .map_err(|_| wrong("weight_g", whole_number("weight_g", text).message))
                    .unwrap_or(0),
            };
            skus.push(SkuInput {
                id,
                specs: specs.pairs().to_vec(),
                list_price,
                price,
                cost,
                weight_g,
                barcode: s.barcode.clone(),
            });
        }
        let input = ProductInput {
            title: self.title.clone(),
            subtitle: self.subtitle.clone(),
            selling_points: zhibo_domain::catalog::split_lines(&self.selling_points),
            category: self.category.clone(),
            brand: self.brand.clone(),
            status: self.status.clone(),
            material: self.material.clone(),
            size_chart: self.size_chart.clone(),
            shipping_hours,
            after_sales: self.after_sales.clone(),
            return_rate_permille,
            review_tenths,
            skus,
        };
        (input, errors)
    }
}

fn whole_number(field: &str, text: &str) -> FieldError {
    FieldError { field: field.into(), message: format!("须为整数 / must be a whole number, not {text:?}") }
}

/// One SKU row as the template shows it.
struct SkuRow {
    index: usize,
    label: String,
    form: SkuForm,
    errors: BTreeMap<String, String>,
}

impl SkuRow {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

#[derive(Template)]
#[template(path = "products_form.html")]
struct FormPage {
    l: Layout,
    heading: &'static str,
    action: String,
    cancel: String,
    form: ProductForm,
    rows: Vec<SkuRow>,
    errors: Vec<FieldError>,
    statuses: Vec<(&'static str, &'static str)>,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

fn page(layout: Layout, editing: Option<ProductId>, mut form: ProductForm, errors: Vec<FieldError>) -> FormPage {
    let t = layout.t;
    if form.skus.is_empty() {
        form.skus.push(SkuForm::default());
    }
    let rows = form
        .skus
        .iter()
        .enumerate()
        .map(|(index, sku)| {
            let prefix = format!("skus[{index}].");
            let errors = errors
                .iter()
                .filter_map(|e| e.field.strip_prefix(&prefix).map(|f| (f.to_owned(), e.message.clone())))
                .collect();
            SkuRow { index, label: t.sku_row.replace("{}", &(index + 1).to_string()), form: sku.clone(), errors }
        })
        .collect();
    let (heading, action, cancel) = match editing {
        None => (t.products_new, "/products/new".to_owned(), "/products".to_owned()),
        Some(id) => (t.product_edit, format!("/products/{id}/edit"), format!("/products/{id}")),
    };
    let statuses = ProductStatus::ALL.into_iter().map(|s| (s.as_str(), status_name(t, s))).collect();
    FormPage { l: layout, heading, action, cancel, form, rows, errors, statuses }
}

pub async fn new(ctx: PageCtx) -> Result<Response, WebError> {
    let form = ProductForm { status: ProductStatus::Draft.as_str().into(), ..Default::default() };
    Ok(render(&page(ctx.layout, None, form, Vec::new()))?.into_response())
}

pub async fn edit(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let id = ProductId(id);
    let detail =
        state.store.product(signed.user.shop, id).await?.ok_or_else(|| WebError::NotFound(format!("product {id}")))?;
    Ok(render(&page(ctx.layout, Some(id), ProductForm::from_detail(&detail), Vec::new()))?.into_response())
}

pub async fn create(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    submit(ctx, &state, &signed, None, &pairs).await
}

pub async fn update(
    ctx: PageCtx,
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = ProductId(id);
    if state.store.product(signed.user.shop, id).await?.is_none() {
        return Err(WebError::NotFound(format!("product {id}")));
    }
    submit(ctx, &state, &signed, Some(id), &pairs).await
}

async fn submit(
    ctx: PageCtx,
    state: &AppState,
    signed: &Signed,
    editing: Option<ProductId>,
    pairs: &[(String, String)],
) -> Result<Response, WebError> {
    let (mut form, action) = ProductForm::from_pairs(pairs);
    match action {
        Action::AddSku => {
            form.skus.push(SkuForm::default());
            Ok(render(&page(ctx.layout, editing, form, Vec::new()))?.into_response())
        }
        Action::RemoveSku(row) => {
            if row < form.skus.len() {
                form.skus.remove(row);
            }
            Ok(render(&page(ctx.layout, editing, form, Vec::new()))?.into_response())
        }
        Action::Save => {
            let (input, errors) = form.to_input();
            match save_product(state, signed.user.shop, editing, &input, errors, Naming::Form).await {
                Ok(id) => Ok(Redirect::to(&format!("/products/{id}?saved=product")).into_response()),
                Err(WebError::Invalid { status, fields, .. }) => {
                    let status = if status.is_client_error() { status } else { StatusCode::UNPROCESSABLE_ENTITY };
                    Ok((status, render(&page(ctx.layout, editing, form, fields))?).into_response())
                }
                Err(other) => Err(other),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn sku_rows_line_up_by_position_and_the_pressed_button_is_the_action() {
        let (form, action) = ProductForm::from_pairs(&pairs(&[
            ("title", "睡衣"),
            ("sku_specs", "颜色=红"),
            ("sku_price", "1"),
            ("sku_specs", "颜色=蓝"),
            ("sku_price", "2"),
            ("action", "remove_sku_1"),
        ]));
        assert_eq!(action, Action::RemoveSku(1));
        assert_eq!(form.skus.len(), 2);
        assert_eq!((form.skus[1].specs.as_str(), form.skus[1].price.as_str()), ("颜色=蓝", "2"));
        assert_eq!(ProductForm::from_pairs(&pairs(&[("action", "add_sku")])).1, Action::AddSku);
        assert_eq!(ProductForm::from_pairs(&pairs(&[("action", "remove_sku_x")])).1, Action::Save);
    }

    #[test]
    fn what_cannot_be_read_is_named_by_row_and_empty_optionals_are_zero() {
        let form = ProductForm {
            title: "睡衣".into(),
            shipping_hours: "两天".into(),
            return_rate: "12.55".into(),
            review_score: "4.8".into(),
            skus: vec![
                SkuForm { price: "39.9".into(), ..Default::default() },
                SkuForm { specs: "红".into(), price: "abc".into(), weight_g: "1.5".into(), ..Default::default() },
            ],
            ..Default::default()
        };
        let (input, errors) = form.to_input();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["shipping_hours", "return_rate", "skus[1].specs", "skus[1].price", "skus[1].weight_g"]);
        assert!(
            errors[1].message.contains("退货率") && errors[1].message.contains("\"12.55\""),
            "{}",
            errors[1].message
        );
        assert!(errors[3].message.starts_with("SKU 2："), "{}", errors[3].message);
        assert_eq!((input.return_rate_permille, input.review_tenths), (None, Some(48)));
        assert_eq!((input.skus[0].price, input.skus[0].cost, input.skus[0].weight_g), (Fen(3990), Fen(0), 0));
    }
}
