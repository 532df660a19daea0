//! The room's glue for `crate::presentation`: the welcome line sent on the
//! tick, the console's manual lineup order, the pinned comment. The rules
//! are in `crate::presentation`; this keeps the room's state, logs and
//! sends.
//!
//! A reorder changes the room's lineup at once (the next move is judged
//! against it, like every other console action) and is persisted through
//! `RoomData::reorder_lineup` before its event is appended; the frame goes
//! out when the event is durable. Each persist waits for the previous one
//! to finish, so the stored order is always the room's latest even when two
//! moves come in quick succession.

use serde_json::json;
use tokio::sync::oneshot;
use zhibo_domain::ProductId;
use zhibo_domain::event::{Actor, EventKind, NewEvent};
use zhibo_store::StoreError;

use super::{AppendFuture, ConnectionKind, InFlight, Room, Then};
use crate::presentation::{self as rules, Arrivals, PresentationFrame};
use crate::protocol::{self, ClientMessage, CommentView, ErrorCode, ProtocolError};

/// The room's presentation state.
#[derive(Debug)]
pub(super) struct Presentation {
    welcome: String,
    pub(super) arrivals: Arrivals,
    pinned: Option<CommentView>,
    /// Fires when the last started reorder's persist is over.
    last_reorder: Option<oneshot::Receiver<()>>,
}

impl Default for Presentation {
    fn default() -> Self {
        Self {
            welcome: rules::DEFAULT_WELCOME.to_owned(),
            arrivals: Arrivals::default(),
            pinned: None,
            last_reorder: None,
        }
    }
}

impl Presentation {
    pub(super) fn snapshot(&self) -> rules::Snapshot<'_> {
        rules::Snapshot { pinned_comment: &self.pinned, welcome_template: &self.welcome }
    }
}

impl Room {
    /// What consoles set before the room last stopped, taken back from its
    /// log when it starts again: the welcome template, the pinned topic and
    /// the pinned comment. A log that cannot be read leaves the defaults.
    pub(super) async fn restore_presentation(&mut self) {
        let store = self.deps.store.clone();
        let last = async |kinds: &[&str]| match store.last_of_kinds(self.id, kinds).await {
            Ok(event) => event,
            Err(error) => {
                tracing::error!(room = %self.id, %error, ?kinds, "not restored from the log");
                None
            }
        };
        if let Some(template) =
            last(&["welcome.set"]).await.and_then(|e| e.payload["template"].as_str().map(str::to_owned))
        {
            self.presentation.welcome = template;
        }
        if let Some(event) = last(&["topic.pinned", "topic.unpinned"]).await
            && event.kind.as_str() == "topic.pinned"
        {
            self.topic = event.payload["text"].as_str().map(str::to_owned);
        }
        if let Some(event) = last(&["comment.pinned", "comment.unpinned"]).await
            && event.kind.as_str() == "comment.pinned"
        {
            let p = &event.payload;
            let text = |key: &str| p[key].as_str().unwrap_or_default().to_owned();
            if let Some(id) = p["comment"].as_u64() {
                self.presentation.pinned =
                    Some(CommentView { id, viewer: text("viewer"), name: text("name"), text: text("text") });
            }
        }
    }

    /// A console's presentation message: the state changes now and the
    /// event's append (or the reorder's persist) has started on `Ok`.
    pub(super) fn present(&mut self, conn: u64, actor: Actor, message: ClientMessage) -> Result<(), ProtocolError> {
        match message {
            ClientMessage::SetWelcome { template } => {
                let template = template.trim().to_owned();
                self.presentation.welcome = template.clone();
                // Viewers see only the lines; the consoles see the template.
                let bytes = protocol::single(&PresentationFrame::WelcomeTemplate { template: template.clone() });
                self.append("welcome.set", actor, json!({ "template": template }), Then::Consoles(bytes));
            }
            ClientMessage::ReorderLineup { product, position } => self.reorder(conn, actor, product, position)?,
            ClientMessage::PinComment { comment } => {
                let Some(view) = self.recent.iter().find(|c| c.id == comment).cloned() else {
                    return Err(ProtocolError {
                        code: ErrorCode::NotFound,
                        message: format!(
                            "找不到评论 {comment}（只能置顶最近的评论） / comment {comment} not found (only recent comments can be pinned)"
                        ),
                        field: Some("comment"),
                    });
                };
                self.presentation.pinned = Some(view.clone());
                let payload =
                    json!({ "comment": comment, "viewer": view.viewer, "name": view.name, "text": view.text });
                let frame = PresentationFrame::PinnedComment { comment: Some(view) }.to_json();
                self.append("comment.pinned", actor, payload, Then::Presented { conn, frame });
            }
            ClientMessage::UnpinComment {} => {
                let Some(view) = self.presentation.pinned.take() else {
                    return Err(ProtocolError::new(ErrorCode::NotFound, "当前没有置顶评论 / no comment is pinned"));
                };
                self.unpinned(conn, actor, view.id);
            }
            _ => {}
        }
        Ok(())
    }

