//! The live room's WebSocket endpoints (docs/protocol.md):
//! `GET /ws/rooms/{room}/viewer` for anyone and `GET /ws/rooms/{room}/console`
//! for roles with `Permission::LiveConsole`. Each socket gets one task that
//! reads text in (→ the room) and writes the room's shared frame bytes out,
//! whichever is ready; the room engine (`zhibo-live`) does the rest.
//!
//! Anonymous viewers are known by a signed viewer id in the `zhibo_viewer`
//! cookie: a random 128-bit id and a keyed SHA-256 of it under a secret
//! drawn at server start, so a viewer cannot take another viewer's id (and
//! dodge a mute). A restart changes the secret, and viewers get new ids.

use async_trait::async_trait;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use zhibo_domain::catalog::ProductStatus;
use zhibo_domain::event::Actor;
use zhibo_domain::show::ShowState;
use zhibo_domain::stock::{StockChange, StockReason};
use zhibo_domain::{Clock, Fen, Permission, ProductId, RoomId};
use zhibo_live::protocol::{ErrorCode, ProtocolError};
use zhibo_live::{
    ConnectionKind, Identity, LineupEntry, LiveError, ModerationSettings, RoomConfig, RoomData, RoomHub, RoomInfo,
    RoomStatus, StockAdjustment,
};
use zhibo_store::{EventStore, Store};

use crate::auth::{Access, Routes, SignedIn};
use crate::error::WebError;
use crate::state::AppState;
use crate::websocket::{Incoming, Limits, Received, Socket, Upgrade};

/// The cookie holding an anonymous viewer's signed id.
pub const VIEWER_COOKIE: &str = "zhibo_viewer";
/// Bytes read from a socket at a time (viewers send short messages), and
/// the largest WebSocket message read from a client: the protocol's own
/// limit (4 KiB) answers politely below it, the socket closes (1009) above.
const SOCKET_LIMITS: Limits = Limits { read_chunk: 4 * 1024, max_message: 64 * 1024 };
/// Bytes of frames a lagging socket gets in one write, about: more saves
/// system calls (the frames are written from the room's shared bytes, so
/// a bigger write costs no memory per viewer).
const BYTES_PER_WRITE: usize = 16 * 1024;
/// How long a closing handshake may take before the socket is dropped.
const CLOSE_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// The live rooms of this server and the key that signs viewer ids.
#[derive(Debug)]
pub struct Live {
    pub hub: RoomHub,
    viewer_key: [u8; 32],
}

impl Live {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Live {
        let data = Arc::new(ShowRooms { store: store.clone(), clock: clock.clone() });
        let events: Arc<dyn EventStore> = store;
        let mut viewer_key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut viewer_key);
        Live { hub: RoomHub::new(events, data, clock, RoomConfig::default()), viewer_key }
    }

    fn sign(&self, id: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(self.viewer_key);
        hash.update(id.as_bytes());
        hex::encode(&hash.finalize()[..16])
    }

    /// The viewer id in the cookie if its signature holds, else a new one
    /// with the cookie to set.
    pub fn viewer_id(&self, jar: &CookieJar) -> (String, Option<Cookie<'static>>) {
        if let Some((id, sig)) = jar.get(VIEWER_COOKIE).and_then(|c| c.value().split_once('.'))
            && id.len() == 32
            && id.bytes().all(|b| b.is_ascii_hexdigit())
            && self.sign(id) == sig
        {
            return (id.to_owned(), None);
        }
        let mut raw = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let id = hex::encode(raw);
        let cookie = Cookie::build((VIEWER_COOKIE, format!("{id}.{}", self.sign(&id))))
            .http_only(true)
            .same_site(SameSite::Lax)
            .path("/")
            .permanent()
            .build();
        (id, Some(cookie))
    }
}

