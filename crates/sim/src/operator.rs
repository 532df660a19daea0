//! The operator's side in a headless show: who pushes cards, answers
//! questions and mutes trolls. [`Operator`] is what the runner asks each
//! second; [`ScriptedOperator`] plays a scenario's `[[actions]]` and its
//! question and troll policies. A person at a live console replaces it in
//! live mode; tests write their own to compare ways of running a show.

use std::collections::BTreeMap;

use crate::action::{Happening, Intent, OperatorAction, What};
use crate::rng::Rng;
use crate::scenario::{Policy, PolicyChange, Scenario, ScriptAction, Timed};

/// Decides the operator's actions for a second, having seen what viewers
/// did in the second before.
pub trait Operator {
    fn act(&mut self, second: u32, seen: &[Happening], actions: &mut Vec<OperatorAction>);
}

/// Plays the scenario's script and policies. Its own generator (seeded
/// apart from the audience's) decides which questions get answered and how
/// fast, so the audience's draws do not shift when the policy changes.
#[derive(Debug, Clone)]
pub struct ScriptedOperator {
    script: Vec<Timed<ScriptAction>>,
    next: usize,
    policy: Policy,
    rng: Rng,
    answers: BTreeMap<u32, Vec<u64>>,
    mutes: BTreeMap<u32, Vec<u64>>,
    /// Trolls already scheduled for muting.
    spotted: std::collections::BTreeSet<u64>,
}

impl ScriptedOperator {
    pub fn new(scenario: &Scenario, seed: u64) -> Self {
        ScriptedOperator {
            script: scenario.script.clone(),
            next: 0,
            policy: scenario.policy,
            rng: Rng::new(seed ^ 0x6F70_6572_6174_6F72),
            answers: BTreeMap::new(),
            mutes: BTreeMap::new(),
            spotted: std::collections::BTreeSet::new(),
        }
    }

    /// Replaces the script (tests compare two ways of running one show).
    pub fn with_script(mut self, mut script: Vec<Timed<ScriptAction>>) -> Self {
        script.sort_by_key(|s| s.at_s);
        self.script = script;
        self
    }

    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
}

impl Operator for ScriptedOperator {
    fn act(&mut self, second: u32, seen: &[Happening], actions: &mut Vec<OperatorAction>) {
        for h in seen {
            let What::Comment { id, intent, muted: false, .. } = h.what else { continue };
            if intent.is_question() && self.rng.chance(self.policy.answer_share) {
                let at = second + self.rng.between(0, self.policy.answer_within_s.saturating_sub(1));
                self.answers.entry(at).or_default().push(id);
            } else if intent == Intent::Troll
                && let Some(after) = self.policy.mute_trolls_after_s
                && self.spotted.insert(h.viewer)
            {
                self.mutes.entry(second + after).or_default().push(h.viewer);
            }
        }
        while let Some(s) = self.script.get(self.next).filter(|s| s.at_s <= second) {
            match &s.what {
                ScriptAction::Room(a) => actions.push(a.clone()),
                ScriptAction::Policy(change) => match *change {
                    PolicyChange::AnswerQuestions { share, within_s } => {
                        self.policy.answer_share = share;
                        self.policy.answer_within_s = within_s;
                    }
                    PolicyChange::IgnoreQuestions => {
                        self.policy.answer_share = 0.0;
                        self.answers.clear();
                    }
                    PolicyChange::MuteTrolls { after_s } => self.policy.mute_trolls_after_s = Some(after_s),
                    PolicyChange::IgnoreTrolls => {
                        self.policy.mute_trolls_after_s = None;
                        self.mutes.clear();
                    }
                },
            }
            self.next += 1;
        }
        if let Some(due) = self.answers.remove(&second) {
            actions.extend(due.into_iter().map(|comment| OperatorAction::Answer { comment }));
        }
        if let Some(due) = self.mutes.remove(&second) {
            actions.extend(due.into_iter().map(|viewer| OperatorAction::Mute { viewer }));
        }
    }
}
