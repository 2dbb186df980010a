"""Store sales forecasting training on Kubeflow Pipelines: the stores fan out over group tasks.

`store-groups` splits the stores into `kubeflow_store_groups` groups; each group backtests and
refits its stores (`dsl.ParallelFor`, at most `kubeflow.parallelism` at once, fixed when
compiled); `evaluate` adds up the groups' error sums (`dsl.Collected`), so the metrics are the
single-process run's, and `merge-models` joins the groups' models into one artifact. Models
are folders of JSON (model_factory/forecasting/forecaster.py), never pickles. With a ZenML
server in the run config (`kubeflow.zenml_url`), a last task registers the merged model with it
and offers it for staging (model_factory/integrations/kubeflow/registry.py); without one, promotion
is a ZenML operation CI runs.

The validated config travels as a JSON artifact (`run_config`), not as a string parameter as in
the other pipelines: kfp.local 2.17.0 silently replaces any upstream task's *parameter* output
that enters a ParallelFor body with the loop item (`create_parameter_loop_iteration_task_spec`
in kfp/local/orchestrator/task_spec_utils.py), while artifacts arrive intact. A cluster handles
both; the artifact keeps the local parity run honest.
"""

from kfp import dsl
from kfp.dsl import HTML, Artifact, Dataset, Input, Metrics, Model, Output
from kfp.dsl.base_component import BaseComponent

from components.inputs import REGISTRATION, Inputs, registration, run_config
from components.platform import (
    component,
    reads_external_data,
    register_model,
    resources,
)
from model_factory.forecasting.config import ForecastTrainingConfig
from model_factory.use_cases import FORECASTING

# Not inputs: `promote` is a ZenML operation; the ParallelFor bound is a constant, and where the
# run registers its model is fixed when compiling, as for bank training.
INPUTS = Inputs(
    ForecastTrainingConfig,
    frozenset({"promote"}),
    compile_time=frozenset({"kubeflow_parallelism"}) | REGISTRATION,
)
resolve_config = INPUTS.resolver(
    constants={"kubeflow_parallelism"} | REGISTRATION, to_artifact=True
)


@component
def ingest(
    run_config: Input[Artifact],
    raw_sales: Output[Dataset],
    raw_stores: Output[Dataset],
) -> None:
    from model_factory.forecasting import data
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations.kubeflow.artifacts import read_json, write_table

    sales, stores = data.load(read_json(run_config, ForecastTrainingConfig))
    write_table(sales, raw_sales)
    write_table(stores, raw_stores)


@component
def validate(
    run_config: Input[Artifact],
    raw_sales: Input[Dataset],
    raw_stores: Input[Dataset],
    sales: Output[Dataset],
    stores: Output[Dataset],
) -> None:
    from model_factory.forecasting import data
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations.kubeflow.artifacts import read_json, read_table, write_table

    config = read_json(run_config, ForecastTrainingConfig)
    clean = data.validate(read_table(raw_sales), config, source=config.data_path or "synthetic")
    write_table(clean, sales)
    source = config.store_path or "stores"
    write_table(data.validate_stores(read_table(raw_stores), clean, source=source), stores)


@component
def store_groups(run_config: Input[Artifact], sales: Input[Dataset]) -> list:
    """The stores split into groups: one fan-out task each."""
    from model_factory.forecasting import groups
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations.kubeflow.artifacts import read_json, read_table

    config = read_json(run_config, ForecastTrainingConfig)
    return groups.split_stores(read_table(sales), config.kubeflow.store_groups)


@component
def backtest_group(
    run_config: Input[Artifact],
    sales: Input[Dataset],
    stores: list,
    holdout_forecasts: Output[Dataset],
    evaluated_forecaster: Output[Model],
) -> dict:
    """Choose and evaluate the group's models; returns its error sums for the pooled metrics."""
    from pathlib import Path

    from model_factory.forecasting import forecaster, groups, train
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations.kubeflow.artifacts import read_json, read_table

    config = read_json(run_config, ForecastTrainingConfig)
    group = [int(store) for store in stores]  # JSON numbers may arrive as floats
    holdout, evaluated = train.backtest(read_table(sales), config, stores=group)
    holdout.to_parquet(holdout_forecasts.path)
    forecaster.save(evaluated, Path(evaluated_forecaster.path))
    evaluated_forecaster.metadata["stores"] = group
    return groups.group_result(holdout, evaluated)


