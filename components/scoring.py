"""What the batch-scoring pipelines share: where the model they score with comes from.

With a ZenML server in the scoring run config (`kubeflow.zenml_url`, compiled in), a task loads
the version in the run config's `stage` from its registry, as the ZenML scoring pipelines do;
without one, KFP has no registry and the model is the production reference exported to
`reference_uri` (`model-factory export-reference`). Either way it arrives as a folder in the
exported format (model_factory/continuous.py), so the scoring tasks read it the same way and
label rows with the version's name.
"""

from collections.abc import Callable

from kfp import dsl
from kfp.dsl.base_component import BaseComponent
from kfp.dsl.pipeline_channel import PipelineChannel

from components.inputs import Inputs
from components.platform import RETRY, alert_on_failure, component, object_store, zenml_registry
from model_factory.config import KubeflowServer, StrictModel
from model_factory.continuous import ScoreWithReference
from model_factory.use_case import UseCase

# Compiled in, never inputs: the server, and the stage read there (meaningless without one:
# the exported reference is the production version).
COMPILED = frozenset(
    {"scoring_stage", *(f"scoring_kubeflow_{key}" for key in KubeflowServer.model_fields)}
)


@component
def staged_model(
    use_case: str, model_name: str, stage: str, reference: dsl.Output[dsl.Artifact]
) -> None:
    """The version of `model_name` in `stage` on the ZenML server, as an exported reference;
    its name and id in the artifact's metadata."""
    from model_factory.integrations.kubeflow.registry import staged_reference

    reference.metadata.update(staged_reference(use_case, model_name, stage, reference.path))


def scoring_model(
    inputs: dict, scoring: StrictModel, use_case: UseCase, model_name: str, noun: str
) -> PipelineChannel:
    """The reference artifact a scoring pipeline scores with, given its inputs and its compiled
    scoring config (`kubeflow.zenml_url`, `stage`): the version of `model_name` in that stage
    on the server, else the folder at `reference_uri`."""
    url = scoring.kubeflow.zenml_url
    if not url:
        imported = dsl.importer(artifact_uri=inputs["reference_uri"], artifact_class=dsl.Artifact)
        return imported.set_display_name("Import the production reference").output
    task = staged_model(use_case=use_case.name, model_name=model_name, stage=scoring.stage)
    # It only reads (no version to register twice): retried like the other reads of outside
    # systems; the object store's credentials for an s3:// artifact store.
    zenml_registry(object_store(task), url).set_retry(**RETRY)
    task.set_display_name(f"Load the {scoring.stage} {noun} from ZenML")
    return task.outputs["reference"]


def scoring_pipeline(
    inputs: Inputs,
    use_case: UseCase,
    noun: str,
    tasks: Callable[[PipelineChannel, PipelineChannel], None],
    description: str,
) -> Callable[[ScoreWithReference], BaseComponent]:
    """A scoring pipeline's `build` (its registry entry's): `resolve-config`, the model it scores
    with (`scoring_model`: the server and stage fixed when compiling), then the use case's
    `tasks(config, reference)`, under the exit handler that alerts a failure. Its KFP name is
    `<use case>-scoring`."""
    resolve_config = inputs.resolver()

    def build(compiled: ScoreWithReference) -> BaseComponent:
        scoring = compiled.scoring
        model = getattr(scoring, "model", use_case.model_name)  # bank: a model of one's own

        @inputs.pipeline(name=f"{use_case.name}-scoring", description=description)
        @alert_on_failure(use_case.model_name)
        def scoring_run(channels: dict) -> None:
            resolved = resolve_config(**channels).set_display_name("Check the run config")
            tasks(resolved.output, scoring_model(channels, scoring, use_case, model, noun))

        return scoring_run

    return build
