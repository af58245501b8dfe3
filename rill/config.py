"""`tf.config`: the switch that runs tf.functions eagerly, and devices and threads.

rill runs on the CPU through NumPy: device and thread settings are accepted and remembered
so that code written for TensorFlow runs, but they change nothing.
"""

from __future__ import annotations

import types
from typing import NamedTuple

from rill.function.function import RUN_EAGERLY


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Makes every tf.function run its Python function eagerly (for debugging), or not.

    >>> tf.config.run_functions_eagerly(True)
    >>> tf.config.functions_run_eagerly()
    True
    >>> tf.config.run_functions_eagerly(False)
    """
    RUN_EAGERLY[0] = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """Whether tf.functions run eagerly (`run_functions_eagerly`)."""
    return RUN_EAGERLY[0]


experimental_run_functions_eagerly = run_functions_eagerly
experimental_functions_run_eagerly = functions_run_eagerly


class PhysicalDevice(NamedTuple):
    name: str
    device_type: str


class LogicalDevice(NamedTuple):
    name: str
    device_type: str


class LogicalDeviceConfiguration(NamedTuple):
    memory_limit: int | None = None
    experimental_priority: int | None = None
    experimental_device_ordinal: int | None = None


_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_LOGICAL_CPU = LogicalDevice("/device:CPU:0", "CPU")
_settings: dict = {"intra_op": 0, "inter_op": 0, "soft_placement": True, "jit": False,
                   "optimizer": {}, "memory_growth": {}, "visible": [_CPU],
                   "logical": {}, "device_policy": None}


def list_physical_devices(device_type: str | None = None) -> list:
    """The devices rill computes on: one CPU (`[]` for 'GPU' and other types)."""
    return [_CPU] if device_type in (None, "CPU") else []


def list_logical_devices(device_type: str | None = None) -> list:
    return [_LOGICAL_CPU] if device_type in (None, "CPU") else []


def get_visible_devices(device_type: str | None = None) -> list:
    return [d for d in _settings["visible"] if device_type in (None, d.device_type)]


def set_visible_devices(devices, device_type: str | None = None) -> None:
    devices = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    _settings["visible"] = devices or []


def get_logical_device_configuration(device):
    return _settings["logical"].get(device)


def set_logical_device_configuration(device, logical_devices) -> None:
    _settings["logical"][device] = logical_devices


def get_soft_device_placement() -> bool:
    return _settings["soft_placement"]


def set_soft_device_placement(enabled: bool) -> None:
    _settings["soft_placement"] = bool(enabled)


def _get_memory_growth(device) -> bool:
    return _settings["memory_growth"].get(device, False)


def _set_memory_growth(device, enable: bool) -> None:
    _settings["memory_growth"][device] = bool(enable)


def _enable_op_determinism() -> None:
    """rill's kernels are deterministic already."""


def _get_device_details(device) -> dict:
    return {"device_name": "CPU"} if device == _CPU else {}


def _set_intra(n: int) -> None:
    from rill._core import blas
    _settings["intra_op"] = int(n)
    blas.set_large_product_threads(int(n))


def _set_inter(n: int) -> None:
    _settings["inter_op"] = int(n)


def _set_jit(enabled) -> None:
    _settings["jit"] = enabled


def _set_options(options: dict) -> None:
    _settings["optimizer"].update(options)


threading = types.SimpleNamespace(
    get_intra_op_parallelism_threads=lambda: _settings["intra_op"],
    set_intra_op_parallelism_threads=_set_intra,
    get_inter_op_parallelism_threads=lambda: _settings["inter_op"],
    set_inter_op_parallelism_threads=_set_inter,
)
threading.__doc__ = "Thread settings (accepted, without effect: NumPy decides)."

optimizer = types.SimpleNamespace(
    get_jit=lambda: _settings["jit"],
    set_jit=_set_jit,
    get_experimental_options=lambda: dict(_settings["optimizer"]),
    set_experimental_options=_set_options,
)

experimental = types.SimpleNamespace(
    get_memory_growth=_get_memory_growth,
    set_memory_growth=_set_memory_growth,
    list_physical_devices=list_physical_devices,
    list_logical_devices=list_logical_devices,
    get_visible_devices=get_visible_devices,
    set_visible_devices=set_visible_devices,
    enable_op_determinism=_enable_op_determinism,
    get_device_details=_get_device_details,
    set_virtual_device_configuration=set_logical_device_configuration,
    get_virtual_device_configuration=get_logical_device_configuration,
    VirtualDeviceConfiguration=LogicalDeviceConfiguration,
    run_functions_eagerly=run_functions_eagerly,
)
