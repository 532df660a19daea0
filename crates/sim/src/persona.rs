//! Who a simulated viewer is: drawn once on arrival from the scenario's
//! audience mix, and fixed for the viewer's stay.

use crate::action::Source;
use crate::rng::Rng;
use crate::scenario::Scenario;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Persona {
    /// Index into [`crate::scenario::AGE_BANDS`].
    pub age_band: u8,
    pub female: bool,
    /// 0 (indifferent to price) to 1 (counts every fen).
    pub price_sensitivity: f64,
    /// Bit `c` set: interested in category `c` of the scenario.
    pub interests: u32,
    pub follower: bool,
    /// Index into [`crate::scenario::DEVICES`].
    pub device: u8,
    /// Came to troll.
    pub troll: bool,
}

/// Mean price sensitivity by age band: a modelling choice (docs/sim.md):
/// the youngest and the oldest bands count prices most closely.
const SENSITIVITY_BY_AGE: [f64; 5] = [0.62, 0.52, 0.45, 0.47, 0.55];

impl Persona {
    pub fn draw(rng: &mut Rng, scenario: &Scenario, source: Source, troll: bool, paid_categories: &[usize]) -> Persona {
        let a = &scenario.audience;
        let age_band = rng.weighted(&a.age_bands) as u8;
        let female = rng.chance(a.female_share);
        let noise = rng.unit() - 0.5;
        let price_sensitivity = (SENSITIVITY_BY_AGE[age_band as usize] + 0.5 * noise).clamp(0.0, 1.0);
        let follower = source == Source::Follower;
        // Followers came for this shop: their interests lean to its lineup.
        let lean = if follower { 1.5 } else { 1.0 };
        let mut interests = 0u32;
        for (c, share) in a.interests.iter().enumerate() {
            if rng.chance(share * lean) {
                interests |= 1 << c;
            }
        }
        if source == Source::Paid
            && !paid_categories.is_empty()
            && rng.chance(scenario.paid.as_ref().map_or(0.0, |p| p.targeting))
        {
            interests |= 1 << paid_categories[rng.below(paid_categories.len() as u64) as usize];
        }
        let device = rng.weighted(&a.devices) as u8;
        Persona { age_band, female, price_sensitivity, interests, follower, device, troll }
    }

    pub fn likes(&self, category: usize) -> bool {
        self.interests & (1 << category) != 0
    }
}
