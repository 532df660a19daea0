//! 支付: the payment provider behind a trait, and the one provider zhibo
//! ships, [`SandboxPayment`] (沙箱支付), which moves no money.
//!
//! A provider is asked to charge an order's total and answers with its
//! reference and whether the charge went through; the store records the
//! attempt and, when it succeeded, pays the order in the same transaction.
//! Real providers (WeChat Pay, Alipay) are future implementations of
//! [`PaymentProvider`]; nothing else changes when one arrives.

use async_trait::async_trait;
use zhibo_domain::Fen;
use zhibo_store::orders::OrderRecord;

/// What the buyer sends with "pay": for the sandbox, a test card number or
/// a flag that makes the charge fail on purpose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayRequest {
    pub card: Option<String>,
    pub simulate_failure: bool,
}

/// A provider's answer to one charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub reference: String,
    pub amount: Fen,
    pub succeeded: bool,
    /// Why it was declined, in both languages; empty when it went through.
    pub message: String,
}

#[async_trait]
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// Stored with each payment, e.g. `sandbox`.
    fn name(&self) -> &'static str;
    /// What the buyer sees on the pay button: zh-CN and English.
    fn label(&self) -> (&'static str, &'static str);
    /// Whether it moves real money (the UI says so when it does not).
    fn is_sandbox(&self) -> bool;
    /// Charges the order's total.
    async fn charge(&self, order: &OrderRecord, request: &PayRequest) -> Charge;
}

/// 沙箱支付: always succeeds unless told to fail, moves no money. The
/// reference is derived from the order id, so a test knows it in advance.
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxPayment;

impl SandboxPayment {
    /// The test card that is always declined (like the card networks' own
    /// test numbers); any other card, or none, is accepted.
    pub const DECLINED_CARD: &'static str = "4000000000000002";

    pub fn reference(order: zhibo_domain::OrderId) -> String {
        format!("SBX-{:010}", order.0)
    }
}

#[async_trait]
impl PaymentProvider for SandboxPayment {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn label(&self) -> (&'static str, &'static str) {
        ("沙箱支付（测试，不扣款）", "Sandbox payment (test, no money moves)")
    }

    fn is_sandbox(&self) -> bool {
        true
    }

    async fn charge(&self, order: &OrderRecord, request: &PayRequest) -> Charge {
        let card = request.card.as_deref().map(|c| c.chars().filter(char::is_ascii_digit).collect::<String>());
        let declined = request.simulate_failure || card.as_deref() == Some(Self::DECLINED_CARD);
        Charge {
            reference: Self::reference(order.id),
            amount: order.total,
            succeeded: !declined,
            message: if declined {
                "沙箱：测试卡被拒绝 / sandbox: the test card was declined".into()
            } else {
                String::new()
            },
        }
    }
}

/// The provider this server uses. One for now; a configured real provider
/// will be chosen here.
pub fn provider() -> &'static dyn PaymentProvider {
    static SANDBOX: SandboxPayment = SandboxPayment;
    &SANDBOX
}
