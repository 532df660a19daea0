"""The peer of `zhibo bench sim`: zhibo's viewer model (docs/sim.md) written
as a Mesa agent-based model, to compare the cost of one agent-step (one
viewer-second) in the usual Python ABM framework with zhibo's Rust model.

Same rules and default parameters as crates/sim/src/model.rs for what a
viewer does each second: the leave chance with its segment, source, device,
stay-time, interest-match, lottery, quiet-streamer and troll factors; one
draw for like / comment / follow / share; clicking the card with the talk's
heat; the order decision with value for money, the list-price anchor and
social proof. Arrivals use a fixed feed tier. Comments, questions and the
event log are not reproduced: this is a speed peer, not a second model.

Prints one JSON object: agent_steps, seconds (model steps only, timed with
perf_counter; the best of --repeat runs of the same seed, as zhibo's side
takes the best of its runs), agent_steps_per_s, arrivals, orders.
"""

import argparse
import json
import time

import mesa

P = dict(
    leave_base=1 / 120, early=2.5, early_secs=10, settled=0.6, settled_secs=300,
    source={"feed": 1.2, "follower": 0.5}, pc=0.7, matched=0.6, unmatched=1.25,
    lottery_joined=0.35, quiet_extra=0.5, quiet_full=600, troll_per_tox=0.25, cap=0.5,
    like=0.0015, comment=0.0012, follow=0.0003, share=0.00015,
    click_interested=0.01, click_other=0.0012, heat_floor=0.25, heat_keep=0.6,
    order_base=0.18, steepness=3.0, anchor=0.35, social_max=0.3, social_half=5.0,
)
SEGMENT = {"opening": 1.1, "product": 1.0, "lottery": 0.9, "closing": 1.3}
# (key, category, price fen, list price fen, appeal) as scenarios/tea-evening.toml
PRODUCTS = [
    ("rice", 0, 4990, 9900, 0.75), ("puer", 1, 16900, 29900, 0.7), ("pajamas", 2, 39900, 69900, 0.65),
    ("juicer", 3, 9900, 19900, 0.7), ("scarf", 4, 5900, 15900, 0.5),
]
INTERESTS = [0.35, 0.22, 0.18, 0.20, 0.18]
SENSITIVITY_BY_AGE = [0.62, 0.52, 0.45, 0.47, 0.55]
AGES = [0.16, 0.24, 0.32, 0.18, 0.10]


class Viewer(mesa.Agent):
    def __init__(self, model, source):
        super().__init__(model)
        r = model.random
        self.entered = model.second
        self.source = source
        age = r.choices(range(5), AGES)[0]
        self.sensitivity = min(1.0, max(0.0, SENSITIVITY_BY_AGE[age] + 0.5 * (r.random() - 0.5)))
        lean = 1.5 if source == "follower" else 1.0
        self.interests = {c for c, share in enumerate(INTERESTS) if r.random() < share * lean}
        self.pc = r.random() < 0.03
        self.follower = source == "follower"
        self.wtp = (0.6 + 0.8 * r.random()) * (1.3 - 0.6 * self.sensitivity)
        self.clicked = set()
        self.lottery = False
        static = P["source"][source]
        self.static = static * (P["pc"] if self.pc else 1.0)

    def step(self):
        m = self.model
        r = m.random
        m.agent_steps += 1
        stayed = m.second - self.entered
        h = m.global_leave * self.static
        if stayed < P["early_secs"]:
            h *= P["early"]
        elif stayed >= P["settled_secs"]:
            h *= P["settled"]
        interested = m.context_cat is not None and m.context_cat in self.interests
        if m.context_cat is not None:
            h *= P["matched"] if interested else P["unmatched"]
        if m.lottery_open and self.lottery:
            h *= P["lottery_joined"]
        if r.random() < min(h, P["cap"]):
            m.leaving.append(self)
            return
        lean = 1.5 if interested else 1.0
        u = r.random()
        like, comment = P["like"] * lean, P["comment"] * lean
        follow = 0.0 if self.follower else P["follow"] * lean
        if u < like:
            m.likes += r.randint(1, 8)
        elif u < like + comment:
            m.comments += 1
        elif u < like + comment + follow:
            self.follower = True
            m.follows += 1
        elif u < like + comment + follow + P["share"] * lean:
            m.shares += 1
        card = m.card
        if card is not None and card not in self.clicked:
            base = P["click_interested"] if PRODUCTS[card][1] in self.interests else P["click_other"]
            if r.random() < base * m.card_heat:
                self.clicked.add(card)
                self.decide(card)

    def decide(self, card):
        m = self.model
        _, _, price, list_price, appeal = PRODUCTS[card]
        value = list_price * appeal * self.wtp
        x = (value - price) / price + P["anchor"] * (list_price - price) / list_price
        kx = P["steepness"] * x
        chance = P["order_base"] * (1 + kx / (1 + abs(kx)))
        n = len(m.recent_orders)
        chance *= 1 + P["social_max"] * n / (n + P["social_half"])
        if m.random.random() < chance:
            m.orders += 1
            m.recent_orders.append(m.second)


