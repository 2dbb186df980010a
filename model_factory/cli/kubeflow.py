"""`compile`, `run-config`, `submit` and `stack register`: the pipelines on Kubeflow."""

import sys
from pathlib import Path

import typer

from model_factory.cli.base import app, stack_app
from model_factory.errors import InputError
from model_factory.paths import config_dir


@app.command("compile")
def compile_pipelines(
    out: Path = typer.Option(Path("build/kfp"), "--out", help="Folder for <pipeline>.yaml"),
    image: str | None = typer.Option(
        None, "--image", help="Image every task runs (default: model-factory:<version>)"
    ),
    pipeline_root: str | None = typer.Option(
        None,
        "--pipeline-root",
        help="Where runs store artifacts, e.g. gs://BUCKET/kfp (default: the cluster's, "
        "kfp-launcher's defaultPipelineRoot)",
    ),
) -> None:
    """Compile every Kubeflow pipeline to IR YAML; input defaults come from zenml_config/."""
    from components import PIPELINES
    from components.platform import PROJECT_IMAGE
    from model_factory.integrations.kubeflow.compiler import compile_all

    paths = compile_all(PIPELINES, out, image or PROJECT_IMAGE, config_dir(), pipeline_root)
    for path in paths:
        print(path)
    warn_unpullable(paths[0])


def warn_unpullable(package: Path) -> None:
    """Say when tasks would run an image a cluster cannot pull (the default `model-factory:<v>`
    is only good for kfp.local and a kind cluster the image was loaded into)."""
    from model_factory.integrations.kubeflow.compiler import unpullable_images

    for image in unpullable_images(package):
        print(
            f"warning: {package.stem} runs image {image}, which names no registry a cluster "
            "can pull from: push it (e.g. REGISTRY/model-factory:TAG) and compile with --image",
            file=sys.stderr,
        )


@app.command("run-config")
def write_run_config(
    path: Path = typer.Argument(
        ..., help="Run config, e.g. zenml_config/kubeflow/bank_training.yaml"
    ),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: stdout)"),
) -> None:
    """The run config as `zenml pipeline run -c` takes it: the parameters its `parameters_from`
    names merged in (`model-factory` commands merge them themselves)."""
    import yaml

    from model_factory.config import read_run_config

    text = yaml.safe_dump(read_run_config(path), sort_keys=False)
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(out)


