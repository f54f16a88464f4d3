"""Facts the bundled deck once got wrong (issue #13), checked on the deck as `load_content` loads it.

Expected values come from torch itself or a hand calculation written here, never from the deck.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
from django.core.management import call_command

from dlquiz.decks.models import Card
from dlquiz.exercises.services import variant_draw

pytestmark = pytest.mark.django_db

# Cards that say the notes (or a common source) are wrong or convention-dependent: one tag drills them.
NOTE_FIXES = {
    "act.dead-relu-fixes", "act.elu-gradient", "act.leaky-relu", "act.sigmoid-symmetry",
    "act.softmax-overflow", "act.tanh-vs-sigmoid", "arch.lenet", "arch.vgg-training", "attn.se-block-steps",
    "attn.se-variants", "bn.benefits", "bn.momentum-convention", "conv.equivariance", "conv.fc-cost",
    "conv.flops-terminology", "conv.output-size", "conv.param-memory", "conv.rf-formula",
    "conv.stacked-3x3", "fund.ffn-vs-rnn", "fund.finite-diff-note-fix", "fund.gradient-def",
    "fund.perceptron-vs-nn", "fund.vanish-init-cause", "fund.vanish-lstm", "init.he-formula",
    "init.xavier-formula", "init.xavier-goal", "init.zero-symmetry", "layout.5d", "loss.bce-formula",
    "loss.ce-imbalance", "loss.kl-formula", "loss.mae-formula", "loss.mse-conventions", "met.auc-def",
    "met.confusion-matrix", "opt.adam-components", "opt.sgd-formula", "pool.spp-bins", "reg.dropout-scaling",
    "reg.overfit-causes", "reg.underfit", "train.det-from-scratch", "train.iterations-per-epoch",
    "train.project-ego-from-static", "train.trt-engine-ext",
}  # fmt: skip
# Cards that mention the notes without correcting them.
MENTIONS_NOTES_ONLY = {"loss.smooth-l1-sigma"}


@pytest.fixture
def deck() -> dict[str, Card]:
    call_command("load_content", verbosity=0)
    return {c.uid: c for c in Card.objects.filter(deck__owner__isnull=True, retired=False)}


def test_every_card_that_corrects_the_notes_carries_note_fix_and_no_other(deck):
    tagged = {uid.removesuffix("~r") for uid, c in deck.items() if "note-fix" in c.tags}  # reverse: same tags
    assert tagged == NOTE_FIXES
    # a card that talks about the notes or "some sources" is a correction unless listed as a mention
    talks = {
        uid
        for uid, c in deck.items()
        if re.search(r"笔记|有些资料|有些说法|有的书", c.front + c.back) and not uid.endswith("~r")
    }
    assert sorted(talks - NOTE_FIXES - MENTIONS_NOTES_ONLY) == []
    assert not any("correction" in c.tags for c in deck.values())  # the old second tag is gone


def test_perceptron_learns_its_weights_and_its_limits_are_named(deck):
    text = deck["fund.perceptron-vs-nn"].back
    assert "Rosenblatt" in text and r"w\leftarrow w+\eta(y-\hat y)x" in text
    assert "阶跃" in text and "二值" in text and "线性可分" in text and "XOR" in text
    assert "需人工设定" not in text  # the old row said the perceptron's weights are set by hand
    # the rule really learns: AND is linearly separable and the perceptron rule finds it in a few epochs
    xs = [(0, 0), (0, 1), (1, 0), (1, 1)]
    w, b = [0.0, 0.0], 0.0
    for _ in range(20):
        for (x1, x2), y in zip(xs, [0, 0, 0, 1], strict=True):
            out = 1 if w[0] * x1 + w[1] * x2 + b > 0 else 0
            w = [w[0] + 0.5 * (y - out) * x1, w[1] + 0.5 * (y - out) * x2]
            b += 0.5 * (y - out)
    assert [1 if w[0] * a + w[1] * c + b > 0 else 0 for a, c in xs] == [0, 0, 0, 1]


def test_spp_window_and_stride_do_not_always_give_n_bins(deck):
    text = deck["pool.spp-bins"].back
    a, n = 6, 4
    win, stride = math.ceil(a / n), math.floor(a / n)
    out = torch.nn.MaxPool2d(win, stride=stride)(torch.zeros(1, 1, a, a)).shape[-1]
    assert out == 5  # SPP-Net's rule gives 5 x 5 here, not 4 x 4
    assert "a=6,n=4" in text and "**5**" in text and "AdaptiveMaxPool2d" in text
    assert torch.nn.AdaptiveMaxPool2d(n)(torch.zeros(1, 1, a, a)).shape[-1] == n
    assert "与 $a$ 无关" not in text  # the old claim that every level gives n x n


def test_xavier_goal_says_sigmoid_is_not_symmetric_about_the_origin(deck):
    text = deck["init.xavier-goal"].back
    x = torch.zeros((), dtype=torch.float64, requires_grad=True)
    y = torch.sigmoid(x)
    y.backward()
    assert (y.item(), x.grad.item()) == (0.5, 0.25)
    assert r"\sigma(0)=\tfrac12" in text and r"\tfrac14" in text and "tanh 满足" in text
    assert "sigmoid 和 tanh 的中段可以近似看作线性，所以适用" not in text


def test_dropout_card_states_the_scaling_rule_pytorch_uses(deck):
    text = deck["reg.dropout-what"].back
    assert r"\frac{1}{1-p}" in text and "不再缩放" in text
    p = 0.25
    drop = torch.nn.Dropout(p)
    x = torch.ones(10_000, dtype=torch.float64)
    kept = drop.train()(x)
    assert set(kept.unique().tolist()) == {0.0, 1 / (1 - p)}  # training: survivors times 1/(1-p)
    assert torch.equal(drop.eval()(x), x)  # test: nothing at all


def test_mse_is_one_idea_per_card(deck):
    formula, half, pytorch = deck["loss.mse-formula"], deck["loss.mse-conventions"], deck["loss.mse-pytorch"]
    for card in (half, pytorch):
        assert len(re.findall(r"[？?]", card.front)) == 1, card.uid  # one question each
    assert r"\frac1n\sum" in formula.back and "MSELoss" not in formula.back
    assert "约定" in half.back and "MSELoss" not in half.back
    assert "reduction='mean'" in pytorch.back and "《深度学习入门》" not in pytorch.back
    pred, target = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([0.0, 2.0, 1.0])
    assert torch.nn.MSELoss()(pred, target).item() == pytest.approx((1 + 0 + 9) / 3)  # mean, no 1/2


def test_pool_exercise_card_gives_the_output_size_formula(deck):
    back = deck["pool.ex-output-size"].back
    assert r"\lfloor (H+2p-k)/s\rfloor+1" in back and "ceil_mode" in back
    h, k, s, p = 13, 3, 2, 1
    got = torch.nn.MaxPool2d(k, stride=s, padding=p)(torch.zeros(1, 1, h, h)).shape[-1]
    assert got == (h + 2 * p - k) // s + 1 == 7


def test_dilated_conv_exercise_draws_only_dilated_convolutions(deck):
    card = deck["conv.ex-output-size-dilated"]
    assert card.params == {"dilation": [2, 3]}
    dilations = {variant_draw(card=card, seed=seed).params["dilation"] for seed in range(40)}
    assert dilations == {2, 3}
    plain = {
        variant_draw(card=deck["conv.ex-output-size"], seed=seed).params["dilation"] for seed in range(40)
    }
    assert 1 in plain  # the plain card keeps drawing ordinary convolutions


def test_yolo_confidence_card_asks_one_thing(deck):
    card = deck["det.ex-yolo-confidence"]
    assert "/" not in card.front and "TaskAligned" not in card.front and "置信度" in card.front
    for seed in range(5):  # the exercise asks YOLO's confidences only; TaskAligned is its own card
        v = variant_draw(card=card, seed=seed)
        assert [p.name for p in v.parts] == ["box_conf", "class_conf"]
        assert "TaskAligned" not in v.prompt
    tal = variant_draw(card=deck["det.ex-tal"], seed=0)
    assert [p.name for p in tal.parts] == ["align"] and "TaskAligned" in tal.prompt
