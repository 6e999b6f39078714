"""From a capture's requests and cookies to the trackers it observed, with their evidence.

Every third party is kept: a host nobody knows stays an "unattributed third party" keyed by its
registrable domain, never dropped. First-party requests are not trackers unless a tracker's
first-party cookie (``_ga``, ``_fbp``) shows one at work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.capture import Capture, CookieRecord, RequestRecord
from model.report import ObservedTracker

from .attribution import Attribution, Attributor

MAX_EVIDENCE_URLS = 8


@dataclass
class Sighting:
    """One request or cookie of one visit that points at a tracker."""

    visit: str
    request: RequestRecord | None = None
    cookie: CookieRecord | None = None


@dataclass
class TrackerObservation:
    tracker: ObservedTracker
    sightings: list[Sighting] = field(default_factory=list)

    def in_visit(self, visit: str) -> list[Sighting]:
        return [s for s in self.sightings if s.visit == visit]


def tracker_key(attribution: Attribution) -> str:
    if attribution.product_id:
        return attribution.product_id
    company = attribution.operating_company_id or attribution.company_id
    if company:
        return f"company:{company}"
    return f"host:{attribution.company_name or attribution.product_name or 'unknown'}"


def observe(capture: Capture, attributor: Attributor) -> dict[str, TrackerObservation]:
    """Trackers by key, in first-seen order."""
    seen: dict[str, TrackerObservation] = {}
    site = capture.domain
    for visit in capture.visits:
        for request in visit.requests:
            attribution = attributor.attribute_request(request.url, site)
            if attribution.party == "first":
                continue
            obs = _observation(seen, attribution, first_party=False)
            obs.sightings.append(Sighting(visit.name, request=request))
            _add_request(obs.tracker, visit.name, request.url)
        for cookie in visit.cookies:
            attribution = attributor.attribute_cookie(cookie.name, cookie.domain, site)
            if attribution.party == "first" and not _first_party_tracker_cookie(attribution):
                continue  # the site's own cookie (a session id, a preference)
            obs = _observation(seen, attribution, first_party=attribution.party == "first")
            obs.sightings.append(Sighting(visit.name, cookie=cookie))
            _add_cookie(obs.tracker, visit.name, cookie)
    return seen


# A first-party cookie shows a tracker at work only when it is a tracker's own identifier
# (``_ga``, ``_fbp``); a session cookie a cookie list knows (``PHPSESSID``) is the site's own.
TRACKING_COOKIE_CATEGORIES = frozenset({"analytics", "advertising", "session-recording", "social"})


def _first_party_tracker_cookie(attribution: Attribution) -> bool:
    return attribution.product_id is not None and attribution.category in TRACKING_COOKIE_CATEGORIES


def _observation(seen: dict[str, TrackerObservation], attribution: Attribution,
                 first_party: bool) -> TrackerObservation:
    key = tracker_key(attribution)
    obs = seen.get(key)
    if obs is None:
        tracker = ObservedTracker(
            key=key,
            name=attribution.product_name or attribution.company_name or key.split(":", 1)[-1],
            product_id=attribution.product_id,
            company_id=attribution.company_id,
            company_name=attribution.company_name,
            operating_company_id=attribution.operating_company_id,
            operating_company_name=attribution.operating_company_name,
            category=attribution.category,
            source=attribution.source,
            first_party=first_party,
        )
        obs = seen[key] = TrackerObservation(tracker)
    elif not first_party:
        obs.tracker.first_party = False
    return obs


def _add_visit(tracker: ObservedTracker, visit: str) -> None:
    if visit not in tracker.visits:
        tracker.visits.append(visit)


def _add_request(tracker: ObservedTracker, visit: str, url: str) -> None:
    _add_visit(tracker, visit)
    tracker.request_count += 1
    if len(tracker.evidence_urls) < MAX_EVIDENCE_URLS and url not in tracker.evidence_urls:
        tracker.evidence_urls.append(url)


def _add_cookie(tracker: ObservedTracker, visit: str, cookie: CookieRecord) -> None:
    _add_visit(tracker, visit)
    label = f"{cookie.name} @ {cookie.domain}"
    if label not in tracker.cookies:
        tracker.cookies.append(label)


def is_known_tracker(tracker: ObservedTracker) -> bool:
    return tracker.source != "unattributed" and (tracker.product_id is not None or tracker.company_id is not None)
