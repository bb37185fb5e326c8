"""A plan as a self-contained Leaflet map (folium): routes, numbered stops, depots, unserved stops.

The map is drawn from a small view model that knows nothing about where the plan came from, so
a plan read from files and a plan stored in the database are drawn the same way. Leaflet itself
is inlined from the `xstatic-leaflet` package, so the file opens without network access; only
the background tiles come from the tile server.
"""

from __future__ import annotations

import base64
import functools
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template
from xstatic.pkg import leaflet as xstatic_leaflet

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
# Distinct on a street map and readable with white digits on top.
ROUTE_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#843c39",
)
UNSERVED_COLOUR = "#7f7f7f"


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A marker: `label` is drawn on it (a sequence number), `popup` is plain text, lines by \\n."""

    lat: float
    lng: float
    label: str
    popup: str
    # Set for a stored order's stop: the live page finds its marker by it to restyle it.
    order_id: int | None = None


@dataclass(frozen=True, slots=True)
class MapRoute:
    name: str
    summary: str
    start: tuple[float, float]
    stops: tuple[MapPoint, ...]
    # None: the route ends at its last stop.
    end: tuple[float, float] | None


@dataclass(frozen=True, slots=True)
class MapUnserved:
    lat: float
    lng: float
    label: str
    reason: str


@dataclass(frozen=True, slots=True)
class PlanMapView:
    title: str
    routes: tuple[MapRoute, ...]
    depots: tuple[MapPoint, ...]
    unserved: tuple[MapUnserved, ...]


class _OfflineMap(folium.Map):
    # No CDN links: Leaflet is inlined below, and DivIcon markers need no Bootstrap, jQuery or
    # awesome-markers.
    default_js: list[tuple[str, str]] = []  # noqa: RUF012
    default_css: list[tuple[str, str]] = []  # noqa: RUF012


def render_plan_map(
    view: PlanMapView,
    *,
    tiles: str | None = OSM_TILES,
    attribution: str = OSM_ATTRIBUTION,
    leaflet_url: str | None = None,
) -> str:
    """The whole map as one HTML document; `tiles` None draws no background.

    Leaflet is inlined unless `leaflet_url` names where a server offers `leaflet.js` and
    `leaflet.css` (the xstatic-leaflet files).
    """
    points = _all_points(view)
    fmap = _OfflineMap(
        location=_centre(points),
        tiles=None,
        zoom_start=12,
        control_scale=True,
    )
    if tiles:
        folium.TileLayer(tiles=tiles, attr=attribution, name="background", control=False).add_to(
            fmap
        )
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(_leaflet(leaflet_url)), name="leaflet")
    root.header.add_child(Element(f"<title>{html.escape(view.title)}</title>"), name="title")
    root.header.add_child(Element(_STYLE), name="sameday_style")

    for index, route in enumerate(view.routes):
        colour = ROUTE_COLOURS[index % len(ROUTE_COLOURS)]
        group = folium.FeatureGroup(name=html.escape(route.name)).add_to(fmap)
        path = [route.start, *((s.lat, s.lng) for s in route.stops)]
        if route.end is not None:
            path.append(route.end)
        # folium's vector layers are not annotated.
        line = folium.PolyLine(path, color=colour, weight=4, opacity=0.8)  # type: ignore[no-untyped-call]
        line.add_to(group)
        for stop in route.stops:
            _marker(stop, "sd-stop", colour).add_to(group)
    if view.unserved:
        group = folium.FeatureGroup(name=f"not served ({len(view.unserved)})").add_to(fmap)
        for item in view.unserved:
            point = MapPoint(item.lat, item.lng, "!", f"{item.label}\nnot served: {item.reason}")
            _marker(point, "sd-stop sd-unserved", UNSERVED_COLOUR).add_to(group)
    for depot in view.depots:
        _marker(depot, "sd-depot", "#000000").add_to(fmap)

    folium.LayerControl(collapsed=True).add_to(fmap)
    _ExposeMap().add_to(fmap)
    root.html.add_child(Element(_legend(view)), name="legend")
    if len(points) > 1:
        lats = [p[0] for p in points]
        lngs = [p[1] for p in points]
        fmap.fit_bounds([[min(lats), min(lngs)], [max(lats), max(lngs)]], padding=(20, 20))
    rendered: str = root.render()
    return rendered


def _marker(point: MapPoint, css_class: str, colour: str) -> folium.Marker:
    label = html.escape(point.label)
    key = f' data-order-id="{point.order_id}"' if point.order_id is not None else ""
    icon = folium.DivIcon(
        html=f'<div class="{css_class}"{key} style="background:{colour}">{label}</div>',
        icon_size=(26, 26),
        icon_anchor=(13, 13),
        class_name="sd-icon",
    )
    marker = folium.Marker(location=(point.lat, point.lng), icon=icon)
    lines = point.popup.splitlines() or [point.label]
    popup_html = "<br>".join(html.escape(line) for line in lines)
    _Binding("Popup", popup_html, {"maxWidth": 320}).add_to(marker)
    _Binding("Tooltip", html.escape(lines[0]), {"sticky": True}).add_to(marker)
    return marker


class _ExposeMap(MacroElement):
    """Names the map `window.samedayMap`: folium's own name for it changes with every render,
    and the dispatcher page (which embeds the map) draws couriers on it as they move."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            window.samedayMap = {{ this._parent.get_name() }};
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "ExposeMap"


