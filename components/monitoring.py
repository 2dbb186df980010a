"""What the monitor pipelines share: the drift check, the retraining window and the body that
runs the nested training only on drift (`check_then_retrain`).

The production reference is the folder at `reference_uri`, imported as an artifact (a KFP run
has no ZenML store; model_factory/continuous.py). The training is the use case's training
pipeline itself, nested under `dsl.If`; its inputs are the monitor pipeline's `retraining_*`
inputs, except `data_path`: the window the `retraining-window` task wrote.

The verdict is `check`'s single return value `Output`: kfp.local 2.17.0 evaluates a `dsl.If`
condition only on `pipelinechannel--<task>-Output` or `<task>--<name>`; anything else, such as a
NamedTuple field `<task>-drifted`, it reads as a (missing) pipeline input and skips the branch.
A cluster handles both; `Output` keeps the local runs honest.

`check` also sends the drift alert (model_factory/alerts.py), to the webhook and with a link to the
run in the KFP UI that the optional Secret `model-factory-alerts` gives it
(components/platform.py).
"""

from typing import Any, NamedTuple

from kfp import dsl
from kfp.dsl import HTML, Artifact, Dataset, Input, Metrics, Output
from kfp.dsl.base_component import BaseComponent
from kfp.dsl.pipeline_channel import PipelineChannel

from components.inputs import Inputs, run_config
from components.platform import alert_webhook, component, reads_external_data, resources


@component
def check(
    model: str,
    config_json: str,
    run_id: str,
    reference: Input[Artifact],
    metrics: Output[Metrics],
    metrics_json: Output[Artifact],
    drift_report: Output[HTML],
) -> bool:
    """Drifted or not: the batch against the reference, by the use case's core monitor. Drift
    is also alerted to the webhook its Secret names (a failing receiver is a warning)."""
    from pathlib import Path

    from model_factory import alerts, continuous

    config = continuous.parse(model, config_json)
    drift = continuous.check(model, config, Path(reference.path))
    continuous.write_outcome(drift, metrics_json.path, drift_report.path)
    metrics.log_metric("drifted_checks", len(drift.drifted_checks))
    alerts.send_drift(drift, run_id, alerts.kfp_run_url(run_id))
    return drift.drifted


@component
def retraining_window(model: str, config_json: str, window: Output[Dataset]) -> NamedTuple(
    "Window", data_path=str, holdout_days=int
):
    """The retraining data plus the batch: its URI, the nested training's `data_path`, and for
    forecasting its `holdout_days` (at most half the batch, as `retrain-if-drifted`)."""
    from typing import NamedTuple

    from model_factory import continuous

    config = continuous.parse(model, config_json)
    holdout_days = continuous.retraining_holdout(model, config)  # refuses a too-short batch
    window.metadata["rows"] = continuous.write_window(model, config, window.path)
    return NamedTuple("Window", data_path=str, holdout_days=int)(window.uri, holdout_days)


def monitor_pipeline(
    inputs: Inputs,
    resolver: BaseComponent,
    model: str,
    training: BaseComponent,
    constants: dict[str, Any] | None = None,
    **decorator: Any,
) -> BaseComponent:
    """A monitor pipeline (`@dsl.pipeline(**decorator)`) about `model`: its config checked by
    `resolver` (plus the compile-time `constants`), then `check_then_retrain` with the nested
    `training` pipeline, built outside (KFP nests no definitions); this pipeline alerts a failure.
    Its inputs: `reference_uri` from zenml_config/kubeflow_monitors.yaml, `monitor_*` from the use
    case's monitor run config and `retraining_*` from its training run config, flattened."""

    @inputs.pipeline(alert=model, **decorator)
    def monitor(channels: dict) -> None:
        config = run_config(resolver, channels, **(constants or {}))
        check_then_retrain(model, config, channels, training)

    return monitor


def check_then_retrain(
    model: str, config: PipelineChannel, inputs: dict, training: BaseComponent
) -> None:
    """A monitor pipeline's tasks after `resolve-config` (its validated `config` JSON), given
    the pipeline's `inputs` (`reference_uri`, `retraining_*`) and the training pipeline."""
    reference = dsl.importer(artifact_uri=inputs["reference_uri"], artifact_class=Artifact)
    reference.set_display_name("Import the production reference")
    checked = check(model=model, config_json=config, run_id=dsl.PIPELINE_JOB_ID_PLACEHOLDER,
                    reference=reference.output)  # fmt: skip
    resources(reads_external_data(alert_webhook(checked)), cpu="1", memory="1Gi", cpu_limit=1,
              memory_limit="2Gi").set_display_name("Check the batch for drift")  # fmt: skip
    with dsl.If(checked.outputs["Output"] == True, name="drifted"):  # noqa: E712 (KFP)
        window = reads_external_data(retraining_window(model=model, config_json=config))
        window.set_display_name("Write the retraining window")
        overrides = {"data_path": window.outputs["data_path"]}
        if "holdout_days" in training.component_spec.inputs:  # forecasting: a time holdout
            overrides["holdout_days"] = window.outputs["holdout_days"]
        training(**nested_inputs(inputs, "retraining_", **overrides)).set_display_name(
            "Retrain on the window"
        )


def nested_inputs(inputs: dict, prefix: str, **overrides) -> dict:
    """The arguments of a nested pipeline whose inputs are this pipeline's `<prefix>*` inputs
    without the prefix (a monitor pipeline's `retraining_*` for the training pipeline)."""
    nested = {k.removeprefix(prefix): v for k, v in inputs.items() if k.startswith(prefix)}
    return {**nested, **overrides}