    fn unpinned(&mut self, conn: u64, actor: Actor, comment: u64) {
        let frame = PresentationFrame::PinnedComment { comment: None }.to_json();
        self.append("comment.unpinned", actor, json!({ "comment": comment }), Then::Presented { conn, frame });
    }

    /// A hidden comment does not stay pinned.
    pub(super) fn unpin_hidden(&mut self, comment: u64, actor: &Actor) {
        if self.presentation.pinned.as_ref().is_some_and(|p| p.id == comment) {
            self.presentation.pinned = None;
            // No console to tell if the log refuses it: `conn` 0 is nobody.
            self.unpinned(0, actor.clone(), comment);
        }
    }

    /// Moves `product` to `position` (0 is first) in the room's lineup.
    fn reorder(&mut self, conn: u64, actor: Actor, product: ProductId, position: u32) -> Result<(), ProtocolError> {
        let from = self.lineup.iter().position(|e| e.product == product).ok_or_else(|| ProtocolError {
            code: ErrorCode::NotInLineup,
            message: format!("商品 {product} 不在本场货盘中 / product {product} is not in this show's lineup"),
            field: Some("product"),
        })?;
        let last = self.lineup.len() - 1;
        let to = usize::try_from(position).unwrap_or(usize::MAX);
        if to > last {
            return Err(ProtocolError::field(
                "position",
                format!("位置须在 0 到 {last} 之间（0 为第一位） / position must be 0 to {last} (0 is first)"),
            ));
        }
        let entry = self.lineup.remove(from);
        self.lineup.insert(to, entry);
        let order: Vec<ProductId> = self.lineup.iter().map(|e| e.product).collect();
        let frame = PresentationFrame::LineupReordered { products: order.clone() }.to_json();
        let payload = json!({ "product": product, "from": from, "to": to, "order": order });

        let previous = self.presentation.last_reorder.take();
        let (finished, next) = oneshot::channel();
        self.presentation.last_reorder = Some(next);
        let (room, data, store) = (self.id, self.deps.data.clone(), self.deps.store.clone());
        let task = tokio::spawn(async move {
            if let Some(previous) = previous {
                // Dropped (its task failed) is as good as done.
                let _ = previous.await;
            }
            let saved = data.reorder_lineup(room, &order).await;
            let _ = finished.send(());
            saved.map_err(|e| StoreError::Conflict(e.to_string()))?;
            let kind = EventKind::parse("lineup.reordered").map_err(|e| StoreError::Corrupt(e.to_string()))?;
            store.append(NewEvent { room, kind, actor, amount: None, payload }).await
        });
        let future: AppendFuture = Box::pin(async move {
            task.await.unwrap_or_else(|e| Err(StoreError::Corrupt(format!("reorder task failed: {e}"))))
        });
        self.inflight.push_back(InFlight { future, done: None, then: Then::Presented { conn, frame } });
        Ok(())
    }

    /// A presentation change was not persisted or not logged: viewers are
    /// not told, the console that asked is.
    pub(super) fn presentation_refused(&mut self, conn: u64, error: &StoreError) {
        tracing::error!(room = %self.id, %error, "presentation change not saved; its frame is not sent");
        let detail = match error {
            StoreError::Conflict(why) => why.clone(),
            other => other.to_string(),
        };
        let frame = ProtocolError::new(
            ErrorCode::Unavailable,
            format!("未能保存，请稍后再试 / could not be saved, try again shortly ({detail})"),
        );
        self.tell(conn, frame.to_frame());
    }

    /// A viewer connection entered: it is welcomed on the next tick.
    pub(super) fn arrived(&mut self, conn: u64) {
        if let Some(c) = self.conns.get(&conn)
            && c.identity.kind == ConnectionKind::Viewer
        {
            self.presentation.arrivals.entered(conn, &c.identity.name);
        }
    }

    /// On the tick: one welcome line for everyone who entered since the
    /// last, with the names they have now (a `hello` may have named them).
    pub(super) fn welcome_tick(&mut self) {
        let Some((first, count)) = self.presentation.arrivals.take() else { return };
        let names: Vec<String> = first
            .into_iter()
            .map(|(conn, name)| self.conns.get(&conn).map_or(name, |c| c.identity.name.clone()))
            .collect();
        let text = rules::welcome_line(&self.presentation.welcome, &names, count);
        self.out.push(PresentationFrame::Welcome { text, names, count }.to_json());
    }
}
