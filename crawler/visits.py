"""The visit registry: each visit is one homepage load in a fresh context, configured by data.

``reject`` and ``accept`` (cookie-banner visits) register here with a ``consent_action``; the
visit runner hands that action to whatever consent handler is installed, so adding them
reshapes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.capture import ConsentAction, VisitName

# Makes navigator.globalPrivacyControl / doNotTrack visible at parse time in every frame, as a
# browser with GPC and DNT switched on would (headers alone don't change what scripts see).
GPC_INIT_SCRIPT = """
(() => {
  const define = (proto, name, value) => {
    try { Object.defineProperty(proto, name, { get: () => value, configurable: true, enumerable: true }); } catch (e) {}
  };
  define(Navigator.prototype, 'globalPrivacyControl', true);
  define(Navigator.prototype, 'doNotTrack', '1');
  if (typeof WorkerNavigator !== 'undefined') {
    define(WorkerNavigator.prototype, 'globalPrivacyControl', true);
  }
})();
"""


@dataclass(frozen=True)
class VisitSpec:
    name: VisitName
    description: str
    extra_headers: dict[str, str] = field(default_factory=dict)
    init_scripts: tuple[str, ...] = ()
    consent_action: ConsentAction | None = None  # operated by the consent handler

    @property
    def signals(self) -> dict[str, str]:
        return dict(self.extra_headers)


VISITS: dict[str, VisitSpec] = {}


def register_visit(spec: VisitSpec) -> VisitSpec:
    VISITS[spec.name] = spec
    return spec


register_visit(VisitSpec("baseline", "no interaction: what loads before any consent"))
register_visit(
    VisitSpec(
        "gpc",
        "Do Not Track and Global Privacy Control on, no interaction",
        extra_headers={"DNT": "1", "Sec-GPC": "1"},
        init_scripts=(GPC_INIT_SCRIPT,),
    )
)

register_visit(VisitSpec("reject", "cookie banner answered with reject (opt out), then settled",
                         consent_action="reject"))
register_visit(VisitSpec("accept", "cookie banner answered with accept (opt in), then settled",
                         consent_action="accept"))

DEFAULT_VISITS: tuple[VisitName, ...] = ("baseline", "gpc", "reject", "accept")


def visit_specs(names: tuple[str, ...] | list[str]) -> list[VisitSpec]:
    unknown = [n for n in names if n not in VISITS]
    if unknown:
        raise ValueError(f"unknown visit(s) {', '.join(unknown)}; known: {', '.join(VISITS)}")
    return [VISITS[n] for n in names]