/// A room is a show (its id is the show's id): the lineup, prices and state
/// come from the show, and stock and list prices from the catalog. zhibo
/// runs one shop per deployment for now, so the room's shop is the first.
struct ShowRooms {
    store: Arc<dyn Store>,
    /// For a flash-sale order's payment deadline.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ShowRooms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShowRooms")
    }
}

#[async_trait]
impl RoomData for ShowRooms {
    // ---- flash sales: crate::flash_sale_data
    async fn open_flash_sale(
        &self,
        room: RoomId,
        open: zhibo_live::flash_sale::FlashSaleOpen,
    ) -> Result<zhibo_live::flash_sale::FlashSaleTerms, LiveError> {
        crate::flash_sale_data::open(self.store.as_ref(), room, open).await
    }

    async fn commit_flash_wins(
        &self,
        room: RoomId,
        wins: &[zhibo_live::flash_sale::FlashWin],
    ) -> Result<Vec<Result<zhibo_domain::OrderId, String>>, LiveError> {
        crate::flash_sale_data::commit(self.store.as_ref(), self.clock.as_ref(), room, wins).await
    }

    async fn close_flash_sale(
        &self,
        room: RoomId,
        sale: zhibo_domain::FlashSaleId,
        actor: Option<zhibo_domain::UserId>,
    ) -> Result<zhibo_live::flash_sale::FlashSaleClosed, LiveError> {
        crate::flash_sale_data::close(self.store.as_ref(), room, sale, actor).await
    }

    async fn running_flash_sales(
        &self,
        room: RoomId,
    ) -> Result<Vec<zhibo_live::flash_sale::RunningFlashSale>, LiveError> {
        crate::flash_sale_data::running(self.store.as_ref(), room).await
    }

    async fn sku_stock(&self, room: RoomId) -> Result<Vec<zhibo_live::stock_view::SkuStock>, LiveError> {
        crate::flash_sale_data::sku_stock(self.store.as_ref(), room).await
    }

    // ---- reminders: crate::reminders_data
    async fn coupon_claimers(&self, room: RoomId, coupon: i64) -> Result<zhibo_live::data::CouponClaimers, LiveError> {
        crate::reminders_data::coupon_claimers(self.store.as_ref(), self.clock.as_ref(), room, coupon).await
    }

    async fn waiting_carts(&self, room: RoomId) -> Result<Vec<zhibo_live::data::WaitingCart>, LiveError> {
        crate::reminders_data::waiting_carts(self.store.as_ref(), room).await
    }

    async fn load(&self, room: RoomId) -> Result<Option<RoomInfo>, LiveError> {
        let data = |e: zhibo_store::StoreError| LiveError::Data(e.to_string());
        let Some(shop) = self.store.first_shop().await.map_err(data)? else { return Ok(None) };
        let Some(show) = self.store.show(shop.id, room).await.map_err(data)? else { return Ok(None) };
        let mut lineup = Vec::with_capacity(show.lineup.len());
        for item in show.lineup {
            let Some(detail) = self.store.product(shop.id, item.product).await.map_err(data)? else { continue };
            lineup.push(LineupEntry {
                product: item.product,
                title: item.product_title,
                price: item.product_price,
                list_price: detail.product.list_price,
                live_price: item.live_price.unwrap_or(item.product_price),
                stock: detail.skus.iter().map(|s| s.stock).sum(),
                listed: detail.product.status == ProductStatus::OnSale,
                facts: Some(detail.product.facts.clone()),
            });
        }
        let status = match show.show.lifecycle.state() {
            ShowState::Planned => RoomStatus::Planned,
            ShowState::Live => RoomStatus::Live,
            ShowState::Ended => RoomStatus::Ended,
        };
        Ok(Some(RoomInfo { title: show.show.title, status, lineup }))
    }

