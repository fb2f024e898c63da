"""SCR-Net, its ablation variants and U-Net: shapes, size, and the SCM / SRM equations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from inference.models import VARIANTS, ModelConfig, build_model, count_flops, count_params
from inference.models.blocks import SCM, SRM, BilinearFusion
from inference.models.scrnet import SCRNet, UNet


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_maps_a_batch_to_one_logit_map_of_the_input_size(variant: str) -> None:
    torch.manual_seed(0)
    model = build_model(variant).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 1, 64, 64)
    assert torch.isfinite(out).all()


def test_scrnet_handles_non_square_inputs_that_are_multiples_of_16() -> None:
    model = build_model("scrnet").eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 48, 80)).shape == (1, 1, 48, 80)


def test_scrnet_at_reference_widths_has_the_papers_size_and_cost() -> None:
    model = build_model("scrnet")
    # Paper: about 0.9 M parameters and about 10 GFLOPs at 448 x 448.
    assert 0.8e6 < count_params(model) < 1.0e6
    assert 9 < count_flops(model, 448) / 1e9 < 11
    assert model.training  # count_flops restores the training mode it found


def test_model_config_rejects_an_unknown_variant_by_name() -> None:
    with pytest.raises(ValueError, match="'segformer'"):
        ModelConfig(variant="segformer")


def test_model_config_rejects_decoder_widths_that_do_not_fit_the_encoder() -> None:
    with pytest.raises(ValueError, match="decoder_widths"):
        ModelConfig(widths=(8, 16, 32), decoder_widths=(8, 8, 8))


def test_model_config_round_trips_through_a_dict() -> None:
    config = ModelConfig(variant="baseline+srm", widths=(8, 16, 16, 32, 32), decoder_widths=(16, 8, 8, 4))
    data = config.to_dict()
    assert data["widths"] == [8, 16, 16, 32, 32]  # lists: plain JSON / weights_only-safe
    assert ModelConfig.from_dict(data) == config
    assert config.stride == 16


def test_model_config_from_dict_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="depth"):
        ModelConfig.from_dict({"variant": "scrnet", "depth": 5})


def _module_types(variant: str) -> set[type]:
    return {type(m) for m in build_model(variant).modules()}


def test_build_model_gives_each_variant_its_own_modules() -> None:
    assert isinstance(build_model("unet"), UNet)
    assert isinstance(build_model("scrnet"), SCRNet)
    baseline = _module_types("baseline")
    assert SCM not in baseline and SRM not in baseline and BilinearFusion in baseline
    scm = _module_types("baseline+scm")
    assert SCM in scm and SRM not in scm and BilinearFusion not in scm
    srm = _module_types("baseline+srm")
    assert SRM in srm and SCM not in srm and BilinearFusion in srm
    scr = _module_types("scrnet")
    assert SCM in scr and SRM in scr and BilinearFusion not in scr
    unet = _module_types("unet")
    assert not unet & {SCM, SRM, BilinearFusion}


def test_build_model_accepts_a_config_with_small_widths() -> None:
    config = ModelConfig(widths=(4, 8, 8, 8, 8), decoder_widths=(8, 4, 4, 4))
    model = build_model(config)
    assert model.config == config
    assert count_params(model) < count_params(build_model("scrnet"))
    with torch.no_grad():
        assert model.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 1, 32, 32)


def test_kaiming_init_keeps_every_scm_offset_at_zero() -> None:
    scms = [m for m in build_model("scrnet").modules() if isinstance(m, SCM)]
    assert len(scms) == 4
    for scm in scms:
        assert torch.count_nonzero(scm.offset.weight) == 0
        assert torch.count_nonzero(scm.lateral.weight) > 0


def test_scm_with_zero_offset_equals_lateral_conv_plus_bilinear_upsampling() -> None:
    torch.manual_seed(0)
    scm = SCM(high_ch=8, low_ch=4)
    high, low = torch.randn(2, 8, 5, 7), torch.randn(2, 4, 10, 14)
    expected = low + F.interpolate(scm.lateral(high), size=(10, 14), mode="bilinear", align_corners=False)
    with torch.no_grad():
        assert torch.allclose(scm(high, low), expected, atol=1e-5)


def test_scm_with_a_learned_offset_differs_from_plain_upsampling() -> None:
    torch.manual_seed(0)
    scm = SCM(high_ch=8, low_ch=4)
    torch.nn.init.normal_(scm.offset.weight, std=0.5)
    high, low = torch.randn(1, 8, 4, 4), torch.randn(1, 4, 8, 8)
    plain = low + F.interpolate(scm.lateral(high), size=(8, 8), mode="bilinear", align_corners=False)
    with torch.no_grad():
        assert (scm(high, low) - plain).abs().max() > 1e-3


def test_scm_base_grid_holds_normalised_pixel_centres() -> None:
    grid = SCM(2, 2).base_grid(2, 4, torch.device("cpu"), torch.float32)
    # align_corners=False: pixel i of n sits at (2i + 1) / n - 1.
    assert grid.shape == (1, 2, 4, 2)
    assert torch.allclose(grid[0, 0, :, 0], torch.tensor([-0.75, -0.25, 0.25, 0.75]))  # x of row 0
    assert torch.allclose(grid[0, :, 0, 1], torch.tensor([-0.5, 0.5]))  # y of column 0


def test_scm_base_grid_is_cached_per_shape_device_and_dtype() -> None:
    scm, cpu = SCM(2, 2), torch.device("cpu")
    first = scm.base_grid(8, 8, cpu, torch.float32)
    assert scm.base_grid(8, 8, cpu, torch.float32) is first
    assert scm.base_grid(16, 8, cpu, torch.float32) is not first
    assert scm.base_grid(8, 8, cpu, torch.float64) is not first


def test_srm_gates_the_low_level_map_with_global_high_level_context() -> None:
    torch.manual_seed(0)
    srm = SRM(high_ch=6, low_ch=3)
    high, low = torch.randn(2, 6, 4, 4), torch.randn(2, 3, 8, 8)
    # Paper eq. 4-7: O = I_low * sigmoid(ReLU(Conv1x1(GAP(I_high))) + I_low)
    gap = high.mean(dim=(2, 3), keepdim=True)
    context = F.relu(F.conv2d(gap, srm.rescale.weight, srm.rescale.bias))
    expected = low * torch.sigmoid(context + low)
    with torch.no_grad():
        assert torch.allclose(srm(high, low), expected, atol=1e-6)


def test_a_compiled_scrnet_runs_its_second_call_without_compiling_again() -> None:
    # The SCM grid cache, filled by the first call, failed the compiled graph's guard: the second call compiled the
    # whole model again (38 s with Inductor). Dynamo's own tracing (backend "eager") shows it without Inductor's cost.
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    counters.clear()
    model = build_model(ModelConfig(variant="scrnet")).eval()
    compiled = torch.compile(model, backend="eager", dynamic=False)
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        first = compiled(x)
        second = compiled(x)
    assert counters["stats"]["unique_graphs"] == 1
    assert not counters["recompiles"]
    assert torch.allclose(first, second)
    torch._dynamo.reset()
