"""The flow store announces every change as a plain event, with no Qt: what a view needs to follow."""

from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.document import Edge, Note
from planflow_qt.model.store import FlowStore, StoreChange


def test_every_primitive_is_announced_after_it_changed_the_flow():
    b = FlowBuilder("store")
    b.add("plan.create", "plan")
    store = FlowStore(b.build())
    seen = []
    store.subscribe(lambda e: seen.append((e.kind, len(store.flow.nodes), len(store.flow.edges))))
    node = store.flow.nodes[0].model_copy(update={"id": "run", "type": "opt.run"})
    store.insert_node(None, node)
    store.insert_edge(None, Edge(src=("plan", "plan"), dst=("run", "plan")))
    store.replace_node(node.model_copy(update={"title": "Optimize"}))
    store.insert_note(0, Note(title="why", text="", rect=(0, 0, 10, 10)))
    store.set_meta(store.flow.meta.model_copy(update={"name": "renamed"}))
    store.remove_edge(store.flow.edges[0])
    store.remove_node("run")
    store.edited()
    assert seen == [(StoreChange.NODE_ADDED, 2, 0), (StoreChange.EDGE_ADDED, 2, 1),
                    (StoreChange.NODE_REPLACED, 2, 1), (StoreChange.NOTE_ADDED, 2, 1),
                    (StoreChange.META_CHANGED, 2, 1), (StoreChange.EDGE_REMOVED, 2, 0),
                    (StoreChange.NODE_REMOVED, 1, 0), (StoreChange.EDITED, 1, 0)]
    assert store.flow.meta.name == "renamed" and store.flow.notes[0].title == "why"