    /// The shop's word list and mode, as saved on /live/moderation.
    async fn moderation(&self, _room: RoomId) -> Result<ModerationSettings, LiveError> {
        let data = |e: zhibo_store::StoreError| LiveError::Data(e.to_string());
        let Some(shop) = self.store.first_shop().await.map_err(data)? else { return Ok(ModerationSettings::default()) };
        let policy = self.store.moderation_policy(shop.id).await.map_err(data)?;
        Ok(ModerationSettings { mode: policy.mode, words: policy.words })
    }

    /// The console's 改价, kept on the show's lineup row.
    async fn set_live_price(&self, room: RoomId, product: ProductId, price: Fen) -> Result<(), LiveError> {
        let data = |e: zhibo_store::StoreError| LiveError::Data(e.to_string());
        let Some(shop) = self.store.first_shop().await.map_err(data)? else {
            return Err(LiveError::RoomNotFound(room));
        };
        self.store.set_live_price(shop.id, room, product, price).await.map_err(data)
    }

    /// The console's 排序, kept as the positions of the show's lineup rows.
    async fn reorder_lineup(&self, room: RoomId, order: &[ProductId]) -> Result<(), LiveError> {
        let data = |e: zhibo_store::StoreError| LiveError::Data(e.to_string());
        let Some(shop) = self.store.first_shop().await.map_err(data)? else {
            return Err(LiveError::RoomNotFound(room));
        };
        self.store.reorder_lineup(shop.id, room, order).await.map_err(data)
    }

    /// The console's 改库存: a `manual` entry of the stock ledger on the
    /// product's SKU (named in the message when it has several).
    async fn adjust_stock(&self, room: RoomId, change: StockAdjustment) -> Result<i64, LiveError> {
        let data = |e: zhibo_store::StoreError| LiveError::Data(e.to_string());
        let refused = |field, message: String| LiveError::Refused { field: Some(field), message };
        let Some(shop) = self.store.first_shop().await.map_err(data)? else {
            return Err(LiveError::RoomNotFound(room));
        };
        let Some(detail) = self.store.product(shop.id, change.product).await.map_err(data)? else {
            return Err(refused("product", format!("商品 {} 不存在 / no product {}", change.product, change.product)));
        };
        let sku = match (change.sku, detail.skus.as_slice()) {
            (Some(sku), skus) if skus.iter().any(|s| s.id == sku) => sku,
            (Some(sku), _) => {
                return Err(refused("sku", format!("SKU {sku} 不属于该商品 / SKU {sku} is not one of this product's")));
            }
            (None, [only]) => only.id,
            (None, _) => {
                return Err(refused(
                    "sku",
                    "该商品有多个 SKU，请指定 sku / this product has several SKUs: name the sku".to_owned(),
                ));
            }
        };
        let stock_change =
            StockChange::parse(sku, StockReason::Manual.as_str(), change.delta, &change.note).map_err(|errors| {
                let field = errors.first().map_or("delta", |e| e.field);
                let message = errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; ");
                refused(field, message)
            })?;
        match self.store.apply_stock_change(shop.id, &stock_change, change.actor).await.map_err(data)? {
            Ok(_) => {}
            Err(short) => return Err(LiveError::InsufficientStock { available: short.available, delta: change.delta }),
        }
        // The product's stock is that of all its SKUs, as the room shows it.
        let detail = self.store.product(shop.id, change.product).await.map_err(data)?;
        Ok(detail.map_or(0, |d| d.skus.iter().map(|s| s.stock).sum()))
    }

    /// The show's automatic actions (run-sheet automation); a reminder
    /// that names a coupon carries the coupon's name in its text.
    async fn automation(&self, room: RoomId) -> Result<Vec<zhibo_domain::automation::ShowAction>, LiveError> {
        use zhibo_domain::automation::ActionSpec;
        let data = |e: zhibo_store::StoreError| LiveError::Data(e.to_string());
        let Some(shop) = self.store.first_shop().await.map_err(data)? else { return Ok(Vec::new()) };
        let mut actions = self.store.show_actions(shop.id, room).await.map_err(data)?;
        for action in &mut actions {
            if let ActionSpec::Reminder { text, coupon: Some(coupon), .. } = &mut action.spec
                && let Some(promotion) = self.store.promotion(*coupon).await.map_err(data)?
                && promotion.shop == shop.id
            {
                *text = format!("{text}【{}】", promotion.name);
            }
        }
        Ok(actions)
    }