@app.command("submit")
def submit_pipeline(
    pipeline: str = typer.Argument(..., help="Compiled pipeline: <dir>/<pipeline>.yaml's stem"),
    host: str | None = typer.Option(
        None, "--host", help="KFP URL, e.g. http://localhost:8080 (required unless --local)"
    ),
    namespace: str | None = typer.Option(
        None, "--namespace", help="Your profile namespace on multi-user Kubeflow (not standalone)"
    ),
    experiment: str | None = typer.Option(
        None, "--experiment", help="Experiment (default: the pipeline's name)"
    ),
    schedule: str | None = typer.Option(
        None, "--schedule", help="5-field cron, server time (UTC), e.g. '0 6 * * *'"
    ),
    scheduled: bool = typer.Option(
        False, "--scheduled", help="Recurring run on the pipeline's cron in kubeflow_monitors.yaml"
    ),
    version_name: str | None = typer.Option(
        None, "--version-name", help="Version name (default: <git commit>-<package sha256>)"
    ),
    directory: Path = typer.Option(
        Path("build/kfp"), "--dir", help="Folder `model-factory compile --out` wrote"
    ),
    upload_only: bool = typer.Option(
        False, "--upload-only", help="Upload the version, start nothing (releases)"
    ),
    update_recurring: bool = typer.Option(
        False,
        "--update-recurring",
        help="Upload the version and move the pipeline's recurring runs to it (releases)",
    ),
    backfill: tuple[str, str] | None = typer.Option(
        None,
        "--backfill",
        metavar="D1 D2",
        help="One run per date from D1 to D2 (YYYY-MM-DD), each with its run_date set",
    ),
    local: bool = typer.Option(
        False, "--local", help="Run the package here under kfp.local instead (nothing uploaded)"
    ),
    pipeline_root: Path | None = typer.Option(
        None,
        "--pipeline-root",
        help="With --local: folder for the run's artifacts (default: <outputs>/kfp_local)",
    ),
) -> None:
    """Upload a compiled pipeline as a new KFP pipeline version, then run or schedule it.

    The pipeline is created on first submit; --schedule (or --scheduled: the configured cron)
    makes a recurring run instead of a run; --backfill D1 D2 runs a pipeline that takes a run
    date once for each past date (taxi_detection); --update-recurring starts no run but replaces
    every recurring run of the pipeline on another version with one on this version (same
    schedule, experiment and inputs) and deletes the old one.
    --local runs the package on this machine with its compiled input defaults, each task a
    subprocess of this Python environment (kfp.local), to try it before uploading: it prints
    where the artifacts are and the run's state, and exits 1 if the run fails. A task that
    reads a Kubernetes Secret gets the variable from this environment instead, if set.
    Auth: $KF_PIPELINES_TOKEN, else the service-account token file $KF_PIPELINES_SA_TOKEN_PATH
    (default /var/run/secrets/kubeflow/pipelines/token if present), else none (standalone KFP).
    """
    from model_factory.integrations.kubeflow import cron, monitors, submitter

    if local:
        given = {"--host": host, "--namespace": namespace, "--experiment": experiment,
                 "--schedule": schedule, "--scheduled": scheduled, "--version-name": version_name,
                 "--upload-only": upload_only, "--update-recurring": update_recurring,
                 "--backfill": backfill}  # fmt: skip
        clash = next((name for name, value in given.items() if value), None)
        if clash is not None:
            raise InputError(f"--local runs the package here: drop {clash}")
        run_locally(submitter.package_path(directory, pipeline), pipeline_root)
        return
    if pipeline_root is not None:
        raise InputError(
            "--pipeline-root goes with --local (compile one in: `compile --pipeline-root`)"
        )
    if host is None:
        raise InputError("--host is required (the KFP URL), or --local to run here")
    if scheduled and schedule is not None:
        raise InputError("--scheduled uses the configured cron: drop --schedule or --scheduled")
    if upload_only and (schedule is not None or scheduled):
        given = "--scheduled" if scheduled else "--schedule"
        raise InputError(f"--upload-only starts nothing: drop {given} or --upload-only")
    if update_recurring and (upload_only or schedule is not None or scheduled):
        given = "--upload-only" if upload_only else "--scheduled" if scheduled else "--schedule"
        raise InputError(f"--update-recurring starts no run of its own: drop {given}")
    if backfill is not None and (
        update_recurring or upload_only or schedule is not None or scheduled
    ):
        raise InputError("--backfill starts one run per date: drop the schedule or --upload-only")
    days = []
    if backfill is not None:
        from model_factory.taxi.backfill import date_range

        days = [str(day) for day in date_range(*backfill)]
    if scheduled:
        schedule = monitors.schedule(config_dir(), pipeline)
    kfp_cron = cron.to_kfp(schedule) if schedule is not None else None
    package = submitter.package_path(directory, pipeline)
    if days and not submitter.takes_run_date(package):
        raise InputError(
            f"{pipeline} has no run_date input: --backfill runs only pipelines "
            "that take a run date (taxi_detection)"
        )
    warn_unpullable(package)
    host = submitter.api_url(host)
    from model_factory.provenance import git_commit  # imports pandas: after the quick checks

    commit = git_commit()
    done = submitter.submit(
        package,
        pipeline,
        host,
        version_name=version_name or submitter.default_version_name(package, commit),
        reuse_version=version_name is None,
        experiment=experiment or pipeline,
        namespace=namespace,
        cron=kfp_cron,
        description=f"{package.name} from commit {commit}",
        start=not (upload_only or update_recurring),
        backfill=days,
        update_recurring=update_recurring,
    )
    state = "uploaded" if done.uploaded else "already there, reused"
    print(
        f"pipeline {pipeline} ({done.pipeline_id}): version {done.version_name} "
        f"({done.version_id}) {state}"
    )
    if upload_only:
        print(f"nothing started: {done.url}")
    elif update_recurring:
        for moved in done.moved:
            state = "enabled" if moved.enabled else "disabled, as it was"
            dropped = f"; inputs dropped: {', '.join(moved.dropped)}" if moved.dropped else ""
            print(
                f"recurring run {moved.display_name!r} ({moved.trigger}, {state}): "
                f"{moved.old_id} replaced by {moved.new_id}{dropped}"
            )
        print(f"{len(done.moved)} recurring runs moved to version {done.version_name}: {done.url}")
    elif done.backfill_runs:
        for day, run_id in done.backfill_runs:
            print(f"run {run_id} for run_date {day}")
        print(f"{len(done.backfill_runs)} runs in experiment {experiment or pipeline}: {done.url}")
    elif done.run_id:
        print(f"run {done.run_id} in experiment {experiment or pipeline}: {done.url}")
    else:
        print(
            f"recurring run {done.recurring_run_id} ({kfp_cron}) in experiment "
            f"{experiment or pipeline}: {done.url}"
        )


def run_locally(package: Path, pipeline_root: Path | None) -> None:
    """`submit --local`: run the package under kfp.local; exit 1 if the run fails."""
    from model_factory.integrations.kubeflow import local_runner
    from model_factory.paths import home

    root = (pipeline_root or home() / "kfp_local").resolve()
    done = local_runner.run_package(package, root)
    # Written, not print()ed: kfp.local swaps print() while tasks run (local_runner).
    write = sys.stdout.write
    for name, value in done.outputs.items():
        write(f"output {name}: {value}\n")
    write(f"artifacts: {done.run_dir or root}\n")
    if not done.succeeded:
        sys.stderr.write(f"{package.stem}: local run FAILED: {done.error}\n")
        sys.exit(1)  # not typer.Exit: without standalone mode click returns its code
    write(f"{package.stem}: local run SUCCEEDED\n")


@stack_app.command("register")
def stack_register(
    outputs: Path | None = typer.Option(
        None, "--from", help="`terraform output -json` of infra/terraform/envs/<env>"
    ),
    sets: list[str] = typer.Option(
        [], "--set", help="NAME=VALUE for a placeholder the outputs lack (repeatable)"
    ),
    definition: Path | None = typer.Option(
        None, "--stack", help="Stack definition (default: zenml_config/stacks/kubeflow.yaml)"
    ),
) -> None:
    """Register the Kubeflow stack filled from Terraform's outputs, or update it, and activate it.

    Log in to the stack's ZenML server first (`zenml login URL`): Kubeflow pods report to it.
    """
    from model_factory.integrations.kubeflow import stack_template

    template = definition or config_dir() / stack_template.STACK_FILE
    values = stack_template.terraform_values(outputs) if outputs else {}
    document = stack_template.render(template, values, stack_template.parse_sets(sets))

    from model_factory.integrations import zenml_stack

    zenml_stack.require_server(document["zenml_server_url"])
    for line in zenml_stack.register(document):
        print(line)
    print(f"active stack: {document['stack_name']} (server {document['zenml_server_url']})")
