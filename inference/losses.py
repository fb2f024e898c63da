"""Training loss of the paper (eq. 8): lambda * BCE + (1 - lambda) * Dice.

The L2 term gamma * ||w||^2 of eq. 8 is the optimiser's weight decay (train.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# Paper, Loss Function: "the loss has the best performance when we set lambda to 0.4".
BCE_WEIGHT = 0.4


def dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Soft Dice loss, 1 - 2|P.G| / (|P| + |G|), per image then averaged.

    logits, target: (N, 1, H, W); target holds 0/1. eps (in pixels) keeps an
    empty prediction on an empty mask at loss 0 rather than 0/0.
    """
    prob = torch.sigmoid(logits.float()).flatten(1)
    gt = target.float().flatten(1)
    inter = (prob * gt).sum(1)
    dice = (2 * inter + eps) / (prob.sum(1) + gt.sum(1) + eps)
    return (1 - dice).mean()


def bce_dice_loss(logits: torch.Tensor, target: torch.Tensor, bce_weight: float = BCE_WEIGHT) -> torch.Tensor:
    """bce_weight * BCE + (1 - bce_weight) * Dice; shapes as in dice_loss."""
    bce = F.binary_cross_entropy_with_logits(logits.float(), target.float())
    return bce_weight * bce + (1 - bce_weight) * dice_loss(logits, target)