    /// The show's run sheet, its scheduled start and (once live) its start.
    async fn run_sheet(&self, room: RoomId) -> Result<zhibo_live::RunSheetPlan, LiveError> {
        let data = |e: zhibo_store::StoreError| LiveError::Data(e.to_string());
        let Some(shop) = self.store.first_shop().await.map_err(data)? else { return Ok(Default::default()) };
        let Some(show) = self.store.show(shop.id, room).await.map_err(data)? else { return Ok(Default::default()) };
        Ok(zhibo_live::RunSheetPlan {
            started_at: show.show.lifecycle.started_at(),
            scheduled_start: Some(show.show.scheduled_start),
            segments: show.run_sheet,
        })
    }
}

pub fn routes() -> Routes {
    Routes::default().add("/ws/rooms/{room}/viewer", Access::Public, axum::routing::get(viewer)).add(
        "/ws/rooms/{room}/console",
        Access::Needs(Permission::LiveConsole),
        axum::routing::get(console),
    )
}

async fn viewer(
    State(state): State<AppState>,
    Path(room): Path<i64>,
    SignedIn(signed): SignedIn,
    jar: CookieJar,
    headers: HeaderMap,
    ws: Upgrade,
) -> Result<Response, WebError> {
    same_origin(&headers)?;
    let (identity, cookie) = match signed {
        Some(s) => (
            Identity {
                actor: Actor::User(s.user.id),
                name: s.user.display_name.clone(),
                role: Some(s.user.role),
                kind: ConnectionKind::Viewer,
            },
            None,
        ),
        None => {
            let (id, cookie) = state.live.viewer_id(&jar);
            let name = format!("观众{}", &id[..4]);
            (Identity { actor: Actor::Viewer(id), name, role: None, kind: ConnectionKind::Viewer }, cookie)
        }
    };
    let response = upgrade(&state, RoomId(room), identity, ws).await?;
    Ok(match cookie {
        Some(cookie) => (jar.add(cookie), response).into_response(),
        None => response,
    })
}

async fn console(
    State(state): State<AppState>,
    Path(room): Path<i64>,
    SignedIn(signed): SignedIn,
    headers: HeaderMap,
    ws: Upgrade,
) -> Result<Response, WebError> {
    same_origin(&headers)?;
    // The route's access rule already demands the permission; the room
    // checks it again on every console message.
    let s = signed.ok_or(WebError::Unauthenticated)?;
    let identity = Identity {
        actor: Actor::User(s.user.id),
        name: s.user.display_name.clone(),
        role: Some(s.user.role),
        kind: ConnectionKind::Console,
    };
    upgrade(&state, RoomId(room), identity, ws).await
}

/// Browsers send cookies with a WebSocket handshake from any page, so a
/// handshake that names another origin is refused (cross-site WebSocket
/// hijacking). Clients that send no Origin (programs) are let through.
fn same_origin(headers: &HeaderMap) -> Result<(), WebError> {
    let Some(origin) = headers.get("origin").and_then(|o| o.to_str().ok()) else { return Ok(()) };
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
    if origin_host.eq_ignore_ascii_case(host) { Ok(()) } else { Err(WebError::Forbidden) }
}

/// Joins the room before upgrading, so an unknown room is a plain 404.
async fn upgrade(state: &AppState, room: RoomId, identity: Identity, ws: Upgrade) -> Result<Response, WebError> {
    let connection = state.live.hub.connect(room, identity).await.map_err(|e| match e {
        LiveError::RoomNotFound(_) => WebError::NotFound(format!("room {room}")),
        other => WebError::Internal(anyhow::anyhow!(other)),
    })?;
    Ok(ws.on_upgrade(SOCKET_LIMITS, move |socket| serve(socket, connection)))
}

