"""One error type for everything wrong with a template, with where it is."""

from __future__ import annotations


class TemplateError(Exception):
    """A template problem: names the file, line (YAML only), resource and property when known."""

    def __init__(
        self,
        message: str,
        *,
        resource: str | None = None,
        prop: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        self.detail = message
        self.resource = resource
        self.prop = prop
        self.line = line
        self.path = path
        super().__init__(self._render())

    def locate(
        self, *, resource: str | None = None, prop: str | None = None, line: int | None = None, path: str | None = None
    ) -> TemplateError:
        """Fill in whatever part of the location is not known yet, keeping what is."""
        return TemplateError(
            self.detail,
            resource=self.resource or resource,
            prop=self.prop or prop,
            line=self.line or line,
            path=self.path or path,
        )

    def _render(self) -> str:
        where = self.path or "template"
        if self.line:
            where += f":{self.line}"
        subject = ".".join(part for part in (self.resource, self.prop) if part)
        return f"{where}: {subject}: {self.detail}" if subject else f"{where}: {self.detail}"
