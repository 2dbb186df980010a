"""Register the Kubeflow stack document (integrations/kubeflow/stack_template.py) with ZenML.

Unlike `zenml stack import`, which prompts for new names when something exists, this is
idempotent: components and the stack are created, or updated in place when Terraform's outputs
change, then the stack is activated. Every component is checked with ZenML's own registration
check (`validate_stack_component_config`: the flavor's config model, unknown keys refused).
"""

from typing import Any

from pydantic import ValidationError
from zenml.client import Client
from zenml.config.global_config import GlobalConfiguration
from zenml.enums import StackComponentType, StoreType
from zenml.exceptions import ZenMLBaseException
from zenml.stack.utils import validate_stack_component_config

from model_factory.errors import InputError

# Kubeflow steps run in pods: these must be reachable from there, not paths on this machine.
MUST_BE_REMOTE = {StackComponentType.ARTIFACT_STORE, StackComponentType.CONTAINER_REGISTRY}


def require_server(url: str) -> None:
    """ZenML must be logged in to `url`: pods of a Kubeflow run report to that server."""
    store = GlobalConfiguration().store_configuration
    connected = store.url.rstrip("/") if store.type == StoreType.REST else None
    if connected != url.rstrip("/"):
        where = f"the server {connected}" if connected else f"a local store ({store.url})"
        raise InputError(
            f"ZenML is connected to {where}, not {url}: log in first: zenml login {url}"
        )


def components(document: dict[str, Any]) -> list[tuple[StackComponentType, dict[str, Any]]]:
    """(type, component) pairs of the document, each validated as ZenML validates it and with
    its configuration as ZenML stores it."""
    found = []
    for type_name, entries in document["components"].items():
        try:
            component_type = StackComponentType(type_name)
        except ValueError:
            raise InputError(f"stack: unknown component type {type_name!r}") from None
        for component in entries:
            stored = _validated(component_type, component)
            found.append((component_type, {**component, "configuration": stored}))
    return found


def _validated(component_type: StackComponentType, component: dict[str, Any]) -> dict[str, Any]:
    label = f"stack {component_type.value} {component['name']} ({component['flavor']})"
    try:
        config = validate_stack_component_config(
            component["configuration"], component["flavor"], component_type
        )
    except KeyError:
        raise InputError(f"{label}: ZenML has no such flavor") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "configuration"
        raise InputError(f"{label}: {where}: {first['msg']}") from None
    except (ValueError, ZenMLBaseException) as exc:  # config validators raise ZenML's own too
        raise InputError(f"{label}: {' '.join(str(exc).split())}") from None
    if component_type in MUST_BE_REMOTE and config.is_local:
        raise InputError(f"{label}: is local; Kubeflow pods cannot reach it")
    return config.model_dump(mode="json", exclude_unset=True)  # what ZenML stores


def register(document: dict[str, Any]) -> list[str]:
    """Create or update every component and the stack, activate it; say what changed."""
    client = Client()
    done, wiring = [], {}
    for component_type, component in components(document):
        done.append(_upsert(client, component_type, component))
        wiring[component_type] = component["name"]
    name = document["stack_name"]
    if existing := client.list_stacks(name=name).items:
        current = {kind: [c.name for c in found] for kind, found in existing[0].components.items()}
        if current != {kind: [component] for kind, component in wiring.items()}:
            client.update_stack(name, component_updates=wiring)
            done.append(f"stack {name}: updated")
        else:
            done.append(f"stack {name}: unchanged")
    else:
        client.create_stack(name=name, components=wiring)
        done.append(f"stack {name}: created")
    client.activate_stack(name)
    return done


def _upsert(client: Client, component_type: StackComponentType, component: dict) -> str:
    name, flavor, configuration = component["name"], component["flavor"], component["configuration"]
    label = f"{component_type.value} {name} ({flavor})"
    existing = client.list_stack_components(name=name, type=component_type).items
    if not existing:
        client.create_stack_component(name, flavor, component_type, configuration)
        return f"{label}: created"
    if existing[0].flavor_name != flavor:
        command = f"zenml {component_type.value.replace('_', '-')} delete {name}"
        raise InputError(
            f"{label}: one of that name exists with flavor {existing[0].flavor_name}; "
            f"delete it first ({command})"
        )
    if existing[0].configuration == configuration:
        return f"{label}: unchanged"
    removed = {key: None for key in existing[0].configuration if key not in configuration}
    client.update_stack_component(name, component_type, configuration={**configuration, **removed})
    return f"{label}: updated"
