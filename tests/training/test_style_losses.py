"""AnimeGAN and semantic-aware losses over shapes and bad arguments (BasicSR style), and the edge-smoothed data."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from training.data.cartoonize.edge_smooth import edge_smooth
from training.losses import (
    AnimeAdversarialLoss,
    ColorLoss,
    GramStyleLoss,
    LSGANLoss,
    SemanticLoss,
    gram_matrix,
    grayscale,
    rgb_to_yuv,
)


def _images(n: int = 2, c: int = 3, h: int = 32, w: int = 40, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.mark.parametrize("loss_cls", [ColorLoss, GramStyleLoss])
def test_negative_weight_is_refused(loss_cls):
    with pytest.raises(ValueError):
        loss_cls(loss_weight=-1.0)


def test_yuv_of_known_colours_and_grayscale():
    white, red = torch.ones(1, 3, 1, 1), torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1)
    assert rgb_to_yuv(white).flatten().tolist() == pytest.approx([1.0, 0.0, 0.0], abs=1e-6)
    assert rgb_to_yuv(red).flatten().tolist() == pytest.approx([0.299, -0.14714119, 0.61497538], abs=1e-6)
    gray = grayscale(_images())
    assert gray.shape == (2, 3, 32, 40) and torch.equal(gray[:, 0], gray[:, 2])
    with pytest.raises(ValueError):
        rgb_to_yuv(torch.zeros(1, 1, 4, 4))


@pytest.mark.parametrize("shape", [(1, 3, 8, 8), (2, 3, 17, 23)])
def test_color_loss_zero_for_equal_images_and_l1_on_luma(shape):
    photo = _images(*shape)
    loss = ColorLoss(loss_weight=2.0)
    assert loss(photo, photo).item() == 0.0
    # A uniform luma shift of d changes only Y: the loss is weight * |d|, d = 0.1 on the [0, 1] scale.
    assert loss((photo + 0.2).clamp(-5, 5), photo).item() == pytest.approx(2.0 * 0.1, rel=1e-4)
    with pytest.raises(ValueError):
        loss(photo, photo[:, :, :-1])
    with pytest.raises(ValueError):
        ColorLoss(delta=0.0)


def test_gram_matrix_and_style_loss():
    features = torch.arange(8.0).view(1, 2, 2, 2)
    flat = features.view(2, 4)
    assert torch.allclose(gram_matrix(features)[0], flat @ flat.T / 8)
    loss = GramStyleLoss(loss_weight=3.0)
    a, b = _images(2, 8, 6, 6), _images(2, 8, 10, 12, seed=1)
    assert loss(a, a).item() == 0.0
    assert loss(a, b).item() > 0  # different spatial sizes are fine
    with pytest.raises(ValueError):
        loss(a, _images(2, 4, 6, 6))
    with pytest.raises(ValueError):
        loss(a[0], a[0])


class _ConstantD(nn.Module):
    """A discriminator answering `value` everywhere, to check the LSGAN arithmetic."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((len(x), 1, 2, 2), self.value)


def test_anime_adversarial_terms():
    fake, anime = _images(), _images(seed=1)
    smooth = torch.from_numpy(np.zeros((2, 3, 32, 40), np.float32))
    ones = AnimeAdversarialLoss(_ConstantD(1.0), loss_weight=300.0)
    assert ones.generator_loss(fake).item() == 0.0
    # D(x) = 1 everywhere: real term 0, the three "fake" terms 1 each: 300 * (1 + 1 + 0.1).
    assert ones.discriminator_loss(fake, anime, smooth).item() == pytest.approx(300 * 2.1)
    zeros = AnimeAdversarialLoss(_ConstantD(0.0), loss_weight=2.0)
    assert zeros.generator_loss(fake).item() == pytest.approx(2.0)
    assert zeros.discriminator_loss(fake, anime, smooth).item() == pytest.approx(2.0)
    assert LSGANLoss.real_term(torch.zeros(3)).item() == 1.0 and LSGANLoss.fake_term(torch.ones(3)).item() == 1.0
    with pytest.raises(ValueError):
        ones.discriminator_loss(fake, anime[:1], smooth)
    with pytest.raises(ValueError):
        AnimeAdversarialLoss(_ConstantD(0.0), smooth_weight=-0.1)


def test_anime_adversarial_feeds_grayscale_to_d():
    seen = []

    class Recorder(nn.Module):
        def forward(self, x):
            seen.append(x)
            return x.mean(dim=1, keepdim=True)

    fake, anime, smooth = _images(seed=0), _images(seed=1), _images(seed=2)
    AnimeAdversarialLoss(Recorder()).discriminator_loss(fake, anime, smooth)
    batch = seen[0]
    assert batch.shape == (8, 3, 32, 40)
    assert torch.equal(batch[:2], anime) and torch.equal(batch[2:4], fake)
    assert torch.equal(batch[4:6], grayscale(anime)) and torch.equal(batch[6:], grayscale(smooth))


class _MeanColour(nn.Module):
    """A tiny differentiable 'segmenter' with a parameter (which must stay frozen)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * nn.functional.avg_pool2d(x, 4)


@pytest.mark.parametrize("shape", [(1, 3, 8, 8), (2, 3, 16, 24)])
def test_semantic_loss_with_a_custom_segmenter(shape):
    segmenter = _MeanColour()
    loss = SemanticLoss(segmenter, loss_weight=2.0)
    photo = _images(*shape)
    output = photo.clone().requires_grad_()
    assert loss(output, photo).item() == 0.0
    shifted = (photo + 0.5).requires_grad_()
    value = loss(shifted, photo)
    assert value.item() == pytest.approx(1.0, rel=1e-5)
    value.backward()
    assert shifted.grad is not None and segmenter.scale.grad is None and not segmenter.training


def test_semantic_loss_bad_arguments():
    with pytest.raises(TypeError):
        SemanticLoss("not a network")
    with pytest.raises(ValueError):
        SemanticLoss(_MeanColour(), loss_weight=-1.0)
    loss = SemanticLoss(_MeanColour())
    with pytest.raises(ValueError):
        loss(_images(), _images(h=16))
    with pytest.raises(ValueError):
        loss(_images(c=1), _images(c=1))


def test_edge_smooth_blurs_only_near_edges():
    image = np.full((40, 40, 3), 30, np.uint8)
    image[:, 20:] = 220
    image[5, 5] = 30  # flat area far from the edge stays exactly as it was
    smoothed = edge_smooth(image)
    assert smoothed.shape == image.shape and smoothed.dtype == np.uint8
    assert np.array_equal(smoothed[:, :10], image[:, :10]) and np.array_equal(smoothed[:, 30:], image[:, 30:])
    assert 30 < smoothed[20, 19, 0] < 220  # the step itself is softened
    with pytest.raises(ValueError):
        edge_smooth(image.astype(np.float32))