@component
def refit_group(
    run_config: Input[Artifact],
    sales: Input[Dataset],
    evaluated_forecaster: Input[Model],
    store_forecaster: Output[Model],
) -> None:
    """The group's chosen models fitted on all data (or as evaluated): what gets registered."""
    from pathlib import Path

    from model_factory.forecasting import forecaster, train
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations.kubeflow.artifacts import read_json, read_table

    config = read_json(run_config, ForecastTrainingConfig)
    evaluated = forecaster.load(Path(evaluated_forecaster.path))
    refitted = train.refit(read_table(sales), evaluated, config)
    forecaster.save(refitted, Path(store_forecaster.path))


@component
def evaluate(
    run_config: Input[Artifact],
    group_results: list[dict],
    holdout_forecasts: Input[list[Dataset]],
    evaluated_forecasters: Input[list[Model]],
    sales: Input[Dataset],
    stores: Input[Dataset],
    metrics: Output[Metrics],
    metrics_json: Output[Artifact],
    store_metrics: Output[Dataset],
    forecast_plot: Output[HTML],
) -> None:
    """Pooled metrics from the groups' sums; per-store table and plot from their forecasts."""
    from pathlib import Path

    import pandas as pd

    from model_factory import provenance
    from model_factory.forecasting import data, forecaster, groups, train
    from model_factory.forecasting import evaluate as forecast_evaluate
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations.kubeflow import artifacts

    config = artifacts.read_json(run_config, ForecastTrainingConfig)
    scores = groups.pooled_metrics(group_results)
    artifacts.log_metrics(metrics, scores)
    holdout = pd.concat([artifacts.read_table(a) for a in holdout_forecasts], ignore_index=True)
    evaluated = groups.merge([forecaster.load(Path(a.path)) for a in evaluated_forecasters])
    full, table = artifacts.read_table(sales), artifacts.read_table(stores)
    per_store = forecast_evaluate.store_metrics(holdout, evaluated, table)
    per_store.to_parquet(store_metrics.path)
    shown = forecast_evaluate.plot_stores(per_store, config.plot_stores)
    figure = forecast_evaluate.forecast_figure(holdout, full, per_store, shown)
    artifacts.write_html(forecast_plot, figure, "Store sales: holdout forecasts")
    window = data.windows(full, config)
    artifacts.write_json(
        metrics_json,
        scores,
        data_fingerprint=provenance.data_fingerprint(full),
        git_commit=provenance.git_commit(),
        candidates=evaluated.candidate_counts(),
        **window.as_metadata(),
        **train.cutoffs(window, config),
    )


@component
def merge_models(store_forecasters: Input[list[Model]], store_forecaster: Output[Model]) -> None:
    """The groups' refitted models as one forecaster: the run's model artifact."""
    from pathlib import Path

    from model_factory.forecasting import forecaster, groups

    merged = groups.merge([forecaster.load(Path(a.path)) for a in store_forecasters])
    forecaster.save(merged, Path(store_forecaster.path))
    store_forecaster.metadata.update(
        n_stores=len(merged.stores),
        training_cutoff=merged.cutoff.strftime("%Y-%m-%d"),
        candidates=merged.candidate_counts(),
        interval_width=merged.interval_width,
        framework="prophet",
    )


