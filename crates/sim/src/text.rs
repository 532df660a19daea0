//! What simulated viewers write: short Chinese comments by intent, of the
//! kind live rooms see all day. Picked at random per comment; the intent
//! travels with the text so operators' tools and tests need not guess.

use crate::action::Intent;
use crate::rng::Rng;

pub fn templates(intent: Intent) -> &'static [&'static str] {
    match intent {
        Intent::AskPrice => {
            &["多少钱？", "这个现在什么价", "到手价多少", "有优惠券吗", "今天有没有活动价", "比平时便宜多少"]
        }
        Intent::AskSize => &["160穿什么码", "尺码偏大还是偏小", "有XL吗", "120斤穿L可以吗", "能看下尺码表吗"],
        Intent::AskShipping => &["什么时候发货", "包邮吗", "发什么快递", "新疆能发吗", "几天能到"],
        Intent::AskMaterial => &["什么材质的", "是真的吗", "保质期多久", "产地哪里", "能再展示下细节吗"],
        Intent::Praise => {
            &["主播讲得真清楚", "好物！", "支持支持", "已拍，期待", "东西看着不错", "来了来了", "主播辛苦了"]
        }
        Intent::NoLink => &["链接呢？", "怎么还不上链接", "在哪买啊", "小黄车里没有啊"],
        Intent::TooExpensive => &["太贵了", "别家更便宜", "这价格不值", "能不能再便宜点"],
        Intent::Ignored => &["问了半天没人回", "主播看看评论啊", "不理人啊", "问题没人回答"],
        Intent::Lag => &["卡了", "黑屏了？", "怎么没声音了", "画面卡住了"],
        Intent::LinkBroken => &["链接点不开", "打不开啊", "链接是坏的", "怎么下不了单"],
        Intent::SoldOut => &["没货了？", "怎么显示售罄", "什么时候补货", "抢不到"],
        Intent::Troll => &["假货吧", "托儿真多", "又来割韭菜", "刷单的吧", "别买，都是坑", "垃圾直播间"],
    }
}

pub fn pick(rng: &mut Rng, intent: Intent) -> &'static str {
    let t = templates(intent);
    t[rng.below(t.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_intent_has_chinese_text() {
        for intent in [
            Intent::AskPrice,
            Intent::AskSize,
            Intent::AskShipping,
            Intent::AskMaterial,
            Intent::Praise,
            Intent::NoLink,
            Intent::TooExpensive,
            Intent::Ignored,
            Intent::Lag,
            Intent::LinkBroken,
            Intent::SoldOut,
            Intent::Troll,
        ] {
            let t = templates(intent);
            assert!(!t.is_empty());
            assert!(t.iter().all(|s| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))), "{intent:?}");
        }
    }
}