class Show(mesa.Model):
    def __init__(self, minutes, entries_per_min, seed):
        super().__init__(seed=seed)
        self.duration = minutes * 60
        self.entries_per_sec = entries_per_min / 60
        self.second = 0
        self.agent_steps = self.arrivals = 0
        self.likes = self.comments = self.follows = self.shares = self.orders = 0
        self.recent_orders = []
        self.leaving = []
        self.card = None
        self.heat = [0.0] * len(PRODUCTS)
        self.lottery_open = False
        self.followers_left = 180
        # 10 % opening, then a product segment per product, lottery, closing
        seg = self.duration // 8
        self.segments = [(0, seg, "opening", None)] + [
            (seg * (i + 1), seg * (i + 2), "product", i) for i in range(5)
        ] + [(seg * 6, seg * 7, "lottery", 4), (seg * 7, self.duration, "closing", None)]

    def step(self):
        t = self.second
        r = self.random
        seg = next(s for s in self.segments if s[0] <= t < s[1])
        talk = seg[3] if seg[2] == "product" else None
        if seg[3] is not None and self.card != seg[3] and t == seg[0]:
            self.card = seg[3]
        self.lottery_open = seg[2] == "lottery"
        for i in range(len(PRODUCTS)):
            if talk == i:
                self.heat[i] = 1.0
            elif t % 60 == 0:
                self.heat[i] *= P["heat_keep"]
        self.card_heat = max(self.heat[self.card], P["heat_floor"]) if self.card is not None else 0.0
        ctx = talk if talk is not None else self.card
        self.context_cat = PRODUCTS[ctx][1] if ctx is not None else None
        while self.recent_orders and self.recent_orders[0] < t - 60:
            self.recent_orders.pop(0)
        quiet = min(t % 300, P["quiet_full"]) / P["quiet_full"]
        self.global_leave = P["leave_base"] * SEGMENT[seg[2]] * (1 + P["quiet_extra"] * quiet)
        mean = self.entries_per_sec
        n = int(mean) + (1 if r.random() < mean - int(mean) else 0)
        for _ in range(n):
            v = Viewer(self, "feed")
            if self.lottery_open and r.random() < 0.3:
                v.lottery = True
        if t < 600 and self.followers_left > 0:
            k = min(self.followers_left, int(self.followers_left / (600 - t) + r.random()))
            self.followers_left -= k
            for _ in range(k):
                Viewer(self, "follower")
        self.arrivals += n
        self.agents.do("step")
        for v in self.leaving:
            v.remove()
        self.leaving.clear()
        self.second += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=int, default=30)
    ap.add_argument("--entries-per-min", type=float, default=200.0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    seconds = float("inf")
    for _ in range(max(1, a.repeat)):
        show = Show(a.minutes, a.entries_per_min, a.seed)
        started = time.perf_counter()
        while show.second < show.duration:
            show.step()
        seconds = min(seconds, time.perf_counter() - started)
    print(json.dumps({
        "peer": "mesa", "mesa_version": mesa.__version__, "minutes": a.minutes, "repeat": a.repeat,
        "arrivals": show.arrivals, "agent_steps": show.agent_steps, "orders": show.orders,
        "seconds": round(seconds, 3), "agent_steps_per_s": round(show.agent_steps / seconds),
    }))


if __name__ == "__main__":
    main()
