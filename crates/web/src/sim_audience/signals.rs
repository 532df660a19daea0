//! What the simulated audience reads from the room: the frames its observer
//! connection receives (docs/protocol.md), reduced to the few facts the
//! viewer model reacts to. Pure parsing, no state: a frame that is not
//! understood (or not of interest) gives no signal, never an error, so a
//! new frame type in the protocol cannot stop the audience.

use serde_json::Value;

/// A product of the room's lineup, as the snapshot lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomProduct {
    pub product: i64,
    pub title: String,
    pub list_price: i64,
    pub live_price: i64,
    pub stock: i64,
}

/// One fact of the room the audience may react to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// The observer's snapshot: the lineup and what is up now.
    Snapshot {
        products: Vec<RoomProduct>,
        card: Option<i64>,
    },
    CardPushed {
        product: i64,
    },
    CardUnpushed,
    PriceChanged {
        product: i64,
        live_price: i64,
    },
    /// A comment everyone sees (`seq` is its id in the room's log).
    Comment {
        seq: u64,
        viewer: String,
        text: String,
    },
    CommentHidden {
        seq: u64,
    },
    LotteryOpened {
        keyword: Option<String>,
        by_follow: bool,
        ends_at_ms: i64,
    },
    RedPacketSent {
        id: u64,
    },
    PollOpened {
        id: u64,
        options: u32,
    },
    /// A flash sale's card; `running` once its countdown is over.
    FlashSale {
        product: i64,
        price_fen: i64,
        quantity: u32,
        running: bool,
        ends_at_ms: Option<i64>,
        now_ms: i64,
    },
    /// A console answered a question (console frames, or the reply everyone sees).
    QuestionAnswered {
        seq: u64,
    },
    /// A console muted or banned a viewer (console frames).
    Silenced {
        viewer: String,
    },
    /// The video stream's state: "live", "down" or "off".
    Stream {
        state: String,
    },
}

/// Appends the signals one message from the room carries (a batch, or a
/// standalone frame such as the snapshot or a console's moderation frame).
pub fn read(bytes: &[u8], out: &mut Vec<Signal>) {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else { return };
    if value["type"] == "batch" {
        for frame in value["frames"].as_array().into_iter().flatten() {
            frame_signal(frame, out);
        }
    } else {
        frame_signal(&value, out);
    }
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn frame_signal(f: &Value, out: &mut Vec<Signal>) {
    let signal = match f["type"].as_str().unwrap_or_default() {
        "snapshot" => {
            let products = f["products"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| {
                    Some(RoomProduct {
                        product: int(&p["product"])?,
                        title: text(&p["title"]).unwrap_or_default(),
                        list_price: int(&p["list_price"]).unwrap_or(0),
                        live_price: int(&p["live_price"])?,
                        stock: int(&p["stock"]).unwrap_or(0),
                    })
                })
                .collect();
            out.push(Signal::Snapshot { products, card: int(&f["card"]["product"]) });
            // What was already open when the observer joined.
            if f["lottery"].is_object() {
                frame_signal(&f["lottery"], out);
            }
            if f["poll"].is_object() {
                frame_signal(&f["poll"], out);
            }
            if f["flash_sale"].is_object() {
                let mut sale = f["flash_sale"].clone();
                sale["type"] = "flash_sale".into();
                frame_signal(&sale, out);
            }
            return;
        }
        "card_pushed" => int(&f["product"]).map(|product| Signal::CardPushed { product }),
        "card_unpushed" => Some(Signal::CardUnpushed),
        "price_changed" => int(&f["product"])
            .zip(int(&f["live_price"]))
            .map(|(product, live_price)| Signal::PriceChanged { product, live_price }),
        "comment" => f["id"].as_u64().map(|seq| Signal::Comment {
            seq,
            viewer: text(&f["viewer"]).unwrap_or_default(),
            text: text(&f["text"]).unwrap_or_default(),
        }),
        "comment_hidden" => f["id"].as_u64().map(|seq| Signal::CommentHidden { seq }),
        "lottery_opened" => int(&f["ends_at_ms"]).map(|ends_at_ms| Signal::LotteryOpened {
            keyword: text(&f["keyword"]),
            by_follow: f["join"] == "follow",
            ends_at_ms,
        }),
        "red_packet_sent" => f["id"].as_u64().map(|id| Signal::RedPacketSent { id }),
        "poll_opened" => f["id"]
            .as_u64()
            .map(|id| Signal::PollOpened { id, options: f["options"].as_array().map_or(0, |o| o.len() as u32) }),
        "flash_sale" => int(&f["product"]).zip(int(&f["price_fen"])).map(|(product, price_fen)| Signal::FlashSale {
            product,
            price_fen,
            quantity: f["quantity"].as_u64().unwrap_or(0) as u32,
            running: f["state"] == "running",
            ends_at_ms: int(&f["ends_at_ms"]),
            now_ms: int(&f["now_ms"]).unwrap_or(0),
        }),
        "question_answered" | "reply" => f["comment"].as_u64().map(|seq| Signal::QuestionAnswered { seq }),
        "viewer_muted" | "viewer_banned" => text(&f["viewer"]).map(|viewer| Signal::Silenced { viewer }),
        "stream_state" => text(&f["state"]).map(|state| Signal::Stream { state }),
        _ => None,
    };
    out.extend(signal);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_gives_its_frames_signals_in_order_and_ignores_the_rest() {
        let batch = br#"{"v":1,"type":"batch","frames":[
            {"type":"card_pushed","product":7,"title":"t","price":1,"list_price":2,"live_price":1,"stock":3},
            {"type":"viewer_count","online":3},
            {"type":"comment","id":41,"viewer":"sim:5","name":"x","text":"hi"},
            {"type":"price_changed","product":7,"live_price":990},
            {"type":"lottery_opened","id":1,"prize":"p","join":"follow","keyword":null,"winners":1,"ends_at_ms":9,"entrants":0}
        ]}"#;
        let mut out = Vec::new();
        read(batch, &mut out);
        assert_eq!(
            out,
            vec![
                Signal::CardPushed { product: 7 },
                Signal::Comment { seq: 41, viewer: "sim:5".into(), text: "hi".into() },
                Signal::PriceChanged { product: 7, live_price: 990 },
                Signal::LotteryOpened { keyword: None, by_follow: true, ends_at_ms: 9 },
            ]
        );
        out.clear();
        read(b"not json", &mut out);
        read(br#"{"v":1,"type":"question_answered","comment":12,"reply":null}"#, &mut out);
        read(br#"{"v":1,"type":"viewer_muted","viewer":"sim:3","minutes":5}"#, &mut out);
        assert_eq!(out, vec![Signal::QuestionAnswered { seq: 12 }, Signal::Silenced { viewer: "sim:3".into() }]);
    }
}
