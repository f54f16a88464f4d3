"""Losses: MSE, MAE, cross-entropy, BCE, KL divergence, Smooth L1, focal loss, label smoothing."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from engine.core import Family, Mistake, Param, Part, Variant, fmt, register
from engine.families._support import (
    clean_mistakes,
    draw_grid,
    draw_int,
    simplex_units,
    simplex_units_cols,
    tex_vec,
    tnum,
)

__all__ = [
    "BCELoss",
    "CrossEntropy",
    "FocalLoss",
    "KLDivergence",
    "LabelSmoothing",
    "MAELoss",
    "MSELoss",
    "SmoothL1",
]

F64 = torch.float64
LN2, LN10 = math.log(2), math.log(10)


def _t(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


def _pairs(seed: int, n: int, salt: int, lo: int = -20, hi: int = 30) -> tuple[list[float], list[float]]:
    """Predictions and targets: ``n`` values each on a 0.1 grid in [lo/10, hi/10]."""
    pred = [draw_grid(seed, j, salt, lo, hi, 10) for j in range(n)]
    target = [draw_grid(seed, j, salt + 1, lo, hi, 10) for j in range(n)]
    return pred, target


def _pairs_cols(
    c: dict[str, torch.Tensor], nmax: int, salt: int, lo: int = -20, hi: int = 30
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Column form of :func:`_pairs`: ``(pred, target, mask)``, each ``(B, nmax)``."""
    seed = c["data_seed"].to(torch.int64)
    j = torch.arange(nmax, device=seed.device)[None, :]
    pred = draw_grid(seed[:, None], j, salt, lo, hi, 10)
    target = draw_grid(seed[:, None], j, salt + 1, lo, hi, 10)
    return pred, target, (j < c["n"][:, None]).to(F64)


def _variant(
    fam: Family,
    p: dict[str, Any],
    prompt: str,
    parts: tuple[Part, ...],
    solution: str,
    mistakes: list[Mistake],
) -> Variant:
    return Variant(fam.id, fam.version, None, p, prompt, parts, solution, clean_mistakes(parts, mistakes))


# -- mse_loss ----------------------------------------------------------------------------------------