/// One task per socket: it writes the room's frames and reads the
/// client's messages, whichever is ready (both waits are cancel-safe). One
/// task instead of a reader and a writer saves two tasks and a lock per
/// viewer, which is what a room of 20,000 viewers pays for each.
async fn serve(mut socket: Socket, connection: zhibo_live::Connection) {
    let (inbound, mut outbound) = connection.split();
    let mut batch = Vec::new();
    let code = loop {
        tokio::select! {
            frame = outbound.next() => {
                // 1001 "going away": the room has stopped.
                let Some(first) = frame else { break 1001 };
                if write(&mut socket, first, &mut outbound, &mut batch).await.is_err() {
                    return;
                }
            }
            message = socket.recv() => {
                let went_on = match message {
                    Ok(Some(message)) => read_burst(&mut socket, &inbound, message).await,
                    // The client went away without a close frame.
                    Ok(None) => return,
                    Err(e) => Err(e),
                };
                match went_on {
                    Ok(true) => {}
                    Ok(false) => break 1000,
                    // A broken protocol gets its close code; a failed read
                    // or write leaves nothing to close.
                    Err(e) => match e.close_code() {
                        Some(code) => break code,
                        None => return,
                    },
                }
            }
        }
    };
    // A client that stopped reading must not hold the task forever.
    socket.close(code, CLOSE_WITHIN).await;
}

/// Most client messages read in one go before answers are flushed.
const MESSAGES_PER_READ: usize = 64;

/// Handles `first` and every further message already read from the
/// socket, then writes the answers given at once (a flash-sale refusal,
/// a message that does not parse, a pong) with one write: a client with
/// several requests in flight gets its answers in one write, not one per
/// request. `Ok(false)` once the client closed or the room is done.
async fn read_burst(socket: &mut Socket, inbound: &zhibo_live::Inbound, first: Incoming) -> Result<bool, Received> {
    let mut message = first;
    let mut answers = Vec::new();
    let mut alive = true;
    for _ in 0..MESSAGES_PER_READ {
        match message {
            Incoming::Text(text) => match inbound.receive(&text).await {
                zhibo_live::room::Received::Sent => {}
                zhibo_live::room::Received::Answered(frame) => answers.push(frame),
                zhibo_live::room::Received::Closed => alive = false,
            },
            Incoming::Binary => inbound.reject(ProtocolError::new(
                ErrorCode::BadJson,
                "只接受文本 JSON 消息 / only text JSON messages are accepted",
            )),
            Incoming::Close(_) => alive = false,
            Incoming::Ping(_) | Incoming::Pong => {}
        }
        if !alive {
            break;
        }
        // Only what is already read: never waits.
        match socket.try_recv()? {
            Some(next) => message = next,
            None => break,
        }
    }
    if !answers.is_empty() || socket.owes_pong() {
        socket.send_texts(&answers).await.map_err(Received::Io)?;
    }
    Ok(alive)
}

/// Writes `first` and whatever else is already waiting (while under
/// [`BYTES_PER_WRITE`]) with one write: a viewer that fell behind catches
/// up in fewer system calls than one per frame. `batch` is the task's
/// reused list of frames.
async fn write(
    socket: &mut Socket,
    first: bytes::Bytes,
    outbound: &mut zhibo_live::Outbound,
    batch: &mut Vec<bytes::Bytes>,
) -> std::io::Result<()> {
    let mut written = first.len();
    batch.push(first);
    while written < BYTES_PER_WRITE / 2 {
        let Some(frame) = outbound.try_next() else { break };
        written += frame.len();
        batch.push(frame);
    }
    let sent = socket.send_texts(batch).await;
    batch.clear();
    sent
}