class _Binding(MacroElement):
    """Binds a popup or tooltip to its parent marker.

    folium's own Popup needs jQuery and its Tooltip pastes raw text into a JS template literal;
    this passes the (already escaped) HTML as a JSON string instead.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bind{{ this.kind }}(
                {{ this.content|tojson }}, {{ this.options|tojson }}
            );
        {% endmacro %}
        """
    )

    def __init__(self, kind: str, content: str, options: dict[str, object]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = kind
        self.kind = kind
        self.content = content
        self.options = options


def _legend(view: PlanMapView) -> str:
    rows = []
    for index, route in enumerate(view.routes):
        colour = ROUTE_COLOURS[index % len(ROUTE_COLOURS)]
        rows.append(
            f'<li><span class="sd-swatch" style="background:{colour}"></span>'
            f"<b>{html.escape(route.name)}</b> {html.escape(route.summary)}</li>"
        )
    parts = [
        # A <details> box the reader can fold away when it covers the stops underneath.
        '<details class="sd-legend" open>',
        f"<summary><h3>{html.escape(view.title)}</h3></summary>",
        f"<ul>{''.join(rows) or '<li>no routes</li>'}</ul>",
    ]
    if view.unserved:
        items = "".join(
            f"<li><b>{html.escape(u.label)}</b>: {html.escape(u.reason)}</li>"
            for u in view.unserved
        )
        parts.append(f"<h4>Not served ({len(view.unserved)})</h4><ul class='sd-unserved-list'>")
        parts.append(items + "</ul>")
    parts.append("</details>")
    return "".join(parts)


def _all_points(view: PlanMapView) -> list[tuple[float, float]]:
    points = [(d.lat, d.lng) for d in view.depots]
    points += [(s.lat, s.lng) for r in view.routes for s in r.stops]
    points += [(u.lat, u.lng) for u in view.unserved]
    return points


def _centre(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    if not points:
        return (0.0, 0.0)
    return (
        sum(p[0] for p in points) / len(points),
        sum(p[1] for p in points) / len(points),
    )


def _leaflet(url: str | None) -> str:
    if url is None:
        return _inline_leaflet()
    base = html.escape(url.rstrip("/"))
    return (
        f'<link rel="stylesheet" href="{base}/leaflet.css">\n'
        f'<script src="{base}/leaflet.js"></script>'
    )


@functools.cache
def _inline_leaflet() -> str:
    base = Path(xstatic_leaflet.BASE_DIR)
    css = re.sub(
        r"url\(images/([\w.-]+\.png)\)",
        lambda m: f"url(data:image/png;base64,{_base64(base / 'images' / m.group(1))})",
        (base / "leaflet.css").read_text(encoding="utf-8"),
    )
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    # A literal "</script" inside the code would end the inline block early.
    js = js.replace("</script", "<\\/script")
    return f"<style>{css}</style>\n<script>{js}</script>"


def _base64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


_STYLE = """<style>
.sd-icon { background: none; border: none; }
.sd-stop, .sd-depot {
  width: 22px; height: 22px; line-height: 22px; text-align: center;
  color: #fff; font: bold 11px/22px sans-serif; border: 2px solid #fff;
  box-shadow: 0 0 3px rgba(0,0,0,.6);
}
.sd-stop { border-radius: 50%; }
.sd-depot { border-radius: 3px; }
.sd-unserved { opacity: .85; }
.sd-legend {
  position: fixed; bottom: 24px; right: 10px; z-index: 1000; max-width: 360px;
  max-height: 40vh; overflow: auto; background: rgba(255,255,255,.95); padding: 8px 12px;
  font: 12px sans-serif; border-radius: 4px; box-shadow: 0 0 6px rgba(0,0,0,.3);
}
.sd-legend summary { cursor: pointer; }
.sd-legend h3 { display: inline; margin: 0 0 6px; font-size: 14px; }
.sd-legend h4 { margin: 8px 0 4px; font-size: 13px; }
.sd-legend ul { margin: 0; padding-left: 0; list-style: none; }
.sd-legend li { margin: 2px 0; }
.sd-swatch {
  display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  vertical-align: middle; border-radius: 2px;
}
.sd-unserved-list li { color: #444; }
/* Set by the dispatcher page as the day goes on. */
.sd-stop.sd-late { background: #d00000 !important; box-shadow: 0 0 0 3px rgba(208,0,0,.45); }
.sd-stop.sd-done { opacity: .35; }
.sd-stop.sd-failed { background: #555 !important; border-style: dashed; }
.sd-courier {
  display: inline-block; padding: 0 5px; white-space: nowrap; border-radius: 9px;
  background: #111; color: #fff; font: bold 10px/16px sans-serif; border: 2px solid #ffd400;
  box-shadow: 0 0 4px rgba(0,0,0,.6); transform: translate(-50%, -50%);
}
</style>"""
