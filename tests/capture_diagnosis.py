"""What a crawl's visits saw, as one string for an assertion's message: tells a visit that failed or was cut
from one that saw nothing (a mismatch with the ground truth is then a cause, not noise)."""

from __future__ import annotations

from model.capture import Capture


def describe_capture(capture: Capture) -> str:
    visits = [f"{v.name}: ok={v.ok} partial={v.partial} error={v.error} cut={v.cut} observed_in={v.observed_in} "
              f"ms={v.duration_ms:.0f} requests={len(v.requests)}"
              + (f" consent={v.consent.outcome} ({v.consent.reason}) click={v.consent.click_ms} "
                 f"timeline={[(round(e.t_ms), e.event) for e in v.consent.timeline]}" if v.consent else "")
              for v in capture.visits]
    policies = [(p.kind, p.url, p.status, len(p.text)) for p in capture.policies]
    return "\n".join([f"{capture.domain}: cut={capture.cut} policies={policies} skipped={capture.skipped}", *visits])