@component
def register(
    run_config: Input[Artifact],
    metrics_json: Input[Artifact],
    store_forecaster: Input[Model],
    holdout_forecasts: Input[list[Dataset]],
    sales: Input[Dataset],
    promote: bool,
    run_id: str,
    run_name: str,
) -> dict:
    """The merged forecaster as a new version of store_sales_forecaster, through the staging
    gate (where: the config's `kubeflow` section); returns the version's name and the decision."""
    from model_factory.forecasting.config import ForecastTrainingConfig
    from model_factory.integrations.kubeflow.artifacts import read_json
    from model_factory.integrations.kubeflow.registry import KfpRun, register_forecasting

    where = read_json(run_config, ForecastTrainingConfig).kubeflow
    paths = {
        "run_config": run_config.path,
        "model": store_forecaster.path,
        "holdout_forecasts": [a.path for a in holdout_forecasts],
        "sales": sales.path,
    }
    return register_forecasting(
        KfpRun(run_id, run_name, where.ui_url),
        metrics_json.path,
        metrics_json.metadata,
        paths,
        promote=promote,
        stack=where.zenml_stack,
    )


def training_pipeline(
    kubeflow_parallelism: int, compiled: ForecastTrainingConfig | None = None, nested: bool = False
) -> BaseComponent:
    """The pipeline, with at most `kubeflow_parallelism` group tasks at once.

    KFP needs the bound as a constant, so it is fixed here, when compiling, from the run
    config's `kubeflow.parallelism`; the other config keys are pipeline inputs. With
    `kubeflow.zenml_url` set in `compiled`, its last task registers the model with that server.
    A failed run is alerted, unless `nested` in a pipeline that alerts (a monitor's retraining).
    """
    settings = compiled or ForecastTrainingConfig()

    @INPUTS.pipeline(
        description="Store sales: per-store model choice and holdout backtest over store "
        "groups in parallel, pooled metrics against seasonal naive, refit on all data.",
        alert=None if nested else FORECASTING.model_name,
    )
    def forecasting_training(inputs: dict) -> None:
        """Inputs are `parameters.config` of zenml_config/forecasting_training.yaml, flattened,
        except `kubeflow.parallelism` (compiled in)."""
        constants = {"kubeflow_parallelism": kubeflow_parallelism, **registration(settings)}
        config = run_config(resolve_config, inputs, **constants)
        raw = reads_external_data(ingest(run_config=config).set_display_name("Read the sales data"))
        valid = validate(
            run_config=config,
            raw_sales=raw.outputs["raw_sales"],
            raw_stores=raw.outputs["raw_stores"],
        ).set_display_name("Validate the sales")
        sales = valid.outputs["sales"]
        groups = store_groups(run_config=config, sales=sales)
        groups.set_display_name("Split the stores into groups")
        with dsl.ParallelFor(groups.output, parallelism=kubeflow_parallelism) as group:
            backtest = resources(
                backtest_group(run_config=config, sales=sales, stores=group),
                cpu="2", memory="2Gi", cpu_limit=2, memory_limit="4Gi",
            ).set_display_name("Choose and backtest the group's models")  # fmt: skip
            refit = resources(
                refit_group(
                    run_config=config,
                    sales=sales,
                    evaluated_forecaster=backtest.outputs["evaluated_forecaster"],
                ),
                cpu="2", memory="2Gi", cpu_limit=2, memory_limit="4Gi",
            ).set_display_name("Refit the group's models on all data")  # fmt: skip
        scored = resources(
            evaluate(
                run_config=config,
                group_results=dsl.Collected(backtest.outputs["Output"]),
                holdout_forecasts=dsl.Collected(backtest.outputs["holdout_forecasts"]),
                evaluated_forecasters=dsl.Collected(backtest.outputs["evaluated_forecaster"]),
                sales=sales,
                stores=valid.outputs["stores"],
            ),
            cpu="1", memory="1Gi", cpu_limit=1, memory_limit="2Gi",
        ).set_display_name("Evaluate the holdout forecasts")  # fmt: skip
        merged = merge_models(
            store_forecasters=dsl.Collected(refit.outputs["store_forecaster"])
        ).set_display_name("Merge the stores' models")
        register_model(
            register,
            settings,
            run_config=config,
            metrics_json=scored.outputs["metrics_json"],
            store_forecaster=merged.outputs["store_forecaster"],
            holdout_forecasts=dsl.Collected(backtest.outputs["holdout_forecasts"]),
            sales=sales,
        )

    return forecasting_training
