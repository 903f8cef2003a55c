"""Event source mappings through the Lambda API (Create/Get/Update/Delete/ListEventSourceMappings).

A mapping made here is kept across restarts and polled like the template's: ``enabled()`` is what
the SQS and stream pollers run. The template's mappings are listed too, under stable UUIDs, and
stay the template's: the API reads them and leaves them alone. Deleting a function leaves its
mappings in place (UNCONFIRMED, as AWS seems to); their pollers wait for a function of that name.
"""

from __future__ import annotations

import dataclasses
import time
import uuid as uuids
from typing import Any

from ..errors import InvalidParameterValueException, ResourceConflictException, ResourceNotFoundException
from ..model import mappings as model
from ..model.mappings import EventSourceMapping
from ..store.mappings import MappingStore


class EventSourceMappings:
    def __init__(self, plane, store: MappingStore) -> None:
        self._plane = plane
        self._store = store
        self._api: dict[str, EventSourceMapping] = {m.uuid: m for m in store.load()}
        self._template: dict[str, EventSourceMapping] = {}
        self._queue_visibility: dict[str, int] = {}  # the template's queues: ARN -> VisibilityTimeout
        self._results: dict[str, str] = {}  # a stream mapping's LastProcessingResult, by UUID

    def declare(self, mappings: list[EventSourceMapping], queue_visibility: dict[str, int]) -> None:
        """The template's mappings and local queues, as its latest reading gives them."""
        self._template = {m.uuid: m for m in mappings}
        self._queue_visibility = dict(queue_visibility)

    def enabled(self) -> list[EventSourceMapping]:
        """What the pollers run: every enabled mapping, the template's and the API's."""
        return [m for m in (*self._template.values(), *self._api.values()) if m.enabled]

    def function_arn(self, mapping: EventSourceMapping) -> str:
        return self._plane.registry.arn(*mapping.target)

    def function_timeout(self, mapping: EventSourceMapping) -> int:
        """The timeout of the version the mapping invokes (ResourceNotFoundException if it is gone)."""
        record, qualifier = self._plane.invoker.resolve(*mapping.target)
        return record.resolve(qualifier)[1].timeout

    def arn(self, mapping: EventSourceMapping) -> str:
        settings = self._plane.invoker.settings
        return f"arn:aws:lambda:{settings.region}:{settings.account_id}:event-source-mapping:{mapping.uuid}"

    def create(self, request: dict[str, Any]) -> EventSourceMapping:
        function_name = self._function_name(request.get("FunctionName") or "")
        mapping = model.create(str(uuids.uuid4()), function_name, request)
        for existing in (*self._template.values(), *self._api.values()):
            if (existing.event_source_arn, existing.function_name) == (mapping.event_source_arn, function_name):
                # AWS's wording (UNCONFIRMED for the stream kinds).
                raise ResourceConflictException(
                    f'An event source mapping with {mapping.kind} arn (" {mapping.event_source_arn} ") and function '
                    f'(" {function_name} ") already exists. Please update or delete the existing mapping with '
                    f"UUID {existing.uuid}"
                )
        return self._save(mapping)

    def get(self, uuid: str) -> EventSourceMapping:
        mapping = self._api.get(uuid) or self._template.get(uuid)
        if mapping is None:
            raise ResourceNotFoundException()
        return mapping

    def list(self, event_source_arn: str | None, function_name: str | None) -> list[EventSourceMapping]:
        found = [*self._template.values(), *self._api.values()]
        if event_source_arn:
            found = [m for m in found if m.event_source_arn == event_source_arn]
        if function_name:
            wanted = self._function_name(function_name)
            found = [m for m in found if m.function_name == wanted]
        return found

    def update(self, uuid: str, request: dict[str, Any]) -> EventSourceMapping:
        mapping = self._own(uuid)
        changes = {key: request[key] for key in model.UPDATABLE if key in request}
        updated = model.update(mapping, changes)
        if request.get("FunctionName"):
            updated = dataclasses.replace(updated, function_name=self._function_name(request["FunctionName"]))
        return self._save(updated)

    def delete(self, uuid: str) -> EventSourceMapping:
        mapping = self._own(uuid)
        del self._api[uuid]
        self._store.delete(uuid)
        return mapping

    def checkpoint(self, mapping: EventSourceMapping, shard: str, sequence: str) -> None:
        """A stream mapping has processed a shard up to ``sequence`` (delivered, or given up on)."""
        self._store.checkpoint(mapping.uuid, shard, sequence)

    def checkpoint_of(self, mapping: EventSourceMapping, shard: str) -> str | None:
        return self._store.checkpoint_of(mapping.uuid, shard)

    def processed(self, mapping: EventSourceMapping, ok: bool) -> None:
        """How a stream mapping's last batch went, for its LastProcessingResult."""
        self._results[mapping.uuid] = "OK" if ok else "PROBLEM: Function call failed"

    def last_processing_result(self, mapping: EventSourceMapping) -> str:
        return self._results.get(mapping.uuid, "No records processed")

    def _own(self, uuid: str) -> EventSourceMapping:
        mapping = self.get(uuid)
        if mapping.origin == "template":
            raise InvalidParameterValueException(
                f"Event source mapping {uuid} comes from the template: change it there"
            )
        return mapping

    def _function_name(self, given: str) -> str:
        """The mapped function as name or name:qualifier; it must exist."""
        record, qualifier = self._plane.invoker.resolve(given)
        return f"{record.name}:{qualifier}" if qualifier else record.name

    def _save(self, mapping: EventSourceMapping) -> EventSourceMapping:
        self._check_queue(mapping)
        mapping = dataclasses.replace(mapping, last_modified=time.time())
        self._api[mapping.uuid] = mapping
        self._store.save(mapping)
        return mapping

    def _check_queue(self, mapping: EventSourceMapping) -> None:
        visibility = self._queue_visibility.get(mapping.event_source_arn)
        if visibility is None:
            return  # a queue on an endpoint: it knows its own visibility timeout
        problem = model.visibility_problem(visibility, self.function_timeout(mapping))
        if problem:
            raise InvalidParameterValueException(problem)
