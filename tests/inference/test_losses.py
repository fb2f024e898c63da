"""BCE + Dice loss (paper eq. 8) against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from inference.losses import BCE_WEIGHT, bce_dice_loss, dice_loss


def _t(values: list[float]) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).view(1, 1, 2, 2)


def test_dice_loss_of_half_probabilities_matches_hand_value() -> None:
    # logits 0 -> p = 0.5 everywhere; gt = [1, 1, 0, 0].
    # |P.G| = 0.5 + 0.5 = 1; |P| = 2; |G| = 2; eps = 1:
    # dice = (2*1 + 1) / (2 + 2 + 1) = 0.6 -> loss 0.4 (exact).
    loss = dice_loss(_t([0, 0, 0, 0]), _t([1, 1, 0, 0]))
    assert loss.item() == pytest.approx(0.4, abs=1e-7)


def test_dice_loss_of_saturated_logits_matches_hand_value() -> None:
    # logits +-30 -> p = 1, 1, 0, 0 (to 1e-13); gt = [1, 0, 1, 0].
    # |P.G| = 1; |P| = 2; |G| = 2: dice = (2 + 1) / (4 + 1) = 0.6 -> loss 0.4.
    loss = dice_loss(_t([30, 30, -30, -30]), _t([1, 0, 1, 0]))
    assert loss.item() == pytest.approx(0.4, abs=1e-6)


def test_dice_loss_is_zero_for_a_perfect_and_for_an_empty_on_empty_prediction() -> None:
    assert dice_loss(_t([30, -30, -30, 30]), _t([1, 0, 0, 1])).item() == pytest.approx(0.0, abs=1e-6)
    # Empty on empty: (0 + eps) / (0 + 0 + eps) = 1 -> loss 0, not 0/0.
    assert dice_loss(_t([-30] * 4), _t([0] * 4)).item() == pytest.approx(0.0, abs=1e-6)


def test_dice_loss_averages_per_image() -> None:
    logits = torch.cat([_t([30, -30, -30, 30]), _t([0, 0, 0, 0])])  # losses 0 and 0.4
    target = torch.cat([_t([1, 0, 0, 1]), _t([1, 1, 0, 0])])
    assert dice_loss(logits, target).item() == pytest.approx(0.2, abs=1e-6)


def test_bce_dice_loss_of_half_probabilities_matches_hand_value() -> None:
    # BCE of p = 0.5 is ln 2 for every pixel; Dice loss 0.4 (above):
    # 0.4 * ln 2 + 0.6 * 0.4 = 0.277259 + 0.24 = 0.517259
    loss = bce_dice_loss(_t([0, 0, 0, 0]), _t([1, 1, 0, 0]))
    assert loss.item() == pytest.approx(0.4 * math.log(2) + 0.6 * 0.4, abs=1e-6)


def test_bce_dice_loss_weighs_bce_by_0_4_and_dice_by_0_6() -> None:
    assert BCE_WEIGHT == 0.4  # paper, Loss Function: lambda = 0.4
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 1, 8, 8, generator=gen) * 3
    target = (torch.rand(3, 1, 8, 8, generator=gen) > 0.6).float()
    p = torch.sigmoid(logits)
    bce = -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
    inter = (p * target).flatten(1).sum(1)
    dice = 1 - (2 * inter + 1) / (p.flatten(1).sum(1) + target.flatten(1).sum(1) + 1)
    expected = 0.4 * bce + 0.6 * dice.mean()
    assert bce_dice_loss(logits, target).item() == pytest.approx(expected.item(), rel=1e-5)


def test_losses_give_gradients_that_lower_the_loss() -> None:
    logits = torch.zeros(1, 1, 2, 2, requires_grad=True)
    target = _t([1, 1, 0, 0])
    bce_dice_loss(logits, target).backward()
    grad = logits.grad.view(-1)
    assert (grad[:2] < 0).all() and (grad[2:] > 0).all()  # raise logits on polyp, lower elsewhere
