"""In Chromium: the asset graph lists the assets, and asset pages show their pictures as loaded images.

Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import FloatRect, Locator, Page, expect

from assets.pictures import HEALTH_HISTORY, QUARANTINED_IMAGES, SAMPLE_CROPS, SAMPLE_PAIRS

if TYPE_CHECKING:
    from tests.browser import Screenshots  # imported by pytest_plugins below, as a plugin

pytest_plugins = ["tests.browser"]  # the instance, webserver and browser fixtures
pytestmark = pytest.mark.e2e

# Names short enough that the graph does not cut them, by group: each group's own graph draws them at a size
# that shows their names (the whole graph, fitted to the page, is too wide for that).
GRAPH_ASSETS = {
    "sessions": ("raw_sessions", "validated_sessions", "session_quarantine", "deferred_sessions", "training_log_lines"),
    "historical_projects": ("historical_groups", "historical_pairs", "project_quarantine", "project_stats"),
    "curation": ("validated_crops",),
    "health": ("data_health_report",),
    "exports": ("edit_triplets", "preference_pairs"),
    "embeddings": ("image_embeddings",),
    "training": ("preference_pairs_probe",),
}
LOCATION = "definitions"  # workspace.yaml's python_module
PICTURES = (
    ("session_quarantine", QUARANTINED_IMAGES),
    ("project_quarantine", QUARANTINED_IMAGES),
    ("historical_pairs", SAMPLE_PAIRS),
    ("validated_selections", SAMPLE_PAIRS),
    ("validated_crops", SAMPLE_CROPS),
    ("data_health_report", HEALTH_HISTORY),
)


def graph_menu(page: Page, item: str) -> None:
    """Right-click on empty canvas (bottom right, left of the zoom controls) and pick `item`."""
    size = page.viewport_size or {"width": 1440, "height": 900}
    page.mouse.click(size["width"] - 150, size["height"] - 60, button="right")
    page.get_by_role("menuitem", name=re.compile(item)).click()


def drawn(page: Page, text: str) -> Locator:
    """`text` as drawn on the page (the graph also keeps hidden copies of labels to measure them)."""
    return page.get_by_text(text, exact=True).filter(visible=True).first


def drawn_graph(page: Page) -> FloatRect:
    """The box around every group and node of the graph (each is an svg foreignObject)."""
    return page.locator("svg foreignObject").evaluate_all(
        """elements => {
            const boxes = elements.map(e => e.getBoundingClientRect()).filter(b => b.width > 0);
            const x = Math.min(...boxes.map(b => b.left)), y = Math.min(...boxes.map(b => b.top));
            const right = Math.max(...boxes.map(b => b.right)), bottom = Math.max(...boxes.map(b => b.bottom));
            return {x, y, width: right - x, height: bottom - y};
        }"""
    )


def around(box: FloatRect, margin: float) -> FloatRect:
    return {
        "x": box["x"] - margin,
        "y": box["y"] - margin,
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }


def test_asset_graph_shows_the_assets_of_every_group(webserver: str, wide_page: Page, screenshot: Screenshots):
    # Groups expanded, top to bottom: the page fits the graph's width on load, so every node is drawn with its
    # name (zoomed further out, or scrolled off screen, the graph leaves nodes out).
    page = wide_page
    page.goto(f"{webserver}/asset-groups")
    expect(drawn(page, "historical_projects")).to_be_visible()
    page.get_by_role("button", name=re.compile("Hide navigation")).click()
    graph_menu(page, "Change graph to vertical orientation")
    graph_menu(page, "Expand all groups")
    page.reload()
    for group in GRAPH_ASSETS:
        expect(drawn(page, group), f"group {group} is not drawn in the asset graph").to_be_visible()
    page.wait_for_load_state("networkidle")  # materialization status colours the nodes
    screenshot(page, "asset-graph")
    screenshot(page, "asset-graph-alone", clip=around(drawn_graph(page), 24))  # docs/images/asset-graph.png
    for group, names in GRAPH_ASSETS.items():
        page.goto(f"{webserver}/locations/{LOCATION}/asset-groups/{group}")
        for name in names:
            expect(drawn(page, name), f"{name} is not drawn in the graph of group {group}").to_be_visible()
        screenshot(page, f"asset-group-{group}")


@pytest.mark.parametrize(("asset", "label"), PICTURES)
def test_asset_page_shows_its_picture(webserver: str, page: Page, screenshot: Screenshots, asset: str, label: str):
    page.goto(f"{webserver}/assets/{asset}")
    expect(page.get_by_text("Latest materialization").first).to_be_visible()
    row = page.locator("tr", has=page.get_by_text(label, exact=True))
    expect(row, f"{asset}'s latest materialization has no {label!r} (assets/pictures.py)").to_be_visible()
    row.get_by_text("[Show Markdown]").click()
    image = page.get_by_role("dialog").locator("img")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    width, height = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert width > 100 and height > 20
    screenshot(page, f"{asset}-{label}")
