"""Auto-layout of the lung flow: layered columns, a page rather than a row, notes and loop frames kept with their
nodes, fast; wires routed around nodes; titles drawn large when zoomed out."""

from __future__ import annotations

import time

from Qt import QtCore


def _rect(window, node_id) -> QtCore.QRectF:
    return window.canvas.node_view(node_id).view.sceneBoundingRect()


def test_auto_layout_of_the_lung_flow_is_a_page_of_columns_in_under_a_second(lung):
    start = time.perf_counter()
    lung.auto_layout()
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    xs = {round(node.pos[0]) for node in lung.doc.flow.nodes}
    assert 6 <= len(xs) <= 14
    area = lung.canvas.node_rect()
    assert area.width() / area.height() < 4.0
    for edge in lung.doc.flow.edges:  # every wire runs forwards or down its column
        src, dst = lung.doc.node(edge.src[0]).pos, lung.doc.node(edge.dst[0]).pos
        assert dst[0] > src[0] or (dst[0] == src[0] and dst[1] > src[1])
    assert lung.doc.undo_stack.count() == 1


def test_notes_and_the_loop_frame_keep_their_nodes_after_auto_layout(lung):
    setup, rounds = lung.canvas.note_items()
    lung.auto_layout()
    lung.validator.run_now()
    for node_id in ("plan", "roi-ptv", "fn01", "fn19"):
        assert setup.sceneBoundingRect().contains(_rect(lung, node_id))
    for node_id in ("rounds", "tighten", "end", "save"):
        assert rounds.sceneBoundingRect().contains(_rect(lung, node_id))
    zone = lung.canvas.zone_items()[0]
    assert rounds.sceneBoundingRect().contains(zone.sceneBoundingRect())
    assert zone.sceneBoundingRect().top() > rounds.sceneBoundingRect().top() + 28
    assert not setup.sceneBoundingRect().intersects(zone.sceneBoundingRect())


def test_a_wire_down_a_column_is_routed_between_the_nodes(lung):
    lung.auto_layout()
    fn01, fn02 = _rect(lung, "fn01"), _rect(lung, "fn02")
    assert fn01.left() == fn02.left() and fn02.top() > fn01.bottom()
    out = lung.canvas.node_view("fn01").outputs()["plan"].view
    pipe = next(p for p in out.connected_pipes if p.input_port.node.flow_id == "fn02")
    path = pipe.path()
    points = [path.elementAt(i) for i in range(path.elementCount())]
    inside = [p for p in points if fn01.adjusted(1, 1, -1, -1).contains(QtCore.QPointF(p.x, p.y))
              or fn02.adjusted(1, 1, -1, -1).contains(QtCore.QPointF(p.x, p.y))]
    assert not inside and len(points) == 6


def test_zoomed_out_nodes_show_their_title_and_hide_ports(lung, qtbot):
    lung.show()
    qtbot.waitExposed(lung)
    lung.fit()
    qtbot.wait(50)
    item = lung.canvas.node_view("fn01").view
    lung.canvas.viewer().viewport().repaint()
    assert lung.viewer.transform().m11() < 0.6
    assert item._proxy_mode and item.overview_text().startswith("PTV · MinDose")
    lung.canvas.zoom_on("fn01", 1.0)
    lung.canvas.viewer().viewport().repaint()
    assert not item._proxy_mode