@register
class MSELoss(Family):
    id = "mse_loss"
    title = "MSE：均值与 ½·求和"
    topics = ("002-0125", "003-0087")
    schema = {"n": Param("int", 2, 5), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        pred, target = map(_t, _pairs(p["data_seed"], p["n"], 10))
        return {
            "mean": F.mse_loss(pred, target).item(),
            "half_sum": F.mse_loss(pred, target, reduction="sum").item() / 2,
        }

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        pred, target, mask = _pairs_cols(c, 5, 10)
        ss = ((pred - target) ** 2 * mask).sum(1)
        return {"mean": ss / c["n"], "half_sum": ss / 2}

    def build(self, p: dict[str, Any]) -> Variant:
        n = p["n"]
        pred, target = _pairs(p["data_seed"], n, 10)
        r = self.solve(p)
        d = [a - b for a, b in zip(pred, target, strict=False)]
        sq = [x * x for x in d]
        prompt = (
            f"预测值 $\\hat y={tex_vec(pred)}$，目标值 $y={tex_vec(target)}$。\n\n"
            "求：(1) `F.mse_loss(y_hat, y)`（默认 `reduction='mean'`）；(2) 另一种常见写法 "
            "$\\frac12\\sum_i(\\hat y_i-y_i)^2$。"
        )
        solution = (
            f"差值 $\\hat y-y={tex_vec(d)}$，平方 ${tex_vec(sq)}$，平方和 $S={tnum(sum(sq))}$。\n\n"
            f"$$\\text{{MSE}}=\\frac{{S}}{{n}}=\\frac{{{tnum(sum(sq))}}}{{{n}}}={tnum(r['mean'])},\\qquad"
            f"\\frac12 S={tnum(r['half_sum'])}$$"
        )
        mistakes = [
            Mistake(
                "mse.half-sum-vs-mean",
                "把均值形式与 ½·求和形式弄反了",
                {"mean": r["half_sum"], "half_sum": r["mean"]},
            ),
            Mistake("mse.forgot-half", "½·求和漏掉了 ½", {"half_sum": sum(sq)}),
            Mistake("mse.mae-confused", "没有平方（算成了 MAE）", {"mean": sum(abs(x) for x in d) / n}),
        ]
        parts = (
            Part("mean", "`F.mse_loss`（mean）", "real", r["mean"], atol=1e-6),
            Part("half_sum", "$\\frac12\\sum(\\hat y-y)^2$", "real", r["half_sum"], atol=1e-6),
        )
        return _variant(self, p, prompt, parts, solution, mistakes)


# -- mae_loss ----------------------------------------------------------------------------------------


@register
class MAELoss(Family):
    id = "mae_loss"
    title = "L1 / MAE 损失"
    topics = ("003-0084",)
    schema = {"n": Param("int", 2, 5), "data_seed": Param("int", 0, 10**6)}

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        pred, target = map(_t, _pairs(p["data_seed"], p["n"], 12))
        return {"mae": F.l1_loss(pred, target).item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        pred, target, mask = _pairs_cols(c, 5, 12)
        return {"mae": ((pred - target).abs() * mask).sum(1) / c["n"]}

    def build(self, p: dict[str, Any]) -> Variant:
        n = p["n"]
        pred, target = _pairs(p["data_seed"], n, 12)
        mae = self.solve(p)["mae"]
        d = [a - b for a, b in zip(pred, target, strict=False)]
        prompt = (
            f"预测值 $\\hat y={tex_vec(pred)}$，目标值 $y={tex_vec(target)}$。"
            "求 `F.l1_loss(y_hat, y)`（默认 `reduction='mean'`）。"
        )
        solution = (
            f"$|\\hat y-y|={tex_vec([abs(x) for x in d])}$\n\n"
            f"$$\\text{{MAE}}=\\frac1n\\sum_i|\\hat y_i-y_i|=\\frac{{{tnum(sum(abs(x) for x in d))}}}{{{n}}}={tnum(mae)}$$"
        )
        mistakes = [
            Mistake("mae.forgot-abs", "忘了取绝对值，正负差值相互抵消", {"mae": sum(d) / n}),
            Mistake(
                "mae.sum-not-mean",
                "求和后没有除以 n（默认 reduction='mean'）",
                {"mae": sum(abs(x) for x in d)},
            ),
            Mistake("mae.squared", "取了平方（算成了 MSE）", {"mae": sum(x * x for x in d) / n}),
        ]
        parts = (Part("mae", "L1 损失", "real", mae, atol=1e-6),)
        return _variant(self, p, prompt, parts, solution, mistakes)


# -- cross_entropy -----------------------------------------------------------------------------------

_KMAX = 5


def _ce_logits(seed: int, k: int) -> list[float]:
    return [draw_grid(seed, j, 20, -30, 40, 10) for j in range(k)]


def _ce_probs(seed: int, k: int) -> list[float] | None:
    units = simplex_units(seed, 21, k)
    return None if units is None else [u / 20 for u in units]


def _cuts_cols(
    seed: torch.Tensor, salt: int, k: torch.Tensor, kmax: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The cut points :func:`simplex_units` draws, per row: ``(sorted cuts, padded with 20; distinct)``,
    where ``distinct`` is False exactly where :func:`simplex_units` gives ``None``."""
    j = torch.arange(kmax - 1, device=seed.device)
    cuts = draw_int(seed[:, None], j[None, :], salt, 1, 19)
    valid = j[None, :] < (k[:, None] - 1)
    pair = valid[:, :, None] & valid[:, None, :] & (j[:, None] < j[None, :])
    clash = (pair & (cuts[:, :, None] == cuts[:, None, :])).flatten(1).any(1)
    padded = torch.where(valid, cuts, torch.full_like(cuts, 20)).sort(dim=1).values
    return padded, ~clash


@register
class CrossEntropy(Family):
    id = "cross_entropy"
    title = "交叉熵（logits 或概率）"
    topics = ("002-0132", "003-0097")
    schema = {
        "given": Param("choice", choices=("logits", "probs")),
        "K": Param("int", 3, _KMAX),
        "target": Param("int", 0, _KMAX - 1),
        "data_seed": Param("int", 0, 10**6),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        if p["target"] >= p["K"]:
            return "target must be a class index below K"
        if p["given"] == "probs" and _ce_probs(p["data_seed"], p["K"]) is None:
            return "the probability draw has coinciding cut points"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        k = c["K"].to(torch.int64)
        _, distinct = _cuts_cols(c["data_seed"].to(torch.int64), 21, k, _KMAX)
        return (c["target"] < c["K"]) & ((c["given"] != 1) | distinct)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        t = torch.tensor([p["target"]])
        if p["given"] == "logits":
            z = _t(_ce_logits(p["data_seed"], p["K"]))
            return {"p": F.softmax(z, dim=0)[p["target"]].item(), "loss": F.cross_entropy(z[None], t).item()}
        q = _t(_ce_probs(p["data_seed"], p["K"]) or [])
        return {"p": q[p["target"]].item(), "loss": F.nll_loss(torch.log(q)[None], t).item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        k = c["K"].to(torch.int64)
        t = c["target"].to(torch.int64)[:, None]
        j = torch.arange(_KMAX, device=seed.device)[None, :]
        z = draw_grid(seed[:, None], j, 20, -30, 40, 10)
        z = torch.where(j < k[:, None], z, torch.full_like(z, -math.inf))
        m = z.max(dim=1).values
        lse = m + torch.log(torch.exp(z - m[:, None]).sum(1))
        zt = z.gather(1, t)[:, 0]
        probs_units = simplex_units_cols(seed, 21, k, _KMAX)
        pt_given = probs_units.gather(1, t)[:, 0].to(F64) / 20
        from_probs = c["given"] == 1
        pt = torch.where(from_probs, pt_given, torch.exp(zt - lse))
        return {"p": pt, "loss": torch.where(from_probs, -torch.log(pt_given), lse - zt)}

    def build(self, p: dict[str, Any]) -> Variant:
        k, t = p["K"], p["target"]
        r = self.solve(p)
        pt, loss = r["p"], r["loss"]
        mistakes: list[Mistake] = []
        if p["given"] == "logits":
            z = _ce_logits(p["data_seed"], k)
            zmax = max(z)
            exps = [math.exp(v - zmax) for v in z]
            prompt = (
                f"一个 {k} 分类模型对某个样本输出 logits $z={tex_vec(z)}$（类别下标从 0 开始），真实类别为 {t}。\n\n"
                f"求：softmax 后真实类别的概率 $p_{{{t}}}$，以及 `F.cross_entropy(z, target)` 的值（自然对数）。"
            )
            solution = (
                f"$$p_{{{t}}}=\\frac{{e^{{z_{{{t}}}}}}}{{\\sum_j e^{{z_j}}}}"
                f"=\\frac{{e^{{{tnum(z[t] - zmax)}}}}}{{{'+'.join(f'e^{{{tnum(v - zmax)}}}' for v in z)}}}"
                f"=\\frac{{{tnum(exps[t])}}}{{{tnum(sum(exps))}}}={tnum(pt)}$$\n\n"
                f"（分子分母同乘 $e^{{-\\max z}}$，$\\max z={tnum(zmax)}$）\n\n"
                f"$$\\mathcal L=-\\ln p_{{{t}}}=-\\ln {tnum(pt)}={tnum(loss)}$$"
            )
            zt, s = z[t], sum(z)
            if zt > 0:
                mistakes.append(
                    Mistake(
                        "ce.no-softmax", "没有做 softmax，直接对原始 logit 取了 −log", {"loss": -math.log(zt)}
                    )
                )
            if s != 0 and zt / s > 0:
                mistakes.append(
                    Mistake(
                        "ce.forgot-exp",
                        "没有取指数，直接用 z/Σz 当作概率",
                        {"p": zt / s, "loss": -math.log(zt / s)},
                    )
                )
        else:
            q = _ce_probs(p["data_seed"], k) or []
            prompt = (
                f"一个 {k} 分类模型对某个样本输出的**概率**（已经过 softmax）为 $q={tex_vec(q)}$"
                f"（类别下标从 0 开始），真实类别为 {t}。\n\n"
                f"求：真实类别的概率 $p_{{{t}}}$，以及交叉熵损失（自然对数）。"
            )
            solution = (
                f"已经是概率，直接取真实类别：$p_{{{t}}}={tnum(pt)}$。\n\n"
                f"$$\\mathcal L=-\\ln p_{{{t}}}=-\\ln {tnum(pt)}={tnum(loss)}$$\n\n"
                "（对概率不能再用 `F.cross_entropy`，它内部还会做一次 log_softmax；"
                "应写 `F.nll_loss(q.log(), target)`。）"
            )
            qt = _t(q)
            mistakes.append(
                Mistake(
                    "ce.softmax-on-probs",
                    "把概率当 logits 又做了一次 softmax（F.cross_entropy(q)）",
                    {
                        "p": F.softmax(qt, 0)[t].item(),
                        "loss": F.cross_entropy(qt[None], torch.tensor([t])).item(),
                    },
                )
            )
        mistakes += [
            Mistake("ce.log2", "用了以 2 为底的对数（PyTorch 用自然对数）", {"loss": loss / LN2}),
            Mistake("ce.log10", "用了以 10 为底的对数（PyTorch 用自然对数）", {"loss": loss / LN10}),
        ]
        parts = (
            Part("p", f"真实类别的概率 $p_{{{t}}}$", "real", pt, atol=1e-6, ratio=True),
            Part("loss", "交叉熵损失", "real", loss, atol=1e-6),
        )
        return _variant(self, p, prompt, parts, solution, mistakes)


# -- bce_loss ----------------------------------------------------------------------------------------


def _bce_data(seed: int, n: int, given: str) -> tuple[list[float], list[int]]:
    if given == "probs":
        x = [draw_grid(seed, j, 30, 1, 19, 20) for j in range(n)]
    else:
        x = [draw_grid(seed, j, 31, -30, 30, 10) for j in range(n)]
    return x, [draw_int(seed, j, 32, 0, 1) for j in range(n)]


def _bce_plain(p: list[float], y: list[int]) -> float:
    return -sum(yi * math.log(pi) + (1 - yi) * math.log(1 - pi) for pi, yi in zip(p, y, strict=False)) / len(
        p
    )


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


@register
class BCELoss(Family):
    id = "bce_loss"
    title = "BCE：概率输入与 BCEWithLogits"
    topics = ("003-0097",)
    schema = {
        "given": Param("choice", choices=("probs", "logits")),
        "n": Param("int", 1, 4),
        "data_seed": Param("int", 0, 10**6),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        x, y = _bce_data(p["data_seed"], p["n"], p["given"])
        xt, yt = _t(x), _t([float(v) for v in y])
        if p["given"] == "probs":
            return {"loss": F.binary_cross_entropy(xt, yt).item()}
        return {"loss": F.binary_cross_entropy_with_logits(xt, yt).item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        j = torch.arange(4, device=seed.device)[None, :]
        mask = (j < c["n"][:, None]).to(F64)
        y = draw_int(seed[:, None], j, 32, 0, 1).to(F64)
        prob = draw_grid(seed[:, None], j, 30, 1, 19, 20)
        z = draw_grid(seed[:, None], j, 31, -30, 30, 10)
        from_probs = -(y * torch.log(prob) + (1 - y) * torch.log(1 - prob))
        # stable logits form: max(z, 0) - z*y + log(1 + e^{-|z|})
        from_logits = torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-z.abs()))
        per = torch.where((c["given"] == 0)[:, None], from_probs, from_logits)
        return {"loss": (per * mask).sum(1) / c["n"]}

    def build(self, p: dict[str, Any]) -> Variant:
        n, given = p["n"], p["given"]
        x, y = _bce_data(p["data_seed"], n, given)
        loss = self.solve(p)["loss"]
        yt = _t([float(v) for v in y])
        if given == "probs":
            prompt = (
                f"模型对 {n} 个样本输出的正类**概率**为 $p={tex_vec(x)}$，标签 $y={tex_vec(y)}$。"
                "求 `F.binary_cross_entropy(p, y)`（默认 `reduction='mean'`，自然对数）。"
            )
            probs = x
            solution = "直接用概率：\n\n"
        else:
            probs = [_sigmoid(v) for v in x]
            prompt = (
                f"模型对 {n} 个样本输出的 **logits** 为 $z={tex_vec(x)}$，标签 $y={tex_vec(y)}$。"
                "求 `F.binary_cross_entropy_with_logits(z, y)`（默认 `reduction='mean'`）。"
            )
            solution = (
                f"先过 sigmoid：$p=\\sigma(z)={tex_vec(probs)}$（BCEWithLogits 内部只做这一次 sigmoid）。\n\n"
            )
        terms = [-math.log(pi) if yi == 1 else -math.log(1 - pi) for pi, yi in zip(probs, y, strict=False)]
        solution += (
            "$$\\ell_i=-[y_i\\ln p_i+(1-y_i)\\ln(1-p_i)]$$\n\n"
            f"逐项：${tex_vec(terms)}$\n\n"
            f"$$\\mathcal L=\\frac1{{{n}}}\\left({'+'.join(tnum(v) for v in terms)}\\right)={tnum(loss)}$$"
        )
        mistakes: list[Mistake] = []
        if given == "probs":
            mistakes.append(
                Mistake(
                    "bce.sigmoid-on-probs",
                    "对概率又做了一次 sigmoid（用成了 BCEWithLogits）",
                    {"loss": F.binary_cross_entropy_with_logits(_t(x), yt).item()},
                )
            )
        else:
            mistakes.append(
                Mistake(
                    "bce.double-sigmoid",
                    "sigmoid 做了两次（先手动 sigmoid 再用 BCEWithLogits）",
                    {"loss": F.binary_cross_entropy_with_logits(_t(probs), yt).item()},
                )
            )
            if all(0 < v < 1 for v in x):
                mistakes.append(
                    Mistake("bce.logit-as-prob", "把 logit 直接当成了概率", {"loss": _bce_plain(x, y)})
                )
        if n > 1:
            mistakes.append(
                Mistake(
                    "bce.sum-not-mean", "求和后没有除以样本数（默认 reduction='mean'）", {"loss": loss * n}
                )
            )
        parts = (Part("loss", "BCE 损失", "real", loss, atol=1e-6),)
        return _variant(self, p, prompt, parts, solution, mistakes)


# -- kl_divergence -----------------------------------------------------------------------------------

_KL_CALLS = (
    "F.kl_div(Q.log(), P, reduction='sum')",
    "F.kl_div(P.log(), Q, reduction='sum')",
    "F.kl_div(Q, P, reduction='sum')",
    "F.kl_div(P, Q, reduction='sum')",
)


def _kl_dists(seed: int, k: int) -> tuple[list[float], list[float]] | None:
    a, b = simplex_units(seed, 40, k), simplex_units(seed, 41, k)
    if a is None or b is None or a == b:
        return None
    return [u / 20 for u in a], [u / 20 for u in b]


@register
class KLDivergence(Family):
    id = "kl_divergence"
    title = "KL 散度与 F.kl_div 的参数顺序"
    topics = ("003-0094",)
    schema = {
        "K": Param("int", 3, 4),
        "direction": Param("choice", choices=("PQ", "QP")),
        "data_seed": Param("int", 0, 10**6),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        if _kl_dists(p["data_seed"], p["K"]) is None:
            return "the distributions draw is degenerate (coinciding cuts or P == Q)"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        seed, k = c["data_seed"].to(torch.int64), c["K"].to(torch.int64)
        a, a_ok = _cuts_cols(seed, 40, k, 4)
        b, b_ok = _cuts_cols(seed, 41, k, 4)
        return a_ok & b_ok & (a != b).any(1)

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        pd, qd = _kl_dists(p["data_seed"], p["K"]) or ([], [])
        P, Q = _t(pd), _t(qd)
        if p["direction"] == "PQ":  # KL(P||Q): input is log Q, target is P
            return {"kl": F.kl_div(Q.log(), P, reduction="sum").item(), "call": _KL_CALLS[0]}
        return {"kl": F.kl_div(P.log(), Q, reduction="sum").item(), "call": _KL_CALLS[1]}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        k = c["K"].to(torch.int64)
        pu = simplex_units_cols(seed, 40, k, 4).to(F64)
        qu = simplex_units_cols(seed, 41, k, 4).to(F64)
        mask = pu > 0
        pu, qu = torch.where(mask, pu, 1.0) / 20, torch.where(mask, qu, 1.0) / 20  # padding adds 0 below
        pq = (mask * pu * torch.log(pu / qu)).sum(1)
        qp = (mask * qu * torch.log(qu / pu)).sum(1)
        qp_dir = c["direction"] == 1
        return {"kl": torch.where(qp_dir, qp, pq), "call": qp_dir.to(F64)}

    def build(self, p: dict[str, Any]) -> Variant:
        P, Q = _kl_dists(p["data_seed"], p["K"]) or ([], [])
        r = self.solve(p)
        pq = p["direction"] == "PQ"
        a, b = (P, Q) if pq else (Q, P)
        an, bn = ("P", "Q") if pq else ("Q", "P")
        terms = [f"{tnum(x)}\\ln\\frac{{{tnum(x)}}}{{{tnum(y)}}}" for x, y in zip(a, b, strict=False)]
        prompt = (
            f"两个离散分布 $P={tex_vec(P)}$，$Q={tex_vec(Q)}$。\n\n"
            f"(1) 求 $D_{{KL}}({an}\\,\\|\\,{bn})$（自然对数）；"
            f"(2) 用 PyTorch 计算它应当怎样调用 `F.kl_div`？"
        )
        solution = (
            f"$$D_{{KL}}({an}\\|{bn})=\\sum_i {an.lower()}_i\\ln\\frac{{{an.lower()}_i}}{{{bn.lower()}_i}}"
            f"={'+'.join(terms)}={tnum(r['kl'])}$$\n\n"
            "`F.kl_div(input, target)` 计算 $\\sum \\text{target}\\,(\\ln\\text{target}-\\text{input})$："
            "`input` 是**近似分布的对数**，`target` 是**参考分布**（概率）。所以 "
            f"$D_{{KL}}({an}\\|{bn})$ 写作 `{r['call']}`。"
        )
        reverse = sum(y * math.log(y / x) for x, y in zip(a, b, strict=False))
        no_log = sum(x * (math.log(x) - y) for x, y in zip(a, b, strict=False))
        swapped = _KL_CALLS[1] if pq else _KL_CALLS[0]
        no_log_call = _KL_CALLS[2] if pq else _KL_CALLS[3]
        mistakes = [
            Mistake("kl.reversed", f"算成了反方向的 KL({bn}‖{an})；KL 不对称", {"kl": reverse}),
            Mistake("kl.kl-div-args-swapped", "F.kl_div 的两个参数顺序弄反了", {"call": swapped}),
            Mistake(
                "kl.input-not-log",
                "F.kl_div 的 input 没有取 log（它要求对数概率）",
                {"call": no_log_call, "kl": no_log},
            ),
            Mistake("kl.log2", "用了以 2 为底的对数", {"kl": r["kl"] / LN2}),
        ]
        parts = (
            Part("kl", f"$D_{{KL}}({an}\\|{bn})$", "real", r["kl"], atol=1e-6),
            Part("call", "`F.kl_div` 的写法", "choice", r["call"], choices=_KL_CALLS),
        )
        return _variant(self, p, prompt, parts, solution, mistakes)


# -- smooth_l1 ---------------------------------------------------------------------------------------


def _smooth_l1(d: float, beta: float) -> float:
    a = abs(d)
    return 0.5 * a * a / beta if a < beta else a - 0.5 * beta


@register
class SmoothL1(Family):
    id = "smooth_l1"
    title = "Smooth L1（beta 形式与 Fast R-CNN 的 sigma 形式）"
    topics = ("004-0007", "001-1761")
    schema = {
        "form": Param("choice", choices=("beta", "sigma")),
        "beta": Param("choice", choices=(1.0, 0.5, 0.2, 0.1)),
        "sigma": Param("choice", choices=(1, 2, 3)),
        "n": Param("int", 2, 4),
        "data_seed": Param("int", 0, 10**6),
    }

    @staticmethod
    def _beta(p: dict[str, Any]) -> float:
        return p["beta"] if p["form"] == "beta" else 1 / p["sigma"] ** 2

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        pred, target = map(_t, _pairs(p["data_seed"], p["n"], 50, -20, 20))
        return {"loss": F.smooth_l1_loss(pred, target, beta=self._beta(p)).item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        pred, target, mask = _pairs_cols(c, 4, 50, -20, 20)
        beta_c = torch.tensor(self.schema["beta"].choices, dtype=F64, device=pred.device)[c["beta"]]
        sigma = torch.tensor(self.schema["sigma"].choices, dtype=F64, device=pred.device)[c["sigma"]]
        s2 = torch.where(c["form"] == 0, 1 / beta_c, sigma**2)[:, None]  # Fast R-CNN: sigma^2 = 1/beta
        x = (pred - target).abs()
        per = torch.where(x < 1 / s2, 0.5 * s2 * x * x, x - 0.5 / s2)
        return {"loss": (per * mask).sum(1) / c["n"]}

    def build(self, p: dict[str, Any]) -> Variant:
        n = p["n"]
        pred, target = _pairs(p["data_seed"], n, 50, -20, 20)
        beta = self._beta(p)
        loss = self.solve(p)["loss"]
        d = [a - b for a, b in zip(pred, target, strict=False)]
        head = f"预测 $\\hat t={tex_vec(pred)}$，目标 $t={tex_vec(target)}$，对 {n} 个坐标取平均。\n\n"
        if p["form"] == "beta":
            prompt = head + f"求 `F.smooth_l1_loss(t_hat, t, beta={fmt(beta)})`（默认 `reduction='mean'`）。"
            rule = (
                f"$$\\ell(x)=\\begin{{cases}}0.5x^2/\\beta & |x|<\\beta\\\\ |x|-0.5\\beta & \\text{{否则}}"
                f"\\end{{cases}},\\quad \\beta={tnum(beta)}$$"
            )
        else:
            s = p["sigma"]
            prompt = head + (
                f"按 Fast R-CNN 的定义（$\\sigma={s}$）求 Smooth L1 损失：\n\n"
                "$$\\text{smooth}_{L_1}(x)=\\begin{cases}0.5\\sigma^2x^2 & |x|<1/\\sigma^2\\\\ "
                "|x|-0.5/\\sigma^2 & \\text{否则}\\end{cases}$$"
            )
            rule = (
                f"与 PyTorch 的 beta 形式相同，$\\beta=1/\\sigma^2=1/{s * s}={tnum(beta)}$：\n\n"
                "$$\\ell(x)=\\begin{cases}0.5x^2/\\beta & |x|<\\beta\\\\ |x|-0.5\\beta & \\text{否则}\\end{cases}$$"
            )
        per = [_smooth_l1(x, beta) for x in d]
        solution = (
            f"{rule}\n\n差值 $x=\\hat t-t={tex_vec(d)}$，逐项损失 ${tex_vec(per)}$\n\n"
            f"$$\\mathcal L=\\frac1{{{n}}}\\left({'+'.join(tnum(v) for v in per)}\\right)={tnum(loss)}$$"
        )
        mean = lambda f: sum(f(x) for x in d) / n  # noqa: E731
        mistakes = [
            Mistake(
                "smoothl1.forgot-beta",
                "二次段漏掉了 /β（写成了 0.5x²）",
                {"loss": mean(lambda x: 0.5 * x * x if abs(x) < beta else abs(x) - 0.5 * beta)},
            ),
            Mistake("smoothl1.used-l1", "用成了 L1（没有二次段）", {"loss": mean(abs)}),
            Mistake(
                "smoothl1.linear-no-offset",
                "线性段漏掉了 −0.5β",
                {"loss": mean(lambda x: 0.5 * x * x / beta if abs(x) < beta else abs(x))},
            ),
        ]
        if p["form"] == "sigma":
            s = float(p["sigma"])
            mistakes += [
                Mistake(
                    "smoothl1.sigma-as-beta",
                    "把 σ 直接当成了 β（应为 β = 1/σ²）",
                    {"loss": mean(lambda x: _smooth_l1(x, s))},
                ),
                Mistake(
                    "smoothl1.sigma-not-squared",
                    "用了 β = 1/σ（应为 1/σ²）",
                    {"loss": mean(lambda x: _smooth_l1(x, 1 / s))},
                ),
            ]
        parts = (Part("loss", "Smooth L1 损失", "real", loss, atol=1e-6),)
        return _variant(self, p, prompt, parts, solution, mistakes)


# -- focal_loss --------------------------------------------------------------------------------------


@register
class FocalLoss(Family):
    id = "focal_loss"
    title = "Focal loss（alpha、gamma）"
    topics = ("001-1761",)
    schema = {
        "p": Param("real", 0.05, 0.95, decimals=2),
        "label": Param("int", 0, 1),
        "alpha": Param("choice", choices=(0.25, 0.5, 0.75)),
        "gamma": Param("choice", choices=(0.0, 0.5, 1.0, 2.0, 5.0)),
    }

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        # torchvision.ops.sigmoid_focal_loss's formula, written with torch ops on a probability
        # (torchvision is not a dependency): ce * (1 - p_t)^gamma * alpha_t.
        prob = torch.tensor(p["p"], dtype=F64)
        y = torch.tensor(float(p["label"]), dtype=F64)
        ce = F.binary_cross_entropy(prob, y, reduction="none")
        p_t = prob * y + (1 - prob) * (1 - y)
        loss = ce * ((1 - p_t) ** p["gamma"])
        alpha_t = p["alpha"] * y + (1 - p["alpha"]) * (1 - y)
        return {"p_t": p_t.item(), "loss": (alpha_t * loss).item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        prob, pos = c["p"], c["label"] == 1
        alpha = torch.tensor(self.schema["alpha"].choices, dtype=F64, device=prob.device)[c["alpha"]]
        gamma = torch.tensor(self.schema["gamma"].choices, dtype=F64, device=prob.device)[c["gamma"]]
        pt = torch.where(pos, prob, 1 - prob)
        at = torch.where(pos, alpha, 1 - alpha)
        return {"p_t": pt, "loss": -at * (1 - pt) ** gamma * torch.log(pt)}

    def build(self, p: dict[str, Any]) -> Variant:
        prob, y, a, g = p["p"], p["label"], p["alpha"], p["gamma"]
        r = self.solve(p)
        pt, loss = r["p_t"], r["loss"]
        at = a if y == 1 else 1 - a
        prompt = (
            f"二分类 focal loss（RetinaNet / `torchvision.ops.sigmoid_focal_loss` 的定义），$\\alpha={fmt(a)}$，"
            f"$\\gamma={fmt(g)}$。某个 anchor 的正类预测概率 $p={fmt(prob)}$，标签 $y={y}$。\n\n"
            "求 $p_t$ 与该样本的 focal loss $\\mathrm{FL}=-\\alpha_t(1-p_t)^\\gamma\\ln p_t$（自然对数）。"
        )
        solution = (
            "$$p_t=\\begin{cases}p & y=1\\\\ 1-p & y=0\\end{cases},\\quad "
            "\\alpha_t=\\begin{cases}\\alpha & y=1\\\\ 1-\\alpha & y=0\\end{cases}$$\n\n"
            f"$y={y}$：$p_t={tnum(pt)}$，$\\alpha_t={tnum(at)}$\n\n"
            f"$$\\mathrm{{FL}}=-{tnum(at)}\\times(1-{tnum(pt)})^{{{tnum(g)}}}\\times\\ln {tnum(pt)}={tnum(loss)}$$"
        )
        ce = -math.log(pt)
        mod = (1 - pt) ** g
        mistakes = [
            Mistake("focal.forgot-alpha", "漏掉了 α_t", {"loss": mod * ce}),
            Mistake(
                "focal.alpha-wrong-class",
                "α 用在了错误的类别上（正类应乘 α，负类乘 1−α）",
                {"loss": (1 - at) * mod * ce},
            ),
            Mistake("focal.gamma-on-pt", "调制因子写成了 p_t^γ（应为 (1−p_t)^γ）", {"loss": at * pt**g * ce}),
        ]
        if y == 0:
            mistakes.append(
                Mistake(
                    "focal.pt-is-p",
                    "负样本也直接用 p 当 p_t（应为 1−p）",
                    {"p_t": prob, "loss": at * (1 - prob) ** g * -math.log(prob)},
                )
            )
        parts = (
            Part("p_t", "$p_t$", "real", pt, atol=1e-6, ratio=True),
            Part("loss", "focal loss", "real", loss, atol=1e-6),
        )
        return _variant(self, p, prompt, parts, solution, mistakes)


# -- label_smoothing ---------------------------------------------------------------------------------


def _ls_logits(seed: int, k: int) -> list[float]:
    return [draw_grid(seed, j, 60, -20, 30, 10) for j in range(k)]


@register
class LabelSmoothing(Family):
    id = "label_smoothing"
    title = "带 label smoothing 的交叉熵"
    topics = ("003-0097",)
    schema = {
        "K": Param("int", 3, _KMAX),
        "target": Param("int", 0, _KMAX - 1),
        "eps": Param("choice", choices=(0.1, 0.2, 0.05, 0.3)),
        "data_seed": Param("int", 0, 10**6),
    }

    def constraint(self, p: dict[str, Any]) -> str | None:
        if p["target"] >= p["K"]:
            return "target must be a class index below K"
        return None

    def constraint_mask(self, c: dict[str, torch.Tensor]) -> torch.Tensor:
        return c["target"] < c["K"]

    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        z = _t(_ls_logits(p["data_seed"], p["K"])).requires_grad_(True)
        t = p["target"]
        loss = F.cross_entropy(z[None], torch.tensor([t]), label_smoothing=p["eps"])
        (grad,) = torch.autograd.grad(loss, z)
        q = (F.softmax(z.detach(), 0) - grad).tolist()  # d CE / dz = softmax(z) - q: torch's own targets
        other = next(i for i in range(p["K"]) if i != t)
        return {"q_t": q[t], "q_other": q[other], "loss": loss.item()}

    def closed_form(self, c: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        seed = c["data_seed"].to(torch.int64)
        k = c["K"]
        eps = torch.tensor(self.schema["eps"].choices, dtype=F64, device=seed.device)[c["eps"]]
        j = torch.arange(_KMAX, device=seed.device)[None, :]
        mask = j < k[:, None]
        z = draw_grid(seed[:, None], j, 60, -20, 30, 10)
        m = torch.where(mask, z, -math.inf).max(1).values
        lse = m + torch.log((torch.exp(z - m[:, None]) * mask).sum(1))
        logp = z - lse[:, None]
        q_other = eps / k
        q_t = 1 - eps + eps / k
        zt = logp.gather(1, c["target"].to(torch.int64)[:, None])[:, 0]
        loss = -(q_t * zt + q_other * ((logp * mask).sum(1) - zt))
        return {"q_t": q_t, "q_other": q_other, "loss": loss}

    def build(self, p: dict[str, Any]) -> Variant:
        k, t, eps = p["K"], p["target"], p["eps"]
        z = _ls_logits(p["data_seed"], k)
        r = self.solve(p)
        zmax = max(z)
        lse = zmax + math.log(sum(math.exp(v - zmax) for v in z))
        logp = [v - lse for v in z]
        prompt = (
            f"{k} 分类，logits $z={tex_vec(z)}$（类别下标从 0 开始），真实类别为 {t}。用 "
            f"`F.cross_entropy(z, target, label_smoothing={fmt(eps)})`。\n\n"
            "求：平滑后的目标分布中真实类别的概率 $q_t$、任一其他类别的概率 $q_{other}$，以及损失值。"
        )
        solution = (
            "PyTorch 的 label smoothing 把 $\\varepsilon$ 均分给**全部** $K$ 个类别（含真实类）：\n\n"
            f"$$q_t=1-\\varepsilon+\\frac{{\\varepsilon}}{{K}}=1-{tnum(eps)}+\\frac{{{tnum(eps)}}}{{{k}}}={tnum(r['q_t'])},\\quad "
            f"q_{{other}}=\\frac{{\\varepsilon}}{{K}}={tnum(r['q_other'])}$$\n\n"
            f"$\\log\\mathrm{{softmax}}(z)={tex_vec(logp)}$\n\n"
            f"$$\\mathcal L=-\\sum_i q_i\\log p_i={tnum(r['loss'])}$$"
        )

        def ce_with(qt: float, qo: float) -> float:
            return -sum((qt if i == t else qo) * lp for i, lp in enumerate(logp))

        qo_wrong = eps / (k - 1)
        mistakes = [
            Mistake(
                "ls.eps-over-k-minus-1",
                "用了 ε/(K−1) 的约定（PyTorch 是 ε/K，真实类也分到一份）",
                {"q_t": 1 - eps, "q_other": qo_wrong, "loss": ce_with(1 - eps, qo_wrong)},
            ),
            Mistake("ls.no-smoothing", "忽略了 label smoothing（普通交叉熵）", {"loss": -logp[t]}),
        ]
        parts = (
            Part("q_t", "$q_t$", "real", r["q_t"], atol=1e-6, ratio=True),
            Part("q_other", "$q_{other}$", "real", r["q_other"], atol=1e-6, ratio=True),
            Part("loss", "损失", "real", r["loss"], atol=1e-6),
        )
        return _variant(self, p, prompt, parts, solution, mistakes)
